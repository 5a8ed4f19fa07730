/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Text coding: the GSM 7-bit default alphabet and its extension table (TS 23.038 §6.2.1),
 * packed and unpacked; UCS2 alpha identifiers in the 80, 81 and 82 forms (TS 102 221
 * annex A); text strings by data coding scheme.
 */
#include "cat-private.h"

#include <string.h>

#define GSM_ESCAPE 0x1b

static const gunichar gsm_default[128] = {
    '@',    0x00a3, '$',    0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec, /* 00 */
    0x00f2, 0x00c7, '\n',   0x00d8, 0x00f8, '\r',   0x00c5, 0x00e5, /* 08 */
    0x0394, '_',    0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8, /* 10 */
    0x03a3, 0x0398, 0x039e, ' ',    0x00c6, 0x00e6, 0x00df, 0x00c9, /* 18: 1B is the escape */
    ' ',    '!',    '"',    '#',    0x00a4, '%',    '&',    '\'',   /* 20 */
    '(',    ')',    '*',    '+',    ',',    '-',    '.',    '/',    /* 28 */
    '0',    '1',    '2',    '3',    '4',    '5',    '6',    '7',    /* 30 */
    '8',    '9',    ':',    ';',    '<',    '=',    '>',    '?',    /* 38 */
    0x00a1, 'A',    'B',    'C',    'D',    'E',    'F',    'G',    /* 40 */
    'H',    'I',    'J',    'K',    'L',    'M',    'N',    'O',    /* 48 */
    'P',    'Q',    'R',    'S',    'T',    'U',    'V',    'W',    /* 50 */
    'X',    'Y',    'Z',    0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7, /* 58 */
    0x00bf, 'a',    'b',    'c',    'd',    'e',    'f',    'g',    /* 60 */
    'h',    'i',    'j',    'k',    'l',    'm',    'n',    'o',    /* 68 */
    'p',    'q',    'r',    's',    't',    'u',    'v',    'w',    /* 70 */
    'x',    'y',    'z',    0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0, /* 78 */
};

typedef struct {
    guint8 code;
    gunichar c;
} Extension;

static const Extension gsm_extension[] = {
    { 0x0a, 0x000c }, { 0x14, '^' }, { 0x28, '{' }, { 0x29, '}' }, { 0x2f, '\\' },
    { 0x3c, '[' },    { 0x3d, '~' }, { 0x3e, ']' }, { 0x40, '|' }, { 0x65, 0x20ac },
};

/* A septet after an escape: an unknown one reads as its default-table character. */
static gunichar gsm_extended(guint8 septet)
{
    for (gsize i = 0; i < G_N_ELEMENTS(gsm_extension); i++) {
        if (gsm_extension[i].code == septet)
            return gsm_extension[i].c;
    }
    return septet == GSM_ESCAPE ? ' ' : gsm_default[septet];
}

/* Appends the GSM code(s) of @c; FALSE when it has none. */
static gboolean gsm_encode_char(gunichar c, GByteArray *out)
{
    for (guint8 i = 0; i < 128; i++) {
        if (i != GSM_ESCAPE && gsm_default[i] == c) {
            g_byte_array_append(out, &i, 1);
            return TRUE;
        }
    }
    for (gsize i = 0; i < G_N_ELEMENTS(gsm_extension); i++) {
        if (gsm_extension[i].c == c) {
            guint8 pair[2] = { GSM_ESCAPE, gsm_extension[i].code };
            g_byte_array_append(out, pair, 2);
            return TRUE;
        }
    }
    return FALSE;
}

/* Septets (one per byte, < 0x80) to UTF-8. */
static char *septets_to_utf8(const guint8 *septets, gsize count)
{
    GString *text = g_string_sized_new(count);

    for (gsize i = 0; i < count; i++) {
        if (septets[i] == GSM_ESCAPE && i + 1 < count)
            g_string_append_unichar(text, gsm_extended(septets[++i]));
        else if (septets[i] == GSM_ESCAPE)
            g_string_append_c(text, ' ');
        else
            g_string_append_unichar(text, gsm_default[septets[i] & 0x7f]);
    }
    return g_string_free(text, FALSE);
}

char *cat_gsm_unpacked_to_utf8(const guint8 *data, gsize length)
{
    g_autofree guint8 *septets = g_malloc(length + 1);
    gsize count = 0;

    /* 0xFF pads an alpha field to its record length: the text ends there. */
    while (count < length && data[count] != 0xff) {
        septets[count] = data[count] & 0x7f;
        count++;
    }
    return septets_to_utf8(septets, count);
}

char *cat_gsm_packed_to_utf8(const guint8 *data, gsize length, gsize septets, guint fill_bits)
{
    gsize available = (length * 8 > fill_bits) ? (length * 8 - fill_bits) / 7 : 0;
    g_autofree guint8 *unpacked = NULL;

    septets = MIN(septets, available);
    unpacked = g_malloc(septets + 1);
    for (gsize i = 0; i < septets; i++) {
        gsize bit = fill_bits + i * 7;
        guint value = data[bit / 8] >> (bit % 8);

        if (bit % 8 > 1)
            value |= (guint)data[bit / 8 + 1] << (8 - bit % 8);
        unpacked[i] = value & 0x7f;
    }
    return septets_to_utf8(unpacked, septets);
}

gboolean cat_utf8_to_gsm_unpacked(const char *text, GByteArray *out)
{
    guint original = out->len;

    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
        if (!gsm_encode_char(g_utf8_get_char(p), out)) {
            g_byte_array_set_size(out, original);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean cat_utf8_to_gsm_packed(const char *text, GByteArray *out)
{
    g_autoptr(GByteArray) septets = g_byte_array_new();
    gsize bytes;

    if (!cat_utf8_to_gsm_unpacked(text, septets))
        return FALSE;
    /* Seven spare bits at the end would read as '@': pad with CR (TS 23.038 §6.1.2.3.1). */
    if (septets->len % 8 == 7) {
        guint8 cr = '\r';
        g_byte_array_append(septets, &cr, 1);
    }
    bytes = (septets->len * 7 + 7) / 8;
    for (gsize i = 0; i < bytes; i++) {
        guint byte = 0;
        for (gsize bit = i * 8; bit < i * 8 + 8 && bit / 7 < septets->len; bit++) {
            if (septets->data[bit / 7] & (1u << (bit % 7)))
                byte |= 1u << (bit - i * 8);
        }
        guint8 b = (guint8)byte;
        g_byte_array_append(out, &b, 1);
    }
    return TRUE;
}

/* --- Alpha identifiers ------------------------------------------------------------------- */

static void append_ucs2(GString *text, guint code)
{
    /* Surrogates cannot be represented alone; U+FFFD says something was there. */
    g_string_append_unichar(text, (code >= 0xd800 && code <= 0xdfff) ? 0xfffd : code);
}

/* 80: big-endian UCS2 pairs; 0xFF bytes pad a record, so an odd length needs one there. */
static char *alpha_80(const guint8 *data, gsize length, GError **error)
{
    GString *text;

    if ((length - 1) % 2 != 0 && data[length - 1] != 0xff) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED, "UCS2 text: odd length %zu", length - 1);
        return NULL;
    }
    text = g_string_new(NULL);
    for (gsize i = 1; i + 1 < length; i += 2) {
        guint code = (guint)data[i] << 8 | data[i + 1];
        if (code == 0xffff)
            break;
        append_ucs2(text, code);
    }
    return g_string_free(text, FALSE);
}

/* 81 and 82: a character count, a base, then bytes that are GSM (< 80) or base + offset. */
static char *alpha_81_82(const guint8 *data, gsize length, gboolean is_82, GError **error)
{
    gsize header = is_82 ? 4 : 3;
    GString *text;
    guint base;
    gsize count;

    if (length < header) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_TRUNCATED,
                    "UCS2 %02x text: %zu bytes, header needs %zu", data[0], length, header);
        return NULL;
    }
    count = data[1];
    base = is_82 ? ((guint)data[2] << 8 | data[3]) : ((guint)data[2] << 7);
    if (count > length - header) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_TRUNCATED,
                    "UCS2 %02x text: %zu characters announced, %zu present", data[0], count,
                    length - header);
        return NULL;
    }
    text = g_string_new(NULL);
    for (gsize i = 0; i < count; i++) {
        guint8 byte = data[header + i];
        if (byte & 0x80)
            append_ucs2(text, (base + (byte & 0x7f)) & 0xffff);
        else if (byte == GSM_ESCAPE && i + 1 < count)
            g_string_append_unichar(text, gsm_extended(data[header + ++i] & 0x7f));
        else
            g_string_append_unichar(text, gsm_default[byte]);
    }
    return g_string_free(text, FALSE);
}

char *cat_alpha_to_utf8(const guint8 *data, gsize length, CatAlphaCoding *coding, GError **error)
{
    CatAlphaCoding unused;

    if (coding == NULL)
        coding = &unused;
    if (length == 0 || data[0] < 0x80 || data[0] == 0xff) {
        *coding = CAT_ALPHA_GSM;
        return cat_gsm_unpacked_to_utf8(data, length);
    }
    switch (data[0]) {
    case 0x80:
        *coding = CAT_ALPHA_UCS2_80;
        return alpha_80(data, length, error);
    case 0x81:
        *coding = CAT_ALPHA_UCS2_81;
        return alpha_81_82(data, length, FALSE, error);
    case 0x82:
        *coding = CAT_ALPHA_UCS2_82;
        return alpha_81_82(data, length, TRUE, error);
    default:
        g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED,
                    "alpha identifier: unknown coding byte 0x%02x", data[0]);
        return NULL;
    }
}

static gboolean utf8_to_ucs2_80(const char *text, GByteArray *out, GError **error)
{
    guint8 marker = 0x80;

    g_byte_array_append(out, &marker, 1);
    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        guint8 pair[2] = { (guint8)(c >> 8), (guint8)c };

        if (c > 0xffff) {
            g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID,
                        "U+%04X is outside UCS2 and cannot be sent to a card", c);
            return FALSE;
        }
        g_byte_array_append(out, pair, 2);
    }
    return TRUE;
}

/*
 * 81 and 82 forms: every character not in the GSM alphabet must lie in one 128-character
 * window starting at the base (for 81, a multiple of 128 below U+8000).
 */
static gboolean utf8_to_ucs2_81_82(const char *text, gboolean is_82, GByteArray *out,
                                   GError **error)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    gunichar low = G_MAXUINT32, high = 0;
    guint base;
    gsize count = 0;

    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
        g_autoptr(GByteArray) probe = g_byte_array_new();
        gunichar c = g_utf8_get_char(p);
        if (!gsm_encode_char(c, probe)) {
            low = MIN(low, c);
            high = MAX(high, c);
        }
    }
    base = (low == G_MAXUINT32) ? 0 : (is_82 ? low : (low & ~0x7fu));
    if (low != G_MAXUINT32 && (high - base > 0x7f || high > 0xffff || (!is_82 && base > 0x7f80))) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID,
                    "text does not fit the UCS2 %s form: its characters span U+%04X-U+%04X",
                    is_82 ? "82" : "81", low, high);
        return FALSE;
    }
    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        guint before = body->len;
        if (!gsm_encode_char(c, body)) {
            guint8 byte = (guint8)(0x80 | (c - base));
            g_byte_array_append(body, &byte, 1);
        }
        count += body->len - before;
    }
    if (count > 0xff) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "text of %zu characters is too long",
                    count);
        return FALSE;
    }
    if (is_82) {
        guint8 header[4] = { 0x82, (guint8)count, (guint8)(base >> 8), (guint8)base };
        g_byte_array_append(out, header, 4);
    } else {
        guint8 header[3] = { 0x81, (guint8)count, (guint8)(base >> 7) };
        g_byte_array_append(out, header, 3);
    }
    g_byte_array_append(out, body->data, body->len);
    return TRUE;
}

gboolean cat_utf8_to_alpha(const char *text, int coding, GByteArray *out, GError **error)
{
    if (!g_utf8_validate(text, -1, NULL)) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "text is not valid UTF-8");
        return FALSE;
    }
    switch (coding) {
    case CAT_ALPHA_GSM:
        if (cat_utf8_to_gsm_unpacked(text, out))
            return TRUE;
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID,
                    "text has characters outside the GSM alphabet");
        return FALSE;
    case CAT_ALPHA_UCS2_80:
        return utf8_to_ucs2_80(text, out, error);
    case CAT_ALPHA_UCS2_81:
        return utf8_to_ucs2_81_82(text, FALSE, out, error);
    case CAT_ALPHA_UCS2_82:
        return utf8_to_ucs2_81_82(text, TRUE, out, error);
    default:
        if (cat_utf8_to_gsm_unpacked(text, out))
            return TRUE;
        return utf8_to_ucs2_80(text, out, error);
    }
}

/* --- Data coding schemes ----------------------------------------------------------------- */

CatDcsAlphabet cat_dcs_alphabet(guint8 dcs)
{
    switch (dcs >> 4) {
    case 0x0:
    case 0x1:
    case 0x2:
    case 0x3: /* general data coding */
    case 0x4:
    case 0x5:
    case 0x6:
    case 0x7: /* automatic deletion group */
        if (dcs & 0x20)
            return CAT_DCS_OTHER; /* compressed */
        switch ((dcs >> 2) & 0x3) {
        case 0:
            return CAT_DCS_GSM7;
        case 1:
            return CAT_DCS_8BIT;
        case 2:
            return CAT_DCS_UCS2;
        default:
            return CAT_DCS_OTHER;
        }
    case 0xc:
    case 0xd: /* message waiting, GSM */
        return CAT_DCS_GSM7;
    case 0xe: /* message waiting, UCS2 */
        return CAT_DCS_UCS2;
    case 0xf: /* data coding / message class */
        return (dcs & 0x04) ? CAT_DCS_8BIT : CAT_DCS_GSM7;
    default:
        return CAT_DCS_OTHER;
    }
}

char *cat_text_to_utf8(guint8 dcs, const guint8 *data, gsize length)
{
    GString *text;

    switch (cat_dcs_alphabet(dcs)) {
    case CAT_DCS_GSM7: {
        gsize septets = length * 8 / 7;
        /* With no spare bits a trailing CR (or zero) septet is padding: see the encoder. */
        if (length > 0 && length % 7 == 0) {
            guint8 last = data[length - 1] >> 1;
            if (last == '\r' || last == 0)
                septets--;
        }
        return cat_gsm_packed_to_utf8(data, length, septets, 0);
    }
    case CAT_DCS_8BIT:
        /* An 8-bit text string is the unpacked default alphabet: bit 8 must be clear. */
        for (gsize i = 0; i < length; i++) {
            if (data[i] & 0x80)
                return NULL;
        }
        return cat_gsm_unpacked_to_utf8(data, length);
    case CAT_DCS_UCS2:
        if (length % 2 != 0)
            return NULL;
        text = g_string_new(NULL);
        for (gsize i = 0; i < length; i += 2)
            append_ucs2(text, (guint)data[i] << 8 | data[i + 1]);
        return g_string_free(text, FALSE);
    default:
        return NULL;
    }
}

gboolean cat_utf8_to_text(guint8 dcs, const char *text, GByteArray *out, GError **error)
{
    if (!g_utf8_validate(text, -1, NULL)) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "text is not valid UTF-8");
        return FALSE;
    }
    switch (cat_dcs_alphabet(dcs)) {
    case CAT_DCS_GSM7:
        if (cat_utf8_to_gsm_packed(text, out))
            return TRUE;
        break;
    case CAT_DCS_8BIT:
        if (cat_utf8_to_gsm_unpacked(text, out))
            return TRUE;
        break;
    case CAT_DCS_UCS2:
        for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
            gunichar c = g_utf8_get_char(p);
            guint8 pair[2] = { (guint8)(c >> 8), (guint8)c };
            if (c > 0xffff) {
                g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "U+%04X is outside UCS2", c);
                return FALSE;
            }
            g_byte_array_append(out, pair, 2);
        }
        return TRUE;
    default:
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID,
                    "data coding scheme 0x%02x is not a text coding", dcs);
        return FALSE;
    }
    g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID,
                "text has characters outside the GSM alphabet (DCS 0x%02x)", dcs);
    return FALSE;
}
