/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the daemon does with modems and their cards (libmodem's events): a card object on the
 * bus while a card is in, its DM bootstrap in the tree (and out of it with the card), its
 * triggers and the network's turned into notifications and sessions, the IMEI as the DevId.
 */
#include "cards.h"

#include <string.h>

/* What the daemon keeps for one modem. */
typedef struct {
    char *card_path;      /* the card's D-Bus object while it is in */
    char *origin;         /* "card:<ICCID>" of the bootstrap last applied from this modem */
    char *claim;          /* "card:<ICCID>" of the card this modem has: its nodes stay */
    gboolean holds_sweep; /* it does not know its card yet: nobody's nodes may be swept */
} Record;

struct DmscdCards {
    DmscdTree *tree;
    DmscdSessions *sessions; /* may be NULL: notifications are only signalled */
    DbusApiServer *bus;
    GHashTable *records; /* Modem * → Record * */
};

static void record_free(Record *record)
{
    g_free(record->card_path);
    g_free(record->origin);
    g_free(record->claim);
    g_free(record);
}

static Record *record_of(DmscdCards *cards, Modem *modem)
{
    return modem != NULL ? g_hash_table_lookup(cards->records, modem) : NULL;
}

/* --- The tree's side of a card ---------------------------------------------------------------- */

/* Without an ICCID the card is known by its modem's device. */
static char *card_origin(Modem *modem, guint slot)
{
    const char *iccid = modem_get_card_iccid(modem, slot);
    return g_strconcat("card:", iccid ? iccid : modem_get_device_path(modem), NULL);
}

/* This modem has the card of @origin now (taken; NULL: none). */
static void claim_card(DmscdCards *cards, Record *record, char *origin)
{
    if (g_strcmp0(record->claim, origin) == 0) {
        g_free(origin);
        return;
    }
    dmscd_tree_release_card(cards->tree, record->claim);
    g_free(record->claim);
    record->claim = origin;
    if (origin != NULL)
        dmscd_tree_claim_card(cards->tree, origin);
}

/*
 * A card that now has no bootstrap takes its old nodes with it (one that cannot be read right
 * now keeps them; another card's bootstrap replaces them in one step).
 */
static void forget_card(DmscdCards *cards, Modem *modem, Record *record)
{
    g_autoptr(GError) error = NULL;
    guint removed = 0;

    if (record->origin == NULL)
        return;
    if (!dmscd_tree_remove_card(cards->tree, record->origin, &removed, &error)) {
        g_warning("card on %s: the DM tree keeps %s: %s", modem_get_device_path(modem),
                  record->origin, error->message);
        return;
    }
    g_message("card on %s: %u nodes of %s removed", modem_get_device_path(modem), removed,
              record->origin);
    g_clear_pointer(&record->origin, g_free);
}

/* The modem knows its card (read, or none): it no longer holds the sweep of absent cards'
 * nodes, which runs (nodes left by a card changed while dmscd did not run). */
static void settle(DmscdCards *cards, Modem *modem, Record *record)
{
    g_autoptr(GError) error = NULL;
    guint removed = 0;

    if (record->holds_sweep) {
        record->holds_sweep = FALSE;
        dmscd_tree_release_sweep(cards->tree);
    }
    if (!cards->tree->card_bootstrap)
        return;
    if (!dmscd_tree_sweep_cards(cards->tree, &removed, &error))
        g_warning("card on %s: nodes of absent cards stay: %s", modem_get_device_path(modem),
                  error->message);
    else if (removed > 0)
        g_message("card on %s: %u nodes of cards no modem has removed",
                  modem_get_device_path(modem), removed);
}

/* --- The card object ----------------------------------------------------------------------------
 */

static void add_card_object(DmscdCards *cards, Modem *modem, guint slot, Record *record)
{
    const char *identifier = modem_get_card_identifier(modem, slot);

    record->card_path =
        g_strdup(dbus_api_server_add_card(cards->bus, modem_get_device_path(modem)));
    if (identifier != NULL)
        dbus_api_server_set_card_identifier(cards->bus, record->card_path, identifier);
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE_ID", DMSCD_MESSAGE_CARD_ADDED,
                     "DMSCD_MODEM", modem_get_device_path(modem), "DMSCD_CARD", record->card_path,
                     "MESSAGE", "card on %s ready", modem_get_device_path(modem));
}

static void remove_card_object(DmscdCards *cards, Modem *modem, Record *record)
{
    if (record->card_path == NULL)
        return;
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE_ID", DMSCD_MESSAGE_CARD_REMOVED,
                     "DMSCD_MODEM", modem_get_device_path(modem), "MESSAGE", "card on %s removed",
                     modem_get_device_path(modem));
    dbus_api_server_remove_card(cards->bus, record->card_path);
    g_clear_pointer(&record->card_path, g_free);
}

static gboolean card_is_in(ModemCardState state)
{
    return state == MODEM_CARD_READING || state == MODEM_CARD_READY;
}

static void on_card_changed(Modem *modem, guint slot, ModemCardState old, gpointer user_data)
{
    DmscdCards *cards = user_data;
    Record *record = record_of(cards, modem);
    ModemCardState state = modem_get_card_state(modem, slot);

    if (!card_is_in(old) && card_is_in(state))
        add_card_object(cards, modem, slot, record);
    if (state == MODEM_CARD_READING)
        dbus_api_server_set_card_bootstrap_state(
            cards->bus, record->card_path, cards->tree->card_bootstrap ? "reading" : "disabled");
    if (card_is_in(old) && !card_is_in(state))
        remove_card_object(cards, modem, record);
    if (card_is_in(old) && state == MODEM_CARD_ABSENT) {
        /* Taken out: its nodes go with it (design §6); a modem that vanished keeps them. */
        if (cards->tree->card_bootstrap)
            forget_card(cards, modem, record);
        claim_card(cards, record, NULL);
    }
    if (state == MODEM_CARD_ABSENT)
        settle(cards, modem, record);
}

static void on_card_identified(Modem *modem, guint slot, const char *identifier, gpointer user_data)
{
    DmscdCards *cards = user_data;
    Record *record = record_of(cards, modem);

    if (record->card_path != NULL)
        dbus_api_server_set_card_identifier(cards->bus, record->card_path, identifier);
}

static const char *apply_bootstrap(DmscdCards *cards, Modem *modem, guint slot, Record *record,
                                   GBytes *data)
{
    g_autofree char *origin = card_origin(modem, slot);
    g_autofree char *server_id = NULL;
    g_autoptr(GError) error = NULL;

    if (!dmscd_tree_apply_bootstrap(cards->tree, record->origin, origin, data, &server_id,
                                    &error)) {
        g_warning("card on %s: its DM bootstrap (%zu bytes) is not applied: %s",
                  modem_get_device_path(modem), g_bytes_get_size(data), error->message);
        return "error";
    }
    g_message("card on %s: DM bootstrap of %zu bytes applied (server %s)",
              modem_get_device_path(modem), g_bytes_get_size(data), server_id ? server_id : "none");
    if (record->origin != NULL && g_strcmp0(record->origin, origin) != 0)
        g_message("card on %s: nodes of %s removed", modem_get_device_path(modem), record->origin);
    g_free(record->origin);
    record->origin = g_steal_pointer(&origin);
    dbus_api_server_set_card_server_id(cards->bus, record->card_path, server_id);
    return "applied";
}

static void on_card_bootstrap(Modem *modem, guint slot, GBytes *data, const GError *error,
                              gpointer user_data)
{
    DmscdCards *cards = user_data;
    Record *record = record_of(cards, modem);
    const char *state;

    if (data != NULL) {
        state = apply_bootstrap(cards, modem, slot, record, data);
    } else if (g_error_matches(error, MODEM_ERROR, MODEM_ERROR_MISSING)) {
        forget_card(cards, modem, record);
        dbus_api_server_set_card_server_id(cards->bus, record->card_path, NULL);
        state = "none";
    } else {
        dbus_api_server_set_card_bootstrap_state(cards->bus, record->card_path, "error");
        return;
    }
    dbus_api_server_set_card_bootstrap_state(cards->bus, record->card_path, state);
    /* The card is known now: what other cards left behind can go. */
    claim_card(cards, record, card_origin(modem, slot));
    settle(cards, modem, record);
}

static void on_card_ports(Modem *modem, guint slot, const guint16 *ports, gsize n,
                          gpointer user_data)
{
    DmscdCards *cards = user_data;
    Record *record = record_of(cards, modem);

    if (record->card_path != NULL)
        dbus_api_server_set_card_ports(cards->bus, record->card_path, ports, n);
    if (cards->sessions != NULL)
        dmscd_sessions_set_scws_ports(cards->sessions, ports, n);
}

/* --- Triggers ------------------------------------------------------------------------------------
 */

/* Signals a DM notification from @origin, and queues its session once it verified; FALSE when
 * it does not decode. */
static gboolean notify(DmscdCards *cards, const char *origin, const char *card_path,
                       const guint8 *package0, gsize length)
{
    g_autoptr(DmNotification) notification = dm_notification_parse(package0, length, NULL);

    if (notification == NULL) {
        g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE_ID",
                         DMSCD_MESSAGE_NOTIFICATION_REJECTED, "DMSCD_ORIGIN", origin, "MESSAGE",
                         "a DM notification from the %s does not decode", origin);
        return FALSE;
    }
    DbusApiNotification signal = {
        .origin = origin,
        .server_id = notification->server_id,
        .session_id = notification->session_id,
        .ui_mode = dm_ui_mode_name(notification->ui_mode),
        .initiator = notification->server_initiated ? "server" : "client",
        .card = card_path,
        .package0 = package0,
        .package0_length = length,
        .verified = dmscd_notification_check(cards->tree, origin, notification),
    };
    dbus_api_server_emit_notification(cards->bus, &signal);
    if (signal.verified && cards->sessions != NULL)
        dmscd_sessions_queue(cards->sessions, notification, origin);
    return TRUE;
}

static guint8 on_card_trigger(Modem *modem, guint slot, const guint8 *package0, gsize length,
                              gpointer user_data)
{
    DmscdCards *cards = user_data;
    Record *record = record_of(cards, modem);

    return notify(cards, "card", record->card_path, package0, length)
               ? CAT_RESULT_OK
               : CAT_RESULT_DATA_NOT_UNDERSTOOD;
}

static void on_network_trigger(Modem *modem, const guint8 *package0, gsize length,
                               gpointer user_data)
{
    DmscdCards *cards = user_data;
    Record *record = record_of(cards, modem);

    (void)notify(cards, "network", record != NULL ? record->card_path : NULL, package0, length);
}

/* --- The modem
 * ------------------------------------------------------------------------------------ */

static void on_imei(Modem *modem, const char *imei, gpointer user_data)
{
    DmscdCards *cards = user_data;
    g_autofree char *dev_id = g_strconcat("IMEI:", imei, NULL);
    g_autoptr(GError) error = NULL;
    gboolean changed = FALSE;

    if (!dmscd_tree_set_dev_id(cards->tree, modem_get_device_path(modem), dev_id, &changed, &error))
        g_warning("modem %s: the DevId is not saved: %s", modem_get_device_path(modem),
                  error->message);
    else if (changed)
        g_message("modem %s: its IMEI is the device's DevId now", modem_get_device_path(modem));
}

static void on_added(Modem *modem, gpointer user_data)
{
    DmscdCards *cards = user_data;
    Record *record = g_new0(Record, 1);

    /* Until it knows its card, the nodes of that card must not be swept by another modem. */
    record->holds_sweep = TRUE;
    dmscd_tree_hold_sweep(cards->tree);
    g_hash_table_insert(cards->records, modem, record);
}

static void on_removed(Modem *modem, gpointer user_data)
{
    DmscdCards *cards = user_data;
    Record *record = record_of(cards, modem);

    remove_card_object(cards, modem, record);
    dmscd_tree_release_dev_id(cards->tree, modem_get_device_path(modem));
    claim_card(cards, record, NULL);
    if (record->holds_sweep)
        dmscd_tree_release_sweep(cards->tree);
    g_hash_table_remove(cards->records, modem);
}

static const ModemEvents events = {
    .card_changed = on_card_changed,
    .card_identified = on_card_identified,
    .card_bootstrap = on_card_bootstrap,
    .card_ports = on_card_ports,
    .card_trigger = on_card_trigger,
    .network_trigger = on_network_trigger,
    .imei = on_imei,
    .added = on_added,
    .removed = on_removed,
};

const ModemEvents *dmscd_cards_events(void)
{
    return &events;
}

DmscdCards *dmscd_cards_new(DmscdTree *tree, DmscdSessions *sessions, DbusApiServer *bus)
{
    DmscdCards *cards = g_new0(DmscdCards, 1);

    cards->tree = tree;
    cards->sessions = sessions;
    cards->bus = bus;
    cards->records = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)record_free);
    return cards;
}

void dmscd_cards_free(DmscdCards *cards)
{
    if (cards == NULL)
        return;
    /* Every modem is freed first, and takes its record with it. */
    g_warn_if_fail(g_hash_table_size(cards->records) == 0);
    g_hash_table_unref(cards->records);
    g_free(cards);
}
