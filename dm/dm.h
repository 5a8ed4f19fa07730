/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dm/: the OMA DM 1.2 client of dmscd: package #0, SyncML DM (XML and WBXML), the session
 * engine, authentication and the DM tree.
 */
#pragma once

#include <glib.h>

#define DM_ERROR (dm_error_quark())
GQuark dm_error_quark(void);

typedef enum {
    DM_ERROR_MALFORMED, /* a message or notification that does not follow its encoding */
    DM_ERROR_TRUNCATED, /* a length that runs past the end of the data */
    DM_ERROR_AUTH,      /* a digest or credential that does not verify */
    DM_ERROR_UNSUPPORTED,
} DmError;

/* --- Package #0: the DM notification (OMA-TS-DM_Notification-V1_2) ----------------------- */

typedef enum {
    DM_UI_MODE_NOT_SPECIFIED = 0,
    DM_UI_MODE_BACKGROUND = 1,
    DM_UI_MODE_INFORMATIVE = 2,
    DM_UI_MODE_USER_INTERACTION = 3,
} DmUiMode;

typedef struct {
    guint8 digest[16];
    guint version; /* 10 bits: 11 for DM 1.2 */
    DmUiMode ui_mode;
    gboolean server_initiated;
    guint16 session_id;
    char *server_id; /* printable ASCII, checked */
    GBytes *vendor;  /* vendor-specific bytes after the server id, possibly empty */
    GBytes *trigger; /* everything after the digest: what the digest covers */
} DmNotification;

/* Parses package #0; every length is checked and the server id must be printable ASCII. */
DmNotification *dm_notification_parse(const guint8 *data, gsize length, GError **error);
void dm_notification_free(DmNotification *notification);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmNotification, dm_notification_free)

const char *dm_ui_mode_name(DmUiMode mode);
gboolean dm_ui_mode_from_name(const char *name, DmUiMode *mode);

/* H(B64(H(server-id ":" password)) ":" nonce ":" B64(H(trigger))), H = MD5. */
void dm_notification_digest(const char *server_id, const char *password, const guint8 *nonce,
                            gsize nonce_length, const guint8 *trigger, gsize trigger_length,
                            guint8 digest[16]);

/*
 * Builds package #0 for DM 1.2 (version 11) signed with @password and @nonce. The server id
 * must be 1–255 printable ASCII characters.
 */
GBytes *dm_notification_build(const char *server_id, const char *password, const guint8 *nonce,
                              gsize nonce_length, guint16 session_id, DmUiMode ui_mode,
                              gboolean server_initiated, const guint8 *vendor, gsize vendor_length,
                              GError **error);

/*
 * Checks the digest with @nonce, then once more with @resync_nonce (when not NULL): the
 * nonce a server falls back to when the client lost track. DM_ERROR_AUTH when neither fits.
 */
gboolean dm_notification_verify(const DmNotification *notification, const char *password,
                                const guint8 *nonce, gsize nonce_length, const guint8 *resync_nonce,
                                gsize resync_nonce_length, GError **error);

/* The SyncML SessionID the notification asks for: uppercase hex without leading zeros. */
char *dm_notification_session_id(const DmNotification *notification);
