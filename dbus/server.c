/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bus connection, the Manager object and the well-known name. */
#include "dbus-private.h"

#include <stddef.h>

GQuark dbus_api_error_quark(void)
{
    return g_quark_from_static_string("dbus-api-error-quark");
}

/* Both properties are plain strings in the server struct: sd-bus's own getter reads them. */
static const sd_bus_vtable manager_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Version", "s", NULL, offsetof(DbusApiServer, version),
                    SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("State", "s", NULL, offsetof(DbusApiServer, state),
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_SIGNAL_WITH_NAMES("NotificationReceived", "a{sv}", SD_BUS_PARAM(notification), 0),
    /* The bus policy lets only root (or the admin group) call it. */
    SD_BUS_METHOD_WITH_NAMES("Trigger", "sa{sv}", SD_BUS_PARAM(server_id) SD_BUS_PARAM(options),
                             "o", SD_BUS_PARAM(session), dbus_api_method_trigger,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL_WITH_NAMES("SessionFinished", "os", SD_BUS_PARAM(session) SD_BUS_PARAM(result),
                             0),
    SD_BUS_METHOD_WITH_NAMES("GetNode", "s", SD_BUS_PARAM(uri), "ssv",
                             SD_BUS_PARAM(format) SD_BUS_PARAM(type) SD_BUS_PARAM(value),
                             dbus_api_method_get_node, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("ListNodes", "s", SD_BUS_PARAM(uri), "as", SD_BUS_PARAM(children),
                             dbus_api_method_list_nodes, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("RegisterAgent", "o", SD_BUS_PARAM(agent), "", ,
                             dbus_api_method_register_agent, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("UnregisterAgent", "o", SD_BUS_PARAM(agent), "", ,
                             dbus_api_method_unregister_agent, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

static const char *bus_type_name(DbusApiBusType bus_type)
{
    return bus_type == DBUS_API_BUS_SYSTEM ? "system bus" : "session bus";
}

/* sd-bus tells of the end of its connection with a signal of its own, never sent by the bus. */
static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    DbusApiServer *server = userdata;

    server->name_owned = FALSE;
    if (server->lost != NULL)
        server->lost(server->lost_data);
    return 0;
}

void dbus_api_server_set_lost_handler(DbusApiServer *server, DbusApiLostFunc func,
                                      gpointer user_data)
{
    server->lost = func;
    server->lost_data = user_data;
}

static gboolean server_connect(DbusApiServer *server, DbusApiBusType bus_type, GError **error)
{
    int r;

    r = sd_event_new(&server->event);
    if (r < 0) {
        g_set_error(error, DBUS_API_ERROR, DBUS_API_ERROR_CONNECT, "cannot create sd-event: %s",
                    g_strerror(-r));
        return FALSE;
    }

    if (bus_type == DBUS_API_BUS_SYSTEM)
        r = sd_bus_open_system(&server->bus);
    else
        r = sd_bus_open_user(&server->bus);
    if (r < 0) {
        g_set_error(error, DBUS_API_ERROR, DBUS_API_ERROR_CONNECT, "cannot connect to the %s: %s",
                    bus_type_name(bus_type), g_strerror(-r));
        return FALSE;
    }
    (void)sd_bus_set_description(server->bus, "dmscd");

    r = sd_bus_attach_event(server->bus, server->event, SD_EVENT_PRIORITY_NORMAL);
    if (r < 0) {
        g_set_error(error, DBUS_API_ERROR, DBUS_API_ERROR_CONNECT,
                    "cannot attach the bus to sd-event: %s", g_strerror(-r));
        return FALSE;
    }
    r = sd_bus_match_signal(server->bus, &server->disconnected_slot, NULL,
                            "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
                            "Disconnected", on_disconnected, server);
    if (r < 0) {
        g_set_error(error, DBUS_API_ERROR, DBUS_API_ERROR_CONNECT,
                    "cannot watch the connection to the %s: %s", bus_type_name(bus_type),
                    g_strerror(-r));
        return FALSE;
    }

    server->source = dbus_api_event_source_new(server->event);
    g_source_attach(server->source, g_main_context_get_thread_default());
    return TRUE;
}

static int export_manager(DbusApiServer *server)
{
    int r;

    r = sd_bus_add_object_manager(server->bus, &server->object_manager_slot, DBUS_API_PATH);
    if (r < 0)
        return r;
    return sd_bus_add_object_vtable(server->bus, &server->manager_slot, DBUS_API_PATH,
                                    DBUS_API_MANAGER_INTERFACE, manager_vtable, server);
}

static gboolean server_export(DbusApiServer *server, GError **error)
{
    int r = export_manager(server);

    if (r < 0) {
        g_set_error(error, DBUS_API_ERROR, DBUS_API_ERROR_EXPORT, "cannot export %s: %s",
                    DBUS_API_PATH, g_strerror(-r));
        return FALSE;
    }
    return dbus_api_cards_export(server, error) && dbus_api_sessions_export(server, error);
}

/*
 * Synchronous on purpose: the daemon must not announce itself ready, nor do anything else,
 * before it knows whether it is the only instance.
 */
static gboolean server_request_name(DbusApiServer *server, DbusApiBusType bus_type, GError **error)
{
    int r = sd_bus_request_name(server->bus, DBUS_API_NAME, 0);

    if (r == -EEXIST) {
        g_set_error(error, DBUS_API_ERROR, DBUS_API_ERROR_NAME_TAKEN,
                    "%s is already owned on the %s: is another dmscd running?", DBUS_API_NAME,
                    bus_type_name(bus_type));
        return FALSE;
    }
    if (r < 0) {
        g_set_error(error, DBUS_API_ERROR, DBUS_API_ERROR_EXPORT, "cannot own %s on the %s: %s",
                    DBUS_API_NAME, bus_type_name(bus_type), g_strerror(-r));
        return FALSE;
    }
    server->name_owned = TRUE;
    return TRUE;
}

DbusApiServer *dbus_api_server_new(DbusApiBusType bus_type, const char *version, const char *state,
                                   GError **error)
{
    g_autoptr(DbusApiServer) server = g_new0(DbusApiServer, 1);

    server->version = g_strdup(version);
    server->state = g_strdup(state);
    server->cards = g_ptr_array_new_with_free_func((GDestroyNotify)dbus_api_card_free);
    server->sessions = g_ptr_array_new_with_free_func((GDestroyNotify)dbus_api_session_free);

    if (!server_connect(server, bus_type, error) || !server_export(server, error) ||
        !server_request_name(server, bus_type, error))
        return NULL;
    return g_steal_pointer(&server);
}

void dbus_api_server_set_state(DbusApiServer *server, const char *state)
{
    int r;

    if (g_strcmp0(server->state, state) == 0)
        return;
    g_free(server->state);
    server->state = g_strdup(state);
    r = sd_bus_emit_properties_changed(server->bus, DBUS_API_PATH, DBUS_API_MANAGER_INTERFACE,
                                       "State", NULL);
    if (r < 0)
        g_debug("cannot emit State change: %s", g_strerror(-r));
}

const char *dbus_api_server_get_state(DbusApiServer *server)
{
    return server->state;
}

void dbus_api_server_release_name(DbusApiServer *server)
{
    int r;

    if (!server->name_owned)
        return;
    server->name_owned = FALSE;
    r = sd_bus_release_name(server->bus, DBUS_API_NAME);
    if (r < 0)
        g_warning("cannot release %s: %s", DBUS_API_NAME, g_strerror(-r));
    (void)sd_bus_flush(server->bus);
}

void dbus_api_server_free(DbusApiServer *server)
{
    if (server == NULL)
        return;
    dbus_api_agent_release(server);
    sd_bus_slot_unref(server->disconnected_slot);
    sd_bus_slot_unref(server->session_enumerator_slot);
    sd_bus_slot_unref(server->session_slot);
    sd_bus_slot_unref(server->card_enumerator_slot);
    sd_bus_slot_unref(server->card_slot);
    sd_bus_slot_unref(server->manager_slot);
    sd_bus_slot_unref(server->object_manager_slot);
    if (server->source != NULL) {
        g_source_destroy(server->source);
        g_source_unref(server->source);
    }
    sd_bus_flush_close_unref(server->bus);
    sd_event_unref(server->event);
    g_ptr_array_unref(server->cards);
    g_ptr_array_unref(server->sessions);
    g_free(server->version);
    g_free(server->state);
    g_free(server);
}
