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

void dm_node_detach_free(DmNode *node)
{
    DmNode *parent = node->parent;

    if (parent != NULL) {
        if (parent->by_name != NULL && g_hash_table_lookup(parent->by_name, node->name) == node)
            g_hash_table_remove(parent->by_name, node->name);
        g_ptr_array_remove(parent->children, node);
    }
    dm_node_free(node);
}

DmNode *dm_tree_ensure(DmTree *tree, const char *canonical, const char *format)
{
    g_auto(GStrv) segments = NULL;
    DmNode *node = dm_tree_peek_root(tree);

    if (g_str_equal(canonical, "."))
        return node;
    segments = g_strsplit(canonical + 2, "/", -1);
    for (char **s = segments; *s != NULL; s++) {
        DmNode *next = dm_node_child(node, *s);
        if (next == NULL)
            next = add_child(node, *s, s[1] == NULL ? format : "node");
        node = next;
    }
    return node;
}

/* The nearest existing ancestor of @canonical and the names still missing below it. */
static DmNode *deepest_existing(DmTree *tree, const char *canonical, GPtrArray *missing)
{
    g_auto(GStrv) segments = NULL;
    DmNode *node = dm_tree_peek_root(tree);
    char **s;

    /* The root has no segments, and always exists. */
    if (g_str_equal(canonical, "."))
        return node;
    segments = g_strsplit(canonical + 2, "/", -1);
    s = segments;

    for (; *s != NULL; s++) {
        DmNode *next = dm_node_child(node, *s);
        if (next == NULL)
            break;
        node = next;
    }
    for (; *s != NULL; s++)
        g_ptr_array_add(missing, g_strdup(*s));
    return node;
}

/* A node a server adds is that server's: it may do everything with it. */
static void grant_owner(DmNode *node, const char *server_id)
{
    const char *acl = dm_node_effective_acl(node);

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
    g_autofree char *canonical = NULL;
    DmNode *parent, *node = NULL;
    int status;

    g_return_val_if_fail(!dm_tree_is_shared(tree), DM_STATUS_COMMAND_FAILED);
    if ((canonical = dm_uri_normalize(uri, &status)) == NULL)
        return status;
    if (format == NULL)
        format = "chr";
    parent = deepest_existing(tree, canonical, missing);
    if (missing->len == 0)
        return DM_STATUS_ALREADY_EXISTS;
    if (!dm_node_is_interior(parent))
        return DM_STATUS_NOT_ALLOWED;
    if ((status = dm_node_check(parent, server_id, DM_ACCESS_ADD)) != DM_STATUS_OK)
        return status;
    if (!g_str_equal(format, "node")) {
        if (length > DM_TREE_MAX_VALUE)
            return DM_STATUS_TOO_LARGE;
        if ((status = dm_format_check(format, value, length)) != DM_STATUS_OK)
            return status;
    }
    /* Missing interior parents are created on the way (DM 1.2 allows it). */
    for (guint i = 0; i < missing->len; i++) {
        gboolean last = i + 1 == missing->len;
        node = add_child(parent, g_ptr_array_index(missing, i), last ? format : "node");
        if (i == 0)
            grant_owner(node, server_id);
        parent = node;
    }
    node->type = g_strdup(type);
    if (!g_str_equal(format, "node"))
        dm_node_set_value(node, value, length);
    return DM_STATUS_OK;
}

/* The node @uri names: NULL with 400 (or 414) for a bad URI, 404 for a missing node. */
static DmNode *find_node(DmTree *tree, const char *uri, int *status)
{
    g_autofree char *canonical = dm_uri_normalize(uri, status);
    DmNode *node;

    if (canonical == NULL)
        return NULL;
    node = dm_tree_lookup(tree, canonical);
    *status = node != NULL ? DM_STATUS_OK : DM_STATUS_NOT_FOUND;
    return node;
}

int dm_tree_replace(DmTree *tree, const char *server_id, const char *uri, const char *format,
                    const char *type, const guint8 *value, gsize length)
{
    int status;
    DmNode *node;

    g_return_val_if_fail(!dm_tree_is_shared(tree), DM_STATUS_COMMAND_FAILED);
    node = find_node(tree, uri, &status);

    if (node == NULL)
        return status;
    if ((status = dm_node_check(node, server_id, DM_ACCESS_REPLACE)) != DM_STATUS_OK)
        return status;
    if (dm_node_is_interior(node))
        return DM_STATUS_NOT_ALLOWED;
    if (format == NULL)
        format = node->format;
    if (g_str_equal(format, "node"))
        return DM_STATUS_NOT_ALLOWED;
    if (length > DM_TREE_MAX_VALUE)
        return DM_STATUS_TOO_LARGE;
    if ((status = dm_format_check(format, value, length)) != DM_STATUS_OK)
        return status;
    if (format != node->format) {
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
    int status;
    DmNode *node;

    g_return_val_if_fail(!dm_tree_is_shared(tree), DM_STATUS_COMMAND_FAILED);
    node = find_node(tree, uri, &status);

    if (node == NULL)
        return status;
    if (node->parent == NULL)
        return DM_STATUS_NOT_ALLOWED;
    if ((status = dm_node_check(node, server_id, DM_ACCESS_DELETE)) != DM_STATUS_OK)
        return status;
    if (!subtree_deletable(node))
        return DM_STATUS_NOT_ALLOWED;
    dm_node_detach_free(node);
    return DM_STATUS_OK;
}

int dm_tree_copy_node(DmTree *tree, const char *server_id, const char *source, const char *target)
{
    g_autofree char *from = dm_uri_normalize(source, NULL);
    g_autofree char *to = dm_uri_normalize(target, NULL);
    g_autofree char *parent_path = NULL;
    DmNode *node, *parent, *copy;
    int status;

    g_return_val_if_fail(!dm_tree_is_shared(tree), DM_STATUS_COMMAND_FAILED);
    if (from == NULL || to == NULL)
        return DM_STATUS_BAD_REQUEST;
    if ((node = dm_tree_lookup(tree, from)) == NULL)
        return DM_STATUS_NOT_FOUND;
    if ((status = dm_node_check(node, server_id, DM_ACCESS_GET)) != DM_STATUS_OK)
        return status;
    if (dm_tree_lookup(tree, to) != NULL)
        return DM_STATUS_ALREADY_EXISTS;
    /* A node copied into itself would never end. */
    if (g_str_has_prefix(to, from) && to[strlen(from)] == '/')
        return DM_STATUS_BAD_REQUEST;
    parent_path = g_path_get_dirname(to);
    if ((parent = dm_tree_lookup(tree, parent_path)) == NULL)
        return DM_STATUS_NOT_FOUND;
    if (!dm_node_is_interior(parent))
        return DM_STATUS_NOT_ALLOWED;
    if ((status = dm_node_check(parent, server_id, DM_ACCESS_ADD)) != DM_STATUS_OK)
        return status;
    copy = dm_node_copy(node);
    g_free(copy->name);
    copy->name = g_path_get_basename(to);
    /* A copy belongs to whoever made it, not to the source's card or bootstrap. */
    g_free(copy->origin);
    copy->origin = g_strdup("");
    dm_node_attach(parent, copy);
    return DM_STATUS_OK;
}

int dm_tree_replace_property(DmTree *tree, const char *server_id, const char *uri,
                             const char *property, const char *value)
{
    DmNode *authority;
    int status;
    DmNode *node;

    g_return_val_if_fail(!dm_tree_is_shared(tree), DM_STATUS_COMMAND_FAILED);
    node = find_node(tree, uri, &status);

    if (node == NULL)
        return status;
    if (g_str_equal(property, "ACL")) {
        if (!dm_acl_valid(value))
            return DM_STATUS_BAD_REQUEST;
        /* A leaf's ACL is its parent's business; an interior node's its own. */
        authority = dm_node_is_interior(node) || node->parent == NULL ? node : node->parent;
        if (server_id != NULL &&
            !dm_acl_allows(dm_node_effective_acl(authority), DM_ACCESS_REPLACE, server_id))
            return DM_STATUS_PERMISSION_DENIED;
        g_free(node->acl);
        node->acl = g_strdup(value);
        return DM_STATUS_OK;
    }
    if (g_str_equal(property, "Title")) {
        if ((status = dm_node_check(node, server_id, DM_ACCESS_REPLACE)) != DM_STATUS_OK)
            return status;
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
    DmNode *node = canonical ? dm_tree_lookup(tree, canonical) : NULL;

    g_return_if_fail(!dm_tree_is_shared(tree));
    if (node != NULL)
        node->access = access;
}

void dm_tree_set_origin(DmTree *tree, const char *uri, const char *origin)
{
    g_autofree char *canonical = dm_uri_normalize(uri, NULL);
    DmNode *node = canonical ? dm_tree_lookup(tree, canonical) : NULL;

    g_return_if_fail(!dm_tree_is_shared(tree));
    if (node != NULL) {
        g_free(node->origin);
        node->origin = g_strdup(origin ? origin : "");
    }
}

static guint remove_origin(DmNode *node, const char *origin)
{
    guint removed = 0;

    for (guint i = node->children->len; i > 0; i--) {
        DmNode *child = g_ptr_array_index(node->children, i - 1);
        if (g_str_equal(child->origin, origin)) {
            dm_node_detach_free(child);
            removed++;
        } else {
            removed += remove_origin(child, origin);
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
    return remove_origin(dm_tree_peek_root(tree), origin);
}
