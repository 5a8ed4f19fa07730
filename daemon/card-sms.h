/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A card's SEND SHORT MESSAGE that is not a trigger for dmscd, sent for it through
 * ModemManager's Messaging interface (dmscd holds the command's full function so that
 * triggers are consumed, and so owes the card the rest).
 */
#pragma once

#include <libmm-glib.h>

/*
 * The ModemManager SMS for an SMS-SUBMIT TPDU: number (with "+" when international), text
 * (GSM 7-bit or UCS2) or data (8-bit), message class. @packing: the card asked the terminal to
 * pack 8-bit default-alphabet text (the command qualifier's bit 1). G_IO_ERROR_NOT_SUPPORTED
 * when ModemManager cannot carry it (a user data header, a compressed or reserved coding, no
 * destination), G_IO_ERROR_INVALID_DATA when the TPDU does not decode.
 */
MMSmsProperties *dmscd_card_sms_properties(const guint8 *tpdu, gsize length, gboolean packing,
                                           GError **error);

/* Creates the SMS, sends it and deletes it from ModemManager's list again. */
void dmscd_card_sms_send_async(MMModemMessaging *messaging, MMSmsProperties *properties,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data);
gboolean dmscd_card_sms_send_finish(GAsyncResult *result, GError **error);
