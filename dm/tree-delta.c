/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a session changed, as the difference between the tree it started from and the tree it
 * ended with, and that difference applied to the live tree. The live tree may have moved on
 * meanwhile (a card's bootstrap, a card taken out, the DevId): a change is applied only where
 * the live node is still as the session found it; elsewhere the live tree wins and the change
 * is reported as a conflict. Pure: trees in, trees out. Two versions of a tree share the
 * subtrees neither changed (dm-private.h): those are skipped, so the difference costs what
 * changed. An operation holds the nodes it names (nodes that are shared never change).
 */
#include "dm-private.h"

#include <string.h>

typedef enum {
    OP_ADD,     /* @after (a whole subtree) is new under its parent */
    OP_DELETE,  /* @before (a whole subtree) is gone */
    OP_REPLACE, /* the node's own properties went from @before to @after (no children) */
} OpKind;

typedef struct {
    OpKind kind;
    char *uri;
    DmNode *before;
    DmNode *after;
} Op;

struct DmTreeDelta {
    GPtrArray *ops; /* Op *, in tree order: a parent's before its children's */
};

static void op_free(Op *op)
{
    g_free(op->uri);
    dm_node_unref(op->before);
    dm_node_unref(op->after);
    g_free(op);
}

void dm_tree_delta_free(DmTreeDelta *delta)
{
    if (delta == NULL)
        return;
    g_ptr_array_unref(delta->ops);
    g_free(delta);
}

guint dm_tree_delta_length(const DmTreeDelta *delta)
{
    return delta->ops->len;
}

static gboolean bytes_equal(GBytes *a, GBytes *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return g_bytes_equal(a, b);
}

static gboolean node_props_equal(const DmNode *a, const DmNode *b)
{
    return g_str_equal(a->name, b->name) && g_strcmp0(a->format, b->format) == 0 &&
           g_strcmp0(a->type, b->type) == 0 && g_strcmp0(a->acl, b->acl) == 0 &&
           g_strcmp0(a->title, b->title) == 0 && g_strcmp0(a->origin, b->origin) == 0 &&
           a->access == b->access && bytes_equal(a->value, b->value);
}

/* Same properties all the way down; children compared by name, not by order. */
static gboolean subtree_equal(const DmNode *a, const DmNode *b)
{
    if (a == b)
        return TRUE;
    if (!node_props_equal(a, b) || a->children->len != b->children->len)
        return FALSE;
    for (guint i = 0; i < a->children->len; i++) {
        const DmNode *child = g_ptr_array_index(a->children, i);
        const DmNode *other = dm_node_child(b, child->name);
        if (other == NULL || !subtree_equal(child, other))
            return FALSE;
    }
    return TRUE;
}

static void add_op(DmTreeDelta *delta, OpKind kind, const char *uri, const DmNode *before,
                   const DmNode *after)
{
    Op *op = g_new0(Op, 1);

    op->kind = kind;
    op->uri = g_strdup(uri);
    op->before = before ? dm_node_ref((DmNode *)before) : NULL;
    op->after = after ? dm_node_ref((DmNode *)after) : NULL;
    g_ptr_array_add(delta->ops, op);
}

/* @path is the URI of both nodes; it grows and shrinks in place as the walk goes down. */
static void diff_node(DmTreeDelta *delta, GString *path, const DmNode *base, const DmNode *result)
{
    gsize at = path->len;

    if (base == result)
        return; /* shared: unchanged all the way down */
    if (!node_props_equal(base, result))
        add_op(delta, OP_REPLACE, path->str, base, result);
    for (guint i = 0; i < base->children->len; i++) {
        const DmNode *child = g_ptr_array_index(base->children, i);
        const DmNode *now = dm_node_child(result, child->name);

        g_string_append_c(path, '/');
        g_string_append(path, child->name);
        if (now == NULL)
            add_op(delta, OP_DELETE, path->str, child, NULL);
        else
            diff_node(delta, path, child, now);
        g_string_truncate(path, at);
    }
    for (guint i = 0; i < result->children->len; i++) {
        const DmNode *child = g_ptr_array_index(result->children, i);

        if (dm_node_child(base, child->name) != NULL)
            continue;
        g_string_append_c(path, '/');
        g_string_append(path, child->name);
        add_op(delta, OP_ADD, path->str, NULL, child);
        g_string_truncate(path, at);
    }
}

DmTreeDelta *dm_tree_diff(const DmTree *base, const DmTree *result)
{
    DmTreeDelta *delta = g_new0(DmTreeDelta, 1);
    g_autoptr(GString) path = NULL;

    delta->ops = g_ptr_array_new_with_free_func((GDestroyNotify)op_free);
    if (base == result)
        return delta; /* one tree: a session that wrote nothing */
    path = g_string_new(".");
    diff_node(delta, path, dm_tree_peek_root(base), dm_tree_peek_root(result));
    return delta;
}

/* --- Applying it -------------------------------------------------------------------------- */

static void conflict_at(GPtrArray *conflicts, const char *uri, const char *command, const char *why)
{
    const char *row[] = { uri, command, why, NULL };

    if (conflicts != NULL)
        g_ptr_array_add(conflicts, g_strdupv((char **)row));
}

static void conflict(GPtrArray *conflicts, const Op *op, const char *why)
{
    static const char *const names[] = {
        [OP_ADD] = "Add", [OP_DELETE] = "Delete", [OP_REPLACE] = "Replace"
    };
    conflict_at(conflicts, op->uri, names[op->kind], why);
}

static void set_props(DmNode *node, const DmNode *from)
{
    g_free(node->format);
    node->format = g_strdup(from->format);
    g_free(node->type);
    node->type = g_strdup(from->type);
    g_free(node->acl);
    node->acl = g_strdup(from->acl);
    g_free(node->title);
    node->title = g_strdup(from->title);
    g_free(node->origin);
    node->origin = g_strdup(from->origin);
    node->access = from->access;
    g_clear_pointer(&node->value, g_bytes_unref);
    node->value = from->value ? g_bytes_ref(from->value) : NULL;
}

/*
 * Puts @after under @parent (its tree's own). Where another writer added a node of that name
 * meanwhile, theirs stays; two interior nodes are merged, so that the session's other children
 * still arrive.
 */
static guint merge_add(DmNode *parent, const DmNode *after, const char *uri, GPtrArray *conflicts)
{
    const DmNode *there = dm_node_child(parent, after->name);
    DmNode *own;
    guint applied = 0;
    guint index;

    if (there == NULL) {
        dm_node_attach(parent, dm_node_ref((DmNode *)after));
        return 1;
    }
    if (!dm_node_is_interior(there) || !dm_node_is_interior(after)) {
        if (!subtree_equal(there, after))
            conflict_at(conflicts, uri, "Add", "not applied: the node was added meanwhile");
        return 0;
    }
    if (!node_props_equal(there, after))
        conflict_at(conflicts, uri, "Add", "properties not applied: the node was added meanwhile");
    if (!g_ptr_array_find(parent->children, there, &index))
        return 0;
    own = dm_node_own_child(parent, index);
    for (guint i = 0; i < after->children->len; i++) {
        const DmNode *child = g_ptr_array_index(after->children, i);
        g_autofree char *child_uri = g_strconcat(uri, "/", child->name, NULL);
        applied += merge_add(own, child, child_uri, conflicts);
    }
    return applied;
}

static guint apply_add(DmTree *live, const Op *op, GPtrArray *conflicts)
{
    g_autofree char *above = g_path_get_dirname(op->uri);
    const DmNode *parent = dm_tree_lookup(live, above);

    if (parent == NULL || !dm_node_is_interior(parent)) {
        conflict(conflicts, op, "not applied: its parent was removed meanwhile");
        return 0;
    }
    return merge_add(dm_tree_lookup_writable(live, above), op->after, op->uri, conflicts);
}

static guint apply_delete(DmTree *live, const Op *op, GPtrArray *conflicts)
{
    g_autofree char *above = g_path_get_dirname(op->uri);
    const DmNode *there = dm_tree_lookup(live, op->uri);
    DmNode *parent;

    if (there == NULL)
        return 0; /* gone already: what the session wanted */
    if (!subtree_equal(there, op->before)) {
        conflict(conflicts, op, "not applied: the node changed meanwhile");
        return 0;
    }
    parent = dm_tree_lookup_writable(live, above);
    dm_node_remove_child(parent, dm_node_child(parent, op->before->name));
    return 1;
}

static guint apply_replace(DmTree *live, const Op *op, GPtrArray *conflicts)
{
    const DmNode *there = dm_tree_lookup(live, op->uri);

    if (there == NULL) {
        conflict(conflicts, op, "not applied: the node was removed meanwhile");
        return 0;
    }
    if (node_props_equal(there, op->after))
        return 0;
    if (!node_props_equal(there, op->before)) {
        conflict(conflicts, op, "not applied: the node changed meanwhile");
        return 0;
    }
    set_props(dm_tree_lookup_writable(live, op->uri), op->after);
    return 1;
}

guint dm_tree_delta_apply(const DmTreeDelta *delta, DmTree *live, GPtrArray *conflicts)
{
    guint applied = 0;

    g_return_val_if_fail(!dm_tree_is_shared(live), 0);
    for (guint i = 0; i < delta->ops->len; i++) {
        const Op *op = g_ptr_array_index(delta->ops, i);
        switch (op->kind) {
        case OP_ADD:
            applied += apply_add(live, op, conflicts);
            break;
        case OP_DELETE:
            applied += apply_delete(live, op, conflicts);
            break;
        case OP_REPLACE:
            applied += apply_replace(live, op, conflicts);
            break;
        }
    }
    return applied;
}
