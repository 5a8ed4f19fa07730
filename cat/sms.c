/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SMS TPDUs (TS 23.040 §9.2) and the WSP push PDU they carry (WAP-230 §8.2.4), enough to
 * recognise an OMA DM notification and hand its body on.
 */
#include "cat-private.h"

#include <string.h>

/* A reader over a byte range that checks every step against the end. */
typedef struct {
    const guint8 *data;
    gsize length;
    gsize pos;
    const char *what;
} Reader;

static gboolean need(Reader *r, gsize n, const char *field, GError **error)
{
    if (n <= r->length - r->pos)
        return TRUE;
    g_set_error(error, CAT_ERROR, CAT_ERROR_TRUNCATED,
                "%s: %s needs %zu bytes at offset %zu, %zu left", r->what, field, n, r->pos,
                r->length - r->pos);
    return FALSE;
}

static gboolean read_u8(Reader *r, guint8 *out, const char *field, GError **error)
{
    if (!need(r, 1, field, error))
        return FALSE;
    *out = r->data[r->pos++];
    return TRUE;
}

static gboolean skip(Reader *r, gsize n, const char *field, GError **error)
{
    if (!need(r, n, field, error))
        return FALSE;
    r->pos += n;
    return TRUE;
}

/* TP-OA / TP-DA: digit count, type of address, BCD digits. */
static gboolean read_address(Reader *r, CatSmsTpdu *out, GError **error)
{
    guint8 digits, toa;
    gsize bytes;

    if (!read_u8(r, &digits, "address length", error) ||
        !read_u8(r, &toa, "type of address", error))
        return FALSE;
    if (digits > 20) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED,
                    "%s: address of %u digits at offset %zu, at most 20 exist", r->what, digits,
                    r->pos - 2);
        return FALSE;
    }
    bytes = (digits + 1u) / 2;
    if (!need(r, bytes, "address", error))
        return FALSE;
    out->ton = (toa >> 4) & 0x7;
    out->npi = toa & 0xf;
    if (out->ton == 5) {
        /* Alphanumeric: packed GSM text, kept as hex digits would mislead; decode it. */
        g_autofree char *text = cat_gsm_packed_to_utf8(r->data + r->pos, bytes, digits * 4 / 7, 0);
        g_strlcpy(out->address, text, sizeof(out->address));
    } else {
        cat_bcd_to_digits(r->data + r->pos, bytes, out->address, sizeof(out->address));
        out->address[MIN((gsize)digits, sizeof(out->address) - 1)] = '\0';
    }
    r->pos += bytes;
    return TRUE;
}

static gboolean parse_udh(const guint8 *udh, gsize length, CatSmsTpdu *out, GError **error)
{
    gsize pos = 0;

    while (pos < length) {
        guint8 iei, iedl;
        const guint8 *v;

        if (length - pos < 2) {
            g_set_error(error, CAT_ERROR, CAT_ERROR_TRUNCATED,
                        "user data header: element cut short at offset %zu", pos);
            return FALSE;
        }
        iei = udh[pos];
        iedl = udh[pos + 1];
        if (iedl > length - pos - 2) {
            g_set_error(error, CAT_ERROR, CAT_ERROR_TRUNCATED,
                        "user data header: element 0x%02x length %u runs past the header", iei,
                        iedl);
            return FALSE;
        }
        v = udh + pos + 2;
        if (iei == 0x00 && iedl == 3) {
            out->has_concat = TRUE;
            out->concat_ref = v[0];
            out->concat_total = v[1];
            out->concat_seq = v[2];
        } else if (iei == 0x08 && iedl == 4) {
            out->has_concat = TRUE;
            out->concat_ref = (guint16)(v[0] << 8 | v[1]);
            out->concat_total = v[2];
            out->concat_seq = v[3];
        } else if (iei == 0x04 && iedl == 2) {
            out->has_ports = TRUE;
            out->dest_port = v[0];
            out->src_port = v[1];
        } else if (iei == 0x05 && iedl == 4) {
            out->has_ports = TRUE;
            out->dest_port = (guint16)(v[0] << 8 | v[1]);
            out->src_port = (guint16)(v[2] << 8 | v[3]);
        }
        pos += 2u + iedl;
    }
    return TRUE;
}

/*
 * @unpacked_limit: the most 8-bit octets the user data may hold: 140, or 160 in a SUBMIT of a
 * SEND SHORT MESSAGE, which may ask the terminal to pack them (160 characters in 140 octets).
 */
static gboolean read_user_data(Reader *r, CatSmsTpdu *out, guint unpacked_limit, GError **error)
{
    gboolean septets = cat_dcs_alphabet(out->dcs) == CAT_DCS_GSM7;
    guint8 udl;
    gsize bytes;

    if (!read_u8(r, &udl, "user data length", error))
        return FALSE;
    bytes = septets ? (udl * 7u + 7) / 8 : udl;
    if (septets ? udl > 160 : udl > unpacked_limit) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED,
                    "%s: user data length %u at offset %zu is above the maximum", r->what, udl,
                    r->pos - 1);
        return FALSE;
    }
    if (!need(r, bytes, "user data", error))
        return FALSE;
    if (r->pos + bytes != r->length) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED,
                    "%s: %zu bytes of trailing data after the user data", r->what,
                    r->length - r->pos - bytes);
        return FALSE;
    }
    out->user_data = r->data + r->pos;
    out->user_data_length = bytes;
    out->user_data_septets = septets ? udl : 0;
    if (out->udhi) {
        gsize header;
        if (bytes < 1 || (header = 1u + r->data[r->pos]) > bytes) {
            g_set_error(error, CAT_ERROR, CAT_ERROR_TRUNCATED,
                        "%s: user data header longer than the user data", r->what);
            return FALSE;
        }
        if (!parse_udh(r->data + r->pos + 1, header - 1, out, error))
            return FALSE;
        out->user_data += header;
        out->user_data_length -= header;
        if (septets) {
            /* The text starts at the next septet boundary after the header. */
            gsize header_septets = (header * 8 + 6) / 7;
            out->user_data_septets = udl > header_septets ? udl - header_septets : 0;
            out->user_data_fill_bits = (guint)(header_septets * 7 - header * 8);
        }
    }
    r->pos += bytes;
    return TRUE;
}

/* TP-VP: its length depends on TP-VPF (bits 3-4 of the first octet). */
static gboolean skip_validity(Reader *r, guint8 first, GError **error)
{
    static const gsize lengths[4] = { 0, 7, 1, 7 };

    return skip(r, lengths[(first >> 3) & 0x3], "validity period", error);
}

gboolean cat_sms_parse(const guint8 *data, gsize length, gboolean from_terminal, CatSmsTpdu *out,
                       GError **error)
{
    Reader r = { .data = data, .length = length, .what = "SMS TPDU" };
    guint8 first, ignored;

    memset(out, 0, sizeof(*out));
    if (!read_u8(&r, &first, "first octet", error))
        return FALSE;
    out->udhi = (first & 0x40) != 0;
    switch (first & 0x3) {
    case 0:
        out->type = from_terminal ? CAT_SMS_RESERVED : CAT_SMS_DELIVER;
        break;
    case 1:
        out->type = from_terminal ? CAT_SMS_SUBMIT : CAT_SMS_RESERVED;
        break;
    case 2:
        out->type = from_terminal ? CAT_SMS_COMMAND : CAT_SMS_STATUS_REPORT;
        break;
    default:
        out->type = CAT_SMS_RESERVED;
        break;
    }

    switch (out->type) {
    case CAT_SMS_DELIVER: /* OA, PID, DCS, SCTS, UDL, UD */
        return read_address(&r, out, error) && read_u8(&r, &out->pid, "TP-PID", error) &&
               read_u8(&r, &out->dcs, "TP-DCS", error) &&
               skip(&r, 7, "service centre time stamp", error) &&
               read_user_data(&r, out, 140, error);
    case CAT_SMS_SUBMIT: /* MR, DA, PID, DCS, VP, UDL, UD */
        return read_u8(&r, &ignored, "TP-MR", error) && read_address(&r, out, error) &&
               read_u8(&r, &out->pid, "TP-PID", error) && read_u8(&r, &out->dcs, "TP-DCS", error) &&
               skip_validity(&r, first, error) && read_user_data(&r, out, 160, error);
    default:
        /* Other kinds are kept as bytes: nothing in them is a DM trigger. */
        return TRUE;
    }
}

const char *cat_sms_type_name(CatSmsType type)
{
    static const char *const names[] = { "deliver", "submit", "status-report", "command",
                                         "reserved" };
    return names[type];
}

/* --- WSP push ---------------------------------------------------------------------------- */

static gboolean read_uintvar(Reader *r, gsize *out, GError **error)
{
    gsize value = 0;

    for (int i = 0; i < 5; i++) {
        guint8 byte;
        if (!read_u8(r, &byte, "uintvar", error))
            return FALSE;
        value = value << 7 | (byte & 0x7f);
        if (!(byte & 0x80)) {
            *out = value;
            return TRUE;
        }
    }
    g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED, "%s: uintvar longer than 5 bytes", r->what);
    return FALSE;
}

/* A NUL-terminated text within @end; FALSE if no NUL is found there. */
static gboolean read_text(Reader *r, gsize end, const char **text, GError **error)
{
    const guint8 *nul = memchr(r->data + r->pos, 0, end - r->pos);

    if (nul == NULL) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED,
                    "%s: text at offset %zu has no terminating NUL", r->what, r->pos);
        return FALSE;
    }
    *text = (const char *)r->data + r->pos;
    r->pos = (gsize)(nul - r->data) + 1;
    return TRUE;
}

static const struct {
    guint8 code;
    const char *name;
} wsp_content_types[] = {
    { 0x03, "text/plain" },
    { 0x2e, "application/vnd.wap.sic" },
    { 0x30, "application/vnd.wap.slc" },
    { 0x32, "application/vnd.wap.coc" },
    { 0x36, "application/vnd.wap.connectivity-wbxml" },
    { 0x42, "application/vnd.syncml.dm+wbxml" },
    { 0x43, "application/vnd.syncml.dm+xml" },
    { 0x44, "application/vnd.syncml.notification" },
    { 0x4e, "application/vnd.oma.drm.rights+xml" },
};

static gboolean is_dm_notification_name(const char *name)
{
    return g_ascii_strcasecmp(name, "application/vnd.syncml.notification") == 0 ||
           g_ascii_strcasecmp(name, "application/vnd.syncml.dm.notification") == 0;
}

/* Content-Type: a short integer, a text, or a value-length then media type (+ params). */
static gboolean read_content_type(Reader *headers, CatWapPush *out, GError **error)
{
    Reader *r = headers;
    gsize value_end = r->length;
    gboolean general_form = FALSE;
    const char *text;
    guint8 byte;

    if (!need(r, 1, "content type", error))
        return FALSE;
    byte = r->data[r->pos];
    if (byte <= 0x1f) {
        /* Content-general-form: the length, then the media type, then parameters we skip. */
        gsize length = byte;
        r->pos++;
        if (byte == 0x1f && !read_uintvar(r, &length, error))
            return FALSE;
        if (length == 0 || !need(r, length, "content type value", error)) {
            if (length == 0)
                g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED,
                            "WSP: empty content type value at offset %zu", r->pos);
            return FALSE;
        }
        value_end = r->pos + length;
        general_form = TRUE;
        if (!need(r, 1, "media type", error))
            return FALSE;
        byte = r->data[r->pos];
    }
    if (byte & 0x80) {
        r->pos++;
        out->content_type_code = byte & 0x7f;
        for (gsize i = 0; i < G_N_ELEMENTS(wsp_content_types); i++) {
            if (wsp_content_types[i].code == out->content_type_code)
                g_strlcpy(out->content_type, wsp_content_types[i].name, sizeof(out->content_type));
        }
        out->is_dm_notification = out->content_type_code == CAT_WSP_CONTENT_TYPE_DM_NOTIFICATION;
    } else {
        if (!read_text(r, value_end, &text, error))
            return FALSE;
        g_strlcpy(out->content_type, text, sizeof(out->content_type));
        out->content_type_code = -1;
        out->is_dm_notification = is_dm_notification_name(text);
    }
    /* Parameters after the media type are skipped. */
    if (general_form)
        r->pos = value_end;
    return TRUE;
}

/* The headers after the content type: only X-Wap-Application-Id (0x2F) is read. */
static void read_application_id(const guint8 *data, gsize length, CatWapPush *out)
{
    if (length >= 2 && data[0] == 0xaf) {
        if (data[1] & 0x80)
            out->application_id = data[1] & 0x7f;
        else if (data[1] >= 1 && data[1] <= 2 && length >= 2u + data[1]) {
            out->application_id = 0;
            for (guint i = 0; i < data[1]; i++)
                out->application_id = out->application_id << 8 | data[2 + i];
        }
    }
}

gboolean cat_wap_push_parse(const guint8 *data, gsize length, CatWapPush *out, GError **error)
{
    Reader r = { .data = data, .length = length, .what = "WSP push" };
    guint8 pdu_type;
    gsize headers_length, headers_end;

    memset(out, 0, sizeof(*out));
    out->content_type_code = -1;
    out->application_id = -1;
    if (!read_u8(&r, &out->transaction_id, "transaction id", error) ||
        !read_u8(&r, &pdu_type, "PDU type", error))
        return FALSE;
    if (pdu_type != 0x06 && pdu_type != 0x07) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_UNSUPPORTED,
                    "WSP: PDU type 0x%02x is not a push (0x06)", pdu_type);
        return FALSE;
    }
    if (!read_uintvar(&r, &headers_length, error))
        return FALSE;
    if (headers_length == 0 || !need(&r, headers_length, "headers", error)) {
        if (headers_length == 0)
            g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED,
                        "WSP push: no content type (header length 0)");
        return FALSE;
    }
    headers_end = r.pos + headers_length;
    /* Everything in the headers is read through a reader that ends where they end. */
    Reader headers = { .data = data, .length = headers_end, .pos = r.pos, .what = "WSP headers" };
    if (!read_content_type(&headers, out, error))
        return FALSE;
    g_assert(headers.pos <= headers_end);
    read_application_id(data + headers.pos, headers_end - headers.pos, out);
    out->body = data + headers_end;
    out->body_length = length - headers_end;
    return TRUE;
}
