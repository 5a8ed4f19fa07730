/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Session objects (one fallback vtable for all of them), Manager.SessionFinished and
 * Manager.Trigger (design §8).
 */
#include "dbus-private.h"

#include <stddef.h>
#include <string.h>

/* Finished sessions kept on the bus for clients to read; older ones go. */
#define KEPT_FINISHED 32

void dbus_api_session_free(DbusApiSession *session)
{
    g_free(session->path);
    g_free(session->server_id);
    g_free(session->session_id);
    g_free(session->origin);
    g_free(session->state);
    g_free(session->result);
    g_free(session->error);
    g_ptr_array_unref(session->changes);
    g_free(session);
}

static int get_result(sd_bus *bus, const char *path, const char *interface, const char *property,
                      sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
    DbusApiSession *session = userdata;
    int r;

    r = sd_bus_message_open_container(reply, 'a', "{sv}");
    if (r < 0)
        return r;
    if (session->result != NULL) {
        r = sd_bus_message_append(reply, "{sv}", "result", "s", session->result);
        if (r < 0)
            return r;
    }
    if (session->error != NULL) {
        r = sd_bus_message_append(reply, "{sv}", "error", "s", session->error);
        if (r < 0)
            return r;
    }
    return sd_bus_message_close_container(reply);
}

static int get_changes(sd_bus *bus, const char *path, const char *interface, const char *property,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
    DbusApiSession *session = userdata;
    int r;

    r = sd_bus_message_open_container(reply, 'a', "(sss)");
    if (r < 0)
        return r;
    for (guint i = 0; i + 2 < session->changes->len; i += 3) {
        r = sd_bus_message_append(reply, "(sss)", g_ptr_array_index(session->changes, i),
                                  g_ptr_array_index(session->changes, i + 1),
                                  g_ptr_array_index(session->changes, i + 2));
        if (r < 0)
            return r;
    }
    return sd_bus_message_close_container(reply);
}

static const sd_bus_vtable session_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("ServerId", "s", NULL, offsetof(DbusApiSession, server_id),
                    SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Attempts", "u", NULL, offsetof(DbusApiSession, attempts),
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("SessionId", "s", NULL, offsetof(DbusApiSession, session_id),
                    SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Origin", "s", NULL, offsetof(DbusApiSession, origin),
                    SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("State", "s", NULL, offsetof(DbusApiSession, state),
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Result", "a{sv}", get_result, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Started", "t", NULL, offsetof(DbusApiSession, started),
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Ended", "t", NULL, offsetof(DbusApiSession, ended),
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Changes", "a(sss)", get_changes, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_VTABLE_END,
};

static DbusApiSession *find(DbusApiServer *server, const char *path)
{
    for (guint i = 0; i < server->sessions->len; i++) {
        DbusApiSession *session = g_ptr_array_index(server->sessions, i);
        if (g_str_equal(session->path, path))
            return session;
    }
    return NULL;
}

static int find_session(sd_bus *bus, const char *path, const char *interface, void *userdata,
                        void **found, sd_bus_error *error)
{
    DbusApiSession *session = find(userdata, path);

    if (session == NULL)
        return 0;
    *found = session;
    return 1;
}

static int enumerate_sessions(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
                              sd_bus_error *error)
{
    DbusApiServer *server = userdata;
    /* sd-bus frees the list with free(): build it with malloc. */
    char **list = calloc(server->sessions->len + 1, sizeof(char *));

    if (list == NULL)
        return -ENOMEM;
    for (guint i = 0; i < server->sessions->len; i++)
        list[i] = strdup(((DbusApiSession *)g_ptr_array_index(server->sessions, i))->path);
    *nodes = list;
    return 0;
}

/* Trigger()'s options: "encoding" ("xml" or "wbxml"); anything else is refused. */
static int read_trigger_options(sd_bus_message *m, DbusApiTriggerOptions *options,
                                sd_bus_error *error)
{
    int r;

    r = sd_bus_message_enter_container(m, 'a', "{sv}");
    if (r < 0)
        return r;
    while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
        const char *key, *value;

        r = sd_bus_message_read(m, "s", &key);
        if (r < 0)
            return r;
        if (!g_str_equal(key, "encoding"))
            return sd_bus_error_setf(error, DBUS_API_ERROR_NAME_INVALID_ARGS,
                                     "unknown option \"%s\"", key);
        r = sd_bus_message_read(m, "v", "s", &value);
        if (r < 0)
            return sd_bus_error_set(error, DBUS_API_ERROR_NAME_INVALID_ARGS,
                                    "\"encoding\" is a string");
        if (!g_str_equal(value, "xml") && !g_str_equal(value, "wbxml"))
            return sd_bus_error_setf(error, DBUS_API_ERROR_NAME_INVALID_ARGS,
                                     "\"encoding\" is \"xml\" or \"wbxml\", not \"%s\"", value);
        options->encoding = value;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
            return r;
    }
    if (r < 0)
        return r;
    return sd_bus_message_exit_container(m);
}

/* Manager.Trigger(s server_id, a{sv} options) → o: a client-initiated session. */
int dbus_api_method_trigger(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    DbusApiServer *server = userdata;
    DbusApiTriggerOptions options = { 0 };
    g_autoptr(GError) failure = NULL;
    g_autofree char *path = NULL;
    const char *server_id;
    int r;

    r = dbus_api_check_caller(server, m, error);
    if (r < 0)
        return r;
    r = sd_bus_message_read(m, "s", &server_id);
    if (r < 0)
        return sd_bus_error_set(error, DBUS_API_ERROR_NAME_INVALID_ARGS, "Trigger(s, a{sv})");
    r = read_trigger_options(m, &options, error);
    if (r < 0)
        return sd_bus_error_is_set(error)
                   ? r
                   : sd_bus_error_set(error, DBUS_API_ERROR_NAME_INVALID_ARGS, "Trigger(s, a{sv})");
    if (server_id[0] == '\0')
        return sd_bus_error_set(error, DBUS_API_ERROR_NAME_INVALID_ARGS, "no server id");
    if (server->trigger == NULL)
        return sd_bus_error_set(error, DBUS_API_ERROR_NAME_FAILED, "no sessions here");
    path = server->trigger(server_id, &options, server->trigger_data, &failure);
    if (path == NULL)
        return dbus_api_error_set_from(error, failure);
    return sd_bus_reply_method_return(m, "o", path);
}

static int export_sessions(DbusApiServer *server)
{
    int r;

    r = sd_bus_add_fallback_vtable(server->bus, &server->session_slot, DBUS_API_SESSION_PREFIX,
                                   DBUS_API_SESSION_INTERFACE, session_vtable, find_session,
                                   server);
    if (r < 0)
        return r;
    return sd_bus_add_node_enumerator(server->bus, &server->session_enumerator_slot,
                                      DBUS_API_SESSION_PREFIX, enumerate_sessions, server);
}

gboolean dbus_api_sessions_export(DbusApiServer *server, GError **error)
{
    int r = export_sessions(server);

    if (r < 0) {
        g_set_error(error, DBUS_API_ERROR, DBUS_API_ERROR_EXPORT, "cannot export sessions: %s",
                    g_strerror(-r));
        return FALSE;
    }
    return TRUE;
}

void dbus_api_server_set_admin_group(DbusApiServer *server, unsigned int gid)
{
    server->has_admin_gid = TRUE;
    server->admin_gid = (gid_t)gid;
}

void dbus_api_server_set_trigger_handler(DbusApiServer *server, DbusApiTriggerFunc func,
                                         gpointer user_data)
{
    server->trigger = func;
    server->trigger_data = user_data;
}

/* The oldest finished sessions go when more than KEPT_FINISHED are kept. */
static void prune(DbusApiServer *server)
{
    guint finished = 0;

    for (guint i = server->sessions->len; i > 0; i--) {
        DbusApiSession *session = g_ptr_array_index(server->sessions, i - 1);
        if (session->ended == 0 || ++finished <= KEPT_FINISHED)
            continue;
        (void)sd_bus_emit_object_removed(server->bus, session->path);
        g_ptr_array_remove_index(server->sessions, i - 1);
    }
}

const char *dbus_api_server_add_session(DbusApiServer *server, const char *server_id,
                                        const char *session_id, const char *origin)
{
    DbusApiSession *session = g_new0(DbusApiSession, 1);

    session->path = g_strdup_printf(DBUS_API_SESSION_PREFIX "/%u", server->next_session++);
    session->server_id = g_strdup(server_id);
    session->session_id = g_strdup(session_id);
    session->origin = g_strdup(origin);
    session->state = g_strdup("queued");
    session->changes = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(server->sessions, session);
    (void)sd_bus_emit_object_added(server->bus, session->path);
    return session->path;
}

static guint64 now(void)
{
    return (guint64)g_get_real_time();
}

void dbus_api_server_set_session_running(DbusApiServer *server, const char *path, guint attempts)
{
    DbusApiSession *session = find(server, path);

    if (session == NULL)
        return;
    g_free(session->state);
    session->state = g_strdup("running");
    session->started = now();
    session->attempts = attempts;
    (void)sd_bus_emit_properties_changed(server->bus, path, DBUS_API_SESSION_INTERFACE, "State",
                                         "Started", "Attempts", NULL);
}

void dbus_api_server_set_session_queued(DbusApiServer *server, const char *path, guint attempts)
{
    DbusApiSession *session = find(server, path);

    if (session == NULL)
        return;
    g_free(session->state);
    session->state = g_strdup("queued");
    session->attempts = attempts;
    (void)sd_bus_emit_properties_changed(server->bus, path, DBUS_API_SESSION_INTERFACE, "State",
                                         "Attempts", NULL);
}

void dbus_api_server_finish_session(DbusApiServer *server, const char *path, const char *state,
                                    const char *result, const char *error_text,
                                    const char *const *changes)
{
    DbusApiSession *session = find(server, path);

    if (session == NULL)
        return;
    g_free(session->state);
    session->state = g_strdup(state);
    session->result = g_strdup(result);
    session->error = g_strdup(error_text);
    session->ended = now();
    if (session->started == 0)
        session->started = session->ended;
    for (const char *const *c = changes; c != NULL && *c != NULL; c++)
        g_ptr_array_add(session->changes, g_strdup(*c));
    (void)sd_bus_emit_properties_changed(server->bus, path, DBUS_API_SESSION_INTERFACE, "State",
                                         "Result", "Started", "Ended", "Changes", NULL);
    (void)sd_bus_emit_signal(server->bus, DBUS_API_PATH, DBUS_API_MANAGER_INTERFACE,
                             "SessionFinished", "os", path, result);
    prune(server);
}
