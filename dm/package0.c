/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Package #0, the DM notification: parse, build, digest. */
#include "dm.h"

#include <string.h>

#define DIGEST_LENGTH  16
#define TRIGGER_HEADER 7 /* version..future use (40 bits), session id (16 bits) */

static const char *const ui_mode_names[] = { "not-specified", "background", "informative",
                                             "user-interaction" };

const char *dm_ui_mode_name(DmUiMode mode)
{
    return ui_mode_names[mode & 3];
}

gboolean dm_ui_mode_from_name(const char *name, DmUiMode *mode)
{
    for (guint i = 0; i < G_N_ELEMENTS(ui_mode_names); i++) {
        if (g_str_equal(ui_mode_names[i], name)) {
            *mode = (DmUiMode)i;
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean printable_ascii(const guint8 *data, gsize length)
{
    for (gsize i = 0; i < length; i++) {
        if (data[i] < 0x20 || data[i] > 0x7e)
            return FALSE;
    }
    return TRUE;
}

DmNotification *dm_notification_parse(const guint8 *data, gsize length, GError **error)
{
    g_autoptr(DmNotification) n = NULL;
    const guint8 *t;
    gsize server_id_length, rest;

    if (length < DIGEST_LENGTH + TRIGGER_HEADER + 1) {
        g_set_error(error, DM_ERROR, DM_ERROR_TRUNCATED,
                    "notification: %zu bytes, at least %d are needed", length,
                    DIGEST_LENGTH + TRIGGER_HEADER + 1);
        return NULL;
    }
    t = data + DIGEST_LENGTH;
    server_id_length = t[TRIGGER_HEADER];
    rest = length - DIGEST_LENGTH - TRIGGER_HEADER - 1;
    if (server_id_length > rest) {
        g_set_error(error, DM_ERROR, DM_ERROR_TRUNCATED,
                    "notification: server id length %zu at offset %d runs past the end (%zu "
                    "bytes left)",
                    server_id_length, DIGEST_LENGTH + TRIGGER_HEADER, rest);
        return NULL;
    }
    if (server_id_length == 0 || !printable_ascii(t + TRIGGER_HEADER + 1, server_id_length)) {
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED,
                    "notification: server id at offset %d is empty or not printable ASCII",
                    DIGEST_LENGTH + TRIGGER_HEADER + 1);
        return NULL;
    }

    n = g_new0(DmNotification, 1);
    memcpy(n->digest, data, DIGEST_LENGTH);
    n->version = (guint)(t[0] << 2 | t[1] >> 6);
    n->ui_mode = (DmUiMode)((t[1] >> 4) & 0x3);
    n->server_initiated = (t[1] & 0x08) != 0;
    n->session_id = (guint16)(t[5] << 8 | t[6]);
    n->server_id = g_strndup((const char *)t + TRIGGER_HEADER + 1, server_id_length);
    n->vendor = g_bytes_new(t + TRIGGER_HEADER + 1 + server_id_length, rest - server_id_length);
    n->trigger = g_bytes_new(t, length - DIGEST_LENGTH);
    return g_steal_pointer(&n);
}

void dm_notification_free(DmNotification *notification)
{
    if (notification == NULL)
        return;
    g_free(notification->server_id);
    g_bytes_unref(notification->vendor);
    g_bytes_unref(notification->trigger);
    g_free(notification);
}

static char *md5_b64(const guint8 *data, gsize length)
{
    g_autoptr(GChecksum) md5 = g_checksum_new(G_CHECKSUM_MD5);
    guint8 digest[16];
    gsize digest_length = sizeof(digest);

    g_checksum_update(md5, data, (gssize)length);
    g_checksum_get_digest(md5, digest, &digest_length);
    return g_base64_encode(digest, digest_length);
}

void dm_notification_digest(const char *server_id, const char *password, const guint8 *nonce,
                            gsize nonce_length, const guint8 *trigger, gsize trigger_length,
                            guint8 digest[16])
{
    g_autofree char *credentials = g_strconcat(server_id, ":", password, NULL);
    g_autofree char *a = md5_b64((const guint8 *)credentials, strlen(credentials));
    g_autofree char *b = md5_b64(trigger, trigger_length);
    g_autoptr(GChecksum) md5 = g_checksum_new(G_CHECKSUM_MD5);
    gsize length = 16;

    g_checksum_update(md5, (const guint8 *)a, (gssize)strlen(a));
    g_checksum_update(md5, (const guint8 *)":", 1);
    g_checksum_update(md5, nonce, (gssize)nonce_length);
    g_checksum_update(md5, (const guint8 *)":", 1);
    g_checksum_update(md5, (const guint8 *)b, (gssize)strlen(b));
    g_checksum_get_digest(md5, digest, &length);
}

GBytes *dm_notification_build(const char *server_id, const char *password, const guint8 *nonce,
                              gsize nonce_length, guint16 session_id, DmUiMode ui_mode,
                              gboolean server_initiated, const guint8 *vendor, gsize vendor_length,
                              GError **error)
{
    gsize id_length = strlen(server_id);
    g_autoptr(GByteArray) out = g_byte_array_new();
    guint8 digest[DIGEST_LENGTH];
    guint8 header[TRIGGER_HEADER + 1] = { 0 };
    const guint version = 11;

    if (id_length == 0 || id_length > 255 ||
        !printable_ascii((const guint8 *)server_id, id_length)) {
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED,
                    "server id must be 1-255 printable ASCII characters");
        return NULL;
    }
    header[0] = (guint8)(version >> 2);
    header[1] =
        (guint8)((version & 0x3) << 6 | (ui_mode & 0x3) << 4 | (server_initiated ? 0x08 : 0));
    header[5] = (guint8)(session_id >> 8);
    header[6] = (guint8)session_id;
    header[7] = (guint8)id_length;

    g_byte_array_set_size(out, DIGEST_LENGTH);
    g_byte_array_append(out, header, sizeof(header));
    g_byte_array_append(out, (const guint8 *)server_id, (guint)id_length);
    if (vendor_length > 0)
        g_byte_array_append(out, vendor, (guint)vendor_length);
    dm_notification_digest(server_id, password, nonce, nonce_length, out->data + DIGEST_LENGTH,
                           out->len - DIGEST_LENGTH, digest);
    memcpy(out->data, digest, DIGEST_LENGTH);
    return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

static gboolean digest_matches(const DmNotification *n, const char *password, const guint8 *nonce,
                               gsize nonce_length)
{
    guint8 expected[DIGEST_LENGTH];
    gsize length;
    const guint8 *trigger = g_bytes_get_data(n->trigger, &length);

    dm_notification_digest(n->server_id, password, nonce, nonce_length, trigger, length, expected);
    return memcmp(expected, n->digest, DIGEST_LENGTH) == 0;
}

gboolean dm_notification_verify(const DmNotification *notification, const char *password,
                                const guint8 *nonce, gsize nonce_length, const guint8 *resync_nonce,
                                gsize resync_nonce_length, GError **error)
{
    if (digest_matches(notification, password, nonce, nonce_length))
        return TRUE;
    if (resync_nonce != NULL &&
        digest_matches(notification, password, resync_nonce, resync_nonce_length))
        return TRUE;
    g_set_error(error, DM_ERROR, DM_ERROR_AUTH,
                "notification from \"%s\": digest does not verify%s", notification->server_id,
                resync_nonce != NULL ? " (resynchronisation nonce tried too)" : "");
    return FALSE;
}

char *dm_notification_session_id(const DmNotification *notification)
{
    return g_strdup_printf("%X", notification->session_id);
}
