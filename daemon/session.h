/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DM sessions the daemon runs for verified notifications, one at a time. */
#pragma once

#include "dbus/dbus-api.h"
#include "dmscd.h"

typedef struct DmscdSessions DmscdSessions;

/* One session asked for: what it runs with, and where it stands. */
typedef struct {
    char *server_id;
    char *session_id; /* SyncML SessionID: uppercase hex */
    char *origin;     /* "card", "network", "local" */
    DmUiMode ui_mode; /* the notification's; a local session's is not specified */
    gboolean client_initiated;
    DmEncoding encoding;
    guint attempts; /* started so far */
    char *path;     /* its D-Bus object, or NULL */
    guint retry_id; /* the timer that queues it again after a failed attempt */
    DmscdSessions *retry_sessions;
} DmscdSessionRequest;

void dmscd_session_request_free(DmscdSessionRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmscdSessionRequest, dmscd_session_request_free)

/*
 * session-store.c: the sessions asked for and not ended, kept in one file of the state
 * directory (written atomically), so that a stop or a crash loses none: those running start
 * again from the start (the tree was not changed).
 */
gboolean dmscd_session_store_save(const char *path, GPtrArray *requests, GError **error);
/* What save writes: a key file, "[session N]" a request. */
char *dmscd_session_store_to_data(GPtrArray *requests, gsize *length);
/* What load does with the file's bytes (see there). */
GPtrArray *dmscd_session_store_parse(const char *data, gsize length, GPtrArray *skipped,
                                     GError **error);
/*
 * The saved requests (an empty array for a missing file). One that does not read, or whose
 * values dmscd would not have written (an empty server-id, a session-id that is not 1 to 4
 * uppercase hex digits, an origin other than card, network or local, an unknown ui-mode or
 * encoding), is left out, and said in @skipped when it is not NULL ("[session 2]: ui-mode
 * \"loud\"", a string each). NULL with @error for a file that cannot be read or is not a key
 * file at all.
 */
GPtrArray *dmscd_session_store_load(const char *path, GPtrArray *skipped, GError **error);

#define DMSCD_SESSIONS_QUEUE_SIZE 32

typedef struct {
    guint timeout;       /* seconds: bounds each exchange with a server */
    guint max_duration;  /* seconds: bounds the whole session (0: none) */
    gsize max_msg_size;  /* announced to servers */
    DmEncoding encoding; /* of sessions that do not ask for one */
    guint retries;       /* attempts again after a transport failure */
    guint retry_delay;   /* seconds before the first of them; doubling */
    guint queue_size;    /* sessions that may wait at once (0: DMSCD_SESSIONS_QUEUE_SIZE) */
    const char *store;   /* the file the pending sessions are kept in, or NULL */
    GTlsDatabase *trust; /* CAs trusted beside the system's ([session] ca-file), or NULL */
} DmscdSessionOptions;

/* @options are copied. @bus (not owned, may be NULL) publishes each session as an object. */
DmscdSessions *dmscd_sessions_new(DmscdTree *tree, const DmscdSessionOptions *options,
                                  DbusApiServer *bus);
/* Cuts a session that runs; the rest of the queue is dropped. */
void dmscd_sessions_free(DmscdSessions *sessions);
/*
 * Queues the server-initiated session a verified @notification asks for, with the account
 * of the server it names; a session asked for already (same server and session id, queued or
 * running) is not queued again. @origin: "card" or "network".
 */
void dmscd_sessions_queue(DmscdSessions *sessions, const DmNotification *notification,
                          const char *origin);
/*
 * Queues a client-initiated session (alert 1201) with the account of @server_id in @encoding
 * (NULL: the configured one); its object path (a new string). DM_ERROR_NOT_FOUND when there is
 * no such account, DM_ERROR_BUSY when too many sessions wait already.
 */
char *dmscd_sessions_trigger(DmscdSessions *sessions, const char *server_id,
                             const DmEncoding *encoding, GError **error);
/* TRUE when no session runs or waits (its turn, the user, or another attempt). */
gboolean dmscd_sessions_idle(DmscdSessions *sessions);
/* The ports the card's web server listens on: sessions with a server there reach it on
 * dmscd's own socket (modem_scws_own_address_new()). */
void dmscd_sessions_set_scws_ports(DmscdSessions *sessions, const guint16 *ports, gsize n);
/* Queues again the sessions the store kept (the last stop's, or a crash's). */
void dmscd_sessions_restore(DmscdSessions *sessions);
