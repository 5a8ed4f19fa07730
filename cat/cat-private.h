/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the files of cat/, not part of its interface. */
#pragma once

#include "cat.h"

#define CAT_LABEL_SIZE 48

/* "device-identities (0x02)" for error messages; writes into @buf and returns it. */
const char *cat_tag_label(guint16 tag, char buf[CAT_LABEL_SIZE]);

/* Lowercase hex of @data. */
char *cat_hex_encode(const guint8 *data, gsize length);
/* Hex (either case, no separators) to bytes; FALSE for odd length or a non-hex digit. */
gboolean cat_hex_decode(const char *hex, GByteArray *out);

/* Swapped-nibble BCD digits (TS 102 223 address, TS 23.040 addresses) to text, F ends it. */
void cat_bcd_to_digits(const guint8 *data, gsize length, char *out, gsize out_size);
/* Digits (0-9 * # a b c) to swapped-nibble BCD, F-padded; FALSE for another character. */
gboolean cat_digits_to_bcd(const char *digits, GByteArray *out);

/* --- sockets.c: the SCWS socket layer ------------------------------------------------------ */

#define CAT_SOCKETS_MAX 7

typedef struct CatSockets CatSockets;

typedef struct {
    gboolean (*connected)(gpointer user_data, guint id); /* FALSE refuses the client */
    gsize (*space)(gpointer user_data, guint id);        /* bytes the owner can take now */
    void (*received)(gpointer user_data, guint id, const guint8 *data, gsize length);
    void (*closed)(gpointer user_data, guint id); /* the client went away */
} CatSocketCallbacks;

CatSockets *cat_sockets_new(const CatSocketCallbacks *callbacks, gpointer user_data);
void cat_sockets_free(CatSockets *set);
gboolean cat_sockets_listen(CatSockets *set, guint id, guint16 port, GError **error);
void cat_sockets_drop_client(CatSockets *set, guint id);
void cat_sockets_close(CatSockets *set, guint id);
gboolean cat_sockets_send(CatSockets *set, guint id, const guint8 *data, gsize length);
/* Reads again from a client paused for lack of room. */
void cat_sockets_resume(CatSockets *set, guint id);
GSocketAddress *cat_sockets_get_address(CatSockets *set, guint id);

/* lifetime.c: what the asynchronous steps of a modem client check before touching it. */
typedef struct {
    GCancellable *own; /* cancelled when the client is freed */
    GCancellable *caller;
    gulong caller_id;
} CatLifetime;
void cat_lifetime_init(CatLifetime *life);
/* The caller's cancellable cancels ours too (the first one given is kept). */
void cat_lifetime_follow(CatLifetime *life, GCancellable *caller);
void cat_lifetime_end(CatLifetime *life);

/* Little-endian integers as QMI carries them. */
static inline guint16 cat_le16(const guint8 *p)
{
    return (guint16)(p[0] | p[1] << 8);
}

static inline guint32 cat_le32(const guint8 *p)
{
    return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}
