/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A DM notification's digest against the account of the server it names (design §4.3). */
#include "dmscd.h"

#include <string.h>

/* The nonce tried second, in the form configured ([notification] resync-nonce). */
static const guint8 *resync_nonce(int form, gsize *length)
{
    static const guint8 zero_bytes[4] = { 0 };
    static const char base64_zeros[] = "AAAAAA==";
    static const char text_zeros[] = "0x00000000";

    switch (form) {
    case DMSCD_RESYNC_NONCE_BASE64_ZEROS:
        *length = strlen(base64_zeros);
        return (const guint8 *)base64_zeros;
    case DMSCD_RESYNC_NONCE_TEXT_ZEROS:
        *length = strlen(text_zeros);
        return (const guint8 *)text_zeros;
    case DMSCD_RESYNC_NONCE_ZERO_BYTES:
    default:
        *length = sizeof(zero_bytes);
        return zero_bytes;
    }
}

gboolean dmscd_notification_verify(const DmscdTree *tree, const DmNotification *notification,
                                   GError **error)
{
    g_autoptr(DmAccount) account = dm_account_find(tree->tree, notification->server_id);
    const guint8 *nonce = NULL, *resync;
    gsize nonce_length = 0, resync_length = 0;

    if (account == NULL) {
        g_set_error(error, DM_ERROR, DM_ERROR_AUTH, "no account for server \"%s\"",
                    notification->server_id);
        return FALSE;
    }
    if (!account->server.present || account->server.secret == NULL) {
        g_set_error(error, DM_ERROR, DM_ERROR_AUTH,
                    "the account %s holds no server credentials (SRVCRED)", account->node);
        return FALSE;
    }
    if (account->server.nonce != NULL)
        nonce = g_bytes_get_data(account->server.nonce, &nonce_length);
    resync = resync_nonce(tree->resync_nonce, &resync_length);
    return dm_notification_verify(notification, account->server.secret, nonce, nonce_length, resync,
                                  resync_length, error);
}

gboolean dmscd_notification_check(const DmscdTree *tree, const char *origin,
                                  const DmNotification *notification)
{
    g_autoptr(GError) error = NULL;

    if (dmscd_notification_verify(tree, notification, &error)) {
        g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE_ID",
                         DMSCD_MESSAGE_NOTIFICATION_ACCEPTED, "DMSCD_ORIGIN", origin, "MESSAGE",
                         "DM notification from the %s for server \"%s\", session %u", origin,
                         notification->server_id, notification->session_id);
        return TRUE;
    }
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE_ID",
                     DMSCD_MESSAGE_NOTIFICATION_REJECTED, "DMSCD_ORIGIN", origin, "MESSAGE",
                     "DM notification from the %s for server \"%s\", session %u, not verified: %s",
                     origin, notification->server_id, notification->session_id, error->message);
    return FALSE;
}
