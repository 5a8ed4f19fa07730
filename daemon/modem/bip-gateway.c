/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The BIP engine on the SCWS socket layer, with its envelopes sent after the TR they follow. */
#include "libmodem-private.h"

struct ModemBipGateway {
    CatBip *bip;
    ModemSockets *sockets;
    ModemEnvelopeFunc envelope;
    gpointer user_data;
    GQueue envelopes; /* GBytes waiting for the idle handler */
    guint envelope_idle;
};

/* --- Engine → sockets --------------------------------------------------------------------- */

static gboolean transport_listen(gpointer user_data, guint8 id, guint16 port, GError **error)
{
    return modem_sockets_listen(((ModemBipGateway *)user_data)->sockets, id, port, error);
}

static void transport_drop_client(gpointer user_data, guint8 id)
{
    modem_sockets_drop_client(((ModemBipGateway *)user_data)->sockets, id);
}

static void transport_close(gpointer user_data, guint8 id)
{
    modem_sockets_close(((ModemBipGateway *)user_data)->sockets, id);
}

static gboolean transport_send(gpointer user_data, guint8 id, const guint8 *data, gsize length)
{
    return modem_sockets_send(((ModemBipGateway *)user_data)->sockets, id, data, length);
}

static gboolean flush_envelopes(gpointer user_data)
{
    ModemBipGateway *server = user_data;
    GBytes *envelope;

    server->envelope_idle = 0;
    while ((envelope = g_queue_pop_head(&server->envelopes)) != NULL) {
        server->envelope(envelope, server->user_data);
        g_bytes_unref(envelope);
    }
    return G_SOURCE_REMOVE;
}

static void transport_envelope(gpointer user_data, GBytes *envelope)
{
    ModemBipGateway *server = user_data;

    g_queue_push_tail(&server->envelopes, g_bytes_ref(envelope));
    if (server->envelope_idle == 0)
        server->envelope_idle = g_idle_add(flush_envelopes, server);
}

static const CatBipTransport socket_transport = {
    .listen = transport_listen,
    .drop_client = transport_drop_client,
    .close = transport_close,
    .send = transport_send,
    .envelope = transport_envelope,
};

/* --- Sockets → engine --------------------------------------------------------------------- */

static gboolean on_connected(gpointer user_data, guint id)
{
    return cat_bip_client_connected(((ModemBipGateway *)user_data)->bip, (guint8)id);
}

static gsize on_space(gpointer user_data, guint id)
{
    return cat_bip_rx_space(((ModemBipGateway *)user_data)->bip, (guint8)id);
}

static void on_received(gpointer user_data, guint id, const guint8 *data, gsize length)
{
    cat_bip_client_data(((ModemBipGateway *)user_data)->bip, (guint8)id, data, length);
}

static void on_closed(gpointer user_data, guint id)
{
    cat_bip_client_closed(((ModemBipGateway *)user_data)->bip, (guint8)id);
}

static const ModemSocketCallbacks socket_callbacks = {
    .connected = on_connected,
    .space = on_space,
    .received = on_received,
    .closed = on_closed,
};

/* --- Server --------------------------------------------------------------------------------- */

ModemBipGateway *modem_bip_gateway_new(const ModemScwsLimits *limits, ModemEnvelopeFunc envelope,
                                       gpointer user_data)
{
    ModemBipGateway *server = g_new0(ModemBipGateway, 1);

    server->envelope = envelope;
    server->user_data = user_data;
    server->sockets = modem_sockets_new(&socket_callbacks, limits ? limits->client_wait : 0,
                                        limits ? limits->client_idle : 0, server);
    server->bip = cat_bip_new(&socket_transport, server);
    return server;
}

void modem_bip_gateway_free(ModemBipGateway *server)
{
    if (server == NULL)
        return;
    /* The engine closes its open channels through the transport. */
    cat_bip_free(server->bip);
    modem_sockets_free(server->sockets);
    if (server->envelope_idle != 0)
        g_source_remove(server->envelope_idle);
    g_queue_clear_full(&server->envelopes, (GDestroyNotify)g_bytes_unref);
    g_free(server);
}

GBytes *modem_bip_gateway_handle_command(ModemBipGateway *server, const CatMessage *command)
{
    GBytes *response = cat_bip_handle_command(server->bip, command);

    /* RECEIVE DATA may have made room for a paused client. */
    for (guint id = 1; id <= CAT_BIP_MAX_CHANNELS; id++)
        modem_sockets_resume(server->sockets, id);
    return response;
}

CatBip *modem_bip_gateway_peek_engine(ModemBipGateway *server)
{
    return server->bip;
}

GSocketAddress *modem_bip_gateway_get_address(ModemBipGateway *server, guint8 id)
{
    return modem_sockets_get_address(server->sockets, id);
}
