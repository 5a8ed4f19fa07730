/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The values of the modem's CAT2 indications, checked before anything uses them. */
#include "libmodem-private.h"

static gboolean need(gsize length, gsize wanted, const char *what, GError **error)
{
    if (length >= wanted)
        return TRUE;
    g_set_error(error, MODEM_ERROR, MODEM_ERROR_TRUNCATED, "%s: %zu bytes, at least %zu needed",
                what, length, wanted);
    return FALSE;
}

gboolean modem_cat2_parse_raw_command(const guint8 *value, gsize length, ModemCat2RawCommand *out,
                                      GError **error)
{
    gsize command_length;

    if (!need(length, 6, "raw command", error))
        return FALSE;
    command_length = modem_le16(value + 4);
    if (command_length > length - 6) {
        g_set_error(error, MODEM_ERROR, MODEM_ERROR_TRUNCATED,
                    "raw command: %zu bytes announced, %zu there", command_length, length - 6);
        return FALSE;
    }
    out->ref = modem_le32(value);
    out->command = value + 6;
    out->length = command_length;
    return TRUE;
}

gboolean modem_scws_parse_open(const guint8 *value, gsize length, ModemScwsOpen *out,
                               GError **error)
{
    if (!need(length, 8, "SCWS Open Channel", error))
        return FALSE;
    out->ch_id = modem_le32(value);
    out->port = modem_le16(value + 4);
    out->buffer_size = modem_le16(value + 6);
    if (out->port == 0) {
        g_set_error(error, MODEM_ERROR, MODEM_ERROR_MALFORMED, "SCWS Open Channel %u: port 0",
                    out->ch_id);
        return FALSE;
    }
    return TRUE;
}

gboolean modem_scws_parse_state(const guint8 *value, gsize length, ModemScwsState *out,
                                GError **error)
{
    if (!need(length, 5, "SCWS channel state", error))
        return FALSE;
    out->ch_id = modem_le32(value);
    out->state = value[4];
    if (out->state > 2) {
        g_set_error(error, MODEM_ERROR, MODEM_ERROR_MALFORMED, "SCWS channel %u: state %u",
                    out->ch_id, out->state);
        return FALSE;
    }
    return TRUE;
}

gboolean modem_scws_parse_data(const guint8 *value, gsize length, ModemScwsData *out,
                               GError **error)
{
    if (!need(length, 8, "SCWS Send Data", error))
        return FALSE;
    out->ch_id = modem_le32(value);
    out->total = value[4];
    out->current = value[5];
    out->length = modem_le16(value + 6);
    out->data = value + 8;
    if (out->length > length - 8) {
        g_set_error(error, MODEM_ERROR, MODEM_ERROR_TRUNCATED,
                    "SCWS Send Data: %zu bytes announced, %zu there", out->length, length - 8);
        return FALSE;
    }
    if (out->length > MODEM_SCWS_MAX_PIECE || out->total == 0 || out->current == 0 ||
        out->current > out->total) {
        g_set_error(error, MODEM_ERROR, MODEM_ERROR_MALFORMED,
                    "SCWS Send Data: packet %u of %u with %zu bytes", out->current, out->total,
                    out->length);
        return FALSE;
    }
    return TRUE;
}
