/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SCWS socket layer shared by the BIP gateway and the QMI SCWS gateway: channels listen
 * on 127.0.0.1 only, one client a channel. A card serves several clients at once by opening
 * several channels on one port: they share one listener, and each connection goes to a free
 * channel of its port. A client is paused while its reader has no room and dropped when it
 * does not read what it is sent.
 */
#include "libmodem-private.h"

#include <sys/socket.h>

/* What a client that does not read may make us hold, beyond the kernel's buffer. */
#define MAX_PENDING_OUTPUT (64 * 1024)
#define SOCKET_SEND_BUFFER (64 * 1024)

typedef struct {
    ModemSockets *set;
    guint16 port; /* as the card asked; 0 (any) is never shared */
    GSocketService *service;
    GSocketAddress *address; /* the one bound */
    guint users;             /* channels listening on it */
} Listener;

typedef struct {
    ModemSockets *set;
    guint id;
    Listener *listener;
    GSocketConnection *client;
    GCancellable *cancellable; /* the client's I/O; cancelled when it is dropped */
    gboolean reading;
    guint8 buffer[4096];
    GQueue output; /* GBytes */
    gsize pending;
    gboolean writing;
} Slot;

struct ModemSockets {
    ModemSocketCallbacks callbacks;
    gpointer user_data;
    Slot slots[MODEM_SOCKETS_MAX + 1]; /* 1-based */
};

static void listener_unref(Listener *listener)
{
    if (--listener->users > 0)
        return;
    g_signal_handlers_disconnect_by_data(listener->service, listener);
    g_socket_service_stop(listener->service);
    g_socket_listener_close(G_SOCKET_LISTENER(listener->service));
    g_object_unref(listener->service);
    g_object_unref(listener->address);
    g_free(listener);
}

static void start_reading(Slot *slot);
static void start_writing(Slot *slot);

static Slot *slot_get(ModemSockets *set, guint id)
{
    return id >= 1 && id <= MODEM_SOCKETS_MAX ? &set->slots[id] : NULL;
}

static void client_drop(Slot *slot)
{
    if (slot->client == NULL)
        return;
    g_cancellable_cancel(slot->cancellable);
    g_clear_object(&slot->cancellable);
    g_io_stream_close(G_IO_STREAM(slot->client), NULL, NULL);
    g_clear_object(&slot->client);
    g_queue_clear_full(&slot->output, (GDestroyNotify)g_bytes_unref);
    slot->pending = 0;
    slot->reading = FALSE;
    slot->writing = FALSE;
}

/* The client went away (or misbehaved): its owner puts the channel back to listen. */
static void client_lost(Slot *slot, const char *why)
{
    g_debug("SCWS channel %u: client gone: %s", slot->id, why);
    client_drop(slot);
    slot->set->callbacks.closed(slot->set->user_data, slot->id);
}

static void on_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
    Slot *slot;

    /* Cancelled means the slot may already be reused: touch nothing. */
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    slot = user_data;
    slot->reading = FALSE;
    if (n <= 0) {
        client_lost(slot, n == 0 ? "hung up" : error->message);
        return;
    }
    slot->set->callbacks.received(slot->set->user_data, slot->id, slot->buffer, (gsize)n);
    start_reading(slot);
}

/* Reads no more than the owner has room for; no room pauses the client. */
static void start_reading(Slot *slot)
{
    gsize space;

    if (slot->client == NULL || slot->reading)
        return;
    space = slot->set->callbacks.space(slot->set->user_data, slot->id);
    if (space == 0)
        return;
    slot->reading = TRUE;
    g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(slot->client)), slot->buffer,
                              MIN(space, sizeof(slot->buffer)), G_PRIORITY_DEFAULT,
                              slot->cancellable, on_read, slot);
}

static void on_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    Slot *slot;
    GBytes *done;

    if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error) &&
        g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    slot = user_data;
    slot->writing = FALSE;
    if (error != NULL) {
        client_lost(slot, error->message);
        return;
    }
    done = g_queue_pop_head(&slot->output);
    slot->pending -= g_bytes_get_size(done);
    g_bytes_unref(done);
    start_writing(slot);
}

static void start_writing(Slot *slot)
{
    GBytes *next = g_queue_peek_head(&slot->output);

    if (slot->client == NULL || slot->writing || next == NULL)
        return;
    slot->writing = TRUE;
    g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(slot->client)),
                                    g_bytes_get_data(next, NULL), g_bytes_get_size(next),
                                    G_PRIORITY_DEFAULT, slot->cancellable, on_written, slot);
}

static void take_client(Slot *slot, GSocketConnection *connection)
{
    GSocket *socket = g_socket_connection_get_socket(connection);

    /* Bound what a client that never reads can make the kernel hold for us. */
    (void)g_socket_set_option(socket, SOL_SOCKET, SO_SNDBUF, SOCKET_SEND_BUFFER, NULL);
    slot->client = g_object_ref(connection);
    slot->cancellable = g_cancellable_new();
    start_reading(slot);
}

/* The connection goes to the first channel of the port that is free and willing. */
static gboolean on_incoming(GSocketService *service, GSocketConnection *connection, GObject *source,
                            gpointer user_data)
{
    Listener *listener = user_data;
    ModemSockets *set = listener->set;

    for (guint id = 1; id <= MODEM_SOCKETS_MAX; id++) {
        Slot *slot = &set->slots[id];
        if (slot->listener == listener && slot->client == NULL &&
            set->callbacks.connected(set->user_data, id)) {
            take_client(slot, connection);
            return TRUE;
        }
    }
    /* Every channel of the port has its client: the card's server is busy. */
    g_debug("SCWS port %u: no free channel, refusing a client", listener->port);
    g_io_stream_close(G_IO_STREAM(connection), NULL, NULL);
    return TRUE;
}

ModemSockets *modem_sockets_new(const ModemSocketCallbacks *callbacks, gpointer user_data)
{
    ModemSockets *set = g_new0(ModemSockets, 1);

    set->callbacks = *callbacks;
    set->user_data = user_data;
    for (guint id = 1; id <= MODEM_SOCKETS_MAX; id++) {
        set->slots[id].set = set;
        set->slots[id].id = id;
    }
    return set;
}

void modem_sockets_free(ModemSockets *set)
{
    if (set == NULL)
        return;
    for (guint id = 1; id <= MODEM_SOCKETS_MAX; id++)
        modem_sockets_close(set, id);
    g_free(set);
}

static Listener *listener_find(ModemSockets *set, guint16 port)
{
    if (port == 0)
        return NULL;
    for (guint id = 1; id <= MODEM_SOCKETS_MAX; id++) {
        Listener *listener = set->slots[id].listener;
        if (listener != NULL && listener->port == port)
            return listener;
    }
    return NULL;
}

static Listener *listener_new(ModemSockets *set, guint16 port, GError **error)
{
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string("127.0.0.1", port);
    g_autoptr(GSocketService) service = g_socket_service_new();
    GSocketAddress *effective = NULL;
    Listener *listener;

    if (!g_socket_listener_add_address(G_SOCKET_LISTENER(service), address, G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_TCP, NULL, &effective, error))
        return NULL;
    listener = g_new0(Listener, 1);
    listener->set = set;
    listener->port = port;
    listener->address = effective;
    listener->service = g_steal_pointer(&service);
    g_signal_connect(listener->service, "incoming", G_CALLBACK(on_incoming), listener);
    g_socket_service_start(listener->service);
    return listener;
}

gboolean modem_sockets_listen(ModemSockets *set, guint id, guint16 port, GError **error)
{
    Slot *slot = slot_get(set, id);
    Listener *listener;

    if (slot == NULL || slot->listener != NULL) {
        g_set_error(error, MODEM_ERROR, MODEM_ERROR_FAILED, "channel %u is not free", id);
        return FALSE;
    }
    listener = listener_find(set, port);
    if (listener == NULL && (listener = listener_new(set, port, error)) == NULL)
        return FALSE;
    listener->users++;
    slot->listener = listener;
    return TRUE;
}

void modem_sockets_drop_client(ModemSockets *set, guint id)
{
    Slot *slot = slot_get(set, id);

    if (slot != NULL)
        client_drop(slot);
}

void modem_sockets_close(ModemSockets *set, guint id)
{
    Slot *slot = slot_get(set, id);

    if (slot == NULL)
        return;
    client_drop(slot);
    if (slot->listener != NULL) {
        listener_unref(slot->listener);
        slot->listener = NULL;
    }
}

gboolean modem_sockets_send(ModemSockets *set, guint id, const guint8 *data, gsize length)
{
    Slot *slot = slot_get(set, id);

    if (slot == NULL || slot->client == NULL)
        return FALSE;
    if (slot->pending + length > MAX_PENDING_OUTPUT) {
        client_lost(slot, "does not read what it is sent");
        return FALSE;
    }
    g_queue_push_tail(&slot->output, g_bytes_new(data, length));
    slot->pending += length;
    start_writing(slot);
    return TRUE;
}

void modem_sockets_resume(ModemSockets *set, guint id)
{
    Slot *slot = slot_get(set, id);

    if (slot != NULL)
        start_reading(slot);
}

GSocketAddress *modem_sockets_get_address(ModemSockets *set, guint id)
{
    Slot *slot = slot_get(set, id);
    return slot != NULL && slot->listener != NULL ? slot->listener->address : NULL;
}
