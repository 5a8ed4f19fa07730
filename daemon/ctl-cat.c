/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dmscctl cat decode|encode: CAT messages offline, as the JSON of cat-json.md. */
#include "ctl.h"
#include "cat/cat.h"

#include <stdio.h>

/* cat/ hands over the body of a DM notification push; dm/ decodes it. */
static JsonNode *decode_dm_notification(const guint8 *body, gsize length, gpointer user_data)
{
    g_autoptr(DmNotification) notification = dm_notification_parse(body, length, NULL);

    return notification != NULL ? ctl_notification_to_json(notification, -1) : NULL;
}

static int cat_decode(int argc, char **argv)
{
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(CatMessage) message = NULL;
    g_autoptr(JsonNode) json = NULL;

    if (argc != 2)
        return ctl_fail(CTL_EXIT_USAGE, "usage: dmscctl cat decode HEX");
    if (!cat_hex_decode(argv[1], bytes))
        return ctl_fail(CTL_EXIT_DATAERR, "input is not hex");
    message = cat_message_parse(bytes->data, bytes->len, &error);
    if (message == NULL)
        return ctl_fail(CTL_EXIT_DATAERR, "%s", error->message);
    json = cat_message_to_json(message, decode_dm_notification, NULL);
    ctl_print_json(json);
    return CTL_EXIT_OK;
}

static int cat_encode(int argc, char **argv)
{
    g_autoptr(GBytes) input = NULL;
    g_autoptr(GBytes) output = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *hex = NULL;
    const char *data;
    gsize length;

    if (argc > 2)
        return ctl_fail(CTL_EXIT_USAGE, "usage: dmscctl cat encode [FILE|-]");
    if (!ctl_read_input(argc == 2 ? argv[1] : NULL, &input, &error))
        return ctl_fail(CTL_EXIT_NOINPUT, "%s", error->message);
    data = g_bytes_get_data(input, &length);
    if (!json_parser_load_from_data(parser, data, (gssize)length, &error))
        return ctl_fail(CTL_EXIT_DATAERR, "JSON: %s", error->message);
    output = cat_message_from_json(json_parser_get_root(parser), &error);
    if (output == NULL)
        return ctl_fail(CTL_EXIT_DATAERR, "%s", error->message);
    hex = cat_hex_encode(g_bytes_get_data(output, NULL), g_bytes_get_size(output));
    printf("%s\n", hex);
    return CTL_EXIT_OK;
}

int ctl_cat(int argc, char **argv)
{
    if (argc >= 2 && g_str_equal(argv[1], "decode"))
        return cat_decode(argc - 1, argv + 1);
    if (argc >= 2 && g_str_equal(argv[1], "encode"))
        return cat_encode(argc - 1, argv + 1);
    return ctl_fail(CTL_EXIT_USAGE, "usage: dmscctl cat decode HEX | cat encode [FILE|-]");
}
