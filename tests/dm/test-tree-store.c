/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tree file, laid out by dmscd itself, is byte for byte what GLib makes of the same
 * GVariant: for entries and arrays whose framing offsets take 1, 2 and 4 bytes. */
#include "dm/dm-private.h"
#include "tests/check-run.h"

#include <glib/gstdio.h>

static DmTree *tree;
static char *dir;
static char *path;

static void setup(void)
{
    tree = dm_tree_new();
    dir = g_dir_make_tmp("dmscd-tree-store-XXXXXX", NULL);
    path = g_build_filename(dir, "tree", NULL);
}

static void teardown(void)
{
    g_clear_pointer(&tree, dm_tree_unref);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

static GVariant *maybe_string(const char *value)
{
    return g_variant_new_maybe(G_VARIANT_TYPE_STRING,
                               value != NULL ? g_variant_new_string(value) : NULL);
}

/* GLib's own serialisation of the tree, parents before children, as the file holds it. */
static void glib_entries(GVariantBuilder *entries, GString *at, const DmNode *node)
{
    gsize length = 0;
    const guint8 *value = node->value ? g_bytes_get_data(node->value, &length) : NULL;
    gsize mark = at->len;

    g_variant_builder_add_value(
        entries, g_variant_new(
                     "(ss@ms@ms@mssu@ay)", at->str, node->format, maybe_string(node->type),
                     maybe_string(node->acl), maybe_string(node->title), node->origin, node->access,
                     g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
                                               value ? value : (const guint8 *)"", length, 1)));
    for (guint i = 0; i < node->children->len; i++) {
        const DmNode *child = g_ptr_array_index(node->children, i);
        g_string_append_printf(at, "/%s", child->name);
        glib_entries(entries, at, child);
        g_string_truncate(at, mark);
    }
}

static GBytes *glib_file(const DmTree *t)
{
    g_auto(GVariantBuilder) entries = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("a(ssmsmsmssuay)"));
    g_autoptr(GString) at = g_string_new(".");
    g_autoptr(GVariant) file = NULL;

    glib_entries(&entries, at, dm_tree_peek_root(t));
    file = g_variant_ref_sink(g_variant_new("(uua(ssmsmsmssuay))", 0x444d5452u, 1u, &entries));
    return g_variant_get_data_as_bytes(file);
}

static void assert_saved_as_glib_would(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) expected = glib_file(tree);
    g_autoptr(GBytes) saved = NULL;
    g_autoptr(DmTree) loaded = NULL;
    char *contents;
    gsize length;

    ck_assert(dm_tree_save(tree, path, &error));
    ck_assert(g_file_get_contents(path, &contents, &length, NULL));
    saved = g_bytes_new_take(contents, length);
    ck_assert_uint_eq(g_bytes_get_size(saved), g_bytes_get_size(expected));
    ck_assert(g_bytes_equal(saved, expected));
    loaded = dm_tree_load(path, NULL, &error);
    ck_assert_ptr_nonnull(loaded);
}

static void leaf(const char *uri, gsize size, char fill)
{
    g_autofree guint8 *value = g_malloc(size + 1);
    DmNode *node = dm_tree_ensure(tree, uri, "bin");

    memset(value, fill, size);
    dm_node_set_value(node, value, size);
}

START_TEST(a_small_tree_is_laid_out_as_glib_lays_it_out)
{
    DmDeviceInfo info = { .dev_id = "IMEI:356938035643809", .manufacturer = "dmscd" };

    dm_tree_add_standard_objects(tree, &info);
    ck_assert_int_eq(dm_tree_add(tree, NULL, "./Vendor/Empty", "chr", "text/plain", NULL, 0), 200);
    ck_assert_int_eq(dm_tree_replace_property(tree, NULL, "./Vendor", "Title", "caf\xc3\xa9"), 200);
    /* Past ASCII in a word-sized piece, not only at the end. */
    ck_assert_int_eq(dm_tree_add(tree, NULL,
                                 "./Vendor/Gr\xc3\xbc\xc3\x9f"
                                 "e",
                                 "chr", NULL, (const guint8 *)"x", 1),
                     200);
    ck_assert_int_eq(dm_tree_replace_property(tree, NULL,
                                              "./Vendor/Gr\xc3\xbc\xc3\x9f"
                                              "e",
                                              "Title", "\xe2\x82\xac 12345678 \xc3\xa9t\xc3\xa9"),
                     200);
    ck_assert_int_eq(dm_tree_replace_property(tree, NULL, "./Vendor", "ACL", "Get=*"), 200);
    dm_tree_set_origin(tree, "./Vendor", "card:89");
    assert_saved_as_glib_would();
}
END_TEST

START_TEST(entries_with_two_and_four_byte_offsets_are_laid_out_as_glib_lays_them_out)
{
    /* Entries of about 300 bytes (2-byte offsets) and 70,000 (4-byte), and the array of all
     * past 65,535 bytes (4-byte offsets). */
    leaf("./A/Medium", 300, 'm');
    leaf("./A/Large", 70000, 'l');
    leaf("./A/Odd", 3, 'o');
    leaf("./B/Edge", 255 - 16, 'e');
    assert_saved_as_glib_would();
}
END_TEST

START_TEST(an_array_with_two_byte_offsets_is_laid_out_as_glib_lays_it_out)
{
    for (guint i = 0; i < 200; i++) {
        g_autofree char *uri = g_strdup_printf("./Many/N%u", i);
        leaf(uri, i % 7, 'v');
    }
    assert_saved_as_glib_would();
}
END_TEST

/* Every size around the points where an entry's offsets, then the array's, widen. */
START_TEST(offsets_widen_where_glib_widens_them)
{
    static const gsize around[] = { 200, 65470 };

    for (gsize a = 0; a < G_N_ELEMENTS(around); a++) {
        for (gsize size = around[a]; size < around[a] + 80; size++) {
            g_clear_pointer(&tree, dm_tree_unref);
            tree = dm_tree_new();
            leaf("./L", size, 'x');
            assert_saved_as_glib_would();
        }
    }
}
END_TEST

START_TEST(a_tree_that_would_not_load_back_is_not_saved)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    DmNode *node;

    leaf("./A", 1, 'a');
    assert_saved_as_glib_would();
    ck_assert(g_file_get_contents(path, &before, NULL, NULL));
    /* Names come from parsers that insist on UTF-8; should one slip through, the file stays.
     * The bad byte alone, last in a word-sized piece, just after one, after it, inside one, and a
     * character cut short. */
    static const char *const bad[] = { "\xff\xfe",
                                       "0123456\xff",
                                       "01234567\xff",
                                       "0123456789\xff",
                                       "0123\xe9"
                                       "4567"
                                       "89abcdef",
                                       "caf\xc3" };
    node = dm_tree_ensure(tree, "./B", "chr");
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_clear_error(&error);
        g_free(node->title);
        node->title = g_strdup(bad[i]);
        ck_assert_msg(!dm_tree_save(tree, path, &error), "saved with title %zu", i);
        ck_assert_int_eq(error->code, DM_ERROR_INVALID);
        ck_assert(g_file_get_contents(path, &after, NULL, NULL));
        ck_assert_str_eq(before, after);
        g_clear_pointer(&after, g_free);
    }
}
END_TEST

static Suite *store_suite(void)
{
    Suite *suite = suite_create("tree-store");
    TCase *tc = tcase_create("layout");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_small_tree_is_laid_out_as_glib_lays_it_out);
    tcase_add_test(tc, entries_with_two_and_four_byte_offsets_are_laid_out_as_glib_lays_them_out);
    tcase_add_test(tc, an_array_with_two_byte_offsets_is_laid_out_as_glib_lays_it_out);
    tcase_add_test(tc, offsets_widen_where_glib_widens_them);
    tcase_add_test(tc, a_tree_that_would_not_load_back_is_not_saved);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(store_suite());
}
