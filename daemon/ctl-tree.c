/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dmscctl tree get and tree ls: the device's DM tree as dmscd lets it be read. */
#include "ctl.h"

#include "dbus/dbus-api.h"

#include <stdio.h>
#include <string.h>

/* Values longer than this are cut in tables and tree views (never in get or JSON). */
#define SHORT_VALUE 60

typedef struct {
    char *uri;
    char *format;
    char *type;
    GVariant *value; /* s, i, b, ay, or as (children of an interior node) */
    gboolean secret; /* dmscd does not read it back */
} Node;

static void node_clear(Node *node)
{
    g_free(node->uri);
    g_free(node->format);
    g_free(node->type);
    g_clear_pointer(&node->value, g_variant_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Node, node_clear)

static gboolean is_secret_error(const GError *error)
{
    g_autofree char *remote = g_dbus_error_get_remote_error(error);

    return g_strcmp0(remote, DBUS_API_ERROR_NAME_PERMISSION) == 0;
}

/*
 * GetNode(@uri). With @secret_ok a secret is a node marked secret, not an error (listings
 * show that it is there); other errors are an exit status.
 */
static int get_node(CtlBus *bus, const char *uri, gboolean secret_ok, Node *node)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = NULL;

    node->uri = g_strdup(uri);
    reply = g_dbus_connection_call_sync(ctl_bus_peek_connection(bus), DBUS_API_NAME, DBUS_API_PATH,
                                        DBUS_API_MANAGER_INTERFACE, "GetNode",
                                        g_variant_new("(s)", uri), G_VARIANT_TYPE("(ssv)"),
                                        G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, &error);
    if (reply == NULL) {
        if (secret_ok && is_secret_error(error)) {
            node->secret = TRUE;
            return CTL_EXIT_OK;
        }
        return ctl_bus_fail(bus, uri, error);
    }
    g_variant_get(reply, "(ssv)", &node->format, &node->type, &node->value);
    return CTL_EXIT_OK;
}

static gboolean is_interior(const Node *node)
{
    return !node->secret && g_strcmp0(node->format, "node") == 0;
}

/* The value as a person reads it: text as is, bytes in hex. */
static char *value_text(const Node *node, gboolean shorten)
{
    g_autofree char *text = NULL;

    if (node->secret)
        return g_strdup("(secret)");
    if (g_variant_is_of_type(node->value, G_VARIANT_TYPE_STRING)) {
        /* One line per node, whatever the value holds. */
        text = g_strdup(g_variant_get_string(node->value, NULL));
        g_strdelimit(text, "\n\r\t", ' ');
    } else if (g_variant_is_of_type(node->value, G_VARIANT_TYPE_BYTESTRING)) {
        gsize n = 0;
        const guint8 *bytes = g_variant_get_fixed_array(node->value, &n, 1);
        GString *hex = g_string_new("0x");
        for (gsize i = 0; i < n; i++)
            g_string_append_printf(hex, "%02x", bytes[i]);
        text = g_string_free(hex, FALSE);
    } else if (g_variant_is_of_type(node->value, G_VARIANT_TYPE_STRING_ARRAY)) {
        g_autofree const char **children = g_variant_get_strv(node->value, NULL);
        text = g_strjoinv(" ", (char **)children);
    } else {
        text = g_variant_print(node->value, FALSE);
    }
    if (shorten && g_utf8_strlen(text, -1) > SHORT_VALUE) {
        char *cut = g_utf8_offset_to_pointer(text, SHORT_VALUE - 1);
        *cut = '\0';
        return g_strconcat(text, "…", NULL);
    }
    return g_steal_pointer(&text);
}

static void add_node_json(JsonBuilder *builder, const Node *node)
{
    json_builder_begin_object(builder);
    ctl_json_add_string(builder, "uri", node->uri);
    if (node->secret) {
        json_builder_set_member_name(builder, "secret");
        json_builder_add_boolean_value(builder, TRUE);
        json_builder_end_object(builder);
        return;
    }
    ctl_json_add_string(builder, "format", node->format);
    ctl_json_add_string(builder, "type", node->type);
    if (g_variant_is_of_type(node->value, G_VARIANT_TYPE_STRING_ARRAY)) {
        g_autofree const char **children = g_variant_get_strv(node->value, NULL);
        json_builder_set_member_name(builder, "children");
        json_builder_begin_array(builder);
        for (guint i = 0; children[i] != NULL; i++)
            json_builder_add_string_value(builder, children[i]);
        json_builder_end_array(builder);
    } else if (g_variant_is_of_type(node->value, G_VARIANT_TYPE_BYTESTRING)) {
        gsize n = 0;
        const guint8 *bytes = g_variant_get_fixed_array(node->value, &n, 1);
        g_autofree char *base64 = g_base64_encode(bytes, n);
        ctl_json_add_string(builder, "value_base64", base64);
    } else {
        json_builder_set_member_name(builder, "value");
        json_builder_add_value(builder, json_gvariant_serialize(node->value));
    }
    json_builder_end_object(builder);
}

static char *child_uri(const char *parent, const char *name)
{
    return g_str_has_suffix(parent, "/") ? g_strconcat(parent, name, NULL)
                                         : g_strconcat(parent, "/", name, NULL);
}

static int tree_get(CtlBus *bus, CtlOptions *options, const char *uri)
{
    g_auto(Node) node = { 0 };
    g_autofree char *value = NULL;
    int status;

    status = get_node(bus, uri, FALSE, &node);
    if (status != CTL_EXIT_OK)
        return status;
    if (options->json) {
        g_autoptr(JsonBuilder) builder = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        add_node_json(builder, &node);
        root = json_builder_get_root(builder);
        ctl_print_json(root);
        return CTL_EXIT_OK;
    }
    value = value_text(&node, FALSE);
    ctl_print_field("URI", "%s", node.uri);
    ctl_print_field("Format", "%s", node.format);
    ctl_print_field("Type", "%s", node.type);
    ctl_print_field(is_interior(&node) ? "Children" : "Value", "%s", value);
    return CTL_EXIT_OK;
}

/* Every node under @parent (depth first), in @nodes (Node), each with its @depth. */
static int collect(CtlBus *bus, const Node *parent, gboolean recursive, GArray *nodes,
                   GArray *depths, guint depth)
{
    g_autofree const char **children = NULL;

    if (!is_interior(parent))
        return CTL_EXIT_OK;
    children = g_variant_get_strv(parent->value, NULL);
    for (guint i = 0; children[i] != NULL; i++) {
        Node child = { 0 };
        g_autofree char *uri = child_uri(parent->uri, children[i]);
        int status = get_node(bus, uri, TRUE, &child);

        if (status != CTL_EXIT_OK) {
            node_clear(&child);
            return status;
        }
        g_array_append_val(nodes, child);
        g_array_append_val(depths, depth);
        if (recursive) {
            /* Appending may move the array, not what its elements point to: a copy serves. */
            Node copy = g_array_index(nodes, Node, nodes->len - 1);
            status = collect(bus, &copy, TRUE, nodes, depths, depth + 1);
            if (status != CTL_EXIT_OK)
                return status;
        }
    }
    return CTL_EXIT_OK;
}

/* The last child at its depth: nothing at that depth follows before a shallower node. */
static gboolean is_last(GArray *depths, guint i)
{
    guint depth = g_array_index(depths, guint, i);

    for (guint j = i + 1; j < depths->len; j++) {
        guint next = g_array_index(depths, guint, j);
        if (next <= depth)
            return next < depth;
    }
    return TRUE;
}

static void print_tree(const Node *root, GArray *nodes, GArray *depths)
{
    g_autoptr(GString) line = g_string_new(NULL);

    printf("%s\n", root->uri);
    for (guint i = 0; i < nodes->len; i++) {
        const Node *node = &g_array_index(nodes, Node, i);
        guint depth = g_array_index(depths, guint, i);
        const char *name = strrchr(node->uri, '/') ? strrchr(node->uri, '/') + 1 : node->uri;

        g_string_truncate(line, 0);
        /* Each ancestor level draws a bar while it has children still to come. */
        for (guint level = 0; level < depth; level++) {
            gboolean more = FALSE;
            for (guint j = i; j-- > 0;) {
                if (g_array_index(depths, guint, j) == level) {
                    more = !is_last(depths, j);
                    break;
                }
            }
            g_string_append(line, more ? "│   " : "    ");
        }
        g_string_append(line, is_last(depths, i) ? "└── " : "├── ");
        g_string_append(line, name);
        if (!is_interior(node)) {
            g_autofree char *value = value_text(node, TRUE);
            g_string_append_printf(line, " = %s", value);
        }
        printf("%s\n", line->str);
    }
}

static void print_children(GArray *nodes)
{
    static const char *const headers[] = { "NAME", "FORMAT", "TYPE", "VALUE", NULL };
    g_autoptr(CtlTable) table = ctl_table_new(headers);

    for (guint i = 0; i < nodes->len; i++) {
        const Node *node = &g_array_index(nodes, Node, i);
        g_autofree char *value = is_interior(node) ? g_strdup("") : value_text(node, TRUE);
        const char *row[] = { strrchr(node->uri, '/') ? strrchr(node->uri, '/') + 1 : node->uri,
                              node->secret ? "" : node->format, node->secret ? "" : node->type,
                              value };
        ctl_table_add(table, row);
    }
    ctl_table_print(table);
}

static int tree_ls(CtlBus *bus, CtlOptions *options, const char *uri, gboolean recursive)
{
    g_auto(Node) root = { 0 };
    g_autoptr(GArray) nodes = g_array_new(FALSE, TRUE, sizeof(Node));
    g_autoptr(GArray) depths = g_array_new(FALSE, FALSE, sizeof(guint));
    int status;

    g_array_set_clear_func(nodes, (GDestroyNotify)node_clear);
    status = get_node(bus, uri, FALSE, &root);
    if (status != CTL_EXIT_OK)
        return status;
    if (!is_interior(&root))
        return ctl_fail(CTL_EXIT_DATAERR, "%s is a leaf: see dmscctl tree get", uri);
    status = collect(bus, &root, recursive, nodes, depths, 0);
    if (status != CTL_EXIT_OK)
        return status;
    if (options->json) {
        g_autoptr(JsonBuilder) builder = json_builder_new();
        g_autoptr(JsonNode) json = NULL;
        json_builder_begin_array(builder);
        for (guint i = 0; i < nodes->len; i++)
            add_node_json(builder, &g_array_index(nodes, Node, i));
        json_builder_end_array(builder);
        json = json_builder_get_root(builder);
        ctl_print_json(json);
    } else if (recursive) {
        print_tree(&root, nodes, depths);
    } else {
        print_children(nodes);
    }
    return CTL_EXIT_OK;
}

int ctl_tree(CtlOptions *options, int argc, char **argv)
{
    gboolean recursive = FALSE;
    const GOptionEntry entries[] = {
        { "recursive", 'r', 0, G_OPTION_ARG_NONE, &recursive,
          "ls: the whole subtree, with values, as a tree", NULL },
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(CtlBus) bus = NULL;
    int status;

    status = ctl_parse(options, &argc, &argv, "get URI | ls [-r] [URI]",
                       "The device's DM tree: one node (value, format, type), or the children of "
                       "an\ninterior node (default \".\"). Secrets are never shown.",
                       entries, TRUE, 1, 2);
    if (status >= 0)
        return status;
    if (g_str_equal(argv[1], "get")) {
        if (argc != 3)
            return ctl_fail(CTL_EXIT_USAGE, "tree get needs one node URI");
        if (recursive)
            return ctl_fail(CTL_EXIT_USAGE, "tree get has no --recursive");
    } else if (!g_str_equal(argv[1], "ls")) {
        return ctl_fail(CTL_EXIT_USAGE, "tree: \"%s\" is neither get nor ls", argv[1]);
    }
    status = ctl_bus_open(options->session_bus, &bus);
    if (status != CTL_EXIT_OK)
        return status;
    if (g_str_equal(argv[1], "get"))
        return tree_get(bus, options, argv[2]);
    return tree_ls(bus, options, argc == 3 ? argv[2] : ".", recursive);
}
