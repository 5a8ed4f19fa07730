/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SCWS gateway over the QMI SCWS messages, on the shared socket layer. */
#include "cat-private.h"

#include <string.h>

#define MSG_OPEN_CHANNEL   0x0027
#define MSG_CLOSE_CHANNEL  0x0028
#define MSG_SEND_DATA      0x0029
#define MSG_DATA_AVAILABLE 0x002a
#define MSG_CHANNEL_STATUS 0x002b
#define PIECE              1000
#define STATE_CLOSED       0
#define STATE_LISTEN       1
#define STATE_ESTABLISHED  2

typedef struct {
    gboolean open;
    guint32 ch_id;
    guint16 port;
    GByteArray *assembling; /* Send Data packets of the message being received */
} Channel;

struct CatScws {
    CatQmi *qmi;
    CatSockets *sockets;
    Channel channels[CAT_SOCKETS_MAX + 1];
    CatScwsChangedFunc changed;
    gpointer user_data;
};

static guint32 read_u32(const guint8 *p)
{
    return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

static void put_u32(guint8 *p, guint32 v)
{
    p[0] = (guint8)v;
    p[1] = (guint8)(v >> 8);
    p[2] = (guint8)(v >> 16);
    p[3] = (guint8)(v >> 24);
}

static void on_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;

    if (!cat_qmi_request_finish(NULL, result, &error))
        g_warning("SCWS: request not taken: %s", error->message);
}

/* {ch_id u32, state u8}: Open Channel (the answer), Close Channel and Channel Status. */
static void send_state(CatScws *scws, guint16 message, guint32 ch_id, guint8 state)
{
    guint8 value[5];

    put_u32(value, ch_id);
    value[4] = state;
    cat_qmi_request_async(scws->qmi, message, value, sizeof(value), NULL, 0, on_sent, NULL);
}

static guint slot_of(CatScws *scws, guint32 ch_id)
{
    for (guint id = 1; id <= CAT_SOCKETS_MAX; id++) {
        if (scws->channels[id].open && scws->channels[id].ch_id == ch_id)
            return id;
    }
    return 0;
}

/* --- Sockets → card ----------------------------------------------------------------------- */

static gboolean on_connected(gpointer user_data, guint id)
{
    CatScws *scws = user_data;

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
    CatScws *scws = user_data;

    for (gsize offset = 0; offset < length; offset += PIECE) {
        gsize n = MIN((gsize)PIECE, length - offset);
        g_autoptr(GByteArray) value = g_byte_array_sized_new((guint)n + 6);
        guint8 head[6];
        guint16 remaining = (guint16)MIN(length - offset - n, (gsize)G_MAXUINT16);
        guint8 rest[2] = { (guint8)remaining, (guint8)(remaining >> 8) };

        put_u32(head, scws->channels[id].ch_id);
        head[4] = (guint8)n;
        head[5] = (guint8)(n >> 8);
        g_byte_array_append(value, head, sizeof(head));
        g_byte_array_append(value, data + offset, (guint)n);
        cat_qmi_request_async(scws->qmi, MSG_DATA_AVAILABLE, value->data, value->len, rest, 2,
                              on_sent, NULL);
    }
}

static void on_closed(gpointer user_data, guint id)
{
    CatScws *scws = user_data;

    send_state(scws, MSG_CHANNEL_STATUS, scws->channels[id].ch_id, STATE_LISTEN);
}

static const CatSocketCallbacks callbacks = {
    .connected = on_connected,
    .space = on_space,
    .received = on_received,
    .closed = on_closed,
};

/* --- Card → sockets ----------------------------------------------------------------------- */

static void open_channel(CatScws *scws, const guint8 *v, gsize length)
{
    g_autoptr(GError) error = NULL;
    guint32 ch_id;
    guint16 port;
    guint id;

    if (length < 8) {
        g_warning("SCWS Open Channel: %zu bytes, 8 needed", length);
        return;
    }
    ch_id = read_u32(v);
    port = (guint16)(v[4] | v[5] << 8);
    for (id = 1; id <= CAT_SOCKETS_MAX && scws->channels[id].open; id++)
        ;
    if (id > CAT_SOCKETS_MAX || slot_of(scws, ch_id) != 0 ||
        !cat_sockets_listen(scws->sockets, id, port, &error)) {
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

static void close_channel(CatScws *scws, const guint8 *v, gsize length)
{
    guint id;

    if (length < 5 || (id = slot_of(scws, read_u32(v))) == 0)
        return;
    if (v[4] == STATE_LISTEN) {
        cat_sockets_drop_client(scws->sockets, id);
        g_byte_array_set_size(scws->channels[id].assembling, 0);
    } else {
        cat_sockets_close(scws->sockets, id);
        g_byte_array_unref(scws->channels[id].assembling);
        memset(&scws->channels[id], 0, sizeof(Channel));
        if (scws->changed != NULL)
            scws->changed(scws->user_data);
    }
    send_state(scws, MSG_CLOSE_CHANNEL, read_u32(v), v[4]);
}

/* {ch_id u32, total u8, current u8, length u16, data}: assembled, then written. */
static void send_data(CatScws *scws, const guint8 *v, gsize length)
{
    guint8 ack[5];
    gsize data_length;
    guint id;
    gboolean ok;

    if (length < 8 || (id = slot_of(scws, read_u32(v))) == 0)
        return;
    data_length = (gsize)(v[6] | v[7] << 8);
    ok = data_length <= length - 8 && data_length <= PIECE;
    if (ok) {
        g_byte_array_append(scws->channels[id].assembling, v + 8, (guint)data_length);
        if (v[5] >= v[4]) {
            Channel *c = &scws->channels[id];
            ok = cat_sockets_send(scws->sockets, id, c->assembling->data, c->assembling->len);
            g_byte_array_set_size(c->assembling, 0);
        }
    }
    put_u32(ack, read_u32(v));
    ack[4] = ok ? 1 : 0;
    cat_qmi_request_async(scws->qmi, MSG_SEND_DATA, ack, sizeof(ack), NULL, 0, on_sent, NULL);
}

static void on_indication(CatQmi *qmi, guint16 message, const guint8 *value, gsize length,
                          gpointer user_data)
{
    switch (message) {
    case MSG_OPEN_CHANNEL:
        open_channel(user_data, value, length);
        return;
    case MSG_CLOSE_CHANNEL:
        close_channel(user_data, value, length);
        return;
    case MSG_SEND_DATA:
        send_data(user_data, value, length);
        return;
    }
}

CatScws *cat_scws_new(CatQmi *qmi, CatScwsChangedFunc changed, gpointer user_data)
{
    CatScws *scws = g_new0(CatScws, 1);

    scws->qmi = qmi;
    scws->changed = changed;
    scws->user_data = user_data;
    scws->sockets = cat_sockets_new(&callbacks, scws);
    cat_qmi_set_scws_handler(qmi, on_indication, scws);
    return scws;
}

void cat_scws_free(CatScws *scws)
{
    if (scws == NULL)
        return;
    cat_qmi_set_scws_handler(scws->qmi, NULL, NULL);
    cat_sockets_free(scws->sockets);
    for (guint id = 1; id <= CAT_SOCKETS_MAX; id++)
        g_clear_pointer(&scws->channels[id].assembling, g_byte_array_unref);
    g_free(scws);
}

gsize cat_scws_get_ports(CatScws *scws, guint16 *ports, gsize max)
{
    gsize n = 0;

    for (guint id = 1; id <= CAT_SOCKETS_MAX && n < max; id++) {
        if (scws->channels[id].open)
            ports[n++] = scws->channels[id].port;
    }
    return n;
}
