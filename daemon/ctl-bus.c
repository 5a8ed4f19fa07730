/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dmscctl's side of the bus: the connection, dmscd's objects as the object manager lists
 * them, and D-Bus errors turned into one line on stderr and an exit status.
 */
#include "ctl.h"

#include "dbus/dbus-api.h"

#include <stdio.h>
#include <string.h>

struct CtlBus {
    GDBusConnection *connection;
    gboolean session_bus;
};

static const char *bus_name(const CtlBus *bus)
{
    return bus->session_bus ? "session bus" : "system bus";
}

int ctl_bus_open(gboolean session_bus, CtlBus **out)
{
    g_autoptr(GError) error = NULL;
    CtlBus *bus = g_new0(CtlBus, 1);

    bus->session_bus = session_bus;
    bus->connection =
        g_bus_get_sync(session_bus ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, NULL, &error);
    if (bus->connection == NULL) {
        int status =
            ctl_fail(CTL_EXIT_UNAVAILABLE, "dmscd is not running (cannot connect to the %s: %s)",
                     bus_name(bus), error->message);
        g_free(bus);
        return status;
    }
    /* dmscctl ends on its own terms (Ctrl-C, an answer), not when the bus goes. */
    g_dbus_connection_set_exit_on_close(bus->connection, FALSE);
    *out = bus;
    return CTL_EXIT_OK;
}

void ctl_bus_free(CtlBus *bus)
{
    if (bus == NULL)
        return;
    g_dbus_connection_flush_sync(bus->connection, NULL, NULL);
    g_object_unref(bus->connection);
    g_free(bus);
}

GDBusConnection *ctl_bus_peek_connection(CtlBus *bus)
{
    return bus->connection;
}

int ctl_bus_fail(CtlBus *bus, const char *what, const GError *error)
{
    g_autofree char *remote = g_dbus_error_get_remote_error(error);
    g_autoptr(GError) copy = g_error_copy(error);
    const char *message;
    int status = CTL_EXIT_FAILURE;

    /* The error's name decides the exit status; the user reads only the message. */
    g_dbus_error_strip_remote_error(copy);
    message = copy->message;
    if (remote == NULL)
        return ctl_fail(status, "%s: %s", what, message);
    if (g_str_equal(remote, "org.freedesktop.DBus.Error.ServiceUnknown") ||
        g_str_equal(remote, "org.freedesktop.DBus.Error.NameHasNoOwner") ||
        g_str_equal(remote, "org.freedesktop.DBus.Error.Disconnected"))
        return ctl_fail(CTL_EXIT_UNAVAILABLE, "dmscd is not running (%s has no owner on the %s)",
                        DBUS_API_NAME, bus_name(bus));
    if (g_str_equal(remote, DBUS_API_ERROR_NAME_PERMISSION) ||
        g_str_equal(remote, "org.freedesktop.DBus.Error.AccessDenied"))
        status = CTL_EXIT_NOPERM;
    else if (g_str_equal(remote, DBUS_API_ERROR_NAME_NOT_FOUND) ||
             g_str_equal(remote, "org.freedesktop.DBus.Error.UnknownObject") ||
             g_str_equal(remote, DBUS_API_ERROR_NAME_INVALID_ARGS))
        status = CTL_EXIT_DATAERR;
    return ctl_fail(status, "%s: %s", what, message);
}

int ctl_bus_call(CtlBus *bus, const char *path, const char *interface, const char *method,
                 GVariant *parameters, const GVariantType *reply_type, GVariant **reply)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *what = g_strdup(method);
    GVariant *result;

    /* NO_AUTO_START: "not running" should say so at once, not start a service. */
    result = g_dbus_connection_call_sync(bus->connection, DBUS_API_NAME, path, interface, method,
                                         parameters, reply_type, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                         -1, NULL, &error);
    if (result == NULL)
        return ctl_bus_fail(bus, what, error);
    if (reply != NULL)
        *reply = result;
    else
        g_variant_unref(result);
    return CTL_EXIT_OK;
}

int ctl_bus_get_objects(CtlBus *bus, GVariant **objects)
{
    g_autoptr(GVariant) reply = NULL;
    int status;

    status = ctl_bus_call(bus, DBUS_API_PATH, "org.freedesktop.DBus.ObjectManager",
                          "GetManagedObjects", NULL, G_VARIANT_TYPE("(a{oa{sa{sv}}})"), &reply);
    if (status != CTL_EXIT_OK)
        return status;
    *objects = g_variant_get_child_value(reply, 0);
    return CTL_EXIT_OK;
}

int ctl_bus_get_properties(CtlBus *bus, const char *path, const char *interface,
                           GVariant **properties)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = NULL;

    reply = g_dbus_connection_call_sync(bus->connection, DBUS_API_NAME, path,
                                        "org.freedesktop.DBus.Properties", "GetAll",
                                        g_variant_new("(s)", interface), G_VARIANT_TYPE("(a{sv})"),
                                        G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, &error);
    /* "dmscctl: /org/dmscd/Dmsc1/Card/7: Unknown object ...": the object is what was asked. */
    if (reply == NULL)
        return ctl_bus_fail(bus, path, error);
    *properties = g_variant_get_child_value(reply, 0);
    return CTL_EXIT_OK;
}

/* The number at the end of an object's path: /org/dmscd/Dmsc1/Card/3 is 3. */
guint ctl_object_number(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? (guint)g_ascii_strtoull(slash + 1, NULL, 10) : 0;
}

/* The interface's properties of every object that has it, in the order of their numbers. */
static gint by_number(gconstpointer a, gconstpointer b)
{
    const char *pa = ((const CtlObject *)a)->path, *pb = ((const CtlObject *)b)->path;
    guint na = ctl_object_number(pa), nb = ctl_object_number(pb);

    return na < nb ? -1 : na > nb;
}

static void object_clear(gpointer data)
{
    CtlObject *object = data;

    g_free(object->path);
    g_variant_unref(object->properties);
}

GArray *ctl_objects_with(GVariant *objects, const char *interface)
{
    GArray *found = g_array_new(FALSE, FALSE, sizeof(CtlObject));
    GVariantIter iter;
    const char *path;
    GVariant *interfaces;

    g_array_set_clear_func(found, object_clear);
    g_variant_iter_init(&iter, objects);
    while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", &path, &interfaces)) {
        GVariant *properties = g_variant_lookup_value(interfaces, interface, NULL);
        if (properties != NULL) {
            CtlObject object = { g_strdup(path), properties };
            g_array_append_val(found, object);
        }
        g_variant_unref(interfaces);
    }
    g_array_sort(found, by_number);
    return found;
}

int ctl_resolve(const char *prefix, const char *what, const char *argument, char **path)
{
    guint64 number;

    if (g_str_has_prefix(argument, prefix) && argument[strlen(prefix)] == '/' &&
        g_variant_is_object_path(argument)) {
        *path = g_strdup(argument);
        return CTL_EXIT_OK;
    }
    if (!g_ascii_string_to_unsigned(argument, 10, 0, G_MAXUINT32, &number, NULL))
        return ctl_fail(CTL_EXIT_USAGE, "%s: not a %s number or object path", argument, what);
    *path = g_strdup_printf("%s/%" G_GUINT64_FORMAT, prefix, number);
    return CTL_EXIT_OK;
}

/* --- Properties ------------------------------------------------------------------------------ */

const char *ctl_prop_string(GVariant *properties, const char *name)
{
    const char *value = NULL;

    if (!g_variant_lookup(properties, name, "&s", &value))
        return "";
    return value;
}

guint64 ctl_prop_uint64(GVariant *properties, const char *name)
{
    guint64 value = 0;

    (void)g_variant_lookup(properties, name, "t", &value);
    return value;
}

guint32 ctl_prop_uint32(GVariant *properties, const char *name)
{
    guint32 value = 0;

    (void)g_variant_lookup(properties, name, "u", &value);
    return value;
}

char *ctl_format_ports(GVariant *properties)
{
    g_autoptr(GVariant) ports =
        g_variant_lookup_value(properties, "ScwsPorts", G_VARIANT_TYPE("aq"));
    GString *text = g_string_new(NULL);
    gsize n = 0;
    const guint16 *values = ports ? g_variant_get_fixed_array(ports, &n, sizeof(guint16)) : NULL;

    for (gsize i = 0; i < n; i++)
        g_string_append_printf(text, "%s%u", i ? "," : "", values[i]);
    return g_string_free(text, FALSE);
}
