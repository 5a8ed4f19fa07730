/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The socket edge of the BIP engine: loopback listeners and one client per channel. */
#include "cat-private.h"

#include <sys/socket.h>

/* What a client that does not read may make us hold, beyond the kernel's buffer. */
#define MAX_PENDING_OUTPUT (64 * 1024)
#define SOCKET_SEND_BUFFER (64 * 1024)

typedef struct {
    CatBipServer *server;
    guint8 id;
    GSocketService *service;
    GSocketAddress *address;
    GSocketConnection *client;
    GCancellable *cancellable; /* the client's I/O; cancelled when it is dropped */
    gboolean reading;
    guint8 buffer[4096];
    GQueue output; /* GBytes */
    gsize pending;
    gboolean writing;
} SocketChannel;

struct CatBipServer {
    CatBip *bip;
    SocketChannel channels[CAT_BIP_MAX_CHANNELS + 1];
    CatEnvelopeFunc envelope;
    gpointer user_data;
    GQueue envelopes; /* GBytes waiting for the idle handler */
    guint envelope_idle;
};

static void start_reading(SocketChannel *channel);
static void start_writing(SocketChannel *channel);

/* --- Clients -------------------------------------------------------------------------------- */

static void client_drop(SocketChannel *channel)
{
    if (channel->client == NULL)
        return;
    g_cancellable_cancel(channel->cancellable);
    g_clear_object(&channel->cancellable);
    g_io_stream_close(G_IO_STREAM(channel->client), NULL, NULL);
    g_clear_object(&channel->client);
    g_queue_clear_full(&channel->output, (GDestroyNotify)g_bytes_unref);
    channel->pending = 0;
    channel->reading = FALSE;
    channel->writing = FALSE;
}

/* The client went away (or misbehaved): the engine puts the channel back to listen. */
static void client_lost(SocketChannel *channel, const char *why)
{
    g_debug("BIP channel %u: client gone: %s", channel->id, why);
    client_drop(channel);
    cat_bip_client_closed(channel->server->bip, channel->id);
}

static void on_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
    SocketChannel *channel;

    /* Cancelled means the channel may already be gone: touch nothing. */
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    channel = user_data;
    channel->reading = FALSE;
    if (n <= 0) {
        client_lost(channel, n == 0 ? "hung up" : error->message);
        return;
    }
    cat_bip_client_data(channel->server->bip, channel->id, channel->buffer, (gsize)n);
    start_reading(channel);
}

/* Reads no more than the receive buffer can take; a full buffer pauses the client. */
static void start_reading(SocketChannel *channel)
{
    gsize space = cat_bip_rx_space(channel->server->bip, channel->id);

    if (channel->client == NULL || channel->reading || space == 0)
        return;
    channel->reading = TRUE;
    g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(channel->client)),
                              channel->buffer, MIN(space, sizeof(channel->buffer)),
                              G_PRIORITY_DEFAULT, channel->cancellable, on_read, channel);
}

static void on_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    SocketChannel *channel;
    GBytes *done;

    if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error) &&
        g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    channel = user_data;
    channel->writing = FALSE;
    if (error != NULL) {
        client_lost(channel, error->message);
        return;
    }
    done = g_queue_pop_head(&channel->output);
    channel->pending -= g_bytes_get_size(done);
    g_bytes_unref(done);
    start_writing(channel);
}

static void start_writing(SocketChannel *channel)
{
    GBytes *next = g_queue_peek_head(&channel->output);

    if (channel->client == NULL || channel->writing || next == NULL)
        return;
    channel->writing = TRUE;
    g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(channel->client)),
                                    g_bytes_get_data(next, NULL), g_bytes_get_size(next),
                                    G_PRIORITY_DEFAULT, channel->cancellable, on_written, channel);
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *connection, GObject *source,
                            gpointer user_data)
{
    SocketChannel *channel = user_data;
    GSocket *socket = g_socket_connection_get_socket(connection);

    if (channel->client != NULL || !cat_bip_client_connected(channel->server->bip, channel->id)) {
        /* One client a channel: the card's server speaks to one peer at a time. */
        g_debug("BIP channel %u: refusing a second client", channel->id);
        g_io_stream_close(G_IO_STREAM(connection), NULL, NULL);
        return TRUE;
    }
    /* Bound what a client that never reads can make the kernel hold for us. */
    (void)g_socket_set_option(socket, SOL_SOCKET, SO_SNDBUF, SOCKET_SEND_BUFFER, NULL);
    channel->client = g_object_ref(connection);
    channel->cancellable = g_cancellable_new();
    start_reading(channel);
    return TRUE;
}

/* --- Transport for the engine --------------------------------------------------------------- */

static gboolean transport_listen(gpointer user_data, guint8 id, guint16 port, GError **error)
{
    CatBipServer *server = user_data;
    SocketChannel *channel = &server->channels[id];
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string("127.0.0.1", port);
    g_autoptr(GSocketService) service = g_socket_service_new();
    GSocketAddress *effective = NULL;

    if (!g_socket_listener_add_address(G_SOCKET_LISTENER(service), address, G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_TCP, NULL, &effective, error))
        return FALSE;
    channel->address = effective;
    channel->service = g_steal_pointer(&service);
    g_signal_connect(channel->service, "incoming", G_CALLBACK(on_incoming), channel);
    g_socket_service_start(channel->service);
    return TRUE;
}

static void transport_drop_client(gpointer user_data, guint8 id)
{
    CatBipServer *server = user_data;
    client_drop(&server->channels[id]);
}

static void transport_close(gpointer user_data, guint8 id)
{
    CatBipServer *server = user_data;
    SocketChannel *channel = &server->channels[id];

    client_drop(channel);
    if (channel->service != NULL) {
        g_signal_handlers_disconnect_by_data(channel->service, channel);
        g_socket_service_stop(channel->service);
        g_socket_listener_close(G_SOCKET_LISTENER(channel->service));
        g_clear_object(&channel->service);
    }
    g_clear_object(&channel->address);
}

static gboolean transport_send(gpointer user_data, guint8 id, const guint8 *data, gsize length)
{
    CatBipServer *server = user_data;
    SocketChannel *channel = &server->channels[id];

    if (channel->client == NULL)
        return FALSE;
    if (channel->pending + length > MAX_PENDING_OUTPUT) {
        client_lost(channel, "does not read what it is sent");
        return FALSE;
    }
    g_queue_push_tail(&channel->output, g_bytes_new(data, length));
    channel->pending += length;
    start_writing(channel);
    return TRUE;
}

static gboolean flush_envelopes(gpointer user_data)
{
    CatBipServer *server = user_data;
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
    CatBipServer *server = user_data;

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

/* --- Server --------------------------------------------------------------------------------- */

CatBipServer *cat_bip_server_new(CatEnvelopeFunc envelope, gpointer user_data)
{
    CatBipServer *server = g_new0(CatBipServer, 1);

    server->envelope = envelope;
    server->user_data = user_data;
    server->bip = cat_bip_new(&socket_transport, server);
    for (guint8 id = 1; id <= CAT_BIP_MAX_CHANNELS; id++) {
        server->channels[id].server = server;
        server->channels[id].id = id;
    }
    return server;
}

void cat_bip_server_free(CatBipServer *server)
{
    if (server == NULL)
        return;
    /* The engine closes its open channels through the transport. */
    cat_bip_free(server->bip);
    if (server->envelope_idle != 0)
        g_source_remove(server->envelope_idle);
    g_queue_clear_full(&server->envelopes, (GDestroyNotify)g_bytes_unref);
    g_free(server);
}

GBytes *cat_bip_server_handle_command(CatBipServer *server, const CatMessage *command)
{
    GBytes *response = cat_bip_handle_command(server->bip, command);

    /* RECEIVE DATA may have made room for a paused client. */
    for (guint8 id = 1; id <= CAT_BIP_MAX_CHANNELS; id++)
        start_reading(&server->channels[id]);
    return response;
}

CatBip *cat_bip_server_peek_engine(CatBipServer *server)
{
    return server->bip;
}

GSocketAddress *cat_bip_server_get_address(CatBipServer *server, guint8 id)
{
    if (id < 1 || id > CAT_BIP_MAX_CHANNELS)
        return NULL;
    return server->channels[id].address;
}
