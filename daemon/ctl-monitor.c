/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dmscctl monitor: one line per thing dmscd does, as it happens: cards coming, going and read,
 * notifications, sessions queued, running and finished.
 */
#include "ctl.h"

#include "dbus/dbus-api.h"

#include <glib-unix.h>
#include <stdio.h>

typedef struct {
    gboolean json;
    GMainLoop *loop;
    gboolean running; /* dmscd's name has an owner: what the last line said */
} Monitor;

/* An event: "card-added" and so on, about an object (or none), with the fields that follow. */
typedef struct {
    JsonBuilder *builder; /* JSON output */
    GString *line;        /* or a line for people */
} Event;

static void event_begin(Monitor *monitor, Event *event, const char *name, const char *object)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_local();

    if (monitor->json) {
        g_autoptr(GDateTime) utc = g_date_time_to_utc(now);
        g_autofree char *time = g_date_time_format_iso8601(utc);
        event->builder = json_builder_new();
        json_builder_begin_object(event->builder);
        ctl_json_add_string(event->builder, "time", time);
        ctl_json_add_string(event->builder, "event", name);
        if (object != NULL)
            ctl_json_add_string(event->builder, "object", object);
    } else {
        g_autofree char *time = g_date_time_format(now, "%H:%M:%S.%f");
        /* Milliseconds are enough: cut the microseconds' last three digits. */
        time[12] = '\0';
        event->line = g_string_new(time);
        g_string_append_printf(event->line, " %s", name);
        if (object != NULL)
            g_string_append_printf(event->line, " %u", ctl_object_number(object));
    }
}

static void event_field(Event *event, const char *name, const char *value)
{
    if (event->builder != NULL)
        ctl_json_add_string(event->builder, name, value);
    else
        g_string_append_printf(event->line, " %s=%s", name, value[0] ? value : "-");
}

static void event_int(Event *event, const char *name, gint64 value)
{
    if (event->builder != NULL) {
        ctl_json_add_int(event->builder, name, value);
    } else {
        g_autofree char *text = g_strdup_printf("%" G_GINT64_FORMAT, value);
        event_field(event, name, text);
    }
}

static void event_bool(Event *event, const char *name, gboolean value)
{
    if (event->builder != NULL) {
        json_builder_set_member_name(event->builder, name);
        json_builder_add_boolean_value(event->builder, value);
    } else {
        event_field(event, name, value ? "yes" : "no");
    }
}

static void event_end(Event *event)
{
    if (event->builder != NULL) {
        g_autoptr(JsonNode) root = NULL;
        json_builder_end_object(event->builder);
        root = json_builder_get_root(event->builder);
        ctl_print_json_line(root);
        g_object_unref(event->builder);
    } else {
        printf("%s\n", event->line->str);
        fflush(stdout);
        g_string_free(event->line, TRUE);
    }
}

static void card_fields(Event *event, GVariant *p)
{
    const char *value;

    if (g_variant_lookup(p, "Modem", "&s", &value))
        event_field(event, "modem", value);
    if (g_variant_lookup(p, "Identifier", "&s", &value) && value[0] != '\0')
        event_field(event, "iccid", value);
    if (g_variant_lookup(p, "BootstrapState", "&s", &value))
        event_field(event, "bootstrap", value);
    if (g_variant_lookup(p, "ServerId", "&s", &value) && value[0] != '\0')
        event_field(event, "server", value);
    if (g_variant_lookup(p, "ScwsPorts", "@aq", NULL)) {
        g_autofree char *ports = ctl_format_ports(p);
        event_field(event, "scws_ports", ports);
    }
}

static void on_interfaces_added(Monitor *monitor, GVariant *parameters)
{
    g_autoptr(GVariant) interfaces = NULL;
    g_autoptr(GVariant) card = NULL, session = NULL;
    const char *path;
    Event event = { 0 };

    g_variant_get(parameters, "(&o@a{sa{sv}})", &path, &interfaces);
    card = g_variant_lookup_value(interfaces, DBUS_API_CARD_INTERFACE, NULL);
    session = g_variant_lookup_value(interfaces, DBUS_API_SESSION_INTERFACE, NULL);
    if (card != NULL) {
        event_begin(monitor, &event, "card-added", path);
        card_fields(&event, card);
    } else if (session != NULL) {
        event_begin(monitor, &event, "session-queued", path);
        event_field(&event, "server", ctl_prop_string(session, "ServerId"));
        event_field(&event, "origin", ctl_prop_string(session, "Origin"));
    } else {
        return;
    }
    event_end(&event);
}

static void on_interfaces_removed(Monitor *monitor, GVariant *parameters)
{
    g_autofree const char **interfaces = NULL;
    const char *path;
    Event event = { 0 };

    g_variant_get(parameters, "(&o^a&s)", &path, &interfaces);
    /* Finished sessions leaving the bus are not news: their end was. */
    if (!g_strv_contains(interfaces, DBUS_API_CARD_INTERFACE))
        return;
    event_begin(monitor, &event, "card-removed", path);
    event_end(&event);
}

static void session_changed(Monitor *monitor, const char *path, GVariant *changed)
{
    g_autoptr(GVariant) result = g_variant_lookup_value(changed, "Result", G_VARIANT_TYPE_VARDICT);
    g_autoptr(GVariant) changes = g_variant_lookup_value(changed, "Changes", NULL);
    const char *state = NULL, *value;
    guint32 attempts = 0;
    Event event = { 0 };

    if (!g_variant_lookup(changed, "State", "&s", &state))
        return;
    if (result != NULL && g_variant_lookup(result, "result", "&s", &value)) {
        event_begin(monitor, &event, "session-finished", path);
        event_field(&event, "state", state);
        event_field(&event, "result", value);
        if (g_variant_lookup(result, "error", "&s", &value))
            event_field(&event, "error", value);
        event_int(&event, "changes", changes ? (gint64)g_variant_n_children(changes) : 0);
    } else {
        event_begin(monitor, &event,
                    g_str_equal(state, "running")  ? "session-running"
                    : g_str_equal(state, "queued") ? "session-queued-again"
                                                   : "session-state",
                    path);
        if (!g_str_equal(state, "running") && !g_str_equal(state, "queued"))
            event_field(&event, "state", state);
        if (g_variant_lookup(changed, "Attempts", "u", &attempts))
            event_int(&event, "attempt", attempts);
    }
    event_end(&event);
}

static void on_properties_changed(Monitor *monitor, const char *path, GVariant *parameters)
{
    g_autoptr(GVariant) changed = NULL;
    const char *interface, *state;
    Event event = { 0 };

    g_variant_get(parameters, "(&s@a{sv}as)", &interface, &changed, NULL);
    if (g_str_equal(interface, DBUS_API_SESSION_INTERFACE)) {
        session_changed(monitor, path, changed);
    } else if (g_str_equal(interface, DBUS_API_CARD_INTERFACE)) {
        /* Timestamps alone are the other events' echo. */
        if (!g_variant_lookup(changed, "BootstrapState", "&s", &state) &&
            !g_variant_lookup(changed, "Identifier", "&s", &state) &&
            !g_variant_lookup(changed, "ScwsPorts", "@aq", NULL) &&
            !g_variant_lookup(changed, "ServerId", "&s", &state))
            return;
        event_begin(monitor, &event, "card-changed", path);
        card_fields(&event, changed);
        event_end(&event);
    } else if (g_str_equal(interface, DBUS_API_MANAGER_INTERFACE) &&
               g_variant_lookup(changed, "State", "&s", &state)) {
        event_begin(monitor, &event, "daemon-state", NULL);
        event_field(&event, "state", state);
        event_end(&event);
    }
}

static void on_notification(Monitor *monitor, GVariant *parameters)
{
    g_autoptr(GVariant) n = NULL;
    const char *value;
    guint16 session_id = 0;
    gboolean verified = FALSE;
    Event event = { 0 };

    g_variant_get(parameters, "(@a{sv})", &n);
    event_begin(monitor, &event, "notification", NULL);
    if (g_variant_lookup(n, "origin", "&s", &value))
        event_field(&event, "origin", value);
    if (g_variant_lookup(n, "card", "&o", &value))
        event_int(&event, "card", ctl_object_number(value));
    if (g_variant_lookup(n, "server-id", "&s", &value))
        event_field(&event, "server", value);
    if (g_variant_lookup(n, "session-id", "q", &session_id))
        event_int(&event, "session_id", session_id);
    if (g_variant_lookup(n, "ui-mode", "&s", &value))
        event_field(&event, "ui_mode", value);
    (void)g_variant_lookup(n, "verified", "b", &verified);
    event_bool(&event, "verified", verified);
    event_end(&event);
}

static void on_signal(GDBusConnection *connection, const char *sender, const char *path,
                      const char *interface, const char *signal, GVariant *parameters,
                      gpointer user_data)
{
    Monitor *monitor = user_data;

    if (g_str_equal(signal, "InterfacesAdded"))
        on_interfaces_added(monitor, parameters);
    else if (g_str_equal(signal, "InterfacesRemoved"))
        on_interfaces_removed(monitor, parameters);
    else if (g_str_equal(signal, "PropertiesChanged"))
        on_properties_changed(monitor, path, parameters);
    else if (g_str_equal(signal, "NotificationReceived"))
        on_notification(monitor, parameters);
}

static void print_owner(Monitor *monitor, const char *name)
{
    Event event = { 0 };

    event_begin(monitor, &event, name, NULL);
    event_end(&event);
}

/* The watcher's first word repeats what the first line said already: only news is printed. */
static void on_owner(Monitor *monitor, gboolean running)
{
    if (running == monitor->running)
        return;
    monitor->running = running;
    print_owner(monitor, running ? "daemon-started" : "daemon-stopped");
}

static void on_appeared(GDBusConnection *c, const char *name, const char *owner, gpointer data)
{
    on_owner(data, TRUE);
}

static void on_vanished(GDBusConnection *c, const char *name, gpointer data)
{
    on_owner(data, FALSE);
}

static gboolean on_interrupt(gpointer user_data)
{
    g_main_loop_quit(((Monitor *)user_data)->loop);
    return G_SOURCE_CONTINUE;
}

int ctl_monitor(CtlOptions *options, int argc, char **argv)
{
    static const char *const members[] = { "InterfacesAdded", "InterfacesRemoved",
                                           "PropertiesChanged", "NotificationReceived" };
    g_autoptr(CtlBus) bus = NULL;
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_autoptr(GVariant) owner = NULL;
    Monitor monitor = { FALSE, loop, FALSE };
    guint subscriptions[G_N_ELEMENTS(members)], watch, sigint, sigterm;
    GDBusConnection *connection;
    int status;

    status = ctl_parse(options, &argc, &argv, NULL,
                       "One line per event, as it happens, until interrupted: cards added,\n"
                       "removed and read, notifications, sessions queued, running and finished.\n"
                       "With --json, one JSON object per line.",
                       NULL, TRUE, 0, 0);
    if (status >= 0)
        return status;
    monitor.json = options->json;
    status = ctl_bus_open(options->session_bus, &bus);
    if (status != CTL_EXIT_OK)
        return status;
    connection = ctl_bus_peek_connection(bus);
    for (guint i = 0; i < G_N_ELEMENTS(members); i++)
        subscriptions[i] = g_dbus_connection_signal_subscribe(
            connection, DBUS_API_NAME, NULL, members[i], NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
            on_signal, &monitor, NULL);
    /* The bus handles a connection's messages in order: once this answers, the match rules
     * above are in place and no event can be missed, and the first line (how things stand)
     * comes before any event. */
    owner = g_dbus_connection_call_sync(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "GetNameOwner",
                                        g_variant_new("(s)", DBUS_API_NAME), NULL,
                                        G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
    monitor.running = owner != NULL;
    print_owner(&monitor, monitor.running ? "daemon-running" : "daemon-absent");
    watch = g_bus_watch_name_on_connection(connection, DBUS_API_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                           on_appeared, on_vanished, &monitor, NULL);
    sigint = g_unix_signal_add(SIGINT, on_interrupt, &monitor);
    sigterm = g_unix_signal_add(SIGTERM, on_interrupt, &monitor);
    fprintf(stderr, "Monitoring dmscd; Ctrl-C to stop.\n");
    g_main_loop_run(loop);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    g_bus_unwatch_name(watch);
    for (guint i = 0; i < G_N_ELEMENTS(members); i++)
        g_dbus_connection_signal_unsubscribe(connection, subscriptions[i]);
    return CTL_EXIT_OK;
}
