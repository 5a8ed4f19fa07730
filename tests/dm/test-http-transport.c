/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The HTTP binding's connections against servers as unfriendly as real ones: kept and reused,
 * closed as they are reused, cut before the answer or inside it, answers a few bytes at a time,
 * answers past the bound, servers too slow,
 * certificates nobody vouches for. */
#include "http-helpers.h"
#include "tests/check-run.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

/* A two-package session (three messages each way: two packages and the end) that must end
 * well, ./Vendor/A added and replaced. */
static void run_two_packages(const Setup *setup)
{
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(DmTree) after = NULL;
    g_autoptr(GPtrArray) records = NULL;
    g_autoptr(GError) error = NULL;
    DmSessionResult result;
    DmNodeInfo info;

    ck_assert(dm_tree_add(tree, NULL, "./Vendor", "node", NULL, NULL, 0) == 200);
    dm_tree_replace_property(tree, NULL, "./Vendor", "ACL", "Add=srv&Get=srv&Replace=srv");
    records = run_script(setup, "ADD ./Vendor/A chr a\nPACKAGE\nREPLACE ./Vendor/A chr b\n", tree,
                         &result, &after, &error);
    ck_assert_msg(error == NULL, "%s", error ? error->message : "");
    ck_assert_int_eq(result, DM_SESSION_RESULT_OK);
    ASSERT_RECORD(records, "{\"session\":\"end\",\"packages\":2,\"auth\":\"ok\"}");
    ck_assert(dm_tree_get(after, "./Vendor/A", &info));
    ck_assert_mem_eq(info.value, "b", 1);
}

/* A server that keeps its connection open has the whole session on it: the connection is set
 * up once, not once a message (the scripted server is libsoup's, which keeps connections). */
START_TEST(a_server_that_keeps_its_connection_has_the_whole_session_on_it)
{
    Setup setup = { .auth = DM_AUTH_MD5, .encoding = DM_ENCODING_XML, .proxied = TRUE };

    run_two_packages(&setup);
    ck_assert_uint_eq(proxy_connections, 1);
}
END_TEST

/* A server that closes a kept-alive connection just as the client sends on it again: each such
 * POST goes again, once, on a new connection, and the session does not notice. */
START_TEST(a_kept_connection_closed_as_it_is_reused_costs_a_post_again_not_the_session)
{
    Setup setup = { .auth = DM_AUTH_MD5, .encoding = DM_ENCODING_XML, .cut_reuse = TRUE };

    run_two_packages(&setup);
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

/* Answers that come a few bytes at a time, every line of their head and their body split
 * across reads, are read whole: the session ends as on a fast network. */
START_TEST(answers_that_come_a_few_bytes_at_a_time_are_read_whole)
{
    Setup setup = { .auth = DM_AUTH_MD5, .encoding = DM_ENCODING_XML, .trickle = TRUE };

    run_two_packages(&setup);
    /* Three answers of several hundred bytes each, seven bytes a piece. */
    ck_assert_uint_gt(proxy_pieces, 150);
}
END_TEST

/* An answer cut inside its body (the head said more than came) fails the session with a
 * transport error and changes nothing; it is not sent again, as the server had begun to
 * answer and may have acted on it. */
START_TEST(an_answer_cut_inside_its_body_fails_the_session_and_changes_nothing)
{
    Setup setup = { .auth = DM_AUTH_MD5, .encoding = DM_ENCODING_XML, .truncate = TRUE };
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(DmTree) after = NULL;
    g_autoptr(GPtrArray) records = NULL;
    g_autoptr(GError) error = NULL;
    DmSessionResult result;

    records = run_script(&setup, "ADD ./Vendor/Cut chr never\n", tree, &result, &after, &error);
    ck_assert_msg(g_error_matches(error, DM_ERROR, DM_ERROR_TRANSPORT), "%s",
                  error ? error->message : "no error");
    ck_assert_int_eq(result, DM_SESSION_RESULT_ABORTED);
    ck_assert(!dm_tree_exists(tree, "./Vendor/Cut"));
    ck_assert(after == NULL || !dm_tree_exists(after, "./Vendor/Cut"));
    ck_assert_uint_eq(proxy_connections, 1);
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

/* A session with the server at @uri that must fail: each exchange may take ten seconds and
 * the whole @deadline (0: no bound). Returns its error; the session aborted, the tree kept. */
static GError *failing_session(const char *uri, guint deadline)
{
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_autoptr(DmSession) session = NULL;
    DmSessionConfig config = {
        .server_id = "srv", .server_uri = uri, .client_id = "IMEI:1", .session_id = "1"
    };
    Run run = { .loop = loop };

    session = dm_session_new(tree, &config);
    run.runner = dm_session_runner_new(session, 10, NULL, NULL, NULL);
    if (deadline > 0)
        dm_session_runner_set_deadline(run.runner, deadline);
    dm_session_runner_run_async(run.runner, NULL, on_finished, &run);
    if (!run.done)
        g_main_loop_run(loop);
    ck_assert(!run.ok);
    ck_assert_int_eq(dm_session_get_result(session), DM_SESSION_RESULT_ABORTED);
    dm_session_runner_free(run.runner);
    return run.error;
}

/* A server of the test's own on a loopback port: @incoming gets each connection. */
static GSocketService *raw_server_new(GCallback incoming, char **uri)
{
    GSocketService *service = g_socket_service_new();
    guint16 port = g_socket_listener_add_any_inet_port(G_SOCKET_LISTENER(service), NULL, NULL);

    ck_assert_uint_ne(port, 0);
    g_signal_connect(service, "incoming", incoming, NULL);
    g_socket_service_start(service);
    *uri = g_strdup_printf("http://127.0.0.1:%u/dm", port);
    return service;
}

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
    g_autofree char *uri = NULL;
    g_autoptr(GSocketService) service = raw_server_new(G_CALLBACK(on_unbounded_incoming), &uri);
    g_autoptr(GError) error = failing_session(uri, 0);

    ck_assert_msg(g_error_matches(error, DM_ERROR, DM_ERROR_SERVER), "%s", error->message);
    ck_assert_ptr_nonnull(strstr(error->message, "bytes or more, past the 16384 announced"));
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
    g_autofree char *uri = NULL;
    g_autoptr(GSocketService) service = raw_server_new(G_CALLBACK(on_dribble_incoming), &uri);
    guint timer = g_timeout_add(300, dribble, service);
    /* Each exchange may take ten seconds; the whole session two. */
    g_autoptr(GError) error = failing_session(uri, 2);

    g_source_remove(timer);
    /* Ended by its deadline, not by the exchange's timeout, and not worth another attempt. */
    ck_assert_msg(g_error_matches(error, DM_ERROR, DM_ERROR_SERVER), "%s", error->message);
    ck_assert_ptr_nonnull(strstr(error->message, "longer than 2 s"));
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
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string("127.0.0.1", 0);
    g_autofree char *uri = NULL;
    GSList *uris;
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

    g_clear_error(&error);
    error = failing_session(uri, 0);
    ck_assert_msg(g_error_matches(error, DM_ERROR, DM_ERROR_TLS), "%s", error->message);
    g_unlink(key);
    g_unlink(cert);
    g_rmdir(dir);
}
END_TEST

static Suite *transport_suite(void)
{
    Suite *suite = suite_create("http-transport");
    TCase *tc = tcase_create("connections");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_server_that_keeps_its_connection_has_the_whole_session_on_it);
    tcase_add_test(tc, a_kept_connection_closed_as_it_is_reused_costs_a_post_again_not_the_session);
    tcase_add_test(tc, a_post_cut_before_its_answer_is_sent_again_once_on_a_new_connection);
    tcase_add_test(tc, a_server_that_cuts_every_post_is_tried_twice_then_fails);
    tcase_add_test(tc, answers_that_come_a_few_bytes_at_a_time_are_read_whole);
    tcase_add_test(tc, an_answer_cut_inside_its_body_fails_the_session_and_changes_nothing);
    tcase_add_test(tc, a_server_message_past_max_msg_size_ends_the_session);
    tcase_add_test(tc, an_answer_without_a_length_is_cut_off_at_max_msg_size);
    tcase_add_test(tc, a_session_past_its_deadline_ends_however_slowly_the_server_answers);
    tcase_add_test(tc, https_checks_the_server_certificate_against_the_system_store);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(transport_suite());
}
