/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whole messages: the BER wrapper, the object list and the objects each message needs. */
#include "cat-private.h"

typedef struct {
    guint8 type;
    guint16 tags[3]; /* all of these must be present; 0 ends the list */
} Mandatory;

/* Beyond Command Details and Device Identities, which every command has. */
static const Mandatory command_objects[] = {
    { CAT_CMD_SET_UP_EVENT_LIST, { CAT_TAG_EVENT_LIST } },
    { CAT_CMD_SET_UP_CALL, { CAT_TAG_ADDRESS } },
    { CAT_CMD_SEND_SS, { CAT_TAG_SS_STRING } },
    { CAT_CMD_SEND_USSD, { CAT_TAG_USSD_STRING } },
    { CAT_CMD_SEND_SHORT_MESSAGE, { CAT_TAG_SMS_TPDU } },
    { CAT_CMD_SEND_DTMF, { CAT_TAG_DTMF_STRING } },
    { CAT_CMD_DISPLAY_TEXT, { CAT_TAG_TEXT_STRING } },
    { CAT_CMD_GET_INKEY, { CAT_TAG_TEXT_STRING } },
    { CAT_CMD_GET_INPUT, { CAT_TAG_TEXT_STRING, CAT_TAG_RESPONSE_LENGTH } },
    { CAT_CMD_SELECT_ITEM, { CAT_TAG_ITEM } },
    { CAT_CMD_SET_UP_MENU, { CAT_TAG_ITEM } },
    { CAT_CMD_TIMER_MANAGEMENT, { CAT_TAG_TIMER_IDENTIFIER } },
    { CAT_CMD_SET_UP_IDLE_MODE_TEXT, { CAT_TAG_TEXT_STRING } },
    { CAT_CMD_OPEN_CHANNEL, { CAT_TAG_BUFFER_SIZE } },
    { CAT_CMD_RECEIVE_DATA, { CAT_TAG_CHANNEL_DATA_LENGTH } },
    { CAT_CMD_SEND_DATA, { CAT_TAG_CHANNEL_DATA } },
};

void cat_message_free(CatMessage *message)
{
    if (message == NULL)
        return;
    g_clear_pointer(&message->bytes, g_bytes_unref);
    g_clear_pointer(&message->objects, g_array_unref);
    g_free(message);
}

const CatTlv *cat_message_find(const CatMessage *message, guint16 tag)
{
    for (guint i = 0; i < message->objects->len; i++) {
        const CatTlv *tlv = &g_array_index(message->objects, CatTlv, i);
        if (tlv->tag == tag)
            return tlv;
    }
    return NULL;
}

gboolean cat_message_get_command(const CatMessage *message, CatCommandDetails *details)
{
    const CatTlv *tlv = cat_message_find(message, CAT_TAG_COMMAND_DETAILS);

    return tlv != NULL && cat_parse_command_details(tlv, details, NULL);
}

gboolean cat_message_get_devices(const CatMessage *message, CatDeviceIdentities *devices)
{
    const CatTlv *tlv = cat_message_find(message, CAT_TAG_DEVICE_IDENTITIES);

    return tlv != NULL && cat_parse_device_identities(tlv, devices, NULL);
}

static gboolean require(const CatMessage *message, guint16 tag, const char *what, GError **error)
{
    char label[CAT_LABEL_SIZE];

    if (cat_message_find(message, tag) != NULL)
        return TRUE;
    g_set_error(error, CAT_ERROR, CAT_ERROR_MISSING, "%s: mandatory %s missing", what,
                cat_tag_label(tag, label));
    return FALSE;
}

static gboolean check_command(const CatMessage *message, GError **error)
{
    CatCommandDetails details;
    const CatTlv *tlv = cat_message_find(message, CAT_TAG_COMMAND_DETAILS);
    const char *name;
    char what[64];

    if (!require(message, CAT_TAG_COMMAND_DETAILS, "proactive command", error))
        return FALSE;
    if (!cat_parse_command_details(tlv, &details, error))
        return FALSE;
    name = cat_command_name(details.type);
    if (name != NULL)
        g_snprintf(what, sizeof(what), "%s", name);
    else
        g_snprintf(what, sizeof(what), "command 0x%02x", details.type);
    if (!require(message, CAT_TAG_DEVICE_IDENTITIES, what, error) ||
        !cat_parse_device_identities(cat_message_find(message, CAT_TAG_DEVICE_IDENTITIES), NULL,
                                     error))
        return FALSE;

    for (gsize i = 0; i < G_N_ELEMENTS(command_objects); i++) {
        if (command_objects[i].type != details.type)
            continue;
        for (gsize k = 0; k < G_N_ELEMENTS(command_objects[i].tags); k++) {
            guint16 tag = command_objects[i].tags[k];
            if (tag != 0 && !require(message, tag, what, error))
                return FALSE;
        }
    }
    /* REFRESH with file change notification (qualifiers 1 and 2) names the files. */
    if (details.type == CAT_CMD_REFRESH && (details.qualifier == 1 || details.qualifier == 2))
        return require(message, CAT_TAG_FILE_LIST, what, error);
    /* UICC server mode has a transport level and no bearer; the client modes a bearer. */
    if (details.type == CAT_CMD_OPEN_CHANNEL &&
        cat_message_find(message, CAT_TAG_TRANSPORT_LEVEL) == NULL &&
        cat_message_find(message, CAT_TAG_BEARER_DESCRIPTION) == NULL)
        return require(message, CAT_TAG_TRANSPORT_LEVEL, what, error);
    return TRUE;
}

static gboolean check_terminal_response(const CatMessage *message, GError **error)
{
    const CatTlv *result;

    if (!cat_parse_command_details(cat_message_find(message, CAT_TAG_COMMAND_DETAILS), NULL,
                                   error) ||
        !require(message, CAT_TAG_DEVICE_IDENTITIES, "terminal response", error) ||
        !cat_parse_device_identities(cat_message_find(message, CAT_TAG_DEVICE_IDENTITIES), NULL,
                                     error) ||
        !require(message, CAT_TAG_RESULT, "terminal response", error))
        return FALSE;
    result = cat_message_find(message, CAT_TAG_RESULT);
    if (result->length == 0) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED,
                    "result (0x03): length 0 at offset %zu, expected at least 1", result->offset);
        return FALSE;
    }
    return TRUE;
}

static gboolean check_envelope(const CatMessage *message, GError **error)
{
    const char *name = cat_envelope_name(message->ber_tag);
    const CatTlv *events;

    if (name == NULL)
        name = "envelope";
    if (!require(message, CAT_TAG_DEVICE_IDENTITIES, name, error) ||
        !cat_parse_device_identities(cat_message_find(message, CAT_TAG_DEVICE_IDENTITIES), NULL,
                                     error))
        return FALSE;
    switch (message->ber_tag) {
    case CAT_ENVELOPE_SMS_PP_DOWNLOAD:
        return require(message, CAT_TAG_SMS_TPDU, name, error);
    case CAT_ENVELOPE_EVENT_DOWNLOAD:
        if (!require(message, CAT_TAG_EVENT_LIST, name, error))
            return FALSE;
        events = cat_message_find(message, CAT_TAG_EVENT_LIST);
        if (events->length == 0) {
            g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED,
                        "event download: empty event list at offset %zu", events->offset);
            return FALSE;
        }
        return TRUE;
    case CAT_ENVELOPE_MENU_SELECTION:
        return require(message, CAT_TAG_ITEM_IDENTIFIER, name, error);
    default:
        return TRUE;
    }
}

/* Iterates @length bytes at @data (@base into the message) into @message->objects. */
static gboolean collect_objects(CatMessage *message, const guint8 *data, gsize length, gsize base,
                                GError **error)
{
    CatTlvIter iter;
    CatTlv tlv;
    int r;

    cat_tlv_iter_init(&iter, data, length, base);
    while ((r = cat_tlv_iter_next(&iter, &tlv, error)) > 0)
        g_array_append_val(message->objects, tlv);
    return r == 0;
}

CatMessage *cat_message_parse(const guint8 *data, gsize length, GError **error)
{
    g_autoptr(CatMessage) message = g_new0(CatMessage, 1);
    const guint8 *bytes;
    gsize body_length, used;

    if (length == 0) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_TRUNCATED, "empty message");
        return NULL;
    }
    message->bytes = g_bytes_new(data, length);
    message->objects = g_array_new(FALSE, FALSE, sizeof(CatTlv));
    bytes = g_bytes_get_data(message->bytes, NULL);

    if ((bytes[0] & 0x7f) == CAT_TAG_COMMAND_DETAILS) {
        message->kind = CAT_KIND_TERMINAL_RESPONSE;
        if (!collect_objects(message, bytes, length, 0, error) ||
            !check_terminal_response(message, error))
            return NULL;
        return g_steal_pointer(&message);
    }
    if (bytes[0] < CAT_BER_PROACTIVE_COMMAND || bytes[0] > 0xdf) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED,
                    "first byte 0x%02x is neither a BER tag D0-DF nor Command Details", bytes[0]);
        return NULL;
    }
    message->ber_tag = bytes[0];
    message->kind =
        bytes[0] == CAT_BER_PROACTIVE_COMMAND ? CAT_KIND_PROACTIVE_COMMAND : CAT_KIND_ENVELOPE;
    used = cat_ber_length_read(bytes + 1, length - 1, 1, &body_length, error);
    if (used == 0)
        return NULL;
    if (body_length > length - 1 - used) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_TRUNCATED,
                    "BER length %zu at offset 1 runs past the end (%zu bytes left)", body_length,
                    length - 1 - used);
        return NULL;
    }
    if (body_length < length - 1 - used) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED,
                    "%zu bytes of trailing data after the message at offset %zu",
                    length - 1 - used - body_length, 1 + used + body_length);
        return NULL;
    }
    if (!collect_objects(message, bytes + 1 + used, body_length, 1 + used, error))
        return NULL;
    if (message->kind == CAT_KIND_PROACTIVE_COMMAND ? !check_command(message, error)
                                                    : !check_envelope(message, error))
        return NULL;
    return g_steal_pointer(&message);
}

gboolean cat_command_peek_details(const guint8 *data, gsize length, CatCommandDetails *details)
{
    gsize body_length, used;
    CatTlvIter iter;
    CatTlv tlv;

    if (length < 2 || data[0] != CAT_BER_PROACTIVE_COMMAND)
        return FALSE;
    used = cat_ber_length_read(data + 1, length - 1, 1, &body_length, NULL);
    if (used == 0)
        return FALSE;
    /* Read as far as the bytes go, whatever the outer length claims. */
    cat_tlv_iter_init(&iter, data + 1 + used, MIN(body_length, length - 1 - used), 1 + used);
    while (cat_tlv_iter_next(&iter, &tlv, NULL) > 0) {
        if (tlv.tag == CAT_TAG_COMMAND_DETAILS)
            return cat_parse_command_details(&tlv, details, NULL);
    }
    return FALSE;
}
