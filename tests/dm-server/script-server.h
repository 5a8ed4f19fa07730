/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A DM server that plays a script (tests only; the modem simulator serves it behind its
 * SCWS). It keeps the nonces as a DM 1.2 server does: it signs with the server nonce (the one
 * the device's account holds, and the one of its package #0), checks the client with the
 * client nonce, answers failed credentials with 401 (407 when missing) and a Chal carrying a
 * fresh NextNonce, hands a fresh NextNonce on every Status of the client's SyncHdr, takes the
 * client's NextNonce when the client challenges it and sends its package again signed with it
 * (once). Values that do not fit the client's MaxMsgSize go as large objects in chunks; one
 * above its MaxObjSize is not sent. Script: one operation a line —
 *   GET uri | ADD uri format [value] | REPLACE uri format value | DELETE uri |
 *   EXEC uri [data] | COPY source target | ATOMIC-BEGIN | ATOMIC-END | SEQUENCE-BEGIN |
 *   SEQUENCE-END | ALERT-DISPLAY text | ALERT-CONFIRM text | PACKAGE (ends a package)
 * Values run to the end of the line with \n, \t and \\ escapes; '#' starts a comment.
 * "{session}" in a value is the number of the session playing it (1 for the first): a script
 * whose every session changes the device's tree.
 * Record: JSON lines: {"session": "start", "encoding": "xml"|"wbxml"} (the client's), one per
 * Status (and Get's Results) received, then
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
    /* Misbehaviour on purpose, for failure tests. */
    gboolean wrong_secret; /* sign with a password that is not the server's */
    gboolean no_retry;     /* give up when the client challenges our credentials */
    gboolean oversized;    /* ignore the client's MaxMsgSize and MaxObjSize */
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
/* The nonces as they stand now (rotated by the sessions): what the server signs with, and what
 * it expects the client to sign with. */
GBytes *script_server_get_server_nonce(ScriptServer *server);
GBytes *script_server_get_client_nonce(ScriptServer *server);

/* Serves HTTPS with @certificate (its key with it) from the next listen on. */
void script_server_set_tls(ScriptServer *server, GTlsCertificate *certificate);
/* Serves @server at http://127.0.0.1:PORT@path with libsoup; returns the port or 0. */
guint16 script_server_listen(ScriptServer *server, const char *path, guint16 port, GError **error);
