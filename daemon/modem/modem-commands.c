/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The card's proactive commands: BIP by the gateway, a SEND SHORT MESSAGE carrying a DM
 * notification taken as a trigger (others sent through ModemManager when it manages the
 * modem), the network commands the modem runs itself confirmed, the rest by the defaults.
 */
#include "libmodem-private.h"

void modem_on_bip_envelope(GBytes *envelope, gpointer user_data)
{
    Modem *modem = user_data;

    if (modem->cat != NULL)
        modem_cat2_send_envelope_async(modem->cat, 0x05, envelope, NULL, NULL);
}

static GBytes *respond(const CatCommandDetails *details, guint8 general)
{
    g_autoptr(GByteArray) tr = cat_terminal_response_new(details, general, NULL, 0);
    return g_byte_array_free_to_bytes(g_steal_pointer(&tr));
}

/*
 * A SEND SHORT MESSAGE whose TPDU is a WAP push of a DM notification is a trigger: handed to
 * the daemon. Returns the general result its TR owes: 00 taken, 32 a DM push that does not
 * decode, 30 not a trigger.
 */
static guint8 take_trigger(Modem *modem, const CatMessage *command)
{
    const CatTlv *tpdu = cat_message_find(command, CAT_TAG_SMS_TPDU);
    CatSmsTpdu sms;
    CatWapPush push;

    if (tpdu == NULL || !cat_sms_parse(tpdu->value, tpdu->length, TRUE, &sms, NULL) ||
        (sms.has_ports && sms.dest_port != CAT_WSP_PORT_PUSH) ||
        !cat_wap_push_parse(sms.user_data, sms.user_data_length, &push, NULL) ||
        !push.is_dm_notification)
        return CAT_RESULT_BEYOND_CAPABILITIES;
    /* Consumed whatever the daemon makes of it: a trigger never goes to the network. */
    if (modem->events->card_trigger == NULL)
        return CAT_RESULT_OK;
    return modem->events->card_trigger(modem, 1, push.body, push.body_length, modem->user_data);
}

typedef struct {
    Modem *modem;
    guint cat_generation;
    guint32 ref;
    CatCommandDetails details;
} ShortMessage;

static void on_short_message_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autofree ShortMessage *message = user_data;
    Modem *modem = message->modem;
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) tr = NULL;
    static const guint8 no_cause = 0x00;

    if (!modem_card_sms_send_finish(result, &error)) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        g_warning("CAT: the card's short message was not sent: %s", error->message);
        tr = cat_terminal_response_new(&message->details, CAT_RESULT_NETWORK_UNABLE, &no_cause, 1);
    } else {
        g_message("CAT: the card's short message was sent through ModemManager");
        tr = cat_terminal_response_new(&message->details, CAT_RESULT_OK, NULL, 0);
    }
    /* The CAT2 client that took the command may have gone with the modem since. */
    if (modem->cat == NULL || modem->cat_generation != message->cat_generation)
        return;
    modem_cat2_send_tr_async(modem->cat, message->ref,
                             g_byte_array_free_to_bytes(g_steal_pointer(&tr)), NULL, NULL);
}

/*
 * A short message of the card's own, not a trigger: sent through ModemManager when it manages
 * the modem, its TR owed once that is done. FALSE when it cannot be, for a TR at once.
 */
static gboolean send_short_message(Modem *modem, guint32 ref, const CatMessage *command,
                                   const CatCommandDetails *details)
{
    const CatTlv *tpdu = cat_message_find(command, CAT_TAG_SMS_TPDU);
    g_autoptr(MMSmsProperties) properties = NULL;
    g_autoptr(GError) error = NULL;
    ShortMessage *message;

    if (modem->messaging == NULL || tpdu == NULL)
        return FALSE;
    properties =
        modem_card_sms_properties(tpdu->value, tpdu->length, details->qualifier & 0x01, &error);
    if (properties == NULL) {
        g_message("CAT: the card's short message is not sent: %s", error->message);
        return FALSE;
    }
    message = g_new0(ShortMessage, 1);
    message->modem = modem;
    message->cat_generation = modem->cat_generation;
    message->ref = ref;
    message->details = *details;
    modem_card_sms_send_async(modem->messaging, properties, modem->cancellable,
                              on_short_message_sent, message);
    return TRUE;
}

static void on_confirmation_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;

    if (!modem_cat2_send_event_confirmation_finish(NULL, result, &error))
        g_warning("CAT: event confirmation not delivered: %s", error->message);
}

/*
 * A network command the modem runs itself: a trigger in it is still seen, and the modem gets
 * the user's part. There is no user to accept a call; the rest needs no one's consent.
 */
static void confirm_command(Modem *modem, const CatMessage *command,
                            const CatCommandDetails *details)
{
    gboolean confirmed = details->type != CAT_CMD_SET_UP_CALL;

    if (details->type == CAT_CMD_SEND_SHORT_MESSAGE)
        (void)take_trigger(modem, command);
    if (!confirmed)
        g_message("CAT: the card's SET UP CALL declined: no user to accept it");
    modem_cat2_send_event_confirmation_async(modem->cat, confirmed, FALSE, on_confirmation_sent,
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
void modem_publish_ports(Modem *modem)
{
    CatBip *engine = modem_bip_gateway_peek_engine(modem->bip);
    guint16 ports[2 * CAT_BIP_MAX_CHANNELS];
    gsize n = 0;

    for (guint8 id = 1; id <= CAT_BIP_MAX_CHANNELS; id++) {
        if (cat_bip_channel_state(engine, id) != CAT_TCP_CLOSED)
            ports[n++] = cat_bip_channel_port(engine, id);
    }
    if (modem->scws != NULL)
        n += modem_scws_get_ports(modem->scws, ports + n, G_N_ELEMENTS(ports) - n);
    n = unique_ports(ports, n);
    if (modem->events->card_ports != NULL)
        modem->events->card_ports(modem, 1, ports, n, modem->user_data);
}

void modem_on_command(ModemCat2 *cat, guint32 ref, const guint8 *data, gsize length,
                      gpointer user_data)
{
    Modem *modem = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(CatMessage) command = cat_message_parse(data, length, &error);
    g_autoptr(GBytes) tr = NULL;
    CatCommandDetails details;

    if (command == NULL) {
        g_warning("CAT: proactive command not understood: %s", error->message);
        tr = cat_error_response(data, length, error);
    } else {
        cat_message_get_command(command, &details);
        modem_debug("CAT: proactive command 0x%02x", details.type);
        if (modem_cat2_modem_executes(cat, details.type)) {
            confirm_command(modem, command, &details);
            return;
        }
        if (cat_bip_handles(details.type))
            tr = modem_bip_gateway_handle_command(modem->bip, command);
        else if (details.type == CAT_CMD_SEND_SHORT_MESSAGE) {
            guint8 general = take_trigger(modem, command);
            if (general == CAT_RESULT_BEYOND_CAPABILITIES &&
                send_short_message(modem, ref, command, &details))
                return;
            tr = respond(&details, general);
        } else
            tr = cat_default_response(command);
        if (details.type == CAT_CMD_OPEN_CHANNEL || details.type == CAT_CMD_CLOSE_CHANNEL)
            modem_publish_ports(modem);
    }
    if (tr != NULL)
        modem_cat2_send_tr_async(cat, ref, tr, NULL, NULL);
}
