/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dbus/dbus-api.h"
#include "tests/check-run.h"

#include <glib-unix.h>
#include <unistd.h>

typedef struct {
    GMainLoop *loop;
    int fired;
} Counter;

static int on_sd_event(sd_event_source *source, void *user_data)
{
    Counter *counter = user_data;

    counter->fired++;
    g_main_loop_quit(counter->loop);
    return 0;
}

static int on_sd_timer(sd_event_source *source, uint64_t usec, void *user_data)
{
    return on_sd_event(source, user_data);
}

static gboolean on_guard_timeout(gpointer user_data)
{
    ck_abort_msg("the GLib loop never dispatched the sd_event source");
    return G_SOURCE_REMOVE;
}

/* Runs the default main context until @counter fires, with a guard against hanging. */
static void run_until_fired(Counter *counter)
{
    guint guard = g_timeout_add_seconds(5, on_guard_timeout, NULL);

    g_main_loop_run(counter->loop);
    g_source_remove(guard);
}

START_TEST(sd_event_timer_fires_from_the_glib_loop)
{
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Counter counter = { .loop = loop };
    sd_event *event = NULL;
    GSource *source;

    ck_assert_int_ge(sd_event_new(&event), 0);
    ck_assert_int_ge(sd_event_add_time_relative(event, NULL, CLOCK_MONOTONIC, 20 * 1000, 0,
                                                on_sd_timer, &counter),
                     0);
    source = dbus_api_event_source_new(event);
    g_source_attach(source, NULL);
    run_until_fired(&counter);
    ck_assert_int_eq(counter.fired, 1);

    g_source_destroy(source);
    g_source_unref(source);
    sd_event_unref(event);
}
END_TEST

START_TEST(sd_event_defer_dispatches_without_fd_activity)
{
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Counter counter = { .loop = loop };
    sd_event *event = NULL;
    GSource *source;

    ck_assert_int_ge(sd_event_new(&event), 0);
    ck_assert_int_ge(sd_event_add_defer(event, NULL, on_sd_event, &counter), 0);
    source = dbus_api_event_source_new(event);
    g_source_attach(source, NULL);
    run_until_fired(&counter);
    ck_assert_int_eq(counter.fired, 1);

    g_source_destroy(source);
    g_source_unref(source);
    sd_event_unref(event);
}
END_TEST

static gboolean on_pipe_readable(int fd, GIOCondition condition, gpointer user_data)
{
    int *remaining = user_data;
    char byte;

    ck_assert_int_eq(read(fd, &byte, 1), 1);
    (*remaining)--;
    return *remaining > 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/*
 * A ready source of higher priority makes GLib skip our check() after our prepare() armed
 * the event. The event must not stay ARMED: its timer still has to fire afterwards.
 */
START_TEST(armed_event_survives_a_higher_priority_source)
{
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Counter counter = { .loop = loop };
    sd_event *event = NULL;
    GSource *source, *pipe_source;
    int fds[2];
    int remaining = 50;
    char bytes[50] = { 0 };

    ck_assert(g_unix_open_pipe(fds, FD_CLOEXEC, NULL));
    ck_assert_int_eq(write(fds[1], bytes, sizeof(bytes)), (int)sizeof(bytes));
    pipe_source = g_unix_fd_source_new(fds[0], G_IO_IN);
    g_source_set_priority(pipe_source, G_PRIORITY_HIGH);
    g_source_set_callback(pipe_source, G_SOURCE_FUNC(on_pipe_readable), &remaining, NULL);
    g_source_attach(pipe_source, NULL);

    ck_assert_int_ge(sd_event_new(&event), 0);
    ck_assert_int_ge(
        sd_event_add_time_relative(event, NULL, CLOCK_MONOTONIC, 1, 0, on_sd_timer, &counter), 0);
    source = dbus_api_event_source_new(event);
    g_source_attach(source, NULL);

    run_until_fired(&counter);
    ck_assert_int_eq(counter.fired, 1);
    ck_assert_int_eq(remaining, 0);

    g_source_destroy(source);
    g_source_unref(source);
    g_source_unref(pipe_source);
    close(fds[0]);
    close(fds[1]);
    sd_event_unref(event);
}
END_TEST

START_TEST(destroyed_source_leaves_the_event_usable)
{
    sd_event *event = NULL;
    GSource *source;

    ck_assert_int_ge(sd_event_new(&event), 0);
    source = dbus_api_event_source_new(event);
    g_source_attach(source, NULL);
    /* One non-blocking iteration prepares (arms) the event. */
    g_main_context_iteration(NULL, FALSE);
    g_source_destroy(source);
    g_source_unref(source);

    ck_assert_int_ne(sd_event_get_state(event), SD_EVENT_ARMED);
    ck_assert_int_ge(sd_event_run(event, 0), 0);
    sd_event_unref(event);
}
END_TEST

static Suite *event_source_suite(void)
{
    Suite *suite = suite_create("event-source");
    TCase *tc = tcase_create("glib");

    tcase_add_test(tc, sd_event_timer_fires_from_the_glib_loop);
    tcase_add_test(tc, sd_event_defer_dispatches_without_fd_activity);
    tcase_add_test(tc, armed_event_survives_a_higher_priority_source);
    tcase_add_test(tc, destroyed_source_leaves_the_event_usable);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(event_source_suite());
}
