/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Manager.GetNode and ListNodes: the device's DM tree, read through the daemon (design §8). */
#include "dbus-private.h"

#include <string.h>

void dbus_api_node_clear(DbusApiNode *node)
{
    g_clear_pointer(&node->format, g_free);
    g_clear_pointer(&node->type, g_free);
    g_clear_pointer(&node->value, g_bytes_unref);
    g_clear_pointer(&node->children, g_strfreev);
}

void dbus_api_server_set_node_reader(DbusApiServer *server, DbusApiNodeFunc func,
                                     gpointer user_data)
{
    server->node_reader = func;
    server->node_reader_data = user_data;
}

/* The library's refusal as the caller's D-Bus error. */
static int node_error(sd_bus_error *error, const GError *failure)
{
    const char *name = DBUS_API_ERROR_NAME_FAILED;

    if (g_error_matches(failure, DBUS_API_ERROR, DBUS_API_ERROR_NOT_FOUND))
        name = DBUS_API_ERROR_NAME_NOT_FOUND;
    else if (g_error_matches(failure, DBUS_API_ERROR, DBUS_API_ERROR_INVALID))
        name = DBUS_API_ERROR_NAME_INVALID_ARGS;
    else if (g_error_matches(failure, DBUS_API_ERROR, DBUS_API_ERROR_DENIED))
        name = DBUS_API_ERROR_NAME_PERMISSION;
    return sd_bus_error_set(error, name, failure->message);
}

static gboolean read_node(DbusApiServer *server, sd_bus_message *m, DbusApiNode *node,
                          sd_bus_error *error, int *r)
{
    g_autoptr(GError) failure = NULL;
    const char *uri;

    if (!dbus_api_caller_may_act(server, m)) {
        *r = sd_bus_error_set(error, DBUS_API_ERROR_NAME_PERMISSION,
                              "permission denied: root or the admin group only");
        return FALSE;
    }
    if (sd_bus_message_read(m, "s", &uri) < 0) {
        *r = sd_bus_error_set(error, DBUS_API_ERROR_NAME_INVALID_ARGS, "a node URI");
        return FALSE;
    }
    if (server->node_reader == NULL ||
        !server->node_reader(uri, node, server->node_reader_data, &failure)) {
        *r = failure != NULL ? node_error(error, failure)
                             : sd_bus_error_set(error, DBUS_API_ERROR_NAME_FAILED, "no tree");
        return FALSE;
    }
    return TRUE;
}

/* The value by its format: int, bool and bin as such, a node its children, the rest text. */
static int append_value(sd_bus_message *reply, const DbusApiNode *node)
{
    gsize length = 0;
    const guint8 *bytes = node->value ? g_bytes_get_data(node->value, &length) : NULL;
    g_autofree char *text = g_strndup((const char *)bytes, length);
    int r;

    if (g_strcmp0(node->format, "int") == 0) {
        gint64 number = 0;
        if (g_ascii_string_to_signed(text, 10, G_MININT32, G_MAXINT32, &number, NULL))
            return sd_bus_message_append(reply, "v", "i", (gint32)number);
    } else if (g_strcmp0(node->format, "bool") == 0) {
        return sd_bus_message_append(reply, "v", "b", g_ascii_strcasecmp(text, "true") == 0);
    } else if (g_strcmp0(node->format, "bin") == 0) {
        r = sd_bus_message_open_container(reply, 'v', "ay");
        if (r >= 0)
            r = sd_bus_message_append_array(reply, 'y', bytes, length);
        if (r >= 0)
            r = sd_bus_message_close_container(reply);
        return r;
    }
    /* Text must be UTF-8 on the bus: what is not goes as bytes. */
    if (!g_utf8_validate(text, (gssize)length, NULL) || strlen(text) != length) {
        r = sd_bus_message_open_container(reply, 'v', "ay");
        if (r >= 0)
            r = sd_bus_message_append_array(reply, 'y', bytes, length);
        if (r >= 0)
            r = sd_bus_message_close_container(reply);
        return r;
    }
    return sd_bus_message_append(reply, "v", "s", text);
}

int dbus_api_method_get_node(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    DbusApiServer *server = userdata;
    DbusApiNode node = { 0 };
    sd_bus_message *reply = NULL;
    int r = 0;

    if (!read_node(server, m, &node, error, &r))
        return r;
    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_append(reply, "ss", node.format, node.type ? node.type : "");
    if (r >= 0 && g_strcmp0(node.format, "node") == 0) {
        r = sd_bus_message_open_container(reply, 'v', "as");
        if (r >= 0)
            r = sd_bus_message_append_strv(reply, node.children);
        if (r >= 0)
            r = sd_bus_message_close_container(reply);
    } else if (r >= 0) {
        r = append_value(reply, &node);
    }
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    dbus_api_node_clear(&node);
    return r;
}

int dbus_api_method_list_nodes(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    DbusApiServer *server = userdata;
    DbusApiNode node = { 0 };
    sd_bus_message *reply = NULL;
    int r = 0;

    if (!read_node(server, m, &node, error, &r))
        return r;
    if (g_strcmp0(node.format, "node") != 0) {
        dbus_api_node_clear(&node);
        return sd_bus_error_set(error, DBUS_API_ERROR_NAME_INVALID_ARGS, "a leaf has no children");
    }
    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_append_strv(reply, node.children);
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    dbus_api_node_clear(&node);
    return r;
}
