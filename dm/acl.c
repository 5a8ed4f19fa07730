/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ACLs (OMA-TS-DM_TND 1.2 §7.7.1): "Add=srv1+srv2&Get=*&Replace=srv1". */
#include "dm.h"

#include <string.h>

static const struct {
    const char *name;
    DmAccess access;
} acl_commands[] = {
    { "Add", DM_ACCESS_ADD }, { "Delete", DM_ACCESS_DELETE },   { "Exec", DM_ACCESS_EXEC },
    { "Get", DM_ACCESS_GET }, { "Replace", DM_ACCESS_REPLACE },
};

static DmAccess command_access(const char *name, gsize length)
{
    for (gsize i = 0; i < G_N_ELEMENTS(acl_commands); i++) {
        if (strlen(acl_commands[i].name) == length &&
            strncmp(acl_commands[i].name, name, length) == 0)
            return acl_commands[i].access;
    }
    return 0;
}

/* A server id in an ACL: printable, without the separators the grammar uses. */
static gboolean server_id_valid(const char *id, gsize length)
{
    if (length == 0)
        return FALSE;
    for (gsize i = 0; i < length; i++) {
        if (id[i] <= 0x20 || id[i] > 0x7e || id[i] == '&' || id[i] == '+' || id[i] == '=')
            return FALSE;
    }
    return TRUE;
}

/* Calls @visit for every (command, server) pair; FALSE when @acl breaks the grammar. */
static gboolean acl_walk(const char *acl,
                         gboolean (*visit)(DmAccess, const char *, gsize, gpointer), gpointer data)
{
    g_auto(GStrv) entries = NULL;

    if (acl[0] == '\0')
        return TRUE; /* an empty ACL grants nothing, and is valid */
    entries = g_strsplit(acl, "&", -1);
    for (char **entry = entries; *entry != NULL; entry++) {
        const char *equals = strchr(*entry, '=');
        DmAccess access;
        g_auto(GStrv) servers = NULL;

        if (equals == NULL || (access = command_access(*entry, (gsize)(equals - *entry))) == 0)
            return FALSE;
        servers = g_strsplit(equals + 1, "+", -1);
        for (char **server = servers; *server != NULL; server++) {
            gsize length = strlen(*server);
            if (!(g_str_equal(*server, "*") || server_id_valid(*server, length)))
                return FALSE;
            if (visit != NULL && visit(access, *server, length, data))
                return TRUE;
        }
    }
    return TRUE;
}

gboolean dm_acl_valid(const char *acl)
{
    return acl != NULL && acl_walk(acl, NULL, NULL);
}

typedef struct {
    DmAccess access;
    const char *server_id;
    gboolean allowed;
} Query;

static gboolean match(DmAccess access, const char *server, gsize length, gpointer data)
{
    Query *q = data;

    if (access == q->access &&
        (g_str_equal(server, "*") || (q->server_id && g_str_equal(server, q->server_id))))
        q->allowed = TRUE;
    return q->allowed;
}

gboolean dm_acl_allows(const char *acl, DmAccess access, const char *server_id)
{
    Query q = { access, server_id, FALSE };

    if (acl == NULL)
        return FALSE;
    /* Copy is allowed where Get is: it reads the source; the target needs Add. */
    if (access == DM_ACCESS_COPY)
        q.access = DM_ACCESS_GET;
    return acl_walk(acl, match, &q) && q.allowed;
}
