/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The modem side of the daemon for one modem (configured or found through ModemManager): the
 * QmiDevice (through qmi-proxy, or the configured proxy socket), the CAT2 client, the UIM
 * watch, the SCWS gateways and the card object, which exists while CAT2 runs and a card is in.
 */
#include "modem-private.h"

#define REOPEN_SECONDS 2

const char *dmscd_modem_get_card_path(DmscdModem *modem)
{
    return modem->card_path;
}

MMModemMessaging *dmscd_modem_peek_messaging(DmscdModem *modem)
{
    return modem->messaging;
}

void dmscd_modem_set_messaging(DmscdModem *modem, MMModemMessaging *messaging)
{
    g_clear_object(&modem->messaging);
    if (messaging != NULL)
        modem->messaging = g_object_ref(messaging);
}

void dmscd_modem_set_sim_identifier(DmscdModem *modem, const char *identifier)
{
    g_free(modem->sim_identifier);
    modem->sim_identifier = g_strdup(identifier);
    if (modem->card_path != NULL && identifier != NULL && identifier[0] != '\0')
        dbus_api_server_set_card_identifier(modem->bus, modem->card_path, identifier);
}

static void modem_open(DmscdModem *modem);

/* --- Device lifecycle -------------------------------------------------------------------- */

static void on_scws_changed(gpointer user_data)
{
    modem_publish_ports(user_data);
}

/* The card object goes; what the card's files gave stays until the card is known gone. */
static void remove_card_object(DmscdModem *modem)
{
    if (modem->reads != NULL)
        g_cancellable_cancel(modem->reads);
    modem->refresh_due = FALSE;
    modem->refresh_read = FALSE;
    if (modem->card_path != NULL) {
        g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE_ID",
                         DMSCD_MESSAGE_CARD_REMOVED, "DMSCD_MODEM", modem->device_path, "MESSAGE",
                         "card on %s removed", modem->device_path);
        dbus_api_server_remove_card(modem->bus, modem->card_path);
        g_clear_pointer(&modem->card_path, g_free);
    }
}

/* The modem's clients go with it. */
static void card_gone(DmscdModem *modem)
{
    remove_card_object(modem);
    g_clear_pointer(&modem->scws, modem_scws_free);
    g_clear_pointer(&modem->cat, modem_cat2_free);
    g_clear_pointer(&modem->bip, modem_bip_gateway_free);
    g_clear_pointer(&modem->uim, modem_uim_watch_free);
    modem->cat_ready = FALSE;
    modem->uim_settled = FALSE;
    modem->card_present = FALSE;
}

static gboolean on_reopen(gpointer user_data)
{
    DmscdModem *modem = user_data;

    modem->reopen_id = 0;
    modem_open(modem);
    return G_SOURCE_REMOVE;
}

static void schedule_reopen(DmscdModem *modem)
{
    if (modem->reopen_id == 0 && !g_cancellable_is_cancelled(modem->cancellable))
        modem->reopen_id = g_timeout_add_seconds(REOPEN_SECONDS, on_reopen, modem);
}

static void drop_device(DmscdModem *modem)
{
    card_gone(modem);
    if (modem->device != NULL && modem->removed_id != 0)
        g_signal_handler_disconnect(modem->device, modem->removed_id);
    modem->removed_id = 0;
    g_clear_object(&modem->device);
}

static void on_device_removed(QmiDevice *device, gpointer user_data)
{
    DmscdModem *modem = user_data;

    g_warning("modem %s vanished; waiting for it to come back", modem->device_path);
    drop_device(modem);
    schedule_reopen(modem);
}

static void add_card_object(DmscdModem *modem)
{
    modem->card_path = g_strdup(dbus_api_server_add_card(modem->bus, modem->device_path));
    /* The card may have opened its channels while the client was still starting. */
    modem_publish_ports(modem);
    if (modem->sim_identifier != NULL && modem->sim_identifier[0] != '\0')
        dbus_api_server_set_card_identifier(modem->bus, modem->card_path, modem->sim_identifier);
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE_ID", DMSCD_MESSAGE_CARD_ADDED,
                     "DMSCD_MODEM", modem->device_path, "DMSCD_CARD", modem->card_path, "MESSAGE",
                     "card on %s ready (CAT2 client %u)", modem->device_path,
                     modem_cat2_get_cid(modem->cat));
    modem_read_card(modem);
}

/* A card object while CAT2 runs and UIM says a card is in (or cannot say). */
static void update_card(DmscdModem *modem)
{
    gboolean wanted = modem->cat_ready && modem->uim_settled && modem->card_present;

    if (wanted && modem->card_path == NULL)
        add_card_object(modem);
    else if (!wanted && modem->card_path != NULL)
        remove_card_object(modem);
}

static void on_card_state(ModemUimWatch *watch, ModemUimCardState state, gpointer user_data)
{
    DmscdModem *modem = user_data;
    gboolean was_present = modem->card_present;

    g_message("card on %s: %s", modem->device_path, modem_uim_card_state_name(state));
    modem->card_present = state == MODEM_UIM_CARD_PRESENT;
    if (was_present && !modem->card_present) {
        /* Taken out: its channels are gone, and so are its nodes (design §6). */
        remove_card_object(modem);
        g_clear_pointer(&modem->scws, modem_scws_free);
        g_clear_pointer(&modem->bip, modem_bip_gateway_free);
        modem->bip = modem_bip_gateway_new(modem_on_bip_envelope, modem);
        modem->scws = modem_scws_new(modem->cat, on_scws_changed, modem);
        if (modem->tree->card_bootstrap)
            modem_forget_card(modem);
        modem_claim_card(modem, NULL);
    }
    if (!modem->card_present)
        modem_settle(modem);
    update_card(modem);
}

static void on_uim_started(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmscdModem *modem = user_data;
    g_autoptr(GError) error = NULL;
    gboolean started = modem_uim_watch_start_finish(NULL, result, &error);
    ModemUimCardState state;

    /* The modem, or only its watch, went away meanwhile: nothing here to touch. */
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    if (!started) {
        /* Without UIM the card is whatever CAT2 shows: present while the modem is. */
        g_warning("UIM on %s: %s; the card is taken as present", modem->device_path,
                  error->message);
        modem_uim_watch_stop_async(modem->uim, NULL, NULL);
        g_clear_pointer(&modem->uim, modem_uim_watch_free);
        modem->card_present = TRUE;
    } else {
        state = modem_uim_watch_get_card_state(modem->uim);
        modem->card_present = state == MODEM_UIM_CARD_PRESENT;
        if (!modem->card_present) {
            g_message("card on %s: %s", modem->device_path, modem_uim_card_state_name(state));
            modem_settle(modem);
        }
    }
    modem->uim_settled = TRUE;
    update_card(modem);
}

static void on_cat_started(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmscdModem *modem = user_data;
    g_autoptr(GError) error = NULL;
    gboolean started = modem_cat2_start_finish(NULL, result, &error);

    /* The modem, or only its client, went away meanwhile: nothing here to touch. */
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    if (!started) {
        g_warning("CAT on %s: %s", modem->device_path, error->message);
        drop_device(modem);
        schedule_reopen(modem);
        return;
    }
    modem->cat_ready = TRUE;
    update_card(modem);
}

static void on_imei(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmscdModem *modem = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *imei = modem_dms_read_imei_finish(result, &error);
    g_autofree char *dev_id = NULL;
    gboolean changed = FALSE;

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    if (imei == NULL) {
        g_message("modem %s: no IMEI for the DevId: %s", modem->device_path, error->message);
        return;
    }
    /* The IMEI itself only at debug level, as the ICCID. */
    g_debug("modem %s: IMEI %s", modem->device_path, imei);
    dev_id = g_strconcat("IMEI:", imei, NULL);
    if (!dmscd_tree_set_dev_id(modem->tree, modem->device_path, dev_id, &changed, &error))
        g_warning("modem %s: the DevId is not saved: %s", modem->device_path, error->message);
    else if (changed)
        g_message("modem %s: its IMEI is the device's DevId now", modem->device_path);
}

static void on_opened(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmscdModem *modem = user_data;
    g_autoptr(GError) error = NULL;

    if (!qmi_device_open_finish(QMI_DEVICE(source), result, &error)) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        g_warning("cannot open %s: %s", modem->device_path, error->message);
        drop_device(modem);
        schedule_reopen(modem);
        return;
    }
    modem->removed_id = g_signal_connect(modem->device, QMI_DEVICE_SIGNAL_REMOVED,
                                         G_CALLBACK(on_device_removed), modem);
    modem->bip = modem_bip_gateway_new(modem_on_bip_envelope, modem);
    modem->cat = modem_cat2_new(modem->device, modem_on_command, modem);
    modem->cat_generation++;
    modem_cat2_set_refresh_handler(modem->cat, modem_on_cat_refresh, modem);
    modem->scws = modem_scws_new(modem->cat, on_scws_changed, modem);
    modem->uim = modem_uim_watch_new(modem->device, on_card_state, modem_on_uim_refresh, modem);
    modem_uim_watch_start_async(modem->uim, modem->cancellable, on_uim_started, modem);
    modem_cat2_start_async(modem->cat, modem->cancellable, on_cat_started, modem);
    modem_dms_read_imei_async(modem->device, modem->cancellable, on_imei, modem);
}

static void on_created(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmscdModem *modem = user_data;
    g_autoptr(GError) error = NULL;
    GObject *device = g_async_initable_new_finish(G_ASYNC_INITABLE(source), result, &error);

    if (device == NULL) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        g_warning("cannot use %s: %s", modem->device_path, error->message);
        schedule_reopen(modem);
        return;
    }
    modem->device = QMI_DEVICE(device);
    /* Shared with ModemManager through qmi-proxy, as ModemManager opens its ports. */
    qmi_device_open(modem->device, QMI_DEVICE_OPEN_FLAGS_PROXY | QMI_DEVICE_OPEN_FLAGS_VERSION_INFO,
                    10, modem->cancellable, on_opened, modem);
}

static void modem_open(DmscdModem *modem)
{
    g_autoptr(GFile) file = g_file_new_for_path(modem->device_path);

    g_async_initable_new_async(QMI_TYPE_DEVICE, G_PRIORITY_DEFAULT, modem->cancellable, on_created,
                               modem, QMI_DEVICE_FILE, file, QMI_DEVICE_NO_FILE_CHECK,
                               modem->proxy_path != NULL, QMI_DEVICE_PROXY_PATH,
                               modem->proxy_path ? modem->proxy_path : QMI_PROXY_SOCKET_PATH, NULL);
}

DmscdModem *dmscd_modem_new(const char *device, const char *proxy_path, DmscdTree *tree,
                            DmscdSessions *sessions, DbusApiServer *bus)
{
    DmscdModem *modem = g_new0(DmscdModem, 1);

    modem->tree = tree;
    modem->sessions = sessions;
    modem->device_path = g_strdup(device);
    modem->proxy_path = g_strdup(proxy_path);
    modem->bus = bus;
    modem->cancellable = g_cancellable_new();
    dmscd_tree_hold_sweep(tree);
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

void dmscd_modem_free(DmscdModem *modem)
{
    guint *pending = NULL;
    gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;

    if (modem == NULL)
        return;
    g_cancellable_cancel(modem->cancellable);
    if (modem->reads != NULL)
        g_cancellable_cancel(modem->reads);
    if (modem->reopen_id != 0)
        g_source_remove(modem->reopen_id);
    /* Give the client ids back, briefly waiting for the modem to take them. */
    pending = g_rc_box_new0(guint);
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
    drop_device(modem);
    dmscd_tree_release_dev_id(modem->tree, modem->device_path);
    modem_claim_card(modem, NULL);
    if (!modem->settled)
        dmscd_tree_release_sweep(modem->tree);
    g_object_unref(modem->cancellable);
    g_clear_object(&modem->reads);
    g_clear_object(&modem->messaging);
    g_free(modem->device_path);
    g_free(modem->proxy_path);
    g_free(modem->sim_identifier);
    g_free(modem->iccid);
    g_free(modem->origin);
    g_free(modem);
}
