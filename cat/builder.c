/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Terminal responses, envelopes and the terminal profile that dmscd sends to the card. */
#include "cat-private.h"

#include <string.h>

void cat_builder_add(GByteArray *body, guint16 tag, const guint8 *value, gsize length)
{
    /* @tag is the one-byte tag as sent, CR bit included, or a three-byte form tag. */
    if (tag <= 0xff && tag != 0x7f && tag != 0xff)
        cat_tlv_append(body, tag & 0x7f, (tag & 0x80) != 0, value, length);
    else
        cat_tlv_append(body, tag, FALSE, value, length);
}

GByteArray *cat_terminal_response_new(const CatCommandDetails *command, guint8 general,
                                      const guint8 *additional, gsize additional_length)
{
    /* Room for what a TR carries after these, a RECEIVE DATA's channel data most. */
    GByteArray *body = g_byte_array_sized_new(256);
    guint8 details[3] = { command->number, command->type, command->qualifier };
    guint8 devices[2] = { CAT_DEVICE_TERMINAL, CAT_DEVICE_UICC };
    guint8 result[255];
    gsize result_length = 1 + MIN(additional_length, sizeof(result) - 1);

    result[0] = general;
    if (additional_length > 0)
        memcpy(result + 1, additional, result_length - 1);
    cat_builder_add(body, 0x80 | CAT_TAG_COMMAND_DETAILS, details, 3);
    cat_builder_add(body, 0x80 | CAT_TAG_DEVICE_IDENTITIES, devices, 2);
    cat_builder_add(body, 0x80 | CAT_TAG_RESULT, result, result_length);
    return body;
}

GBytes *cat_envelope_finish(guint8 ber_tag, GByteArray *body, GError **error)
{
    g_autoptr(GByteArray) out = g_byte_array_sized_new(body->len + 3);

    if (body->len > 0xff) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID,
                    "envelope body of %u bytes: at most 255 fit", body->len);
        return NULL;
    }
    g_byte_array_append(out, &ber_tag, 1);
    cat_ber_length_append(out, body->len);
    g_byte_array_append(out, body->data, body->len);
    return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

GBytes *cat_envelope_event_new(guint8 event, const guint8 *objects, gsize objects_length,
                               GError **error)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    guint8 devices[2] = { CAT_DEVICE_TERMINAL, CAT_DEVICE_UICC };

    cat_builder_add(body, 0x80 | CAT_TAG_EVENT_LIST, &event, 1);
    cat_builder_add(body, 0x80 | CAT_TAG_DEVICE_IDENTITIES, devices, 2);
    if (objects_length > 0)
        g_byte_array_append(body, objects, (guint)MIN(objects_length, 0x100));
    return cat_envelope_finish(CAT_ENVELOPE_EVENT_DOWNLOAD, body, error);
}

/* Channel Status byte 1 in UICC server mode: the id and the TCP state in bits 7-8. */
static guint8 channel_status_byte(guint8 channel_id, CatTcpState state)
{
    return (guint8)((channel_id & 0x07) | ((guint)state << 6));
}

GBytes *cat_envelope_channel_status_new(guint8 channel_id, CatTcpState state, GError **error)
{
    g_autoptr(GByteArray) objects = g_byte_array_new();
    guint8 status[2] = { channel_status_byte(channel_id, state), 0x00 };

    cat_builder_add(objects, 0x80 | CAT_TAG_CHANNEL_STATUS, status, 2);
    return cat_envelope_event_new(CAT_EVENT_CHANNEL_STATUS, objects->data, objects->len, error);
}

GBytes *cat_envelope_data_available_new(guint8 channel_id, CatTcpState state, gsize available,
                                        GError **error)
{
    g_autoptr(GByteArray) objects = g_byte_array_new();
    guint8 status[2] = { channel_status_byte(channel_id, state), 0x00 };
    guint8 length = (guint8)MIN(available, 0xff);

    cat_builder_add(objects, 0x80 | CAT_TAG_CHANNEL_STATUS, status, 2);
    cat_builder_add(objects, 0x80 | CAT_TAG_CHANNEL_DATA_LENGTH, &length, 1);
    return cat_envelope_event_new(CAT_EVENT_DATA_AVAILABLE, objects->data, objects->len, error);
}

GBytes *cat_envelope_sms_pp_new(const guint8 *sc_address, gsize sc_address_length,
                                const guint8 *tpdu, gsize tpdu_length, GError **error)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    guint8 devices[2] = { CAT_DEVICE_NETWORK, CAT_DEVICE_UICC };

    if (sc_address_length > 12 || tpdu_length > 232) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID,
                    "SMS-PP download: address of %zu or TPDU of %zu bytes is too long",
                    sc_address_length, tpdu_length);
        return NULL;
    }
    cat_builder_add(body, 0x80 | CAT_TAG_DEVICE_IDENTITIES, devices, 2);
    if (sc_address_length > 0)
        cat_builder_add(body, 0x80 | CAT_TAG_ADDRESS, sc_address, sc_address_length);
    cat_builder_add(body, 0x80 | CAT_TAG_SMS_TPDU, tpdu, tpdu_length);
    return cat_envelope_finish(CAT_ENVELOPE_SMS_PP_DOWNLOAD, body, error);
}

GBytes *cat_terminal_profile_new(void)
{
    /*
     * TS 102 223 §5.2, byte by byte. Only what dmscd really does is set; commands it answers
     * with "beyond capabilities" are left clear so that a card need not try them.
     */
    static const guint8 profile[] = {
        0x03, /* 1: profile download, SMS-PP data download */
        0x01, /* 2: command result */
        0x88, /* 3: MORE TIME, REFRESH */
        0x02, /* 4: SEND SHORT MESSAGE */
        0x01, /* 5: SET UP EVENT LIST */
        0x0c, /* 6: events data available, channel status */
        0x00, /* 7: multiple card commands */
        0x00, /* 8 */
        0x00, /* 9 */
        0x00, /* 10: soft keys */
        0x00, /* 11: soft keys */
        0x1f, /* 12: OPEN, CLOSE CHANNEL, RECEIVE, SEND DATA, GET CHANNEL STATUS */
        0xe0, /* 13: seven channels (bits 6-8) */
        0x00, /* 14: screen height */
        0x00, /* 15: screen width */
        0x00, /* 16: browser */
        0x04, /* 17: BIP transport: TCP, UICC in server mode */
    };
    return g_bytes_new_static(profile, sizeof(profile));
}
