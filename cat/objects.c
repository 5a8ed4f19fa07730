/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Decoders for the simple objects the daemon and the BIP engine act on. */
#include "cat-private.h"

static gboolean check_length(const CatTlv *tlv, gsize expected, GError **error)
{
    char label[CAT_LABEL_SIZE];

    if (tlv->length == expected)
        return TRUE;
    g_set_error(error, CAT_ERROR, CAT_ERROR_MALFORMED, "%s: length %zu, expected %zu at offset %zu",
                cat_tag_label(tlv->tag, label), tlv->length, expected, tlv->offset);
    return FALSE;
}

gboolean cat_parse_command_details(const CatTlv *tlv, CatCommandDetails *out, GError **error)
{
    if (!check_length(tlv, 3, error))
        return FALSE;
    if (out != NULL) {
        out->number = tlv->value[0];
        out->type = tlv->value[1];
        out->qualifier = tlv->value[2];
    }
    return TRUE;
}

gboolean cat_parse_device_identities(const CatTlv *tlv, CatDeviceIdentities *out, GError **error)
{
    if (!check_length(tlv, 2, error))
        return FALSE;
    if (out != NULL) {
        out->source = tlv->value[0];
        out->destination = tlv->value[1];
    }
    return TRUE;
}

gboolean cat_parse_u8(const CatTlv *tlv, guint8 *out, GError **error)
{
    if (!check_length(tlv, 1, error))
        return FALSE;
    *out = tlv->value[0];
    return TRUE;
}

gboolean cat_parse_u16(const CatTlv *tlv, guint16 *out, GError **error)
{
    if (!check_length(tlv, 2, error))
        return FALSE;
    *out = (guint16)(tlv->value[0] << 8 | tlv->value[1]);
    return TRUE;
}

gboolean cat_parse_transport_level(const CatTlv *tlv, guint8 *protocol, guint16 *port,
                                   GError **error)
{
    if (!check_length(tlv, 3, error))
        return FALSE;
    *protocol = tlv->value[0];
    *port = (guint16)(tlv->value[1] << 8 | tlv->value[2]);
    return TRUE;
}
