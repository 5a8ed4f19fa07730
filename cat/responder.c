/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The terminal responses dmscd gives to commands it does not act on. */
#include "cat-private.h"

static GBytes *respond(const CatCommandDetails *details, guint8 general)
{
    g_autoptr(GByteArray) tr = cat_terminal_response_new(details, general, NULL, 0);
    return g_byte_array_free_to_bytes(g_steal_pointer(&tr));
}

GBytes *cat_default_response(const CatMessage *command)
{
    CatCommandDetails details;

    if (!cat_message_get_command(command, &details))
        return NULL;
    /* A type TS 102 223 does not define (or dmscd does not know) is not understood. */
    if (cat_command_name(details.type) == NULL)
        return respond(&details, CAT_RESULT_TYPE_NOT_UNDERSTOOD);
    switch (details.type) {
    case CAT_CMD_MORE_TIME:
    case CAT_CMD_POLLING_OFF:
    case CAT_CMD_LANGUAGE_NOTIFICATION:
    case CAT_CMD_SET_UP_EVENT_LIST:
    case CAT_CMD_REFRESH:
        return respond(&details, CAT_RESULT_OK);
    default:
        return respond(&details, CAT_RESULT_BEYOND_CAPABILITIES);
    }
}

/* Command Details as the first object of bytes that lack the D0 wrapper (or carry another). */
static gboolean details_unwrapped(const guint8 *data, gsize length, CatCommandDetails *details)
{
    CatTlvIter iter;
    CatTlv tlv;

    cat_tlv_iter_init(&iter, data, length, 0);
    return cat_tlv_iter_next(&iter, &tlv, NULL) > 0 && tlv.tag == CAT_TAG_COMMAND_DETAILS &&
           cat_parse_command_details(&tlv, details, NULL);
}

GBytes *cat_error_response(const guint8 *data, gsize length, const GError *error)
{
    /* Nothing to echo: command number 1, and a type of none. */
    CatCommandDetails details = { .number = 1 };

    if (!cat_command_peek_details(data, length, &details) &&
        !details_unwrapped(data, length, &details))
        return respond(&details, CAT_RESULT_DATA_NOT_UNDERSTOOD);
    if (g_error_matches(error, CAT_ERROR, CAT_ERROR_MISSING))
        return respond(&details, CAT_RESULT_VALUES_MISSING);
    if (cat_command_name(details.type) == NULL)
        return respond(&details, CAT_RESULT_TYPE_NOT_UNDERSTOOD);
    return respond(&details, CAT_RESULT_DATA_NOT_UNDERSTOOD);
}
