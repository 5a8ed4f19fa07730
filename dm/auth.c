/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SyncML DM credentials: basic, MD5 digest and HMAC. */
#include "dm.h"

#include <string.h>

static const struct {
    DmAuthType type;
    const char *name;
    const char *short_name;
} auth_names[] = {
    { DM_AUTH_NONE, NULL, "none" },
    { DM_AUTH_BASIC, "syncml:auth-basic", "basic" },
    { DM_AUTH_MD5, "syncml:auth-md5", "md5" },
    { DM_AUTH_HMAC, "syncml:auth-MAC", "hmac" },
};

const char *dm_auth_type_name(DmAuthType type)
{
    for (gsize i = 0; i < G_N_ELEMENTS(auth_names); i++) {
        if (auth_names[i].type == type)
            return auth_names[i].name;
    }
    return NULL;
}

gboolean dm_auth_type_parse(const char *name, DmAuthType *type)
{
    for (gsize i = 0; name != NULL && i < G_N_ELEMENTS(auth_names); i++) {
        if ((auth_names[i].name && g_ascii_strcasecmp(auth_names[i].name, name) == 0) ||
            g_ascii_strcasecmp(auth_names[i].short_name, name) == 0) {
            *type = auth_names[i].type;
            return TRUE;
        }
    }
    return FALSE;
}

static void md5(const guint8 *data, gsize length, guint8 digest[16])
{
    g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_MD5);
    gsize size = 16;

    g_checksum_update(checksum, data, (gssize)length);
    g_checksum_get_digest(checksum, digest, &size);
}

static char *md5_b64(const guint8 *data, gsize length)
{
    guint8 digest[16];

    md5(data, length, digest);
    return g_base64_encode(digest, sizeof(digest));
}

char *dm_auth_basic(const char *user, const char *password)
{
    g_autofree char *pair = g_strconcat(user, ":", password, NULL);
    return g_base64_encode((const guint8 *)pair, strlen(pair));
}

/* B64(H(user ":" password)) ":" nonce, the start every digest here shares. */
static GByteArray *digest_base(const char *user, const char *password, const guint8 *nonce,
                               gsize length)
{
    g_autofree char *pair = g_strconcat(user, ":", password, NULL);
    g_autofree char *first = md5_b64((const guint8 *)pair, strlen(pair));
    GByteArray *base = g_byte_array_new();

    g_byte_array_append(base, (const guint8 *)first, (guint)strlen(first));
    g_byte_array_append(base, (const guint8 *)":", 1);
    if (length > 0)
        g_byte_array_append(base, nonce, (guint)length);
    return base;
}

char *dm_auth_md5(const char *user, const char *password, const guint8 *nonce, gsize length)
{
    g_autoptr(GByteArray) base = digest_base(user, password, nonce, length);
    return md5_b64(base->data, base->len);
}

static void hmac_digest(const char *user, const char *password, const guint8 *nonce,
                        gsize nonce_length, const guint8 *body, gsize body_length,
                        guint8 digest[16])
{
    g_autoptr(GByteArray) base = digest_base(user, password, nonce, nonce_length);
    g_autofree char *body_hash = md5_b64(body, body_length);

    g_byte_array_append(base, (const guint8 *)":", 1);
    g_byte_array_append(base, (const guint8 *)body_hash, (guint)strlen(body_hash));
    md5(base->data, base->len, digest);
}

char *dm_auth_hmac_header(const char *user, const char *password, const guint8 *nonce,
                          gsize nonce_length, const guint8 *body, gsize body_length)
{
    guint8 digest[16];
    g_autofree char *mac = NULL;

    hmac_digest(user, password, nonce, nonce_length, body, body_length, digest);
    mac = g_base64_encode(digest, sizeof(digest));
    return g_strdup_printf("algorithm=MD5, username=\"%s\", mac=%s", user, mac);
}

/* The value of @key in "algorithm=MD5, username=\"x\", mac=y", quotes removed. */
static char *header_field(const char *header, const char *key)
{
    g_auto(GStrv) parts = g_strsplit(header, ",", -1);
    gsize key_length = strlen(key);

    for (char **p = parts; *p != NULL; p++) {
        char *field = g_strstrip(*p);
        if (g_ascii_strncasecmp(field, key, key_length) == 0 && field[key_length] == '=') {
            char *value = g_strstrip(g_strdup(field + key_length + 1));
            gsize n = strlen(value);
            if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
                memmove(value, value + 1, n - 2);
                value[n - 2] = '\0';
            }
            return value;
        }
    }
    return NULL;
}

gboolean dm_auth_hmac_verify(const char *header, const char *user, const char *password,
                             const guint8 *nonce, gsize nonce_length, const guint8 *body,
                             gsize body_length)
{
    g_autofree char *algorithm = NULL, *username = NULL, *mac = NULL;
    g_autofree char *as_b64 = NULL, *as_hex = NULL, *hex_b64 = NULL;
    guint8 digest[16];

    if (header == NULL)
        return FALSE;
    algorithm = header_field(header, "algorithm");
    username = header_field(header, "username");
    mac = header_field(header, "mac");
    if (mac == NULL || username == NULL || !g_str_equal(username, user) ||
        (algorithm != NULL && g_ascii_strcasecmp(algorithm, "MD5") != 0))
        return FALSE;
    hmac_digest(user, password, nonce, nonce_length, body, body_length, digest);
    as_b64 = g_base64_encode(digest, sizeof(digest));
    as_hex = g_malloc(33);
    for (int i = 0; i < 16; i++)
        g_snprintf(as_hex + 2 * i, 3, "%02x", digest[i]);
    hex_b64 = g_base64_encode((const guint8 *)as_hex, 32);
    return g_str_equal(mac, as_b64) || g_ascii_strcasecmp(mac, as_hex) == 0 ||
           g_str_equal(mac, hex_b64);
}
