/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dmscctl notification decode|encode: package #0 offline. */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

/* The nonce a server falls back to, and the default when none is given: 4 zero bytes. */
static const guint8 zero_nonce[4] = { 0 };

JsonNode *ctl_notification_to_json(const DmNotification *n, int digest_valid)
{
    JsonObject *o = json_object_new();
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);
    gsize vendor_length;
    const guint8 *vendor = g_bytes_get_data(n->vendor, &vendor_length);
    g_autofree char *vendor_hex = cat_hex_encode(vendor, vendor_length);
    g_autofree char *digest_hex = cat_hex_encode(n->digest, sizeof(n->digest));

    json_object_set_int_member(o, "version", n->version);
    json_object_set_string_member(o, "ui_mode", dm_ui_mode_name(n->ui_mode));
    json_object_set_string_member(o, "initiator", n->server_initiated ? "server" : "client");
    json_object_set_int_member(o, "session_id", n->session_id);
    json_object_set_string_member(o, "server_id", n->server_id);
    json_object_set_string_member(o, "vendor_hex", vendor_hex);
    json_object_set_string_member(o, "digest_hex", digest_hex);
    if (digest_valid < 0)
        json_object_set_null_member(o, "digest_valid");
    else
        json_object_set_boolean_member(o, "digest_valid", digest_valid > 0);
    json_node_take_object(node, o);
    return node;
}

static int notification_decode(int argc, char **argv)
{
    g_autofree char *password = NULL;
    g_autofree char *nonce_hex = NULL;
    const GOptionEntry entries[] = {
        { "password", 0, 0, G_OPTION_ARG_STRING, &password, "Server password to check the digest",
          "PW" },
        { "nonce-hex", 0, 0, G_OPTION_ARG_STRING, &nonce_hex,
          "Server nonce (default: four zero bytes)", "HEX" },
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("HEX - decode package #0");
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(GByteArray) nonce = g_byte_array_new();
    g_autoptr(DmNotification) notification = NULL;
    g_autoptr(JsonNode) json = NULL;
    int valid = -1;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, &error))
        return ctl_fail(CTL_EXIT_USAGE, "%s", error->message);
    if (argc != 2)
        return ctl_fail(CTL_EXIT_USAGE, "usage: dmscctl notification decode HEX "
                                        "[--password PW] [--nonce-hex HEX]");
    if (!cat_hex_decode(argv[1], bytes))
        return ctl_fail(CTL_EXIT_DATAERR, "input is not hex");
    if (nonce_hex != NULL && !cat_hex_decode(nonce_hex, nonce))
        return ctl_fail(CTL_EXIT_USAGE, "--nonce-hex: not hex");
    if (nonce_hex == NULL)
        g_byte_array_append(nonce, zero_nonce, sizeof(zero_nonce));

    notification = dm_notification_parse(bytes->data, bytes->len, &error);
    if (notification == NULL)
        return ctl_fail(CTL_EXIT_DATAERR, "%s", error->message);
    if (password != NULL)
        valid = dm_notification_verify(notification, password, nonce->data, nonce->len, zero_nonce,
                                       sizeof(zero_nonce), NULL);
    json = ctl_notification_to_json(notification, valid);
    ctl_print_json(json);
    return CTL_EXIT_OK;
}

static int notification_encode(int argc, char **argv)
{
    g_autofree char *server_id = NULL;
    g_autofree char *password = NULL;
    g_autofree char *nonce_hex = NULL;
    g_autofree char *ui_mode_name = NULL;
    g_autofree char *initiator = NULL;
    g_autofree char *vendor_hex = NULL;
    gint session_id = -1;
    const GOptionEntry entries[] = {
        { "server-id", 0, 0, G_OPTION_ARG_STRING, &server_id, "Server identifier", "ID" },
        { "password", 0, 0, G_OPTION_ARG_STRING, &password, "Server password", "PW" },
        { "session-id", 0, 0, G_OPTION_ARG_INT, &session_id, "Session id, 0-65535", "N" },
        { "nonce-hex", 0, 0, G_OPTION_ARG_STRING, &nonce_hex,
          "Server nonce (default: four zero bytes)", "HEX" },
        { "ui-mode", 0, 0, G_OPTION_ARG_STRING, &ui_mode_name,
          "not-specified, background, informative or user-interaction", "M" },
        { "initiator", 0, 0, G_OPTION_ARG_STRING, &initiator, "server (default) or client", "WHO" },
        { "vendor-hex", 0, 0, G_OPTION_ARG_STRING, &vendor_hex, "Vendor-specific bytes", "HEX" },
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- build package #0");
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) nonce = g_byte_array_new();
    g_autoptr(GByteArray) vendor = g_byte_array_new();
    g_autoptr(GBytes) package = NULL;
    DmUiMode ui_mode = DM_UI_MODE_NOT_SPECIFIED;
    gboolean server_initiated = TRUE;
    const guint8 *data;
    gsize length;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, &error))
        return ctl_fail(CTL_EXIT_USAGE, "%s", error->message);
    if (argc != 1 || server_id == NULL || password == NULL || session_id < 0)
        return ctl_fail(CTL_EXIT_USAGE, "usage: dmscctl notification encode --server-id ID "
                                        "--password PW --session-id N [--nonce-hex HEX] "
                                        "[--ui-mode M] [--initiator server|client] "
                                        "[--vendor-hex HEX]");
    if (session_id > 0xffff)
        return ctl_fail(CTL_EXIT_USAGE, "--session-id: %d is above 65535", session_id);
    if (ui_mode_name != NULL && !dm_ui_mode_from_name(ui_mode_name, &ui_mode))
        return ctl_fail(CTL_EXIT_USAGE, "--ui-mode: unknown mode \"%s\"", ui_mode_name);
    if (initiator != NULL && !g_str_equal(initiator, "server") && !g_str_equal(initiator, "client"))
        return ctl_fail(CTL_EXIT_USAGE, "--initiator: server or client, not \"%s\"", initiator);
    server_initiated = initiator == NULL || g_str_equal(initiator, "server");
    if (nonce_hex == NULL)
        g_byte_array_append(nonce, zero_nonce, sizeof(zero_nonce));
    else if (!cat_hex_decode(nonce_hex, nonce))
        return ctl_fail(CTL_EXIT_USAGE, "--nonce-hex: not hex");
    if (vendor_hex != NULL && !cat_hex_decode(vendor_hex, vendor))
        return ctl_fail(CTL_EXIT_USAGE, "--vendor-hex: not hex");

    package =
        dm_notification_build(server_id, password, nonce->data, nonce->len, (guint16)session_id,
                              ui_mode, server_initiated, vendor->data, vendor->len, &error);
    if (package == NULL)
        return ctl_fail(CTL_EXIT_USAGE, "%s", error->message);
    data = g_bytes_get_data(package, &length);
    g_autofree char *hex = cat_hex_encode(data, length);
    printf("%s\n", hex);
    return CTL_EXIT_OK;
}

int ctl_notification(int argc, char **argv)
{
    if (argc >= 2 && g_str_equal(argv[1], "decode"))
        return notification_decode(argc - 1, argv + 1);
    if (argc >= 2 && g_str_equal(argv[1], "encode"))
        return notification_encode(argc - 1, argv + 1);
    return ctl_fail(CTL_EXIT_USAGE, "usage: dmscctl notification decode|encode ...");
}
