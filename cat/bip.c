/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The BIP engine for UICC server mode (TS 102 223 §6.4.27-31, design §3.3): channels,
 * buffers and the answers and events the card expects. No I/O: the transport does that.
 */
#include "cat-private.h"

#include <string.h>

typedef struct {
    gboolean open;
    guint16 port;
    gsize buffer_size;
    CatTcpState state;
    GByteArray *rx; /* client → card, waiting for RECEIVE DATA */
    GByteArray *tx; /* card → client, buffered by SEND DATA until sent */
} Channel;

struct CatBip {
    CatBipTransport transport;
    gpointer user_data;
    Channel channels[CAT_BIP_MAX_CHANNELS + 1]; /* 1-based: channel n is device 0x20 + n */
    gboolean event_data_available;
    gboolean event_channel_status;
};

CatBip *cat_bip_new(const CatBipTransport *transport, gpointer user_data)
{
    CatBip *bip = g_new0(CatBip, 1);

    bip->transport = *transport;
    bip->user_data = user_data;
    return bip;
}

static void channel_reset(Channel *channel)
{
    g_clear_pointer(&channel->rx, g_byte_array_unref);
    g_clear_pointer(&channel->tx, g_byte_array_unref);
    memset(channel, 0, sizeof(*channel));
}

void cat_bip_free(CatBip *bip)
{
    if (bip == NULL)
        return;
    for (guint8 id = 1; id <= CAT_BIP_MAX_CHANNELS; id++) {
        if (bip->channels[id].open)
            bip->transport.close(bip->user_data, id);
        channel_reset(&bip->channels[id]);
    }
    g_free(bip);
}

gboolean cat_bip_handles(guint8 type)
{
    return (type >= CAT_CMD_OPEN_CHANNEL && type <= CAT_CMD_GET_CHANNEL_STATUS) ||
           type == CAT_CMD_SET_UP_EVENT_LIST;
}

static Channel *channel_get(CatBip *bip, guint8 id)
{
    if (id < 1 || id > CAT_BIP_MAX_CHANNELS || !bip->channels[id].open)
        return NULL;
    return &bip->channels[id];
}

static const Channel *channel_peek(const CatBip *bip, guint8 id)
{
    return channel_get((CatBip *)bip, id);
}

gsize cat_bip_rx_space(const CatBip *bip, guint8 id)
{
    const Channel *channel = channel_peek(bip, id);
    return channel ? channel->buffer_size - channel->rx->len : 0;
}

CatTcpState cat_bip_channel_state(const CatBip *bip, guint8 id)
{
    const Channel *channel = channel_peek(bip, id);
    return channel ? channel->state : CAT_TCP_CLOSED;
}

guint16 cat_bip_channel_port(const CatBip *bip, guint8 id)
{
    const Channel *channel = channel_peek(bip, id);
    return channel ? channel->port : 0;
}

/* --- Events --------------------------------------------------------------------------------- */

static void emit(CatBip *bip, GBytes *envelope)
{
    if (envelope == NULL)
        return;
    bip->transport.envelope(bip->user_data, envelope);
    g_bytes_unref(envelope);
}

static void emit_channel_status(CatBip *bip, guint8 id, CatTcpState state)
{
    if (bip->event_channel_status)
        emit(bip, cat_envelope_channel_status_new(id, state, NULL));
}

static void emit_data_available(CatBip *bip, guint8 id)
{
    Channel *channel = &bip->channels[id];

    if (bip->event_data_available)
        emit(bip, cat_envelope_data_available_new(id, channel->state, channel->rx->len, NULL));
}

/* --- Terminal responses --------------------------------------------------------------------- */

static GBytes *respond(const CatCommandDetails *command, guint8 general, int additional)
{
    guint8 cause = (guint8)additional;
    g_autoptr(GByteArray) tr =
        cat_terminal_response_new(command, general, &cause, additional >= 0 ? 1 : 0);
    return g_byte_array_free_to_bytes(g_steal_pointer(&tr));
}

static GBytes *bip_error(const CatCommandDetails *command, CatBipCause cause)
{
    return respond(command, CAT_RESULT_BIP_ERROR, cause);
}

static void add_channel_status(GByteArray *tr, guint8 id, CatTcpState state)
{
    guint8 status[2] = { (guint8)(id | (guint)state << 6), 0x00 };
    cat_builder_add(tr, CAT_TAG_CHANNEL_STATUS, status, 2);
}

static void add_u8(GByteArray *tr, guint16 tag, gsize value)
{
    guint8 byte = (guint8)MIN(value, 0xff);
    cat_builder_add(tr, tag, &byte, 1);
}

/* --- Commands ------------------------------------------------------------------------------- */

static guint8 free_channel(CatBip *bip)
{
    for (guint8 id = 1; id <= CAT_BIP_MAX_CHANNELS; id++) {
        if (!bip->channels[id].open)
            return id;
    }
    return 0;
}

static GBytes *open_channel(CatBip *bip, const CatMessage *message, const CatCommandDetails *cd)
{
    const CatTlv *transport = cat_message_find(message, CAT_TAG_TRANSPORT_LEVEL);
    g_autoptr(GByteArray) tr = NULL;
    g_autoptr(GError) error = NULL;
    guint16 requested, port;
    guint8 protocol, id;
    Channel *channel;
    guint8 general = CAT_RESULT_OK;

    /* Client modes need a bearer, which dmscd does not run: only the card's server is here. */
    if (cat_message_find(message, CAT_TAG_BEARER_DESCRIPTION) != NULL || transport == NULL)
        return respond(cd, CAT_RESULT_BEYOND_CAPABILITIES, -1);
    if (!cat_parse_transport_level(transport, &protocol, &port, NULL) ||
        !cat_parse_u16(cat_message_find(message, CAT_TAG_BUFFER_SIZE), &requested, NULL))
        return respond(cd, CAT_RESULT_DATA_NOT_UNDERSTOOD, -1);
    if (protocol != CAT_TRANSPORT_TCP_SERVER)
        return respond(cd, CAT_RESULT_BEYOND_CAPABILITIES, -1);
    if (requested == 0)
        return bip_error(cd, CAT_BIP_BUFFER_SIZE_UNAVAILABLE);
    /* Several channels on one port are how a card's server takes clients in parallel. */
    if (port == 0)
        return bip_error(cd, CAT_BIP_PORT_UNAVAILABLE);
    if ((id = free_channel(bip)) == 0)
        return bip_error(cd, CAT_BIP_NO_CHANNEL);
    if (!bip->transport.listen(bip->user_data, id, port, &error)) {
        g_debug("BIP channel %u: cannot listen on port %u: %s", id, port,
                error ? error->message : "?");
        return bip_error(cd, CAT_BIP_PORT_UNAVAILABLE);
    }

    channel = &bip->channels[id];
    channel->open = TRUE;
    channel->port = port;
    channel->state = CAT_TCP_LISTEN;
    channel->buffer_size = MIN(requested, CAT_BIP_MAX_BUFFER_SIZE);
    channel->rx = g_byte_array_new();
    channel->tx = g_byte_array_new();
    /* A smaller buffer than asked for is "performed with modification". */
    if (channel->buffer_size < requested)
        general = 0x07;

    tr = cat_terminal_response_new(cd, general, NULL, 0);
    add_channel_status(tr, id, CAT_TCP_LISTEN);
    guint8 size[2] = { (guint8)(channel->buffer_size >> 8), (guint8)channel->buffer_size };
    cat_builder_add(tr, CAT_TAG_BUFFER_SIZE, size, 2);
    return g_byte_array_free_to_bytes(g_steal_pointer(&tr));
}

static guint8 command_channel(const CatMessage *message)
{
    CatDeviceIdentities devices;

    if (!cat_message_get_devices(message, &devices) || devices.destination <= 0x20 ||
        devices.destination > 0x20 + CAT_BIP_MAX_CHANNELS)
        return 0;
    return devices.destination - 0x20;
}

static GBytes *close_channel(CatBip *bip, const CatMessage *message, const CatCommandDetails *cd)
{
    guint8 id = command_channel(message);
    Channel *channel = channel_get(bip, id);

    if (channel == NULL)
        return bip_error(cd, CAT_BIP_CHANNEL_ID_INVALID);
    if (cd->qualifier & 0x01) {
        /* Server mode: end this client's connection, keep the port for the next one. A client
         * that hung up first is gone already, but the transport still learns that the card is
         * done with it: only now may the channel take the next client, which the transport
         * may hand over at once (so the channel listens before it is told). */
        channel->state = CAT_TCP_LISTEN;
        g_byte_array_set_size(channel->rx, 0);
        g_byte_array_set_size(channel->tx, 0);
        bip->transport.drop_client(bip->user_data, id);
    } else {
        bip->transport.close(bip->user_data, id);
        channel_reset(channel);
    }
    return respond(cd, CAT_RESULT_OK, -1);
}

static GBytes *receive_data(CatBip *bip, const CatMessage *message, const CatCommandDetails *cd)
{
    guint8 id = command_channel(message);
    Channel *channel = channel_get(bip, id);
    g_autoptr(GByteArray) tr = NULL;
    guint8 requested;
    gsize n;

    if (channel == NULL)
        return bip_error(cd, CAT_BIP_CHANNEL_ID_INVALID);
    if (!cat_parse_u8(cat_message_find(message, CAT_TAG_CHANNEL_DATA_LENGTH), &requested, NULL))
        return respond(cd, CAT_RESULT_DATA_NOT_UNDERSTOOD, -1);

    n = MIN(MIN((gsize)requested, channel->rx->len), CAT_BIP_MAX_CHANNEL_DATA);
    /* Fewer bytes than asked for is "performed, with missing information". */
    tr = cat_terminal_response_new(cd, n < requested ? 0x02 : CAT_RESULT_OK, NULL, 0);
    cat_builder_add(tr, 0x80 | CAT_TAG_CHANNEL_DATA, channel->rx->data, n);
    g_byte_array_remove_range(channel->rx, 0, (guint)n);
    add_u8(tr, 0x80 | CAT_TAG_CHANNEL_DATA_LENGTH, channel->rx->len);
    return g_byte_array_free_to_bytes(g_steal_pointer(&tr));
}

static GBytes *send_data(CatBip *bip, const CatMessage *message, const CatCommandDetails *cd)
{
    guint8 id = command_channel(message);
    Channel *channel = channel_get(bip, id);
    const CatTlv *data = cat_message_find(message, CAT_TAG_CHANNEL_DATA);
    g_autoptr(GByteArray) tr = NULL;

    if (channel == NULL)
        return bip_error(cd, CAT_BIP_CHANNEL_ID_INVALID);
    if (channel->state != CAT_TCP_ESTABLISHED)
        return bip_error(cd, CAT_BIP_CHANNEL_CLOSED);
    if (data->length > channel->buffer_size - channel->tx->len)
        return bip_error(cd, CAT_BIP_NO_CAUSE);

    g_byte_array_append(channel->tx, data->value, (guint)data->length);
    if (cd->qualifier & 0x01) {
        gboolean sent =
            bip->transport.send(bip->user_data, id, channel->tx->data, channel->tx->len);
        g_byte_array_set_size(channel->tx, 0);
        if (!sent)
            return bip_error(cd, CAT_BIP_CHANNEL_CLOSED);
    }
    tr = cat_terminal_response_new(cd, CAT_RESULT_OK, NULL, 0);
    add_u8(tr, 0x80 | CAT_TAG_CHANNEL_DATA_LENGTH, channel->buffer_size - channel->tx->len);
    return g_byte_array_free_to_bytes(g_steal_pointer(&tr));
}

static GBytes *get_channel_status(CatBip *bip, const CatCommandDetails *cd)
{
    g_autoptr(GByteArray) tr = cat_terminal_response_new(cd, CAT_RESULT_OK, NULL, 0);
    gboolean any = FALSE;

    for (guint8 id = 1; id <= CAT_BIP_MAX_CHANNELS; id++) {
        if (bip->channels[id].open) {
            add_channel_status(tr, id, bip->channels[id].state);
            any = TRUE;
        }
    }
    /* No channel open: one Channel Status of zeros. */
    if (!any)
        add_channel_status(tr, 0, CAT_TCP_CLOSED);
    return g_byte_array_free_to_bytes(g_steal_pointer(&tr));
}

static GBytes *set_up_event_list(CatBip *bip, const CatMessage *message,
                                 const CatCommandDetails *cd)
{
    const CatTlv *events = cat_message_find(message, CAT_TAG_EVENT_LIST);

    /* A new list replaces the old one; an empty list removes every event. */
    bip->event_data_available = FALSE;
    bip->event_channel_status = FALSE;
    for (gsize i = 0; events != NULL && i < events->length; i++) {
        if (events->value[i] == CAT_EVENT_DATA_AVAILABLE)
            bip->event_data_available = TRUE;
        else if (events->value[i] == CAT_EVENT_CHANNEL_STATUS)
            bip->event_channel_status = TRUE;
    }
    return respond(cd, CAT_RESULT_OK, -1);
}

GBytes *cat_bip_handle_command(CatBip *bip, const CatMessage *command)
{
    CatCommandDetails cd;

    g_return_val_if_fail(command->kind == CAT_KIND_PROACTIVE_COMMAND, NULL);
    if (!cat_message_get_command(command, &cd))
        return NULL;
    switch (cd.type) {
    case CAT_CMD_OPEN_CHANNEL:
        return open_channel(bip, command, &cd);
    case CAT_CMD_CLOSE_CHANNEL:
        return close_channel(bip, command, &cd);
    case CAT_CMD_RECEIVE_DATA:
        return receive_data(bip, command, &cd);
    case CAT_CMD_SEND_DATA:
        return send_data(bip, command, &cd);
    case CAT_CMD_GET_CHANNEL_STATUS:
        return get_channel_status(bip, &cd);
    case CAT_CMD_SET_UP_EVENT_LIST:
        return set_up_event_list(bip, command, &cd);
    default:
        return respond(&cd, CAT_RESULT_BEYOND_CAPABILITIES, -1);
    }
}

/* --- Socket side ---------------------------------------------------------------------------- */

gboolean cat_bip_client_connected(CatBip *bip, guint8 id)
{
    Channel *channel = channel_get(bip, id);

    if (channel == NULL || channel->state != CAT_TCP_LISTEN)
        return FALSE;
    channel->state = CAT_TCP_ESTABLISHED;
    emit_channel_status(bip, id, CAT_TCP_ESTABLISHED);
    return TRUE;
}

gsize cat_bip_client_data(CatBip *bip, guint8 id, const guint8 *data, gsize length)
{
    Channel *channel = channel_get(bip, id);
    gboolean was_empty;
    gsize n;

    if (channel == NULL || channel->state != CAT_TCP_ESTABLISHED)
        return 0;
    was_empty = channel->rx->len == 0;
    n = MIN(length, channel->buffer_size - channel->rx->len);
    g_byte_array_append(channel->rx, data, (guint)n);
    /* The card hears of data once; it asks for the rest with RECEIVE DATA. */
    if (was_empty && n > 0)
        emit_data_available(bip, id);
    return n;
}

void cat_bip_client_closed(CatBip *bip, guint8 id)
{
    Channel *channel = channel_get(bip, id);

    if (channel == NULL || channel->state != CAT_TCP_ESTABLISHED)
        return;
    channel->state = CAT_TCP_LISTEN;
    g_byte_array_set_size(channel->rx, 0);
    g_byte_array_set_size(channel->tx, 0);
    emit_channel_status(bip, id, CAT_TCP_LISTEN);
}
