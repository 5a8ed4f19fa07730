/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dmsc-dm-server: the scripted DM server as a program, for tests and the modem simulator.
 *   dmsc-dm-server --script FILE [--record FILE] [--port N] [--path /dm] [--server-id ID]
 *                  [--auth none|basic|md5|hmac] [--encoding xml|wbxml]
 *                  [--server-name N --server-password P] [--client-name N --client-password P]
 *                  [--client-nonce-hex HEX] [--server-nonce-hex HEX] [--once]
 * Prints "http://127.0.0.1:PORT/PATH" when it listens; writes the record (JSON lines) after
 * every exchange; with --once, exits when the session has ended.
 */
#include "script-server.h"

#include <glib-unix.h>
#include <stdio.h>

typedef struct {
    ScriptServer *server;
    char *record;
    gboolean once;
    GMainLoop *loop;
    guint records_written;
} Program;

static GBytes *hex_bytes(const char *hex)
{
    GByteArray *out = g_byte_array_new();

    for (gsize i = 0; hex != NULL && hex[i] && hex[i + 1]; i += 2) {
        guint8 b = (guint8)(g_ascii_xdigit_value(hex[i]) << 4 | g_ascii_xdigit_value(hex[i + 1]));
        g_byte_array_append(out, &b, 1);
    }
    return g_byte_array_free_to_bytes(out);
}

static gboolean poll_records(gpointer user_data)
{
    Program *p = user_data;
    GPtrArray *records = script_server_get_records(p->server);

    if (p->record != NULL && records->len != p->records_written) {
        g_autoptr(GString) text = g_string_new(NULL);
        for (guint i = 0; i < records->len; i++)
            g_string_append_printf(text, "%s\n", (const char *)g_ptr_array_index(records, i));
        g_file_set_contents(p->record, text->str, (gssize)text->len, NULL);
        p->records_written = records->len;
    }
    if (p->once && script_server_is_finished(p->server))
        g_main_loop_quit(p->loop);
    return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer user_data)
{
    g_main_loop_quit(((Program *)user_data)->loop);
    return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
    g_autofree char *script_path = NULL, *path = NULL, *server_id = NULL, *auth = NULL;
    g_autofree char *encoding = NULL, *server_name = NULL, *server_password = NULL;
    g_autofree char *client_name = NULL, *client_password = NULL;
    g_autofree char *client_nonce = NULL, *server_nonce = NULL, *script = NULL;
    g_autofree char *tls_cert = NULL, *tls_key = NULL;
    gint port = 0;
    Program p = { 0 };
    const GOptionEntry entries[] = {
        { "script", 0, 0, G_OPTION_ARG_FILENAME, &script_path, "Script", "FILE" },
        { "record", 0, 0, G_OPTION_ARG_FILENAME, &p.record, "Record (JSON lines)", "FILE" },
        { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port on 127.0.0.1 (0: any)", "N" },
        { "path", 0, 0, G_OPTION_ARG_STRING, &path, "HTTP path (/dm)", "PATH" },
        { "server-id", 0, 0, G_OPTION_ARG_STRING, &server_id, "Server id", "ID" },
        { "auth", 0, 0, G_OPTION_ARG_STRING, &auth, "none, basic, md5 or hmac", "TYPE" },
        { "encoding", 0, 0, G_OPTION_ARG_STRING, &encoding, "xml or wbxml", "E" },
        { "server-name", 0, 0, G_OPTION_ARG_STRING, &server_name, "Server name", "N" },
        { "server-password", 0, 0, G_OPTION_ARG_STRING, &server_password, "Password", "P" },
        { "client-name", 0, 0, G_OPTION_ARG_STRING, &client_name, "Client name", "N" },
        { "client-password", 0, 0, G_OPTION_ARG_STRING, &client_password, "Password", "P" },
        { "client-nonce-hex", 0, 0, G_OPTION_ARG_STRING, &client_nonce, "Nonce", "HEX" },
        { "server-nonce-hex", 0, 0, G_OPTION_ARG_STRING, &server_nonce, "Nonce", "HEX" },
        { "once", 0, 0, G_OPTION_ARG_NONE, &p.once, "Exit when the session ends", NULL },
        { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "HTTPS: certificate (PEM)", "FILE" },
        { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "HTTPS: its key (PEM)", "FILE" },
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- scripted DM server");
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) cn = NULL, sn = NULL;
    ScriptServerConfig config = { 0 };
    guint16 bound;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, &error) || script_path == NULL) {
        fprintf(stderr, "dmsc-dm-server: %s\n", error ? error->message : "--script is needed");
        return 64;
    }
    if (!g_file_get_contents(script_path, &script, NULL, &error)) {
        fprintf(stderr, "dmsc-dm-server: %s\n", error->message);
        return 66;
    }
    if (auth != NULL && !dm_auth_type_parse(auth, &config.auth)) {
        fprintf(stderr, "dmsc-dm-server: unknown --auth %s\n", auth);
        return 64;
    }
    cn = hex_bytes(client_nonce);
    sn = hex_bytes(server_nonce);
    config.server_id = server_id ? server_id : "dm.server";
    config.server_name = server_name ? server_name : config.server_id;
    config.server_password = server_password ? server_password : "";
    config.client_name = client_name ? client_name : "";
    config.client_password = client_password ? client_password : "";
    config.client_nonce = cn;
    config.server_nonce = sn;
    config.encoding = g_strcmp0(encoding, "wbxml") == 0 ? DM_ENCODING_WBXML : DM_ENCODING_XML;
    p.server = script_server_new(&config, script, &error);
    if (p.server == NULL) {
        fprintf(stderr, "dmsc-dm-server: %s\n", error->message);
        return 65;
    }
    if (tls_cert != NULL) {
        g_autoptr(GTlsCertificate) certificate =
            g_tls_certificate_new_from_files(tls_cert, tls_key ? tls_key : tls_cert, &error);
        if (certificate == NULL) {
            fprintf(stderr, "dmsc-dm-server: %s\n", error->message);
            return 66;
        }
        script_server_set_tls(p.server, certificate);
    }
    bound = script_server_listen(p.server, path ? path : "/dm", (guint16)port, &error);
    if (bound == 0) {
        fprintf(stderr, "dmsc-dm-server: %s\n", error->message);
        return 69;
    }
    printf("%s://127.0.0.1:%u%s\n", tls_cert != NULL ? "https" : "http", bound,
           path ? path : "/dm");
    fflush(stdout);
    p.loop = g_main_loop_new(NULL, FALSE);
    g_timeout_add(20, poll_records, &p);
    g_unix_signal_add(SIGTERM, on_signal, &p);
    g_unix_signal_add(SIGINT, on_signal, &p);
    g_main_loop_run(p.loop);
    poll_records(&p);
    g_main_loop_unref(p.loop);
    script_server_free(p.server);
    g_free(p.record);
    return 0;
}
