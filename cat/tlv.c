/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* BER lengths and the COMPREHENSION-TLV iterator (TS 102 223 annex C, TS 101 220 §7.1.1). */
#include "cat-private.h"

gsize cat_ber_length_read(const guint8 *data, gsize available, gsize offset, gsize *length,
                          GError **error)
{
    if (available < 1) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_TRUNCATED, "length missing at offset %zu", offset);
        return 0;
    }
    if (data[0] < 0x80) {
        *length = data[0];
        return 1;
    }
    if (data[0] != 0x81) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED,
                    "length byte 0x%02x at offset %zu: only 00-7f and 81 xx exist", data[0],
                    offset);
        return 0;
    }
    if (available < 2) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_TRUNCATED,
                    "two-byte length cut short at offset %zu", offset);
        return 0;
    }
    *length = data[1];
    return 2;
}

void cat_ber_length_append(GByteArray *out, gsize length)
{
    guint8 bytes[2] = { 0x81, (guint8)length };

    g_return_if_fail(length <= 0xff);
    if (length < 0x80)
        g_byte_array_append(out, bytes + 1, 1);
    else
        g_byte_array_append(out, bytes, 2);
}

void cat_tlv_append(GByteArray *out, guint16 tag, gboolean cr, const guint8 *value, gsize length)
{
    guint8 head[5]; /* tag (one or three bytes) and length (one or two): one append */
    guint n = 0;

    g_return_if_fail(length <= 0xff);
    if (tag <= 0x7e && tag != 0) {
        head[n++] = (guint8)(tag | (cr ? 0x80 : 0));
    } else {
        head[n++] = 0x7f;
        head[n++] = (guint8)(((tag >> 8) & 0x7f) | (cr ? 0x80 : 0));
        head[n++] = (guint8)tag;
    }
    if (length >= 0x80)
        head[n++] = 0x81;
    head[n++] = (guint8)length;
    g_byte_array_append(out, head, n);
    if (length > 0)
        g_byte_array_append(out, value, (guint)length);
}

void cat_tlv_iter_init(CatTlvIter *iter, const guint8 *data, gsize length, gsize base)
{
    iter->pos = data;
    iter->end = data + length;
    iter->base = base;
}

static gsize iter_offset(const CatTlvIter *iter, const guint8 *p, const guint8 *start)
{
    return iter->base + (gsize)(p - start);
}

int cat_tlv_iter_next(CatTlvIter *iter, CatTlv *tlv, GError **error)
{
    const guint8 *p = iter->pos;
    const guint8 *start = iter->pos;
    gsize used, length;

    if (p == iter->end)
        return 0;

    tlv->offset = iter->base;
    if (*p == 0x00 || *p == 0xff || *p == 0x80) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED, "invalid tag 0x%02x at offset %zu", *p,
                    tlv->offset);
        return -1;
    }
    if (*p == 0x7f) {
        if ((size_t)(iter->end - p) < 3) {
            g_set_error(error, CAT_ERROR, CAT_ERROR_TRUNCATED,
                        "three-byte tag cut short at offset %zu", tlv->offset);
            return -1;
        }
        tlv->three_byte = TRUE;
        tlv->cr = (p[1] & 0x80) != 0;
        tlv->tag = (guint16)(((p[1] & 0x7f) << 8) | p[2]);
        p += 3;
    } else {
        tlv->three_byte = FALSE;
        tlv->cr = (*p & 0x80) != 0;
        tlv->tag = *p & 0x7f;
        p += 1;
    }

    used =
        cat_ber_length_read(p, (gsize)(iter->end - p), iter_offset(iter, p, start), &length, error);
    if (used == 0)
        return -1;
    p += used;
    if (length > (size_t)(iter->end - p)) {
        char label[CAT_LABEL_SIZE];
        g_set_error(error, CAT_ERROR, CAT_ERROR_TRUNCATED,
                    "%s: length %zu at offset %zu runs past the end (%zu bytes left)",
                    cat_tag_label(tlv->tag, label), length, tlv->offset, (size_t)(iter->end - p));
        return -1;
    }
    tlv->length = length;
    tlv->value = p;
    p += length;

    iter->base += (gsize)(p - start);
    iter->pos = p;
    return 1;
}
