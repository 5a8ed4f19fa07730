/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the files of dm/ share and nobody else sees. */
#pragma once

#include "dm.h"

typedef struct DmNode DmNode;
struct DmNode {
    char *name;
    char *format;
    char *type;
    char *acl; /* NULL: inherited */
    char *title;
    char *origin;
    guint access; /* DmAccess allowed by the node's description */
    GBytes *value;
    GPtrArray *children; /* DmNode *, in insertion order */
    DmNode *parent;
};

DmNode *dm_tree_peek_root(const DmTree *tree);
DmNode *dm_tree_lookup(const DmTree *tree, const char *canonical);
gboolean dm_node_is_interior(const DmNode *node);
char *dm_node_path(const DmNode *node);
const char *dm_node_effective_acl(const DmNode *node);
int dm_node_check(const DmNode *node, const char *server_id, DmAccess access);
int dm_format_check(const char *format, const guint8 *value, gsize length);

/* Creates @canonical (and missing interior parents) for the device, no checks. */
DmNode *dm_tree_ensure(DmTree *tree, const char *canonical, const char *format);
void dm_node_set_value(DmNode *node, const guint8 *value, gsize length);
void dm_node_detach_free(DmNode *node);
DmNode *dm_node_new(const char *name, const char *format);
void dm_node_free(DmNode *node);
DmNode *dm_node_copy(const DmNode *node, DmNode *parent);
