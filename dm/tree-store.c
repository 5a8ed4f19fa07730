/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DM tree on disk: one GVariant file, written whole with a rename (consistent) and an
 * fsync (durable), so that a crash leaves the old tree or the new one and nothing between.
 */
#include "dm-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define TREE_MAGIC   0x444d5452u /* "DMTR" */
#define TREE_VERSION 1u
/* (magic, version, [(path, format, type, acl, title, origin, access, value)]) */
#define TREE_TYPE        "(uua(ssmsmsmssuay))"
#define ENTRY_TYPE_PLAIN "(ssmsmsmssuay)"
/* The same, borrowing the strings from the variant when reading. */
#define ENTRY_READ "(&s&sm&sm&sm&s&su@ay)"

static GVariant *maybe_string(const char *value)
{
    return g_variant_new_maybe(G_VARIANT_TYPE_STRING,
                               value != NULL ? g_variant_new_string(value) : NULL);
}

/*
 * Parents before children, so that loading can attach each node as it comes. Each entry is
 * built from its values directly (no format string to parse per node), and the path grows
 * and shrinks in one buffer as the walk goes down and up.
 */
static void add_entries(GPtrArray *entries, GString *path, const DmNode *node)
{
    gsize length = 0;
    const guint8 *value = node->value ? g_bytes_get_data(node->value, &length) : NULL;
    gsize at = path->len;
    GVariant *fields[] = {
        g_variant_new_string(path->str),
        g_variant_new_string(node->format),
        maybe_string(node->type),
        maybe_string(node->acl),
        maybe_string(node->title),
        g_variant_new_string(node->origin),
        g_variant_new_uint32(node->access),
        g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, value ? value : (const guint8 *)"", length,
                                  1),
    };

    g_ptr_array_add(entries, g_variant_new_tuple(fields, G_N_ELEMENTS(fields)));
    for (guint i = 0; i < node->children->len; i++) {
        const DmNode *child = g_ptr_array_index(node->children, i);
        g_string_append_c(path, '/');
        g_string_append(path, child->name);
        add_entries(entries, path, child);
        g_string_truncate(path, at);
    }
}

gboolean dm_tree_save(const DmTree *tree, const char *path, GError **error)
{
    g_autoptr(GPtrArray) entries = g_ptr_array_new();
    g_autoptr(GString) node_path = g_string_new(".");
    g_autoptr(GVariant) variant = NULL;
    g_autoptr(GError) local_error = NULL;
    GVariant *fields[3];

    add_entries(entries, node_path, dm_tree_peek_root(tree));
    fields[0] = g_variant_new_uint32(TREE_MAGIC);
    fields[1] = g_variant_new_uint32(TREE_VERSION);
    fields[2] = g_variant_new_array(G_VARIANT_TYPE(ENTRY_TYPE_PLAIN),
                                    (GVariant *const *)entries->pdata, entries->len);
    variant = g_variant_ref_sink(g_variant_new_tuple(fields, G_N_ELEMENTS(fields)));
    if (!g_file_set_contents_full(
            path, g_variant_get_data(variant), (gssize)g_variant_get_size(variant),
            G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600, &local_error)) {
        g_set_error(error, DM_ERROR, DM_ERROR_IO, "cannot save the DM tree: %s",
                    local_error->message);
        return FALSE;
    }
    return TRUE;
}

static gboolean corrupt(GError **error, const char *path, const char *why)
{
    g_set_error(error, DM_ERROR, DM_ERROR_CORRUPT, "%s: %s", path, why);
    return FALSE;
}

/* Rebuilds the tree entry by entry; FALSE at the first entry that does not fit. */
static gboolean load_entries(DmTree *tree, GVariant *entries, const char *path, GError **error)
{
    GVariantIter iter;
    const char *node_path, *format, *type, *acl, *title, *origin;
    guint32 access;
    GVariant *value;
    gboolean first = TRUE;

    g_variant_iter_init(&iter, entries);
    while (g_variant_iter_next(&iter, ENTRY_READ, &node_path, &format, &type, &acl, &title, &origin,
                               &access, &value)) {
        g_autoptr(GVariant) owned = value;
        g_autofree char *canonical = dm_uri_normalize(node_path, NULL);
        g_autofree char *parent_path = NULL;
        const DmNode *parent;
        DmNode *node;
        gsize length;
        const guint8 *bytes;

        if (first != g_str_equal(node_path, ".") || canonical == NULL ||
            !g_str_equal(canonical, node_path))
            return corrupt(error, path, "bad or misplaced node path");
        if (acl != NULL && !dm_acl_valid(acl))
            return corrupt(error, path, "invalid ACL");
        if (first) {
            node = dm_tree_lookup_writable(tree, ".");
        } else {
            parent_path = g_path_get_dirname(node_path);
            parent = dm_tree_lookup(tree, parent_path);
            if (parent == NULL || !dm_node_is_interior(parent) ||
                dm_tree_lookup(tree, node_path) != NULL)
                return corrupt(error, path, "node without its parent, or twice");
            node = dm_tree_ensure(tree, node_path, format);
        }
        g_free(node->format);
        node->format = g_strdup(format);
        g_free(node->type);
        node->type = g_strdup(type);
        g_free(node->acl);
        node->acl = g_strdup(acl);
        g_free(node->title);
        node->title = g_strdup(title);
        g_free(node->origin);
        node->origin = g_strdup(origin);
        node->access = access & DM_ACCESS_ALL;
        bytes = g_variant_get_fixed_array(value, &length, 1);
        if (!dm_node_is_interior(node))
            dm_node_set_value(node, bytes, length);
        first = FALSE;
    }
    return !first || corrupt(error, path, "no root node");
}

DmTree *dm_tree_load(const char *path, char **moved_aside, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autoptr(DmTree) tree = dm_tree_new();
    g_autoptr(GVariant) variant = NULL;
    g_autoptr(GVariant) entries = NULL;
    g_autoptr(GDateTime) now = NULL;
    g_autofree char *stamp = NULL;
    g_autofree char *aside = NULL;
    char *data = NULL;
    gsize length = 0;
    guint32 magic = 0, version = 0;

    if (moved_aside != NULL)
        *moved_aside = NULL;
    if (!g_file_get_contents(path, &data, &length, &local_error)) {
        if (g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return g_steal_pointer(&tree);
        g_set_error(error, DM_ERROR, DM_ERROR_IO, "cannot read the DM tree: %s",
                    local_error->message);
        return NULL;
    }
    variant = g_variant_ref_sink(
        g_variant_new_from_data(G_VARIANT_TYPE(TREE_TYPE), data, length, FALSE, g_free, data));
    if (g_variant_is_normal_form(variant)) {
        g_variant_get(variant, "(uu@a(ssmsmsmssuay))", &magic, &version, &entries);
        if (magic == TREE_MAGIC && version == TREE_VERSION &&
            load_entries(tree, entries, path, &local_error))
            return g_steal_pointer(&tree);
    }
    /* Never silently replaced: the bad file is kept beside for whoever looks into it. */
    now = g_date_time_new_now_utc();
    stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
    aside = g_strdup_printf("%s.corrupt-%s", path, stamp);
    if (g_rename(path, aside) != 0) {
        g_set_error(error, DM_ERROR, DM_ERROR_IO, "%s is corrupt and cannot be moved aside: %s",
                    path, g_strerror(errno));
        return NULL;
    }
    g_set_error(error, DM_ERROR, DM_ERROR_CORRUPT, "%s is corrupt (%s); moved to %s", path,
                local_error ? local_error->message : "not a dmscd tree file", aside);
    if (moved_aside != NULL)
        *moved_aside = g_steal_pointer(&aside);
    return NULL;
}
