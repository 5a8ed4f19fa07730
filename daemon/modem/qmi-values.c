/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The values of the modem's CAT2 indications, read with libqmi's TLV reader (which checks
 * every read against the TLV's length) and checked before anything uses them.
 */
#include "libmodem-private.h"

/* libqmi says what ran short; the caller says which value it was. */
static gboolean truncated(GError **error, const char *what, GError *cause)
{
    g_set_error(error, MODEM_ERROR, MODEM_ERROR_TRUNCATED, "%s: %s", what, cause->message);
    g_error_free(cause);
    return FALSE;
}

/*
 * Bytes that follow at @offset in the TLV and that a length before them announced: a pointer
 * into the message, after checking that they are all there.
 */
static gboolean read_bytes(QmiMessage *message, guint8 type, gsize offset, gsize length,
                           const guint8 **out, const char *what, GError **error)
{
    guint16 tlv_length = 0;
    const guint8 *value = qmi_message_get_raw_tlv(message, type, &tlv_length);

    if (value == NULL || offset > tlv_length || length > (gsize)(tlv_length - offset)) {
        g_set_error(error, MODEM_ERROR, MODEM_ERROR_TRUNCATED, "%s: %zu bytes announced, %zu there",
                    what, length,
                    value != NULL && offset <= tlv_length ? (gsize)(tlv_length - offset) : 0);
        return FALSE;
    }
    *out = value + offset;
    return TRUE;
}

gboolean modem_cat2_parse_raw_command(QmiMessage *message, guint8 type, ModemCat2RawCommand *out,
                                      GError **error)
{
    GError *cause = NULL;
    guint16 length = 0, command_length = 0;
    gsize tlv, offset = 0;

    if ((tlv = qmi_message_tlv_read_init(message, type, &length, &cause)) == 0 ||
        !qmi_message_tlv_read_guint32(message, tlv, &offset, QMI_ENDIAN_LITTLE, &out->ref,
                                      &cause) ||
        !qmi_message_tlv_read_guint16(message, tlv, &offset, QMI_ENDIAN_LITTLE, &command_length,
                                      &cause))
        return truncated(error, "raw command", cause);
    out->length = command_length;
    return read_bytes(message, type, offset, command_length, &out->command, "raw command", error);
}

gboolean modem_cat2_parse_refresh(QmiMessage *message, guint16 *mode, guint8 *stage, GError **error)
{
    GError *cause = NULL;
    guint16 length = 0;
    gsize tlv, offset = 0;

    if ((tlv = qmi_message_tlv_read_init(message, 0x19, &length, &cause)) == 0 ||
        !qmi_message_tlv_read_guint16(message, tlv, &offset, QMI_ENDIAN_LITTLE, mode, &cause) ||
        !qmi_message_tlv_read_guint8(message, tlv, &offset, stage, &cause))
        return truncated(error, "refresh report", cause);
    return TRUE;
}

gboolean modem_scws_parse_open(QmiMessage *message, ModemScwsOpen *out, GError **error)
{
    GError *cause = NULL;
    guint16 length = 0;
    gsize tlv, offset = 0;

    if ((tlv = qmi_message_tlv_read_init(message, 0x10, &length, &cause)) == 0 ||
        !qmi_message_tlv_read_guint32(message, tlv, &offset, QMI_ENDIAN_LITTLE, &out->ch_id,
                                      &cause) ||
        !qmi_message_tlv_read_guint16(message, tlv, &offset, QMI_ENDIAN_LITTLE, &out->port,
                                      &cause) ||
        !qmi_message_tlv_read_guint16(message, tlv, &offset, QMI_ENDIAN_LITTLE, &out->buffer_size,
                                      &cause))
        return truncated(error, "SCWS Open Channel", cause);
    if (out->port == 0) {
        g_set_error(error, MODEM_ERROR, MODEM_ERROR_MALFORMED, "SCWS Open Channel %u: port 0",
                    out->ch_id);
        return FALSE;
    }
    return TRUE;
}

gboolean modem_scws_parse_state(QmiMessage *message, ModemScwsState *out, GError **error)
{
    GError *cause = NULL;
    guint16 length = 0;
    gsize tlv, offset = 0;

    if ((tlv = qmi_message_tlv_read_init(message, 0x10, &length, &cause)) == 0 ||
        !qmi_message_tlv_read_guint32(message, tlv, &offset, QMI_ENDIAN_LITTLE, &out->ch_id,
                                      &cause) ||
        !qmi_message_tlv_read_guint8(message, tlv, &offset, &out->state, &cause))
        return truncated(error, "SCWS channel state", cause);
    if (out->state > 2) {
        g_set_error(error, MODEM_ERROR, MODEM_ERROR_MALFORMED, "SCWS channel %u: state %u",
                    out->ch_id, out->state);
        return FALSE;
    }
    return TRUE;
}

gboolean modem_scws_parse_data(QmiMessage *message, ModemScwsData *out, GError **error)
{
    GError *cause = NULL;
    guint16 length = 0, data_length = 0;
    gsize tlv, offset = 0;

    if ((tlv = qmi_message_tlv_read_init(message, 0x10, &length, &cause)) == 0 ||
        !qmi_message_tlv_read_guint32(message, tlv, &offset, QMI_ENDIAN_LITTLE, &out->ch_id,
                                      &cause) ||
        !qmi_message_tlv_read_guint8(message, tlv, &offset, &out->total, &cause) ||
        !qmi_message_tlv_read_guint8(message, tlv, &offset, &out->current, &cause) ||
        !qmi_message_tlv_read_guint16(message, tlv, &offset, QMI_ENDIAN_LITTLE, &data_length,
                                      &cause))
        return truncated(error, "SCWS Send Data", cause);
    out->length = data_length;
    if (!read_bytes(message, 0x10, offset, data_length, &out->data, "SCWS Send Data", error))
        return FALSE;
    if (out->length > MODEM_SCWS_MAX_PIECE || out->total == 0 || out->current == 0 ||
        out->current > out->total) {
        g_set_error(error, MODEM_ERROR, MODEM_ERROR_MALFORMED,
                    "SCWS Send Data: packet %u of %u with %zu bytes", out->current, out->total,
                    out->length);
        return FALSE;
    }
    return TRUE;
}

/* A channel id alone, for answering a message whose other fields do not read. */
gboolean modem_scws_parse_channel(QmiMessage *message, guint32 *ch_id)
{
    guint16 length = 0;
    gsize tlv, offset = 0;

    return (tlv = qmi_message_tlv_read_init(message, 0x10, &length, NULL)) != 0 &&
           qmi_message_tlv_read_guint32(message, tlv, &offset, QMI_ENDIAN_LITTLE, ch_id, NULL);
}

gboolean modem_qmi_response_ok(QmiMessage *response, const char *what, GError **error)
{
    GError *cause = NULL;
    guint16 length = 0, status = 0, code = 0;
    gsize tlv, offset = 0;

    if ((tlv = qmi_message_tlv_read_init(response, 0x02, &length, &cause)) == 0 ||
        !qmi_message_tlv_read_guint16(response, tlv, &offset, QMI_ENDIAN_LITTLE, &status, &cause) ||
        !qmi_message_tlv_read_guint16(response, tlv, &offset, QMI_ENDIAN_LITTLE, &code, &cause)) {
        g_set_error(error, MODEM_ERROR, MODEM_ERROR_MALFORMED, "%s: response without a result (%s)",
                    what, cause->message);
        g_error_free(cause);
        return FALSE;
    }
    if (status != 0) {
        g_set_error(error, MODEM_ERROR, MODEM_ERROR_FAILED, "%s: the modem answered error %u", what,
                    code);
        return FALSE;
    }
    return TRUE;
}
