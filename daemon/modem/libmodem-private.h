/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the files of daemon/modem/ share and nobody else sees. */
#pragma once

#include "modem.h"

/* --- sockets.c: the SCWS socket layer ------------------------------------------------------ */

#define MODEM_SOCKETS_MAX 7

typedef struct ModemSockets ModemSockets;

typedef struct {
    gboolean (*connected)(gpointer user_data, guint id); /* FALSE refuses the client */
    gsize (*space)(gpointer user_data, guint id);        /* bytes the owner can take now */
    void (*received)(gpointer user_data, guint id, const guint8 *data, gsize length);
    void (*closed)(gpointer user_data, guint id); /* the client went away */
} ModemSocketCallbacks;

ModemSockets *modem_sockets_new(const ModemSocketCallbacks *callbacks, gpointer user_data);
void modem_sockets_free(ModemSockets *set);
gboolean modem_sockets_listen(ModemSockets *set, guint id, guint16 port, GError **error);
void modem_sockets_drop_client(ModemSockets *set, guint id);
void modem_sockets_close(ModemSockets *set, guint id);
gboolean modem_sockets_send(ModemSockets *set, guint id, const guint8 *data, gsize length);
/* Reads again from a client paused for lack of room. */
void modem_sockets_resume(ModemSockets *set, guint id);
GSocketAddress *modem_sockets_get_address(ModemSockets *set, guint id);

/* lifetime.c: what the asynchronous steps of a modem client check before touching it. */
typedef struct {
    GCancellable *own; /* cancelled when the client is freed */
    GCancellable *caller;
    gulong caller_id;
} ModemLifetime;
void modem_lifetime_init(ModemLifetime *life);
/* The caller's cancellable cancels ours too (the first one given is kept). */
void modem_lifetime_follow(ModemLifetime *life, GCancellable *caller);
void modem_lifetime_end(ModemLifetime *life);

/* qmi-values.c: a QMI response's result TLV 0x02; FALSE with @error (naming @what) when the
 * modem refused or the TLV does not read. */
gboolean modem_qmi_response_ok(QmiMessage *response, const char *what, GError **error);
