/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A card's own short messages, sent through ModemManager (TS 102 223 §6.4.10, TS 23.040). */
#include "libmodem-private.h"

#include "cat/cat.h"

#define INTERNATIONAL 1 /* type of number */

/* TS 23.038: the message class, or MM's -1 when the coding gives none. */
static int message_class(guint8 dcs)
{
    if ((dcs & 0xc0) == 0x00 && (dcs & 0x10))
        return dcs & 0x03;
    if ((dcs & 0xf0) == 0xf0)
        return dcs & 0x03;
    return -1;
}

static gboolean set_user_data(MMSmsProperties *properties, const CatSmsTpdu *sms, gboolean packing,
                              GError **error)
{
    g_autofree char *text = NULL;

    switch (cat_dcs_alphabet(sms->dcs)) {
    case CAT_DCS_GSM7:
        text = cat_gsm_packed_to_utf8(sms->user_data, sms->user_data_length, sms->user_data_septets,
                                      sms->user_data_fill_bits);
        break;
    case CAT_DCS_8BIT:
        if (!packing) {
            /* Only packing makes more than 140 octets fit one message. */
            if (sms->user_data_length > 140) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                            "%zu octets of 8-bit data: at most 140 fit without packing",
                            sms->user_data_length);
                return FALSE;
            }
            mm_sms_properties_set_data(properties, sms->user_data, sms->user_data_length);
            return TRUE;
        }
        /* To be packed by the terminal: unpacked default alphabet, one character an octet. */
        for (gsize i = 0; i < sms->user_data_length; i++) {
            if (sms->user_data[i] & 0x80) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                            "text to pack is not in the default alphabet");
                return FALSE;
            }
        }
        text = cat_gsm_unpacked_to_utf8(sms->user_data, sms->user_data_length);
        break;
    case CAT_DCS_UCS2:
        text = cat_text_to_utf8(sms->dcs, sms->user_data, sms->user_data_length);
        break;
    default:
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "data coding scheme 0x%02x is not one ModemManager sends", sms->dcs);
        return FALSE;
    }
    if (text == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the text does not decode");
        return FALSE;
    }
    mm_sms_properties_set_text(properties, text);
    return TRUE;
}

MMSmsProperties *modem_card_sms_properties(const guint8 *tpdu, gsize length, gboolean packing,
                                           GError **error)
{
    g_autoptr(MMSmsProperties) properties = NULL;
    g_autoptr(GError) parse_error = NULL;
    g_autofree char *number = NULL;
    CatSmsTpdu sms;
    int class;

    if (!cat_sms_parse(tpdu, length, TRUE, &sms, &parse_error)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the TPDU does not decode: %s",
                    parse_error->message);
        return NULL;
    }
    if (sms.type != CAT_SMS_SUBMIT) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "an %s TPDU, not an SMS-SUBMIT",
                    cat_sms_type_name(sms.type));
        return NULL;
    }
    /* ModemManager builds its own PDUs: concatenation or ports of the card's cannot ride. */
    if (sms.udhi) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "a user data header ModemManager cannot carry");
        return NULL;
    }
    if (sms.address[0] == '\0') {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "no destination address");
        return NULL;
    }
    properties = mm_sms_properties_new();
    number = g_strconcat(sms.ton == INTERNATIONAL ? "+" : "", sms.address, NULL);
    mm_sms_properties_set_number(properties, number);
    if (!set_user_data(properties, &sms, packing, error))
        return NULL;
    class = message_class(sms.dcs);
    if (class >= 0)
        mm_sms_properties_set_class(properties, class);
    return g_steal_pointer(&properties);
}

/* --- Create, send, delete -------------------------------------------------------------- */

typedef struct {
    MMModemMessaging *messaging;
    char *path; /* the SMS object, deleted at the end */
    GError *error;
} Send;

static void send_free(Send *send)
{
    g_clear_object(&send->messaging);
    g_free(send->path);
    g_clear_error(&send->error);
    g_free(send);
}

/* The outcome is the send's: a delete that fails leaves an SMS in the list, nothing worse. */
static void on_deleted(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    Send *send = g_task_get_task_data(task);
    g_autoptr(GError) error = NULL;

    if (!mm_modem_messaging_delete_finish(MM_MODEM_MESSAGING(source), result, &error))
        g_debug("ModemManager: the sent SMS %s stays: %s", send->path, error->message);
    if (send->error != NULL)
        g_task_return_error(task, g_steal_pointer(&send->error));
    else
        g_task_return_boolean(task, TRUE);
}

static void on_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    Send *send = g_task_get_task_data(task);

    (void)mm_sms_send_finish(MM_SMS(source), result, &send->error);
    mm_modem_messaging_delete(send->messaging, send->path, NULL, on_deleted, task);
}

static void on_created(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    Send *send = g_task_get_task_data(task);
    g_autoptr(GError) error = NULL;
    g_autoptr(MMSms) sms =
        mm_modem_messaging_create_finish(MM_MODEM_MESSAGING(source), result, &error);

    if (sms == NULL) {
        g_task_return_error(task, g_steal_pointer(&error));
        g_object_unref(task);
        return;
    }
    send->path = g_strdup(mm_sms_get_path(sms));
    mm_sms_send(sms, g_task_get_cancellable(task), on_sent, task);
}

void modem_card_sms_send_async(MMModemMessaging *messaging, MMSmsProperties *properties,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    Send *send = g_new0(Send, 1);

    send->messaging = g_object_ref(messaging);
    g_task_set_task_data(task, send, (GDestroyNotify)send_free);
    mm_modem_messaging_create(messaging, properties, cancellable, on_created, task);
}

gboolean modem_card_sms_send_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}
