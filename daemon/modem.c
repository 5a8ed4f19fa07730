/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The modem side of the daemon for a configured device ([modem] device=): the QmiDevice
 * (through qmi-proxy, or the configured proxy socket), the CAT2 client, the BIP gateway and
 * the card object. Proactive commands are answered here: BIP by the gateway, a SEND SHORT
 * MESSAGE carrying a DM notification by taking it as a trigger, the rest by the defaults.
 */
#include "modem.h"

#include "card-sms.h"
#include "cat/cat.h"

#include <libqmi-glib.h>
#include <string.h>

#define REOPEN_SECONDS 2

struct DmscdModem {
    char *device_path;
    char *proxy_path;
    DbusApiServer *bus;
    QmiDevice *device;
    gulong removed_id;
    CatQmi *cat;
    guint cat_generation; /* a new CatQmi each time: late answers for an old one are dropped */
    MMModemMessaging *messaging; /* ModemManager's, when it manages the modem */
    CatBipServer *bip;
    CatScws *scws;
    CatUimWatch *uim;
    gboolean cat_ready;     /* the CAT2 client is registered */
    gboolean uim_settled;   /* the UIM watch started, or failed to */
    gboolean card_present;  /* as UIM says; taken as present when UIM cannot say */
    gboolean refresh_due;   /* the modem waits for Refresh Complete after our reads */
    gboolean refresh_read;  /* this REFRESH's files were read at its start */
    char *card_path;
    guint reopen_id;
    GCancellable *cancellable;
    GCancellable *reads; /* the card's ICCID and bootstrap, started again by a REFRESH */
    char *sim_identifier;
    char *iccid;          /* as read from EF ICCID */
    char *origin;         /* "card:<ICCID>" of the bootstrap last applied from this modem */
    DmscdTree *tree;      /* not owned: DevId from the IMEI, and the card's bootstrap */
};

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

/* --- Answers ---------------------------------------------------------------------------- */

static void on_tr_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;

    if (!cat_qmi_send_tr_finish(NULL, result, &error))
        g_warning("CAT: terminal response not delivered: %s", error->message);
}

static void on_envelope_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;

    if (!cat_qmi_send_envelope_finish(NULL, result, &error))
        g_warning("CAT: envelope not delivered: %s", error->message);
}

static void on_bip_envelope(GBytes *envelope, gpointer user_data)
{
    DmscdModem *modem = user_data;

    if (modem->cat != NULL)
        cat_qmi_send_envelope_async(modem->cat, 0x05, envelope, on_envelope_sent, NULL);
}

static GBytes *respond(const CatCommandDetails *details, guint8 general)
{
    g_autoptr(GByteArray) tr = cat_terminal_response_new(details, general, NULL, 0);
    return g_byte_array_free_to_bytes(g_steal_pointer(&tr));
}

/*
 * A SEND SHORT MESSAGE whose TPDU is a WAP push of a DM notification is a trigger: signalled
 * here. Returns the general result its TR owes: 00 taken, 32 a DM push that does not decode,
 * 30 not a trigger (dmscd does not send short messages for the card).
 */
static guint8 take_trigger(DmscdModem *modem, const CatMessage *command)
{
    const CatTlv *tpdu = cat_message_find(command, CAT_TAG_SMS_TPDU);
    g_autoptr(DmNotification) notification = NULL;
    CatSmsTpdu sms;
    CatWapPush push;

    if (tpdu == NULL || !cat_sms_parse(tpdu->value, tpdu->length, TRUE, &sms, NULL) ||
        (sms.has_ports && sms.dest_port != CAT_WSP_PORT_PUSH) ||
        !cat_wap_push_parse(sms.user_data, sms.user_data_length, &push, NULL) ||
        !push.is_dm_notification)
        return CAT_RESULT_BEYOND_CAPABILITIES;
    notification = dm_notification_parse(push.body, push.body_length, NULL);
    if (notification == NULL) {
        g_warning("CAT: a DM notification from the card does not decode");
        return CAT_RESULT_DATA_NOT_UNDERSTOOD;
    }
    DbusApiNotification signal = {
        .origin = "card",
        .server_id = notification->server_id,
        .session_id = notification->session_id,
        .ui_mode = dm_ui_mode_name(notification->ui_mode),
        .initiator = notification->server_initiated ? "server" : "client",
        .card = modem->card_path,
        .package0 = push.body,
        .package0_length = push.body_length,
    };
    g_message("DM notification from the card for server \"%s\", session %u",
              notification->server_id, notification->session_id);
    dbus_api_server_emit_notification(modem->bus, &signal);
    return CAT_RESULT_OK;
}

typedef struct {
    DmscdModem *modem;
    guint cat_generation;
    guint32 ref;
    CatCommandDetails details;
} ShortMessage;

static void on_short_message_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autofree ShortMessage *message = user_data;
    DmscdModem *modem = message->modem;
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) tr = NULL;
    static const guint8 no_cause = 0x00;

    if (!dmscd_card_sms_send_finish(result, &error)) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        g_warning("CAT: the card's short message was not sent: %s", error->message);
        tr = cat_terminal_response_new(&message->details, CAT_RESULT_NETWORK_UNABLE, &no_cause,
                                       1);
    } else {
        g_message("CAT: the card's short message was sent through ModemManager");
        tr = cat_terminal_response_new(&message->details, CAT_RESULT_OK, NULL, 0);
    }
    /* The CAT2 client that took the command may have gone with the modem since. */
    if (modem->cat == NULL || modem->cat_generation != message->cat_generation)
        return;
    cat_qmi_send_tr_async(modem->cat, message->ref,
                          g_byte_array_free_to_bytes(g_steal_pointer(&tr)), on_tr_sent, NULL);
}

/*
 * A short message of the card's own, not a trigger: sent through ModemManager when it manages
 * the modem, its TR owed once that is done. FALSE when it cannot be, for a TR at once.
 */
static gboolean send_short_message(DmscdModem *modem, guint32 ref, const CatMessage *command,
                                   const CatCommandDetails *details)
{
    const CatTlv *tpdu = cat_message_find(command, CAT_TAG_SMS_TPDU);
    g_autoptr(MMSmsProperties) properties = NULL;
    g_autoptr(GError) error = NULL;
    ShortMessage *message;

    if (modem->messaging == NULL || tpdu == NULL)
        return FALSE;
    properties = dmscd_card_sms_properties(tpdu->value, tpdu->length, details->qualifier & 0x01,
                                           &error);
    if (properties == NULL) {
        g_message("CAT: the card's short message is not sent: %s", error->message);
        return FALSE;
    }
    message = g_new0(ShortMessage, 1);
    message->modem = modem;
    message->cat_generation = modem->cat_generation;
    message->ref = ref;
    message->details = *details;
    dmscd_card_sms_send_async(modem->messaging, properties, modem->cancellable,
                              on_short_message_sent, message);
    return TRUE;
}

static void on_confirmation_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;

    if (!cat_qmi_send_event_confirmation_finish(NULL, result, &error))
        g_warning("CAT: event confirmation not delivered: %s", error->message);
}

/*
 * A network command the modem runs itself: a trigger in it is still seen, and the modem gets
 * the user's part. There is no user to accept a call; the rest needs no one's consent.
 */
static void confirm_command(DmscdModem *modem, const CatMessage *command,
                            const CatCommandDetails *details)
{
    gboolean confirmed = details->type != CAT_CMD_SET_UP_CALL;

    if (details->type == CAT_CMD_SEND_SHORT_MESSAGE)
        (void)take_trigger(modem, command);
    if (!confirmed)
        g_message("CAT: the card's SET UP CALL declined: no user to accept it");
    cat_qmi_send_event_confirmation_async(modem->cat, confirmed, FALSE, on_confirmation_sent,
                                          NULL);
}

/* Keeps the first of each port, in order: several channels may share one. */
static gsize unique_ports(guint16 *ports, gsize n)
{
    gsize kept = 0;

    for (gsize i = 0; i < n; i++) {
        gboolean seen = FALSE;
        for (gsize j = 0; j < kept && !seen; j++)
            seen = ports[j] == ports[i];
        if (!seen)
            ports[kept++] = ports[i];
    }
    return kept;
}

/* The card's SCWS ports, whichever way its channels came: raw BIP or QMI SCWS messages. */
static void publish_ports(DmscdModem *modem)
{
    CatBip *engine = cat_bip_server_peek_engine(modem->bip);
    guint16 ports[2 * CAT_BIP_MAX_CHANNELS];
    gsize n = 0;

    for (guint8 id = 1; id <= CAT_BIP_MAX_CHANNELS; id++) {
        if (cat_bip_channel_state(engine, id) != CAT_TCP_CLOSED)
            ports[n++] = cat_bip_channel_port(engine, id);
    }
    if (modem->scws != NULL)
        n += cat_scws_get_ports(modem->scws, ports + n, G_N_ELEMENTS(ports) - n);
    n = unique_ports(ports, n);
    if (modem->card_path != NULL)
        dbus_api_server_set_card_ports(modem->bus, modem->card_path, ports, n);
}

static void on_iccid(GObject *source, GAsyncResult *result, gpointer user_data);

/* The bootstrap is read after the ICCID: the nodes it creates are marked with it. */
static void read_card(DmscdModem *modem)
{
    if (modem->reads != NULL) {
        g_cancellable_cancel(modem->reads);
        g_object_unref(modem->reads);
    }
    modem->reads = g_cancellable_new();
    g_clear_pointer(&modem->iccid, g_free);
    cat_uim_read_iccid_async(modem->device, modem->reads, on_iccid, modem);
}

static void on_command(CatQmi *cat, guint32 ref, const guint8 *data, gsize length,
                       gpointer user_data)
{
    DmscdModem *modem = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(CatMessage) command = cat_message_parse(data, length, &error);
    g_autoptr(GBytes) tr = NULL;
    CatCommandDetails details;

    if (command == NULL) {
        g_warning("CAT: proactive command not understood: %s", error->message);
        tr = cat_error_response(data, length, error);
    } else {
        cat_message_get_command(command, &details);
        g_debug("CAT: proactive command 0x%02x", details.type);
        if (cat_qmi_modem_executes(cat, details.type)) {
            confirm_command(modem, command, &details);
            return;
        }
        if (cat_bip_handles(details.type))
            tr = cat_bip_server_handle_command(modem->bip, command);
        else if (details.type == CAT_CMD_SEND_SHORT_MESSAGE) {
            guint8 general = take_trigger(modem, command);
            if (general == CAT_RESULT_BEYOND_CAPABILITIES &&
                send_short_message(modem, ref, command, &details))
                return;
            tr = respond(&details, general);
        }
        else
            tr = cat_default_response(command);
        if (details.type == CAT_CMD_OPEN_CHANNEL || details.type == CAT_CMD_CLOSE_CHANNEL)
            publish_ports(modem);
    }
    if (tr != NULL)
        cat_qmi_send_tr_async(cat, ref, tr, on_tr_sent, NULL);
}

/*
 * Whatever files a REFRESH named, the card may have changed under them: its ICCID and
 * bootstrap are read again (a few reads) rather than matched against a file list.
 */
static void on_refresh(CatQmi *cat, guint16 mode, guint8 stage, gpointer user_data)
{
    DmscdModem *modem = user_data;

    /* UIM's own report, when the modem gives it, is the one followed. */
    if (modem->uim != NULL && cat_uim_watch_has_refresh(modem->uim))
        return;
    if (stage != CAT_QMI_REFRESH_SUCCESS || modem->card_path == NULL) {
        g_debug("card on %s: REFRESH mode %u, stage %u", modem->device_path, mode, stage);
        return;
    }
    g_message("card on %s: REFRESH (mode %u) done, reading the card again", modem->device_path,
              mode);
    read_card(modem);
}

/* --- Device lifecycle -------------------------------------------------------------------- */

static void on_scws_changed(gpointer user_data)
{
    publish_ports(user_data);
}

/* The card object goes; what the card's files gave stays until the card is known gone. */
static void remove_card_object(DmscdModem *modem)
{
    if (modem->reads != NULL)
        g_cancellable_cancel(modem->reads);
    modem->refresh_due = FALSE;
    modem->refresh_read = FALSE;
    if (modem->card_path != NULL) {
        g_message("card on %s removed", modem->device_path);
        dbus_api_server_remove_card(modem->bus, modem->card_path);
        g_clear_pointer(&modem->card_path, g_free);
    }
}

/* The modem's clients go with it. */
static void card_gone(DmscdModem *modem)
{
    remove_card_object(modem);
    g_clear_pointer(&modem->scws, cat_scws_free);
    g_clear_pointer(&modem->cat, cat_qmi_free);
    g_clear_pointer(&modem->bip, cat_bip_server_free);
    g_clear_pointer(&modem->uim, cat_uim_watch_free);
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

static void on_bootstrap(GObject *source, GAsyncResult *result, gpointer user_data);

/* The card has been read: a REFRESH that waits for us can complete. */
static void reads_done(DmscdModem *modem, gboolean ok)
{
    if (!modem->refresh_due)
        return;
    modem->refresh_due = FALSE;
    if (modem->uim != NULL)
        cat_uim_watch_refresh_complete(modem->uim, ok);
}

static void read_bootstrap(DmscdModem *modem)
{
    if (!modem->tree->card_bootstrap) {
        dbus_api_server_set_card_bootstrap_state(modem->bus, modem->card_path, "disabled");
        reads_done(modem, TRUE);
        return;
    }
    dbus_api_server_set_card_bootstrap_state(modem->bus, modem->card_path, "reading");
    cat_uim_read_bootstrap_async(modem->device, modem->reads, on_bootstrap, modem);
}

static void on_iccid(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmscdModem *modem = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *iccid = cat_uim_read_iccid_finish(result, &error);
    gsize length;

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || modem->card_path == NULL)
        return;
    if (iccid == NULL) {
        g_warning("card on %s: cannot read its ICCID: %s", modem->device_path, error->message);
        read_bootstrap(modem);
        return;
    }
    /* The whole ICCID only at debug level: it identifies the subscriber's card. */
    length = strlen(iccid);
    g_message("card on %s: ICCID ...%s", modem->device_path, iccid + (length > 4 ? length - 4 : 0));
    g_debug("card on %s: ICCID %s", modem->device_path, iccid);
    dbus_api_server_set_card_identifier(modem->bus, modem->card_path, iccid);
    g_free(modem->iccid);
    modem->iccid = g_steal_pointer(&iccid);
    read_bootstrap(modem);
}

/*
 * A card that now has no bootstrap takes its old nodes with it (one that cannot be read right
 * now keeps them; another card's bootstrap replaces them in one step).
 */
static void forget_card(DmscdModem *modem)
{
    g_autoptr(GError) error = NULL;
    guint removed = 0;

    if (modem->origin == NULL)
        return;
    if (!dmscd_tree_remove_card(modem->tree, modem->origin, &removed, &error)) {
        g_warning("card on %s: the DM tree keeps %s: %s", modem->device_path, modem->origin,
                  error->message);
        return;
    }
    g_message("card on %s: %u nodes of %s removed", modem->device_path, removed, modem->origin);
    g_clear_pointer(&modem->origin, g_free);
}

/* Without an ICCID the card is known by its modem's device. */
static const char *apply_bootstrap(DmscdModem *modem, GBytes *data)
{
    g_autofree char *origin =
        g_strconcat("card:", modem->iccid ? modem->iccid : modem->device_path, NULL);
    g_autofree char *server_id = NULL;
    g_autoptr(GError) error = NULL;

    if (!dmscd_tree_apply_bootstrap(modem->tree, modem->origin, origin, data, &server_id,
                                    &error)) {
        g_warning("card on %s: its DM bootstrap (%zu bytes) is not applied: %s", modem->device_path,
                  g_bytes_get_size(data), error->message);
        return "error";
    }
    g_message("card on %s: DM bootstrap of %zu bytes applied (server %s)", modem->device_path,
              g_bytes_get_size(data), server_id ? server_id : "none");
    if (modem->origin != NULL && g_strcmp0(modem->origin, origin) != 0)
        g_message("card on %s: nodes of %s removed", modem->device_path, modem->origin);
    g_free(modem->origin);
    modem->origin = g_steal_pointer(&origin);
    dbus_api_server_set_card_server_id(modem->bus, modem->card_path, server_id);
    return "applied";
}

static void on_bootstrap(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmscdModem *modem = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) data = cat_uim_read_bootstrap_finish(result, &error);
    const char *state;
    gboolean read = TRUE;

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || modem->card_path == NULL)
        return;
    if (data != NULL) {
        state = apply_bootstrap(modem, data);
    } else if (g_error_matches(error, CAT_ERROR, CAT_ERROR_MISSING)) {
        g_message("card on %s: no DM bootstrap (%s)", modem->device_path, error->message);
        forget_card(modem);
        dbus_api_server_set_card_server_id(modem->bus, modem->card_path, NULL);
        state = "none";
    } else {
        g_warning("card on %s: cannot read the DM bootstrap: %s", modem->device_path,
                  error->message);
        state = "error";
        read = FALSE;
    }
    dbus_api_server_set_card_bootstrap_state(modem->bus, modem->card_path, state);
    /* A bootstrap that was read but refused is still a REFRESH done. */
    reads_done(modem, read);
}

static void add_card_object(DmscdModem *modem)
{
    modem->card_path = g_strdup(dbus_api_server_add_card(modem->bus, modem->device_path));
    /* The card may have opened its channels while the client was still starting. */
    publish_ports(modem);
    if (modem->sim_identifier != NULL && modem->sim_identifier[0] != '\0')
        dbus_api_server_set_card_identifier(modem->bus, modem->card_path, modem->sim_identifier);
    g_message("card on %s ready (CAT2 client %u)", modem->device_path, cat_qmi_get_cid(modem->cat));
    read_card(modem);
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

static void on_card_state(CatUimWatch *watch, CatUimCardState state, gpointer user_data)
{
    DmscdModem *modem = user_data;
    gboolean was_present = modem->card_present;

    g_message("card on %s: %s", modem->device_path, cat_uim_card_state_name(state));
    modem->card_present = state == CAT_UIM_CARD_PRESENT;
    if (was_present && !modem->card_present) {
        /* Taken out: its channels are gone, and so are its nodes (design §6). */
        remove_card_object(modem);
        g_clear_pointer(&modem->scws, cat_scws_free);
        g_clear_pointer(&modem->bip, cat_bip_server_free);
        modem->bip = cat_bip_server_new(on_bip_envelope, modem);
        modem->scws = cat_scws_new(modem->cat, on_scws_changed, modem);
        if (modem->tree->card_bootstrap)
            forget_card(modem);
    }
    update_card(modem);
}

static gboolean refresh_changes_files(guint mode)
{
    /* QMI UIM modes 2 init + FCN, 3 FCN, 4 init + full FCN: the files are readable at once. */
    return mode == 2 || mode == 3 || mode == 4;
}

/*
 * A REFRESH that names files (or all of them) lets us read at its start and then tells the
 * modem we are done; one that resets the card is followed by a read once it has ended well.
 */
static void on_uim_refresh(CatUimWatch *watch, guint stage, guint mode, gpointer user_data)
{
    DmscdModem *modem = user_data;

    if (modem->card_path == NULL)
        return;
    switch (stage) {
    case CAT_UIM_REFRESH_START:
        if (!refresh_changes_files(mode))
            break;
        g_message("card on %s: REFRESH (mode %u) of its files, reading the card again",
                  modem->device_path, mode);
        modem->refresh_due = TRUE;
        modem->refresh_read = TRUE;
        read_card(modem);
        break;
    case CAT_UIM_REFRESH_SUCCESS:
        if (modem->refresh_read) {
            modem->refresh_read = FALSE;
            break;
        }
        g_message("card on %s: REFRESH (mode %u) done, reading the card again",
                  modem->device_path, mode);
        read_card(modem);
        break;
    case CAT_UIM_REFRESH_FAILURE:
        modem->refresh_read = FALSE;
        g_message("card on %s: REFRESH (mode %u) failed", modem->device_path, mode);
        break;
    default:
        g_debug("card on %s: REFRESH mode %u, stage %u", modem->device_path, mode, stage);
        break;
    }
}

static void on_uim_started(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmscdModem *modem = user_data;
    g_autoptr(GError) error = NULL;
    CatUimCardState state;

    if (g_cancellable_is_cancelled(modem->cancellable) || modem->uim == NULL)
        return;
    if (!cat_uim_watch_start_finish(modem->uim, result, &error)) {
        /* Without UIM the card is whatever CAT2 shows: present while the modem is. */
        g_warning("UIM on %s: %s; the card is taken as present", modem->device_path,
                  error->message);
        cat_uim_watch_stop_async(modem->uim, NULL, NULL);
        g_clear_pointer(&modem->uim, cat_uim_watch_free);
        modem->card_present = TRUE;
    } else {
        state = cat_uim_watch_get_card_state(modem->uim);
        modem->card_present = state == CAT_UIM_CARD_PRESENT;
        if (!modem->card_present)
            g_message("card on %s: %s", modem->device_path, cat_uim_card_state_name(state));
    }
    modem->uim_settled = TRUE;
    update_card(modem);
}

static void on_cat_started(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmscdModem *modem = user_data;
    g_autoptr(GError) error = NULL;

    if (g_cancellable_is_cancelled(modem->cancellable))
        return;
    if (!cat_qmi_start_finish(modem->cat, result, &error)) {
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
    g_autofree char *imei = cat_dms_read_imei_finish(result, &error);
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
    modem->bip = cat_bip_server_new(on_bip_envelope, modem);
    modem->cat = cat_qmi_new(modem->device, on_command, modem);
    modem->cat_generation++;
    cat_qmi_set_refresh_handler(modem->cat, on_refresh, modem);
    modem->scws = cat_scws_new(modem->cat, on_scws_changed, modem);
    modem->uim = cat_uim_watch_new(modem->device, on_card_state, on_uim_refresh, modem);
    cat_uim_watch_start_async(modem->uim, modem->cancellable, on_uim_started, modem);
    cat_qmi_start_async(modem->cat, modem->cancellable, on_cat_started, modem);
    cat_dms_read_imei_async(modem->device, modem->cancellable, on_imei, modem);
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
                            DbusApiServer *bus)
{
    DmscdModem *modem = g_new0(DmscdModem, 1);

    modem->tree = tree;
    modem->device_path = g_strdup(device);
    modem->proxy_path = g_strdup(proxy_path);
    modem->bus = bus;
    modem->cancellable = g_cancellable_new();
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
    if (modem->cat != NULL && cat_qmi_get_cid(modem->cat) != 0) {
        (*pending)++;
        cat_qmi_stop_async(modem->cat, on_stopped, g_rc_box_acquire(pending));
    }
    if (modem->uim != NULL) {
        (*pending)++;
        cat_uim_watch_stop_async(modem->uim, on_stopped, g_rc_box_acquire(pending));
    }
    while (*pending > 0 && g_get_monotonic_time() < deadline) {
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(1000);
    }
    g_rc_box_release(pending);
    drop_device(modem);
    dmscd_tree_release_dev_id(modem->tree, modem->device_path);
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
