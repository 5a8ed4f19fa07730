/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the files of dm/ share and nobody else sees. */
#pragma once

#include "dm.h"

/*
 * A node is shared by every tree version that has not changed it: a copy of a tree shares its
 * root, and a change copies only the nodes on the path to what it changes (each copy sharing
 * the children it does not change). So a node has no link to its parent (it may have one in
 * each version), and a node held by more than one (refs > 1) never changes in place: writes
 * reach their node through dm_tree_lookup_writable() or dm_tree_ensure(), which copy the
 * shared nodes on the way. Copying a tree, comparing two versions of it and freeing one cost
 * what changed, not the tree's size.
 */
typedef struct DmNode DmNode;
struct DmNode {
    grefcount refs; /* parents and trees holding it (and deltas) */
    char *name;
    char *format;
    char *type;
    char *acl; /* NULL: inherited */
    char *title;
    char *origin;
    guint access; /* DmAccess allowed by the node's description */
    GBytes *value;
    GPtrArray *children; /* DmNode *, in insertion order, each holding a reference */
    /* name -> child once the node has 16 children (NULL before): a lookup
     * under a node with thousands of children stays one hash probe. Children come and go
     * through dm_node_attach() and dm_node_remove_child(), which keep it. */
    GHashTable *by_name;
};

/* A node found by its URI, with what it inherits: nodes hold no link up. */
typedef struct {
    const DmNode *node;
    const DmNode *parent;   /* NULL for the root */
    const char *acl;        /* in force at the node (its own or inherited) */
    const char *parent_acl; /* in force at its parent (the root's own for the root) */
} DmFound;

/* Looks @canonical up for reading: FALSE when there is no such node. */
gboolean dm_tree_find(const DmTree *tree, const char *canonical, DmFound *found);
const DmNode *dm_tree_lookup(const DmTree *tree, const char *canonical);
/* The node at @canonical made the tree's own (shared nodes on the way copied), or NULL when
 * there is none (nothing copied then). @tree must not be shared. */
DmNode *dm_tree_lookup_writable(DmTree *tree, const char *canonical);
const DmNode *dm_tree_peek_root(const DmTree *tree);
gboolean dm_node_is_interior(const DmNode *node);
/* The node's description first (405), then @acl, the ACL in force at it (425). */
int dm_node_check(const DmNode *node, const char *acl, const char *server_id, DmAccess access);
int dm_format_check(const char *format, const guint8 *value, gsize length);

/* Creates @canonical (and missing interior parents) for the device, no checks; the node
 * returned is the tree's own. */
DmNode *dm_tree_ensure(DmTree *tree, const char *canonical, const char *format);
void dm_node_set_value(DmNode *node, const guint8 *value, gsize length);
/* @child (a reference the call takes, named already) becomes @parent's last child. */
void dm_node_attach(DmNode *parent, DmNode *child);
/* @parent's child named @name, or NULL: for reading (it may be shared). */
const DmNode *dm_node_child(const DmNode *parent, const char *name);
/* @parent's child at @index made @parent's own (a copy in its place if it was shared);
 * @parent must be its tree's own. */
DmNode *dm_node_own_child(DmNode *parent, guint index);
/* @child goes from @parent, which must be its tree's own, and its reference with it. */
void dm_node_remove_child(DmNode *parent, const DmNode *child);
DmNode *dm_node_new(const char *name, const char *format);
DmNode *dm_node_ref(DmNode *node);
void dm_node_unref(DmNode *node);
/* A node of @node's properties, the caller's own, sharing @node's children. */
DmNode *dm_node_copy(const DmNode *node);

/* http.c: the HTTP binding, one POST a message (libsoup 3, connections kept alive). */
typedef struct DmHttp DmHttp;
DmHttp *dm_http_new(guint timeout_seconds, const char *user_agent);
/* Every connection goes to @via, whatever the URI's host; before the first POST. */
void dm_http_set_route(DmHttp *http, GSocketConnectable *via);
/* Certificates @trust (a reference is taken) vouches for are accepted too, beside the
 * system's. */
void dm_http_set_trust(DmHttp *http, GTlsDatabase *trust);
/* An answer's body larger than @max_size (0: no bound) ends the exchange with DM_ERROR_SERVER
 * and drops the connection at once. */
void dm_http_set_max_size(DmHttp *http, gsize max_size);
void dm_http_free(DmHttp *http);
/* POSTs @body as @media_type (with its x-syncml-hmac header when @hmac is not NULL). */
void dm_http_post_async(DmHttp *http, const char *uri, const char *media_type, GBytes *body,
                        const char *hmac, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data);
/* The answer's body and its x-syncml-hmac header; DM_ERROR_TRANSPORT when none came,
 * DM_ERROR_TLS when the server's certificate does not verify, DM_ERROR_SERVER when its status
 * is not 200. */
GBytes *dm_http_post_finish(DmHttp *http, GAsyncResult *result, char **hmac, GError **error);

/* syncml-read.c, syncml-wbxml.c: the strict modes refuse what the model would not keep (see
 * dm_message_parse_strict()). WBXML's namespace comes from its public id, which real servers
 * leave at 1.1 in 1.2 messages: it is not held against the VerDTD. */
typedef enum {
    DM_PARSE_LENIENT,
    DM_PARSE_STRICT,
    DM_PARSE_STRICT_FROM_WBXML,
} DmParseMode;

DmMessage *dm_message_parse_xml_checked(const char *xml, gsize length, DmParseMode mode,
                                        GError **error);
DmMessage *dm_message_parse_wbxml_checked(const guint8 *wbxml, gsize length, gboolean strict,
                                          GError **error);

/*
 * @command as it is written in a message's XML (no indentation): its length is what adding
 * it adds to the message, and the text can be spliced in as is. Its length is an upper bound
 * of what it adds to a WBXML message.
 */
char *dm_command_to_xml(const DmCommand *command);
/* @message with @body (commands from dm_command_to_xml) in place of its own commands; with
 * @doctype, the DOCTYPE the WBXML encoder wants. */
char *dm_message_to_xml_with_body(const DmMessage *message, const char *body, gboolean doctype);
/* The same in two steps, the header written once: @message without commands or Final
 * (written straight to text, as dm_command_to_xml writes commands), then that skeleton with
 * @body (and Final). */
char *dm_message_skeleton_xml(const DmMessage *message, gboolean doctype);
char *dm_message_xml_assemble(const char *skeleton, const char *body, gboolean final);
GBytes *dm_xml_to_wbxml(const char *xml, GError **error);

/* No field of @meta is set: no <Meta> is written for it. */
gboolean dm_meta_is_empty(const DmMeta *meta);

/* A message's namespace, and the DOCTYPE the WBXML encoder picks its code pages from, by
 * VerDTD (1.2, or 1.1 for messages that say so). */
#define DM_SYNCML_NS         "SYNCML:SYNCML1.2"
#define DM_SYNCML_NS_1_1     "SYNCML:SYNCML1.1"
#define DM_SYNCML_PUBLIC     "-//SYNCML//DTD SyncML 1.2//EN"
#define DM_SYNCML_PUBLIC_1_1 "-//SYNCML//DTD SyncML 1.1//EN"
#define DM_SYNCML_DTD        "http://www.openmobilealliance.org/tech/DTD/OMA-TS-SyncML_RepPro_DTD-V1_2.dtd"
#define DM_SYNCML_DTD_1_1    "http://www.syncml.org/docs/syncml_represent_v11_20020213.dtd"

/* The namespace each MetInf element declares itself (<Format xmlns="syncml:metinf">). */
#define DM_METINF_NS "syncml:metinf"
