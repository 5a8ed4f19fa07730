/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the HTTP tests share: a session run against the scripted DM server over real HTTP on
 * loopback, with a proxy in front when a test wants connections counted or cut as a server
 * closing a kept-alive one does.
 */
#pragma once

#include "script-server.h"
#include "tests/dm/session-helpers.h"

#include <check.h>

typedef struct {
    DmAuthType auth;
    DmEncoding encoding;
    const char *client_password_sent;  /* what dmscd uses (the server expects "cpw") */
    const char *server_password_known; /* what dmscd expects (the server uses "spw") */
    gsize chunk_size;
    gboolean wrong_chunk_size;
    gsize max_msg_size;
    int confirm_answer; /* what the "user" answers to ALERT-CONFIRM */
    guint cut;          /* connections a proxy in front cuts once it read their request */
    gboolean proxied;   /* a proxy in front, counting connections, even when it cuts none */
    gboolean cut_reuse; /* the proxy closes a connection the client sends a second request on */
    gboolean oversized; /* the server ignores the client's MaxMsgSize */
    gboolean trickle;   /* the proxy passes answers on a few bytes at a time */
    gboolean truncate;  /* the proxy closes the connection a few bytes into the first answer */
} Setup;

typedef struct {
    GMainLoop *loop;
    gboolean done;
    gboolean ok;
    GError *error;
    DmSessionRunner *runner;
    int confirm_answer;
    guint alerts;
} Run;

#define CUT_REQUEST_SIZE 513
/* The start of the last request a proxy cut: what dmscd's HTTP client sends. */
extern char cut_request[CUT_REQUEST_SIZE];
/* Of the last run_script() with a proxy: the connections it took, and those it closed as the
 * client sent a second request on them (Setup.cut_reuse). */
extern guint proxy_connections;
extern guint proxy_reuses_cut;
/* The pieces a proxy passed the answers on in (Setup.trickle). */
extern guint proxy_pieces;

/* A session runner's end, kept in the Run it was given; quits the Run's loop. */
void on_finished(GObject *source, GAsyncResult *result, gpointer user_data);

/* Runs @script against a session on @tree; returns the records, and the session's tree. */
GPtrArray *run_script(const Setup *setup, const char *script, DmTree *tree, DmSessionResult *result,
                      DmTree **tree_out, GError **error);

gboolean has_record(GPtrArray *records, const char *fragment);

#define ASSERT_RECORD(records, fragment)                                                          \
    do {                                                                                          \
        g_autofree char *all = joined(records);                                                   \
        ck_assert_msg(has_record(records, fragment), "no record with %s in:\n%s", fragment, all); \
    } while (0)
