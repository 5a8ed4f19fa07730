/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Changing the DM tree: Add, Replace, Delete, Copy and properties, each with its status. */
#include "dm-private.h"

#include <string.h>

void dm_node_set_value(DmNode *node, const guint8 *value, gsize length)
{
    g_clear_pointer(&node->value, g_bytes_unref);
    node->value = g_bytes_new(value, length);
}

static DmNode *add_child(DmNode *parent, const char *name, const char *format)
{
    DmNode *node = dm_node_new(name, format);

    dm_node_attach(parent, node);
    return node;
}

/* The nearest existing ancestor of @canonical (its URI in @at) and the names still missing
 * below it. */
static gboolean deepest_existing(const DmTree *tree, const char *canonical, GString *at,
                                 GPtrArray *missing, DmFound *found)
{
    g_auto(GStrv) segments = NULL;
    const DmNode *node = dm_tree_peek_root(tree);
    char **s;

    g_string_assign(at, ".");
    /* The root has no segments, and always exists. */
    if (g_str_equal(canonical, "."))
        return dm_tree_find(tree, ".", found);
    segments = g_strsplit(canonical + 2, "/", -1);
    for (s = segments; *s != NULL; s++) {
        const DmNode *next = dm_node_child(node, *s);
        if (next == NULL)
            break;
        g_string_append_c(at, '/');
        g_string_append(at, *s);
        node = next;
    }
    for (; *s != NULL; s++)
        g_ptr_array_add(missing, g_strdup(*s));
    return dm_tree_find(tree, at->str, found);
}

/* A node a server adds is that server's: it may do everything with it. */
static void grant_owner(DmNode *node, const char *acl, const char *server_id)
{
    if (server_id == NULL || (dm_acl_allows(acl, DM_ACCESS_GET, server_id) &&
                              dm_acl_allows(acl, DM_ACCESS_REPLACE, server_id) &&
                              dm_acl_allows(acl, DM_ACCESS_DELETE, server_id) &&
                              dm_acl_allows(acl, DM_ACCESS_ADD, server_id)))
        return;
    node->acl = g_strdup_printf("Add=%s&Delete=%s&Exec=%s&Get=%s&Replace=%s", server_id, server_id,
                                server_id, server_id, server_id);
}

int dm_tree_add(DmTree *tree, const char *server_id, const char *uri, const char *format,
                const char *type, const guint8 *value, gsize length)
{
    g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) at = g_string_new(NULL);
    g_autofree char *canonical = NULL;
    DmNode *parent, *node = NULL;
    DmFound found;
    int status;

    g_return_val_if_fail(!dm_tree_is_shared(tree), DM_STATUS_COMMAND_FAILED);
    if ((canonical = dm_uri_normalize(uri, &status)) == NULL)
        return status;
    if (format == NULL)
        format = "chr";
    if (!deepest_existing(tree, canonical, at, missing, &found))
        return DM_STATUS_COMMAND_FAILED;
    if (missing->len == 0)
        return DM_STATUS_ALREADY_EXISTS;
    if (!dm_node_is_interior(found.node))
        return DM_STATUS_NOT_ALLOWED;
    if ((status = dm_node_check(found.node, found.acl, server_id, DM_ACCESS_ADD)) != DM_STATUS_OK)
        return status;
    if (!g_str_equal(format, "node")) {
        if (length > DM_TREE_MAX_VALUE)
            return DM_STATUS_TOO_LARGE;
        if ((status = dm_format_check(format, value, length)) != DM_STATUS_OK)
            return status;
    }
    /* Missing interior parents are created on the way (DM 1.2 allows it). */
    parent = dm_tree_lookup_writable(tree, at->str);
    for (guint i = 0; i < missing->len; i++) {
        gboolean last = i + 1 == missing->len;
        node = add_child(parent, g_ptr_array_index(missing, i), last ? format : "node");
        if (i == 0)
            grant_owner(node, found.acl, server_id);
        parent = node;
    }
    node->type = g_strdup(type);
    if (!g_str_equal(format, "node"))
        dm_node_set_value(node, value, length);
    return DM_STATUS_OK;
}

/* The node @uri names, in canonical form in @canonical: FALSE with 400 (or 414) for a bad
 * URI, 404 for a missing node. */
static gboolean find_node(const DmTree *tree, const char *uri, char **canonical, DmFound *found,
                          int *status)
{
    *canonical = dm_uri_normalize(uri, status);
    if (*canonical == NULL)
        return FALSE;
    if (!dm_tree_find(tree, *canonical, found)) {
        *status = DM_STATUS_NOT_FOUND;
        return FALSE;
    }
    *status = DM_STATUS_OK;
    return TRUE;
}

int dm_tree_replace(DmTree *tree, const char *server_id, const char *uri, const char *format,
                    const char *type, const guint8 *value, gsize length)
{
    g_autofree char *canonical = NULL;
    DmFound found;
    DmNode *node;
    int status;

    g_return_val_if_fail(!dm_tree_is_shared(tree), DM_STATUS_COMMAND_FAILED);
    if (!find_node(tree, uri, &canonical, &found, &status))
        return status;
    if ((status = dm_node_check(found.node, found.acl, server_id, DM_ACCESS_REPLACE)) !=
        DM_STATUS_OK)
        return status;
    if (dm_node_is_interior(found.node))
        return DM_STATUS_NOT_ALLOWED;
    if (format == NULL)
        format = found.node->format;
    if (g_str_equal(format, "node"))
        return DM_STATUS_NOT_ALLOWED;
    if (length > DM_TREE_MAX_VALUE)
        return DM_STATUS_TOO_LARGE;
    if ((status = dm_format_check(format, value, length)) != DM_STATUS_OK)
        return status;
    node = dm_tree_lookup_writable(tree, canonical);
    if (!g_str_equal(format, node->format)) {
        g_free(node->format);
        node->format = g_strdup(format);
    }
    if (type != NULL) {
        g_free(node->type);
        node->type = g_strdup(type);
    }
    dm_node_set_value(node, value, length);
    return DM_STATUS_OK;
}

/* Everything below a node must be deletable by its description, not only the node. */
static gboolean subtree_deletable(const DmNode *node)
{
    if (!(node->access & DM_ACCESS_DELETE))
        return FALSE;
    for (guint i = 0; i < node->children->len; i++) {
        if (!subtree_deletable(g_ptr_array_index(node->children, i)))
            return FALSE;
    }
    return TRUE;
}

int dm_tree_delete(DmTree *tree, const char *server_id, const char *uri)
{
    g_autofree char *canonical = NULL;
    g_autofree char *above = NULL;
    DmFound found;
    DmNode *parent;
    int status;

    g_return_val_if_fail(!dm_tree_is_shared(tree), DM_STATUS_COMMAND_FAILED);
    if (!find_node(tree, uri, &canonical, &found, &status))
        return status;
    if (found.parent == NULL)
        return DM_STATUS_NOT_ALLOWED;
    if ((status = dm_node_check(found.node, found.acl, server_id, DM_ACCESS_DELETE)) !=
        DM_STATUS_OK)
        return status;
    if (!subtree_deletable(found.node))
        return DM_STATUS_NOT_ALLOWED;
    above = g_path_get_dirname(canonical);
    parent = dm_tree_lookup_writable(tree, above);
    dm_node_remove_child(parent, dm_node_child(parent, found.node->name));
    return DM_STATUS_OK;
}

int dm_tree_copy_node(DmTree *tree, const char *server_id, const char *source, const char *target)
{
    g_autofree char *from = dm_uri_normalize(source, NULL);
    g_autofree char *to = dm_uri_normalize(target, NULL);
    g_autofree char *parent_path = NULL;
    DmFound found, above;
    DmNode *copy;
    int status;

    g_return_val_if_fail(!dm_tree_is_shared(tree), DM_STATUS_COMMAND_FAILED);
    if (from == NULL || to == NULL)
        return DM_STATUS_BAD_REQUEST;
    if (!dm_tree_find(tree, from, &found))
        return DM_STATUS_NOT_FOUND;
    if ((status = dm_node_check(found.node, found.acl, server_id, DM_ACCESS_GET)) != DM_STATUS_OK)
        return status;
    if (dm_tree_lookup(tree, to) != NULL)
        return DM_STATUS_ALREADY_EXISTS;
    /* A node copied into itself would never end. */
    if (g_str_has_prefix(to, from) && to[strlen(from)] == '/')
        return DM_STATUS_BAD_REQUEST;
    parent_path = g_path_get_dirname(to);
    if (!dm_tree_find(tree, parent_path, &above))
        return DM_STATUS_NOT_FOUND;
    if (!dm_node_is_interior(above.node))
        return DM_STATUS_NOT_ALLOWED;
    if ((status = dm_node_check(above.node, above.acl, server_id, DM_ACCESS_ADD)) != DM_STATUS_OK)
        return status;
    /* The copy shares what is below it with the source until either changes. */
    copy = dm_node_copy(found.node);
    g_free(copy->name);
    copy->name = g_path_get_basename(to);
    /* A copy belongs to whoever made it, not to the source's card or bootstrap. */
    g_free(copy->origin);
    copy->origin = g_strdup("");
    dm_node_attach(dm_tree_lookup_writable(tree, parent_path), copy);
    return DM_STATUS_OK;
}

int dm_tree_replace_property(DmTree *tree, const char *server_id, const char *uri,
                             const char *property, const char *value)
{
    g_autofree char *canonical = NULL;
    DmFound found;
    DmNode *node;
    int status;

    g_return_val_if_fail(!dm_tree_is_shared(tree), DM_STATUS_COMMAND_FAILED);
    if (!find_node(tree, uri, &canonical, &found, &status))
        return status;
    if (g_str_equal(property, "ACL")) {
        /* A leaf's ACL is its parent's business; an interior node's (and the root's) its own. */
        const char *authority =
            dm_node_is_interior(found.node) || found.parent == NULL ? found.acl : found.parent_acl;

        if (!dm_acl_valid(value))
            return DM_STATUS_BAD_REQUEST;
        if (server_id != NULL && !dm_acl_allows(authority, DM_ACCESS_REPLACE, server_id))
            return DM_STATUS_PERMISSION_DENIED;
        node = dm_tree_lookup_writable(tree, canonical);
        g_free(node->acl);
        node->acl = g_strdup(value);
        return DM_STATUS_OK;
    }
    if (g_str_equal(property, "Title")) {
        if ((status = dm_node_check(found.node, found.acl, server_id, DM_ACCESS_REPLACE)) !=
            DM_STATUS_OK)
            return status;
        node = dm_tree_lookup_writable(tree, canonical);
        g_free(node->title);
        node->title = g_strdup(value);
        return DM_STATUS_OK;
    }
    /* Name, Format, Type, Size and the rest are not changed through properties here. */
    return DM_STATUS_NOT_ALLOWED;
}

void dm_tree_set_access(DmTree *tree, const char *uri, guint access)
{
    g_autofree char *canonical = dm_uri_normalize(uri, NULL);
    DmNode *node = canonical ? dm_tree_lookup_writable(tree, canonical) : NULL;

    if (node != NULL)
        node->access = access;
}

void dm_tree_set_origin(DmTree *tree, const char *uri, const char *origin)
{
    g_autofree char *canonical = dm_uri_normalize(uri, NULL);
    DmNode *node = canonical ? dm_tree_lookup_writable(tree, canonical) : NULL;

    if (node != NULL) {
        g_free(node->origin);
        node->origin = g_strdup(origin ? origin : "");
    }
}

static gboolean has_origin_below(const DmNode *node, const char *origin)
{
    for (guint i = 0; i < node->children->len; i++) {
        const DmNode *child = g_ptr_array_index(node->children, i);
        if (g_str_equal(child->origin, origin) || has_origin_below(child, origin))
            return TRUE;
    }
    return FALSE;
}

/* @node is its tree's own; only the paths to what goes are copied. */
static guint remove_origin(DmNode *node, const char *origin)
{
    guint removed = 0;

    for (guint i = node->children->len; i > 0; i--) {
        DmNode *child = g_ptr_array_index(node->children, i - 1);
        if (g_str_equal(child->origin, origin)) {
            dm_node_remove_child(node, child);
            removed++;
        } else if (has_origin_below(child, origin)) {
            removed += remove_origin(dm_node_own_child(node, i - 1), origin);
        }
    }
    return removed;
}

static void collect_origins(const DmNode *node, GHashTable *seen, GPtrArray *out)
{
    for (guint i = 0; i < node->children->len; i++) {
        const DmNode *child = g_ptr_array_index(node->children, i);
        if (child->origin[0] != '\0' && g_hash_table_add(seen, child->origin))
            g_ptr_array_add(out, g_strdup(child->origin));
        collect_origins(child, seen, out);
    }
}

GPtrArray *dm_tree_list_origins(const DmTree *tree)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

    collect_origins(dm_tree_peek_root(tree), seen, out);
    return out;
}

guint dm_tree_remove_origin(DmTree *tree, const char *origin)
{
    g_return_val_if_fail(origin != NULL && origin[0] != '\0', 0);
    g_return_val_if_fail(!dm_tree_is_shared(tree), 0);
    if (!has_origin_below(dm_tree_peek_root(tree), origin))
        return 0;
    return remove_origin(dm_tree_lookup_writable(tree, "."), origin);
}
