/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The life of an object that runs asynchronous steps on the modem: a cancellable of its own,
 * cancelled when it is freed (a step that answers later sees that before touching it) and
 * cancelled too when the caller's cancellable is.
 */
#include "libmodem-private.h"

void modem_lifetime_init(ModemLifetime *life)
{
    life->own = g_cancellable_new();
    life->caller = NULL;
    life->caller_id = 0;
}

static void on_caller_cancelled(GCancellable *caller, gpointer own)
{
    g_cancellable_cancel(own);
}

void modem_lifetime_follow(ModemLifetime *life, GCancellable *caller)
{
    if (caller == NULL || life->caller != NULL)
        return;
    life->caller = g_object_ref(caller);
    life->caller_id =
        g_cancellable_connect(caller, G_CALLBACK(on_caller_cancelled), life->own, NULL);
}

void modem_lifetime_end(ModemLifetime *life)
{
    if (life->caller != NULL) {
        g_cancellable_disconnect(life->caller, life->caller_id);
        g_clear_object(&life->caller);
    }
    g_cancellable_cancel(life->own);
    g_clear_object(&life->own);
}
