/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A SyncML DM message in either encoding: which one it is, and the codec for it. */
#include "dm-private.h"

#include <string.h>

DmEncoding dm_message_detect(const guint8 *data, gsize length)
{
    /* WBXML 1.1-1.3 start with their version byte; XML text starts with '<', a BOM or space. */
    return (length > 0 && data[0] >= 0x01 && data[0] <= 0x03) ? DM_ENCODING_WBXML : DM_ENCODING_XML;
}

DmMessage *dm_message_parse(const guint8 *data, gsize length, GError **error)
{
    if (dm_message_detect(data, length) == DM_ENCODING_WBXML)
        return dm_message_parse_wbxml(data, length, error);
    return dm_message_parse_xml((const char *)data, length, error);
}

DmMessage *dm_message_parse_strict(const guint8 *data, gsize length, GError **error)
{
    if (dm_message_detect(data, length) == DM_ENCODING_WBXML)
        return dm_message_parse_wbxml_checked(data, length, TRUE, error);
    return dm_message_parse_xml_checked((const char *)data, length, DM_PARSE_STRICT, error);
}

GBytes *dm_message_encode(const DmMessage *message, DmEncoding encoding, GError **error)
{
    if (encoding == DM_ENCODING_WBXML)
        return dm_message_to_wbxml(message, error);
    char *xml = dm_message_to_xml(message, FALSE);
    return g_bytes_new_take(xml, strlen(xml));
}
