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

GBytes *cat_error_response(const guint8 *data, gsize length, const GError *error)
{
    CatCommandDetails details;

    if (!cat_command_peek_details(data, length, &details))
        return NULL;
    return respond(&details, g_error_matches(error, CAT_ERROR, CAT_ERROR_MISSING)
                                 ? CAT_RESULT_VALUES_MISSING
                                 : CAT_RESULT_DATA_NOT_UNDERSTOOD);
}
