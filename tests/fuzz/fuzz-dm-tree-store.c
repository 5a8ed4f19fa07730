/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DM tree file, both ways. dmscd lays the file out itself (dm/tree-store.c) and reads it
 * back with GLib, so every tree it saves must be a GVariant in normal form that loads as the
 * same tree. The input is used twice:
 *
 *  - as a tree file on disk: it loads, or it is refused as corrupt and moved aside (never
 *    half-loaded); a tree that loads goes round again;
 *  - as lines of edits to a tree (below), which is then saved: the bytes must be GLib's
 *    normal form, load as the same tree, and save again to the same bytes. A node text that
 *    is not UTF-8 must fail the save and leave no file.
 *
 * Edits, one a line: "A<uri>\t<value>" adds a leaf, "N<uri>" an interior node, "B<uri>\t<n>"
 * a leaf of n * 256 bytes (files past 64 KiB, whose framing offsets take 4 bytes),
 * "P<uri>\t<property>\t<value>" replaces ACL, Title, Format or Type, "D<uri>" deletes.
 */
#include "dm/dm.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The file's GVariant type, as dm/tree-store.c writes it. */
#define TREE_TYPE "(uua(ssmsmsmssuay))"

static char *dir, *in_path, *out_path, *again_path;

static void remove_files(void)
{
    g_unlink(in_path);
    g_unlink(out_path);
    g_unlink(again_path);
    g_rmdir(dir);
}

static void make_dir(void)
{
    if (dir != NULL)
        return;
    dir = g_dir_make_tmp("dmscd-fuzz-tree-XXXXXX", NULL);
    g_assert(dir != NULL);
    in_path = g_build_filename(dir, "in", NULL);
    out_path = g_build_filename(dir, "out", NULL);
    again_path = g_build_filename(dir, "again", NULL);
    atexit(remove_files);
}

static GBytes *read_file(const char *path)
{
    char *contents = NULL;
    gsize length = 0;

    g_assert(g_file_get_contents(path, &contents, &length, NULL));
    return g_bytes_new_take(contents, length);
}

/* @tree saved, checked with GLib, loaded and saved again: the same tree, the same bytes. */
static void round_trip(const DmTree *tree)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) saved = NULL;
    g_autoptr(GBytes) again = NULL;
    g_autoptr(GVariant) variant = NULL;
    g_autoptr(DmTree) loaded = NULL;
    g_autoptr(DmTreeDelta) delta = NULL;
    g_autofree char *aside = NULL;

    g_unlink(out_path);
    if (!dm_tree_save(tree, out_path, &error)) {
        g_assert(g_error_matches(error, DM_ERROR, DM_ERROR_INVALID));
        g_assert(!g_file_test(out_path, G_FILE_TEST_EXISTS));
        return;
    }
    saved = read_file(out_path);
    variant = g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE(TREE_TYPE), saved, FALSE));
    g_assert(g_variant_is_normal_form(variant));

    loaded = dm_tree_load(out_path, &aside, &error);
    g_assert_no_error(error);
    g_assert(loaded != NULL && aside == NULL);
    delta = dm_tree_diff(tree, loaded);
    g_assert(dm_tree_delta_length(delta) == 0);

    g_assert(dm_tree_save(loaded, again_path, NULL));
    again = read_file(again_path);
    g_assert(g_bytes_equal(saved, again));
}

static void load_file(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DmTree) tree = NULL;
    g_autofree char *aside = NULL;

    g_assert(g_file_set_contents(in_path, (const char *)data, (gssize)size, NULL));
    tree = dm_tree_load(in_path, &aside, &error);
    if (tree == NULL) {
        /* Refused whole, and kept beside for whoever looks into it. */
        g_assert(g_error_matches(error, DM_ERROR, DM_ERROR_CORRUPT));
        g_assert(aside != NULL && g_file_test(aside, G_FILE_TEST_IS_REGULAR));
        g_assert(!g_file_test(in_path, G_FILE_TEST_EXISTS));
        g_unlink(aside);
        return;
    }
    g_assert_no_error(error);
    g_assert(aside == NULL);
    round_trip(tree);
}

static void edit(DmTree *tree, const char *line, gsize length)
{
    g_autofree char *text = g_strndup(line + 1, length - 1);
    char **fields = g_strsplit(text, "\t", 3);
    const char *uri = fields[0], *second = fields[0] ? fields[1] : NULL;
    const char *third = second ? fields[2] : NULL;

    if (uri == NULL) {
        g_strfreev(fields);
        return;
    }
    switch (line[0]) {
    case 'A':
        (void)dm_tree_add(tree, NULL, uri, "chr", NULL, (const guint8 *)(second ? second : ""),
                          second ? strlen(second) : 0);
        break;
    case 'N':
        (void)dm_tree_add(tree, NULL, uri, "node", NULL, NULL, 0);
        break;
    case 'B':
        if (second != NULL) {
            gsize n = MIN(strtoul(second, NULL, 10), DM_TREE_MAX_VALUE / 256);
            g_autofree guint8 *value = g_malloc(n * 256 + 1);
            for (gsize i = 0; i < n * 256; i++)
                value[i] = (guint8)i;
            (void)dm_tree_add(tree, NULL, uri, "bin", NULL, value, n * 256);
        }
        break;
    case 'P':
        if (third != NULL)
            (void)dm_tree_replace_property(tree, NULL, uri, second, third);
        break;
    case 'D':
        (void)dm_tree_delete(tree, NULL, uri);
        break;
    default:
        break;
    }
    g_strfreev(fields);
}

static void build_and_save(const uint8_t *data, size_t size)
{
    g_autoptr(DmTree) tree = dm_tree_new();
    DmDeviceInfo info = { .dev_id = "IMEI:356938035643809" };
    const char *p = (const char *)data, *end = p + size;

    dm_tree_add_standard_objects(tree, &info);
    while (p < end) {
        const char *newline = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = newline ? newline : end;

        if (line_end > p)
            edit(tree, p, (gsize)(line_end - p));
        p = newline ? newline + 1 : end;
    }
    round_trip(tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_dir();
    load_file(data, size);
    build_and_save(data, size);
    return 0;
}
