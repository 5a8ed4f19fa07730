/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DM accounts as the tree holds them (OMA-TS-DM_StdObj, the DMAcc MO of DM 1.2): the
 * ./DMAcc/<x> whose ServerID names a server, with its address and its credentials.
 */
#include "dm-private.h"

#include <string.h>

#define DMACC "./DMAcc"

void dm_account_free(DmAccount *account)
{
    if (account == NULL)
        return;
    g_free(account->node);
    g_free(account->server_id);
    g_free(account->name);
    g_free(account->server_uri);
    g_free(account->client.node);
    g_free(account->server.node);
    g_free(account->client.name);
    g_free(account->client.secret);
    g_clear_pointer(&account->client.nonce, g_bytes_unref);
    g_free(account->server.name);
    g_free(account->server.secret);
    g_clear_pointer(&account->server.nonce, g_bytes_unref);
    g_free(account);
}

/* A leaf's value as text; NULL when there is no such leaf. */
static char *text_of(const DmTree *tree, const char *uri)
{
    DmNodeInfo info;

    if (!dm_tree_get(tree, uri, &info) || g_strcmp0(info.format, "node") == 0)
        return NULL;
    return g_strndup((const char *)info.value, info.value_length);
}

/* A leaf's bytes: b64 values are decoded (how binary data travels in XML). */
static GBytes *bytes_of(const DmTree *tree, const char *uri)
{
    DmNodeInfo info;

    if (!dm_tree_get(tree, uri, &info) || g_strcmp0(info.format, "node") == 0)
        return NULL;
    if (g_strcmp0(info.format, "b64") == 0) {
        g_autofree char *text = g_strndup((const char *)info.value, info.value_length);
        gsize length = 0;
        guchar *data = g_base64_decode(g_strstrip(text), &length);
        return g_bytes_new_take(data, length);
    }
    return g_bytes_new(info.value, info.value_length);
}

/* AAuthType to the authentication it names; FALSE for types dmscd does not speak. */
static gboolean auth_type(const char *name, DmAuthType *type)
{
    if (name == NULL)
        return FALSE;
    if (g_ascii_strcasecmp(name, "BASIC") == 0)
        *type = DM_AUTH_BASIC;
    else if (g_ascii_strcasecmp(name, "DIGEST") == 0)
        *type = DM_AUTH_MD5;
    else if (g_ascii_strcasecmp(name, "HMAC") == 0)
        *type = DM_AUTH_HMAC;
    else
        return FALSE;
    return TRUE;
}

/* AppAuth/<x>: the CLCRED and SRVCRED entries fill the account's two credentials. */
static void read_credentials(const DmTree *tree, DmAccount *account)
{
    g_autofree char *base = g_strconcat(account->node, "/AppAuth", NULL);
    g_autoptr(GPtrArray) entries = dm_tree_list(tree, base);

    for (guint i = 0; entries != NULL && i < entries->len; i++) {
        const char *entry = g_ptr_array_index(entries, i);
        g_autofree char *prefix = g_strdup_printf("%s/%s/", base, entry);
        g_autofree char *level_uri = g_strconcat(prefix, "AAuthLevel", NULL);
        g_autofree char *type_uri = g_strconcat(prefix, "AAuthType", NULL);
        g_autofree char *name_uri = g_strconcat(prefix, "AAuthName", NULL);
        g_autofree char *secret_uri = g_strconcat(prefix, "AAuthSecret", NULL);
        g_autofree char *data_uri = g_strconcat(prefix, "AAuthData", NULL);
        g_autofree char *level = text_of(tree, level_uri);
        g_autofree char *type = text_of(tree, type_uri);
        DmAccountCredential *credential;

        if (g_strcmp0(level, "CLCRED") == 0)
            credential = &account->client;
        else if (g_strcmp0(level, "SRVCRED") == 0)
            credential = &account->server;
        else
            continue;
        /* The first entry of a level is the one used, as AAuthPref leaves it. */
        if (credential->present)
            continue;
        credential->present = TRUE;
        credential->node = g_strdup_printf("%s/%s", base, entry);
        credential->type_known = auth_type(type, &credential->type);
        credential->name = text_of(tree, name_uri);
        credential->secret = text_of(tree, secret_uri);
        credential->nonce = bytes_of(tree, data_uri);
    }
}

static DmAccount *read_account(const DmTree *tree, const char *node, char *server_id)
{
    DmAccount *account = g_new0(DmAccount, 1);
    g_autofree char *name_uri = g_strconcat(node, "/Name", NULL);
    g_autofree char *addresses = g_strconcat(node, "/AppAddr", NULL);
    g_autoptr(GPtrArray) entries = dm_tree_list(tree, addresses);

    account->node = g_strdup(node);
    account->server_id = server_id;
    account->name = text_of(tree, name_uri);
    if (entries != NULL && entries->len > 0) {
        g_autofree char *addr_uri =
            g_strdup_printf("%s/%s/Addr", addresses, (const char *)g_ptr_array_index(entries, 0));
        account->server_uri = text_of(tree, addr_uri);
    }
    read_credentials(tree, account);
    return account;
}

DmAccount *dm_account_find(const DmTree *tree, const char *server_id)
{
    g_autoptr(GPtrArray) accounts = dm_tree_list(tree, DMACC);

    for (guint i = 0; server_id != NULL && accounts != NULL && i < accounts->len; i++) {
        g_autofree char *node =
            g_strdup_printf(DMACC "/%s", (const char *)g_ptr_array_index(accounts, i));
        g_autofree char *server_uri = g_strconcat(node, "/ServerID", NULL);
        g_autofree char *id = text_of(tree, server_uri);

        if (id != NULL && g_str_equal(id, server_id))
            return read_account(tree, node, g_steal_pointer(&id));
    }
    return NULL;
}
