/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The session engine against the scripted DM server, over real HTTP on loopback: commands,
 * authentication, large objects, alerts. Connections and their failures: test-http-transport.c. */
#include "http-helpers.h"
#include "tests/check-run.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

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
