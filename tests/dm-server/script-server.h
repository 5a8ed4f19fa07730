/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A DM server that plays a script (tests only; the modem simulator serves it behind its
 * SCWS). Script: one operation a line —
 *   GET uri | ADD uri format [value] | REPLACE uri format value | DELETE uri |
 *   EXEC uri [data] | COPY source target | ATOMIC-BEGIN | ATOMIC-END | SEQUENCE-BEGIN |
 *   SEQUENCE-END | ALERT-DISPLAY text | ALERT-CONFIRM text | PACKAGE (ends a package)
 * Values run to the end of the line with \n, \t and \\ escapes; '#' starts a comment.
 * Record: JSON lines, one per Status (and Get's Results) received, then
 *   {"session": "end", "packages": N, "auth": "ok"|"failed"}; each session (each package 1)
 *   plays the script from its start and adds its lines.
 */
#pragma once

#include "dm/dm.h"

typedef struct {
    const char *server_id;   /* the server's Source LocURI */
    DmAuthType auth;         /* both ways */
    const char *server_name; /* what the server sends as its credentials */
    const char *server_password;
    const char *client_name; /* what it expects from the client */
    const char *client_password;
    GBytes *client_nonce; /* the nonce the client signs with */
    GBytes *server_nonce; /* the nonce the server signs with */
    DmEncoding encoding;
    gsize chunk_size;          /* Add/Replace values above it go in chunks; 0: never */
    gboolean wrong_chunk_size; /* announce a Size one byte too big (for 424) */
    gsize max_msg_size;        /* MaxMsgSize announced to the client; 0: none */
} ScriptServerConfig;

typedef struct ScriptServer ScriptServer;

ScriptServer *script_server_new(const ScriptServerConfig *config, const char *script,
                                GError **error);
void script_server_free(ScriptServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScriptServer, script_server_free)

/* One HTTP exchange: the client's message in, the server's out (NULL: answer HTTP 400). */
GBytes *script_server_handle(ScriptServer *server, GBytes *request, const char *hmac,
                             char **response_hmac);
/* JSON lines recorded so far. */
GPtrArray *script_server_get_records(ScriptServer *server);
gboolean script_server_is_finished(ScriptServer *server);
/* Sessions started so far: each package 1 (Alert 1200 or 1201) plays the script again. */
guint script_server_get_sessions(ScriptServer *server);

/* Serves @server at http://127.0.0.1:PORT@path with libsoup; returns the port or 0. */
guint16 script_server_listen(ScriptServer *server, const char *path, guint16 port, GError **error);
