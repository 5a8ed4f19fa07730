/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Versions of the DM tree share the nodes neither changed: a write to one never shows in
 * another, and copying or comparing versions costs what changed. */
#include "dm/dm-private.h"
#include "tests/check-run.h"
#include "tests/test-util.h"

#include <glib/gstdio.h>

static DmTree *tree;
static char *dir;

static int add(DmTree *t, const char *uri, const char *format, const char *value)
{
    return dm_tree_add(t, NULL, uri, format, NULL, (const guint8 *)value,
                       value ? strlen(value) : 0);
}

static int replace(DmTree *t, const char *uri, const char *value)
{
    return dm_tree_replace(t, NULL, uri, NULL, NULL, (const guint8 *)value, strlen(value));
}

static void setup(void)
{
    DmDeviceInfo info = { .dev_id = "IMEI:356938035643809", .manufacturer = "dmscd" };

    tree = dm_tree_new();
    dm_tree_add_standard_objects(tree, &info);
    ck_assert_int_eq(add(tree, "./A/Sub/X", "chr", "x"), 200);
    ck_assert_int_eq(add(tree, "./A/Sub/Y", "chr", "y"), 200);
    ck_assert_int_eq(add(tree, "./A/Z", "chr", "z"), 200);
    for (guint i = 0; i < 40; i++) {
        g_autofree char *uri = g_strdup_printf("./Big/N%u", i);
        ck_assert_int_eq(add(tree, uri, "chr", "v"), 200);
    }
    dm_tree_set_origin(tree, "./A/Sub", "card:1");
    dir = g_dir_make_tmp("dmscd-versions-XXXXXX", NULL);
}

static void teardown(void)
{
    g_clear_pointer(&tree, dm_tree_unref);
    test_remove_tree(dir);
    g_clear_pointer(&dir, g_free);
}

/* The tree as saved on disk: a form that shares nothing with the tree in memory. */
static GBytes *saved(const DmTree *t)
{
    g_autofree char *path = g_build_filename(dir, "tree", NULL);
    g_autoptr(GError) error = NULL;
    char *contents;
    gsize length;

    ck_assert(dm_tree_save(t, path, &error));
    ck_assert(g_file_get_contents(path, &contents, &length, NULL));
    g_unlink(path);
    return g_bytes_new_take(contents, length);
}

START_TEST(every_kind_of_write_to_a_copy_leaves_the_original_as_it_was)
{
    g_autoptr(GBytes) before = saved(tree);
    g_autoptr(DmTree) copy = dm_tree_copy(tree);
    g_autoptr(GBytes) after = NULL;

    ck_assert_int_eq(add(copy, "./A/Sub/New", "chr", "n"), 200);
    ck_assert_int_eq(replace(copy, "./A/Sub/X", "changed"), 200);
    ck_assert_int_eq(dm_tree_delete(copy, NULL, "./A/Z"), 200);
    ck_assert_int_eq(dm_tree_replace_property(copy, NULL, "./A/Sub/Y", "ACL", "Get=*"), 200);
    ck_assert_int_eq(dm_tree_replace_property(copy, NULL, "./Big/N5", "Title", "t"), 200);
    dm_tree_set_access(copy, "./Big/N6", DM_ACCESS_GET);
    dm_tree_set_origin(copy, "./Big/N7", "card:2");
    ck_assert_int_eq(dm_tree_copy_node(copy, NULL, "./A", "./Big/A2"), 200);
    /* ./A/Sub and its copy ./Big/A2/Sub (only a copy's top node loses its origin). */
    ck_assert_uint_eq(dm_tree_remove_origin(copy, "card:1"), 2);
    after = saved(tree);
    ck_assert(g_bytes_equal(before, after));
    ck_assert(dm_tree_exists(tree, "./A/Sub/X") && !dm_tree_exists(copy, "./A/Sub/X"));
}
END_TEST

START_TEST(writes_below_a_copied_node_leave_its_source_alone)
{
    DmNodeInfo info;

    /* The copy shares the source's children until one of the two changes them. */
    ck_assert_int_eq(dm_tree_copy_node(tree, NULL, "./A", "./B"), 200);
    ck_assert_int_eq(replace(tree, "./B/Sub/X", "b"), 200);
    ck_assert_int_eq(dm_tree_delete(tree, NULL, "./B/Sub/Y"), 200);
    ck_assert_int_eq(add(tree, "./B/Sub/W", "chr", "w"), 200);
    ck_assert(dm_tree_get(tree, "./A/Sub/X", &info));
    ck_assert_mem_eq(info.value, "x", 1);
    ck_assert(dm_tree_exists(tree, "./A/Sub/Y"));
    ck_assert(!dm_tree_exists(tree, "./A/Sub/W"));
    /* And the other way round. */
    ck_assert_int_eq(replace(tree, "./A/Z", "a"), 200);
    ck_assert(dm_tree_get(tree, "./B/Z", &info));
    ck_assert_mem_eq(info.value, "z", 1);
}
END_TEST

START_TEST(a_write_copies_only_the_nodes_on_its_path)
{
    g_autoptr(DmTree) copy = dm_tree_copy(tree);

    ck_assert_ptr_eq(dm_tree_peek_root(copy), dm_tree_peek_root(tree));
    ck_assert_int_eq(replace(copy, "./Big/N3", "w"), 200);
    ck_assert_ptr_ne(dm_tree_peek_root(copy), dm_tree_peek_root(tree));
    ck_assert_ptr_ne(dm_tree_lookup(copy, "./Big"), dm_tree_lookup(tree, "./Big"));
    ck_assert_ptr_ne(dm_tree_lookup(copy, "./Big/N3"), dm_tree_lookup(tree, "./Big/N3"));
    ck_assert_ptr_eq(dm_tree_lookup(copy, "./Big/N4"), dm_tree_lookup(tree, "./Big/N4"));
    ck_assert_ptr_eq(dm_tree_lookup(copy, "./DevInfo"), dm_tree_lookup(tree, "./DevInfo"));
    ck_assert_ptr_eq(dm_tree_lookup(copy, "./A"), dm_tree_lookup(tree, "./A"));
    /* A write that fails copies nothing. */
    ck_assert_int_eq(replace(copy, "./A/Missing", "w"), 404);
    ck_assert_ptr_eq(dm_tree_lookup(copy, "./A"), dm_tree_lookup(tree, "./A"));
}
END_TEST

START_TEST(the_difference_of_two_versions_is_what_changed)
{
    g_autoptr(DmTree) copy = dm_tree_copy(tree);
    g_autoptr(DmTree) live = dm_tree_copy(tree);
    g_autoptr(DmTreeDelta) delta = NULL;
    g_autoptr(GBytes) expected = NULL;
    g_autoptr(GBytes) got = NULL;

    ck_assert_int_eq(replace(copy, "./Big/N3", "w"), 200);
    ck_assert_int_eq(add(copy, "./Big/N40", "chr", "v"), 200);
    ck_assert_int_eq(dm_tree_delete(copy, NULL, "./A/Sub"), 200);
    delta = dm_tree_diff(tree, copy);
    ck_assert_uint_eq(dm_tree_delta_length(delta), 3);
    /* The delta holds what it names: the session's tree may go first. */
    expected = saved(copy);
    g_clear_pointer(&copy, dm_tree_unref);
    ck_assert_uint_eq(dm_tree_delta_apply(delta, live, NULL), 3);
    got = saved(live);
    ck_assert(g_bytes_equal(expected, got));
}
END_TEST

START_TEST(a_delta_applied_to_the_live_tree_leaves_older_versions_alone)
{
    g_autoptr(DmTree) base = dm_tree_copy(tree);
    g_autoptr(DmTree) session = dm_tree_copy(tree);
    g_autoptr(DmTree) live = dm_tree_copy(tree);
    g_autoptr(DmTreeDelta) delta = NULL;
    g_autoptr(GBytes) before = saved(base);
    g_autoptr(GBytes) after = NULL;

    ck_assert_int_eq(replace(session, "./A/Sub/X", "s"), 200);
    ck_assert_int_eq(add(session, "./A/Sub/New/Leaf", "chr", "n"), 200);
    ck_assert_int_eq(dm_tree_delete(session, NULL, "./Big/N0"), 200);
    /* The live tree moved on meanwhile beside the same interior node. */
    ck_assert_int_eq(add(live, "./A/Sub/New/Other", "chr", "o"), 200);
    delta = dm_tree_diff(base, session);
    ck_assert_uint_eq(dm_tree_delta_apply(delta, live, NULL), 3);
    ck_assert(dm_tree_exists(live, "./A/Sub/New/Leaf") &&
              dm_tree_exists(live, "./A/Sub/New/Other"));
    ck_assert(!dm_tree_exists(session, "./A/Sub/New/Other"));
    after = saved(base);
    ck_assert(g_bytes_equal(before, after));
    after = (g_bytes_unref(after), saved(tree));
    ck_assert(g_bytes_equal(before, after));
}
END_TEST

static Suite *versions_suite(void)
{
    Suite *suite = suite_create("tree-versions");
    TCase *tc = tcase_create("versions");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_kind_of_write_to_a_copy_leaves_the_original_as_it_was);
    tcase_add_test(tc, writes_below_a_copied_node_leave_its_source_alone);
    tcase_add_test(tc, a_write_copies_only_the_nodes_on_its_path);
    tcase_add_test(tc, the_difference_of_two_versions_is_what_changed);
    tcase_add_test(tc, a_delta_applied_to_the_live_tree_leaves_older_versions_alone);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(versions_suite());
}
