/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SyncML DM messages to and from WBXML, through libwbxml2's converters and the XML codec.
 * libwbxml picks the code pages from the public id: a message that says SyncML 1.1 there
 * and VerDTD 1.2 in its header decodes like any other (real servers send that).
 */
#include "dm-private.h"

#include <stdlib.h>
#include <string.h>
#include <wbxml/wbxml.h>

char *dm_message_to_xml_with_doctype(const DmMessage *message);

/* mb_u_int32 (WBXML §5.1): seven bits a byte, high bit set on all but the last. */
static gboolean read_mb(const guint8 **p, const guint8 *end, guint32 *out)
{
    guint64 value = 0;

    for (int i = 0; i < 5 && *p < end; i++) {
        guint8 byte = *(*p)++;
        value = value << 7 | (byte & 0x7f);
        if (!(byte & 0x80)) {
            if (value > G_MAXUINT32)
                return FALSE;
            *out = (guint32)value;
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean skip_string(const guint8 **p, const guint8 *end)
{
    const guint8 *nul = memchr(*p, 0, (size_t)(end - *p));

    if (nul == NULL)
        return FALSE;
    *p = nul + 1;
    return TRUE;
}

/* Deep enough for any SyncML DM message (Atomic in Sequence in a body, Meta, MetInf…). */
#define MAX_DEPTH 32

/*
 * A complete structural check before libwbxml sees the bytes: libwbxml aborts the process (an
 * assertion) on some token streams, so only what SyncML DM uses may reach it. That is tags
 * with or without content (no attributes), END, SWITCH_PAGE to the SyncML, MetInf or DevInf
 * code page, inline strings, string-table references inside the table, and OPAQUE data; no
 * ENTITY, extension, processing instruction or literal tag. Elements nest properly, at most
 * MAX_DEPTH deep, under one root.
 */
static gboolean wbxml_acceptable(const guint8 *data, gsize length, GError **error)
{
    const guint8 *p = data, *end = data + length;
    const char *why = "truncated";
    guint32 value, table;
    guint depth = 0, roots = 0;

    p++; /* version */
    if (!read_mb(&p, end, &value) || (value == 0 && !read_mb(&p, end, &value)) ||
        !read_mb(&p, end, &value) || !read_mb(&p, end, &table) || table > (size_t)(end - p))
        goto bad;
    p += table; /* the string table */
    while (p < end) {
        guint8 token = *p++;

        switch (token) {
        case 0x00: /* SWITCH_PAGE */
            if (p >= end)
                goto bad;
            if (*p++ > 2) {
                why = "a code page SyncML DM does not have";
                goto bad;
            }
            continue;
        case 0x01: /* END */
            if (depth == 0) {
                why = "END without an element";
                goto bad;
            }
            depth--;
            continue;
        case 0x03: /* STR_I */
            if (!skip_string(&p, end))
                goto bad;
            break;
        case 0x83: /* STR_T */
            if (!read_mb(&p, end, &value))
                goto bad;
            if (value >= table) {
                why = "a string-table offset past the table";
                goto bad;
            }
            break;
        case 0xc3: /* OPAQUE */
            if (!read_mb(&p, end, &value) || value > (size_t)(end - p))
                goto bad;
            p += value;
            break;
        default:
            if ((token & 0x3f) < 0x05 || (token & 0x80)) {
                why = "an entity, extension, processing instruction, literal or attribute";
                goto bad;
            }
            /* A tag: an element, with content (0x40) or empty. */
            if (depth == 0 && roots++ > 0) {
                why = "a second root element";
                goto bad;
            }
            if ((token & 0x40) && ++depth > MAX_DEPTH) {
                why = "elements nested too deep";
                goto bad;
            }
            continue;
        }
        /* Text belongs inside an element. */
        if (depth == 0) {
            why = "text outside the root element";
            goto bad;
        }
    }
    if (depth != 0 || roots == 0) {
        why = roots == 0 ? "no element" : "an element left open";
        goto bad;
    }
    return TRUE;

bad:
    g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED,
                "WBXML: malformed token stream at offset %td: %s", p - data, why);
    return FALSE;
}

DmMessage *dm_message_parse_wbxml(const guint8 *wbxml, gsize length, GError **error)
{
    return dm_message_parse_wbxml_checked(wbxml, length, FALSE, error);
}

DmMessage *dm_message_parse_wbxml_checked(const guint8 *wbxml, gsize length, gboolean strict,
                                          GError **error)
{
    WBXMLConvWBXML2XML *conv = NULL;
    WB_UTINY *xml = NULL;
    WB_ULONG xml_length = 0;
    WBXMLError r;
    DmMessage *message;

    if (length == 0 || length > G_MAXUINT32) {
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED, "WBXML: %zu bytes", length);
        return NULL;
    }
    if (!wbxml_acceptable(wbxml, length, error))
        return NULL;
    if (wbxml_conv_wbxml2xml_create(&conv) != WBXML_OK) {
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED, "WBXML: converter unavailable");
        return NULL;
    }
    wbxml_conv_wbxml2xml_set_gen_type(conv, WBXML_GEN_XML_COMPACT);
    wbxml_conv_wbxml2xml_set_charset(conv, WBXML_CHARSET_UTF_8);
    /* Buffers from libwbxml are malloc()ed. The converter does not modify its input, whatever its
     * prototype says. */
    r = wbxml_conv_wbxml2xml_run(conv, (WB_UTINY *)wbxml, (WB_ULONG)length, &xml, &xml_length);
    wbxml_conv_wbxml2xml_destroy(conv);
    if (r != WBXML_OK) {
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED, "WBXML: %s",
                    (const char *)wbxml_errors_string(r));
        free(xml);
        return NULL;
    }
    message =
        dm_message_parse_xml_checked((const char *)xml, xml_length,
                                     strict ? DM_PARSE_STRICT_FROM_WBXML : DM_PARSE_LENIENT, error);
    free(xml);
    return message;
}

GBytes *dm_message_to_wbxml(const DmMessage *message, GError **error)
{
    g_autofree char *xml = dm_message_to_xml_with_doctype(message);

    return dm_xml_to_wbxml(xml, error);
}

GBytes *dm_xml_to_wbxml(const char *xml, GError **error)
{
    WBXMLConvXML2WBXML *conv = NULL;
    WB_UTINY *wbxml = NULL;
    WB_ULONG wbxml_length = 0;
    WBXMLError r;
    GBytes *out;

    if (wbxml_conv_xml2wbxml_create(&conv) != WBXML_OK) {
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED, "WBXML: converter unavailable");
        return NULL;
    }
    wbxml_conv_xml2wbxml_set_version(conv, WBXML_VERSION_12);
    r = wbxml_conv_xml2wbxml_run(conv, (WB_UTINY *)xml, (WB_ULONG)strlen(xml), &wbxml,
                                 &wbxml_length);
    wbxml_conv_xml2wbxml_destroy(conv);
    if (r != WBXML_OK) {
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED, "WBXML encoding: %s",
                    (const char *)wbxml_errors_string(r));
        free(wbxml);
        return NULL;
    }
    /* What dmscd sends it must be able to read: an element of a command it keeps whole that
     * no code page has (a literal, an attribute) is refused here, not by the peer. */
    if (!wbxml_acceptable(wbxml, wbxml_length, NULL)) {
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED,
                    "WBXML encoding: the message has elements or attributes SyncML DM's code "
                    "pages do not carry");
        free(wbxml);
        return NULL;
    }
    out = g_bytes_new(wbxml, wbxml_length);
    free(wbxml);
    return out;
}
