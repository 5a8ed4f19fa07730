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

/* The servers of one entry, "srv1+srv2" (@length bytes; none when empty), to @visit. */
static gboolean walk_servers(DmAccess access, const char *p, gsize length,
                             gboolean (*visit)(DmAccess, const char *, gsize, gpointer),
                             gpointer data, gboolean *stop)
{
    const char *end = p + length;

    if (length == 0)
        return TRUE;
    for (;;) {
        const char *plus = memchr(p, '+', (gsize)(end - p));
        gsize n = (gsize)((plus ? plus : end) - p);

        if (!((n == 1 && p[0] == '*') || server_id_valid(p, n)))
            return FALSE;
        if (visit != NULL && visit(access, p, n, data)) {
            *stop = TRUE;
            return TRUE;
        }
        if (plus == NULL)
            return TRUE;
        p = plus + 1;
    }
}

/*
 * Calls @visit for every (command, server) pair, the server as @length bytes of the ACL;
 * FALSE when @acl breaks the grammar. Walks the string in place: this runs for every command
 * a server sends.
 */
static gboolean acl_walk(const char *acl,
                         gboolean (*visit)(DmAccess, const char *, gsize, gpointer), gpointer data)
{
    const char *p = acl;
    gboolean stop = FALSE;

    if (acl[0] == '\0')
        return TRUE; /* an empty ACL grants nothing, and is valid */
    for (;;) {
        const char *amp = strchr(p, '&');
        const char *end = amp ? amp : p + strlen(p);
        const char *equals = memchr(p, '=', (gsize)(end - p));
        DmAccess access;

        if (equals == NULL || (access = command_access(p, (gsize)(equals - p))) == 0)
            return FALSE;
        if (!walk_servers(access, equals + 1, (gsize)(end - equals - 1), visit, data, &stop))
            return FALSE;
        if (stop || amp == NULL)
            return TRUE;
        p = amp + 1;
    }
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

    if (access == q->access && ((length == 1 && server[0] == '*') ||
                                (q->server_id != NULL && strlen(q->server_id) == length &&
                                 memcmp(server, q->server_id, length) == 0)))
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
