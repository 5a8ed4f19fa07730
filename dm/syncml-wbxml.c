/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SyncML DM messages to and from WBXML, through libwbxml2's converters and the XML codec.
 * libwbxml picks the code pages from the public id: a message that says SyncML 1.1 there
 * and VerDTD 1.2 in its header decodes like any other (real servers send that).
 */
#include "dm.h"

#include <stdlib.h>
#include <string.h>
#include <wbxml/wbxml.h>

char *dm_message_to_xml_with_doctype(const DmMessage *message);

DmMessage *dm_message_parse_wbxml(const guint8 *wbxml, gsize length, GError **error)
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
    message = dm_message_parse_xml((const char *)xml, xml_length, error);
    free(xml);
    return message;
}

GBytes *dm_message_to_wbxml(const DmMessage *message, GError **error)
{
    g_autofree char *xml = dm_message_to_xml_with_doctype(message);
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
    out = g_bytes_new(wbxml, wbxml_length);
    free(wbxml);
    return out;
}
