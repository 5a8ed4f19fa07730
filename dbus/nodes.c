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

/* Checks the caller and reads @node for the method's URI: 0, or the D-Bus error (negative). */
static int read_node(DbusApiServer *server, sd_bus_message *m, DbusApiNode *node,
                     sd_bus_error *error)
{
    g_autoptr(GError) failure = NULL;
    const char *uri;
    int r;

    r = dbus_api_check_caller(server, m, error);
    if (r < 0)
        return r;
    r = sd_bus_message_read(m, "s", &uri);
    if (r < 0)
        return sd_bus_error_set(error, DBUS_API_ERROR_NAME_INVALID_ARGS, "a node URI");
    if (server->node_reader == NULL)
        return sd_bus_error_set(error, DBUS_API_ERROR_NAME_FAILED, "no tree");
    if (!server->node_reader(uri, node, server->node_reader_data, &failure))
        return dbus_api_error_set_from(error, failure);
    return 0;
}

static int append_bytes(sd_bus_message *reply, const guint8 *bytes, gsize length)
{
    int r;

    r = sd_bus_message_open_container(reply, 'v', "ay");
    if (r < 0)
        return r;
    r = sd_bus_message_append_array(reply, 'y', bytes, length);
    if (r < 0)
        return r;
    return sd_bus_message_close_container(reply);
}

static int append_children(sd_bus_message *reply, char **children)
{
    int r;

    r = sd_bus_message_open_container(reply, 'v', "as");
    if (r < 0)
        return r;
    r = sd_bus_message_append_strv(reply, children);
    if (r < 0)
        return r;
    return sd_bus_message_close_container(reply);
}

/* The value by its format: int, bool and bin as such, a node its children, the rest text. */
static int append_value(sd_bus_message *reply, const DbusApiNode *node)
{
    gsize length = 0;
    const guint8 *bytes = node->value ? g_bytes_get_data(node->value, &length) : NULL;
    g_autofree char *text = g_strndup((const char *)bytes, length);

    if (g_strcmp0(node->format, "int") == 0) {
        gint64 number = 0;
        if (g_ascii_string_to_signed(text, 10, G_MININT32, G_MAXINT32, &number, NULL))
            return sd_bus_message_append(reply, "v", "i", (gint32)number);
    } else if (g_strcmp0(node->format, "bool") == 0) {
        return sd_bus_message_append(reply, "v", "b", g_ascii_strcasecmp(text, "true") == 0);
    } else if (g_strcmp0(node->format, "bin") == 0) {
        return append_bytes(reply, bytes, length);
    }
    /* Text must be UTF-8 on the bus: what is not goes as bytes. */
    if (!g_utf8_validate(text, (gssize)length, NULL) || strlen(text) != length)
        return append_bytes(reply, bytes, length);
    return sd_bus_message_append(reply, "v", "s", text);
}

static int reply_node(sd_bus_message *m, const DbusApiNode *node)
{
    g_autoptr(sd_bus_message) reply = NULL;
    int r;

    r = sd_bus_message_new_method_return(m, &reply);
    if (r < 0)
        return r;
    r = sd_bus_message_append(reply, "ss", node->format, node->type ? node->type : "");
    if (r < 0)
        return r;
    if (g_strcmp0(node->format, "node") == 0)
        r = append_children(reply, node->children);
    else
        r = append_value(reply, node);
    if (r < 0)
        return r;
    return sd_bus_send(NULL, reply, NULL);
}

static int reply_children(sd_bus_message *m, char **children)
{
    g_autoptr(sd_bus_message) reply = NULL;
    int r;

    r = sd_bus_message_new_method_return(m, &reply);
    if (r < 0)
        return r;
    r = sd_bus_message_append_strv(reply, children);
    if (r < 0)
        return r;
    return sd_bus_send(NULL, reply, NULL);
}

int dbus_api_method_get_node(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    DbusApiServer *server = userdata;
    g_auto(DbusApiNode) node = { 0 };
    int r;

    r = read_node(server, m, &node, error);
    if (r < 0)
        return r;
    return reply_node(m, &node);
}

int dbus_api_method_list_nodes(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    DbusApiServer *server = userdata;
    g_auto(DbusApiNode) node = { 0 };
    int r;

    r = read_node(server, m, &node, error);
    if (r < 0)
        return r;
    if (g_strcmp0(node.format, "node") != 0)
        return sd_bus_error_set(error, DBUS_API_ERROR_NAME_INVALID_ARGS, "a leaf has no children");
    return reply_children(m, node.children);
}
