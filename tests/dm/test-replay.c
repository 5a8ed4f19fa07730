/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AOSP DM 1.2 golden cases (tests/data/syncml, README §1): each server message goes
 * through the engine, and the statuses and results must be the spec-correct answers the
 * README gives (where AOSP's own answer differs from the specification, the spec wins).
 */
#include "tests/check-run.h"
#include "tests/dm/session-helpers.h"

static GPtrArray *replay(const char *name, const char *session_id, DmTree **tree_out)
{
    g_autofree char *path = g_build_filename(SYNCML_DATA, name, NULL);
    g_autofree char *data = NULL;
    g_autoptr(DmTree) tree = aosp_tree();
    g_autoptr(DmSession) session = NULL;
    g_autoptr(GBytes) package1 = NULL;
    g_autoptr(GBytes) reply = NULL;
    DmSessionConfig config = {
        .server_id = "mot.manage",
        .server_uri = "http://127.0.0.1/dm",
        .client_id = "000000011234564",
        .session_id = session_id,
        .server_initiated = TRUE,
        .encoding = g_str_has_suffix(name, ".wbxml") ? DM_ENCODING_WBXML : DM_ENCODING_XML,
    };
    DmSessionStep step;
    gsize length;

    ck_assert(g_file_get_contents(path, &data, &length, NULL));
    session = dm_session_new(tree, &config);
    ck_assert_int_eq(dm_session_start(session), DM_SESSION_SEND);
    package1 = dm_session_take_output(session, NULL);
    step = dm_session_receive(session, (const guint8 *)data, length, NULL);
    /* No user: a display is shown (200), everything else times out (408). */
    while (step == DM_SESSION_WAIT) {
        const DmAlertRequest *alert = dm_session_get_alert(session);
        step = dm_session_answer_alert(session, alert->code == 1100 ? 200 : 408, NULL);
    }
    ck_assert_msg(step == DM_SESSION_SEND || step == DM_SESSION_SEND_LAST, "%s: step %d (%s)", name,
                  step, dm_session_get_error(session));
    reply = dm_session_take_output(session, NULL);
    if (tree_out != NULL) {
        /* The server ends the session with a package of statuses only. */
        g_autofree char *end = g_strdup_printf(
            "<SyncML><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>"
            "<SessionID>%s</SessionID><MsgID>2</MsgID><Target><LocURI>x</LocURI></Target>"
            "<Source><LocURI>y</LocURI></Source></SyncHdr><SyncBody><Final/></SyncBody>"
            "</SyncML>",
            session_id);
        ck_assert_int_eq(dm_session_receive(session, (const guint8 *)end, strlen(end), NULL),
                         DM_SESSION_DONE);
        ck_assert_int_eq(dm_session_get_result(session), DM_SESSION_RESULT_OK);
        *tree_out = dm_session_steal_tree(session);
    }
    return summarize(reply);
}

static void expect(const char *name, const char *session_id, const char *expected)
{
    g_autoptr(GPtrArray) lines = replay(name, session_id, NULL);
    g_autofree char *got = joined(lines);

    ck_assert_msg(g_str_equal(got, expected), "%s:\n--- got\n%s\n--- expected\n%s", name, got,
                  expected);
}

START_TEST(get_script_returns_devid)
{
    expect("aosp-dm12-testgetscript.xml", "11",
           "SyncHdr 0 200 T=SampleClient S=mot.manage\n"
           "Get 1 200 T=./DevInfo/DevId\n"
           "Results 1 ./DevInfo/DevId chr 000000011234564\n"
           "Final");
}
END_TEST

START_TEST(exec_on_the_root_is_not_allowed)
{
    expect("aosp-dm12-testexecscript.xml", "11",
           "SyncHdr 0 200 T=SampleClient S=mot.manage\nExec 1 405 T=.\nFinal");
    expect("aosp-dm12-testexecscript2.xml", "11",
           "SyncHdr 0 200 T=SampleClient S=mot.manage\nExec 1 405 T=.\nFinal");
}
END_TEST

START_TEST(display_alert_is_acknowledged)
{
    expect("aosp-dm12-testalertdisplay.xml", "11",
           "SyncHdr 0 200 T=SampleClient S=mot.manage\nAlert 1 200\nFinal");
}
END_TEST

START_TEST(unconfirmed_alert_fails_the_atomic_and_nothing_changes)
{
    g_autoptr(GPtrArray) lines = NULL;
    g_autofree char *got = NULL;
    g_autoptr(DmTree) tree = NULL;
    DmNodeInfo info;

    expect("aosp-dm12-testalertconfirmatomic.xml", "11",
           "SyncHdr 0 200 T=SampleClient S=mot.manage\n"
           "Atomic 1 507\n"
           "Alert 2 408\n"
           "Replace 3 215 T=./DevDetail/Bearer/GSM\n"
           "Final");
    lines = replay("aosp-dm12-testalertconfirmatomic.xml", "11", &tree);
    ck_assert(!dm_tree_exists(tree, "./DevDetail/Bearer"));
    ck_assert(dm_tree_get(tree, "./DevInfo/DevId", &info));
}
END_TEST

START_TEST(new_data_types_create_the_parent_and_round_trip)
{
    g_autoptr(GPtrArray) lines = NULL;
    g_autofree char *got = NULL;
    g_autoptr(DmTree) tree = NULL;

    expect("aosp-dm12-testnewdatatype.xml", "18629",
           "SyncHdr 0 200 T=000000011234564 S=http://10.72.35.166/Manage\n"
           "Add 1 200 T=./Test/MyApp\n"
           "Add 2 200 T=./Test/MyApp/FloatLeaf\n"
           "Add 3 200 T=./Test/MyApp/DateLeaf\n"
           "Add 4 200 T=./Test/MyApp/TimeLeaf\n"
           "Replace 5 200 T=./Test/MyApp/FloatLeaf\n"
           "Replace 6 200 T=./Test/MyApp/DateLeaf\n"
           "Replace 7 200 T=./Test/MyApp/TimeLeaf\n"
           "Get 8 200 T=./Test/MyApp/FloatLeaf\n"
           "Results 8 ./Test/MyApp/FloatLeaf float 1.2345\n"
           "Get 9 200 T=./Test/MyApp/DateLeaf\n"
           "Results 9 ./Test/MyApp/DateLeaf date 2005-345\n"
           "Get 10 200 T=./Test/MyApp/TimeLeaf\n"
           "Results 10 ./Test/MyApp/TimeLeaf time 11:20:35+01:20\n"
           "Delete 11 200 T=./Test/MyApp/FloatLeaf\n"
           "Delete 12 200 T=./Test/MyApp/DateLeaf\n"
           "Delete 13 200 T=./Test/MyApp/TimeLeaf\n"
           "Delete 14 200 T=./Test/MyApp\n"
           "Final");
    lines = replay("aosp-dm12-testnewdatatype.xml", "18629", &tree);
    ck_assert(dm_tree_exists(tree, "./Test"));
    ck_assert(!dm_tree_exists(tree, "./Test/MyApp"));
}
END_TEST

START_TEST(wbxml_get_with_mismatched_public_id_returns_max_depth)
{
    expect("aosp-dm12-testget.wbxml", "22100",
           "SyncHdr 0 200 T=000000011234564 S=http://10.72.34.217:80/Manage\n"
           "Get 4 200 T=./DevDetail/URI/MaxDepth\n"
           "Results 4 ./DevDetail/URI/MaxDepth int 20\n"
           "Final");
}
END_TEST

START_TEST(wbxml_add_of_an_interior_node_under_the_root_succeeds)
{
    g_autoptr(GPtrArray) lines = NULL;
    g_autoptr(DmTree) tree = NULL;

    expect("aosp-dm12-testadd.wbxml", "30483",
           "SyncHdr 0 200 T=000000011234564 S=http://10.72.34.217:80/Manage\n"
           "Add 4 200 T=./TestLeafNode\n"
           "Final");
    lines = replay("aosp-dm12-testadd.wbxml", "30483", &tree);
    ck_assert(dm_tree_exists(tree, "./TestLeafNode"));
}
END_TEST

START_TEST(wbxml_delete_of_missing_nodes_is_404)
{
    expect("aosp-dm12-testdelete.wbxml", "12463",
           "SyncHdr 0 200 T=000000011234564 S=http://10.72.34.217:80/Manage\n"
           "Delete 4 404 T=./TestLeafNode\n"
           "Delete 5 404 T=./TestLeaf\n"
           "Final");
}
END_TEST

START_TEST(client_package_fed_as_server_message_changes_nothing)
{
    g_autoptr(GPtrArray) lines = replay("aosp-dm12-testreplace.wbxml", "24673", NULL);
    g_autofree char *got = joined(lines);

    ck_assert_str_eq(g_ptr_array_index(lines, 1), "Alert 1 200");
    for (guint i = 2; i < 11; i++)
        ck_assert_msg(g_str_has_prefix(g_ptr_array_index(lines, i), "Replace 2 400 S=./DevInfo/"),
                      "%s", got);
    ck_assert_uint_eq(lines->len, 12);
}
END_TEST

START_TEST(dm_1_1_messages_are_refused_with_505)
{
    expect("aosp-dm11-testgetscript.xml", "11", "SyncHdr 0 505 T=SampleClient S=mot.manage\nFinal");
}
END_TEST

static Suite *replay_suite(void)
{
    Suite *suite = suite_create("replay");
    TCase *tc = tcase_create("aosp-dm12");

    tcase_add_test(tc, get_script_returns_devid);
    tcase_add_test(tc, exec_on_the_root_is_not_allowed);
    tcase_add_test(tc, display_alert_is_acknowledged);
    tcase_add_test(tc, unconfirmed_alert_fails_the_atomic_and_nothing_changes);
    tcase_add_test(tc, new_data_types_create_the_parent_and_round_trip);
    tcase_add_test(tc, wbxml_get_with_mismatched_public_id_returns_max_depth);
    tcase_add_test(tc, wbxml_add_of_an_interior_node_under_the_root_succeeds);
    tcase_add_test(tc, wbxml_delete_of_missing_nodes_is_404);
    tcase_add_test(tc, client_package_fed_as_server_message_changes_nothing);
    tcase_add_test(tc, dm_1_1_messages_are_refused_with_505);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(replay_suite());
}
