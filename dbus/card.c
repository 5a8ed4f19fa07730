/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Card objects (one fallback vtable for all of them) and the notification signal. */
#include "dbus-private.h"

#include <stddef.h>
#include <string.h>

static int get_ports(sd_bus *bus, const char *path, const char *interface, const char *property,
                     sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
    DbusApiCard *card = userdata;

    return sd_bus_message_append_array(reply, 'q', card->ports->data,
                                       card->ports->len * sizeof(guint16));
}

static const sd_bus_vtable card_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Modem", "s", NULL, offsetof(DbusApiCard, modem), SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Identifier", "s", NULL, offsetof(DbusApiCard, identifier),
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("ScwsPorts", "aq", get_ports, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("BootstrapState", "s", NULL, offsetof(DbusApiCard, bootstrap_state),
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("ServerId", "s", NULL, offsetof(DbusApiCard, server_id),
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("BootstrapRead", "t", NULL, offsetof(DbusApiCard, bootstrap_read),
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("LastTrigger", "t", NULL, offsetof(DbusApiCard, last_trigger),
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_VTABLE_END,
};

static DbusApiCard *find(DbusApiServer *server, const char *path)
{
    for (guint i = 0; i < server->cards->len; i++) {
        DbusApiCard *card = g_ptr_array_index(server->cards, i);
        if (g_str_equal(card->path, path))
            return card;
    }
    return NULL;
}

static int find_card(sd_bus *bus, const char *path, const char *interface, void *userdata,
                     void **found, sd_bus_error *error)
{
    DbusApiCard *card = find(userdata, path);

    if (card == NULL)
        return 0;
    *found = card;
    return 1;
}

static int enumerate_cards(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
                           sd_bus_error *error)
{
    DbusApiServer *server = userdata;
    /* sd-bus frees the list with free(): build it with malloc. */
    char **list = calloc(server->cards->len + 1, sizeof(char *));

    if (list == NULL)
        return -ENOMEM;
    for (guint i = 0; i < server->cards->len; i++)
        list[i] = strdup(((DbusApiCard *)g_ptr_array_index(server->cards, i))->path);
    *nodes = list;
    return 0;
}

void dbus_api_card_free(DbusApiCard *card)
{
    g_free(card->path);
    g_free(card->modem);
    g_free(card->identifier);
    g_free(card->bootstrap_state);
    g_free(card->server_id);
    g_array_unref(card->ports);
    g_free(card);
}

static int export_cards(DbusApiServer *server)
{
    int r;

    r = sd_bus_add_fallback_vtable(server->bus, &server->card_slot, DBUS_API_CARD_PREFIX,
                                   DBUS_API_CARD_INTERFACE, card_vtable, find_card, server);
    if (r < 0)
        return r;
    return sd_bus_add_node_enumerator(server->bus, &server->card_enumerator_slot,
                                      DBUS_API_CARD_PREFIX, enumerate_cards, server);
}

gboolean dbus_api_cards_export(DbusApiServer *server, GError **error)
{
    int r = export_cards(server);

    if (r < 0) {
        g_set_error(error, DBUS_API_ERROR, DBUS_API_ERROR_EXPORT, "cannot export cards: %s",
                    g_strerror(-r));
        return FALSE;
    }
    return TRUE;
}

const char *dbus_api_server_add_card(DbusApiServer *server, const char *modem)
{
    DbusApiCard *card = g_new0(DbusApiCard, 1);

    card->path = g_strdup_printf(DBUS_API_CARD_PREFIX "/%u", server->next_card++);
    card->modem = g_strdup(modem);
    card->identifier = g_strdup("");
    card->bootstrap_state = g_strdup("unknown");
    card->server_id = g_strdup("");
    card->ports = g_array_new(FALSE, FALSE, sizeof(guint16));
    g_ptr_array_add(server->cards, card);
    (void)sd_bus_emit_object_added(server->bus, card->path);
    return card->path;
}

void dbus_api_server_remove_card(DbusApiServer *server, const char *path)
{
    DbusApiCard *card = find(server, path);

    if (card == NULL)
        return;
    (void)sd_bus_emit_object_removed(server->bus, card->path);
    g_ptr_array_remove(server->cards, card);
}

/* Replaces one of the card's string properties and says so on the bus. */
static void set_string(DbusApiServer *server, const char *path, gsize offset, const char *property,
                       const char *value)
{
    DbusApiCard *card = find(server, path);
    char **field;

    if (card == NULL)
        return;
    field = (char **)((char *)card + offset);
    if (g_strcmp0(*field, value) == 0)
        return;
    g_free(*field);
    *field = g_strdup(value);
    (void)sd_bus_emit_properties_changed(server->bus, path, DBUS_API_CARD_INTERFACE, property,
                                         NULL);
}

void dbus_api_server_set_card_identifier(DbusApiServer *server, const char *path,
                                         const char *identifier)
{
    set_string(server, path, offsetof(DbusApiCard, identifier), "Identifier", identifier);
}

/* Sets one of the card's timestamps to now and says so on the bus. */
static void stamp(DbusApiServer *server, const char *path, gsize offset, const char *property)
{
    DbusApiCard *card = find(server, path);

    if (card == NULL)
        return;
    *(guint64 *)((char *)card + offset) = (guint64)g_get_real_time();
    (void)sd_bus_emit_properties_changed(server->bus, path, DBUS_API_CARD_INTERFACE, property,
                                         NULL);
}

void dbus_api_server_set_card_bootstrap_state(DbusApiServer *server, const char *path,
                                              const char *state)
{
    /* Every state past "reading" ends a read of the card's bootstrap, whatever it found. */
    if (!g_str_equal(state, "unknown") && !g_str_equal(state, "reading"))
        stamp(server, path, offsetof(DbusApiCard, bootstrap_read), "BootstrapRead");
    set_string(server, path, offsetof(DbusApiCard, bootstrap_state), "BootstrapState", state);
}

void dbus_api_server_set_card_server_id(DbusApiServer *server, const char *path,
                                        const char *server_id)
{
    set_string(server, path, offsetof(DbusApiCard, server_id), "ServerId",
               server_id ? server_id : "");
}

void dbus_api_server_set_card_ports(DbusApiServer *server, const char *path, const guint16 *ports,
                                    gsize n_ports)
{
    DbusApiCard *card = find(server, path);

    /* The card opens and closes its channels for every session; the ports rarely change. */
    if (card == NULL ||
        (card->ports->len == n_ports &&
         (n_ports == 0 || memcmp(card->ports->data, ports, n_ports * sizeof(*ports)) == 0)))
        return;
    g_array_set_size(card->ports, 0);
    g_array_append_vals(card->ports, ports, (guint)n_ports);
    (void)sd_bus_emit_properties_changed(server->bus, path, DBUS_API_CARD_INTERFACE, "ScwsPorts",
                                         NULL);
}

/* One {sv} entry of a vardict: @type 's', 'q', 'b' or 'o'. */
static int append_entry(sd_bus_message *m, const char *key, char type, const void *value)
{
    char signature[2] = { type, '\0' };
    int r;

    r = sd_bus_message_open_container(m, 'e', "sv");
    if (r < 0)
        return r;
    r = sd_bus_message_append(m, "s", key);
    if (r < 0)
        return r;
    r = sd_bus_message_open_container(m, 'v', signature);
    if (r < 0)
        return r;
    if (type == 'q')
        r = sd_bus_message_append(m, "q", *(const guint16 *)value);
    else if (type == 'b')
        r = sd_bus_message_append(m, "b", *(const int *)value);
    else
        r = sd_bus_message_append_basic(m, type, value);
    if (r < 0)
        return r;
    r = sd_bus_message_close_container(m);
    if (r < 0)
        return r;
    return sd_bus_message_close_container(m);
}

static int append_bytes_entry(sd_bus_message *m, const char *key, const guint8 *bytes, gsize length)
{
    int r;

    r = sd_bus_message_open_container(m, 'e', "sv");
    if (r < 0)
        return r;
    r = sd_bus_message_append(m, "s", key);
    if (r < 0)
        return r;
    r = sd_bus_message_open_container(m, 'v', "ay");
    if (r < 0)
        return r;
    r = sd_bus_message_append_array(m, 'y', bytes, length);
    if (r < 0)
        return r;
    r = sd_bus_message_close_container(m);
    if (r < 0)
        return r;
    return sd_bus_message_close_container(m);
}

static int emit_notification(DbusApiServer *server, const DbusApiNotification *n)
{
    g_autoptr(sd_bus_message) m = NULL;
    int verified = n->verified ? 1 : 0;
    int r;

    r = sd_bus_message_new_signal(server->bus, &m, DBUS_API_PATH, DBUS_API_MANAGER_INTERFACE,
                                  "NotificationReceived");
    if (r < 0)
        return r;
    r = sd_bus_message_open_container(m, 'a', "{sv}");
    if (r < 0)
        return r;
    r = append_entry(m, "origin", 's', n->origin);
    if (r < 0)
        return r;
    r = append_entry(m, "server-id", 's', n->server_id);
    if (r < 0)
        return r;
    r = append_entry(m, "session-id", 'q', &n->session_id);
    if (r < 0)
        return r;
    r = append_entry(m, "ui-mode", 's', n->ui_mode);
    if (r < 0)
        return r;
    r = append_entry(m, "initiator", 's', n->initiator);
    if (r < 0)
        return r;
    r = append_entry(m, "verified", 'b', &verified);
    if (r < 0)
        return r;
    if (n->card != NULL) {
        r = append_entry(m, "card", 'o', n->card);
        if (r < 0)
            return r;
    }
    r = append_bytes_entry(m, "package0", n->package0, n->package0_length);
    if (r < 0)
        return r;
    r = sd_bus_message_close_container(m);
    if (r < 0)
        return r;
    return sd_bus_send(server->bus, m, NULL);
}

void dbus_api_server_emit_notification(DbusApiServer *server, const DbusApiNotification *n)
{
    int r = emit_notification(server, n);

    if (n->card != NULL)
        stamp(server, n->card, offsetof(DbusApiCard, last_trigger), "LastTrigger");

    if (r < 0)
        g_warning("cannot emit NotificationReceived: %s", g_strerror(-r));
}
