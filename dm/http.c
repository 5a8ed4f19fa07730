/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The DM session over HTTP (OMA-TS-DM_HTTP binding 1.2), with libsoup 3. */
#include "dm.h"

#include <libsoup/soup.h>

struct DmSessionRunner {
    DmSession *session;
    SoupSession *http;
    DmAlertHandler alert;
    gpointer alert_data;
    GTask *task; /* while running */
};

DmSessionRunner *dm_session_runner_new(DmSession *session, guint timeout_seconds,
                                       const char *user_agent, DmAlertHandler alert,
                                       gpointer alert_data)
{
    DmSessionRunner *runner = g_new0(DmSessionRunner, 1);

    runner->session = session;
    /* One SoupSession a DM session: its connection pool keeps the connection alive across
     * the session's messages, and the system's TLS database checks HTTPS servers. */
    runner->http =
        soup_session_new_with_options("timeout", timeout_seconds, "idle-timeout", timeout_seconds,
                                      "user-agent", user_agent ? user_agent : "dmscd", NULL);
    runner->alert = alert;
    runner->alert_data = alert_data;
    return runner;
}

void dm_session_runner_free(DmSessionRunner *runner)
{
    if (runner == NULL)
        return;
    g_clear_object(&runner->http);
    g_clear_object(&runner->task);
    g_free(runner);
}

static void step(DmSessionRunner *runner, DmSessionStep next);

static void fail(DmSessionRunner *runner, GError *error)
{
    g_autoptr(GTask) task = g_steal_pointer(&runner->task);

    dm_session_abort(runner->session, error->message);
    g_task_return_error(task, error);
}

static void finish(DmSessionRunner *runner)
{
    g_autoptr(GTask) task = g_steal_pointer(&runner->task);
    g_task_return_boolean(task, TRUE);
}

static void on_response(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmSessionRunner *runner = user_data;
    SoupMessage *message = soup_session_get_async_result_message(SOUP_SESSION(source), result);
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) body =
        soup_session_send_and_read_finish(SOUP_SESSION(source), result, &error);
    const char *hmac;
    guint status;

    if (body == NULL) {
        fail(runner, g_error_new(DM_ERROR, DM_ERROR_TRANSPORT, "%s: %s",
                                 dm_session_get_target(runner->session), error->message));
        return;
    }
    status = soup_message_get_status(message);
    if (status != SOUP_STATUS_OK) {
        fail(runner, g_error_new(DM_ERROR, DM_ERROR_TRANSPORT, "%s answered HTTP %u %s",
                                 dm_session_get_target(runner->session), status,
                                 soup_message_get_reason_phrase(message)));
        return;
    }
    hmac =
        soup_message_headers_get_one(soup_message_get_response_headers(message), "x-syncml-hmac");
    step(runner, dm_session_receive(runner->session, g_bytes_get_data(body, NULL),
                                    g_bytes_get_size(body), hmac));
}

static void post(DmSessionRunner *runner)
{
    g_autofree char *hmac = NULL;
    g_autoptr(GBytes) body = dm_session_take_output(runner->session, &hmac);
    const char *media_type = dm_session_get_media_type(runner->session);
    g_autoptr(SoupMessage) message = NULL;
    SoupMessageHeaders *headers;

    if (body == NULL) {
        fail(runner, g_error_new(DM_ERROR, DM_ERROR_TRANSPORT, "nothing to send"));
        return;
    }
    message = soup_message_new("POST", dm_session_get_target(runner->session));
    if (message == NULL) {
        fail(runner, g_error_new(DM_ERROR, DM_ERROR_TRANSPORT, "not an HTTP address: %s",
                                 dm_session_get_target(runner->session)));
        return;
    }
    headers = soup_message_get_request_headers(message);
    soup_message_headers_replace(headers, "Accept", media_type);
    soup_message_headers_replace(headers, "Accept-Charset", "utf-8");
    soup_message_headers_replace(headers, "Cache-Control", "no-store");
    if (hmac != NULL)
        soup_message_headers_replace(headers, "x-syncml-hmac", hmac);
    soup_message_set_request_body_from_bytes(message, media_type, body);
    soup_session_send_and_read_async(runner->http, message, G_PRIORITY_DEFAULT,
                                     g_task_get_cancellable(runner->task), on_response, runner);
}

static void send_last(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmSessionRunner *runner = user_data;
    g_autoptr(GBytes) body = soup_session_send_and_read_finish(SOUP_SESSION(source), result, NULL);
    /* The session has ended either way: the answer to a last message is not read. */
    finish(runner);
}

static void step(DmSessionRunner *runner, DmSessionStep next)
{
    switch (next) {
    case DM_SESSION_SEND:
        post(runner);
        return;
    case DM_SESSION_SEND_LAST: {
        g_autofree char *hmac = NULL;
        g_autoptr(GBytes) body = dm_session_take_output(runner->session, &hmac);
        const char *media_type = dm_session_get_media_type(runner->session);
        g_autoptr(SoupMessage) message =
            soup_message_new("POST", dm_session_get_target(runner->session));
        if (message == NULL || body == NULL) {
            finish(runner);
            return;
        }
        if (hmac != NULL)
            soup_message_headers_replace(soup_message_get_request_headers(message), "x-syncml-hmac",
                                         hmac);
        soup_message_set_request_body_from_bytes(message, media_type, body);
        soup_session_send_and_read_async(runner->http, message, G_PRIORITY_DEFAULT,
                                         g_task_get_cancellable(runner->task), send_last, runner);
        return;
    }
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
