/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The few PKCS#15 structures that lead to the DM bootstrap file (ISO 7816-15, OMA DM
 * Smartcard §6): BER TLVs with one- or two-byte tags and short or long lengths, read without
 * allocating; every length is checked against what is left. Pure functions.
 */
#include "cat-private.h"

#include <string.h>

typedef struct {
    guint tag;
    const guint8 *value;
    gsize length;
} Ber;

/* One BER TLV at *@p; FALSE (and @error) when malformed, FALSE alone at the end. */
static gboolean ber_next(const guint8 **p, const guint8 *end, Ber *out, GError **error)
{
    const guint8 *q = *p;
    gsize length;

    /* Padding (00 or FF) ends a record or a file. */
    if (q >= end || *q == 0x00 || *q == 0xff)
        return FALSE;
    out->tag = *q++;
    if ((out->tag & 0x1f) == 0x1f) {
        if (q >= end)
            goto truncated;
        out->tag = out->tag << 8 | *q++;
    }
    if (q >= end)
        goto truncated;
    if (*q < 0x80) {
        length = *q++;
    } else {
        guint n = *q++ & 0x7f;
        if (n == 0 || n > 2) {
            g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED, "PKCS#15: length form 0x%02x",
                        0x80 | n);
            return FALSE;
        }
        if (n > (size_t)(end - q))
            goto truncated;
        length = 0;
        for (guint i = 0; i < n; i++)
            length = length << 8 | *q++;
    }
    if (length > (size_t)(end - q))
        goto truncated;
    out->value = q;
    out->length = length;
    *p = q + length;
    return TRUE;

truncated:
    g_set_error(error, CAT_ERROR, CAT_ERROR_TRUNCATED,
                "PKCS#15: a TLV (tag 0x%x) runs past "
                "the end",
                out->tag);
    return FALSE;
}

/* The first TLV with @tag directly inside [@data, @data + @length). */
static gboolean ber_find(const guint8 *data, gsize length, guint tag, Ber *out, GError **error)
{
    const guint8 *p = data;
    const guint8 *end = data + length;
    g_autoptr(GError) local = NULL;

    while (ber_next(&p, end, out, &local)) {
        if (out->tag == tag)
            return TRUE;
    }
    if (local != NULL)
        g_propagate_error(error, g_steal_pointer(&local));
    else
        g_set_error(error, CAT_ERROR, CAT_ERROR_MISSING, "PKCS#15: no TLV with tag 0x%x", tag);
    return FALSE;
}

static gboolean set_path(const Ber *octets, CatPath *path, GError **error)
{
    if (octets->length == 0 || octets->length % 2 != 0 || octets->length > CAT_PKCS15_MAX_PATH) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED, "PKCS#15: a path of %zu bytes",
                    octets->length);
        return FALSE;
    }
    memcpy(path->bytes, octets->value, octets->length);
    path->length = octets->length;
    return TRUE;
}

/* Path ::= SEQUENCE { path OCTET STRING, … } */
static gboolean read_path(const guint8 *data, gsize length, CatPath *path, GError **error)
{
    Ber sequence, octets;

    return ber_find(data, length, 0x30, &sequence, error) &&
           ber_find(sequence.value, sequence.length, 0x04, &octets, error) &&
           set_path(&octets, path, error);
}

gboolean cat_pkcs15_dir_record(const guint8 *record, gsize length, const guint8 *aid,
                               gsize aid_length, CatPath *path, GError **error)
{
    Ber app, id, location;

    if (!ber_find(record, length, 0x61, &app, error) ||
        !ber_find(app.value, app.length, 0x4f, &id, error))
        return FALSE;
    if (id.length != aid_length || memcmp(id.value, aid, aid_length) != 0) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_MISSING, "EF.DIR: another application");
        return FALSE;
    }
    return ber_find(app.value, app.length, 0x51, &location, error) &&
           set_path(&location, path, error);
}

gboolean cat_pkcs15_odf_dodf(const guint8 *odf, gsize length, CatPath *path, GError **error)
{
    Ber dodf;

    return ber_find(odf, length, 0xa7, &dodf, error) &&
           read_path(dodf.value, dodf.length, path, error);
}

/* DER of a dotted OID; FALSE when it does not fit @out. */
static gboolean oid_der(const char *oid, guint8 *out, gsize *length)
{
    g_auto(GStrv) arcs = g_strsplit(oid, ".", -1);
    guint64 values[16];
    guint n = 0;

    *length = 0;
    for (char **a = arcs; *a != NULL && n < G_N_ELEMENTS(values); a++, n++) {
        if (!g_ascii_string_to_unsigned(*a, 10, 0, G_MAXUINT32, &values[n], NULL))
            return FALSE;
    }
    if (n < 2)
        return FALSE;
    values[1] += values[0] * 40;
    for (guint i = 1; i < n; i++) {
        guint8 bytes[5];
        gsize k = 0;
        guint64 v = values[i];
        do {
            bytes[k++] = (guint8)(v & 0x7f);
            v >>= 7;
        } while (v != 0);
        if (*length + k > 16)
            return FALSE;
        while (k > 0) {
            k--;
            out[(*length)++] = (guint8)(bytes[k] | (k != 0 ? 0x80 : 0));
        }
    }
    return TRUE;
}

gboolean cat_pkcs15_dodf_oid(const guint8 *dodf, gsize length, const char *oid, CatPath *path,
                             GError **error)
{
    const guint8 *p = dodf;
    const guint8 *end = dodf + length;
    g_autoptr(GError) local = NULL;
    guint8 wanted[16];
    gsize wanted_length;
    Ber entry;

    if (!oid_der(oid, wanted, &wanted_length)) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "not an OID: %s", oid);
        return FALSE;
    }
    /* oidDO [1]: { CommonObjectAttributes, CommonDataObjectAttributes,
     *              [1] { SEQUENCE { OID, Path } } } */
    while (ber_next(&p, end, &entry, &local)) {
        Ber typed, sequence, id;
        const guint8 *q;
        g_autoptr(GError) ignored = NULL;

        if (entry.tag != 0xa1 || !ber_find(entry.value, entry.length, 0xa1, &typed, NULL) ||
            !ber_find(typed.value, typed.length, 0x30, &sequence, NULL) ||
            !ber_find(sequence.value, sequence.length, 0x06, &id, NULL))
            continue;
        if (id.length != wanted_length || memcmp(id.value, wanted, wanted_length) != 0)
            continue;
        /* The value that follows the OID: here a Path. */
        q = id.value + id.length;
        return read_path(q, (gsize)(sequence.value + sequence.length - q), path, error);
    }
    if (local != NULL)
        g_propagate_error(error, g_steal_pointer(&local));
    else
        g_set_error(error, CAT_ERROR, CAT_ERROR_MISSING, "EF.DODF: no data object %s", oid);
    return FALSE;
}
