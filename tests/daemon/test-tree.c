/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dmscd.h"
#include "tests/check-run.h"
#include "tests/test-util.h"

#include <glib/gstdio.h>

#define CARD_A "card:8949000000000000001"
#define CARD_B "card:8949000000000000002"

static const char bootstrap[] =
    "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>"
    "<SessionID>0</SessionID><MsgID>1</MsgID><Target><LocURI>dev</LocURI></Target>"
    "<Source><LocURI>card</LocURI></Source></SyncHdr><SyncBody>"
    "<Add><CmdID>1</CmdID><Meta><Format xmlns='syncml:metinf'>chr</Format></Meta>"
    "<Item><Target><LocURI>./DMAcc/Card/ServerID</LocURI></Target><Data>card.example</Data>"
    "</Item></Add><Final/></SyncBody></SyncML>";

static char *directory;
static DmscdTree tree;

static void setup(void)
{
    DmDeviceInfo info = { .dev_id = "IMEI:356938035643809" };

    directory = g_dir_make_tmp("dmscd-tree-XXXXXX", NULL);
    tree.path = g_build_filename(directory, "tree", NULL);
    tree.tree = dm_tree_new();
    dm_tree_add_standard_objects(tree.tree, &info);
    ck_assert(dm_tree_save(tree.tree, tree.path, NULL));
}

static void teardown(void)
{
    test_remove_tree(directory);
    g_clear_pointer(&tree.tree, dm_tree_unref);
    g_clear_pointer(&tree.path, g_free);
    g_clear_pointer(&tree.dev_id_modem, g_free);
    g_clear_pointer(&tree.cards, g_hash_table_unref);
    g_clear_pointer(&directory, g_free);
}

static GBytes *file_bytes(void)
{
    g_autofree char *contents = NULL;
    gsize length;

    ck_assert(g_file_get_contents(tree.path, &contents, &length, NULL));
    return g_bytes_new(contents, length);
}

static gboolean saved_has(const char *uri, const char *origin)
{
    g_autoptr(DmTree) loaded = dm_tree_load(tree.path, NULL, NULL);
    DmNodeInfo info;

    ck_assert(loaded != NULL);
    return dm_tree_get(loaded, uri, &info) && g_strcmp0(info.origin, origin) == 0;
}

START_TEST(an_applied_bootstrap_is_on_disk_and_goes_with_its_card)
{
    g_autoptr(GBytes) data = g_bytes_new_static(bootstrap, strlen(bootstrap));
    g_autofree char *server_id = NULL;
    g_autoptr(GError) error = NULL;
    guint removed = 0;

    ck_assert_msg(dmscd_tree_apply_bootstrap(&tree, NULL, CARD_A, data, &server_id, &error), "%s",
                  error ? error->message : "");
    ck_assert_str_eq(server_id, "card.example");
    ck_assert(saved_has("./DMAcc/Card", CARD_A));
    ck_assert(dmscd_tree_remove_card(&tree, CARD_A, &removed, &error));
    ck_assert_uint_eq(removed, 1);
    ck_assert(!dm_tree_exists(tree.tree, "./DMAcc/Card"));
    ck_assert(!saved_has("./DMAcc/Card", CARD_A));
    ck_assert(saved_has("./DevInfo/DevId", ""));
}
END_TEST

START_TEST(another_card_replaces_the_previous_ones_account_in_one_step)
{
    g_autoptr(GBytes) data = g_bytes_new_static(bootstrap, strlen(bootstrap));
    g_autoptr(GError) error = NULL;
    guint removed = 1;

    ck_assert(dmscd_tree_apply_bootstrap(&tree, NULL, CARD_A, data, NULL, &error));
    ck_assert_msg(dmscd_tree_apply_bootstrap(&tree, CARD_A, CARD_B, data, NULL, &error), "%s",
                  error ? error->message : "");
    ck_assert(saved_has("./DMAcc/Card", CARD_B));
    ck_assert(dm_tree_exists(tree.tree, "./DMAcc/Card/ServerID"));
    /* Nothing of the first card is left to remove. */
    ck_assert(dmscd_tree_remove_card(&tree, CARD_A, &removed, &error));
    ck_assert_uint_eq(removed, 0);
}
END_TEST

START_TEST(a_bad_bootstrap_or_a_failed_save_changes_neither_memory_nor_disk)
{
    static const char bad[] = "<SyncML><SyncHdr>";
    g_autoptr(GBytes) data = g_bytes_new_static(bootstrap, strlen(bootstrap));
    g_autoptr(GBytes) garbage = g_bytes_new_static(bad, strlen(bad));
    g_autoptr(GBytes) before = file_bytes();
    g_autoptr(GBytes) after_bad = NULL;
    g_autoptr(GError) parse_error = NULL;
    g_autoptr(GError) save_error = NULL;
    g_autofree char *server_id = NULL;
    g_autofree char *path = tree.path;

    ck_assert(!dmscd_tree_apply_bootstrap(&tree, NULL, CARD_A, garbage, NULL, &parse_error));
    ck_assert(g_error_matches(parse_error, DM_ERROR, DM_ERROR_MALFORMED));
    after_bad = file_bytes();
    ck_assert(g_bytes_equal(before, after_bad));
    /* A state directory that went away: the save fails, and nothing is half-applied. */
    tree.path = g_build_filename(directory, "gone", "tree", NULL);
    ck_assert(!dmscd_tree_apply_bootstrap(&tree, NULL, CARD_A, data, &server_id, &save_error));
    ck_assert(save_error != NULL);
    ck_assert_ptr_null(server_id);
    ck_assert(!dm_tree_exists(tree.tree, "./DMAcc/Card"));
    g_free(tree.path);
    tree.path = g_steal_pointer(&path);
}
END_TEST

static guint64 file_inode(void)
{
    GStatBuf st;

    ck_assert_int_eq(g_stat(tree.path, &st), 0);
    return st.st_ino;
}

START_TEST(a_session_that_changed_nothing_writes_nothing_and_a_new_nonce_is_saved_once)
{
    static const char node[] = "./DMAcc/S/AppAuth/Srv";
    g_autoptr(GBytes) nonce = g_bytes_new_static("\x01\x02\x03", 3);
    g_autoptr(GError) error = NULL;
    DmAccount account = { 0 };
    DmTree *live;
    DmNodeInfo info;
    guint64 inode;

    ck_assert_int_eq(dm_tree_add(tree.tree, NULL, "./DMAcc/S", "node", NULL, NULL, 0), 200);
    ck_assert_int_eq(dm_tree_add(tree.tree, NULL, "./DMAcc/S/AppAuth", "node", NULL, NULL, 0), 200);
    ck_assert_int_eq(dm_tree_add(tree.tree, NULL, node, "node", NULL, NULL, 0), 200);
    ck_assert(dm_tree_save(tree.tree, tree.path, NULL));
    account.server.node = (char *)node;
    live = tree.tree;
    inode = file_inode();
    /* No change, no nonce: neither the live tree nor the file is replaced. */
    ck_assert(dmscd_tree_commit_session(&tree, NULL, &account, NULL, NULL, NULL, &error));
    ck_assert_ptr_eq(tree.tree, live);
    ck_assert_uint_eq(file_inode(), inode);
    /* A new nonce is saved (as b64 text where there was none)... */
    ck_assert(dmscd_tree_commit_session(&tree, NULL, &account, NULL, nonce, NULL, &error));
    ck_assert_ptr_ne(tree.tree, live);
    ck_assert_uint_ne(file_inode(), inode);
    ck_assert(dm_tree_get(tree.tree, "./DMAcc/S/AppAuth/Srv/AAuthData", &info));
    ck_assert_str_eq(info.format, "b64");
    ck_assert_mem_eq(info.value, "AQID", 4);
    /* ...and the same nonce again is no change. */
    live = tree.tree;
    inode = file_inode();
    ck_assert(dmscd_tree_commit_session(&tree, NULL, &account, nonce, nonce, NULL, &error));
    ck_assert_ptr_eq(tree.tree, live);
    ck_assert_uint_eq(file_inode(), inode);
}
END_TEST

START_TEST(the_sweep_removes_the_nodes_of_cards_no_modem_claims)
{
    g_autoptr(GBytes) data = g_bytes_new_static(bootstrap, strlen(bootstrap));
    g_autoptr(GError) error = NULL;
    guint removed = 9;

    ck_assert(dmscd_tree_apply_bootstrap(&tree, NULL, CARD_A, data, NULL, &error));
    /* Two modems have card A: one letting go keeps its nodes. */
    dmscd_tree_claim_card(&tree, CARD_A);
    dmscd_tree_claim_card(&tree, CARD_A);
    dmscd_tree_release_card(&tree, CARD_A);
    ck_assert(dmscd_tree_sweep_cards(&tree, &removed, &error));
    ck_assert_uint_eq(removed, 0);
    ck_assert(saved_has("./DMAcc/Card", CARD_A));
    /* The last one too, while another modem has not read its card: nothing goes yet. */
    dmscd_tree_release_card(&tree, CARD_A);
    dmscd_tree_claim_card(&tree, CARD_B);
    dmscd_tree_hold_sweep(&tree);
    ck_assert(dmscd_tree_sweep_cards(&tree, &removed, &error));
    ck_assert_uint_eq(removed, 0);
    ck_assert(saved_has("./DMAcc/Card", CARD_A));
    /* That modem knows its card: the sweep takes them, on disk as well; the device's stay. */
    dmscd_tree_release_sweep(&tree);
    ck_assert(dmscd_tree_sweep_cards(&tree, &removed, &error));
    ck_assert_uint_eq(removed, 1);
    ck_assert(!saved_has("./DMAcc/Card", CARD_A));
    ck_assert(dm_tree_exists(tree.tree, "./DevInfo/DevId"));
}
END_TEST

static char *saved_dev_id(void)
{
    g_autoptr(DmTree) loaded = dm_tree_load(tree.path, NULL, NULL);

    ck_assert(loaded != NULL);
    return dm_tree_dup_dev_id(loaded);
}

START_TEST(the_first_modems_imei_is_the_devid_until_that_modem_goes)
{
    g_autofree char *first = NULL, *kept = NULL, *second = NULL;
    gboolean changed;

    ck_assert(
        dmscd_tree_set_dev_id(&tree, "/dev/cdc-wdm0", "IMEI:490154203237518", &changed, NULL));
    ck_assert(changed);
    first = saved_dev_id();
    ck_assert_str_eq(first, "IMEI:490154203237518");
    /* Said again: nothing to save. */
    ck_assert(
        dmscd_tree_set_dev_id(&tree, "/dev/cdc-wdm0", "IMEI:490154203237518", &changed, NULL));
    ck_assert(!changed);
    /* A second modem does not take the DevId from the first while it is there. */
    ck_assert(
        dmscd_tree_set_dev_id(&tree, "/dev/cdc-wdm1", "IMEI:356938035643809", &changed, NULL));
    ck_assert(!changed);
    kept = saved_dev_id();
    ck_assert_str_eq(kept, "IMEI:490154203237518");
    dmscd_tree_release_dev_id(&tree, "/dev/cdc-wdm0");
    ck_assert(
        dmscd_tree_set_dev_id(&tree, "/dev/cdc-wdm1", "IMEI:356938035643809", &changed, NULL));
    ck_assert(changed);
    second = saved_dev_id();
    ck_assert_str_eq(second, "IMEI:356938035643809");
}
END_TEST

static Suite *tree_suite(void)
{
    Suite *suite = suite_create("daemon-tree");
    TCase *tc = tcase_create("bootstrap");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, an_applied_bootstrap_is_on_disk_and_goes_with_its_card);
    tcase_add_test(tc, another_card_replaces_the_previous_ones_account_in_one_step);
    tcase_add_test(tc, a_bad_bootstrap_or_a_failed_save_changes_neither_memory_nor_disk);
    tcase_add_test(tc, the_first_modems_imei_is_the_devid_until_that_modem_goes);
    tcase_add_test(tc, the_sweep_removes_the_nodes_of_cards_no_modem_claims);
    tcase_add_test(tc, a_session_that_changed_nothing_writes_nothing_and_a_new_nonce_is_saved_once);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(tree_suite());
}
