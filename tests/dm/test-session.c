/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The session engine driven message by message, without a transport. */
#include "tests/check-run.h"
#include "tests/dm/session-helpers.h"

#define HEADER(msg)                                                                            \
    "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2"         \
    "</VerProto><SessionID>1</SessionID><MsgID>" msg "</MsgID><Target><LocURI>IMEI:1</LocURI>" \
    "</Target><Source><LocURI>srv</LocURI></Source>"

static DmTree *tree;
static DmSession *session;

static void start(DmSessionConfig *config)
{
    g_autoptr(GBytes) first = NULL;

    tree = aosp_tree();
    config->server_id = "srv";
    config->server_uri = "http://127.0.0.1/dm";
    config->client_id = "IMEI:1";
    config->session_id = "1";
    session = dm_session_new(tree, config);
    ck_assert_int_eq(dm_session_start(session), DM_SESSION_SEND);
    first = dm_session_take_output(session, NULL);
    ck_assert_ptr_nonnull(first);
}

static void teardown(void)
{
    g_clear_pointer(&session, dm_session_free);
    g_clear_pointer(&tree, dm_tree_unref);
}

static DmSessionStep feed(const char *xml)
{
    return dm_session_receive(session, (const guint8 *)xml, strlen(xml), NULL);
}

static char *output(void)
{
    g_autoptr(GBytes) out = dm_session_take_output(session, NULL);
    g_autoptr(GPtrArray) lines = NULL;

    ck_assert_ptr_nonnull(out);
    lines = summarize(out);
    return joined(lines);
}

#define ALERT(code, options, text, extra)                                                     \
    "<Alert><CmdID>2</CmdID><Data>" code "</Data><Item><Data>" options "</Data></Item><Item>" \
    "<Data>" text "</Data></Item>" extra "</Alert>"
#define CHOICES "<Item><Data>red</Data></Item><Item><Data>green</Data></Item>"

START_TEST(user_alerts_wait_and_carry_the_answer)
{
    DmSessionConfig config = { 0 };
    const DmAlertRequest *alert;
    g_autofree char *out = NULL;
    const char *typed[] = { "hello", NULL };
    const char *picked[] = { "1", "2", NULL };

    start(&config);
    ck_assert_int_eq(
        feed(HEADER("1") "</SyncHdr><SyncBody>" ALERT("1102", "MAXLEN=20&amp;IT=A&amp;ET=T",
                                                      "Name?", "")
                 ALERT("1104", "DR=1", "Colours?", CHOICES) "<Final/></SyncBody></SyncML>"),
        DM_SESSION_WAIT);
    alert = dm_session_get_alert(session);
    ck_assert_int_eq(alert->code, 1102);
    ck_assert_str_eq(alert->text, "Name?");
    ck_assert_uint_eq(alert->max_length, 20);
    ck_assert_str_eq(alert->input_type, "A");
    ck_assert_int_eq(dm_session_answer_alert(session, 200, typed), DM_SESSION_WAIT);
    alert = dm_session_get_alert(session);
    ck_assert_int_eq(alert->code, 1104);
    ck_assert_uint_eq(alert->choices->len, 2);
    ck_assert_str_eq(g_ptr_array_index(alert->choices, 1), "green");
    ck_assert_int_eq(dm_session_answer_alert(session, 200, picked), DM_SESSION_SEND);
    out = output();
    ck_assert_ptr_nonnull(strstr(out, "Alert 2 200 I=hello\nAlert 2 200 I=1 I=2"));
}
END_TEST

START_TEST(without_a_user_choices_time_out_with_the_default_response)
{
    DmSessionConfig config = { 0 };
    g_autofree char *out = NULL;

    start(&config);
    ck_assert_int_eq(
        feed(HEADER("1") "</SyncHdr><SyncBody>" ALERT("1103", "MAXDT=20&amp;DR=2", "Pick",
                                                      CHOICES) "<Final/></SyncBody></SyncML>"),
        DM_SESSION_WAIT);
    ck_assert_int_eq(dm_session_answer_alert(session, 408, NULL), DM_SESSION_SEND);
    out = output();
    ck_assert_ptr_nonnull(strstr(out, "Alert 2 408 I=2"));
}
END_TEST

/* Found by fuzzing: an option given twice leaked the first value. The last stands. */
START_TEST(an_alert_option_given_twice_keeps_the_last)
{
    DmSessionConfig config = { 0 };
    const DmAlertRequest *alert;

    start(&config);
    ck_assert_int_eq(feed(HEADER("1") "</SyncHdr><SyncBody>" ALERT(
                         "1102", "IT=A&amp;ET=T&amp;DR=x&amp;IT=N&amp;ET=P&amp;DR=y", "Name?",
                         "") "<Final/></SyncBody></SyncML>"),
                     DM_SESSION_WAIT);
    alert = dm_session_get_alert(session);
    ck_assert_str_eq(alert->input_type, "N");
    ck_assert_str_eq(alert->echo_type, "P");
    ck_assert_str_eq(alert->default_response, "y");
}
END_TEST

START_TEST(abort_1223_ends_the_session_and_keeps_the_tree)
{
    DmSessionConfig config = { 0 };

    start(&config);
    ck_assert_int_eq(feed(HEADER("1") "</SyncHdr><SyncBody><Add><CmdID>1</CmdID><Item><Target>"
                                      "<LocURI>./X</LocURI></Target><Data>1</Data></Item></Add>"
                                      "<Alert><CmdID>2</CmdID><Data>1223</Data></Alert>"
                                      "<Final/></SyncBody></SyncML>"),
                     DM_SESSION_DONE);
    ck_assert_int_eq(dm_session_get_result(session), DM_SESSION_RESULT_ABORTED);
    ck_assert_ptr_null(dm_session_steal_tree(session));
}
END_TEST

START_TEST(generic_alert_goes_with_the_next_message)
{
    DmSessionConfig config = { 0 };
    g_autofree char *out = NULL;

    start(&config);
    dm_session_queue_generic_alert(session, "./Vendor/Reboot", "org.example.reboot", "chr", "done",
                                   "c-1");
    ck_assert_int_eq(feed(HEADER("1") "</SyncHdr><SyncBody><Get><CmdID>1</CmdID><Item><Target>"
                                      "<LocURI>./DevInfo/Mod</LocURI></Target></Item></Get>"
                                      "<Final/></SyncBody></SyncML>"),
                     DM_SESSION_SEND);
    out = output();
    ck_assert_ptr_nonnull(strstr(out, "Alert 1226"));
}
END_TEST

START_TEST(objects_above_max_obj_size_are_413_and_unknown_commands_406)
{
    DmSessionConfig config = { .max_obj_size = 4 };
    g_autofree char *out = NULL;

    start(&config);
    ck_assert_int_eq(feed(HEADER("1") "</SyncHdr><SyncBody><Add><CmdID>1</CmdID><Item><Target>"
                                      "<LocURI>./X</LocURI></Target><Data>12345</Data></Item>"
                                      "</Add><Sync><CmdID>2</CmdID></Sync>"
                                      "<Final/></SyncBody></SyncML>"),
                     DM_SESSION_SEND);
    out = output();
    ck_assert_ptr_nonnull(strstr(out, "Add 1 413 T=./X"));
    ck_assert_ptr_nonnull(strstr(out, "Sync 2 406"));
}
END_TEST

START_TEST(missing_server_credentials_are_407_with_a_challenge)
{
    DmSessionConfig config = { .server_auth = DM_AUTH_MD5,
                               .server_name = "srv",
                               .server_password = "p" };
    static const char package[] = HEADER("1") "</SyncHdr><SyncBody><Add><CmdID>1</CmdID><Item>"
                                              "<Target><LocURI>./X</LocURI></Target><Data>1</Data>"
                                              "</Item></Add><Final/></SyncBody></SyncML>";
    static const char again[] = HEADER("2") "</SyncHdr><SyncBody><Add><CmdID>1</CmdID><Item>"
                                            "<Target><LocURI>./X</LocURI></Target><Data>1</Data>"
                                            "</Item></Add><Final/></SyncBody></SyncML>";

    start(&config);
    /* Challenged once: nothing of the message runs, the server may sign it again. */
    for (int round = 0; round < 2; round++) {
        g_autoptr(GBytes) out = NULL;
        g_autoptr(DmMessage) m = NULL;
        DmCommand *status;

        ck_assert_int_eq(feed(round == 0 ? package : again),
                         round == 0 ? DM_SESSION_SEND : DM_SESSION_SEND_LAST);
        out = dm_session_take_output(session, NULL);
        m = dm_message_parse(g_bytes_get_data(out, NULL), g_bytes_get_size(out), NULL);
        ck_assert_uint_eq(m->commands->len, 1);
        status = g_ptr_array_index(m->commands, 0);
        ck_assert_int_eq(status->code, 407);
        ck_assert(status->has_chal);
        ck_assert_str_eq(status->chal.type, "syncml:auth-md5");
        ck_assert_ptr_nonnull(status->chal.next_nonce);
        ck_assert_int_eq(dm_session_get_result(session),
                         round == 0 ? DM_SESSION_RESULT_NONE : DM_SESSION_RESULT_AUTH_FAILED);
    }
    ck_assert_ptr_nonnull(dm_session_get_server_nonce(session));
}
END_TEST

START_TEST(a_challenge_on_our_header_resends_with_the_new_nonce)
{
    DmSessionConfig config = { .client_auth = DM_AUTH_BASIC,
                               .client_name = "dev",
                               .client_password = "pw" };
    g_autoptr(GBytes) out = NULL;
    g_autoptr(DmMessage) m = NULL;
    g_autofree char *expected = NULL;

    start(&config);
    /* The server wants MD5 with nonce "abc" (YWJj). */
    ck_assert_int_eq(
        feed(HEADER("1") "</SyncHdr><SyncBody><Status><CmdID>1</CmdID><MsgRef>1</MsgRef>"
                         "<CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Chal><Meta><Type xmlns="
                         "\"syncml:metinf\">syncml:auth-md5</Type><Format xmlns=\"syncml:metinf\">"
                         "b64</Format><NextNonce xmlns=\"syncml:metinf\">YWJj</NextNonce></Meta>"
                         "</Chal><Data>401</Data></Status><Final/></SyncBody></SyncML>"),
        DM_SESSION_SEND);
    out = dm_session_take_output(session, NULL);
    m = dm_message_parse(g_bytes_get_data(out, NULL), g_bytes_get_size(out), NULL);
    expected = dm_auth_md5("dev", "pw", (const guint8 *)"abc", 3);
    ck_assert_str_eq(m->cred_meta.type, "syncml:auth-md5");
    ck_assert_str_eq(m->cred_data, expected);
    /* Package 1's Alert and Replace go again. */
    ck_assert_int_eq(((DmCommand *)g_ptr_array_index(m->commands, 1))->code, 1201);
    ck_assert_mem_eq(g_bytes_get_data(dm_session_get_client_nonce(session), NULL), "abc", 3);
}
END_TEST

START_TEST(a_message_of_another_session_fails_it)
{
    DmSessionConfig config = { 0 };
    const char *xml = "<SyncML><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>"
                      "<SessionID>2</SessionID><MsgID>1</MsgID><Target><LocURI>a</LocURI>"
                      "</Target><Source><LocURI>b</LocURI></Source></SyncHdr><SyncBody>"
                      "<Final/></SyncBody></SyncML>";

    start(&config);
    ck_assert_int_eq(feed(xml), DM_SESSION_DONE);
    ck_assert_int_eq(dm_session_get_result(session), DM_SESSION_RESULT_FAILED);
    ck_assert_ptr_nonnull(strstr(dm_session_get_error(session), "another session"));
}
END_TEST

START_TEST(garbage_fails_the_session_cleanly)
{
    DmSessionConfig config = { 0 };

    start(&config);
    ck_assert_int_eq(feed("<SyncML><oops"), DM_SESSION_DONE);
    ck_assert_int_eq(dm_session_get_result(session), DM_SESSION_RESULT_FAILED);
    ck_assert_int_eq(feed(HEADER("2") "</SyncHdr><SyncBody/></SyncML>"), DM_SESSION_DONE);
}
END_TEST

START_TEST(changes_list_every_tree_operation)
{
    DmSessionConfig config = { 0 };
    GPtrArray *changes;

    start(&config);
    ck_assert_int_eq(feed(HEADER("1") "</SyncHdr><SyncBody><Add><CmdID>1</CmdID><Item><Target>"
                                      "<LocURI>./X</LocURI></Target><Data>1</Data></Item></Add>"
                                      "<Delete><CmdID>2</CmdID><Item><Target><LocURI>./Y</LocURI>"
                                      "</Target></Item></Delete><Final/></SyncBody></SyncML>"),
                     DM_SESSION_SEND);
    changes = dm_session_get_changes(session);
    ck_assert_uint_eq(changes->len, 2);
    ck_assert_str_eq(((char **)g_ptr_array_index(changes, 0))[0], "./X");
    ck_assert_str_eq(((char **)g_ptr_array_index(changes, 0))[1], "Add");
    ck_assert_str_eq(((char **)g_ptr_array_index(changes, 0))[2], "200");
    ck_assert_str_eq(((char **)g_ptr_array_index(changes, 1))[2], "404");
}
END_TEST

/* @package, then an empty final one, through a new session on @given: the tree it ends with. */
static DmTree *tree_after_session(DmTree *given, const char *package)
{
    DmSessionConfig config = { .server_id = "srv",
                               .server_uri = "http://127.0.0.1/dm",
                               .client_id = "IMEI:1",
                               .session_id = "1" };
    static const char end[] = HEADER("2") "</SyncHdr><SyncBody><Final/></SyncBody></SyncML>";
    DmSession *s = dm_session_new(given, &config);
    g_autoptr(GBytes) first = NULL, answer = NULL;
    DmTree *result;

    ck_assert_int_eq(dm_session_start(s), DM_SESSION_SEND);
    first = dm_session_take_output(s, NULL);
    ck_assert_int_eq(dm_session_receive(s, (const guint8 *)package, strlen(package), NULL),
                     DM_SESSION_SEND);
    answer = dm_session_take_output(s, NULL);
    ck_assert_int_eq(dm_session_receive(s, (const guint8 *)end, strlen(end), NULL),
                     DM_SESSION_DONE);
    ck_assert_int_eq(dm_session_get_result(s), DM_SESSION_RESULT_OK);
    result = dm_session_steal_tree(s);
    dm_session_free(s);
    return result;
}

#define ADD_X(id)     \
    "<Add><CmdID>" id \
    "</CmdID><Item><Target><LocURI>./X</LocURI></Target><Data>1</Data></Item></Add>"

/* A session reads the tree it was given and copies it only when it first writes; the tree it
 * was given never changes, even when an Atomic that wrote is rolled back. */
START_TEST(a_session_copies_the_tree_only_when_it_first_writes)
{
    g_autoptr(DmTree) given = aosp_tree();
    g_autoptr(DmTree) after_get = tree_after_session(
        given, HEADER("1") "</SyncHdr><SyncBody><Get><CmdID>1</CmdID><Item><Target><LocURI>"
                           "./DevInfo/Mod</LocURI></Target></Item></Get><Final/></SyncBody>"
                           "</SyncML>");
    g_autoptr(DmTree) after_rollback =
        tree_after_session(given, HEADER("1") "</SyncHdr><SyncBody><Atomic><CmdID>1</CmdID>" ADD_X(
                                      "2") ADD_X("3") "</Atomic><Final/></SyncBody></SyncML>");
    g_autoptr(DmTree) after_add = tree_after_session(
        given, HEADER("1") "</SyncHdr><SyncBody>" ADD_X("1") "<Final/></SyncBody></SyncML>");

    ck_assert_ptr_eq(after_get, given);
    ck_assert_ptr_eq(after_rollback, given);
    ck_assert_ptr_ne(after_add, given);
    ck_assert(dm_tree_exists(after_add, "./X"));
    ck_assert(!dm_tree_exists(given, "./X"));
}
END_TEST

START_TEST(a_tree_held_twice_is_copied_to_be_changed_and_one_held_once_is_not)
{
    DmTree *first = aosp_tree();
    DmTree *held = dm_tree_ref(first);
    DmTree *copy;

    ck_assert(dm_tree_is_shared(first));
    copy = dm_tree_unshare(first); /* takes the first reference */
    ck_assert_ptr_ne(copy, held);
    ck_assert(!dm_tree_is_shared(held) && !dm_tree_is_shared(copy));
    ck_assert_int_eq(dm_tree_add(copy, NULL, "./X", "chr", NULL, (const guint8 *)"1", 1), 200);
    ck_assert(!dm_tree_exists(held, "./X"));
    ck_assert_ptr_eq(dm_tree_unshare(held), held);
    dm_tree_unref(held);
    dm_tree_unref(copy);
}
END_TEST

static Suite *session_suite(void)
{
    Suite *suite = suite_create("session");
    TCase *tc = tcase_create("engine");

    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, user_alerts_wait_and_carry_the_answer);
    tcase_add_test(tc, without_a_user_choices_time_out_with_the_default_response);
    tcase_add_test(tc, an_alert_option_given_twice_keeps_the_last);
    tcase_add_test(tc, abort_1223_ends_the_session_and_keeps_the_tree);
    tcase_add_test(tc, generic_alert_goes_with_the_next_message);
    tcase_add_test(tc, objects_above_max_obj_size_are_413_and_unknown_commands_406);
    tcase_add_test(tc, missing_server_credentials_are_407_with_a_challenge);
    tcase_add_test(tc, a_challenge_on_our_header_resends_with_the_new_nonce);
    tcase_add_test(tc, a_message_of_another_session_fails_it);
    tcase_add_test(tc, garbage_fails_the_session_cleanly);
    tcase_add_test(tc, changes_list_every_tree_operation);
    tcase_add_test(tc, a_session_copies_the_tree_only_when_it_first_writes);
    tcase_add_test(tc, a_tree_held_twice_is_copied_to_be_changed_and_one_held_once_is_not);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(session_suite());
}
