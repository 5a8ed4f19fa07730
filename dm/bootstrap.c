/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The card's DM bootstrap: a SyncML DM message of Add and Replace commands that dmscd applies
 * as the device itself, on a copy of the tree, marking what it creates as the card's.
 */
#include "dm-private.h"

#include <string.h>

#define DMACC "./DMAcc"

typedef struct {
    DmTree *tree;
    const char *origin;
    guint changed;
} Apply;

/* The highest ancestor of @uri (or @uri) that does not exist yet: what an Add will create. */
static char *first_missing(const DmTree *tree, const char *uri)
{
    g_autofree char *path = g_strdup(uri);
    char *missing = NULL;

    while (!dm_tree_exists(tree, path)) {
        char *slash = strrchr(path, '/');

        g_free(missing);
        missing = g_strdup(path);
        if (slash == NULL || slash == path)
            break;
        *slash = '\0';
    }
    return missing;
}

/*
 * Who a node belongs to: the origin of the node or, when it has none, of its nearest
 * ancestor that has one ("" when none does: the device's, or a server's).
 */
static char *owner_of(const DmTree *tree, const char *uri)
{
    g_autofree char *path = g_strdup(uri);
    DmNodeInfo info;

    for (;;) {
        char *slash;

        if (dm_tree_get(tree, path, &info) && info.origin != NULL && info.origin[0] != '\0')
            return g_strdup(info.origin);
        slash = strrchr(path, '/');
        if (slash == NULL || slash == path)
            return g_strdup("");
        *slash = '\0';
    }
}

static gboolean apply_item(Apply *a, const DmCommand *c, const DmItem *item, GError **error)
{
    const char *format = item->meta.format ? item->meta.format : c->meta.format;
    const char *type = item->meta.type ? item->meta.type : c->meta.type;
    gsize length = item->has_data ? item->data_length : 0;
    g_autofree char *uri = NULL;
    g_autofree char *created = NULL;
    int status;

    if (item->target == NULL || strchr(item->target, '?') != NULL || item->more_data) {
        g_set_error(error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                    "command %u: a bootstrap item needs a plain Target URI and its whole data",
                    c->cmd_id);
        return FALSE;
    }
    uri = dm_uri_normalize(item->target, &status);
    if (uri == NULL) {
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED, "command %u: bad URI %s (%d)", c->cmd_id,
                    item->target, status);
        return FALSE;
    }
    created = first_missing(a->tree, uri);
    /* What is there already may be changed only when it is this card's own (an interior node
     * it Adds again, such as ./DMAcc, is left as it is). */
    if (created == NULL && !(c->type == DM_COMMAND_ADD && g_strcmp0(format, "node") == 0)) {
        g_autofree char *owner = owner_of(a->tree, uri);
        if (g_strcmp0(owner, a->origin) != 0) {
            g_set_error(error, DM_ERROR, DM_ERROR_DENIED,
                        "command %u (%s %s): the node is not the card's (%s)", c->cmd_id,
                        dm_command_type_name(c->type), uri,
                        owner[0] != '\0' ? owner : "the device's or a server's");
            return FALSE;
        }
    }
    status = c->type == DM_COMMAND_ADD
                 ? dm_tree_add(a->tree, NULL, uri, format, type, (const guint8 *)item->data, length)
                 : DM_STATUS_NOT_FOUND;
    /* An interior node that is there already (./DMAcc) is what the Add wanted. */
    if (status == DM_STATUS_ALREADY_EXISTS && g_strcmp0(format, "node") == 0)
        status = DM_STATUS_OK;
    else if (status == DM_STATUS_ALREADY_EXISTS || c->type == DM_COMMAND_REPLACE)
        status =
            dm_tree_replace(a->tree, NULL, uri, format, type, (const guint8 *)item->data, length);
    if (status < 200 || status > 299) {
        g_set_error(error, DM_ERROR, DM_ERROR_UNSUPPORTED, "command %u (%s %s): status %d",
                    c->cmd_id, dm_command_type_name(c->type), uri, status);
        return FALSE;
    }
    if (created != NULL)
        dm_tree_set_origin(a->tree, created, a->origin);
    a->changed++;
    return TRUE;
}

static gboolean apply_commands(Apply *a, const GPtrArray *commands, GError **error)
{
    for (guint i = 0; i < commands->len; i++) {
        const DmCommand *c = g_ptr_array_index(commands, i);

        switch (c->type) {
        case DM_COMMAND_ADD:
        case DM_COMMAND_REPLACE:
            for (guint j = 0; j < c->items->len; j++)
                if (!apply_item(a, c, g_ptr_array_index(c->items, j), error))
                    return FALSE;
            break;
        case DM_COMMAND_ATOMIC:
        case DM_COMMAND_SEQUENCE:
            if (!apply_commands(a, c->children, error))
                return FALSE;
            break;
        default:
            g_set_error(error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                        "command %u: %s has no place in a bootstrap", c->cmd_id,
                        c->element ? c->element : dm_command_type_name(c->type));
            return FALSE;
        }
    }
    return TRUE;
}

/* The card's accounts belong to their servers: each gets every right on its own subtree. */
static char *grant_accounts(DmTree *tree, const char *origin)
{
    g_autoptr(GPtrArray) accounts = dm_tree_list(tree, DMACC);
    char *first = NULL;

    for (guint i = 0; accounts != NULL && i < accounts->len; i++) {
        g_autofree char *uri = g_strdup_printf(DMACC "/%s", (char *)g_ptr_array_index(accounts, i));
        g_autofree char *leaf = g_strconcat(uri, "/ServerID", NULL);
        g_autofree char *server_id = NULL;
        g_autofree char *acl = NULL;
        DmNodeInfo info;

        if (!dm_tree_get(tree, uri, &info) || g_strcmp0(info.origin, origin) != 0 ||
            !dm_tree_get(tree, leaf, &info) || info.value_length == 0)
            continue;
        server_id = g_strndup((const char *)info.value, info.value_length);
        acl = g_strdup_printf("Add=%s&Delete=%s&Get=%s&Replace=%s&Exec=%s", server_id, server_id,
                              server_id, server_id, server_id);
        if (!dm_acl_valid(acl) || !dm_tree_get(tree, uri, &info) || info.acl != NULL)
            continue;
        dm_tree_replace_property(tree, NULL, uri, "ACL", acl);
        if (first == NULL)
            first = g_steal_pointer(&server_id);
    }
    return first;
}

DmTree *dm_bootstrap_apply(const DmTree *tree, const guint8 *data, gsize length, const char *origin,
                           char **server_id, GError **error)
{
    g_autoptr(DmMessage) message = NULL;
    g_autoptr(DmTree) copy = NULL;
    Apply a = { .origin = origin };

    g_return_val_if_fail(origin != NULL && origin[0] != '\0', NULL);
    /* A transparent EF is longer than what it holds; the rest is FF padding. */
    while (length > 0 && data[length - 1] == 0xff)
        length--;
    if (length == 0) {
        g_set_error(error, DM_ERROR, DM_ERROR_TRUNCATED, "the bootstrap file is empty");
        return NULL;
    }
    message = dm_message_parse(data, length, error);
    if (message == NULL)
        return NULL;
    copy = dm_tree_copy(tree);
    /* The card's earlier bootstrap goes first: what it no longer holds must not stay. */
    dm_tree_remove_origin(copy, origin);
    a.tree = copy;
    if (!apply_commands(&a, message->commands, error))
        return NULL;
    if (a.changed == 0) {
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED, "the bootstrap changes nothing");
        return NULL;
    }
    if (server_id != NULL)
        *server_id = grant_accounts(copy, origin);
    else
        g_free(grant_accounts(copy, origin));
    return g_steal_pointer(&copy);
}
