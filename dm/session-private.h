/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The session engine's insides: session.c (messages), session-exec.c (commands), session-state.c.
 */
#pragma once

#include "dm-private.h"

/* Commands of one container being run: the body, an Atomic or a Sequence. */
typedef struct {
    GPtrArray *commands; /* DmCommand *, borrowed from the message */
    guint next;
    DmCommand *container; /* NULL for the body */
    DmTree *tree;         /* an Atomic's working copy; NULL: the parent's tree */
    gboolean failed;      /* an Atomic child failed: the rest is not run */
    GPtrArray *out;       /* DmCommand *: statuses and results this frame produced */
} Frame;

/* A large object coming in chunks (MoreData). */
typedef struct {
    gboolean active;
    DmCommandType command;
    char *target;
    char *format;
    char *type;
    gint64 size;
    GByteArray *data;
} LargeObject;

struct DmSession {
    DmSessionConfig config; /* strings and nonces owned */
    DmTree *base;           /* the tree as the session found it */
    DmTree *tree;
    char *target;
    guint msg_id; /* of the last message sent */
    guint cmd_id; /* last CmdID used in the message being built */
    guint server_msg_id;
    gsize peer_max_msg_size;
    gboolean server_authenticated;
    gboolean client_authenticated;
    guint client_retries;
    guint server_challenges; /* of a server whose credentials failed */
    GQueue outbox;           /* DmCommand *: what waits to be sent */
    GPtrArray *last_sent;    /* DmCommand *: resent when the server asks for credentials */
    GPtrArray *frames;       /* Frame *: the commands being run */
    DmMessage *incoming;     /* owns the commands the frames point to */
    DmCommand *alert_command;
    DmAlertRequest *alert;
    gboolean server_final; /* the message being answered ended with Final */
    LargeObject large;
    GPtrArray *changes; /* GStrv (uri, command, status) */
    DmSessionResult result;
    char *error;
    GBytes *output;
    char *output_hmac;
    GBytes *new_server_nonce;
    GBytes *new_client_nonce;
};

/* session-exec.c: the commands of a server message. */
void dm_session_run_body(DmSession *session, DmMessage *message);
/* Runs frames until done (TRUE) or an alert waits (FALSE). */
gboolean dm_session_run_frames(DmSession *session);
void dm_session_finish_alert(DmSession *session, int status, const char *const *items);

/* session-state.c: what both halves use. */
/* Ends the session with @result (the first end stands). */
void dm_session_end(DmSession *session, DmSessionResult result, const char *error);
DmCommand *dm_session_status_new(DmSession *session, const DmCommand *command, int code);
void dm_session_record(DmSession *session, const char *uri, const char *command, int status);
void dm_frame_free(Frame *frame);
/* Moves every command of @from, in order, to the end of @queue; @from is left empty. Linear:
 * taking them one by one from the front of the array is not. */
void dm_commands_queue(GPtrArray *from, GQueue *queue);
void dm_large_object_clear(LargeObject *large);
void dm_alert_request_free(DmAlertRequest *request);
