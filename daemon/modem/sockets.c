/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SCWS socket layer shared by the BIP gateway and the QMI SCWS gateway: channels listen
 * on 127.0.0.1 only, one client a channel. A card serves several clients at once by opening
 * several channels on one port: they share one listener, and each connection goes to a free
 * channel of its port. A client is paused while its reader has no room and dropped when it
 * does not read what it is sent.
 *
 * A card answers one request a connection and then closes it (CLOSE CHANNEL, or Close
 * Channel to listen): until it has, its channel is not free, even when the client hung up
 * first, or the card's close would cut the next client. A connection that finds no free
 * channel waits, in order, until one is (or is closed after the wait the owner set).
 *
 * dmscd's own DM sessions reach the card on an abstract Unix socket beside each port (see
 * modem_scws_own_address_new()), so they are told apart from other local clients for sure.
 * When the card listens on a port with more than one channel, the last free one is kept for
 * them: N idle local clients cannot lock the card's own management out.
 */
#include "libmodem-private.h"

#include <gio/gunixsocketaddress.h>
#include <sys/socket.h>
#include <unistd.h>

/* What a client that does not read may make us hold, beyond the kernel's buffer. */
#define MAX_PENDING_OUTPUT (64 * 1024)
#define SOCKET_SEND_BUFFER (64 * 1024)

/* A card that never closes a channel whose client hung up still gets it back after this. */
#define DRAIN_SECONDS 3
/* Connections waiting for a channel of one port; more are closed at once. */
#define MAX_WAITING 32

typedef struct Listener Listener;

/*
 * One listening socket of a port, its source woken when a connection waits: accepted there
 * and then, without a task and a source for every accept as GSocketService has.
 */
typedef struct {
    Listener *listener;
    GSocket *socket;
    GSource *source; /* while watched */
    guint resume_id; /* not watched for a moment after an accept failed */
    gboolean own;    /* dmscd's own way in */
} Acceptor;

struct Listener {
    ModemSockets *set;
    guint16 port;            /* as the card asked; 0 (any) is never shared */
    Acceptor tcp;            /* 127.0.0.1: any local client */
    Acceptor own;            /* an abstract Unix socket: dmscd's own sessions */
    GSocketAddress *address; /* the one bound */
    guint users;             /* channels listening on it */
    GQueue waiting;          /* Waiter *, oldest first */
};

typedef struct {
    Listener *listener;
    GSocket *socket;
    gboolean own; /* one of dmscd's own DM sessions */
    guint timeout_id;
} Waiter;

typedef enum {
    SLOT_IDLE,      /* no channel */
    SLOT_LISTENING, /* the channel is free for the next client */
    SLOT_CONNECTED, /* it has a client */
    SLOT_DRAINING,  /* its client hung up; the card has not closed the connection yet */
} SlotState;

typedef struct {
    ModemSockets *set;
    guint id;
    SlotState state;
    Listener *listener;
    guint drain_id;
    guint idle_id;        /* a connected client that does nothing is let go */
    gint64 active_at;     /* monotonic time of the client's last read or write */
    GSocket *client;      /* no GSocketConnection: a slot reads and writes the socket itself */
    gboolean own_client;  /* the client is one of dmscd's own DM sessions */
    GSource *read_source; /* while the owner has room for what the client sends */
    guint8 buffer[4096];
    GQueue output;         /* GBytes the client's socket had no room for yet */
    gsize output_offset;   /* what of the first of them is written */
    gsize pending;         /* bytes in output, not written */
    GSource *write_source; /* while output waits for the client's window */
} Slot;

struct ModemSockets {
    ModemSocketCallbacks callbacks;
    gpointer user_data;
    guint client_wait;                 /* seconds a connection waits for a free channel */
    guint client_idle;                 /* seconds a client may do nothing */
    Slot slots[MODEM_SOCKETS_MAX + 1]; /* 1-based */
};

static void waiter_free(Waiter *waiter)
{
    if (waiter->timeout_id != 0)
        g_source_remove(waiter->timeout_id);
    if (waiter->socket != NULL) {
        g_socket_close(waiter->socket, NULL);
        g_object_unref(waiter->socket);
    }
    g_free(waiter);
}

static void start_reading(Slot *slot);
static void dispatch(Listener *listener);
static void acceptor_close(Acceptor *acceptor);

static void listener_unref(Listener *listener)
{
    if (--listener->users > 0)
        return;
    g_queue_clear_full(&listener->waiting, (GDestroyNotify)waiter_free);
    acceptor_close(&listener->tcp);
    acceptor_close(&listener->own);
    g_object_unref(listener->address);
    g_free(listener);
}

static const char *slot_state_name(SlotState state)
{
    static const char *const names[] = { "idle", "listening", "connected", "draining" };
    return names[state];
}

static Slot *slot_get(ModemSockets *set, guint id)
{
    return id >= 1 && id <= MODEM_SOCKETS_MAX ? &set->slots[id] : NULL;
}

/* A source of the slot's client goes; safe from within its own dispatch. */
static void source_clear(GSource **source)
{
    if (*source == NULL)
        return;
    g_source_destroy(*source);
    g_clear_pointer(source, g_source_unref);
}

static void client_drop(Slot *slot)
{
    if (slot->idle_id != 0) {
        g_source_remove(slot->idle_id);
        slot->idle_id = 0;
    }
    if (slot->client == NULL)
        return;
    source_clear(&slot->read_source);
    source_clear(&slot->write_source);
    g_socket_close(slot->client, NULL);
    g_clear_object(&slot->client);
    slot->own_client = FALSE;
    g_queue_clear_full(&slot->output, (GDestroyNotify)g_bytes_unref);
    slot->output_offset = 0;
    slot->pending = 0;
}

static gboolean on_drained(gpointer user_data);

/* The one place a channel changes state; a channel that becomes free takes a waiting client. */
static void slot_set_state(Slot *slot, SlotState state)
{
    if (slot->state == state)
        return;
    modem_debug("SCWS channel %u: %s -> %s", slot->id, slot_state_name(slot->state),
                slot_state_name(state));
    slot->state = state;
    if (slot->drain_id != 0) {
        g_source_remove(slot->drain_id);
        slot->drain_id = 0;
    }
    if (state == SLOT_DRAINING)
        slot->drain_id = g_timeout_add_seconds(DRAIN_SECONDS, on_drained, slot);
    if (state == SLOT_LISTENING)
        dispatch(slot->listener);
}

static gboolean on_drained(gpointer user_data)
{
    Slot *slot = user_data;

    slot->drain_id = 0;
    g_debug("SCWS channel %u: the card did not close it; free again", slot->id);
    slot_set_state(slot, SLOT_LISTENING);
    return G_SOURCE_REMOVE;
}

static void client_lost(Slot *slot, const char *why);

static gboolean on_idle_client(gpointer user_data)
{
    Slot *slot = user_data;
    gint64 idle = (gint64)slot->set->client_idle * G_USEC_PER_SEC;
    gint64 quiet = g_get_monotonic_time() - slot->active_at;
    g_autofree char *why = NULL;

    /* The timer is set once a client, not at each read or write: a client that did something
     * meanwhile has the rest of its time. */
    if (quiet < idle) {
        slot->idle_id = g_timeout_add((guint)((idle - quiet) / 1000) + 1, on_idle_client, slot);
        return G_SOURCE_REMOVE;
    }
    slot->idle_id = 0;
    why = g_strdup_printf("idle for %u s", slot->set->client_idle);
    g_message("SCWS channel %u: a client that did nothing for %u s is let go", slot->id,
              slot->set->client_idle);
    client_lost(slot, why);
    return G_SOURCE_REMOVE;
}

/* The client went away (or misbehaved): its owner tells the card, whose close frees it. */
static void client_lost(Slot *slot, const char *why)
{
    g_debug("SCWS channel %u: client gone: %s", slot->id, why);
    client_drop(slot);
    slot_set_state(slot, SLOT_DRAINING);
    slot->set->callbacks.closed(slot->set->user_data, slot->id);
}

/*
 * The client's socket stays watched while the owner has room: one source a connection, and a
 * read without blocking each time it is ready, rather than an asynchronous read (a task and
 * its sources) for every piece the client sends.
 */
static gboolean on_readable(GSocket *socket, GIOCondition condition, gpointer user_data)
{
    Slot *slot = user_data;
    GSource *self = slot->read_source; /* alive while it runs, whatever its slot does */
    g_autoptr(GError) error = NULL;
    gsize space = slot->set->callbacks.space(slot->set->user_data, slot->id);
    gssize n;

    if (space == 0) { /* paused until the owner has room: modem_sockets_resume() */
        source_clear(&slot->read_source);
        return G_SOURCE_REMOVE;
    }
    n = g_socket_receive_with_blocking(socket, (char *)slot->buffer,
                                       MIN(space, sizeof(slot->buffer)), FALSE, NULL, &error);
    if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
    if (n <= 0) {
        client_lost(slot, n == 0 ? "hung up" : error->message);
        return G_SOURCE_REMOVE;
    }
    slot->active_at = g_get_monotonic_time();
    /* The owner may drop the client from here (client_drop() destroys this source), and the
     * slot may even have a new client by the time it returns. */
    slot->set->callbacks.received(slot->set->user_data, slot->id, slot->buffer, (gsize)n);
    if (slot->read_source != self)
        return G_SOURCE_REMOVE;
    /* Full now: pause at once rather than be woken only to find no room. */
    if (slot->set->callbacks.space(slot->set->user_data, slot->id) == 0) {
        source_clear(&slot->read_source);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void start_reading(Slot *slot)
{
    if (slot->client == NULL || slot->read_source != NULL ||
        slot->set->callbacks.space(slot->set->user_data, slot->id) == 0)
        return;
    slot->read_source = g_socket_create_source(slot->client, G_IO_IN, NULL);
    g_source_set_callback(slot->read_source, G_SOURCE_FUNC(on_readable), slot, NULL);
    g_source_attach(slot->read_source, g_main_context_get_thread_default());
}

/* What the client's socket takes of @data now (0: no room); -1 when the client is lost. */
static gssize write_some(Slot *slot, const guint8 *data, gsize length)
{
    g_autoptr(GError) error = NULL;
    gssize n =
        g_socket_send_with_blocking(slot->client, (const char *)data, length, FALSE, NULL, &error);

    if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return 0;
    if (n < 0) {
        client_lost(slot, error->message);
        return -1;
    }
    slot->active_at = g_get_monotonic_time();
    return n;
}

/* Writes what waits, as far as the socket takes it; FALSE when the client is lost. */
static gboolean write_output(Slot *slot)
{
    GBytes *next;

    while ((next = g_queue_peek_head(&slot->output)) != NULL) {
        gsize size;
        const guint8 *data = g_bytes_get_data(next, &size);
        gssize n = write_some(slot, data + slot->output_offset, size - slot->output_offset);

        if (n <= 0)
            return n == 0;
        slot->pending -= (gsize)n;
        slot->output_offset += (gsize)n;
        if (slot->output_offset == size) {
            g_bytes_unref(g_queue_pop_head(&slot->output));
            slot->output_offset = 0;
        }
    }
    return TRUE;
}

static gboolean on_writable(GSocket *socket, GIOCondition condition, gpointer user_data)
{
    Slot *slot = user_data;

    if (!write_output(slot))
        return G_SOURCE_REMOVE; /* the source went with the client */
    if (!g_queue_is_empty(&slot->output))
        return G_SOURCE_CONTINUE;
    source_clear(&slot->write_source);
    return G_SOURCE_REMOVE;
}

/* Output the socket had no room for waits for the client's window to open. */
static void wait_writable(Slot *slot)
{
    if (slot->client == NULL || slot->write_source != NULL || g_queue_is_empty(&slot->output))
        return;
    slot->write_source = g_socket_create_source(slot->client, G_IO_OUT, NULL);
    g_source_set_callback(slot->write_source, G_SOURCE_FUNC(on_writable), slot, NULL);
    g_source_attach(slot->write_source, g_main_context_get_thread_default());
}

static void take_client(Slot *slot, GSocket *socket, gboolean own)
{
    /* Bound what a client that never reads can make the kernel hold for us. */
    (void)g_socket_set_option(socket, SOL_SOCKET, SO_SNDBUF, SOCKET_SEND_BUFFER, NULL);
    slot->client = g_object_ref(socket);
    slot->own_client = own;
    slot_set_state(slot, SLOT_CONNECTED);
    slot->active_at = g_get_monotonic_time();
    slot->idle_id = g_timeout_add_seconds(slot->set->client_idle, on_idle_client, slot);
    start_reading(slot);
}

/* Another local client may take a channel unless it is the one kept for dmscd's sessions: the
 * last free one of a port the card offers several channels on, while none of them has one. */
static gboolean may_take(Listener *listener, gboolean own)
{
    ModemSockets *set = listener->set;
    guint free_channels = 0;

    if (own || listener->users < 2)
        return TRUE;
    for (guint id = 1; id <= MODEM_SOCKETS_MAX; id++) {
        Slot *slot = &set->slots[id];
        if (slot->listener != listener)
            continue;
        if (slot->state == SLOT_CONNECTED && slot->own_client)
            return TRUE;
        if (slot->state == SLOT_LISTENING)
            free_channels++;
    }
    return free_channels > 1;
}

/* The connection goes to the first channel of the port that is free and willing; FALSE when
 * none is. */
static gboolean place(Listener *listener, GSocket *socket, gboolean own)
{
    ModemSockets *set = listener->set;

    if (!may_take(listener, own))
        return FALSE;
    for (guint id = 1; id <= MODEM_SOCKETS_MAX; id++) {
        Slot *slot = &set->slots[id];
        if (slot->listener == listener && slot->state == SLOT_LISTENING &&
            set->callbacks.connected(set->user_data, id)) {
            take_client(slot, socket, own);
            return TRUE;
        }
    }
    return FALSE;
}

/* Waiting connections take the free channels, oldest first; one of dmscd's own sessions may
 * pass others to the channel kept for it. */
static void dispatch(Listener *listener)
{
    GList *link = listener->waiting.head;

    while (link != NULL) {
        GList *next = link->next;
        Waiter *waiter = link->data;

        if (place(listener, waiter->socket, waiter->own)) {
            g_queue_delete_link(&listener->waiting, link);
            g_clear_object(&waiter->socket);
            waiter_free(waiter);
        }
        link = next;
    }
}

static gboolean on_wait_over(gpointer user_data)
{
    Waiter *waiter = user_data;

    waiter->timeout_id = 0;
    g_message("SCWS port %u: no channel came free for a client; closing it",
              waiter->listener->port);
    g_queue_remove(&waiter->listener->waiting, waiter);
    waiter_free(waiter);
    return G_SOURCE_REMOVE;
}

typedef enum {
    CLIENT_LOCAL,    /* over TCP on 127.0.0.1: any local process */
    CLIENT_OWN,      /* dmscd's own DM session */
    CLIENT_STRANGER, /* another process on the own socket: refused */
} ClientKind;

/* On the own socket, only this process is dmscd's own: the peer's PID says so. */
static ClientKind client_kind(GSocket *client, gboolean on_own_socket)
{
    g_autoptr(GCredentials) peer = NULL;

    if (!on_own_socket)
        return CLIENT_LOCAL;
    peer = g_socket_get_credentials(client, NULL);
    return peer != NULL && g_credentials_get_unix_pid(peer, NULL) == getpid() ? CLIENT_OWN
                                                                              : CLIENT_STRANGER;
}

static void on_incoming(Listener *listener, GSocket *socket, ClientKind kind)
{
    gboolean own = kind == CLIENT_OWN;
    Waiter *waiter;

    if (kind == CLIENT_STRANGER) {
        g_message("SCWS port %u: another process on dmscd's own socket; closing it",
                  listener->port);
        g_socket_close(socket, NULL);
        return;
    }
    if ((own || g_queue_is_empty(&listener->waiting)) && place(listener, socket, own))
        return;
    if (g_queue_get_length(&listener->waiting) >= MAX_WAITING && !own) {
        g_message("SCWS port %u: %u clients wait already; closing another", listener->port,
                  MAX_WAITING);
        g_socket_close(socket, NULL);
        return;
    }
    /* Every channel of the port is busy, or on its way back to listen: wait for one. */
    g_debug("SCWS port %u: no free channel; a client waits", listener->port);
    waiter = g_new0(Waiter, 1);
    waiter->listener = listener;
    waiter->socket = g_object_ref(socket);
    waiter->own = own;
    waiter->timeout_id = g_timeout_add_seconds(listener->set->client_wait, on_wait_over, waiter);
    g_queue_push_tail(&listener->waiting, waiter);
}

static void acceptor_watch(Acceptor *acceptor);

static gboolean on_resume_accepting(gpointer user_data)
{
    Acceptor *acceptor = user_data;

    acceptor->resume_id = 0;
    acceptor_watch(acceptor);
    return G_SOURCE_REMOVE;
}

static gboolean on_acceptable(GSocket *socket, GIOCondition condition, gpointer user_data)
{
    Acceptor *acceptor = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocket) client = g_socket_accept(socket, NULL, &error);

    if (client == NULL && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
    if (client == NULL) {
        /* Out of descriptors, say: the connection stays queued and the socket readable, so
         * watching on would spin. It is looked at again in a second. */
        g_warning("SCWS port %u: cannot accept a client: %s; trying again in 1 s",
                  acceptor->listener->port, error->message);
        source_clear(&acceptor->source);
        acceptor->resume_id = g_timeout_add_seconds(1, on_resume_accepting, acceptor);
        return G_SOURCE_REMOVE;
    }
    /* May close the listener, this source with it: nothing of it is used after this. */
    on_incoming(acceptor->listener, client, client_kind(client, acceptor->own));
    return G_SOURCE_CONTINUE;
}

static void acceptor_watch(Acceptor *acceptor)
{
    acceptor->source = g_socket_create_source(acceptor->socket, G_IO_IN, NULL);
    g_source_set_callback(acceptor->source, G_SOURCE_FUNC(on_acceptable), acceptor, NULL);
    g_source_attach(acceptor->source, g_main_context_get_thread_default());
}

/* A listening socket on @address, watched; @bound (optional), the address it got. */
static gboolean acceptor_open(Acceptor *acceptor, Listener *listener, GSocketAddress *address,
                              GSocketProtocol protocol, gboolean own, GSocketAddress **bound,
                              GError **error)
{
    g_autoptr(GSocket) socket =
        g_socket_new(g_socket_address_get_family(address), G_SOCKET_TYPE_STREAM, protocol, error);

    if (socket == NULL)
        return FALSE;
    g_socket_set_blocking(socket, FALSE);
    if (!g_socket_bind(socket, address, TRUE, error) || !g_socket_listen(socket, error))
        return FALSE;
    if (bound != NULL && (*bound = g_socket_get_local_address(socket, error)) == NULL)
        return FALSE;
    acceptor->listener = listener;
    acceptor->socket = g_steal_pointer(&socket);
    acceptor->own = own;
    acceptor_watch(acceptor);
    return TRUE;
}

static void acceptor_close(Acceptor *acceptor)
{
    source_clear(&acceptor->source);
    if (acceptor->resume_id != 0) {
        g_source_remove(acceptor->resume_id);
        acceptor->resume_id = 0;
    }
    if (acceptor->socket == NULL)
        return;
    g_socket_close(acceptor->socket, NULL);
    g_clear_object(&acceptor->socket);
}

GSocketAddress *modem_scws_own_address_new(guint16 port)
{
    g_autofree char *name = g_strdup_printf("dmscd/%d/scws/%u", (int)getpid(), port);

    return g_unix_socket_address_new_with_type(name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
}

ModemSockets *modem_sockets_new(const ModemSocketCallbacks *callbacks, guint client_wait,
                                guint client_idle, gpointer user_data)
{
    ModemSockets *set = g_new0(ModemSockets, 1);

    set->callbacks = *callbacks;
    set->user_data = user_data;
    set->client_wait = client_wait > 0 ? client_wait : MODEM_SCWS_CLIENT_WAIT;
    set->client_idle = client_idle > 0 ? client_idle : MODEM_SCWS_CLIENT_IDLE;
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
    g_autoptr(GSocketAddress) own_address = NULL;
    Listener *listener = g_new0(Listener, 1);

    listener->set = set;
    listener->port = port;
    if (!acceptor_open(&listener->tcp, listener, address, G_SOCKET_PROTOCOL_TCP, FALSE,
                       &listener->address, error)) {
        g_free(listener);
        return NULL;
    }
    own_address = modem_scws_own_address_new(
        g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(listener->address)));
    if (!acceptor_open(&listener->own, listener, own_address, G_SOCKET_PROTOCOL_DEFAULT, TRUE, NULL,
                       error)) {
        acceptor_close(&listener->tcp);
        g_object_unref(listener->address);
        g_free(listener);
        return NULL;
    }
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
    slot_set_state(slot, SLOT_LISTENING);
    return TRUE;
}

void modem_sockets_drop_client(ModemSockets *set, guint id)
{
    Slot *slot = slot_get(set, id);

    if (slot == NULL || slot->state == SLOT_IDLE)
        return;
    client_drop(slot);
    slot_set_state(slot, SLOT_LISTENING);
}

void modem_sockets_close(ModemSockets *set, guint id)
{
    Slot *slot = slot_get(set, id);

    if (slot == NULL)
        return;
    client_drop(slot);
    slot_set_state(slot, SLOT_IDLE);
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
    /* Straight to the socket when nothing waits before it; only what it has no room for is
     * kept. */
    if (g_queue_is_empty(&slot->output)) {
        gssize n = write_some(slot, data, length);
        if (n < 0)
            return FALSE;
        data += n;
        length -= (gsize)n;
        if (length == 0)
            return TRUE;
    }
    g_queue_push_tail(&slot->output, g_bytes_new(data, length));
    slot->pending += length;
    wait_writable(slot);
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
