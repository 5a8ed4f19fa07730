/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs the session engine over the HTTP transport: each message out, the server's answer in. */
#include "dm-private.h"

struct DmSessionRunner {
    DmSession *session;
    DmHttp *http;
    DmAlertHandler alert;
    gpointer alert_data;
    GTask *task;            /* while running */
    GCancellable *exchange; /* the exchange in flight: the caller's, or the deadline's */
    GCancellable *caller;   /* the caller's, which cancels the exchange too */
    gulong caller_id;
    guint deadline; /* seconds, 0: none */
    guint deadline_id;
    gboolean timed_out;
};

DmSessionRunner *dm_session_runner_new(DmSession *session, guint timeout_seconds,
                                       const char *user_agent, DmAlertHandler alert,
                                       gpointer alert_data)
{
    DmSessionRunner *runner = g_new0(DmSessionRunner, 1);

    runner->session = session;
    runner->http = dm_http_new(timeout_seconds, user_agent);
    /* No message of the server may be larger than what the session announced. */
    dm_http_set_max_size(runner->http, dm_session_get_max_msg_size(session));
    runner->alert = alert;
    runner->alert_data = alert_data;
    return runner;
}

void dm_session_runner_set_route(DmSessionRunner *runner, GSocketConnectable *via)
{
    dm_http_set_route(runner->http, via);
}

void dm_session_runner_set_trust(DmSessionRunner *runner, GTlsDatabase *trust)
{
    dm_http_set_trust(runner->http, trust);
}

void dm_session_runner_set_deadline(DmSessionRunner *runner, guint seconds)
{
    runner->deadline = seconds;
}

static void stop_clock(DmSessionRunner *runner)
{
    if (runner->deadline_id != 0)
        g_source_remove(runner->deadline_id);
    runner->deadline_id = 0;
}

void dm_session_runner_free(DmSessionRunner *runner)
{
    if (runner == NULL)
        return;
    stop_clock(runner);
    if (runner->caller != NULL) {
        g_cancellable_disconnect(runner->caller, runner->caller_id);
        g_clear_object(&runner->caller);
    }
    if (runner->exchange != NULL) {
        g_cancellable_cancel(runner->exchange);
        g_clear_object(&runner->exchange);
    }
    g_clear_pointer(&runner->http, dm_http_free);
    g_clear_object(&runner->task);
    g_free(runner);
}

static void step(DmSessionRunner *runner, DmSessionStep next);

static void fail(DmSessionRunner *runner, GError *error)
{
    g_autoptr(GTask) task = g_steal_pointer(&runner->task);

    stop_clock(runner);
    dm_session_abort(runner->session, error->message);
    g_task_return_error(task, error);
}

static void finish(DmSessionRunner *runner)
{
    g_autoptr(GTask) task = g_steal_pointer(&runner->task);

    stop_clock(runner);
    g_task_return_boolean(task, TRUE);
}

/* Past the deadline: the exchange in flight is cut, and the session with it. */
static gboolean on_deadline(gpointer user_data)
{
    DmSessionRunner *runner = user_data;

    runner->deadline_id = 0;
    runner->timed_out = TRUE;
    g_cancellable_cancel(runner->exchange);
    /* A session that waits for its user has nothing in flight: it ends here. */
    if (runner->task != NULL && dm_session_get_alert(runner->session) != NULL)
        fail(runner, g_error_new(DM_ERROR, DM_ERROR_SERVER, "the session took longer than %u s",
                                 runner->deadline));
    return G_SOURCE_REMOVE;
}

static void on_caller_cancelled(GCancellable *caller, gpointer exchange)
{
    g_cancellable_cancel(exchange);
}

static void on_answer(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmSessionRunner *runner = user_data;
    GError *error = NULL;
    g_autofree char *hmac = NULL;
    g_autoptr(GBytes) body = dm_http_post_finish(runner->http, result, &hmac, &error);

    if (body == NULL && runner->timed_out) {
        g_error_free(error);
        fail(runner, g_error_new(DM_ERROR, DM_ERROR_SERVER, "the session took longer than %u s",
                                 runner->deadline));
        return;
    }
    if (body == NULL) {
        fail(runner, error);
        return;
    }
    step(runner, dm_session_receive(runner->session, g_bytes_get_data(body, NULL),
                                    g_bytes_get_size(body), hmac));
}

/* The session has ended either way: the answer to a last message is not read. */
static void on_last_answer(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmSessionRunner *runner = user_data;
    GBytes *body = dm_http_post_finish(runner->http, result, NULL, NULL);

    g_clear_pointer(&body, g_bytes_unref);
    finish(runner);
}

static void send_output(DmSessionRunner *runner, gboolean last)
{
    g_autofree char *hmac = NULL;
    g_autoptr(GBytes) body = dm_session_take_output(runner->session, &hmac);

    if (body == NULL) {
        if (last)
            finish(runner);
        else
            fail(runner, g_error_new(DM_ERROR, DM_ERROR_TRANSPORT, "nothing to send"));
        return;
    }
    dm_http_post_async(runner->http, dm_session_get_target(runner->session),
                       dm_session_get_media_type(runner->session), body, hmac, runner->exchange,
                       last ? on_last_answer : on_answer, runner);
}

static void step(DmSessionRunner *runner, DmSessionStep next)
{
    switch (next) {
    case DM_SESSION_SEND:
        send_output(runner, FALSE);
        return;
    case DM_SESSION_SEND_LAST:
        send_output(runner, TRUE);
        return;
    case DM_SESSION_WAIT:
        if (runner->alert != NULL)
            runner->alert(runner, dm_session_get_alert(runner->session), runner->alert_data);
        else
            dm_session_runner_answer_alert(runner, 408, NULL);
        return;
    case DM_SESSION_DONE:
        finish(runner);
        return;
    }
}

void dm_session_runner_run_async(DmSessionRunner *runner, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(runner->task == NULL);
    runner->task = g_task_new(NULL, cancellable, callback, user_data);
    runner->exchange = g_cancellable_new();
    if (cancellable != NULL) {
        runner->caller = g_object_ref(cancellable);
        runner->caller_id = g_cancellable_connect(cancellable, G_CALLBACK(on_caller_cancelled),
                                                  g_object_ref(runner->exchange), g_object_unref);
    }
    if (runner->deadline > 0)
        runner->deadline_id = g_timeout_add_seconds(runner->deadline, on_deadline, runner);
    step(runner, dm_session_start(runner->session));
}

gboolean dm_session_runner_run_finish(DmSessionRunner *runner, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

void dm_session_runner_answer_alert(DmSessionRunner *runner, int status, const char *const *items)
{
    if (runner->task == NULL)
        return;
    step(runner, dm_session_answer_alert(runner->session, status, items));
}
