/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The simulator's control socket, one command a line:
 *   command HEX   send a proactive command; answers "tr HEX" when dmscd has answered it,
 *                 "confirmed C D" for a command the modem runs (Event Confirmation: user
 *                 confirmed, icon shown) and "tr-refused HEX" for a TR to such a command
 *   busy          "busy" while the card waits for an answer to its own command, else "idle"
 *   cids          the client ids allocated now: "cids SERVICE:CID …"
 *   allocations   how many client ids each service gave out since start: "allocations S:N …"
 *   scws-send CH TOTAL CURRENT HEX   one SCWS Send Data packet, as the modem sends it
 *   scws-acks     dmscd's Send Data acknowledgements: "ack CH RESULT" a line, then "end"
 *   hold-allocations, held, release-allocations   CTL Allocate CID requests go unanswered
 *                 (a modem slow to start), how many wait, then they are all answered
 *   envelopes     the envelopes received so far, one "envelope HEX" a line, then "end"
 *   scws-counts   "scws-counts CONNECTIONS REQUESTS": the clients the card's web server heard
 *                 of and the requests it answered, since start
 *   channel-counts "channel-counts COMMANDS SCWS IN OUT": the proactive commands the card
 *                 sent, the QMI SCWS messages it sent and took, and the bytes of its clients'
 *                 requests and of its answers, since start
 *   drop          the modem vanishes: every QMUX connection is closed
 *   trigger       the card sends its DM notification by SEND SHORT MESSAGE
 *   file PATH HEX|-          replaces or removes a card file ("3f002fe2", "3f002f00#1")
 *   refresh [FILE-PATH…]     the modem runs a REFRESH (see run_refresh)
 *   refresh-event MODE STAGE one REFRESH report: UIM {stage, mode} to the clients registered
 *                            for REFRESH, or else CAT2 TLV 0x19 {mode, stage}
 *   remove-card, insert-card the card is taken out of the modem or put back
 * Errors are answered "error TEXT".
 */
#include "sim.h"

#include "cat/cat.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    Sim *sim;
    GSocketConnection *connection;
    GDataInputStream *input;
} Control;

void sim_control_reply(GOutputStream *out, const char *format, ...)
{
    va_list args;
    g_autofree char *text = NULL;

    va_start(args, format);
    text = g_strdup_vprintf(format, args);
    va_end(args);
    g_output_stream_write_all(out, text, strlen(text), NULL, NULL, NULL);
}

/* Compact hex, as the control commands take it; NULL for anything else. */
static GByteArray *parse_hex(const char *text)
{
    g_autoptr(GByteArray) out = g_byte_array_new();

    if (strpbrk(text, " \t") != NULL || !cat_hex_decode(text, out))
        return NULL;
    return g_steal_pointer(&out);
}

/*
 * "refresh [FILE-PATH…]": the modem runs a REFRESH for the card, a file change notification
 * for the paths given (hex from the MF, "3f002fe2") or an initialisation with a full one
 * without. Through UIM when a client registered for it (START, the clients' Refresh
 * Complete, END); otherwise reported in CAT2 TLV 0x19 (start, then success).
 */
static void run_refresh(Control *c, GOutputStream *out, const char *paths)
{
    g_auto(GStrv) words = g_strsplit(paths, " ", -1);
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    g_autoptr(GError) error = NULL;

    for (char **w = words; *w != NULL; w++) {
        GByteArray *path;
        if (**w == '\0')
            continue;
        path = parse_hex(*w);
        if (path == NULL || path->len < 2 || path->len % 2 != 0 || path->len > 10) {
            if (path != NULL)
                g_byte_array_unref(path);
            sim_control_reply(out, "error not a file path: %s\n", *w);
            return;
        }
        g_ptr_array_add(files, path);
    }
    if (c->sim->card_absent) {
        sim_control_reply(out, "error no card\n");
        return;
    }
    /* QMI UIM modes: 3 file change notification, 4 initialisation and full FCN. */
    if (sim_uim_refresh(c->sim, files->len > 0 ? 3 : 4, files, out, NULL))
        return;
    /* CAT modes (the command qualifier): 1 file change notification, 0 init and full FCN. */
    if (!sim_send_refresh(c->sim, files->len > 0 ? 1 : 0, 1, &error) ||
        !sim_send_refresh(c->sim, files->len > 0 ? 1 : 0, 2, &error))
        sim_control_reply(out, "error %s\n", error->message);
    else
        sim_control_reply(out, "refreshed\n");
}

/* The card is taken out of the modem (@present FALSE) or put back. */
static void set_card(Control *c, GOutputStream *out, gboolean present)
{
    Sim *sim = c->sim;
    SimCid *cat = sim_find_cid(sim, SIM_SERVICE_CAT2);

    if (sim->card_absent == !present) {
        sim_control_reply(out, "error the card is %s\n", present ? "in" : "out");
        return;
    }
    sim->card_absent = !present;
    if (!present) {
        /* What the card was doing ends with it. */
        g_ptr_array_set_size(sim->pending, 0);
        sim_uim_reset(sim);
        sim_card_reset(sim->card);
    }
    sim_uim_card_changed(sim);
    if (present && cat != NULL && cat->raw_mask != 0)
        sim_card_registered(sim->card, cat->decoded_mask);
    sim_control_reply(out, present ? "inserted\n" : "removed\n");
}

static void run_line(Control *c, char *line)
{
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(c->connection));
    g_autoptr(GError) error = NULL;

    g_strstrip(line);
    if (g_str_has_prefix(line, "command ")) {
        g_autoptr(GByteArray) bytes = parse_hex(g_strstrip(line + 8));
        if (bytes == NULL)
            sim_control_reply(out, "error not hex\n");
        else if (!sim_send_proactive(c->sim, bytes->data, bytes->len, out, &error))
            sim_control_reply(out, "error %s\n", error->message);
    } else if (g_str_has_prefix(line, "scws-send ")) {
        /* "scws-send CH TOTAL CURRENT HEX": one SCWS Send Data packet, as the modem sends it. */
        g_auto(GStrv) words = g_strsplit(line + 10, " ", 4);
        g_autoptr(GByteArray) data = NULL;
        SimCid *cid = sim_find_cid(c->sim, SIM_SERVICE_CAT2);
        guint64 ch, total, current;
        if (g_strv_length(words) != 4 ||
            !g_ascii_string_to_unsigned(words[0], 10, 1, G_MAXUINT32, &ch, NULL) ||
            !g_ascii_string_to_unsigned(words[1], 10, 0, 255, &total, NULL) ||
            !g_ascii_string_to_unsigned(words[2], 10, 0, 255, &current, NULL) ||
            (data = parse_hex(words[3])) == NULL || data->len > 0xffff) {
            sim_control_reply(out, "error scws-send CH TOTAL CURRENT HEX\n");
        } else if (cid == NULL) {
            sim_control_reply(out, "error no CAT2 client\n");
        } else {
            g_autoptr(GByteArray) value = g_byte_array_new();
            guint8 head[8] = { (guint8)ch,         (guint8)(ch >> 8),       (guint8)(ch >> 16),
                               (guint8)(ch >> 24), (guint8)total,           (guint8)current,
                               (guint8)data->len,  (guint8)(data->len >> 8) };
            g_byte_array_append(value, head, sizeof(head));
            g_byte_array_append(value, data->data, data->len);
            sim_client_indicate(cid->client, SIM_SERVICE_CAT2, cid->cid, 0x0029, 0x10, value->data,
                                value->len);
            sim_control_reply(out, "sent\n");
        }
    } else if (g_str_equal(line, "scws-acks")) {
        for (guint i = 0; i < c->sim->scws_acks->len; i++)
            sim_control_reply(out, "ack %s\n",
                              (const char *)g_ptr_array_index(c->sim->scws_acks, i));
        sim_control_reply(out, "end\n");
    } else if (g_str_equal(line, "hold-allocations")) {
        c->sim->hold_allocations = TRUE;
        sim_control_reply(out, "holding\n");
    } else if (g_str_equal(line, "held")) {
        sim_control_reply(out, "held %u\n", c->sim->held->len);
    } else if (g_str_equal(line, "release-allocations")) {
        sim_release_allocations(c->sim);
        sim_control_reply(out, "released\n");
    } else if (g_str_equal(line, "allocations")) {
        g_autoptr(GString) text = g_string_new("allocations");
        for (guint service = 0; service < G_N_ELEMENTS(c->sim->allocations); service++) {
            if (c->sim->allocations[service] > 0)
                g_string_append_printf(text, " %u:%u", service, c->sim->allocations[service]);
        }
        sim_control_reply(out, "%s\n", text->str);
    } else if (g_str_equal(line, "busy")) {
        sim_control_reply(out, "%s\n", sim_card_busy(c->sim->card) ? "busy" : "idle");
    } else if (g_str_equal(line, "cids")) {
        g_autoptr(GString) text = g_string_new("cids");
        for (guint i = 0; i < c->sim->cids->len; i++) {
            SimCid *cid = g_ptr_array_index(c->sim->cids, i);
            g_string_append_printf(text, " %u:%u", cid->service, cid->cid);
        }
        sim_control_reply(out, "%s\n", text->str);
    } else if (g_str_equal(line, "scws-counts")) {
        guint connections = 0, requests = 0;
        if (c->sim->card != NULL)
            sim_card_scws_counts(c->sim->card, &connections, &requests);
        sim_control_reply(out, "scws-counts %u %u\n", connections, requests);
    } else if (g_str_equal(line, "channel-counts")) {
        guint commands = 0, scws_messages = 0;
        guint64 bytes_in = 0, bytes_out = 0;
        if (c->sim->card != NULL)
            sim_card_channel_counts(c->sim->card, &commands, &scws_messages, &bytes_in, &bytes_out);
        sim_control_reply(out, "channel-counts %u %u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\n",
                          commands, scws_messages, bytes_in, bytes_out);
    } else if (g_str_equal(line, "envelopes")) {
        for (guint i = 0; i < c->sim->envelopes->len; i++)
            sim_control_reply(out, "envelope %s\n",
                              (const char *)g_ptr_array_index(c->sim->envelopes, i));
        sim_control_reply(out, "end\n");
    } else if (g_str_has_prefix(line, "file ")) {
        /* "file PATH HEX" replaces a card file, "file PATH -" removes it. */
        g_auto(GStrv) words = g_strsplit(line + 5, " ", 2);
        g_autoptr(GByteArray) bytes = NULL;
        if (g_strv_length(words) != 2)
            sim_control_reply(out, "error file PATH HEX|-\n");
        else if (g_str_equal(words[1], "-"))
            sim_control_reply(out, g_hash_table_remove(c->sim->files, words[0])
                                       ? "removed\n"
                                       : "error no file\n");
        else if ((bytes = parse_hex(words[1])) == NULL)
            sim_control_reply(out, "error not hex\n");
        else {
            g_hash_table_insert(c->sim->files, g_strdup(words[0]),
                                g_byte_array_free_to_bytes(g_steal_pointer(&bytes)));
            sim_control_reply(out, "stored\n");
        }
    } else if (g_str_equal(line, "refresh") || g_str_has_prefix(line, "refresh ")) {
        run_refresh(c, out, line + 7);
    } else if (g_str_has_prefix(line, "refresh-event ")) {
        guint mode, stage;
        if (sscanf(line + 14, "%u %u", &mode, &stage) != 2 || mode > 0xff || stage > 0xff)
            sim_control_reply(out, "error refresh-event MODE STAGE\n");
        else if (sim_uim_refresh_event(c->sim, (guint8)stage, (guint8)mode))
            sim_control_reply(out, "refreshed\n");
        else if (!sim_send_refresh(c->sim, (guint16)mode, (guint8)stage, &error))
            sim_control_reply(out, "error %s\n", error->message);
        else
            sim_control_reply(out, "refreshed\n");
    } else if (g_str_equal(line, "trigger")) {
        sim_card_trigger(c->sim->card);
        sim_control_reply(out, "triggered\n");
    } else if (g_str_equal(line, "remove-card") || g_str_equal(line, "insert-card")) {
        set_card(c, out, g_str_equal(line, "insert-card"));
    } else if (g_str_equal(line, "drop")) {
        sim_uim_reset(c->sim);
        g_ptr_array_set_size(c->sim->clients, 0);
        g_ptr_array_set_size(c->sim->cids, 0);
        g_ptr_array_set_size(c->sim->pending, 0);
        sim_card_reset(c->sim->card);
        sim_control_reply(out, "dropped\n");
    } else {
        sim_control_reply(out, "error unknown command\n");
    }
}

static void on_line(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Control *c = user_data;
    g_autofree char *line =
        g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), result, NULL, NULL);

    if (line == NULL) {
        g_object_unref(c->input);
        g_object_unref(c->connection);
        g_free(c);
        return;
    }
    run_line(c, line);
    g_data_input_stream_read_line_async(c->input, G_PRIORITY_DEFAULT, NULL, on_line, c);
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *connection, GObject *source,
                            gpointer user_data)
{
    Control *c = g_new0(Control, 1);

    c->sim = user_data;
    c->connection = g_object_ref(connection);
    c->input = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(connection)));
    g_data_input_stream_read_line_async(c->input, G_PRIORITY_DEFAULT, NULL, on_line, c);
    return TRUE;
}

gboolean sim_control_listen(Sim *sim, const char *path, GError **error)
{
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);

    sim->control = g_socket_service_new();
    if (!g_socket_listener_add_address(G_SOCKET_LISTENER(sim->control), address,
                                       G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL,
                                       error))
        return FALSE;
    g_signal_connect(sim->control, "incoming", G_CALLBACK(on_incoming), sim);
    g_socket_service_start(sim->control);
    return TRUE;
}
