/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sd_event inside a GSource.
 *
 * sd_event has its own prepare/wait/dispatch cycle that maps onto GLib's: the event's epoll
 * fd is the one fd GLib polls, and every sd_event timer lives behind that fd, so GLib never
 * needs a timeout from us.
 *
 * The subtle part is the ARMED state. GLib may call prepare() on us and then skip check()
 * for this iteration (a source of higher priority became ready). sd_event is then left
 * ARMED and a second sd_event_prepare() would fail with -EBUSY, so every entry point first
 * brings the event back to a state it can continue from.
 */
#include "dbus-api.h"

#include <errno.h>

typedef struct {
    GSource source;
    sd_event *event;
    gpointer fd_tag;
} EventSource;

/* Moves an ARMED event on with a zero-timeout wait: to PENDING or back to INITIAL. */
static int event_settle(sd_event *event)
{
    if (sd_event_get_state(event) == SD_EVENT_ARMED)
        return sd_event_wait(event, 0);
    return 0;
}

static gboolean event_source_prepare(GSource *source, gint *timeout)
{
    sd_event *event = ((EventSource *)source)->event;
    int r;

    *timeout = -1;
    r = event_settle(event);
    if (r < 0)
        g_debug("sd_event_wait: %s", g_strerror(-r));

    switch (sd_event_get_state(event)) {
    case SD_EVENT_PENDING:
        return TRUE;
    case SD_EVENT_INITIAL:
        r = sd_event_prepare(event);
        if (r < 0)
            g_debug("sd_event_prepare: %s", g_strerror(-r));
        return r > 0;
    default:
        /* FINISHED or EXITING: nothing more will ever be dispatched. */
        return FALSE;
    }
}

static gboolean event_source_check(GSource *source)
{
    sd_event *event = ((EventSource *)source)->event;

    if (event_settle(event) < 0)
        return FALSE;
    return sd_event_get_state(event) == SD_EVENT_PENDING;
}

static gboolean event_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
    sd_event *event = ((EventSource *)source)->event;
    int r;

    if (sd_event_get_state(event) != SD_EVENT_PENDING)
        return G_SOURCE_CONTINUE;
    r = sd_event_dispatch(event);
    if (r < 0)
        g_warning("sd_event_dispatch: %s", g_strerror(-r));
    return G_SOURCE_CONTINUE;
}

static void event_source_finalize(GSource *source)
{
    EventSource *s = (EventSource *)source;

    /* A prepared event must not stay ARMED once nobody will wait on it. */
    event_settle(s->event);
    sd_event_unref(s->event);
}

static GSourceFuncs event_source_funcs = {
    .prepare = event_source_prepare,
    .check = event_source_check,
    .dispatch = event_source_dispatch,
    .finalize = event_source_finalize,
};

GSource *dbus_api_event_source_new(sd_event *event)
{
    EventSource *s;

    g_return_val_if_fail(event != NULL, NULL);

    s = (EventSource *)g_source_new(&event_source_funcs, sizeof(EventSource));
    g_source_set_name(&s->source, "sd-event");
    s->event = sd_event_ref(event);
    s->fd_tag = g_source_add_unix_fd(&s->source, sd_event_get_fd(event), G_IO_IN);
    return &s->source;
}
