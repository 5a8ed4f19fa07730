/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dm/dm.h"
#include "tests/check-run.h"
#include "tests/test-util.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static DmTree *tree;

static void setup(void)
{
    DmDeviceInfo info = { .dev_id = "IMEI:356938035643809", .manufacturer = "dmscd" };

    tree = dm_tree_new();
    dm_tree_add_standard_objects(tree, &info);
}

static void teardown(void)
{
    g_clear_pointer(&tree, dm_tree_unref);
}

static int add(const char *server, const char *uri, const char *format, const char *value)
{
    return dm_tree_add(tree, server, uri, format, NULL, (const guint8 *)value,
                       value ? strlen(value) : 0);
}

static int replace(const char *server, const char *uri, const char *value)
{
    return dm_tree_replace(tree, server, uri, NULL, NULL, (const guint8 *)value, strlen(value));
}

START_TEST(uris_are_normalized_and_bad_ones_refused)
{
    int status;
    g_autofree char *a = dm_uri_normalize("DevInfo/DevId", &status);
    g_autofree char *b = dm_uri_normalize("./DevInfo", &status);
    g_autofree char *root = dm_uri_normalize(".", &status);
    g_autofree char *long_segment = g_strnfill(DM_TREE_MAX_SEGMENT + 1, 'a');

    ck_assert_str_eq(a, "./DevInfo/DevId");
    ck_assert_str_eq(b, "./DevInfo");
    ck_assert_str_eq(root, ".");
    ck_assert_ptr_null(dm_uri_normalize("./A//B", &status));
    ck_assert_int_eq(status, 400);
    ck_assert_ptr_null(dm_uri_normalize("./A/../B", &status));
    ck_assert_ptr_null(dm_uri_normalize("\n ./A", &status));
    ck_assert_ptr_null(dm_uri_normalize("./A/", &status));
    ck_assert_ptr_null(dm_uri_normalize("/A", &status));
    ck_assert_ptr_null(dm_uri_normalize(long_segment, &status));
    ck_assert_int_eq(status, 414);
}
END_TEST

START_TEST(adding_the_root_says_it_exists)
{
    ck_assert_int_eq(add(NULL, ".", "node", NULL), DM_STATUS_ALREADY_EXISTS);
    ck_assert_int_eq(add("srv", "./", "chr", "x"), DM_STATUS_ALREADY_EXISTS);
}
END_TEST

START_TEST(standard_objects_are_readable_and_not_writable)
{
    DmNodeInfo info;

    ck_assert(dm_tree_get(tree, "./DevInfo/DevId", &info));
    ck_assert_str_eq(info.format, "chr");
    ck_assert_mem_eq(info.value, "IMEI:356938035643809", info.value_length);
    ck_assert(dm_tree_get(tree, "./DevInfo/DmV", &info));
    ck_assert_mem_eq(info.value, "1.2", 3);
    ck_assert(dm_tree_get(tree, "./DevDetail/URI/MaxDepth", &info));
    ck_assert_str_eq(info.format, "int");
    ck_assert_int_eq(dm_tree_check(tree, "srv", "./DevInfo/Man", DM_ACCESS_GET), 200);
    ck_assert_int_eq(replace("srv", "./DevInfo/Man", "x"), 405);
    ck_assert_int_eq(dm_tree_delete(tree, "srv", "./DevInfo"), 405);
    ck_assert_int_eq(dm_tree_delete(tree, NULL, "./DevInfo"), 405);
    ck_assert_int_eq(add("srv", "./DevInfo/New", "chr", "x"), 405);
}
END_TEST

START_TEST(add_creates_parents_and_gives_the_server_its_node)
{
    DmNodeInfo info;

    ck_assert_int_eq(add("srvA", "./Vendor/App/Leaf", "chr", "v1"), 200);
    ck_assert(dm_tree_get(tree, "./Vendor", &info));
    ck_assert_str_eq(info.format, "node");
    ck_assert_str_eq(info.acl, "Add=srvA&Delete=srvA&Exec=srvA&Get=srvA&Replace=srvA");
    ck_assert_int_eq(add("srvA", "./Vendor/App/Leaf", "chr", "v2"), 418);
    ck_assert_int_eq(replace("srvA", "./Vendor/App/Leaf", "v2"), 200);
    ck_assert_int_eq(replace("srvB", "./Vendor/App/Leaf", "v3"), 425);
    ck_assert_int_eq(dm_tree_check(tree, "srvB", "./Vendor/App/Leaf", DM_ACCESS_GET), 425);
    ck_assert_int_eq(dm_tree_delete(tree, "srvB", "./Vendor"), 425);
    ck_assert(dm_tree_get(tree, "./Vendor/App/Leaf", &info));
    ck_assert_mem_eq(info.value, "v2", 2);
    ck_assert_int_eq(dm_tree_delete(tree, "srvA", "./Vendor"), 200);
    ck_assert(!dm_tree_exists(tree, "./Vendor/App"));
}
END_TEST

START_TEST(missing_nodes_are_404_and_leaves_take_no_children)
{
    ck_assert_int_eq(replace("srv", "./Nope", "x"), 404);
    ck_assert_int_eq(dm_tree_delete(tree, "srv", "./Nope"), 404);
    ck_assert_int_eq(dm_tree_check(tree, "srv", "./Nope", DM_ACCESS_GET), 404);
    ck_assert_int_eq(add("srv", "./L", "chr", "x"), 200);
    ck_assert_int_eq(add("srv", "./L/Child", "chr", "x"), 405);
    ck_assert_int_eq(dm_tree_delete(tree, "srv", "."), 405);
}
END_TEST

START_TEST(acl_inherits_and_only_replace_changes_it)
{
    ck_assert_int_eq(add(NULL, "./Shared", "node", NULL), 200);
    ck_assert_int_eq(add(NULL, "./Shared/Cfg", "chr", "1"), 200);
    /* Inherited root ACL: Add=*&Get=*. */
    ck_assert_str_eq(dm_tree_effective_acl(tree, "./Shared/Cfg"), "Add=*&Get=*");
    ck_assert_int_eq(dm_tree_check(tree, "anyone", "./Shared/Cfg", DM_ACCESS_GET), 200);
    ck_assert_int_eq(replace("anyone", "./Shared/Cfg", "2"), 425);
    /* The device grants srv1 Replace on ./Shared. */
    ck_assert_int_eq(
        dm_tree_replace_property(tree, NULL, "./Shared", "ACL", "Get=*&Replace=srv1&Add=srv1"),
        200);
    ck_assert_int_eq(replace("srv1", "./Shared/Cfg", "2"), 200);
    ck_assert_int_eq(replace("srv2", "./Shared/Cfg", "3"), 425);
    /* A leaf's ACL is changed by whoever may Replace its parent. */
    ck_assert_int_eq(dm_tree_replace_property(tree, "srv2", "./Shared/Cfg", "ACL", "Get=srv2"),
                     425);
    ck_assert_int_eq(
        dm_tree_replace_property(tree, "srv1", "./Shared/Cfg", "ACL", "Get=srv1&Replace=srv1+srv2"),
        200);
    ck_assert_int_eq(replace("srv2", "./Shared/Cfg", "3"), 200);
    ck_assert_int_eq(dm_tree_check(tree, "srv2", "./Shared/Cfg", DM_ACCESS_GET), 425);
    /* Bad grammar is refused and changes nothing. */
    ck_assert_int_eq(dm_tree_replace_property(tree, "srv1", "./Shared/Cfg", "ACL", "Get"), 400);
    ck_assert_str_eq(dm_tree_effective_acl(tree, "./Shared/Cfg"), "Get=srv1&Replace=srv1+srv2");
    ck_assert_int_eq(dm_tree_replace_property(tree, "srv1", "./Shared/Cfg", "Format", "int"), 405);
}
END_TEST

START_TEST(acl_grammar)
{
    ck_assert(dm_acl_valid("Add=*&Get=*"));
    ck_assert(dm_acl_valid("Add=a+b&Delete=a&Exec=c&Get=*&Replace=a"));
    ck_assert(dm_acl_valid(""));
    ck_assert(!dm_acl_valid("Add"));
    ck_assert(!dm_acl_valid("Add=a&&Get=b"));
    ck_assert(!dm_acl_valid("Put=a"));
    ck_assert(!dm_acl_valid("Add=a++b"));
    ck_assert(!dm_acl_valid("Get=a b"));
    ck_assert(dm_acl_allows("Add=a+b&Get=*", DM_ACCESS_ADD, "b"));
    ck_assert(!dm_acl_allows("Add=a+b&Get=*", DM_ACCESS_ADD, "c"));
    ck_assert(dm_acl_allows("Add=a+b&Get=*", DM_ACCESS_GET, "c"));
    ck_assert(!dm_acl_allows("", DM_ACCESS_GET, "c"));
}
END_TEST

START_TEST(aauth_secret_is_never_readable)
{
    ck_assert_int_eq(add(NULL, "./DMAcc/Srv/AppAuth/1/AAuthSecret", "chr", "s3cret"), 200);
    dm_tree_replace_property(tree, NULL, "./DMAcc/Srv", "ACL", "Get=srv&Replace=srv");
    ck_assert_int_eq(dm_tree_check(tree, "srv", "./DMAcc/Srv/AppAuth/1/AAuthSecret", DM_ACCESS_GET),
                     405);
    ck_assert_int_eq(dm_tree_check(tree, NULL, "./DMAcc/Srv/AppAuth/1/AAuthSecret", DM_ACCESS_GET),
                     405);
    ck_assert_int_eq(replace("srv", "./DMAcc/Srv/AppAuth/1/AAuthSecret", "new"), 200);
}
END_TEST

START_TEST(formats_are_checked_as_dm_1_2_defines_them)
{
    static const char *const good_floats[] = { "+1.2345e+3", "-1.2345e-03", "123.456", "123", "0" };
    static const char *const bad_floats[] = { "123.45+", "123.",     "1+1",     "+",
                                              ".",       "123.45.5", "++123.5", "+1.3e_5" };
    static const char *const good_dates[] = { "2005-10-15", "2005-10",  "2005-258", "2005-W12-5",
                                              "2005-W02",   "20050125", "200502",   "2005016",
                                              "2005",       "2005W205", "2005W15" };
    static const char *const bad_dates[] = { "2005-1-10", "2005-00-10", "2005-10-00",
                                             "2005-10-32" };
    static const char *const good_times[] = { "23:15:25", "23:15",     "231525",        "2315",
                                              "23",       "23:15:25Z", "23:15:59+01:20" };
    static const char *const bad_times[] = { "24:03", "5:63", "23:63:01", "23:33:30+01",
                                             "23:33:30+0152" };
    int n = 0;

#define CHECK(list, format, expected)                                                         \
    for (gsize i = 0; i < G_N_ELEMENTS(list); i++) {                                          \
        g_autofree char *uri = g_strdup_printf("./F%d", n++);                                 \
        ck_assert_msg(add(NULL, uri, format, list[i]) == expected, "%s %s", format, list[i]); \
    }
    CHECK(good_floats, "float", 200);
    CHECK(bad_floats, "float", 415);
    CHECK(good_dates, "date", 200);
    CHECK(bad_dates, "date", 415);
    CHECK(good_times, "time", 200);
    CHECK(bad_times, "time", 415);
#undef CHECK
    ck_assert_int_eq(add(NULL, "./I", "int", "-12"), 200);
    ck_assert_int_eq(add(NULL, "./J", "int", "12a"), 415);
    ck_assert_int_eq(add(NULL, "./B", "bool", "true"), 200);
    ck_assert_int_eq(add(NULL, "./C", "bool", "yes"), 415);
    ck_assert_int_eq(add(NULL, "./D", "weird", "x"), 415);
    ck_assert_int_eq(replace(NULL, "./I", "x"), 415);
}
END_TEST

START_TEST(copy_duplicates_a_subtree)
{
    DmNodeInfo info;

    ck_assert_int_eq(add("srv", "./A/B", "chr", "v"), 200);
    ck_assert_int_eq(dm_tree_copy_node(tree, "srv", "./A", "./C"), 200);
    ck_assert(dm_tree_get(tree, "./C/B", &info));
    ck_assert_mem_eq(info.value, "v", 1);
    ck_assert_int_eq(dm_tree_copy_node(tree, "srv", "./A", "./C"), 418);
    ck_assert_int_eq(dm_tree_copy_node(tree, "srv", "./A", "./A/X"), 400);
    ck_assert_int_eq(dm_tree_copy_node(tree, "srv", "./Nope", "./D"), 404);
    ck_assert_int_eq(dm_tree_copy_node(tree, "other", "./A", "./E"), 425);
}
END_TEST

START_TEST(a_copy_of_the_tree_is_independent)
{
    g_autoptr(DmTree) copy = dm_tree_copy(tree);

    ck_assert_int_eq(dm_tree_add(copy, NULL, "./X", "chr", NULL, (const guint8 *)"1", 1), 200);
    ck_assert(dm_tree_exists(copy, "./X"));
    ck_assert(!dm_tree_exists(tree, "./X"));
}
END_TEST

START_TEST(nodes_of_a_card_are_removed_with_it)
{
    ck_assert_int_eq(add(NULL, "./DMAcc/Card1", "node", NULL), 200);
    ck_assert_int_eq(add(NULL, "./DMAcc/Card1/ServerID", "chr", "card"), 200);
    ck_assert_int_eq(add(NULL, "./DMAcc/Other", "node", NULL), 200);
    dm_tree_set_origin(tree, "./DMAcc/Card1", "card:8949");
    ck_assert_uint_eq(dm_tree_remove_origin(tree, "card:8949"), 1);
    ck_assert(!dm_tree_exists(tree, "./DMAcc/Card1"));
    ck_assert(dm_tree_exists(tree, "./DMAcc/Other"));
}
END_TEST

/* The store's tests write in a directory of their own, removed after each. */
static char *store_dir;

static void store_setup(void)
{
    setup();
    store_dir = g_dir_make_tmp("dmscd-tree-XXXXXX", NULL);
    ck_assert_ptr_nonnull(store_dir);
}

static void store_teardown(void)
{
    test_remove_tree(store_dir);
    g_clear_pointer(&store_dir, g_free);
    teardown();
}

static char *tmp_path(const char *name)
{
    return g_build_filename(store_dir, name, NULL);
}

/* ./Big/N0 ... ./Big/N<count - 1>, each with its number as value. */
static void add_siblings(DmTree *t, guint from, guint count)
{
    for (guint i = from; i < from + count; i++) {
        g_autofree char *uri = g_strdup_printf("./Big/N%u", i);
        g_autofree char *value = g_strdup_printf("%u", i);
        ck_assert_int_eq(
            dm_tree_add(t, NULL, uri, "chr", NULL, (const guint8 *)value, strlen(value)), 200);
    }
}

static gboolean sibling_is(DmTree *t, guint i, const char *value)
{
    g_autofree char *uri = g_strdup_printf("./Big/N%u", i);
    DmNodeInfo info;

    if (!dm_tree_get(t, uri, &info))
        return value == NULL;
    return value != NULL && info.value_length == strlen(value) &&
           memcmp(info.value, value, info.value_length) == 0;
}

START_TEST(many_siblings_are_found_by_name_through_every_change)
{
    g_autoptr(DmTree) copy = NULL;
    DmNodeInfo info;

    /* Past the count where a node starts looking its children up by name. */
    add_siblings(tree, 0, 100);
    for (guint i = 0; i < 100; i++) {
        g_autofree char *value = g_strdup_printf("%u", i);
        ck_assert_msg(sibling_is(tree, i, value), "N%u", i);
    }
    ck_assert(!dm_tree_exists(tree, "./Big/N100"));
    ck_assert_int_eq(add(NULL, "./Big/N7", "chr", "again"), 418);

    /* Deleted: gone from the lookup too, and its name free for a new node. */
    ck_assert_int_eq(dm_tree_delete(tree, NULL, "./Big/N7"), 200);
    ck_assert(sibling_is(tree, 7, NULL));
    ck_assert_int_eq(add(NULL, "./Big/N7", "chr", "again"), 200);
    ck_assert(sibling_is(tree, 7, "again"));

    /* Copied in under its new name, not the source's. */
    ck_assert_int_eq(dm_tree_copy_node(tree, NULL, "./Big/N3", "./Big/C"), 200);
    ck_assert(dm_tree_get(tree, "./Big/C", &info));
    ck_assert_mem_eq(info.value, "3", 1);
    ck_assert(sibling_is(tree, 3, "3"));

    /* A copy of the tree finds its own nodes, not the original's. */
    copy = dm_tree_copy(tree);
    ck_assert_int_eq(dm_tree_replace(copy, NULL, "./Big/N50", NULL, NULL, (const guint8 *)"x", 1),
                     200);
    ck_assert(sibling_is(copy, 50, "x"));
    ck_assert(sibling_is(tree, 50, "50"));

    /* A card's nodes removed with it, the others still found. */
    for (guint i = 10; i < 20; i++) {
        g_autofree char *uri = g_strdup_printf("./Big/N%u", i);
        dm_tree_set_origin(tree, uri, "card:8949");
    }
    ck_assert_uint_eq(dm_tree_remove_origin(tree, "card:8949"), 10);
    for (guint i = 10; i < 20; i++)
        ck_assert(sibling_is(tree, i, NULL));
    ck_assert(sibling_is(tree, 20, "20"));
    add_siblings(tree, 10, 10);
    ck_assert(sibling_is(tree, 15, "15"));
}
END_TEST

START_TEST(many_siblings_load_back_and_take_a_delta)
{
    g_autofree char *path = tmp_path("tree-siblings");
    g_autoptr(GError) error = NULL;
    g_autoptr(DmTree) loaded = NULL;
    g_autoptr(DmTree) base = NULL;
    g_autoptr(DmTreeDelta) delta = NULL;
    g_autoptr(GPtrArray) conflicts = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);

    add_siblings(tree, 0, 100);
    ck_assert(dm_tree_save(tree, path, &error));
    loaded = dm_tree_load(path, NULL, &error);
    ck_assert_msg(loaded != NULL, "%s", error ? error->message : "");
    ck_assert(sibling_is(loaded, 99, "99"));

    /* A session that added 20 and deleted one, applied onto the loaded tree. */
    base = dm_tree_copy(tree);
    add_siblings(tree, 100, 20);
    ck_assert_int_eq(dm_tree_delete(tree, NULL, "./Big/N0"), 200);
    delta = dm_tree_diff(base, tree);
    ck_assert_uint_eq(dm_tree_delta_length(delta), 21);
    ck_assert_uint_eq(dm_tree_delta_apply(delta, loaded, conflicts), 21);
    ck_assert_uint_eq(conflicts->len, 0);
    ck_assert(sibling_is(loaded, 0, NULL));
    ck_assert(sibling_is(loaded, 119, "119"));
    ck_assert_int_eq(dm_tree_add(loaded, NULL, "./Big/N119", "chr", NULL, (const guint8 *)"y", 1),
                     418);
}
END_TEST

START_TEST(saved_tree_loads_back_identically_with_mode_0600)
{
    g_autofree char *path = tmp_path("tree-roundtrip");
    g_autoptr(GError) error = NULL;
    g_autoptr(DmTree) loaded = NULL;
    DmNodeInfo info;
    struct stat st;

    ck_assert_int_eq(add("srv", "./Vendor/Bin", "bin", "\x01\x02"), 200);
    dm_tree_replace_property(tree, "srv", "./Vendor", "Title", "vendor things");
    ck_assert(dm_tree_save(tree, path, &error));
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    loaded = dm_tree_load(path, NULL, &error);
    ck_assert_msg(loaded != NULL, "%s", error ? error->message : "");
    ck_assert(dm_tree_get(loaded, "./Vendor", &info));
    ck_assert_str_eq(info.title, "vendor things");
    ck_assert_str_eq(info.acl, "Add=srv&Delete=srv&Exec=srv&Get=srv&Replace=srv");
    ck_assert(dm_tree_get(loaded, "./Vendor/Bin", &info));
    ck_assert_uint_eq(info.value_length, 2);
    ck_assert_str_eq(info.format, "bin");
    ck_assert(dm_tree_get(loaded, "./DevInfo/DevId", &info));
    ck_assert_uint_eq(info.access, DM_ACCESS_GET);
    ck_assert(dm_tree_get(loaded, ".", &info));
    ck_assert_str_eq(info.acl, DM_TREE_ROOT_ACL);
}
END_TEST

START_TEST(missing_file_is_an_empty_tree)
{
    g_autofree char *path = tmp_path("never-written");
    g_autoptr(DmTree) loaded = dm_tree_load(path, NULL, NULL);

    ck_assert_ptr_nonnull(loaded);
    ck_assert(!dm_tree_exists(loaded, "./DevInfo"));
}
END_TEST

START_TEST(corrupt_file_is_moved_aside_and_reported)
{
    g_autofree char *path = tmp_path("tree-corrupt");
    g_autoptr(GError) error = NULL;
    g_autofree char *aside = NULL;
    g_autofree char *kept = NULL;
    DmTree *loaded;

    ck_assert(g_file_set_contents(path, "not a tree at all", -1, NULL));
    loaded = dm_tree_load(path, &aside, &error);
    ck_assert_ptr_null(loaded);
    ck_assert(g_error_matches(error, DM_ERROR, DM_ERROR_CORRUPT));
    ck_assert_ptr_nonnull(aside);
    ck_assert(!g_file_test(path, G_FILE_TEST_EXISTS));
    ck_assert(g_file_get_contents(aside, &kept, NULL, NULL));
    ck_assert_str_eq(kept, "not a tree at all");
    ck_assert_ptr_nonnull(strstr(error->message, aside));
}
END_TEST

/* Corrupt files found one after another (a daemon restarted in a loop on a bad disk, within
 * the same second) are each kept: none replaces the one moved aside before it. */
START_TEST(corrupt_files_found_in_the_same_second_are_all_kept)
{
    g_autofree char *path = tmp_path("tree-corrupt-again");
    g_autoptr(GPtrArray) asides = g_ptr_array_new_with_free_func(g_free);

    for (int i = 0; i < 3; i++) {
        g_autofree char *bad = g_strdup_printf("corrupt file %d", i);
        g_autoptr(GError) error = NULL;
        char *aside = NULL;

        ck_assert(g_file_set_contents(path, bad, -1, NULL));
        ck_assert_ptr_null(dm_tree_load(path, &aside, &error));
        ck_assert(g_error_matches(error, DM_ERROR, DM_ERROR_CORRUPT));
        ck_assert_ptr_nonnull(aside);
        g_ptr_array_add(asides, aside);
    }
    for (int i = 0; i < 3; i++) {
        g_autofree char *kept = NULL;
        g_autofree char *bad = g_strdup_printf("corrupt file %d", i);

        ck_assert(g_file_get_contents(g_ptr_array_index(asides, i), &kept, NULL, NULL));
        ck_assert_str_eq(kept, bad);
        g_unlink(g_ptr_array_index(asides, i));
    }
}
END_TEST

START_TEST(a_truncated_tree_file_is_corrupt)
{
    g_autofree char *path = tmp_path("tree-truncated");
    g_autofree char *data = NULL;
    gsize length;
    g_autoptr(GError) error = NULL;

    ck_assert(dm_tree_save(tree, path, NULL));
    ck_assert(g_file_get_contents(path, &data, &length, NULL));
    ck_assert(g_file_set_contents(path, data, (gssize)(length / 2), NULL));
    ck_assert_ptr_null(dm_tree_load(path, NULL, &error));
    ck_assert(g_error_matches(error, DM_ERROR, DM_ERROR_CORRUPT));
}
END_TEST

/* A child saves two trees in turn as fast as it can and is killed with SIGKILL; whenever that
 * happens, the file holds one of the two whole trees. */
START_TEST(a_save_killed_midway_leaves_the_old_or_the_new_tree)
{
    g_autofree char *path = tmp_path("tree-sigkill");
    g_autoptr(DmTree) big = dm_tree_copy(tree);

    for (int i = 0; i < 300; i++) {
        g_autofree char *uri = g_strdup_printf("./Big/N%d", i);
        dm_tree_add(big, NULL, uri, "chr", NULL, (const guint8 *)"0123456789abcdef", 16);
    }
    ck_assert(dm_tree_save(tree, path, NULL));
    for (int round = 0; round < 20; round++) {
        pid_t child = fork();
        g_autoptr(GError) error = NULL;
        g_autoptr(DmTree) loaded = NULL;
        int status;

        ck_assert_int_ge(child, 0);
        if (child == 0) {
            for (;;) {
                dm_tree_save(big, path, NULL);
                dm_tree_save(tree, path, NULL);
            }
        }
        g_usleep(2000 + g_random_int_range(0, 20000));
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        loaded = dm_tree_load(path, NULL, &error);
        ck_assert_msg(loaded != NULL, "round %d: %s", round, error ? error->message : "");
        ck_assert(dm_tree_exists(loaded, "./DevInfo/DevId"));
        if (dm_tree_exists(loaded, "./Big"))
            ck_assert(dm_tree_exists(loaded, "./Big/N299"));
    }
}
END_TEST

/* --- Deltas: a session's changes applied onto a tree that moved on ------------------------ */

static char *value_of(DmTree *t, const char *uri)
{
    DmNodeInfo info;

    if (!dm_tree_get(t, uri, &info))
        return NULL;
    return g_strndup((const char *)info.value, info.value_length);
}

START_TEST(a_delta_onto_an_unchanged_tree_gives_the_sessions_tree)
{
    g_autoptr(DmTree) base = NULL;
    g_autoptr(DmTree) live = NULL;
    g_autoptr(DmTreeDelta) delta = NULL;
    g_autoptr(GPtrArray) conflicts = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    g_autofree char *a = NULL;
    g_autofree char *c = NULL;

    ck_assert_int_eq(add(NULL, "./Vendor/Old", "chr", "old"), 200);
    ck_assert_int_eq(add(NULL, "./Vendor/Gone", "chr", "gone"), 200);
    base = dm_tree_copy(tree);
    live = dm_tree_copy(tree);
    ck_assert_int_eq(add("srv", "./Vendor/New/A", "chr", "a"), 200);
    ck_assert_int_eq(replace(NULL, "./Vendor/Old", "changed"), 200);
    ck_assert_int_eq(dm_tree_delete(tree, NULL, "./Vendor/Gone"), 200);
    ck_assert_int_eq(dm_tree_replace_property(tree, NULL, "./Vendor/Old", "Title", "t"), 200);
    delta = dm_tree_diff(base, tree);
    ck_assert_uint_eq(dm_tree_delta_length(delta), 3);
    ck_assert_uint_eq(dm_tree_delta_apply(delta, live, conflicts), 3);
    ck_assert_uint_eq(conflicts->len, 0);
    a = value_of(live, "./Vendor/New/A");
    ck_assert_str_eq(a, "a");
    c = value_of(live, "./Vendor/Old");
    ck_assert_str_eq(c, "changed");
    ck_assert(!dm_tree_exists(live, "./Vendor/Gone"));
    /* Nothing left to do: the same delta again changes nothing and conflicts with nothing. */
    ck_assert_uint_eq(dm_tree_delta_apply(delta, live, conflicts), 0);
    ck_assert_uint_eq(conflicts->len, 0);
}
END_TEST

START_TEST(what_changed_meanwhile_wins_and_is_reported)
{
    g_autoptr(DmTree) base = NULL;
    g_autoptr(DmTree) live = NULL;
    g_autoptr(DmTreeDelta) delta = NULL;
    g_autoptr(GPtrArray) conflicts = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    g_autofree char *kept = NULL;
    g_autofree char *other = NULL;
    char **row;

    ck_assert_int_eq(add(NULL, "./Vendor/Changed", "chr", "base"), 200);
    ck_assert_int_eq(add(NULL, "./Vendor/Removed", "chr", "base"), 200);
    ck_assert_int_eq(add(NULL, "./Vendor/Deleted", "chr", "base"), 200);
    base = dm_tree_copy(tree);
    live = dm_tree_copy(tree);
    /* The session replaces two nodes, deletes a third and adds under a fourth... */
    ck_assert_int_eq(replace(NULL, "./Vendor/Changed", "session"), 200);
    ck_assert_int_eq(replace(NULL, "./Vendor/Removed", "session"), 200);
    ck_assert_int_eq(dm_tree_delete(tree, NULL, "./Vendor/Deleted"), 200);
    ck_assert_int_eq(add(NULL, "./Vendor/Other", "chr", "session"), 200);
    /* ...while the device changes, removes or replaces the same ones. */
    ck_assert_int_eq(
        dm_tree_replace(live, NULL, "./Vendor/Changed", NULL, NULL, (const guint8 *)"device", 6),
        200);
    ck_assert_int_eq(dm_tree_delete(live, NULL, "./Vendor/Removed"), 200);
    ck_assert_int_eq(
        dm_tree_replace(live, NULL, "./Vendor/Deleted", NULL, NULL, (const guint8 *)"device", 6),
        200);
    delta = dm_tree_diff(base, tree);
    ck_assert_uint_eq(dm_tree_delta_apply(delta, live, conflicts), 1);
    kept = value_of(live, "./Vendor/Changed");
    ck_assert_str_eq(kept, "device");
    ck_assert(!dm_tree_exists(live, "./Vendor/Removed"));
    ck_assert(dm_tree_exists(live, "./Vendor/Deleted"));
    other = value_of(live, "./Vendor/Other");
    ck_assert_str_eq(other, "session");
    ck_assert_uint_eq(conflicts->len, 3);
    row = g_ptr_array_index(conflicts, 0);
    ck_assert_str_eq(row[0], "./Vendor/Changed");
    ck_assert_str_eq(row[1], "Replace");
    ck_assert_str_eq(row[2], "not applied: the node changed meanwhile");
    row = g_ptr_array_index(conflicts, 1);
    ck_assert_str_eq(row[0], "./Vendor/Removed");
    ck_assert_str_eq(row[2], "not applied: the node was removed meanwhile");
    row = g_ptr_array_index(conflicts, 2);
    ck_assert_str_eq(row[0], "./Vendor/Deleted");
    ck_assert_str_eq(row[1], "Delete");
}
END_TEST

START_TEST(an_add_under_a_removed_parent_is_dropped)
{
    g_autoptr(DmTree) base = NULL;
    g_autoptr(DmTree) live = NULL;
    g_autoptr(DmTreeDelta) delta = NULL;
    g_autoptr(GPtrArray) conflicts = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);

    ck_assert_int_eq(add(NULL, "./DMAcc/Card/ServerID", "chr", "card"), 200);
    base = dm_tree_copy(tree);
    live = dm_tree_copy(tree);
    ck_assert_int_eq(add(NULL, "./DMAcc/Card/AppAuth/C/AAuthData", "b64", "bm9uY2U="), 200);
    ck_assert_int_eq(dm_tree_delete(live, NULL, "./DMAcc/Card"), 200);
    delta = dm_tree_diff(base, tree);
    ck_assert_uint_eq(dm_tree_delta_apply(delta, live, conflicts), 0);
    ck_assert(!dm_tree_exists(live, "./DMAcc/Card"));
    ck_assert_uint_eq(conflicts->len, 1);
}
END_TEST

static Suite *tree_suite(void)
{
    Suite *suite = suite_create("tree");
    TCase *tc = tcase_create("tree");
    TCase *store = tcase_create("store");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, uris_are_normalized_and_bad_ones_refused);
    tcase_add_test(tc, adding_the_root_says_it_exists);
    tcase_add_test(tc, standard_objects_are_readable_and_not_writable);
    tcase_add_test(tc, add_creates_parents_and_gives_the_server_its_node);
    tcase_add_test(tc, missing_nodes_are_404_and_leaves_take_no_children);
    tcase_add_test(tc, acl_inherits_and_only_replace_changes_it);
    tcase_add_test(tc, acl_grammar);
    tcase_add_test(tc, aauth_secret_is_never_readable);
    tcase_add_test(tc, formats_are_checked_as_dm_1_2_defines_them);
    tcase_add_test(tc, copy_duplicates_a_subtree);
    tcase_add_test(tc, a_copy_of_the_tree_is_independent);
    tcase_add_test(tc, nodes_of_a_card_are_removed_with_it);
    tcase_add_test(tc, many_siblings_are_found_by_name_through_every_change);
    tcase_add_test(tc, a_delta_onto_an_unchanged_tree_gives_the_sessions_tree);
    tcase_add_test(tc, what_changed_meanwhile_wins_and_is_reported);
    tcase_add_test(tc, an_add_under_a_removed_parent_is_dropped);
    tcase_add_checked_fixture(store, store_setup, store_teardown);
    tcase_set_timeout(store, 60);
    tcase_add_test(store, saved_tree_loads_back_identically_with_mode_0600);
    tcase_add_test(store, missing_file_is_an_empty_tree);
    tcase_add_test(store, corrupt_file_is_moved_aside_and_reported);
    tcase_add_test(store, corrupt_files_found_in_the_same_second_are_all_kept);
    tcase_add_test(store, a_truncated_tree_file_is_corrupt);
    tcase_add_test(store, a_save_killed_midway_leaves_the_old_or_the_new_tree);
    tcase_add_test(store, many_siblings_load_back_and_take_a_delta);
    suite_add_tcase(suite, tc);
    suite_add_tcase(suite, store);
    return suite;
}

int main(void)
{
    return check_run(tree_suite());
}
