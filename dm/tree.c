/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The DM tree: nodes, their properties, what servers may do to them. */
#include "dm-private.h"

#include <stdlib.h>
#include <string.h>

struct DmTree {
    grefcount refs;
    DmNode *root;
};

DmNode *dm_node_new(const char *name, const char *format)
{
    DmNode *node = g_new0(DmNode, 1);

    g_ref_count_init(&node->refs);
    node->name = g_strdup(name);
    node->format = g_strdup(format);
    node->origin = g_strdup("");
    node->access = DM_ACCESS_ALL;
    node->children = g_ptr_array_new();
    return node;
}

DmNode *dm_node_ref(DmNode *node)
{
    g_ref_count_inc(&node->refs);
    return node;
}

void dm_node_unref(DmNode *node)
{
    if (node == NULL || !g_ref_count_dec(&node->refs))
        return;
    for (guint i = 0; i < node->children->len; i++)
        dm_node_unref(g_ptr_array_index(node->children, i));
    g_ptr_array_unref(node->children);
    g_clear_pointer(&node->by_name, g_hash_table_unref);
    g_free(node->name);
    g_free(node->format);
    g_free(node->type);
    g_free(node->acl);
    g_free(node->title);
    g_free(node->origin);
    g_clear_pointer(&node->value, g_bytes_unref);
    g_free(node);
}

static void index_children(DmNode *node);

static gboolean node_is_shared(const DmNode *node)
{
    return !g_ref_count_compare((grefcount *)&node->refs, 1);
}

DmNode *dm_node_copy(const DmNode *node)
{
    DmNode *copy = g_new(DmNode, 1);

    g_ref_count_init(&copy->refs);
    copy->name = g_strdup(node->name);
    copy->format = g_strdup(node->format);
    copy->type = g_strdup(node->type);
    copy->acl = g_strdup(node->acl);
    copy->title = g_strdup(node->title);
    copy->origin = g_strdup(node->origin);
    copy->access = node->access;
    copy->value = node->value ? g_bytes_ref(node->value) : NULL;
    copy->children = g_ptr_array_sized_new(node->children->len);
    for (guint i = 0; i < node->children->len; i++)
        g_ptr_array_add(copy->children, dm_node_ref(g_ptr_array_index(node->children, i)));
    copy->by_name = NULL;
    if (node->by_name != NULL)
        index_children(copy);
    return copy;
}

/* Below this many children a scan is as quick as a hash table and costs nothing to keep. */
#define INDEX_FROM 16

/* Keys are the children's own names: a child keeps its name while attached. */
static void index_children(DmNode *node)
{
    node->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < node->children->len; i++) {
        DmNode *each = g_ptr_array_index(node->children, i);
        g_hash_table_replace(node->by_name, each->name, each);
    }
}

void dm_node_attach(DmNode *parent, DmNode *child)
{
    g_ptr_array_add(parent->children, child);
    if (parent->by_name != NULL) {
        /* replace, not insert: the key must be the child's own name, never a dropped one's. */
        g_hash_table_replace(parent->by_name, child->name, child);
    } else if (parent->children->len >= INDEX_FROM) {
        index_children(parent);
    }
}

void dm_node_remove_child(DmNode *parent, const DmNode *child)
{
    guint index;

    g_return_if_fail(!node_is_shared(parent));
    if (!g_ptr_array_find(parent->children, child, &index))
        return;
    if (parent->by_name != NULL && g_hash_table_lookup(parent->by_name, child->name) == child)
        g_hash_table_remove(parent->by_name, child->name);
    /* The parent's reference goes: the node itself stays while another version holds it. */
    dm_node_unref(g_ptr_array_steal_index(parent->children, index));
}

DmNode *dm_node_own_child(DmNode *parent, guint index)
{
    DmNode *child = g_ptr_array_index(parent->children, index);
    DmNode *copy;

    if (!node_is_shared(child))
        return child;
    copy = dm_node_copy(child);
    parent->children->pdata[index] = copy;
    if (parent->by_name != NULL)
        g_hash_table_replace(parent->by_name, copy->name, copy);
    dm_node_unref(child);
    return copy;
}

/* @parent's child named @name made @parent's own, or NULL. */
static DmNode *own_named_child(DmNode *parent, const char *name)
{
    const DmNode *child = dm_node_child(parent, name);
    guint index;

    if (child == NULL)
        return NULL;
    /* Held by @parent alone, which is its tree's own: the tree's own too. Found by name (a
     * hash probe under a large node); its place is looked for only when it must be copied,
     * once a version. */
    if (!node_is_shared(child))
        return (DmNode *)child;
    if (!g_ptr_array_find(parent->children, child, &index))
        return NULL;
    return dm_node_own_child(parent, index);
}

const DmNode *dm_node_child(const DmNode *parent, const char *name)
{
    if (parent->by_name != NULL)
        return g_hash_table_lookup(parent->by_name, name);
    for (guint i = 0; i < parent->children->len; i++) {
        const DmNode *child = g_ptr_array_index(parent->children, i);
        if (g_str_equal(child->name, name))
            return child;
    }
    return NULL;
}

/* The child named by the @length bytes at @segment, a piece of a longer URI. */
static const DmNode *segment_child(const DmNode *parent, const char *segment, gsize length)
{
    char buffer[DM_TREE_MAX_SEGMENT + 1];
    g_autofree char *longer = NULL;

    if (length >= sizeof(buffer))
        return dm_node_child(parent, longer = g_strndup(segment, length));
    memcpy(buffer, segment, length);
    buffer[length] = '\0';
    return dm_node_child(parent, buffer);
}

gboolean dm_node_is_interior(const DmNode *node)
{
    return g_str_equal(node->format, "node");
}

DmTree *dm_tree_new(void)
{
    DmTree *tree = g_new0(DmTree, 1);

    g_ref_count_init(&tree->refs);
    tree->root = dm_node_new(".", "node");
    tree->root->acl = g_strdup(DM_TREE_ROOT_ACL);
    /* The root is always there: nobody deletes, replaces or executes it. */
    tree->root->access = DM_ACCESS_ADD | DM_ACCESS_GET;
    return tree;
}

DmTree *dm_tree_ref(DmTree *tree)
{
    g_ref_count_inc(&tree->refs);
    return tree;
}

void dm_tree_unref(DmTree *tree)
{
    if (tree == NULL || !g_ref_count_dec(&tree->refs))
        return;
    dm_node_unref(tree->root);
    g_free(tree);
}

gboolean dm_tree_is_shared(const DmTree *tree)
{
    return !g_ref_count_compare((grefcount *)&tree->refs, 1);
}

DmTree *dm_tree_unshare(DmTree *tree)
{
    DmTree *copy;

    if (!dm_tree_is_shared(tree))
        return tree;
    copy = dm_tree_copy(tree);
    dm_tree_unref(tree);
    return copy;
}

DmTree *dm_tree_copy(const DmTree *tree)
{
    DmTree *copy = g_new0(DmTree, 1);

    g_ref_count_init(&copy->refs);
    copy->root = dm_node_ref(tree->root);
    return copy;
}

const DmNode *dm_tree_peek_root(const DmTree *tree)
{
    return tree->root;
}

/* --- URIs --------------------------------------------------------------------------------- */

/*
 * Checks @uri in place: the part after "./" (or the whole of a relative URI; "" for the root),
 * or NULL with @status saying why. No allocation: every lookup goes through here.
 */
static const char *uri_rest(const char *uri, int *status)
{
    const char *rest = uri;
    const char *segment;
    guint depth = 0;

    *status = DM_STATUS_BAD_REQUEST;
    if (uri == NULL || uri[0] == '\0')
        return NULL;
    if (g_str_equal(uri, ".") || g_str_equal(uri, "./")) {
        *status = DM_STATUS_OK;
        return "";
    }
    if (g_str_has_prefix(uri, "./"))
        rest = uri + 2;
    if (strlen(uri) > DM_TREE_MAX_TOTAL) {
        *status = DM_STATUS_URI_TOO_LONG;
        return NULL;
    }
    segment = rest;
    for (;;) {
        const char *end = segment;
        while (*end != '\0' && *end != '/') {
            if ((guchar)*end <= 0x20 || *end == 0x7f || *end == '?')
                return NULL;
            end++;
        }
        /* Empty segments ("a//b", "a/"), "." and "..": not a node's name. */
        if (end == segment || (end - segment == 1 && segment[0] == '.') ||
            (end - segment == 2 && segment[0] == '.' && segment[1] == '.'))
            return NULL;
        if ((gsize)(end - segment) > DM_TREE_MAX_SEGMENT || ++depth > DM_TREE_MAX_DEPTH) {
            *status = DM_STATUS_URI_TOO_LONG;
            return NULL;
        }
        if (*end == '\0')
            break;
        segment = end + 1;
    }
    *status = DM_STATUS_OK;
    return rest;
}

char *dm_uri_normalize(const char *uri, int *status)
{
    int unused;
    const char *rest = uri_rest(uri, status != NULL ? status : &unused);

    if (rest == NULL)
        return NULL;
    return rest[0] == '\0' ? g_strdup(".") : g_strconcat("./", rest, NULL);
}

/* The segment of @rest at @segment: its length, and where the next one starts. */
static gsize next_segment(const char *segment, const char **next)
{
    const char *slash = strchr(segment, '/');
    const char *end = slash != NULL ? slash : segment + strlen(segment);

    *next = *end == '/' ? end + 1 : end;
    return (gsize)(end - segment);
}

/* The node at @rest (segments separated by '/', "" for the root) and what it inherits. */
static gboolean walk(const DmTree *tree, const char *rest, DmFound *found)
{
    const DmNode *node = tree->root;
    const char *segment = rest;

    found->parent = NULL;
    found->acl = node->acl != NULL ? node->acl : DM_TREE_ROOT_ACL;
    found->parent_acl = found->acl;
    while (*segment != '\0') {
        const char *next;
        gsize length = next_segment(segment, &next);
        const DmNode *child = segment_child(node, segment, length);

        if (child == NULL)
            return FALSE;
        found->parent = node;
        found->parent_acl = found->acl;
        if (child->acl != NULL)
            found->acl = child->acl;
        node = child;
        segment = next;
    }
    found->node = node;
    return TRUE;
}

static const char *canonical_rest(const char *canonical)
{
    if (g_str_equal(canonical, "."))
        return "";
    return g_str_has_prefix(canonical, "./") ? canonical + 2 : canonical;
}

gboolean dm_tree_find(const DmTree *tree, const char *canonical, DmFound *found)
{
    return walk(tree, canonical_rest(canonical), found);
}

/* The node at a canonical URI, or NULL. */
const DmNode *dm_tree_lookup(const DmTree *tree, const char *canonical)
{
    DmFound found;
    return dm_tree_find(tree, canonical, &found) ? found.node : NULL;
}

/* The root made the tree's own. */
static DmNode *own_root(DmTree *tree)
{
    if (node_is_shared(tree->root)) {
        DmNode *copy = dm_node_copy(tree->root);
        dm_node_unref(tree->root);
        tree->root = copy;
    }
    return tree->root;
}

DmNode *dm_tree_lookup_writable(DmTree *tree, const char *canonical)
{
    /* Copies only once the whole path is known to be there; then nothing is created. */
    if (dm_tree_lookup(tree, canonical) == NULL)
        return NULL;
    return dm_tree_ensure(tree, canonical, NULL);
}

DmNode *dm_tree_ensure(DmTree *tree, const char *canonical, const char *format)
{
    const char *segment = canonical_rest(canonical);
    DmNode *node;

    g_return_val_if_fail(!dm_tree_is_shared(tree), NULL);
    node = own_root(tree);
    while (*segment != '\0') {
        const char *next;
        gsize length = next_segment(segment, &next);
        g_autofree char *name = g_strndup(segment, length);
        DmNode *child = own_named_child(node, name);

        if (child == NULL) {
            child = dm_node_new(name, *next == '\0' ? format : "node");
            dm_node_attach(node, child);
        }
        node = child;
        segment = next;
    }
    return node;
}

static gboolean lookup(const DmTree *tree, const char *uri, DmFound *found, int *status)
{
    const char *rest = uri_rest(uri, status);

    if (rest == NULL)
        return FALSE;
    if (!walk(tree, rest, found)) {
        *status = DM_STATUS_NOT_FOUND;
        return FALSE;
    }
    return TRUE;
}

/* --- Reading ----------------------------------------------------------------------------- */

gboolean dm_tree_exists(const DmTree *tree, const char *uri)
{
    DmFound found;
    int status;
    return lookup(tree, uri, &found, &status);
}

static void fill_info(const DmNode *node, DmNodeInfo *info)
{
    info->name = node->name;
    info->format = node->format;
    info->type = node->type;
    info->acl = node->acl;
    info->title = node->title;
    info->origin = node->origin;
    info->access = node->access;
    info->value = node->value ? g_bytes_get_data(node->value, &info->value_length) : NULL;
    if (node->value == NULL)
        info->value_length = 0;
}

gboolean dm_tree_get(const DmTree *tree, const char *uri, DmNodeInfo *info)
{
    DmFound found;
    int status;

    if (!lookup(tree, uri, &found, &status))
        return FALSE;
    fill_info(found.node, info);
    return TRUE;
}

GPtrArray *dm_tree_list(const DmTree *tree, const char *uri)
{
    DmFound found;
    int status;
    GPtrArray *names;

    if (!lookup(tree, uri, &found, &status) || !dm_node_is_interior(found.node))
        return NULL;
    names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < found.node->children->len; i++) {
        const DmNode *child = g_ptr_array_index(found.node->children, i);
        g_ptr_array_add(names, g_strdup(child->name));
    }
    return names;
}

const char *dm_tree_effective_acl(const DmTree *tree, const char *uri)
{
    DmFound found;
    int status;
    return lookup(tree, uri, &found, &status) ? found.acl : NULL;
}

int dm_node_check(const DmNode *node, const char *acl, const char *server_id, DmAccess access)
{
    if (!(node->access & access))
        return DM_STATUS_NOT_ALLOWED;
    /* Secrets are written, never read back. */
    if (access == DM_ACCESS_GET && g_str_equal(node->name, "AAuthSecret"))
        return DM_STATUS_NOT_ALLOWED;
    if (server_id != NULL && !dm_acl_allows(acl, access, server_id))
        return DM_STATUS_PERMISSION_DENIED;
    return DM_STATUS_OK;
}

int dm_tree_check(const DmTree *tree, const char *server_id, const char *uri, DmAccess access)
{
    DmFound found;
    int status;

    if (!lookup(tree, uri, &found, &status))
        return status;
    return dm_node_check(found.node, found.acl, server_id, access);
}

/* --- Formats ----------------------------------------------------------------------------- */

static gboolean digits(const char *s, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        if (!g_ascii_isdigit(s[i]))
            return FALSE;
    }
    return TRUE;
}

static int number(const char *s, gsize n)
{
    int v = 0;
    for (gsize i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static gboolean valid_float(const char *s)
{
    g_autoptr(GRegex) re = g_regex_new("^[+-]?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?$", 0, 0, NULL);
    return g_regex_match(re, s, 0, NULL);
}

/* ISO 8601 dates as DM 1.2 allows them: calendar, ordinal and week forms, basic or extended. */
static gboolean valid_date(const char *s)
{
    gsize n = strlen(s);
    const char *r;

    if (n < 4 || !digits(s, 4))
        return FALSE;
    r = s + 4;
    n -= 4;
    if (n == 0)
        return TRUE;
    if (r[0] == '-') {
        r++;
        n--;
        if (n == 2 && digits(r, 2)) /* YYYY-MM */
            return number(r, 2) >= 1 && number(r, 2) <= 12;
        if (n == 5 && digits(r, 2) && r[2] == '-' && digits(r + 3, 2)) /* YYYY-MM-DD */
            return number(r, 2) >= 1 && number(r, 2) <= 12 && number(r + 3, 2) >= 1 &&
                   number(r + 3, 2) <= 31;
        if (n == 3 && digits(r, 3)) /* YYYY-DDD */
            return number(r, 3) >= 1 && number(r, 3) <= 366;
        if (r[0] == 'W' && n == 3 && digits(r + 1, 2)) /* YYYY-Www */
            return number(r + 1, 2) >= 1 && number(r + 1, 2) <= 53;
        if (r[0] == 'W' && n == 5 && digits(r + 1, 2) && r[3] == '-' && digits(r + 4, 1))
            return number(r + 1, 2) >= 1 && number(r + 1, 2) <= 53 && r[4] >= '1' && r[4] <= '7';
        return FALSE;
    }
    if (r[0] == 'W') {
        if ((n == 3 || n == 4) && digits(r + 1, n - 1))
            return number(r + 1, 2) >= 1 && number(r + 1, 2) <= 53 &&
                   (n == 3 || (r[3] >= '1' && r[3] <= '7'));
        return FALSE;
    }
    if (n == 2 && digits(r, 2)) /* YYYYMM */
        return number(r, 2) >= 1 && number(r, 2) <= 12;
    if (n == 3 && digits(r, 3)) /* YYYYDDD */
        return number(r, 3) >= 1 && number(r, 3) <= 366;
    if (n == 4 && digits(r, 4)) /* YYYYMMDD */
        return number(r, 2) >= 1 && number(r, 2) <= 12 && number(r + 2, 2) >= 1 &&
               number(r + 2, 2) <= 31;
    return FALSE;
}

/* hh[:mm[:ss]] or hh[mm[ss]], then nothing, Z or ±hh:mm. */
static gboolean valid_time(const char *s)
{
    g_autoptr(GRegex) re = g_regex_new(
        "^([0-9]{2})(?:(:?)([0-9]{2})(?:\\2([0-9]{2}))?)?(Z|[+-]([0-9]{2}):([0-9]{2}))?$", 0, 0,
        NULL);
    g_autoptr(GMatchInfo) m = NULL;
    int parts[6];

    if (!g_regex_match(re, s, 0, &m))
        return FALSE;
    for (int i = 0; i < 6; i++) {
        static const int groups[] = { 1, 3, 4, 6, 7, 0 };
        g_autofree char *g = groups[i] ? g_match_info_fetch(m, groups[i]) : NULL;
        parts[i] = (g != NULL && g[0] != '\0') ? atoi(g) : 0;
    }
    return parts[0] <= 23 && parts[1] <= 59 && parts[2] <= 59 && parts[3] <= 23 && parts[4] <= 59;
}

/* 200, or 415 for a format dmscd does not know or a value that is not of it. */
int dm_format_check(const char *format, const guint8 *value, gsize length)
{
    g_autofree char *text = g_strndup(value ? (const char *)value : "", value ? length : 0);
    gint64 unused;

    if (format == NULL || g_str_equal(format, "chr") || g_str_equal(format, "bin") ||
        g_str_equal(format, "xml") || g_str_equal(format, "b64"))
        return DM_STATUS_OK;
    if (strlen(text) != length)
        return DM_STATUS_UNSUPPORTED_FORMAT;
    if (g_str_equal(format, "int"))
        return g_ascii_string_to_signed(text, 10, G_MININT32, G_MAXINT32, &unused, NULL)
                   ? DM_STATUS_OK
                   : DM_STATUS_UNSUPPORTED_FORMAT;
    if (g_str_equal(format, "bool"))
        return g_str_equal(text, "true") || g_str_equal(text, "false")
                   ? DM_STATUS_OK
                   : DM_STATUS_UNSUPPORTED_FORMAT;
    if (g_str_equal(format, "null"))
        return length == 0 ? DM_STATUS_OK : DM_STATUS_UNSUPPORTED_FORMAT;
    if (g_str_equal(format, "float"))
        return valid_float(text) ? DM_STATUS_OK : DM_STATUS_UNSUPPORTED_FORMAT;
    if (g_str_equal(format, "date"))
        return valid_date(text) ? DM_STATUS_OK : DM_STATUS_UNSUPPORTED_FORMAT;
    if (g_str_equal(format, "time"))
        return valid_time(text) ? DM_STATUS_OK : DM_STATUS_UNSUPPORTED_FORMAT;
    return DM_STATUS_UNSUPPORTED_FORMAT;
}
