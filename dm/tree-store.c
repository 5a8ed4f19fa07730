/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DM tree on disk: one GVariant file, written whole with a rename (consistent) and an
 * fsync (durable), so that a crash leaves the old tree or the new one and nothing between.
 */
#define _GNU_SOURCE /* renameat2() */
#include "dm-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <string.h>

#define TREE_MAGIC   0x444d5452u /* "DMTR" */
#define TREE_VERSION 1u
/* (magic, version, [(path, format, type, acl, title, origin, access, value)]) */
#define TREE_TYPE "(uua(ssmsmsmssuay))"
/* The same, borrowing the strings from the variant when reading. */
#define ENTRY_READ "(&s&sm&sm&sm&s&su@ay)"

/*
 * The file is TREE_TYPE in GVariant's normal form, laid out here directly: building 9
 * GVariants a node and having GLib serialise them cost about 20 k instructions a node. Each
 * entry is laid out as GVariant lays out a structure, the entries as it lays out an array of
 * variable-size elements (the GVariant specification's "Serialisation"): members aligned
 * from the start of their container, each variable-size member but the last followed by
 * nothing and ended by a framing offset at the container's end (a structure's in reverse
 * order, an array's in order), offsets little-endian and as wide as the container's size
 * needs. Loading checks the normal form with GLib (dm_tree_load()); the tests compare these
 * bytes with GLib's own for containers of every offset width.
 */
/* What is laid out so far: appended to at every member, so kept without a call to GLib. */
typedef struct {
    guint8 *data;
    gsize len;
    gsize size;
} Buffer;

/* Room for @length more bytes; where they go. */
static inline guint8 *reserve(Buffer *out, gsize length)
{
    if (length > out->size - out->len) {
        out->size = MAX(out->size * 2, out->len + length);
        out->data = g_realloc(out->data, out->size);
    }
    return out->data + out->len;
}

static inline void put(Buffer *out, const void *bytes, gsize length)
{
    memcpy(reserve(out, length), bytes, length);
    out->len += length;
}

typedef struct {
    Buffer *out;
    gsize array_start;
    GArray *ends;      /* guint64: where each entry ends, from the array's start */
    gboolean bad_text; /* a string that is not UTF-8: GVariant would refuse it */
} Writer;

/* Entries are aligned as their uint32 member is. */
#define ENTRY_ALIGNMENT 4
/* The variable-size members of an entry, (ssmsmsmssuay), that are not its last. */
#define ENTRY_OFFSETS 6

static void pad(Buffer *out, gsize from, gsize alignment)
{
    gsize over = (out->len - from) % alignment;

    if (over != 0) {
        memset(reserve(out, alignment - over), 0, alignment - over);
        out->len += alignment - over;
    }
}

/* The width of the framing offsets of a container whose body is @body bytes. */
static gsize offset_width(gsize body, gsize offsets)
{
    if (body + offsets <= G_MAXUINT8)
        return body + offsets == 0 ? 0 : 1;
    if (body + 2 * offsets <= G_MAXUINT16)
        return 2;
    if (body + 4 * offsets <= G_MAXUINT32)
        return 4;
    return 8;
}

static void put_offset(Buffer *out, guint64 value, gsize width)
{
    guint8 *at = reserve(out, width);

    for (gsize i = 0; i < width; i++)
        at[i] = (guint8)(value >> (8 * i));
    out->len += width;
}

/* Whether @text has no byte past ASCII, a word at a time. */
static gboolean is_ascii(const char *text, gsize length)
{
    guint64 word, seen = 0;
    gsize i = 0;

    for (; i + sizeof(word) <= length; i += sizeof(word)) {
        memcpy(&word, text + i, sizeof(word));
        seen |= word;
    }
    for (; i < length; i++)
        seen |= (guint8)text[i];
    return (seen & 0x8080808080808080ull) == 0;
}

/*
 * The string, its zero byte and @extra zero bytes more. GLib checks its UTF-8 only when it has
 * a byte past ASCII: node names and properties nearly never do.
 */
static void put_string_with(Writer *w, const char *text, gsize extra)
{
    gsize length = strlen(text);
    guint8 *at;

    if (!is_ascii(text, length) && !g_utf8_validate(text, (gssize)length, NULL))
        w->bad_text = TRUE;
    at = reserve(w->out, length + 1 + extra);
    memcpy(at, text, length + 1);
    memset(at + length + 1, 0, extra);
    w->out->len += length + 1 + extra;
}

static void put_string(Writer *w, const char *text)
{
    put_string_with(w, text, 0);
}

/* A maybe of a variable-size type: nothing, or the string and a zero byte. */
static void put_maybe_string(Writer *w, const char *text)
{
    if (text != NULL)
        put_string_with(w, text, 1);
}

/* (path, format, type, acl, title, origin, access, value) */
static void put_entry(Writer *w, const char *path, const DmNode *node)
{
    Buffer *out = w->out;
    guint64 ends[ENTRY_OFFSETS];
    gsize start, width, length = 0;
    const guint8 *value = node->value ? g_bytes_get_data(node->value, &length) : NULL;
    guint32 access = node->access;
    guint64 end;

    pad(out, w->array_start, ENTRY_ALIGNMENT);
    start = out->len;
    put_string(w, path);
    ends[0] = out->len - start;
    put_string(w, node->format);
    ends[1] = out->len - start;
    put_maybe_string(w, node->type);
    ends[2] = out->len - start;
    put_maybe_string(w, node->acl);
    ends[3] = out->len - start;
    put_maybe_string(w, node->title);
    ends[4] = out->len - start;
    put_string(w, node->origin);
    ends[5] = out->len - start;
    pad(out, start, sizeof(access));
    put(out, &access, sizeof(access));
    if (length > 0)
        put(out, value, length);
    width = offset_width(out->len - start, ENTRY_OFFSETS);
    for (gsize i = ENTRY_OFFSETS; i > 0; i--)
        put_offset(out, ends[i - 1], width);
    end = out->len - w->array_start;
    g_array_append_val(w->ends, end);
}

/*
 * Parents before children, so that loading can attach each node as it comes. The path grows
 * and shrinks in one buffer as the walk goes down and up.
 */
static void add_entries(Writer *w, GString *path, const DmNode *node)
{
    gsize at = path->len;

    put_entry(w, path->str, node);
    for (guint i = 0; i < node->children->len; i++) {
        const DmNode *child = g_ptr_array_index(node->children, i);
        g_string_append_c(path, '/');
        g_string_append(path, child->name);
        add_entries(w, path, child);
        g_string_truncate(path, at);
    }
}

/* The whole file: (magic, version, entries), the entries' array last and so unframed. */
static void serialise(const DmTree *tree, Buffer *out, gboolean *bad_text)
{
    g_autoptr(GArray) ends = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_autoptr(GString) path = g_string_new(".");
    guint32 header[2] = { TREE_MAGIC, TREE_VERSION };
    Writer w = { .out = out, .ends = ends };
    gsize width;

    put(out, header, sizeof(header));
    w.array_start = out->len;
    add_entries(&w, path, dm_tree_peek_root(tree));
    width = offset_width(out->len - w.array_start, ends->len);
    for (guint i = 0; i < ends->len; i++)
        put_offset(out, g_array_index(ends, guint64, i), width);
    *bad_text = w.bad_text;
}

gboolean dm_tree_save(const DmTree *tree, const char *path, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autofree guint8 *data = NULL;
    Buffer out = { .size = 4096 };
    gboolean bad_text;

    out.data = g_malloc(out.size);
    serialise(tree, &out, &bad_text);
    data = out.data;
    /* Never written: a file that does not load would lose the whole tree at the next start. */
    if (bad_text) {
        g_set_error(error, DM_ERROR, DM_ERROR_INVALID,
                    "cannot save the DM tree: a node's name or property is not UTF-8");
        return FALSE;
    }
    if (!g_file_set_contents_full(path, (const char *)data, (gssize)out.len,
                                  G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                  0600, &local_error)) {
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

/* Two corrupt files within a second take the same name: the second gets "-2", and so on. */
char *dm_file_move_aside(const char *path)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");

    for (guint n = 1; n <= 100; n++) {
        g_autofree char *aside = n == 1 ? g_strdup_printf("%s.corrupt-%s", path, stamp)
                                        : g_strdup_printf("%s.corrupt-%s-%u", path, stamp, n);

        if (renameat2(AT_FDCWD, path, AT_FDCWD, aside, RENAME_NOREPLACE) == 0)
            return g_steal_pointer(&aside);
        if (errno == EINVAL) {
            /* A file system without RENAME_NOREPLACE: the same, checked first. */
            if (g_file_test(aside, G_FILE_TEST_EXISTS))
                continue;
            return g_rename(path, aside) == 0 ? g_steal_pointer(&aside) : NULL;
        }
        if (errno != EEXIST)
            return NULL;
    }
    errno = EEXIST;
    return NULL;
}

DmTree *dm_tree_load(const char *path, char **moved_aside, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autoptr(DmTree) tree = dm_tree_new();
    g_autoptr(GVariant) variant = NULL;
    g_autoptr(GVariant) entries = NULL;
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
    aside = dm_file_move_aside(path);
    if (aside == NULL) {
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
