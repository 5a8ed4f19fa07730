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

    node->name = g_strdup(name);
    node->format = g_strdup(format);
    node->origin = g_strdup("");
    node->access = DM_ACCESS_ALL;
    node->children = g_ptr_array_new();
    return node;
}

void dm_node_free(DmNode *node)
{
    if (node == NULL)
        return;
    for (guint i = 0; i < node->children->len; i++)
        dm_node_free(g_ptr_array_index(node->children, i));
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

/* Field by field rather than through dm_node_new(): a tree is copied whole for each session
 * that writes, so a copy allocates only what it keeps. */
static DmNode *node_copy_sized(const DmNode *node, guint children)
{
    DmNode *copy = g_new(DmNode, 1);

    copy->name = g_strdup(node->name);
    copy->format = g_strdup(node->format);
    copy->type = g_strdup(node->type);
    copy->acl = g_strdup(node->acl);
    copy->title = g_strdup(node->title);
    copy->origin = g_strdup(node->origin);
    copy->access = node->access;
    copy->value = node->value ? g_bytes_ref(node->value) : NULL;
    copy->children = g_ptr_array_sized_new(children);
    copy->by_name = NULL;
    copy->parent = NULL;
    return copy;
}

DmNode *dm_node_copy_shallow(const DmNode *node)
{
    return node_copy_sized(node, 0);
}

DmNode *dm_node_copy(const DmNode *node)
{
    DmNode *copy = node_copy_sized(node, node->children->len);

    for (guint i = 0; i < node->children->len; i++)
        dm_node_attach(copy, dm_node_copy(g_ptr_array_index(node->children, i)));
    return copy;
}

/* Below this many children a scan is as quick as a hash table and costs nothing to keep. */
#define INDEX_FROM 16

void dm_node_attach(DmNode *parent, DmNode *child)
{
    child->parent = parent;
    g_ptr_array_add(parent->children, child);
    if (parent->by_name != NULL) {
        /* replace, not insert: the key must be the child's own name, never a dropped one's. */
        g_hash_table_replace(parent->by_name, child->name, child);
    } else if (parent->children->len >= INDEX_FROM) {
        /* Keys are the children's own names: a child keeps its name while attached. */
        parent->by_name = g_hash_table_new(g_str_hash, g_str_equal);
        for (guint i = 0; i < parent->children->len; i++) {
            DmNode *each = g_ptr_array_index(parent->children, i);
            g_hash_table_replace(parent->by_name, each->name, each);
        }
    }
}

DmNode *dm_node_child(const DmNode *parent, const char *name)
{
    if (parent->by_name != NULL)
        return g_hash_table_lookup(parent->by_name, name);
    for (guint i = 0; i < parent->children->len; i++) {
        DmNode *child = g_ptr_array_index(parent->children, i);
        if (g_str_equal(child->name, name))
            return child;
    }
    return NULL;
}

/* The child named by the @length bytes at @segment, a piece of a longer URI. */
static DmNode *segment_child(const DmNode *parent, const char *segment, gsize length)
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
    dm_node_free(tree->root);
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
    copy->root = dm_node_copy(tree->root);
    return copy;
}

DmNode *dm_tree_peek_root(const DmTree *tree)
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

/* The node at @rest (segments separated by '/', "" for the root), or NULL. */
static DmNode *walk(const DmTree *tree, const char *rest)
{
    DmNode *node = tree->root;
    const char *segment = rest;

    while (node != NULL && *segment != '\0') {
        const char *slash = strchr(segment, '/');
        const char *end = slash != NULL ? slash : segment + strlen(segment);

        node = segment_child(node, segment, (gsize)(end - segment));
        segment = *end == '/' ? end + 1 : end;
    }
    return node;
}

/* The node at a canonical URI, or NULL. */
DmNode *dm_tree_lookup(const DmTree *tree, const char *canonical)
{
    if (g_str_equal(canonical, "."))
        return tree->root;
    return walk(tree, g_str_has_prefix(canonical, "./") ? canonical + 2 : canonical);
}

static DmNode *lookup(const DmTree *tree, const char *uri, int *status)
{
    const char *rest = uri_rest(uri, status);
    DmNode *node;

    if (rest == NULL)
        return NULL;
    node = walk(tree, rest);
    if (node == NULL)
        *status = DM_STATUS_NOT_FOUND;
    return node;
}

char *dm_node_path(const DmNode *node)
{
    GPtrArray *names = g_ptr_array_new();
    GString *path = g_string_new(".");

    for (const DmNode *n = node; n->parent != NULL; n = n->parent)
        g_ptr_array_insert(names, 0, n->name);
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(path, "/%s", (const char *)g_ptr_array_index(names, i));
    g_ptr_array_unref(names);
    return g_string_free(path, FALSE);
}

/* --- Reading ----------------------------------------------------------------------------- */

gboolean dm_tree_exists(const DmTree *tree, const char *uri)
{
    int status;
    return lookup(tree, uri, &status) != NULL;
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
    int status;
    DmNode *node = lookup(tree, uri, &status);

    if (node == NULL)
        return FALSE;
    fill_info(node, info);
    return TRUE;
}

GPtrArray *dm_tree_list(const DmTree *tree, const char *uri)
{
    int status;
    DmNode *node = lookup(tree, uri, &status);
    GPtrArray *names;

    if (node == NULL || !dm_node_is_interior(node))
        return NULL;
    names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < node->children->len; i++)
        g_ptr_array_add(names, g_strdup(((DmNode *)g_ptr_array_index(node->children, i))->name));
    return names;
}

const char *dm_node_effective_acl(const DmNode *node)
{
    for (const DmNode *n = node; n != NULL; n = n->parent) {
        if (n->acl != NULL)
            return n->acl;
    }
    return DM_TREE_ROOT_ACL;
}

const char *dm_tree_effective_acl(const DmTree *tree, const char *uri)
{
    int status;
    DmNode *node = lookup(tree, uri, &status);
    return node ? dm_node_effective_acl(node) : NULL;
}

/* The node's description first (405), then the ACL (425). */
int dm_node_check(const DmNode *node, const char *server_id, DmAccess access)
{
    if (!(node->access & access))
        return DM_STATUS_NOT_ALLOWED;
    /* Secrets are written, never read back. */
    if (access == DM_ACCESS_GET && g_str_equal(node->name, "AAuthSecret"))
        return DM_STATUS_NOT_ALLOWED;
    if (server_id != NULL && !dm_acl_allows(dm_node_effective_acl(node), access, server_id))
        return DM_STATUS_PERMISSION_DENIED;
    return DM_STATUS_OK;
}

int dm_tree_check(const DmTree *tree, const char *server_id, const char *uri, DmAccess access)
{
    int status;
    DmNode *node = lookup(tree, uri, &status);
    return node ? dm_node_check(node, server_id, access) : status;
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
