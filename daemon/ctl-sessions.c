/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dmscctl sessions, session and trigger: DM sessions, past, running and asked for. */
#include "ctl.h"

#include "dbus/dbus-api.h"

#include <glib-unix.h>
#include <stdio.h>

static const char *result_of(GVariant *p, const char *key)
{
    g_autoptr(GVariant) result = g_variant_lookup_value(p, "Result", G_VARIANT_TYPE_VARDICT);
    const char *value = NULL;

    if (result == NULL || !g_variant_lookup(result, key, "&s", &value))
        return "";
    /* The vardict lives as long as @p does. */
    return value;
}

static GVariant *changes_of(GVariant *p)
{
    GVariant *changes = g_variant_lookup_value(p, "Changes", G_VARIANT_TYPE("a(sss)"));

    return changes ? changes
                   : g_variant_ref_sink(g_variant_new_array(G_VARIANT_TYPE("(sss)"), NULL, 0));
}

static void add_session_json(JsonBuilder *builder, const char *path, GVariant *p)
{
    g_autoptr(GVariant) changes = changes_of(p);
    guint64 started = ctl_prop_uint64(p, "Started"), ended = ctl_prop_uint64(p, "Ended");
    GVariantIter iter;
    const char *uri, *command, *status;

    json_builder_begin_object(builder);
    ctl_json_add_int(builder, "number", ctl_object_number(path));
    ctl_json_add_string(builder, "path", path);
    ctl_json_add_string(builder, "server_id", ctl_prop_string(p, "ServerId"));
    ctl_json_add_string(builder, "session_id", ctl_prop_string(p, "SessionId"));
    ctl_json_add_string(builder, "origin", ctl_prop_string(p, "Origin"));
    ctl_json_add_string(builder, "state", ctl_prop_string(p, "State"));
    ctl_json_add_string(builder, "result", result_of(p, "result"));
    ctl_json_add_string(builder, "error", result_of(p, "error"));
    ctl_json_add_int(builder, "attempts", ctl_prop_uint32(p, "Attempts"));
    ctl_json_add_time(builder, "started", started);
    ctl_json_add_time(builder, "ended", ended);
    json_builder_set_member_name(builder, "duration_ms");
    if (started != 0 && ended >= started)
        json_builder_add_int_value(builder, (gint64)((ended - started) / 1000));
    else
        json_builder_add_null_value(builder);
    json_builder_set_member_name(builder, "changes");
    json_builder_begin_array(builder);
    g_variant_iter_init(&iter, changes);
    while (g_variant_iter_next(&iter, "(&s&s&s)", &uri, &command, &status)) {
        json_builder_begin_object(builder);
        ctl_json_add_string(builder, "uri", uri);
        ctl_json_add_string(builder, "command", command);
        ctl_json_add_string(builder, "status", status);
        json_builder_end_object(builder);
    }
    json_builder_end_array(builder);
    json_builder_end_object(builder);
}

static void print_json_session(const char *path, GVariant *p)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    g_autoptr(JsonNode) root = NULL;

    add_session_json(builder, path, p);
    root = json_builder_get_root(builder);
    ctl_print_json(root);
}

static void print_session(const char *path, GVariant *p)
{
    g_autoptr(GVariant) changes = changes_of(p);
    guint64 started = ctl_prop_uint64(p, "Started"), ended = ctl_prop_uint64(p, "Ended");
    g_autofree char *start = ctl_format_time(started);
    g_autofree char *end = ctl_format_time(ended);
    g_autofree char *duration = ctl_format_duration(started, ended);
    static const char *const headers[] = { "URI", "COMMAND", ">STATUS", NULL };
    g_autoptr(CtlTable) table = ctl_table_new(headers);
    GVariantIter iter;
    const char *uri, *command, *status;

    ctl_print_field("Session", "%s", path);
    ctl_print_field("DM server", "%s", ctl_prop_string(p, "ServerId"));
    ctl_print_field("Session ID", "%s", ctl_prop_string(p, "SessionId"));
    ctl_print_field("Origin", "%s", ctl_prop_string(p, "Origin"));
    ctl_print_field("State", "%s", ctl_prop_string(p, "State"));
    ctl_print_field("Result", "%s", result_of(p, "result"));
    if (result_of(p, "error")[0] != '\0')
        ctl_print_field("Error", "%s", result_of(p, "error"));
    ctl_print_field("Attempts", "%u", ctl_prop_uint32(p, "Attempts"));
    ctl_print_field("Started", "%s", start);
    ctl_print_field("Ended", "%s", end);
    ctl_print_field("Duration", "%s", duration);
    ctl_print_field("Changes", "%" G_GSIZE_FORMAT, g_variant_n_children(changes));
    if (g_variant_n_children(changes) == 0)
        return;
    g_variant_iter_init(&iter, changes);
    while (g_variant_iter_next(&iter, "(&s&s&s)", &uri, &command, &status)) {
        const char *row[] = { uri, command, status };
        ctl_table_add(table, row);
    }
    printf("\n");
    ctl_table_print(table);
}

int ctl_sessions(CtlOptions *options, int argc, char **argv)
{
    static const char *const headers[] = { ">SESSION", "SERVER",  "ID",        "ORIGIN",   "STATE",
                                           "RESULT",   "STARTED", ">DURATION", ">CHANGES", NULL };
    g_autoptr(CtlBus) bus = NULL;
    g_autoptr(GVariant) objects = NULL;
    g_autoptr(GArray) sessions = NULL;
    g_autoptr(CtlTable) table = ctl_table_new(headers);
    int status;

    status =
        ctl_parse(options, &argc, &argv, NULL,
                  "DM sessions: queued, running and the last finished ones.", NULL, TRUE, 0, 0);
    if (status >= 0)
        return status;
    status = ctl_bus_open(options->session_bus, &bus);
    if (status == CTL_EXIT_OK)
        status = ctl_bus_get_objects(bus, &objects);
    if (status != CTL_EXIT_OK)
        return status;
    sessions = ctl_objects_with(objects, DBUS_API_SESSION_INTERFACE);

    if (options->json) {
        g_autoptr(JsonBuilder) builder = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        json_builder_begin_array(builder);
        for (guint i = 0; i < sessions->len; i++) {
            CtlObject *s = &g_array_index(sessions, CtlObject, i);
            add_session_json(builder, s->path, s->properties);
        }
        json_builder_end_array(builder);
        root = json_builder_get_root(builder);
        ctl_print_json(root);
        return CTL_EXIT_OK;
    }
    for (guint i = 0; i < sessions->len; i++) {
        CtlObject *s = &g_array_index(sessions, CtlObject, i);
        g_autoptr(GVariant) changes = changes_of(s->properties);
        guint64 started = ctl_prop_uint64(s->properties, "Started");
        g_autofree char *number = g_strdup_printf("%u", ctl_object_number(s->path));
        g_autofree char *start = ctl_format_time(started);
        g_autofree char *duration =
            ctl_format_duration(started, ctl_prop_uint64(s->properties, "Ended"));
        g_autofree char *count = g_strdup_printf("%" G_GSIZE_FORMAT, g_variant_n_children(changes));
        const char *row[] = { number,
                              ctl_prop_string(s->properties, "ServerId"),
                              ctl_prop_string(s->properties, "SessionId"),
                              ctl_prop_string(s->properties, "Origin"),
                              ctl_prop_string(s->properties, "State"),
                              result_of(s->properties, "result"),
                              start,
                              duration,
                              count };
        ctl_table_add(table, row);
    }
    ctl_table_print(table);
    printf("\n%u session%s.\n", sessions->len, sessions->len == 1 ? "" : "s");
    return CTL_EXIT_OK;
}

int ctl_session(CtlOptions *options, int argc, char **argv)
{
    g_autoptr(CtlBus) bus = NULL;
    g_autoptr(GVariant) p = NULL;
    g_autofree char *path = NULL;
    int status;

    status =
        ctl_parse(options, &argc, &argv, "N|PATH",
                  "One DM session: every property and every change it made.", NULL, TRUE, 1, 1);
    if (status >= 0)
        return status;
    status = ctl_resolve(DBUS_API_SESSION_PREFIX, "session", argv[1], &path);
    if (status == CTL_EXIT_OK)
        status = ctl_bus_open(options->session_bus, &bus);
    if (status == CTL_EXIT_OK)
        status = ctl_bus_get_properties(bus, path, DBUS_API_SESSION_INTERFACE, &p);
    if (status != CTL_EXIT_OK)
        return status;
    if (options->json)
        print_json_session(path, p);
    else
        print_session(path, p);
    return CTL_EXIT_OK;
}

/* --- trigger -----------------------------------------------------------------------------------
 */

typedef struct {
    GMainLoop *loop;
    char *path;       /* the session asked for, once Trigger() has answered */
    GPtrArray *ended; /* sessions that finished before that answer was read */
    gboolean finished, vanished, interrupted;
} Wait;

static void on_session_finished(GDBusConnection *connection, const char *sender, const char *path,
                                const char *interface, const char *signal, GVariant *parameters,
                                gpointer user_data)
{
    Wait *wait = user_data;
    const char *session;

    g_variant_get(parameters, "(&o&s)", &session, NULL);
    if (wait->path == NULL) {
        g_ptr_array_add(wait->ended, g_strdup(session));
        return;
    }
    if (g_str_equal(session, wait->path)) {
        wait->finished = TRUE;
        g_main_loop_quit(wait->loop);
    }
}

static void on_vanished(GDBusConnection *connection, const char *name, gpointer user_data)
{
    Wait *wait = user_data;

    wait->vanished = TRUE;
    g_main_loop_quit(wait->loop);
}

static gboolean on_interrupt(gpointer user_data)
{
    Wait *wait = user_data;

    wait->interrupted = TRUE;
    g_main_loop_quit(wait->loop);
    return G_SOURCE_CONTINUE;
}

/* Runs until the session at wait->path has finished (or dmscd went, or Ctrl-C). */
static int wait_for_session(CtlBus *bus, Wait *wait)
{
    guint sigint = g_unix_signal_add(SIGINT, on_interrupt, wait);
    guint sigterm = g_unix_signal_add(SIGTERM, on_interrupt, wait);
    guint watch = g_bus_watch_name_on_connection(ctl_bus_peek_connection(bus), DBUS_API_NAME,
                                                 G_BUS_NAME_WATCHER_FLAGS_NONE, NULL, on_vanished,
                                                 wait, NULL);

    for (guint i = 0; i < wait->ended->len; i++)
        wait->finished |= g_str_equal(g_ptr_array_index(wait->ended, i), wait->path);
    if (!wait->finished)
        g_main_loop_run(wait->loop);
    g_bus_unwatch_name(watch);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    if (wait->interrupted)
        return ctl_fail(CTL_EXIT_FAILURE, "interrupted: session %s goes on without dmscctl",
                        wait->path);
    if (!wait->finished)
        return ctl_fail(CTL_EXIT_UNAVAILABLE, "dmscd went away before session %s finished",
                        wait->path);
    return CTL_EXIT_OK;
}

static int trigger(CtlBus *bus, CtlOptions *options, const char *server_id, const char *encoding,
                   gboolean no_wait)
{
    GDBusConnection *connection = ctl_bus_peek_connection(bus);
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_autoptr(GPtrArray) ended = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) p = NULL;
    g_autofree char *path = NULL;
    GVariantDict dict;
    Wait wait = { loop, NULL, ended, FALSE, FALSE, FALSE };
    guint subscription;
    int status;

    /* Subscribed before asking: a session may end before Trigger()'s answer is read. */
    subscription = g_dbus_connection_signal_subscribe(
        connection, DBUS_API_NAME, DBUS_API_MANAGER_INTERFACE, "SessionFinished", DBUS_API_PATH,
        NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_session_finished, &wait, NULL);
    g_variant_dict_init(&dict, NULL);
    if (encoding != NULL)
        g_variant_dict_insert(&dict, "encoding", "s", encoding);
    status = ctl_bus_call(bus, DBUS_API_PATH, DBUS_API_MANAGER_INTERFACE, "Trigger",
                          g_variant_new("(s@a{sv})", server_id, g_variant_dict_end(&dict)),
                          G_VARIANT_TYPE("(o)"), &reply);
    if (status == CTL_EXIT_OK) {
        g_variant_get(reply, "(o)", &path);
        wait.path = path;
        if (no_wait) {
            printf("%s\n", path);
        } else {
            /* Signals that came with or before the answer are dispatched by the loop. */
            status = wait_for_session(bus, &wait);
        }
    }
    g_dbus_connection_signal_unsubscribe(connection, subscription);
    if (status != CTL_EXIT_OK || no_wait)
        return status;
    status = ctl_bus_get_properties(bus, path, DBUS_API_SESSION_INTERFACE, &p);
    if (status != CTL_EXIT_OK)
        return status;
    if (options->json)
        print_json_session(path, p);
    else
        print_session(path, p);
    return g_str_equal(result_of(p, "result"), "ok") ? CTL_EXIT_OK : CTL_EXIT_FAILURE;
}

int ctl_trigger(CtlOptions *options, int argc, char **argv)
{
    g_autofree char *encoding = NULL;
    gboolean no_wait = FALSE;
    const GOptionEntry entries[] = {
        { "encoding", 0, 0, G_OPTION_ARG_STRING, &encoding,
          "SyncML encoding of the session (default: dmscd's configuration)", "xml|wbxml" },
        { "no-wait", 0, 0, G_OPTION_ARG_NONE, &no_wait,
          "Print the queued session's object path and return at once", NULL },
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(CtlBus) bus = NULL;
    int status;

    status = ctl_parse(options, &argc, &argv, "SERVER-ID",
                       "Queues a session with the DM server SERVER-ID and, unless --no-wait, waits "
                       "for it\nand prints its result and changes. Exit status 0 only when it "
                       "ended ok.",
                       entries, TRUE, 1, 1);
    if (status >= 0)
        return status;
    if (encoding != NULL && !g_str_equal(encoding, "xml") && !g_str_equal(encoding, "wbxml"))
        return ctl_fail(CTL_EXIT_USAGE, "--encoding: \"%s\" is neither xml nor wbxml", encoding);
    status = ctl_bus_open(options->session_bus, &bus);
    if (status != CTL_EXIT_OK)
        return status;
    return trigger(bus, options, argv[1], encoding, no_wait);
}
