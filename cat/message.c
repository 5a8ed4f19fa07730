/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whole messages: the BER wrapper, the object list and the objects each message needs. */
#include "cat-private.h"

#include <string.h>

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
    /* Objects and bytes share the message's allocation. */
    g_free(message);
}

const CatTlv *cat_message_find(const CatMessage *message, guint16 tag)
{
    for (guint i = 0; i < message->n_objects; i++) {
        if (message->objects[i].tag == tag)
            return &message->objects[i];
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

/* As require(), for a command: its name is formatted only for the error, which is rare. */
static gboolean require_for_command(const CatMessage *message, guint16 tag, guint8 type,
                                    GError **error)
{
    const char *name;
    char what[32];

    if (cat_message_find(message, tag) != NULL)
        return TRUE;
    name = cat_command_name(type);
    if (name == NULL) {
        g_snprintf(what, sizeof(what), "command 0x%02x", type);
        name = what;
    }
    return require(message, tag, name, error);
}

static gboolean check_command(const CatMessage *message, GError **error)
{
    CatCommandDetails details;
    const CatTlv *tlv = cat_message_find(message, CAT_TAG_COMMAND_DETAILS);

    if (!require(message, CAT_TAG_COMMAND_DETAILS, "proactive command", error))
        return FALSE;
    if (!cat_parse_command_details(tlv, &details, error))
        return FALSE;
    if (!require_for_command(message, CAT_TAG_DEVICE_IDENTITIES, details.type, error) ||
        !cat_parse_device_identities(cat_message_find(message, CAT_TAG_DEVICE_IDENTITIES), NULL,
                                     error))
        return FALSE;

    for (gsize i = 0; i < G_N_ELEMENTS(command_objects); i++) {
        if (command_objects[i].type != details.type)
            continue;
        for (gsize k = 0; k < G_N_ELEMENTS(command_objects[i].tags); k++) {
            guint16 tag = command_objects[i].tags[k];
            if (tag != 0 && !require_for_command(message, tag, details.type, error))
                return FALSE;
        }
    }
    /* REFRESH with file change notification (qualifiers 1 and 2) names the files. */
    if (details.type == CAT_CMD_REFRESH && (details.qualifier == 1 || details.qualifier == 2))
        return require_for_command(message, CAT_TAG_FILE_LIST, details.type, error);
    /* UICC server mode has a transport level and no bearer; the client modes a bearer. */
    if (details.type == CAT_CMD_OPEN_CHANNEL &&
        cat_message_find(message, CAT_TAG_TRANSPORT_LEVEL) == NULL &&
        cat_message_find(message, CAT_TAG_BEARER_DESCRIPTION) == NULL)
        return require_for_command(message, CAT_TAG_TRANSPORT_LEVEL, details.type, error);
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

/* How many objects @length bytes at @data (@base into the message) hold, or -1. */
static int count_objects(const guint8 *data, gsize length, gsize base, GError **error)
{
    CatTlvIter iter;
    CatTlv tlv;
    int count = 0, r;

    cat_tlv_iter_init(&iter, data, length, base);
    while ((r = cat_tlv_iter_next(&iter, &tlv, error)) > 0)
        count++;
    return r < 0 ? -1 : count;
}

/*
 * The message, its @count objects and a copy of its bytes in one allocation: a parse costs
 * one malloc, whatever the message holds. The objects point into the copy.
 */
static CatMessage *message_new(const guint8 *data, gsize length, gsize body, gsize base,
                               guint count)
{
    CatMessage *message = g_malloc0(sizeof(CatMessage) + count * sizeof(CatTlv) + length);
    guint8 *copy = (guint8 *)(message + 1) + count * sizeof(CatTlv);
    CatTlvIter iter;
    CatTlv tlv;
    guint i = 0;

    memcpy(copy, data, length);
    message->data = copy;
    message->length = length;
    message->objects = (CatTlv *)(message + 1);
    message->n_objects = count;
    cat_tlv_iter_init(&iter, copy + base, body, base);
    while (i < count && cat_tlv_iter_next(&iter, &tlv, NULL) > 0)
        message->objects[i++] = tlv;
    return message;
}

/* The BER wrapper of a command or envelope: where its objects start (0 on error). */
static gsize read_wrapper(const guint8 *data, gsize length, gsize *body_length, GError **error)
{
    gsize used = cat_ber_length_read(data + 1, length - 1, 1, body_length, error);

    if (used == 0)
        return 0;
    if (*body_length > length - 1 - used) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_TRUNCATED,
                    "BER length %zu at offset 1 runs past the end (%zu bytes left)", *body_length,
                    length - 1 - used);
        return 0;
    }
    if (*body_length < length - 1 - used) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED,
                    "%zu bytes of trailing data after the message at offset %zu",
                    length - 1 - used - *body_length, 1 + used + *body_length);
        return 0;
    }
    return 1 + used;
}

CatMessage *cat_message_parse(const guint8 *data, gsize length, GError **error)
{
    g_autoptr(CatMessage) message = NULL;
    gsize base = 0, body = length;
    gboolean check;
    int count;

    if (length == 0) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_TRUNCATED, "empty message");
        return NULL;
    }
    /* A terminal response has no wrapper: its first object is Command Details. */
    if ((data[0] & 0x7f) != CAT_TAG_COMMAND_DETAILS) {
        if (data[0] < CAT_BER_PROACTIVE_COMMAND || data[0] > 0xdf) {
            g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED,
                        "first byte 0x%02x is neither a BER tag D0-DF nor Command Details",
                        data[0]);
            return NULL;
        }
        base = read_wrapper(data, length, &body, error);
        if (base == 0)
            return NULL;
    }
    count = count_objects(data + base, body, base, error);
    if (count < 0)
        return NULL;
    message = message_new(data, length, body, base, (guint)count);
    if (base == 0) {
        message->kind = CAT_KIND_TERMINAL_RESPONSE;
        check = check_terminal_response(message, error);
    } else {
        message->ber_tag = data[0];
        message->kind =
            data[0] == CAT_BER_PROACTIVE_COMMAND ? CAT_KIND_PROACTIVE_COMMAND : CAT_KIND_ENVELOPE;
        check = message->kind == CAT_KIND_PROACTIVE_COMMAND ? check_command(message, error)
                                                            : check_envelope(message, error);
    }
    return check ? g_steal_pointer(&message) : NULL;
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
