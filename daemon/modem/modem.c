/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One modem (configured, or found through ModemManager): the QmiDevice (through qmi-proxy, or
 * the configured proxy socket), its CAT2 client, its UIM watch and its SCWS gateways, as a
 * state machine: OPENING → STARTING → READY, WAITING when the device vanishes or fails (and
 * OPENING again a moment later), STOPPED when freed. The card is READING or READY only while
 * the modem is READY.
 */
#include "libmodem-private.h"

#define REOPEN_SECONDS 2

const char *modem_state_name(ModemState state)
{
    static const char *const names[] = {
        [MODEM_STATE_OPENING] = "opening", [MODEM_STATE_STARTING] = "starting",
        [MODEM_STATE_READY] = "ready",     [MODEM_STATE_WAITING] = "waiting",
        [MODEM_STATE_STOPPED] = "stopped",
    };
    return state < G_N_ELEMENTS(names) ? names[state] : "invalid";
}

const char *modem_get_device_path(Modem *modem)
{
    return modem->device_path;
}

ModemState modem_get_state(Modem *modem)
{
    return modem->state;
}

MMModemMessaging *modem_peek_messaging(Modem *modem)
{
    return modem->messaging;
}

void modem_set_messaging(Modem *modem, MMModemMessaging *messaging)
{
    g_clear_object(&modem->messaging);
    if (messaging != NULL)
        modem->messaging = g_object_ref(messaging);
}

void modem_set_sim_identifier(Modem *modem, const char *identifier)
{
    ModemCard *card = modem_card(modem, 1);

    g_free(modem->sim_identifier);
    modem->sim_identifier = g_strdup(identifier);
    if (card->iccid == NULL && identifier != NULL && identifier[0] != '\0' &&
        (card->state == MODEM_CARD_READING || card->state == MODEM_CARD_READY) &&
        modem->events->card_identified != NULL)
        modem->events->card_identified(modem, card->slot, identifier, modem->user_data);
}

static void modem_open(Modem *modem);

/* --- States --------------------------------------------------------------------------------- */

/* The modem's clients and gateways go; its card is no longer known. */
static void clients_free(Modem *modem)
{
    for (guint slot = 1; slot <= MODEM_MAX_SLOTS; slot++)
        modem_card_set_state(modem, modem_card(modem, slot), MODEM_CARD_UNKNOWN);
    g_clear_pointer(&modem->scws, modem_scws_free);
    g_clear_pointer(&modem->cat, modem_cat2_free);
    g_clear_pointer(&modem->bip, modem_bip_gateway_free);
    g_clear_pointer(&modem->uim, modem_uim_watch_free);
    modem->starting = 0;
}

static void drop_device(Modem *modem)
{
    clients_free(modem);
    if (modem->device != NULL && modem->removed_id != 0)
        g_signal_handler_disconnect(modem->device, modem->removed_id);
    modem->removed_id = 0;
    g_clear_object(&modem->device);
}

static gboolean on_reopen(gpointer user_data)
{
    Modem *modem = user_data;

    modem->reopen_id = 0;
    modem_open(modem);
    return G_SOURCE_REMOVE;
}

/* What UIM found when the modem became ready; without UIM the card is whatever CAT2 shows:
 * present while the modem is. */
static void look_at_card(Modem *modem)
{
    ModemUimCardState status;

    if (modem->uim == NULL) {
        modem_card_set_state(modem, modem_card(modem, 1), MODEM_CARD_READING);
        return;
    }
    status = modem_uim_watch_get_card_state(modem->uim);
    if (status == MODEM_UIM_CARD_PRESENT) {
        modem_card_set_state(modem, modem_card(modem, 1), MODEM_CARD_READING);
        return;
    }
    g_message("card on %s: %s", modem->device_path, modem_uim_card_state_name(status));
    modem_card_set_state(modem, modem_card(modem, 1), MODEM_CARD_ABSENT);
}

/* The one place the modem changes state. */
static void set_state(Modem *modem, ModemState state)
{
    if (modem->state == state)
        return;
    g_debug("modem %s: %s -> %s", modem->device_path, modem_state_name(modem->state),
            modem_state_name(state));
    modem->state = state;
    switch (state) {
    case MODEM_STATE_WAITING:
        drop_device(modem);
        if (modem->reopen_id == 0)
            modem->reopen_id = g_timeout_add_seconds(REOPEN_SECONDS, on_reopen, modem);
        break;
    case MODEM_STATE_READY:
        look_at_card(modem);
        break;
    case MODEM_STATE_STOPPED:
        drop_device(modem);
        break;
    case MODEM_STATE_OPENING:
    case MODEM_STATE_STARTING:
        break;
    }
}

/* One client's start has answered: the modem is ready when all have. */
static void client_started(Modem *modem)
{
    g_return_if_fail(modem->starting > 0);
    if (--modem->starting == 0)
        set_state(modem, MODEM_STATE_READY);
}

/* --- Gateways and the card ------------------------------------------------------------------ */

static void on_scws_changed(gpointer user_data)
{
    modem_publish_ports(user_data);
}

/* The card's SCWS channels start afresh: a card taken out took its channels with it. */
static void gateways_new(Modem *modem)
{
    g_clear_pointer(&modem->scws, modem_scws_free);
    g_clear_pointer(&modem->bip, modem_bip_gateway_free);
    modem->bip = modem_bip_gateway_new(&modem->options.scws, modem_on_bip_envelope, modem);
    modem->scws = modem_scws_new(modem->cat, &modem->options.scws, on_scws_changed, modem);
}

static void on_card_status(ModemUimWatch *watch, ModemUimCardState status, gpointer user_data)
{
    Modem *modem = user_data;
    ModemCard *card = modem_card(modem, 1);
    gboolean present = status == MODEM_UIM_CARD_PRESENT;

    g_message("card on %s: %s", modem->device_path, modem_uim_card_state_name(status));
    if (modem->state != MODEM_STATE_READY)
        return; /* the start's end looks at the card */
    if (!present && (card->state == MODEM_CARD_READING || card->state == MODEM_CARD_READY)) {
        /* Taken out: its channels are gone (design §6). */
        modem_card_set_state(modem, card, MODEM_CARD_ABSENT);
        gateways_new(modem);
    } else if (!present) {
        modem_card_set_state(modem, card, MODEM_CARD_ABSENT);
    } else if (card->state == MODEM_CARD_ABSENT || card->state == MODEM_CARD_UNKNOWN) {
        modem_card_set_state(modem, card, MODEM_CARD_READING);
    }
}

/* --- Opening and starting ------------------------------------------------------------------- */

static void on_device_removed(QmiDevice *device, gpointer user_data)
{
    Modem *modem = user_data;

    g_warning("modem %s vanished; waiting for it to come back", modem->device_path);
    set_state(modem, MODEM_STATE_WAITING);
}

static void on_uim_started(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Modem *modem = user_data;
    g_autoptr(GError) error = NULL;
    gboolean started = modem_uim_watch_start_finish(NULL, result, &error);

    /* The modem, or only its watch, went away meanwhile: nothing here to touch. */
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    if (!started) {
        g_warning("UIM on %s: %s; the card is taken as present", modem->device_path,
                  error->message);
        modem_uim_watch_stop_async(modem->uim, NULL, NULL);
        g_clear_pointer(&modem->uim, modem_uim_watch_free);
    }
    client_started(modem);
}

static void on_cat_started(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Modem *modem = user_data;
    g_autoptr(GError) error = NULL;
    gboolean started = modem_cat2_start_finish(NULL, result, &error);

    /* The modem, or only its client, went away meanwhile: nothing here to touch. */
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    if (!started) {
        g_warning("CAT on %s: %s", modem->device_path, error->message);
        set_state(modem, MODEM_STATE_WAITING);
        return;
    }
    g_message("modem %s: CAT2 client %u ready", modem->device_path, modem_cat2_get_cid(modem->cat));
    client_started(modem);
}

static void on_imei(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Modem *modem = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *imei = modem_dms_read_imei_finish(result, &error);

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    if (imei == NULL) {
        g_message("modem %s: no IMEI for the DevId: %s", modem->device_path, error->message);
        return;
    }
    /* The IMEI itself only at debug level, as the ICCID. */
    g_debug("modem %s: IMEI %s", modem->device_path, imei);
    if (modem->events->imei != NULL)
        modem->events->imei(modem, imei, modem->user_data);
}

static void on_opened(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Modem *modem = user_data;
    g_autoptr(GError) error = NULL;

    if (!qmi_device_open_finish(QMI_DEVICE(source), result, &error)) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        g_warning("cannot open %s: %s", modem->device_path, error->message);
        set_state(modem, MODEM_STATE_WAITING);
        return;
    }
    set_state(modem, MODEM_STATE_STARTING);
    modem->removed_id = g_signal_connect(modem->device, QMI_DEVICE_SIGNAL_REMOVED,
                                         G_CALLBACK(on_device_removed), modem);
    modem->cat = modem_cat2_new(modem->device, modem_on_command, modem);
    modem->cat_generation++;
    modem_cat2_set_refresh_handler(modem->cat, modem_on_cat_refresh, modem);
    gateways_new(modem);
    modem->uim = modem_uim_watch_new(modem->device, on_card_status, modem_on_uim_refresh, modem);
    modem->starting = 2;
    modem_uim_watch_start_async(modem->uim, modem->cancellable, on_uim_started, modem);
    modem_cat2_start_async(modem->cat, modem->cancellable, on_cat_started, modem);
    modem_dms_read_imei_async(modem->device, modem->cancellable, on_imei, modem);
}

static void on_created(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Modem *modem = user_data;
    g_autoptr(GError) error = NULL;
    GObject *device = g_async_initable_new_finish(G_ASYNC_INITABLE(source), result, &error);

    if (device == NULL) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        g_warning("cannot use %s: %s", modem->device_path, error->message);
        set_state(modem, MODEM_STATE_WAITING);
        return;
    }
    modem->device = QMI_DEVICE(device);
    /* Shared with ModemManager through qmi-proxy, as ModemManager opens its ports. */
    qmi_device_open(modem->device, QMI_DEVICE_OPEN_FLAGS_PROXY | QMI_DEVICE_OPEN_FLAGS_VERSION_INFO,
                    10, modem->cancellable, on_opened, modem);
}

static void modem_open(Modem *modem)
{
    g_autoptr(GFile) file = g_file_new_for_path(modem->device_path);

    set_state(modem, MODEM_STATE_OPENING);
    g_async_initable_new_async(QMI_TYPE_DEVICE, G_PRIORITY_DEFAULT, modem->cancellable, on_created,
                               modem, QMI_DEVICE_FILE, file, QMI_DEVICE_NO_FILE_CHECK,
                               modem->proxy_path != NULL, QMI_DEVICE_PROXY_PATH,
                               modem->proxy_path ? modem->proxy_path : QMI_PROXY_SOCKET_PATH, NULL);
}

Modem *modem_new(const char *device, const char *proxy_path, const ModemOptions *options,
                 const ModemEvents *events, gpointer user_data)
{
    Modem *modem = g_new0(Modem, 1);

    modem->device_path = g_strdup(device);
    modem->proxy_path = g_strdup(proxy_path);
    modem->options = *options;
    modem->events = events;
    modem->user_data = user_data;
    modem->cancellable = g_cancellable_new();
    for (guint slot = 1; slot <= MODEM_MAX_SLOTS; slot++)
        modem->cards[slot].slot = slot;
    if (events->added != NULL)
        events->added(modem, user_data);
    modem_open(modem);
    return modem;
}

/* @user_data: a reference on the count of stops still pending; late answers find it alive. */
static void on_stopped(GObject *source, GAsyncResult *result, gpointer user_data)
{
    guint *pending = user_data;

    (*pending)--;
    g_rc_box_release(pending);
}

/* Gives the client ids back, briefly waiting for the modem to take them. */
static void release_clients(Modem *modem)
{
    guint *pending = g_rc_box_new0(guint);
    gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;

    if (modem->cat != NULL && modem_cat2_get_cid(modem->cat) != 0) {
        (*pending)++;
        modem_cat2_stop_async(modem->cat, on_stopped, g_rc_box_acquire(pending));
    }
    if (modem->uim != NULL) {
        (*pending)++;
        modem_uim_watch_stop_async(modem->uim, on_stopped, g_rc_box_acquire(pending));
    }
    while (*pending > 0 && g_get_monotonic_time() < deadline) {
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(1000);
    }
    g_rc_box_release(pending);
}

void modem_free(Modem *modem)
{
    if (modem == NULL)
        return;
    g_cancellable_cancel(modem->cancellable);
    for (guint slot = 1; slot <= MODEM_MAX_SLOTS; slot++) {
        if (modem->cards[slot].reads != NULL)
            g_cancellable_cancel(modem->cards[slot].reads);
    }
    if (modem->reopen_id != 0)
        g_source_remove(modem->reopen_id);
    release_clients(modem);
    set_state(modem, MODEM_STATE_STOPPED);
    if (modem->events->removed != NULL)
        modem->events->removed(modem, modem->user_data);
    for (guint slot = 1; slot <= MODEM_MAX_SLOTS; slot++) {
        g_clear_object(&modem->cards[slot].reads);
        g_free(modem->cards[slot].iccid);
    }
    g_object_unref(modem->cancellable);
    g_clear_object(&modem->messaging);
    g_free(modem->device_path);
    g_free(modem->proxy_path);
    g_free(modem->sim_identifier);
    g_free(modem);
}
