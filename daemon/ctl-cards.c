/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dmscctl status, cards and card: the daemon and the cards it has, as the bus shows them. */
#include "ctl.h"

#include "dbus/dbus-api.h"

#include <stdio.h>

static void add_card_json(JsonBuilder *builder, const char *path, GVariant *p)
{
    g_autoptr(GVariant) ports = g_variant_lookup_value(p, "ScwsPorts", G_VARIANT_TYPE("aq"));
    gsize n = 0;
    const guint16 *values = ports ? g_variant_get_fixed_array(ports, &n, sizeof(guint16)) : NULL;

    json_builder_begin_object(builder);
    ctl_json_add_int(builder, "number", ctl_object_number(path));
    ctl_json_add_string(builder, "path", path);
    ctl_json_add_string(builder, "modem", ctl_prop_string(p, "Modem"));
    ctl_json_add_string(builder, "iccid", ctl_prop_string(p, "Identifier"));
    json_builder_set_member_name(builder, "scws_ports");
    json_builder_begin_array(builder);
    for (gsize i = 0; i < n; i++)
        json_builder_add_int_value(builder, values[i]);
    json_builder_end_array(builder);
    ctl_json_add_string(builder, "bootstrap_state", ctl_prop_string(p, "BootstrapState"));
    ctl_json_add_time(builder, "bootstrap_read", ctl_prop_uint64(p, "BootstrapRead"));
    ctl_json_add_string(builder, "server_id", ctl_prop_string(p, "ServerId"));
    ctl_json_add_time(builder, "last_trigger", ctl_prop_uint64(p, "LastTrigger"));
    json_builder_end_object(builder);
}

static void add_cards_json(JsonBuilder *builder, GArray *cards)
{
    json_builder_begin_array(builder);
    for (guint i = 0; i < cards->len; i++) {
        CtlObject *card = &g_array_index(cards, CtlObject, i);
        add_card_json(builder, card->path, card->properties);
    }
    json_builder_end_array(builder);
}

static void print_cards_table(GArray *cards)
{
    static const char *const headers[] = { ">CARD",     "MODEM",  "ICCID",        "SCWS",
                                           "BOOTSTRAP", "SERVER", "LAST TRIGGER", NULL };
    g_autoptr(CtlTable) table = ctl_table_new(headers);

    for (guint i = 0; i < cards->len; i++) {
        CtlObject *card = &g_array_index(cards, CtlObject, i);
        g_autofree char *number = g_strdup_printf("%u", ctl_object_number(card->path));
        g_autofree char *ports = ctl_format_ports(card->properties);
        g_autofree char *trigger =
            ctl_format_time(ctl_prop_uint64(card->properties, "LastTrigger"));
        const char *row[] = { number,
                              ctl_prop_string(card->properties, "Modem"),
                              ctl_prop_string(card->properties, "Identifier"),
                              ports,
                              ctl_prop_string(card->properties, "BootstrapState"),
                              ctl_prop_string(card->properties, "ServerId"),
                              trigger };
        ctl_table_add(table, row);
    }
    ctl_table_print(table);
}

static int read_cards(CtlBus *bus, GArray **cards)
{
    g_autoptr(GVariant) objects = NULL;
    int status = ctl_bus_get_objects(bus, &objects);

    if (status == CTL_EXIT_OK)
        *cards = ctl_objects_with(objects, DBUS_API_CARD_INTERFACE);
    return status;
}

int ctl_status(CtlOptions *options, int argc, char **argv)
{
    g_autoptr(CtlBus) bus = NULL;
    g_autoptr(GVariant) manager = NULL;
    g_autoptr(GArray) cards = NULL;
    int status;

    status = ctl_parse(options, &argc, &argv, NULL, "The daemon's version, state and cards.", NULL,
                       TRUE, 0, 0);
    if (status >= 0)
        return status;
    status = ctl_bus_open(options->session_bus, &bus);
    if (status == CTL_EXIT_OK)
        status = ctl_bus_get_properties(bus, DBUS_API_PATH, DBUS_API_MANAGER_INTERFACE, &manager);
    if (status == CTL_EXIT_OK)
        status = read_cards(bus, &cards);
    if (status != CTL_EXIT_OK)
        return status;

    if (options->json) {
        g_autoptr(JsonBuilder) builder = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        json_builder_begin_object(builder);
        ctl_json_add_string(builder, "version", ctl_prop_string(manager, "Version"));
        ctl_json_add_string(builder, "state", ctl_prop_string(manager, "State"));
        json_builder_set_member_name(builder, "cards");
        add_cards_json(builder, cards);
        json_builder_end_object(builder);
        root = json_builder_get_root(builder);
        ctl_print_json(root);
        return CTL_EXIT_OK;
    }
    printf("Version: %s\nState: %s\n", ctl_prop_string(manager, "Version"),
           ctl_prop_string(manager, "State"));
    if (cards->len > 0) {
        printf("\n");
        print_cards_table(cards);
    }
    return CTL_EXIT_OK;
}

int ctl_cards(CtlOptions *options, int argc, char **argv)
{
    g_autoptr(CtlBus) bus = NULL;
    g_autoptr(GArray) cards = NULL;
    int status;

    status = ctl_parse(options, &argc, &argv, NULL, "The cards dmscd has, one line each.", NULL,
                       TRUE, 0, 0);
    if (status >= 0)
        return status;
    status = ctl_bus_open(options->session_bus, &bus);
    if (status == CTL_EXIT_OK)
        status = read_cards(bus, &cards);
    if (status != CTL_EXIT_OK)
        return status;
    if (options->json) {
        g_autoptr(JsonBuilder) builder = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        add_cards_json(builder, cards);
        root = json_builder_get_root(builder);
        ctl_print_json(root);
        return CTL_EXIT_OK;
    }
    print_cards_table(cards);
    printf("\n%u card%s.\n", cards->len, cards->len == 1 ? "" : "s");
    return CTL_EXIT_OK;
}

int ctl_card(CtlOptions *options, int argc, char **argv)
{
    g_autoptr(CtlBus) bus = NULL;
    g_autoptr(GVariant) p = NULL;
    g_autofree char *path = NULL;
    int status;

    status = ctl_parse(options, &argc, &argv, "N|PATH",
                       "One card: its modem, ICCID, SCWS ports, bootstrap and what it last did.",
                       NULL, TRUE, 1, 1);
    if (status >= 0)
        return status;
    status = ctl_resolve(DBUS_API_CARD_PREFIX, "card", argv[1], &path);
    if (status == CTL_EXIT_OK)
        status = ctl_bus_open(options->session_bus, &bus);
    if (status == CTL_EXIT_OK)
        status = ctl_bus_get_properties(bus, path, DBUS_API_CARD_INTERFACE, &p);
    if (status != CTL_EXIT_OK)
        return status;
    if (options->json) {
        g_autoptr(JsonBuilder) builder = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        add_card_json(builder, path, p);
        root = json_builder_get_root(builder);
        ctl_print_json(root);
        return CTL_EXIT_OK;
    }

    g_autofree char *ports = ctl_format_ports(p);
    g_autofree char *read = ctl_format_time(ctl_prop_uint64(p, "BootstrapRead"));
    g_autofree char *trigger = ctl_format_time(ctl_prop_uint64(p, "LastTrigger"));
    ctl_print_field("Card", "%s", path);
    ctl_print_field("Modem", "%s", ctl_prop_string(p, "Modem"));
    ctl_print_field("ICCID", "%s", ctl_prop_string(p, "Identifier"));
    ctl_print_field("SCWS ports", "%s", ports);
    ctl_print_field("Bootstrap", "%s", ctl_prop_string(p, "BootstrapState"));
    ctl_print_field("Bootstrap read", "%s", read);
    ctl_print_field("DM server", "%s", ctl_prop_string(p, "ServerId"));
    ctl_print_field("Last trigger", "%s", trigger);
    return CTL_EXIT_OK;
}
