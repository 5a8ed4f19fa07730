/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SCWS gateway over the QMI SCWS messages, on the shared socket layer. */
#include "libmodem-private.h"

#include <string.h>

#define MSG_OPEN_CHANNEL   0x0027
#define MSG_CLOSE_CHANNEL  0x0028
#define MSG_SEND_DATA      0x0029
#define MSG_DATA_AVAILABLE 0x002a
#define MSG_CHANNEL_STATUS 0x002b
#define PIECE              MODEM_SCWS_MAX_PIECE
#define STATE_CLOSED       0
#define STATE_LISTEN       1
#define STATE_ESTABLISHED  2

typedef struct {
    gboolean open;
    guint32 ch_id;
    guint16 port;
    GByteArray *assembling; /* Send Data packets of the message being received */
    guint8 next;            /* the packet expected next; 0: none, a message starts at 1 */
} Channel;

struct ModemScws {
    ModemCat2 *qmi;
    ModemSockets *sockets;
    Channel channels[MODEM_SOCKETS_MAX + 1];
    ModemScwsChangedFunc changed;
    gpointer user_data;
};

/* TLV 0x01 {ch_id u32, state u8}: Open Channel (the answer), Close Channel, Channel Status and
 * (with the result as state) the acknowledgement of Send Data. */
static void send_state(ModemScws *scws, guint16 message, guint32 ch_id, guint8 state)
{
    g_autoptr(QmiMessage) request = modem_cat2_request_new(scws->qmi, message);
    gsize tlv = qmi_message_tlv_write_init(request, 0x01, NULL);

    qmi_message_tlv_write_guint32(request, QMI_ENDIAN_LITTLE, ch_id, NULL);
    qmi_message_tlv_write_guint8(request, state, NULL);
    qmi_message_tlv_write_complete(request, tlv, NULL);
    modem_cat2_send(scws->qmi, request, "SCWS request");
}

static guint slot_of(ModemScws *scws, guint32 ch_id)
{
    for (guint id = 1; id <= MODEM_SOCKETS_MAX; id++) {
        if (scws->channels[id].open && scws->channels[id].ch_id == ch_id)
            return id;
    }
    return 0;
}

/* --- Sockets → card ----------------------------------------------------------------------- */

static gboolean on_connected(gpointer user_data, guint id)
{
    ModemScws *scws = user_data;

    send_state(scws, MSG_CHANNEL_STATUS, scws->channels[id].ch_id, STATE_ESTABLISHED);
    return TRUE;
}

static gsize on_space(gpointer user_data, guint id)
{
    return 4096;
}

/* Data Available: {ch_id u32, length u16, data ≤ 1000} and what remains after this piece. */
static void on_received(gpointer user_data, guint id, const guint8 *data, gsize length)
{
    ModemScws *scws = user_data;

    for (gsize offset = 0; offset < length; offset += PIECE) {
        gsize n = MIN((gsize)PIECE, length - offset);
        guint16 remaining = (guint16)MIN(length - offset - n, (gsize)G_MAXUINT16);
        g_autoptr(QmiMessage) request = modem_cat2_request_new(scws->qmi, MSG_DATA_AVAILABLE);
        gsize tlv = qmi_message_tlv_write_init(request, 0x01, NULL);

        qmi_message_tlv_write_guint32(request, QMI_ENDIAN_LITTLE, scws->channels[id].ch_id, NULL);
        qmi_message_tlv_write_string(request, 2, (const char *)data + offset, (gssize)n, NULL);
        qmi_message_tlv_write_complete(request, tlv, NULL);
        tlv = qmi_message_tlv_write_init(request, 0x02, NULL);
        qmi_message_tlv_write_guint16(request, QMI_ENDIAN_LITTLE, remaining, NULL);
        qmi_message_tlv_write_complete(request, tlv, NULL);
        modem_cat2_send(scws->qmi, request, "SCWS Data Available");
    }
}

static void on_closed(gpointer user_data, guint id)
{
    ModemScws *scws = user_data;

    send_state(scws, MSG_CHANNEL_STATUS, scws->channels[id].ch_id, STATE_LISTEN);
}

static const ModemSocketCallbacks callbacks = {
    .connected = on_connected,
    .space = on_space,
    .received = on_received,
    .closed = on_closed,
};

/* --- Card → sockets ----------------------------------------------------------------------- */

static void open_channel(ModemScws *scws, QmiMessage *indication)
{
    g_autoptr(GError) error = NULL;
    ModemScwsOpen open;
    guint32 ch_id;
    guint16 port;
    guint id;

    if (!modem_scws_parse_open(indication, &open, &error)) {
        g_warning("%s", error->message);
        /* A channel it names is refused; one it cannot name is not answered. */
        if (modem_scws_parse_channel(indication, &ch_id))
            send_state(scws, MSG_OPEN_CHANNEL, ch_id, STATE_CLOSED);
        return;
    }
    ch_id = open.ch_id;
    port = open.port;
    for (id = 1; id <= MODEM_SOCKETS_MAX && scws->channels[id].open; id++)
        ;
    if (id > MODEM_SOCKETS_MAX || slot_of(scws, ch_id) != 0 ||
        !modem_sockets_listen(scws->sockets, id, port, &error)) {
        g_warning("SCWS channel %u on port %u: %s", ch_id, port,
                  error ? error->message : "no free channel");
        send_state(scws, MSG_OPEN_CHANNEL, ch_id, STATE_CLOSED);
        return;
    }
    scws->channels[id].open = TRUE;
    scws->channels[id].ch_id = ch_id;
    scws->channels[id].port = port;
    scws->channels[id].assembling = g_byte_array_new();
    send_state(scws, MSG_OPEN_CHANNEL, ch_id, STATE_LISTEN);
    if (scws->changed != NULL)
        scws->changed(scws->user_data);
}

static void close_channel(ModemScws *scws, QmiMessage *indication)
{
    g_autoptr(GError) error = NULL;
    ModemScwsState close;
    guint id;

    if (!modem_scws_parse_state(indication, &close, &error)) {
        g_warning("%s", error->message);
        return;
    }
    if ((id = slot_of(scws, close.ch_id)) == 0)
        return;
    if (close.state == STATE_LISTEN) {
        modem_sockets_drop_client(scws->sockets, id);
        g_byte_array_set_size(scws->channels[id].assembling, 0);
        scws->channels[id].next = 0;
    } else {
        modem_sockets_close(scws->sockets, id);
        g_byte_array_unref(scws->channels[id].assembling);
        memset(&scws->channels[id], 0, sizeof(Channel));
        if (scws->changed != NULL)
            scws->changed(scws->user_data);
    }
    send_state(scws, MSG_CLOSE_CHANNEL, close.ch_id, close.state);
}

/*
 * Packets 1 … total of a message are assembled in order (at most 255 × 1000 bytes), then
 * written; a packet out of order drops what was assembled and is refused.
 */
static gboolean assemble(ModemScws *scws, guint id, const ModemScwsData *data)
{
    Channel *c = &scws->channels[id];
    gboolean ok;

    if (data->current == 1) {
        g_byte_array_set_size(c->assembling, 0);
    } else if (data->current != c->next) {
        g_warning("SCWS channel %u: packet %u of %u out of order", c->ch_id, data->current,
                  data->total);
        g_byte_array_set_size(c->assembling, 0);
        c->next = 0;
        return FALSE;
    }
    g_byte_array_append(c->assembling, data->data, (guint)data->length);
    c->next = (guint8)(data->current + 1);
    if (data->current < data->total)
        return TRUE;
    ok = modem_sockets_send(scws->sockets, id, c->assembling->data, c->assembling->len);
    g_byte_array_set_size(c->assembling, 0);
    c->next = 0;
    return ok;
}

/* {ch_id u32, total u8, current u8, length u16, data}: assembled, then written. */
static void send_data(ModemScws *scws, QmiMessage *indication)
{
    g_autoptr(GError) error = NULL;
    ModemScwsData data;
    guint32 ch_id;
    guint id;
    gboolean ok;

    if (!modem_scws_parse_channel(indication, &ch_id) || (id = slot_of(scws, ch_id)) == 0)
        return;
    ok = modem_scws_parse_data(indication, &data, &error);
    if (!ok)
        g_warning("%s", error->message);
    else
        ok = assemble(scws, id, &data);
    /* The acknowledgement: {ch_id u32, result u8 (1 ok)}. */
    send_state(scws, MSG_SEND_DATA, ch_id, ok ? 1 : 0);
}

static void on_indication(ModemCat2 *qmi, guint16 message, QmiMessage *indication,
                          gpointer user_data)
{
    switch (message) {
    case MSG_OPEN_CHANNEL:
        open_channel(user_data, indication);
        return;
    case MSG_CLOSE_CHANNEL:
        close_channel(user_data, indication);
        return;
    case MSG_SEND_DATA:
        send_data(user_data, indication);
        return;
    }
}

ModemScws *modem_scws_new(ModemCat2 *qmi, const ModemScwsLimits *limits,
                          ModemScwsChangedFunc changed, gpointer user_data)
{
    ModemScws *scws = g_new0(ModemScws, 1);

    scws->qmi = qmi;
    scws->changed = changed;
    scws->user_data = user_data;
    scws->sockets = modem_sockets_new(&callbacks, limits ? limits->client_wait : 0,
                                      limits ? limits->client_idle : 0, scws);
    modem_cat2_set_scws_handler(qmi, on_indication, scws);
    return scws;
}

void modem_scws_free(ModemScws *scws)
{
    if (scws == NULL)
        return;
    modem_cat2_set_scws_handler(scws->qmi, NULL, NULL);
    modem_sockets_free(scws->sockets);
    for (guint id = 1; id <= MODEM_SOCKETS_MAX; id++)
        g_clear_pointer(&scws->channels[id].assembling, g_byte_array_unref);
    g_free(scws);
}

gsize modem_scws_get_ports(ModemScws *scws, guint16 *ports, gsize max)
{
    gsize n = 0;

    for (guint id = 1; id <= MODEM_SOCKETS_MAX && n < max; id++) {
        if (scws->channels[id].open)
            ports[n++] = scws->channels[id].port;
    }
    return n;
}
