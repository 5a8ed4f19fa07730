/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dmsc-sim --profile FILE [--control PATH]: a QMI modem on an abstract Unix socket, spoken
 * to through the qmi-proxy handshake by a real libqmi QmiDevice.
 * Profile (GKeyFile): [modem] socket=NAME (the abstract socket), imei= (DMS Get IDs),
 * uim-events=false (it refuses UIM Register Events: no card status), uim-refresh=false (the
 * modem refuses UIM REFRESH registration), full-function=false (it
 * keeps SEND SHORT MESSAGE to itself and expects Event Confirmation), config-mode=N (the CAT2
 * configuration mode it reports: 5 custom raw, where the host runs BIP, by default with
 * scws-mode=raw-bip, else 2, where the modem runs BIP and expects Event Confirmation); [card]
 * iccid=, bootstrap=FILE, inserted=false (the modem starts without its card); the card's own keys
 * are in card.c.
 */
#include "sim.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

static gboolean on_incoming(GSocketService *service, GSocketConnection *connection, GObject *source,
                            gpointer user_data)
{
    sim_client_start(user_data, connection);
    return TRUE;
}

static gboolean on_signal(gpointer user_data)
{
    g_main_loop_quit(((Sim *)user_data)->loop);
    return G_SOURCE_REMOVE;
}

static gboolean listen_qmux(Sim *sim, GError **error)
{
    g_autoptr(GSocketAddress) address =
        g_unix_socket_address_new_with_type(sim->socket_name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);

    sim->qmux = g_socket_service_new();
    if (!g_socket_listener_add_address(G_SOCKET_LISTENER(sim->qmux), address, G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error))
        return FALSE;
    g_signal_connect(sim->qmux, "incoming", G_CALLBACK(on_incoming), sim);
    g_socket_service_start(sim->qmux);
    return TRUE;
}

static void add_file(Sim *sim, const char *key, const char *hex_or_null, GBytes *bytes)
{
    if (bytes == NULL) {
        GByteArray *array = g_byte_array_new();
        for (gsize i = 0; hex_or_null[i] && hex_or_null[i + 1]; i += 2) {
            guint8 b = (guint8)(g_ascii_xdigit_value(hex_or_null[i]) << 4 |
                                g_ascii_xdigit_value(hex_or_null[i + 1]));
            g_byte_array_append(array, &b, 1);
        }
        bytes = g_byte_array_free_to_bytes(array);
    }
    g_hash_table_insert(sim->files, g_strdup(key), bytes);
}

/*
 * The card's files: EF ICCID from [card] iccid=, and with [card] bootstrap=FILE the PKCS#15
 * application (EF.DIR record 1 → 3F00/7F50), its ODF (→ DODF 5207) and DODF (→ 5301), and the
 * DM bootstrap file 3F00/7F50/5301 holding FILE.
 */
static gboolean load_card_files(Sim *sim, GKeyFile *profile, const char *profile_path,
                                GError **error)
{
    g_autofree char *iccid = g_key_file_get_string(profile, "card", "iccid", NULL);
    g_autofree char *bootstrap = g_key_file_get_string(profile, "card", "bootstrap", NULL);

    if (iccid != NULL) {
        GByteArray *bcd = g_byte_array_new();
        gsize n = strlen(iccid);
        for (gsize i = 0; i < 20; i += 2) {
            int low = i < n ? g_ascii_digit_value(iccid[i]) : 0xf;
            int high = i + 1 < n ? g_ascii_digit_value(iccid[i + 1]) : 0xf;
            guint8 b = (guint8)((low < 0 ? 0xf : low) | (high < 0 ? 0xf : high) << 4);
            g_byte_array_append(bcd, &b, 1);
        }
        add_file(sim, "3f002fe2", NULL, g_byte_array_free_to_bytes(bcd));
    }
    if (bootstrap != NULL) {
        g_autofree char *dir = g_path_get_dirname(profile_path);
        g_autofree char *path = g_path_is_absolute(bootstrap)
                                    ? g_strdup(bootstrap)
                                    : g_build_filename(dir, bootstrap, NULL);
        g_autofree char *content = NULL;
        gsize length;

        if (!g_file_get_contents(path, &content, &length, error))
            return FALSE;
        add_file(sim, "3f002f00#1",
                 "611c4f0ca000000063504b43532d31355006504b4353313551043f007f50ffffffff", NULL);
        add_file(sim, "3f007f505031", "a706300404025207ffff", NULL);
        add_file(sim, "3f007f505207",
                 "a11f30070c05626f6f743a3000a11230100604672b0701300804063f007f505301ffff", NULL);
        add_file(sim, "3f007f505301", NULL, g_bytes_new_take(g_steal_pointer(&content), length));
    }
    return TRUE;
}

static void pending_free(SimPending *pending)
{
    g_clear_object(&pending->reply_to);
    g_free(pending);
}

int main(int argc, char **argv)
{
    g_autofree char *profile_path = NULL;
    g_autofree char *control_path = NULL;
    const GOptionEntry entries[] = {
        { "profile", 0, 0, G_OPTION_ARG_FILENAME, &profile_path, "Profile", "FILE" },
        { "control", 0, 0, G_OPTION_ARG_FILENAME, &control_path, "Control socket", "PATH" },
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- QMI modem simulator");
    g_autoptr(GKeyFile) profile = g_key_file_new();
    g_autoptr(GError) error = NULL;
    Sim sim = { 0 };

    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, &error) || profile_path == NULL) {
        fprintf(stderr, "dmsc-sim: %s\n", error ? error->message : "--profile is needed");
        return 64;
    }
    if (!g_key_file_load_from_file(profile, profile_path, G_KEY_FILE_NONE, &error)) {
        fprintf(stderr, "dmsc-sim: %s: %s\n", profile_path, error->message);
        return 66;
    }
    sim.socket_name = g_key_file_get_string(profile, "modem", "socket", NULL);
    sim.imei = g_key_file_get_string(profile, "modem", "imei", NULL);
    sim.card_absent = g_key_file_has_key(profile, "card", "inserted", NULL) &&
                      !g_key_file_get_boolean(profile, "card", "inserted", NULL);
    {
        g_autofree char *scws_mode = g_key_file_get_string(profile, "modem", "scws-mode", NULL);
        int mode = g_key_file_get_integer(profile, "modem", "config-mode", NULL);
        /* Raw BIP to the host needs the host's terminal profile: custom raw. */
        if (g_key_file_has_key(profile, "modem", "config-mode", NULL) && mode >= 0 && mode <= 6)
            sim.config_mode = (guint8)mode;
        else
            sim.config_mode = g_strcmp0(scws_mode, "raw-bip") == 0 ? 5 : 2;
    }
    sim.refuse_full_function = g_key_file_has_key(profile, "modem", "full-function", NULL) &&
                               !g_key_file_get_boolean(profile, "modem", "full-function", NULL);
    sim.refuse_uim_events = g_key_file_has_key(profile, "modem", "uim-events", NULL) &&
                            !g_key_file_get_boolean(profile, "modem", "uim-events", NULL);
    sim.refuse_uim_refresh = g_key_file_has_key(profile, "modem", "uim-refresh", NULL) &&
                             !g_key_file_get_boolean(profile, "modem", "uim-refresh", NULL);
    sim.files =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
    if (!load_card_files(&sim, profile, profile_path, &error)) {
        fprintf(stderr, "dmsc-sim: %s: %s\n", profile_path, error->message);
        return 65;
    }
    sim.clients = g_ptr_array_new_with_free_func((GDestroyNotify)sim_client_free);
    sim.cids = g_ptr_array_new_with_free_func(g_free);
    sim.pending = g_ptr_array_new_with_free_func((GDestroyNotify)pending_free);
    sim.envelopes = g_ptr_array_new_with_free_func(g_free);
    sim.scws_acks = g_ptr_array_new_with_free_func(g_free);
    sim.held = g_ptr_array_new_with_free_func((GDestroyNotify)sim_held_free);
    {
        g_autofree char *dir = g_path_get_dirname(profile_path);
        sim.card = sim_card_new(&sim, profile, dir, &error);
        if (sim.card == NULL) {
            fprintf(stderr, "dmsc-sim: %s: %s\n", profile_path, error->message);
            return 65;
        }
    }
    /* The handlers come before the control socket: whoever sees the socket may stop us at
     * once, and the socket must then go with us. */
    sim.loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_signal, &sim);
    g_unix_signal_add(SIGINT, on_signal, &sim);
    if (!listen_qmux(&sim, &error) ||
        (control_path != NULL && !sim_control_listen(&sim, control_path, &error))) {
        fprintf(stderr, "dmsc-sim: %s\n", error->message);
        return 69;
    }
    printf("dmsc-sim: listening on @%s\n", sim.socket_name);
    fflush(stdout);
    g_main_loop_run(sim.loop);
    g_main_loop_unref(sim.loop);
    g_ptr_array_unref(sim.pending);
    g_ptr_array_unref(sim.cids);
    g_ptr_array_unref(sim.clients);
    g_ptr_array_unref(sim.envelopes);
    g_ptr_array_unref(sim.scws_acks);
    g_ptr_array_unref(sim.held);
    sim_card_free(sim.card);
    g_hash_table_unref(sim.files);
    g_clear_object(&sim.qmux);
    g_clear_object(&sim.control);
    if (control_path != NULL)
        g_unlink(control_path);
    g_free(sim.socket_name);
    g_free(sim.imei);
    return 0;
}
