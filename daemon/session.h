/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DM sessions the daemon runs for verified notifications, one at a time. */
#pragma once

#include "dbus/dbus-api.h"
#include "dmscd.h"

typedef struct DmscdSessions DmscdSessions;

typedef struct {
    guint timeout;       /* seconds: bounds each exchange with a server */
    gsize max_msg_size;  /* announced to servers */
    DmEncoding encoding; /* of sessions that do not ask for one */
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
 * no such account.
 */
char *dmscd_sessions_trigger(DmscdSessions *sessions, const char *server_id,
                             const DmEncoding *encoding, GError **error);
/* TRUE when no session runs or waits. */
gboolean dmscd_sessions_idle(DmscdSessions *sessions);
