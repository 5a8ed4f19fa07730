/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The session engine against the scripted DM server, over real HTTP on loopback. */
#include "script-server.h"
#include "tests/check-run.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include "tests/dm/session-helpers.h"

typedef struct {
    DmAuthType auth;
    DmEncoding encoding;
    const char *client_password_sent;  /* what dmscd uses (the server expects "cpw") */
    const char *server_password_known; /* what dmscd expects (the server uses "spw") */
    gsize chunk_size;
    gboolean wrong_chunk_size;
    gsize max_msg_size;
    int confirm_answer; /* what the "user" answers to ALERT-CONFIRM */
    guint cut;          /* connections a proxy in front cuts once it read their request */
    gboolean proxied;   /* a proxy in front, counting connections, even when it cuts none */
    gboolean cut_reuse; /* the proxy closes a connection the client sends a second request on */
    gboolean oversized; /* the server ignores the client's MaxMsgSize */
} Setup;

/* --- A proxy that cuts connections, as a server closing a kept-alive one does ---------------- */

typedef struct {
    guint16 upstream;
    guint cut; /* connections still to cut */
    guint connections;
    gboolean cut_reuse;
    guint reuses_cut;
} Proxy;

typedef struct {
    GSocketConnection *connection;
    guint8 buffer[512];
} Cut;

/* The start of the last request a proxy cut: what dmscd's HTTP client sends. */
static char cut_request[sizeof(((Cut *)NULL)->buffer) + 1];

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

static guint proxy_connections; /* of the last run_script() with a proxy */
static guint proxy_reuses_cut;

typedef struct {
    GMainLoop *loop;
    gboolean done;
    gboolean ok;
    GError *error;
    DmSessionRunner *runner;
    int confirm_answer;
    guint alerts;
} Run;

static const guint8 client_nonce[] = { 'c', 'n', 'o', 'n', 'c', 'e' };
static const guint8 server_nonce[] = { 's', 'n' };

static void on_finished(GObject *source, GAsyncResult *result, gpointer user_data)
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

/* Runs @script against a session on @tree; returns the records, and the session's tree. */
static GPtrArray *run_script(const Setup *setup, const char *script, DmTree *tree,
                             DmSessionResult *result, DmTree **tree_out, GError **error)
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
    Proxy proxy = { .upstream = port, .cut = setup->cut, .cut_reuse = setup->cut_reuse };
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
    if (setup->cut > 0 || setup->proxied || setup->cut_reuse)
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
    *result = dm_session_get_result(session);
    if (tree_out != NULL)
        *tree_out = dm_session_steal_tree(session);
    if (error != NULL)
        *error = run.error;
    else
        g_clear_error(&run.error);
    return g_ptr_array_ref(script_server_get_records(server));
}

static gboolean has_record(GPtrArray *records, const char *fragment)
{
    for (guint i = 0; i < records->len; i++) {
        if (strstr(g_ptr_array_index(records, i), fragment) != NULL)
            return TRUE;
    }
    return FALSE;
}

#define ASSERT_RECORD(records, fragment)                                                          \
    do {                                                                                          \
        g_autofree char *all = joined(records);                                                   \
        ck_assert_msg(has_record(records, fragment), "no record with %s in:\n%s", fragment, all); \
    } while (0)

static const char every_command[] = "# every command, in two packages\n"
                                    "ADD ./Vendor/App node\n"
                                    "ADD ./Vendor/App/Name chr hello\\tworld\n"
                                    "REPLACE ./Vendor/App/Name chr hello again\n"
                                    "GET ./Vendor/App/Name\n"
                                    "GET ./DevInfo/DevId\n"
                                    "COPY ./Vendor/App ./Vendor/Copy\n"
                                    "EXEC ./Vendor/Reboot now\n"
                                    "PACKAGE\n"
                                    "ATOMIC-BEGIN\n"
                                    "ADD ./Vendor/A1 chr 1\n"
                                    "ADD ./Vendor/A2 chr 2\n"
                                    "ATOMIC-END\n"
                                    "SEQUENCE-BEGIN\n"
                                    "DELETE ./Vendor/Copy\n"
                                    "GET ./Vendor?list=Struct\n"
                                    "SEQUENCE-END\n"
                                    "ALERT-DISPLAY Updating\n"
                                    "ALERT-CONFIRM Go on?\n"
                                    "DELETE ./Nope\n"
                                    "REPLACE ./DevInfo/Man chr evil\n";

static void check_every_command(DmEncoding encoding, DmAuthType auth)
{
    Setup setup = { .auth = auth, .encoding = encoding };
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(DmTree) after = NULL;
    g_autoptr(GPtrArray) records = NULL;
    g_autoptr(GError) error = NULL;
    DmSessionResult result;
    DmNodeInfo info;

    ck_assert(dm_tree_add(tree, NULL, "./Vendor", "node", NULL, NULL, 0) == 200);
    ck_assert(dm_tree_add(tree, NULL, "./Vendor/Reboot", "chr", NULL, NULL, 0) == 200);
    dm_tree_replace_property(tree, NULL, "./Vendor", "ACL",
                             "Add=srv&Delete=srv&Exec=srv&Get=srv&Replace=srv");
    records = run_script(&setup, every_command, tree, &result, &after, &error);
    ck_assert_msg(error == NULL, "%s", error ? error->message : "");
    ck_assert_int_eq(result, DM_SESSION_RESULT_OK);
    ASSERT_RECORD(records, "{\"cmd\":\"Add\",\"target\":\"./Vendor/App\",\"status\":200}");
    ASSERT_RECORD(records, "{\"cmd\":\"Replace\",\"target\":\"./Vendor/App/Name\",\"status\":200}");
    ASSERT_RECORD(records, "{\"cmd\":\"Get\",\"target\":\"./Vendor/App/Name\",\"status\":200,"
                           "\"format\":\"chr\",\"data\":\"hello again\"}");
    ASSERT_RECORD(records, "\"target\":\"./DevInfo/DevId\",\"status\":200,\"format\":\"chr\","
                           "\"data\":\"000000011234564\"");
    ASSERT_RECORD(records, "{\"cmd\":\"Copy\",\"target\":\"./Vendor/Copy\",\"status\":200}");
    ASSERT_RECORD(records, "{\"cmd\":\"Exec\",\"target\":\"./Vendor/Reboot\",\"status\":202}");
    ASSERT_RECORD(records, "{\"cmd\":\"Atomic\",\"target\":\"\",\"status\":200}");
    ASSERT_RECORD(records, "{\"cmd\":\"Add\",\"target\":\"./Vendor/A2\",\"status\":200}");
    ASSERT_RECORD(records, "{\"cmd\":\"Sequence\",\"target\":\"\",\"status\":200}");
    ASSERT_RECORD(records, "{\"cmd\":\"Delete\",\"target\":\"./Vendor/Copy\",\"status\":200}");
    ASSERT_RECORD(records, "{\"cmd\":\"Get\",\"target\":\"./Vendor/"
                           "A1\",\"status\":200,\"format\":\"chr\",\"data\":\"\"}");
    ASSERT_RECORD(records, "{\"cmd\":\"Alert\",\"target\":\"\",\"status\":200}");
    ASSERT_RECORD(records, "{\"cmd\":\"Delete\",\"target\":\"./Nope\",\"status\":404}");
    ASSERT_RECORD(records, "{\"cmd\":\"Replace\",\"target\":\"./DevInfo/Man\",\"status\":405}");
    ASSERT_RECORD(records, "{\"session\":\"end\",\"packages\":2,\"auth\":\"ok\"}");
    ck_assert_ptr_nonnull(after);
    ck_assert(dm_tree_get(after, "./Vendor/App/Name", &info));
    ck_assert_mem_eq(info.value, "hello again", 11);
    ck_assert(dm_tree_exists(after, "./Vendor/A1"));
    ck_assert(!dm_tree_exists(after, "./Vendor/Copy"));
    ck_assert(!dm_tree_exists(tree, "./Vendor/App"));
}

START_TEST(every_command_over_http_in_xml)
{
    check_every_command(DM_ENCODING_XML, DM_AUTH_NONE);
}
END_TEST

/* Run with http_proxy naming a port nothing listens on (tests/dm/meson.build): a DM server on
 * this machine is reached directly, never through a proxy. */
START_TEST(a_loopback_server_is_reached_without_the_proxy)
{
    ck_assert_ptr_nonnull(g_getenv("http_proxy"));
    check_every_command(DM_ENCODING_XML, DM_AUTH_NONE);
}
END_TEST

START_TEST(every_command_over_http_in_wbxml)
{
    check_every_command(DM_ENCODING_WBXML, DM_AUTH_NONE);
}
END_TEST

/* Each auth type both ways, in both encodings. */
START_TEST(each_auth_type_authenticates_both_sides)
{
    static const DmAuthType types[] = { DM_AUTH_BASIC, DM_AUTH_MD5, DM_AUTH_HMAC };
    Setup setup = { .auth = types[_i / 2],
                    .encoding = _i % 2 ? DM_ENCODING_WBXML : DM_ENCODING_XML };
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(DmTree) after = NULL;
    g_autoptr(GPtrArray) records = NULL;
    DmSessionResult result;

    records = run_script(&setup, "ADD ./X chr 1\n", tree, &result, &after, NULL);
    ck_assert_int_eq(result, DM_SESSION_RESULT_OK);
    ASSERT_RECORD(records, "{\"cmd\":\"SyncHdr\"");
    ASSERT_RECORD(records, "\"status\":212");
    ASSERT_RECORD(records, "{\"cmd\":\"Add\",\"target\":\"./X\",\"status\":200}");
    ASSERT_RECORD(records, "\"auth\":\"ok\"");
    ck_assert(dm_tree_exists(after, "./X"));
}
END_TEST

START_TEST(a_server_that_fails_authentication_changes_nothing)
{
    static const DmAuthType types[] = { DM_AUTH_BASIC, DM_AUTH_MD5, DM_AUTH_HMAC };
    Setup setup = { .auth = types[_i], .server_password_known = "other" };
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(DmTree) after = NULL;
    g_autoptr(GPtrArray) records = NULL;
    DmSessionResult result;

    records = run_script(&setup, "ADD ./X chr 1\n", tree, &result, &after, NULL);
    ck_assert_int_eq(result, DM_SESSION_RESULT_AUTH_FAILED);
    ck_assert_ptr_null(after);
    ck_assert(!dm_tree_exists(tree, "./X"));
    ASSERT_RECORD(records, "\"cmd\":\"SyncHdr\"");
    ASSERT_RECORD(records, "\"status\":401");
    ASSERT_RECORD(records, "\"auth\":\"failed\"");
    ck_assert(!has_record(records, "\"cmd\":\"Add\""));
}
END_TEST

START_TEST(a_client_the_server_rejects_gives_up_after_retries)
{
    Setup setup = { .auth = DM_AUTH_MD5, .client_password_sent = "wrong" };
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(GPtrArray) records = NULL;
    DmSessionResult result;

    records = run_script(&setup, "ADD ./X chr 1\n", tree, &result, NULL, NULL);
    ck_assert_int_eq(result, DM_SESSION_RESULT_AUTH_FAILED);
    ASSERT_RECORD(records, "\"auth\":\"failed\"");
}
END_TEST

START_TEST(large_object_arrives_in_chunks)
{
    Setup setup = { .chunk_size = 100 };
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(DmTree) after = NULL;
    g_autoptr(GPtrArray) records = NULL;
    g_autofree char *value = g_strnfill(350, 'q');
    g_autofree char *script = g_strdup_printf("ADD ./Big chr %s\nGET ./DevInfo/Mod\n", value);
    DmSessionResult result;
    DmNodeInfo info;

    records = run_script(&setup, script, tree, &result, &after, NULL);
    ck_assert_int_eq(result, DM_SESSION_RESULT_OK);
    ASSERT_RECORD(records, "{\"cmd\":\"Add\",\"target\":\"./Big\",\"status\":213}");
    ASSERT_RECORD(records, "{\"cmd\":\"Add\",\"target\":\"./Big\",\"status\":200}");
    ASSERT_RECORD(records, "\"data\":\"A780\"");
    ck_assert(dm_tree_get(after, "./Big", &info));
    ck_assert_uint_eq(info.value_length, 350);
}
END_TEST

START_TEST(large_object_of_the_wrong_size_is_424)
{
    Setup setup = { .chunk_size = 100, .wrong_chunk_size = TRUE };
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(DmTree) after = NULL;
    g_autoptr(GPtrArray) records = NULL;
    g_autofree char *value = g_strnfill(250, 'q');
    g_autofree char *script = g_strdup_printf("ADD ./Big chr %s\n", value);
    DmSessionResult result;

    records = run_script(&setup, script, tree, &result, &after, NULL);
    ASSERT_RECORD(records, "{\"cmd\":\"Add\",\"target\":\"./Big\",\"status\":424}");
    ck_assert(!dm_tree_exists(after, "./Big"));
}
END_TEST

START_TEST(large_results_go_out_in_chunks_within_max_msg_size)
{
    Setup setup = { .max_msg_size = 1200 };
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(GPtrArray) records = NULL;
    g_autofree char *value = g_strnfill(5000, 'z');
    g_autofree char *expected = g_strdup_printf("\"data\":\"%s\"", value);
    DmSessionResult result;

    dm_tree_add(tree, NULL, "./Big", "chr", NULL, (const guint8 *)value, 5000);
    records = run_script(&setup, "GET ./Big\nGET ./DevInfo/Man\nGET ./DevInfo/Mod\n", tree, &result,
                         NULL, NULL);
    ck_assert_int_eq(result, DM_SESSION_RESULT_OK);
    ASSERT_RECORD(records, expected);
    ASSERT_RECORD(records, "\"data\":\"A780\"");
}
END_TEST

START_TEST(many_statuses_are_split_over_messages_with_1222)
{
    Setup setup = { .max_msg_size = 1500 };
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(GPtrArray) records = NULL;
    g_autoptr(GString) script = g_string_new(NULL);
    DmSessionResult result;

    for (int i = 0; i < 40; i++)
        g_string_append_printf(script, "GET ./DevInfo/DevId\nDELETE ./Missing%d\n", i);
    records = run_script(&setup, script->str, tree, &result, NULL, NULL);
    ck_assert_int_eq(result, DM_SESSION_RESULT_OK);
    ASSERT_RECORD(records, "\"target\":\"./Missing39\",\"status\":404");
    /* Alert 1222 was answered by the server. */
    ASSERT_RECORD(records, "\"auth\":\"ok\"");
}
END_TEST

START_TEST(a_refused_confirmation_is_304_and_asked_asynchronously)
{
    Setup setup = { .confirm_answer = 304 };
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(DmTree) after = NULL;
    g_autoptr(GPtrArray) records = NULL;
    DmSessionResult result;

    records = run_script(&setup, "ATOMIC-BEGIN\nALERT-CONFIRM Sure?\nADD ./X chr 1\nATOMIC-END\n",
                         tree, &result, &after, NULL);
    ck_assert_int_eq(result, DM_SESSION_RESULT_OK);
    ASSERT_RECORD(records, "{\"cmd\":\"Alert\",\"target\":\"\",\"status\":304}");
    ASSERT_RECORD(records, "{\"cmd\":\"Atomic\",\"target\":\"\",\"status\":507}");
    ASSERT_RECORD(records, "{\"cmd\":\"Add\",\"target\":\"./X\",\"status\":215}");
    ck_assert(!dm_tree_exists(after, "./X"));
}
END_TEST

START_TEST(an_unreachable_server_aborts_and_keeps_the_tree)
{
    Setup setup = { 0 };
    g_autoptr(DmTree) tree = aosp_tree();
    DmSessionConfig config = { .server_id = "srv",
                               .server_uri = "http://127.0.0.1:1/dm",
                               .client_id = "IMEI:1",
                               .session_id = "1" };
    g_autoptr(DmSession) session = dm_session_new(tree, &config);
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Run run = { .loop = loop };

    (void)setup;
    run.runner = dm_session_runner_new(session, 5, NULL, NULL, NULL);
    dm_session_runner_run_async(run.runner, NULL, on_finished, &run);
    if (!run.done)
        g_main_loop_run(loop);
    ck_assert(!run.ok);
    ck_assert(g_error_matches(run.error, DM_ERROR, DM_ERROR_TRANSPORT));
    ck_assert_int_eq(dm_session_get_result(session), DM_SESSION_RESULT_ABORTED);
    ck_assert_ptr_null(dm_session_steal_tree(session));
    g_clear_error(&run.error);
    dm_session_runner_free(run.runner);
}
END_TEST

/* A server that keeps its connection open has the whole session on it: the connection is set
 * up once, not once a message (the scripted server is libsoup's, which keeps connections). */
START_TEST(a_server_that_keeps_its_connection_has_the_whole_session_on_it)
{
    Setup setup = { .auth = DM_AUTH_MD5, .encoding = DM_ENCODING_XML, .proxied = TRUE };
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(DmTree) after = NULL;
    g_autoptr(GPtrArray) records = NULL;
    g_autoptr(GError) error = NULL;
    DmSessionResult result;

    ck_assert(dm_tree_add(tree, NULL, "./Vendor", "node", NULL, NULL, 0) == 200);
    dm_tree_replace_property(tree, NULL, "./Vendor", "ACL", "Add=srv&Get=srv&Replace=srv");
    records = run_script(&setup, "ADD ./Vendor/A chr a\nPACKAGE\nREPLACE ./Vendor/A chr b\n", tree,
                         &result, &after, &error);
    ck_assert_msg(error == NULL, "%s", error ? error->message : "");
    ck_assert_int_eq(result, DM_SESSION_RESULT_OK);
    /* Three messages each way, at least: two packages and the end. */
    ASSERT_RECORD(records, "{\"session\":\"end\",\"packages\":2,\"auth\":\"ok\"}");
    ck_assert_uint_eq(proxy_connections, 1);
}
END_TEST

/* A server that closes a kept-alive connection just as the client sends on it again: each such
 * POST goes again, once, on a new connection, and the session does not notice. */
START_TEST(a_kept_connection_closed_as_it_is_reused_costs_a_post_again_not_the_session)
{
    Setup setup = { .auth = DM_AUTH_MD5, .encoding = DM_ENCODING_XML, .cut_reuse = TRUE };
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(DmTree) after = NULL;
    g_autoptr(GPtrArray) records = NULL;
    g_autoptr(GError) error = NULL;
    DmSessionResult result;

    ck_assert(dm_tree_add(tree, NULL, "./Vendor", "node", NULL, NULL, 0) == 200);
    dm_tree_replace_property(tree, NULL, "./Vendor", "ACL", "Add=srv&Get=srv&Replace=srv");
    records = run_script(&setup, "ADD ./Vendor/A chr a\nPACKAGE\nREPLACE ./Vendor/A chr b\n", tree,
                         &result, &after, &error);
    ck_assert_msg(error == NULL, "%s", error ? error->message : "");
    ck_assert_int_eq(result, DM_SESSION_RESULT_OK);
    ASSERT_RECORD(records, "{\"session\":\"end\",\"packages\":2,\"auth\":\"ok\"}");
    ck_assert(dm_tree_exists(after, "./Vendor/A"));
    /* Every message after the first was tried on the kept connection, cut, and sent again. */
    ck_assert_uint_ge(proxy_reuses_cut, 2);
    ck_assert_uint_eq(proxy_connections, proxy_reuses_cut + 1);
}
END_TEST

START_TEST(a_post_cut_before_its_answer_is_sent_again_once_on_a_new_connection)
{
    Setup setup = { .auth = DM_AUTH_MD5, .encoding = DM_ENCODING_XML, .cut = 1 };
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(DmTree) after = NULL;
    g_autoptr(GPtrArray) records = NULL;
    g_autoptr(GError) error = NULL;
    DmSessionResult result;

    records = run_script(&setup, "ADD ./Vendor/Cut chr again\n", tree, &result, &after, &error);
    ck_assert_msg(error == NULL, "%s", error ? error->message : "");
    ck_assert_int_eq(result, DM_SESSION_RESULT_OK);
    ck_assert(dm_tree_exists(after, "./Vendor/Cut"));
    ck_assert(has_record(records, "\"auth\":\"ok\""));
    /* The cut connection, the one the POST went again on, and nothing more was needed. */
    ck_assert_uint_ge(proxy_connections, 2);
    /* The request as the DM HTTP binding has it, and nothing compressed asked for. */
    ck_assert_msg(g_str_has_prefix(cut_request, "POST /dm HTTP/1.1\r\n"), "%s", cut_request);
    ck_assert_ptr_nonnull(strstr(cut_request, "\r\nAccept: application/vnd.syncml.dm+xml\r\n"));
    ck_assert_ptr_nonnull(strstr(cut_request, "\r\nCache-Control: no-store\r\n"));
    {
        g_autofree char *lower = g_ascii_strdown(cut_request, -1);
        ck_assert_ptr_null(strstr(lower, "accept-encoding"));
    }
}
END_TEST

START_TEST(a_server_that_cuts_every_post_is_tried_twice_then_fails)
{
    Setup setup = { .auth = DM_AUTH_MD5, .encoding = DM_ENCODING_XML, .cut = 100 };
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(GPtrArray) records = NULL;
    g_autoptr(GError) error = NULL;
    DmSessionResult result;

    records = run_script(&setup, "ADD ./Vendor/Cut chr again\n", tree, &result, NULL, &error);
    ck_assert(g_error_matches(error, DM_ERROR, DM_ERROR_TRANSPORT));
    ck_assert_int_eq(result, DM_SESSION_RESULT_ABORTED);
    ck_assert_uint_eq(proxy_connections, 2);
}
END_TEST

START_TEST(a_server_message_past_max_msg_size_ends_the_session)
{
    Setup setup = { .auth = DM_AUTH_NONE, .encoding = DM_ENCODING_XML, .oversized = TRUE };
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(GPtrArray) records = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *big = g_strnfill(40000, 'x');
    g_autofree char *script = g_strdup_printf("ADD ./Vendor/Big chr %s\n", big);
    DmSessionResult result;

    /* dmscd announced 16384 bytes; the server sends 40,000 in one message anyway. */
    records = run_script(&setup, script, tree, &result, NULL, &error);
    ck_assert(g_error_matches(error, DM_ERROR, DM_ERROR_SERVER));
    ck_assert_ptr_nonnull(strstr(error->message, "past the 16384 announced"));
    ck_assert_int_eq(result, DM_SESSION_RESULT_ABORTED);
    ck_assert(!dm_tree_exists(tree, "./Vendor/Big"));
}
END_TEST

/* A server whose answer says no length (it would end with the connection) and runs on past
 * the bound: the bound is kept as the answer is read, not only against a Content-Length. */
static gboolean on_unbounded_incoming(GSocketService *service, GSocketConnection *connection,
                                      GObject *source, gpointer user_data)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.syncml.dm+xml"
                               "\r\n\r\n";
    g_autofree char *body = g_strnfill(20000, 'x');
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(connection));

    /* Kept open: the answer has not ended when the client must stop reading it. */
    g_object_set_data_full(G_OBJECT(service), "client", g_object_ref(connection), g_object_unref);
    g_output_stream_write_all(out, head, strlen(head), NULL, NULL, NULL);
    g_output_stream_write_all(out, body, 20000, NULL, NULL, NULL);
    return TRUE;
}

START_TEST(an_answer_without_a_length_is_cut_off_at_max_msg_size)
{
    g_autoptr(GSocketService) service = g_socket_service_new();
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_autoptr(DmSession) session = NULL;
    g_autofree char *uri = NULL;
    guint16 port = g_socket_listener_add_any_inet_port(G_SOCKET_LISTENER(service), NULL, NULL);
    Run run = { .loop = loop };

    g_signal_connect(service, "incoming", G_CALLBACK(on_unbounded_incoming), NULL);
    g_socket_service_start(service);
    uri = g_strdup_printf("http://127.0.0.1:%u/dm", port);
    DmSessionConfig config = {
        .server_id = "srv", .server_uri = uri, .client_id = "IMEI:1", .session_id = "1"
    };
    session = dm_session_new(tree, &config);
    run.runner = dm_session_runner_new(session, 10, NULL, NULL, NULL);
    dm_session_runner_run_async(run.runner, NULL, on_finished, &run);
    if (!run.done)
        g_main_loop_run(loop);
    ck_assert(!run.ok);
    ck_assert_msg(g_error_matches(run.error, DM_ERROR, DM_ERROR_SERVER), "%s", run.error->message);
    ck_assert_ptr_nonnull(strstr(run.error->message, "bytes or more, past the 16384 announced"));
    ck_assert_int_eq(dm_session_get_result(session), DM_SESSION_RESULT_ABORTED);
    g_clear_error(&run.error);
    dm_session_runner_free(run.runner);
}
END_TEST

/* A server that answers one byte a second: each read is quick, the whole is not. */
static gboolean on_dribble_incoming(GSocketService *service, GSocketConnection *connection,
                                    GObject *source, gpointer user_data)
{
    g_object_set_data_full(G_OBJECT(service), "client", g_object_ref(connection), g_object_unref);
    return TRUE;
}

static gboolean dribble(gpointer user_data)
{
    GSocketService *service = user_data;
    GSocketConnection *client = g_object_get_data(G_OBJECT(service), "client");
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    static guint sent;
    GOutputStream *out;

    if (client == NULL)
        return G_SOURCE_CONTINUE;
    out = g_io_stream_get_output_stream(G_IO_STREAM(client));
    if (sent++ == 0)
        g_output_stream_write_all(out, head, strlen(head), NULL, NULL, NULL);
    else
        g_output_stream_write_all(out, "<", 1, NULL, NULL, NULL);
    return G_SOURCE_CONTINUE;
}

START_TEST(a_session_past_its_deadline_ends_however_slowly_the_server_answers)
{
    g_autoptr(GSocketService) service = g_socket_service_new();
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_autoptr(DmSession) session = NULL;
    g_autofree char *uri = NULL;
    guint16 port = g_socket_listener_add_any_inet_port(G_SOCKET_LISTENER(service), NULL, NULL);
    guint timer;
    Run run = { .loop = loop };

    g_signal_connect(service, "incoming", G_CALLBACK(on_dribble_incoming), NULL);
    g_socket_service_start(service);
    timer = g_timeout_add(300, dribble, service);
    uri = g_strdup_printf("http://127.0.0.1:%u/dm", port);
    DmSessionConfig config = {
        .server_id = "srv", .server_uri = uri, .client_id = "IMEI:1", .session_id = "1"
    };
    session = dm_session_new(tree, &config);
    /* Each exchange may take ten seconds; the whole session two. */
    run.runner = dm_session_runner_new(session, 10, NULL, NULL, NULL);
    dm_session_runner_set_deadline(run.runner, 2);
    dm_session_runner_run_async(run.runner, NULL, on_finished, &run);
    if (!run.done)
        g_main_loop_run(loop);
    g_source_remove(timer);
    ck_assert(!run.ok);
    /* Ended by its deadline, not by the exchange's timeout, and not worth another attempt. */
    ck_assert_msg(g_error_matches(run.error, DM_ERROR, DM_ERROR_SERVER), "%s", run.error->message);
    ck_assert_ptr_nonnull(strstr(run.error->message, "longer than 2 s"));
    ck_assert_int_eq(dm_session_get_result(session), DM_SESSION_RESULT_ABORTED);
    g_clear_error(&run.error);
    dm_session_runner_free(run.runner);
}
END_TEST

/* A server whose certificate the system does not trust is not talked to. */
START_TEST(https_checks_the_server_certificate_against_the_system_store)
{
    g_autofree char *dir = g_dir_make_tmp("dmscd-tls-XXXXXX", NULL);
    g_autofree char *key = g_build_filename(dir, "key.pem", NULL);
    g_autofree char *cert = g_build_filename(dir, "cert.pem", NULL);
    const char *argv[] = { "openssl", "req",     "-x509", "-newkey",       "rsa:2048",
                           "-nodes",  "-keyout", key,     "-out",          cert,
                           "-days",   "1",       "-subj", "/CN=127.0.0.1", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(GTlsCertificate) certificate = NULL;
    g_autoptr(SoupServer) http = NULL;
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string("127.0.0.1", 0);
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_autofree char *uri = NULL;
    g_autoptr(DmSession) session = NULL;
    GSList *uris;
    Run run = { .loop = loop };
    int status = -1;

    ck_assert(
        g_spawn_sync(NULL, (char **)argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, NULL));
    ck_assert_int_eq(status, 0);
    certificate = g_tls_certificate_new_from_files(cert, key, &error);
    ck_assert_msg(certificate != NULL, "%s", error ? error->message : "");
    http = soup_server_new("tls-certificate", certificate, NULL);
    ck_assert(soup_server_listen(http, address, SOUP_SERVER_LISTEN_HTTPS, NULL));
    uris = soup_server_get_uris(http);
    uri = g_strdup_printf("https://127.0.0.1:%d/dm", g_uri_get_port(uris->data));
    g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);

    DmSessionConfig config = {
        .server_id = "srv", .server_uri = uri, .client_id = "IMEI:1", .session_id = "1"
    };
    session = dm_session_new(tree, &config);
    run.runner = dm_session_runner_new(session, 5, NULL, NULL, NULL);
    dm_session_runner_run_async(run.runner, NULL, on_finished, &run);
    if (!run.done)
        g_main_loop_run(loop);
    ck_assert(!run.ok);
    ck_assert_msg(g_error_matches(run.error, DM_ERROR, DM_ERROR_TLS), "%s", run.error->message);
    ck_assert_int_eq(dm_session_get_result(session), DM_SESSION_RESULT_ABORTED);
    g_clear_error(&run.error);
    dm_session_runner_free(run.runner);
    g_unlink(key);
    g_unlink(cert);
    g_rmdir(dir);
}
END_TEST

START_TEST(md5_digest_matches_the_bruce2_vector)
{
    g_autofree char *digest = dm_auth_md5("Bruce2", "OhBehave", (const guint8 *)"Nonce", 5);
    g_autofree char *basic = dm_auth_basic("Bruce2", "OhBehave");
    g_autofree char *header =
        dm_auth_hmac_header("u", "p", (const guint8 *)"n", 1, (const guint8 *)"body", 4);

    ck_assert_str_eq(digest, "Zz6EivR3yeaaENcRN6lpAQ==");
    ck_assert_str_eq(basic, "QnJ1Y2UyOk9oQmVoYXZl");
    ck_assert(
        dm_auth_hmac_verify(header, "u", "p", (const guint8 *)"n", 1, (const guint8 *)"body", 4));
    ck_assert(
        !dm_auth_hmac_verify(header, "u", "p", (const guint8 *)"n", 1, (const guint8 *)"bodY", 4));
}
END_TEST

static Suite *http_suite(void)
{
    Suite *suite = suite_create("http");
    TCase *tc = tcase_create("session");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_command_over_http_in_xml);
    tcase_add_test(tc, every_command_over_http_in_wbxml);
    tcase_add_loop_test(tc, each_auth_type_authenticates_both_sides, 0, 6);
    tcase_add_loop_test(tc, a_server_that_fails_authentication_changes_nothing, 0, 3);
    tcase_add_test(tc, a_client_the_server_rejects_gives_up_after_retries);
    tcase_add_test(tc, large_object_arrives_in_chunks);
    tcase_add_test(tc, large_object_of_the_wrong_size_is_424);
    tcase_add_test(tc, large_results_go_out_in_chunks_within_max_msg_size);
    tcase_add_test(tc, many_statuses_are_split_over_messages_with_1222);
    tcase_add_test(tc, a_refused_confirmation_is_304_and_asked_asynchronously);
    tcase_add_test(tc, an_unreachable_server_aborts_and_keeps_the_tree);
    tcase_add_test(tc, a_server_that_keeps_its_connection_has_the_whole_session_on_it);
    tcase_add_test(tc, a_kept_connection_closed_as_it_is_reused_costs_a_post_again_not_the_session);
    tcase_add_test(tc, a_post_cut_before_its_answer_is_sent_again_once_on_a_new_connection);
    tcase_add_test(tc, a_server_that_cuts_every_post_is_tried_twice_then_fails);
    tcase_add_test(tc, a_server_message_past_max_msg_size_ends_the_session);
    tcase_add_test(tc, an_answer_without_a_length_is_cut_off_at_max_msg_size);
    tcase_add_test(tc, a_session_past_its_deadline_ends_however_slowly_the_server_answers);
    tcase_add_test(tc, https_checks_the_server_certificate_against_the_system_store);
    tcase_add_test(tc, md5_digest_matches_the_bruce2_vector);
    suite_add_tcase(suite, tc);
    return suite;
}

static Suite *proxy_suite(void)
{
    Suite *suite = suite_create("http-proxy");
    TCase *tc = tcase_create("proxy");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_loopback_server_is_reached_without_the_proxy);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(int argc, char **argv)
{
    /* "proxy": the test that needs http_proxy set, which the others must not have. */
    return check_run(argc > 1 && g_str_equal(argv[1], "proxy") ? proxy_suite() : http_suite());
}
