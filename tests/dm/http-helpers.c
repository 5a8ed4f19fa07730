/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scripted DM server behind real HTTP on loopback, and a proxy in front of it (see
 * http-helpers.h). */
#include "http-helpers.h"

#include <libsoup/soup.h>
#include <string.h>

/* --- A proxy that cuts connections, as a server closing a kept-alive one does ---------------- */

typedef struct {
    guint16 upstream;
    guint cut; /* connections still to cut */
    guint connections;
    gboolean cut_reuse;
    guint reuses_cut;
    gboolean trickle;
    guint pieces; /* of the answers, with trickle */
    gboolean truncate;
} Proxy;

typedef struct {
    GSocketConnection *connection;
    guint8 buffer[CUT_REQUEST_SIZE - 1];
} Cut;

char cut_request[CUT_REQUEST_SIZE];

static void on_cut_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Cut *cut = user_data;
    gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, NULL);

    memset(cut_request, 0, sizeof(cut_request));
    if (n > 0)
        memcpy(cut_request, cut->buffer, (gsize)n);
    /* The request came; the answer never will. */
    g_io_stream_close(G_IO_STREAM(cut->connection), NULL, NULL);
    g_object_unref(cut->connection);
    g_free(cut);
}

static void on_spliced(GObject *source, GAsyncResult *result, gpointer user_data)
{
    (void)g_io_stream_splice_finish(result, NULL);
}

/* A connection that carries one exchange: a second request on it is not answered, the
 * connection is closed, as a server whose keep-alive time ran out just as the client reused
 * the connection does. */
typedef struct {
    Proxy *proxy;
    GSocketConnection *client;
    GSocketConnection *upstream;
    guint requests;
    guint8 buffer[4096];
} Relay;

static void relay_free(Relay *relay)
{
    g_io_stream_close(G_IO_STREAM(relay->client), NULL, NULL);
    g_io_stream_close(G_IO_STREAM(relay->upstream), NULL, NULL);
    g_object_unref(relay->client);
    g_object_unref(relay->upstream);
    g_free(relay);
}

static void relay_read(Relay *relay);

static void on_relay_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Relay *relay = user_data;
    gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, NULL);
    GOutputStream *upstream = g_io_stream_get_output_stream(G_IO_STREAM(relay->upstream));

    if (n <= 0) {
        relay_free(relay);
        return;
    }
    /* A request is sent once the answer before it came: a read that starts one starts with it. */
    if (n >= 5 && memcmp(relay->buffer, "POST ", 5) == 0 && relay->requests++ > 0) {
        relay->proxy->reuses_cut++;
        relay_free(relay);
        return;
    }
    /* A request fits the socket's buffer: the server, in this thread too, reads it later. */
    if (!g_output_stream_write_all(upstream, relay->buffer, (gsize)n, NULL, NULL, NULL)) {
        relay_free(relay);
        return;
    }
    relay_read(relay);
}

static void relay_read(Relay *relay)
{
    g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(relay->client)),
                              relay->buffer, sizeof(relay->buffer), G_PRIORITY_DEFAULT, NULL,
                              on_relay_read, relay);
}

static void on_answers_relayed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    (void)g_output_stream_splice_finish(G_OUTPUT_STREAM(source), result, NULL);
}

static void relay_start(Proxy *proxy, GSocketConnection *client, GSocketConnection *upstream)
{
    Relay *relay = g_new0(Relay, 1);

    relay->proxy = proxy;
    relay->client = g_object_ref(client);
    relay->upstream = g_object_ref(upstream);
    g_output_stream_splice_async(g_io_stream_get_output_stream(G_IO_STREAM(client)),
                                 g_io_stream_get_input_stream(G_IO_STREAM(upstream)),
                                 G_OUTPUT_STREAM_SPLICE_NONE, G_PRIORITY_DEFAULT, NULL,
                                 on_answers_relayed, NULL);
    relay_read(relay);
}

/* --- Answers as a poor network passes them on: a few bytes at a time, or cut short ----------- */

/* What passes at a time, and how often: small and odd, so that every line of the head and the
 * body's start arrive split. */
#define PIECE_SIZE        7
#define PIECE_INTERVAL_MS 1
/* What passes of a truncated answer's body before the connection is closed. */
#define TRUNCATED_BODY 10

typedef struct {
    Proxy *proxy;
    GSocketConnection *client;
    GSocketConnection *upstream;
    guint8 buffer[4096];
    GByteArray *pending; /* read from the server, not yet passed on */
} Answers;

static void answers_free(Answers *answers)
{
    g_io_stream_close(G_IO_STREAM(answers->client), NULL, NULL);
    g_io_stream_close(G_IO_STREAM(answers->upstream), NULL, NULL);
    g_object_unref(answers->client);
    g_object_unref(answers->upstream);
    g_byte_array_unref(answers->pending);
    g_free(answers);
}

static void answers_read(Answers *answers);

static gboolean pass_on(Answers *answers, gsize length)
{
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(answers->client));
    gboolean ok = g_output_stream_write_all(out, answers->pending->data, length, NULL, NULL, NULL);

    g_byte_array_remove_range(answers->pending, 0, (guint)length);
    return ok;
}

static gboolean on_piece_due(gpointer user_data)
{
    Answers *answers = user_data;

    answers->proxy->pieces++;
    if (!pass_on(answers, MIN(answers->pending->len, PIECE_SIZE))) {
        answers_free(answers);
        return G_SOURCE_REMOVE;
    }
    if (answers->pending->len > 0)
        return G_SOURCE_CONTINUE;
    answers_read(answers);
    return G_SOURCE_REMOVE;
}

/* The length of the head and TRUNCATED_BODY bytes of body, once that much is there; else 0. */
static gsize truncated_length(const GByteArray *pending)
{
    const char *data = (const char *)pending->data;
    const char *end = g_strstr_len(data, pending->len, "\r\n\r\n");
    gsize head = end != NULL ? (gsize)(end - data) + 4 : 0;

    return head != 0 && pending->len > head + TRUNCATED_BODY ? head + TRUNCATED_BODY : 0;
}

static void on_answers_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Answers *answers = user_data;
    gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, NULL);
    gsize cut_at;

    if (n <= 0) {
        answers_free(answers);
        return;
    }
    g_byte_array_append(answers->pending, answers->buffer, (guint)n);
    if (answers->proxy->trickle) {
        g_timeout_add(PIECE_INTERVAL_MS, on_piece_due, answers);
        return;
    }
    /* Truncate: the head and the body's start, then the connection goes. */
    cut_at = truncated_length(answers->pending);
    if (cut_at == 0) {
        answers_read(answers);
        return;
    }
    (void)pass_on(answers, cut_at);
    answers_free(answers);
}

static void answers_read(Answers *answers)
{
    g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(answers->upstream)),
                              answers->buffer, sizeof(answers->buffer), G_PRIORITY_DEFAULT, NULL,
                              on_answers_read, answers);
}

static void answers_start(Proxy *proxy, GSocketConnection *client, GSocketConnection *upstream)
{
    Answers *answers = g_new0(Answers, 1);

    answers->proxy = proxy;
    answers->client = g_object_ref(client);
    answers->upstream = g_object_ref(upstream);
    answers->pending = g_byte_array_new();
    /* Requests go to the server as they come. */
    g_output_stream_splice_async(g_io_stream_get_output_stream(G_IO_STREAM(upstream)),
                                 g_io_stream_get_input_stream(G_IO_STREAM(client)),
                                 G_OUTPUT_STREAM_SPLICE_NONE, G_PRIORITY_DEFAULT, NULL,
                                 on_answers_relayed, NULL);
    answers_read(answers);
}

static gboolean on_proxy_incoming(GSocketService *service, GSocketConnection *connection,
                                  GObject *source, gpointer user_data)
{
    Proxy *proxy = user_data;
    g_autoptr(GSocketClient) client = NULL;
    g_autoptr(GSocketConnection) upstream = NULL;

    proxy->connections++;
    if (proxy->cut > 0) {
        Cut *cut = g_new0(Cut, 1);
        proxy->cut--;
        cut->connection = g_object_ref(connection);
        g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(connection)),
                                  cut->buffer, sizeof(cut->buffer), G_PRIORITY_DEFAULT, NULL,
                                  on_cut_read, cut);
        return TRUE;
    }
    client = g_socket_client_new();
    upstream = g_socket_client_connect_to_host(client, "127.0.0.1", proxy->upstream, NULL, NULL);
    ck_assert_ptr_nonnull(upstream);
    if (proxy->cut_reuse) {
        relay_start(proxy, connection, upstream);
        return TRUE;
    }
    if (proxy->trickle || proxy->truncate) {
        answers_start(proxy, connection, upstream);
        return TRUE;
    }
    g_io_stream_splice_async(G_IO_STREAM(connection), G_IO_STREAM(upstream),
                             G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                             G_PRIORITY_DEFAULT, NULL, on_spliced, NULL);
    return TRUE;
}

static GSocketService *proxy_new(Proxy *proxy, guint16 *port)
{
    GSocketService *service = g_socket_service_new();

    *port = g_socket_listener_add_any_inet_port(G_SOCKET_LISTENER(service), NULL, NULL);
    ck_assert_uint_ne(*port, 0);
    g_signal_connect(service, "incoming", G_CALLBACK(on_proxy_incoming), proxy);
    g_socket_service_start(service);
    return service;
}

guint proxy_connections;
guint proxy_reuses_cut;
guint proxy_pieces;

static const guint8 client_nonce[] = { 'c', 'n', 'o', 'n', 'c', 'e' };
static const guint8 server_nonce[] = { 's', 'n' };

void on_finished(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Run *run = user_data;

    run->ok = dm_session_runner_run_finish(run->runner, result, &run->error);
    run->done = TRUE;
    g_main_loop_quit(run->loop);
}

static gboolean answer_later(gpointer user_data)
{
    Run *run = user_data;
    const char *items[] = { NULL };

    dm_session_runner_answer_alert(run->runner, run->confirm_answer, items);
    return G_SOURCE_REMOVE;
}

/* The "user": a display is acknowledged at once, a confirmation a little later. */
static void on_alert(DmSessionRunner *runner, const DmAlertRequest *alert, gpointer user_data)
{
    Run *run = user_data;

    run->alerts++;
    if (alert->code == 1100)
        dm_session_runner_answer_alert(runner, 200, NULL);
    else
        g_timeout_add(30, answer_later, run);
}

static int exec_handler(const char *uri, const char *data, const char *correlator, gpointer d)
{
    return g_strcmp0(uri, "./Vendor/Reboot") == 0 ? 202 : 0;
}

GPtrArray *run_script(const Setup *setup, const char *script, DmTree *tree, DmSessionResult *result,
                      DmTree **tree_out, GError **error)
{
    g_autoptr(GBytes) cn = g_bytes_new_static(client_nonce, sizeof(client_nonce));
    g_autoptr(GBytes) sn = g_bytes_new_static(server_nonce, sizeof(server_nonce));
    ScriptServerConfig server_config = {
        .server_id = "srv",
        .auth = setup->auth,
        .server_name = "srv",
        .server_password = "spw",
        .client_name = "dev",
        .client_password = "cpw",
        .client_nonce = cn,
        .server_nonce = sn,
        .encoding = setup->encoding,
        .chunk_size = setup->chunk_size,
        .wrong_chunk_size = setup->wrong_chunk_size,
        .max_msg_size = setup->max_msg_size,
        .oversized = setup->oversized,
    };
    g_autoptr(ScriptServer) server = script_server_new(&server_config, script, NULL);
    g_autoptr(GError) listen_error = NULL;
    guint16 port = script_server_listen(server, "/dm", 0, &listen_error);
    Proxy proxy = { .upstream = port,
                    .cut = setup->cut,
                    .cut_reuse = setup->cut_reuse,
                    .trickle = setup->trickle,
                    .truncate = setup->truncate };
    g_autoptr(GSocketService) proxy_service = NULL;
    guint16 proxy_port = 0;
    g_autofree char *uri = NULL;
    DmSessionConfig config = {
        .server_id = "srv",
        .client_id = "IMEI:1",
        .session_id = "1A",
        .server_initiated = TRUE,
        .client_auth = setup->auth,
        .client_name = "dev",
        .client_password = setup->client_password_sent ? setup->client_password_sent : "cpw",
        .client_nonce = cn,
        .server_auth = setup->auth,
        .server_name = "srv",
        .server_password = setup->server_password_known ? setup->server_password_known : "spw",
        .server_nonce = sn,
        .encoding = setup->encoding,
        .exec = exec_handler,
    };
    g_autoptr(DmSession) session = NULL;
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Run run = { .loop = loop,
                .confirm_answer = setup->confirm_answer ? setup->confirm_answer : 200 };

    ck_assert_msg(port != 0, "%s", listen_error ? listen_error->message : "");
    if (setup->cut > 0 || setup->proxied || setup->cut_reuse || setup->trickle || setup->truncate)
        proxy_service = proxy_new(&proxy, &proxy_port);
    uri = g_strdup_printf("http://127.0.0.1:%u/dm", proxy_service != NULL ? proxy_port : port);
    config.server_uri = uri;
    session = dm_session_new(tree, &config);
    run.runner = dm_session_runner_new(session, 10, "dmscd-test", on_alert, &run);
    dm_session_runner_run_async(run.runner, NULL, on_finished, &run);
    if (!run.done)
        g_main_loop_run(loop);
    dm_session_runner_free(run.runner);
    if (proxy_service != NULL)
        g_socket_service_stop(proxy_service);
    proxy_connections = proxy.connections;
    proxy_reuses_cut = proxy.reuses_cut;
    proxy_pieces = proxy.pieces;
    *result = dm_session_get_result(session);
    if (tree_out != NULL)
        *tree_out = dm_session_steal_tree(session);
    if (error != NULL)
        *error = run.error;
    else
        g_clear_error(&run.error);
    return g_ptr_array_ref(script_server_get_records(server));
}

gboolean has_record(GPtrArray *records, const char *fragment)
{
    for (guint i = 0; i < records->len; i++) {
        if (strstr(g_ptr_array_index(records, i), fragment) != NULL)
            return TRUE;
    }
    return FALSE;
}
