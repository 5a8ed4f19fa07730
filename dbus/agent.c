/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent: a client that speaks for the user (design §8). Manager.RegisterAgent and
 * UnregisterAgent, and the questions a DM server's user interaction alerts become:
 * DisplayAlert, Confirm, Input, Choose; Release when dmscd lets the agent go.
 */
#include "dbus-private.h"

#include <string.h>

#define AGENT_INTERFACE "org.dmscd.Dmsc1.Agent"

typedef struct {
    DbusApiServer *server;
    int code;
    DbusApiAgentReply reply;
    gpointer user_data;
    sd_bus_slot *slot;
} Question;

static void agent_clear(DbusApiServer *server)
{
    g_clear_pointer(&server->agent_owner, g_free);
    g_clear_pointer(&server->agent_path, g_free);
    server->agent_track = sd_bus_track_unref(server->agent_track);
}

/* The agent's connection went away. */
static int on_agent_gone(sd_bus_track *track, void *userdata)
{
    DbusApiServer *server = userdata;

    g_message("the agent %s left the bus", server->agent_owner);
    agent_clear(server);
    return 0;
}

/* The agent goes when its connection does. */
static int track_agent(DbusApiServer *server, sd_bus_message *m)
{
    int r;

    r = sd_bus_track_new(server->bus, &server->agent_track, on_agent_gone, server);
    if (r < 0)
        return r;
    return sd_bus_track_add_sender(server->agent_track, m);
}

int dbus_api_method_register_agent(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    DbusApiServer *server = userdata;
    const char *path, *sender = sd_bus_message_get_sender(m);
    int r;

    r = dbus_api_check_caller(server, m, error);
    if (r < 0)
        return r;
    r = sd_bus_message_read(m, "o", &path);
    if (r < 0 || sender == NULL)
        return sd_bus_error_set(error, DBUS_API_ERROR_NAME_INVALID_ARGS, "RegisterAgent(o)");
    if (server->agent_owner != NULL && !g_str_equal(server->agent_owner, sender))
        return sd_bus_error_set(error, DBUS_API_ERROR_NAME_BUSY, "another agent is registered");
    agent_clear(server);
    r = track_agent(server, m);
    if (r < 0) {
        agent_clear(server);
        return sd_bus_error_set(error, DBUS_API_ERROR_NAME_FAILED, "cannot follow the agent");
    }
    server->agent_owner = g_strdup(sender);
    server->agent_path = g_strdup(path);
    g_message("agent %s at %s registered", sender, path);
    return sd_bus_reply_method_return(m, "");
}

int dbus_api_method_unregister_agent(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    DbusApiServer *server = userdata;
    const char *path, *sender = sd_bus_message_get_sender(m);
    int r;

    r = dbus_api_check_caller(server, m, error);
    if (r < 0)
        return r;
    if (sd_bus_message_read(m, "o", &path) < 0)
        return sd_bus_error_set(error, DBUS_API_ERROR_NAME_INVALID_ARGS, "UnregisterAgent(o)");
    if (server->agent_owner == NULL || sender == NULL ||
        !g_str_equal(server->agent_owner, sender) || !g_str_equal(server->agent_path, path))
        return sd_bus_error_set(error, DBUS_API_ERROR_NAME_NOT_FOUND, "no such agent");
    agent_clear(server);
    return sd_bus_reply_method_return(m, "");
}

void dbus_api_agent_release(DbusApiServer *server)
{
    if (server->agent_owner == NULL)
        return;
    (void)sd_bus_call_method_async(server->bus, NULL, server->agent_owner, server->agent_path,
                                   AGENT_INTERFACE, "Release", NULL, NULL, "");
    agent_clear(server);
}

gboolean dbus_api_server_has_agent(DbusApiServer *server)
{
    return server->agent_owner != NULL;
}

/* --- Questions ---------------------------------------------------------------------------- */

/* The agent's answer as the server hears it: 200 done or yes, 304 no, 408 no answer. */
static int on_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    Question *q = userdata;
    g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);
    int status = 408;

    if (sd_bus_message_is_method_error(reply, NULL)) {
        const sd_bus_error *error = sd_bus_message_get_error(reply);
        g_message("the agent did not answer alert %d: %s", q->code,
                  error && error->message ? error->message : "error");
    } else if (q->code == 1100) {
        status = 200;
    } else if (q->code == 1101) {
        int yes = 0;
        if (sd_bus_message_read(reply, "b", &yes) >= 0)
            status = yes ? 200 : 304;
    } else if (q->code == 1102) {
        const char *text = NULL;
        if (sd_bus_message_read(reply, "s", &text) >= 0) {
            g_ptr_array_add(items, g_strdup(text));
            status = 200;
        }
    } else {
        const guint32 *picked = NULL;
        size_t size = 0;
        if (sd_bus_message_read_array(reply, 'u', (const void **)&picked, &size) >= 0) {
            for (size_t i = 0; i < size / sizeof(guint32); i++)
                g_ptr_array_add(items, g_strdup_printf("%u", picked[i]));
            status = 200;
        }
    }
    g_ptr_array_add(items, NULL);
    q->reply(status, (const char *const *)items->pdata, q->user_data);
    sd_bus_slot_unref(q->slot);
    g_free(q);
    return 0;
}

/* The agent's method for a user interaction alert, with its arguments. */
static int question_new(DbusApiServer *server, const DbusApiAlert *alert, sd_bus_message **out)
{
    g_autoptr(sd_bus_message) m = NULL;
    const char *member = alert->code == 1100   ? "DisplayAlert"
                         : alert->code == 1101 ? "Confirm"
                         : alert->code == 1102 ? "Input"
                                               : "Choose";
    int r;

    r = sd_bus_message_new_method_call(server->bus, &m, server->agent_owner, server->agent_path,
                                       AGENT_INTERFACE, member);
    if (r < 0)
        return r;
    switch (alert->code) {
    case 1100:
        r = sd_bus_message_append(m, "su", alert->text, alert->min_seconds);
        break;
    case 1101:
        r = sd_bus_message_append(m, "s", alert->text);
        break;
    case 1102:
        r = sd_bus_message_append(m, "sa{sv}", alert->text, 2, "max-length", "u", alert->max_length,
                                  "default", "s",
                                  alert->default_response ? alert->default_response : "");
        break;
    default:
        r = sd_bus_message_append(m, "s", alert->text);
        if (r < 0)
            return r;
        r = sd_bus_message_append_strv(m, (char **)alert->choices);
        if (r < 0)
            return r;
        r = sd_bus_message_append(m, "b", alert->code == 1104);
        break;
    }
    if (r < 0)
        return r;
    *out = g_steal_pointer(&m);
    return 0;
}

gboolean dbus_api_server_ask_agent(DbusApiServer *server, const DbusApiAlert *alert,
                                   DbusApiAgentReply reply, gpointer user_data)
{
    g_autoptr(sd_bus_message) m = NULL;
    Question *q;
    int r;

    if (server->agent_owner == NULL)
        return FALSE;
    r = question_new(server, alert, &m);
    if (r < 0) {
        g_warning("cannot ask the agent: %s", g_strerror(-r));
        return FALSE;
    }
    q = g_new0(Question, 1);
    q->server = server;
    q->code = alert->code;
    q->reply = reply;
    q->user_data = user_data;
    /* The daemon owns the timeout: no answer in time is no answer (408). */
    r = sd_bus_call_async(server->bus, &q->slot, m, on_answer, q,
                          (guint64)alert->timeout_seconds * G_USEC_PER_SEC);
    if (r < 0) {
        g_free(q);
        return FALSE;
    }
    return TRUE;
}
