/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the daemon's own files share. */
#pragma once

#include "config.h"
#include "dbus/dbus-api.h"
#include "dm/dm.h"
#include "dmscd-build.h"

/* MESSAGE_IDs of the journal catalog (systemd/dmscd.catalog). */
#define DMSCD_MESSAGE_TREE_CORRUPT          "6d3b1f0e9a8c4c6b9f1e2d4a5b7c8e01"
#define DMSCD_MESSAGE_SESSIONS_CORRUPT      "ada2f63e0b164deba1a2aef4666b05ee"
#define DMSCD_MESSAGE_TREE_UNSAVED          "0b7fed1ae21148dc82def7e434f6ff14"
#define DMSCD_MESSAGE_BUS_LOST              "f364a4bc3ee74b079f56d180a7eed6e3"
#define DMSCD_MESSAGE_CARD_ADDED            "b6fc3cb796a74e8ca8ad73f81fcfd4f4"
#define DMSCD_MESSAGE_CARD_REMOVED          "4fa78e8428ac4fa6a2e1e99a5c74a4fe"
#define DMSCD_MESSAGE_NOTIFICATION_ACCEPTED "31bee83f72c14eda8ecd1e2406ad33b6"
#define DMSCD_MESSAGE_NOTIFICATION_REJECTED "60a56e81e15e4390b3517a8d68cd16ad"
#define DMSCD_MESSAGE_SESSION_STARTED       "cd0e36c2a09646549a543026454813e5"
#define DMSCD_MESSAGE_SESSION_FINISHED      "7668edd1dd7e46d790830677df346e7a"
#define DMSCD_MESSAGE_SESSION_FAILED        "ad6b6eb480b547c1b0c9c3da7c70141e"
#define DMSCD_MESSAGE_SESSION_DISPLAY       "9808860940e34955b9efe31bf94f9992"
#define DMSCD_MESSAGE_SESSION_CONFLICT      "405d99de3a404e9a838ca1b9333c1abd"

/* The files dmscd keeps in its state directory. */
#define DMSCD_TREE_FILE     "tree"
#define DMSCD_SESSIONS_FILE "sessions"

/* The tree file in the state directory. */
char *dmscd_tree_path(const DmscdConfig *config);
/*
 * Loads the DM tree from the state directory (creating the directory, and removing what saves
 * cut short by a crash left there), refreshes the standard objects and saves it. A corrupt file
 * is moved aside and reported, and the daemon goes on with a fresh tree; a save that fails (a
 * full or read-only disk) is reported, and the daemon goes on with the tree as read.
 */
DmTree *dmscd_tree_open(const DmscdConfig *config, GError **error);

/* The daemon's DM tree and the file it is kept in. */
typedef struct {
    DmTree *tree;
    char *path;
    gboolean card_bootstrap; /* [card] bootstrap: cards' bootstraps are applied to it */
    char *dev_id_modem;      /* the modem whose IMEI is the DevId now, or NULL */
    GHashTable *cards;       /* "card:<ICCID>" → modems that have that card now (count) */
    int resync_nonce;        /* DmscdResyncNonce: the second nonce notifications are tried with */
    guint unsettled;         /* modems that have not said which card they have yet */
} DmscdTree;

/*
 * Applies a card's bootstrap file to the tree and saves it: all of it or nothing (an error
 * keeps the tree and the file as they were). @origin is "card:<ICCID>"; the nodes of
 * @previous (the card the modem had before, or NULL) go in the same step. @server_id
 * receives the ServerID of the card's account, if it has one.
 */
gboolean dmscd_tree_apply_bootstrap(DmscdTree *tree, const char *previous, const char *origin,
                                    GBytes *data, char **server_id, GError **error);
/*
 * Makes @dev_id (IMEI:…) the device's ./DevInfo/DevId for @modem and saves the tree, unless
 * another modem gave the DevId first and is still there (then nothing changes, and TRUE).
 * @changed tells whether the tree was changed.
 */
gboolean dmscd_tree_set_dev_id(DmscdTree *tree, const char *modem, const char *dev_id,
                               gboolean *changed, GError **error);
/* @modem is gone: the next modem that gives an IMEI may set the DevId. */
void dmscd_tree_release_dev_id(DmscdTree *tree, const char *modem);
/*
 * Checks a DM notification's digest with the SRVCRED credentials (secret, nonce) of the
 * account whose ServerID it names, then with the resynchronisation nonce. DM_ERROR_AUTH,
 * saying why, when there is no such account or neither nonce fits.
 */
gboolean dmscd_notification_verify(const DmscdTree *tree, const DmNotification *notification,
                                   GError **error);

/* Verifies and logs (MESSAGE_ID accepted or rejected) a notification from @origin ("card",
 * "network"); TRUE when it verified. */
gboolean dmscd_notification_check(const DmscdTree *tree, const char *origin,
                                  const DmNotification *notification);

/*
 * GetNode/ListNodes: fills @node (format, type, value, children) for @uri. DM_ERROR
 * INVALID (a malformed URI), NOT_FOUND, or DENIED for a secret (AAuthSecret).
 */
gboolean dmscd_tree_read_node(DmscdTree *tree, const char *uri, DbusApiNode *node, GError **error);

/* A modem has the card of @origin ("card:<ICCID>") now, or no longer. */
void dmscd_tree_claim_card(DmscdTree *tree, const char *origin);
void dmscd_tree_release_card(DmscdTree *tree, const char *origin);
/*
 * A modem holds the sweep until it knows its card (read it, or found none): another modem's
 * sweep must not take the nodes of a card that is there but not read yet.
 */
void dmscd_tree_hold_sweep(DmscdTree *tree);
void dmscd_tree_release_sweep(DmscdTree *tree);
/*
 * Removes the nodes of every card no modem has now (what a card taken out while dmscd did
 * not run left behind) and saves the tree when that changed it; @removed: how many. Does
 * nothing while a modem holds the sweep.
 */
gboolean dmscd_tree_sweep_cards(DmscdTree *tree, guint *removed, GError **error);
/*
 * Applies what a session changed (@delta, against the tree it started from) and the nonces it
 * learnt (either may be NULL) to the live tree and saves it. A change to a node that another
 * writer (a card's bootstrap, a card taken out, the DevId) changed or removed meanwhile is not
 * applied: the card's and the device's changes win, and the change is appended to @conflicts
 * (GStrv {uri, command, why}). A nonce goes only to a credential that is still there.
 */
gboolean dmscd_tree_commit_session(DmscdTree *tree, const DmTreeDelta *delta,
                                   const DmAccount *account, GBytes *client_nonce,
                                   GBytes *server_nonce, GPtrArray *conflicts, GError **error);
/* Removes what a card's bootstrap created and saves the tree; the number of nodes removed. */
gboolean dmscd_tree_remove_card(DmscdTree *tree, const char *origin, guint *removed,
                                GError **error);
