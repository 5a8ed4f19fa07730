/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The BIP engine on real loopback sockets: the test plays the card (proactive command bytes
 * in, terminal responses and envelopes out) and real TCP clients connect to the channels.
 */
#include "daemon/modem/modem.h"
#include "tests/check-run.h"
#include "tests/test-util.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* CLOSE CHANNEL of channel 1, qualifier 1: the client's connection ends, the port listens. */
#define CLOSE_CHANNEL_1_LISTEN "d009810301410182028121"

static ModemBipGateway *server;
/* A client waits a second for a free channel, and may idle two, in these tests. */
static const ModemScwsLimits limits = { .client_wait = 1, .client_idle = 2 };
static GPtrArray *envelopes; /* hex strings */

static char *to_hex(const guint8 *data, gsize length)
{
    return cat_hex_encode(data, length);
}

static void on_envelope(GBytes *envelope, gpointer user_data)
{
    g_ptr_array_add(envelopes,
                    to_hex(g_bytes_get_data(envelope, NULL), g_bytes_get_size(envelope)));
}

static void setup(void)
{
    envelopes = g_ptr_array_new_with_free_func(g_free);
    server = modem_bip_gateway_new(&limits, on_envelope, NULL);
}

static void teardown(void)
{
    g_clear_pointer(&server, modem_bip_gateway_free);
    g_ptr_array_unref(envelopes);
}

/* The card sends a command built from parts in hex; returns the terminal response. */
static char *card(const char *hex)
{
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(CatMessage) message = NULL;
    g_autoptr(GBytes) response = NULL;
    g_autoptr(GError) error = NULL;

    ck_assert(cat_hex_decode(hex, bytes));
    message = cat_message_parse(bytes->data, bytes->len, &error);
    ck_assert_msg(message != NULL, "%s", error ? error->message : "");
    response = modem_bip_gateway_handle_command(server, message);
    return to_hex(g_bytes_get_data(response, NULL), g_bytes_get_size(response));
}

static char *open_channel(guint16 port, guint16 buffer)
{
    g_autofree char *hex =
        g_strdup_printf("d012810301400182028182b902%04x3c0303%04x", buffer, port);
    return card(hex);
}

/* Iterates the main loop until @done says so, failing after five seconds. */
static void wait_for(gboolean (*done)(gpointer), gpointer data, const char *what)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (!done(data)) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "timed out waiting for %s", what);
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

static gboolean envelope_count_reached(gpointer data)
{
    return envelopes->len >= GPOINTER_TO_UINT(data);
}

static void wait_envelopes(guint count)
{
    wait_for(envelope_count_reached, GUINT_TO_POINTER(count), "envelopes");
}

static GSocket *client_connect_to(GSocketAddress *address)
{
    GSocket *socket = g_socket_new(g_socket_address_get_family(address), G_SOCKET_TYPE_STREAM,
                                   G_SOCKET_PROTOCOL_DEFAULT, NULL);
    g_autoptr(GError) error = NULL;

    ck_assert_msg(g_socket_connect(socket, address, NULL, &error), "%s",
                  error ? error->message : "");
    g_socket_set_blocking(socket, FALSE);
    return socket;
}

static GSocket *client_connect(guint16 port)
{
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string("127.0.0.1", port);
    return client_connect_to(address);
}

/* As dmscd's own DM sessions connect: on the abstract socket beside the port. */
static GSocket *client_connect_own(guint16 port)
{
    g_autoptr(GSocketAddress) address = modem_scws_own_address_new(port);
    return client_connect_to(address);
}

static void client_send(GSocket *socket, const char *text, gsize length)
{
    ck_assert_int_eq(g_socket_send(socket, text, length, NULL, NULL), (gssize)length);
}

typedef struct {
    GSocket *socket;
    GString *received;
    gsize want;
    gboolean eof;
} Reader;

static gboolean read_some(gpointer data)
{
    Reader *r = data;
    char buffer[4096];
    gssize n = g_socket_receive(r->socket, buffer, sizeof(buffer), NULL, NULL);

    if (n > 0)
        g_string_append_len(r->received, buffer, n);
    else if (n == 0)
        r->eof = TRUE;
    return r->eof || (r->want > 0 && r->received->len >= r->want);
}

/* Reads until @want bytes arrived or the server closed the connection. */
static char *client_read(GSocket *socket, gsize want, gboolean *eof)
{
    Reader r = { socket, g_string_new(NULL), want, FALSE };

    wait_for(read_some, &r, "client data");
    if (eof != NULL)
        *eof = r.eof;
    return g_string_free(r.received, FALSE);
}

/* The card reads every byte waiting on @channel with RECEIVE DATA. */
static GString *card_receive_all(guint8 channel, gsize expected)
{
    GString *data = g_string_new(NULL);

    while (data->len < expected) {
        g_autofree char *cmd = g_strdup_printf("d00c81030142008202812%ub701c8", channel);
        g_autofree char *tr = card(cmd);
        /* TR: cd(5) di(4) result(3) then b6 len [81 len] data, b7 01 n */
        const char *p = tr + 24;
        gsize length;
        ck_assert(g_str_has_prefix(p, "b6"));
        p += 2;
        if (g_str_has_prefix(p, "81"))
            p += 2;
        length = (gsize)(g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]));
        p += 2;
        if (length == 0)
            wait_envelopes(envelopes->len + 1);
        for (gsize i = 0; i < length; i++)
            g_string_append_c(data, (char)(g_ascii_xdigit_value(p[2 * i]) << 4 |
                                           g_ascii_xdigit_value(p[2 * i + 1])));
    }
    return data;
}

/* SEND DATA of @text (at most 237 bytes) on @channel; @now sends immediately. */
static char *card_send(guint8 channel, const char *text, gboolean now)
{
    gsize length = strlen(text);
    g_autofree char *data = to_hex((const guint8 *)text, length);
    g_autofree char *object = length < 128 ? g_strdup_printf("b6%02zx%s", length, data)
                                           : g_strdup_printf("b681%02zx%s", length, data);
    gsize body = 9 + strlen(object) / 2;
    g_autofree char *cmd = body < 128 ? g_strdup_printf("d0%02zx81030143%02x8202812%u%s", body,
                                                        now ? 1 : 0, channel, object)
                                      : g_strdup_printf("d081%02zx81030143%02x8202812%u%s", body,
                                                        now ? 1 : 0, channel, object);
    return card(cmd);
}

#define EVENTS_BOTH "d00d8103010500820281829902090a"

/* Where most tests start: the card has asked for the channel events and opened channel 1 on a
 * free port with a @buffer-byte buffer; a client has connected, and the card was told so. */
static GSocket *connected_client(guint16 buffer, guint16 *port_out)
{
    guint16 port = free_port();
    g_autofree char *events = card(EVENTS_BOTH);
    g_autofree char *tr = open_channel(port, buffer);
    GSocket *client;

    ck_assert_msg(strstr(tr, "830100") != NULL, "OPEN CHANNEL failed: %s", tr);
    client = client_connect(port);
    wait_envelopes(1);
    ck_assert_str_eq(g_ptr_array_index(envelopes, 0), "d60b99010a82028281b8028100");
    if (port_out != NULL)
        *port_out = port;
    return client;
}

/* Clients on channels 1 and 2 each send four bytes, which the card reads from its own
 * channel; the card's replies reach each client on its own. */
static void exchange_on_channels_1_and_2(GSocket *client_a, GSocket *client_b)
{
    g_autoptr(GString) from_a = NULL, from_b = NULL;
    g_autofree char *sent_a = NULL, *sent_b = NULL, *got_a = NULL, *got_b = NULL;
    guint before = envelopes->len;

    client_send(client_b, "to-b", 4);
    client_send(client_a, "to-a", 4);
    wait_envelopes(before + 2);
    from_b = card_receive_all(2, 4);
    from_a = card_receive_all(1, 4);
    ck_assert_str_eq(from_a->str, "to-a");
    ck_assert_str_eq(from_b->str, "to-b");
    sent_a = card_send(1, "reply-a", TRUE);
    sent_b = card_send(2, "reply-b", TRUE);
    got_b = client_read(client_b, 7, NULL);
    got_a = client_read(client_a, 7, NULL);
    ck_assert_str_eq(got_a, "reply-a");
    ck_assert_str_eq(got_b, "reply-b");
}

START_TEST(open_channel_server_mode_binds_loopback)
{
    guint16 port = free_port();
    g_autofree char *tr = open_channel(port, 1400);
    GSocketAddress *address = modem_bip_gateway_get_address(server, 1);
    g_autofree char *host = NULL;

    ck_assert_str_eq(tr, "81030140018202828183010038024100390205"
                         "78");
    ck_assert_ptr_nonnull(address);
    host =
        g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address)));
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_uint_eq(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(address)), port);
}
END_TEST

START_TEST(http_request_in_and_the_cards_bytes_back_out)
{
    const char *request = "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    const char *response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    /* Connected: Channel Status established (checked by connected_client). */
    g_autoptr(GSocket) client = connected_client(1400, NULL);
    g_autoptr(GString) received = NULL;
    g_autofree char *header = NULL, *body = NULL, *got = NULL;

    client_send(client, request, strlen(request));
    /* Data available with the count. */
    wait_envelopes(2);
    ck_assert(g_str_has_prefix(g_ptr_array_index(envelopes, 1), "d60e99010982028281b8028100b701"));
    received = card_receive_all(1, strlen(request));
    ck_assert_str_eq(received->str, request);

    header = card_send(1, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", FALSE);
    body = card_send(1, "hello", TRUE);
    ck_assert_str_eq(body, "810301430182028281830100b701ff");
    got = client_read(client, strlen(response), NULL);
    ck_assert_str_eq(got, response);
}
END_TEST

START_TEST(two_channels_serve_two_clients_at_once)
{
    guint16 port_a = free_port(), port_b = free_port();
    g_autofree char *events = card(EVENTS_BOTH);
    g_autofree char *a = open_channel(port_a, 1400);
    g_autofree char *b = open_channel(port_b, 1400);
    g_autoptr(GSocket) client_a = client_connect(port_a);
    g_autoptr(GSocket) client_b = client_connect(port_b);

    ck_assert(g_str_has_suffix(b, "38024200390205"
                                  "78"));
    wait_envelopes(2);
    exchange_on_channels_1_and_2(client_a, client_b);
}
END_TEST

START_TEST(client_hanging_up_mid_transfer_returns_the_channel_to_listen)
{
    guint16 port;
    GSocket *client = connected_client(1400, &port);
    g_autoptr(GSocket) next = NULL;
    g_autofree char *sent = NULL, *closed = NULL;

    client_send(client, "GET /par", 8);
    wait_envelopes(2);
    g_socket_close(client, NULL);
    g_object_unref(client);
    wait_envelopes(3);
    ck_assert_str_eq(g_ptr_array_index(envelopes, 2), "d60b99010a82028281b8024100");
    ck_assert_int_eq(cat_bip_channel_state(modem_bip_gateway_peek_engine(server), 1),
                     CAT_TCP_LISTEN);
    sent = card_send(1, "late", TRUE);
    ck_assert_str_eq(sent, "81030143018202828183023a02");
    /* The card, told, ends that connection: the port still listens, the next client is served. */
    closed = card(CLOSE_CHANNEL_1_LISTEN);
    next = client_connect(port);
    wait_envelopes(4);
    ck_assert_str_eq(g_ptr_array_index(envelopes, 3), "d60b99010a82028281b8028100");
}
END_TEST

START_TEST(card_closing_the_client_gives_it_eof_and_keeps_the_port)
{
    guint16 port;
    g_autoptr(GSocket) client = connected_client(1400, &port);
    g_autoptr(GSocket) next = NULL;
    g_autofree char *closed = NULL, *rest = NULL;
    gboolean eof = FALSE;

    closed = card(CLOSE_CHANNEL_1_LISTEN);
    ck_assert_str_eq(closed, "810301410182028281830100");
    rest = client_read(client, 0, &eof);
    ck_assert(eof);
    next = client_connect(port);
    wait_envelopes(2);
}
END_TEST

START_TEST(closing_the_channel_frees_the_port)
{
    guint16 port = free_port();
    g_autofree char *tr = open_channel(port, 1400);
    g_autofree char *closed = card("d009810301410082028121");
    g_autoptr(GSocket) probe =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string("127.0.0.1", port);

    ck_assert_str_eq(closed, "810301410082028281830100");
    ck_assert_ptr_null(modem_bip_gateway_get_address(server, 1));
    ck_assert(!g_socket_connect(probe, address, NULL, NULL));
}
END_TEST

START_TEST(port_in_use_is_port_not_available)
{
    g_autoptr(GSocket) holder =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string("127.0.0.1", 0);
    g_autoptr(GSocketAddress) bound = NULL;
    g_autofree char *tr = NULL;

    ck_assert(g_socket_bind(holder, any, FALSE, NULL));
    ck_assert(g_socket_listen(holder, NULL));
    bound = g_socket_get_local_address(holder, NULL);
    tr = open_channel(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)), 1400);
    ck_assert_str_eq(tr, "81030140018202828183023a10");
}
END_TEST

START_TEST(two_channels_on_one_port_serve_a_local_client_and_dmscds_session_and_a_third_waits)
{
    guint16 port = free_port();
    g_autofree char *events = card(EVENTS_BOTH);
    g_autofree char *a = open_channel(port, 1400);
    g_autofree char *b = open_channel(port, 1400);
    g_autoptr(GSocket) client_a = NULL, client_b = NULL, third = NULL;
    g_autofree char *rest = NULL;
    gboolean eof = FALSE;

    ck_assert(g_str_has_suffix(b, "38024200390205"
                                  "78"));
    client_a = client_connect(port);
    wait_envelopes(1);
    /* The last free channel is kept for dmscd's own sessions: another local client waits
     * for one, and none comes free. */
    third = client_connect(port);
    rest = client_read(third, 0, &eof);
    ck_assert(eof);
    ck_assert_uint_eq(envelopes->len, 1);
    /* dmscd's own session, on its own socket, takes the kept one. */
    client_b = client_connect_own(port);
    wait_envelopes(2);
    exchange_on_channels_1_and_2(client_a, client_b);
}
END_TEST

START_TEST(another_process_on_dmscds_own_socket_is_closed_at_once)
{
    guint16 port = free_port();
    g_autofree char *events = card(EVENTS_BOTH);
    g_autofree char *a = open_channel(port, 1400);
    g_autofree char *b = open_channel(port, 1400);
    /* Named here, by this process, as dmscd names it for its own sessions. */
    g_autoptr(GSocketAddress) own = modem_scws_own_address_new(port);
    pid_t child;
    int status;

    /* A child process is another process: its connection must not take a channel. */
    child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        GSocket *socket = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_DEFAULT, NULL);
        char byte;

        if (!g_socket_connect(socket, own, NULL, NULL))
            _exit(2);
        _exit(g_socket_receive_with_blocking(socket, &byte, 1, TRUE, NULL, NULL) == 0 ? 0 : 1);
    }
    while (waitpid(child, &status, WNOHANG) == 0)
        g_main_context_iteration(NULL, FALSE);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_uint_eq(envelopes->len, 0);
}
END_TEST

START_TEST(a_second_client_on_a_busy_channel_waits_then_is_closed)
{
    guint16 port;
    g_autoptr(GSocket) first = connected_client(1400, &port);
    g_autoptr(GSocket) second = NULL;
    g_autofree char *rest = NULL;
    gboolean eof = FALSE;

    second = client_connect(port);
    rest = client_read(second, 0, &eof);
    ck_assert(eof);
    ck_assert_uint_eq(envelopes->len, 1);
    ck_assert_int_eq(cat_bip_channel_state(modem_bip_gateway_peek_engine(server), 1),
                     CAT_TCP_ESTABLISHED);
}
END_TEST

START_TEST(a_waiting_client_takes_the_channel_the_card_closes)
{
    guint16 port;
    g_autoptr(GSocket) first = connected_client(1400, &port);
    g_autoptr(GSocket) second = NULL;
    g_autofree char *closed = NULL, *rest = NULL;
    gboolean eof = FALSE;

    second = client_connect(port);
    /* The card ends the first client's connection: the waiting one has the channel. */
    closed = card(CLOSE_CHANNEL_1_LISTEN);
    ck_assert(g_str_has_suffix(closed, "830100"));
    rest = client_read(first, 0, &eof);
    ck_assert(eof);
    wait_envelopes(2);
    ck_assert_int_eq(cat_bip_channel_state(modem_bip_gateway_peek_engine(server), 1),
                     CAT_TCP_ESTABLISHED);
    client_send(second, "GET", 3);
    wait_envelopes(3);
}
END_TEST

START_TEST(a_channel_whose_client_hung_up_waits_for_the_cards_close)
{
    guint16 port;
    g_autoptr(GSocket) first = connected_client(1400, &port);
    g_autoptr(GSocket) second = NULL;
    g_autofree char *closed = NULL;
    gint64 until;

    /* The client hangs up before the card closed: the card hears of it (listen)... */
    g_socket_close(first, NULL);
    wait_envelopes(2);
    ck_assert_ptr_nonnull(strstr(g_ptr_array_index(envelopes, 1), "b8024100"));
    /* ...but its close is still to come, and would cut a new client: the next one waits. */
    second = client_connect(port);
    until = g_get_monotonic_time() + G_USEC_PER_SEC / 2;
    while (g_get_monotonic_time() < until)
        g_main_context_iteration(NULL, FALSE);
    ck_assert_uint_eq(envelopes->len, 2);
    closed = card(CLOSE_CHANNEL_1_LISTEN);
    wait_envelopes(3);
    ck_assert_ptr_nonnull(strstr(g_ptr_array_index(envelopes, 2), "b8028100"));
    ck_assert_int_eq(cat_bip_channel_state(modem_bip_gateway_peek_engine(server), 1),
                     CAT_TCP_ESTABLISHED);
}
END_TEST

START_TEST(a_client_that_does_nothing_is_let_go_and_the_next_one_served)
{
    guint16 port;
    g_autoptr(GSocket) idle = connected_client(1400, &port);
    g_autoptr(GSocket) next = NULL;
    g_autofree char *rest = NULL, *closed = NULL;
    gboolean eof = FALSE;

    /* It holds the only channel and sends nothing: after two seconds it is let go, and the
     * card hears that its client left. */
    rest = client_read(idle, 0, &eof);
    ck_assert(eof);
    wait_envelopes(2);
    ck_assert_str_eq(g_ptr_array_index(envelopes, 1), "d60b99010a82028281b8024100");
    /* The card closes that connection: the next client has the channel. */
    next = client_connect(port);
    closed = card(CLOSE_CHANNEL_1_LISTEN);
    wait_envelopes(3);
    ck_assert_str_eq(g_ptr_array_index(envelopes, 2), "d60b99010a82028281b8028100");
}
END_TEST

/* Runs the main loop for @usec microseconds. */
static void spin(gint64 usec)
{
    gint64 until = g_get_monotonic_time() + usec;

    while (g_get_monotonic_time() < until) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

START_TEST(a_client_that_keeps_talking_keeps_its_channel_past_the_idle_time)
{
    g_autoptr(GSocket) client = connected_client(1400, NULL);
    g_autofree char *sent = NULL, *got = NULL;
    gint64 end;

    /* The idle time is two seconds: a byte every half second for three keeps the channel. */
    end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < end) {
        g_autoptr(GString) from = NULL;
        client_send(client, "x", 1);
        from = card_receive_all(1, 1);
        ck_assert_str_eq(from->str, "x");
        spin(G_USEC_PER_SEC / 2);
    }
    sent = card_send(1, "still-here", TRUE);
    got = client_read(client, 10, NULL);
    ck_assert_str_eq(got, "still-here");
    for (guint i = 0; i < envelopes->len; i++)
        ck_assert_ptr_null(strstr(g_ptr_array_index(envelopes, i), "b8024100"));
}
END_TEST

static guint accept_failures;

static GLogWriterOutput count_accept_failures(GLogLevelFlags level, const GLogField *fields,
                                              gsize n, gpointer user_data)
{
    for (gsize i = 0; i < n; i++) {
        if (g_str_equal(fields[i].key, "MESSAGE") &&
            strstr(fields[i].value, "cannot accept a client") != NULL)
            accept_failures++;
    }
    return G_LOG_WRITER_HANDLED;
}

/* A client connected to channel 1 of a free port, queued by the kernel until the main loop
 * runs, and from now on no descriptor left to accept it with; @saved, the limit to restore. */
static GSocket *client_that_cannot_be_accepted(struct rlimit *saved)
{
    guint16 port = free_port();
    g_autofree char *events = card(EVENTS_BOTH);
    g_autofree char *tr = open_channel(port, 1400);
    GSocket *client;
    struct rlimit tight;
    int lowest;

    g_log_set_writer_func(count_accept_failures, NULL, NULL);
    client = client_connect(port);
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, saved), 0);
    lowest = dup(0);
    ck_assert_int_ge(lowest, 0);
    close(lowest);
    tight = *saved;
    tight.rlim_cur = (rlim_t)lowest;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);
    return client;
}

START_TEST(a_client_that_cannot_be_accepted_for_want_of_descriptors_is_once_there_are)
{
    struct rlimit saved;
    g_autoptr(GSocket) client = client_that_cannot_be_accepted(&saved);

    spin(G_USEC_PER_SEC / 2);
    /* Tried, said so, and left alone for a while: a socket still readable that was watched
     * on would have been tried thousands of times by now. */
    ck_assert_uint_ge(accept_failures, 1);
    ck_assert_uint_le(accept_failures, 2);
    ck_assert_uint_eq(envelopes->len, 0);
    /* Descriptors again: the client is accepted and the card told. */
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
    wait_envelopes(1);
    ck_assert_str_eq(g_ptr_array_index(envelopes, 0), "d60b99010a82028281b8028100");
}
END_TEST

/* The card closes the channel while its port waits to accept again: the pause goes with the
 * port (run under AddressSanitizer, a pause left behind would be a use after free). */
START_TEST(a_port_closed_while_accepting_is_paused_leaves_nothing_behind)
{
    struct rlimit saved;
    g_autoptr(GSocket) client = client_that_cannot_be_accepted(&saved);
    g_autofree char *closed = NULL;

    spin(G_USEC_PER_SEC / 4);
    ck_assert_uint_eq(accept_failures, 1);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
    closed = card("d009810301410082028121");
    ck_assert_str_eq(closed, "810301410082028281830100");
    /* Past the second the pause would have lasted: nothing wakes, nothing is accepted. */
    spin(5 * G_USEC_PER_SEC / 2);
    ck_assert_uint_eq(accept_failures, 1);
    ck_assert_uint_eq(envelopes->len, 0);
}
END_TEST

START_TEST(a_slow_reader_gets_every_byte_in_order)
{
    g_autoptr(GSocket) client = connected_client(1400, NULL);
    g_autoptr(GString) expected = g_string_new(NULL);
    g_autofree char *got = NULL;

    /* 720 pieces of 230 bytes that the client does not read yet: more than its receive window
     * and the kernel's send buffer hold (about 134 kB here), so the rest waits in dmscd for
     * the window; less than dmscd then holds for a client before it drops it (64 KiB more). */
    g_socket_set_option(client, SOL_SOCKET, SO_RCVBUF, 4096, NULL);
    for (guint i = 0; i < 720; i++) {
        g_autofree char *piece = g_strnfill(230, (char)('A' + i % 26));
        g_autofree char *sent = card_send(1, piece, TRUE);
        ck_assert(g_str_has_suffix(sent, "b701ff"));
        g_string_append(expected, piece);
    }
    got = client_read(client, expected->len, NULL);
    ck_assert_uint_eq(strlen(got), expected->len);
    ck_assert(g_str_equal(got, expected->str));
}
END_TEST

START_TEST(a_client_that_never_reads_is_dropped)
{
    g_autoptr(GSocket) client = connected_client(1400, NULL);
    g_autofree char *chunk = g_strnfill(230, 'x');
    gboolean dropped = FALSE;

    /* Shrink the client's receive window so that the server's writes back up soon. */
    g_socket_set_option(client, SOL_SOCKET, SO_RCVBUF, 4096, NULL);
    for (guint i = 0; i < 20000 && !dropped; i++) {
        g_autofree char *sent = card_send(1, chunk, TRUE);
        dropped = g_str_has_suffix(sent, "3a02");
        g_main_context_iteration(NULL, FALSE);
    }
    ck_assert(dropped);
    wait_envelopes(2);
    ck_assert_str_eq(g_ptr_array_index(envelopes, 1), "d60b99010a82028281b8024100");
}
END_TEST

START_TEST(a_full_receive_buffer_pauses_the_client_until_the_card_reads)
{
    g_autoptr(GSocket) client = connected_client(300, NULL);
    g_autofree char *big = g_strnfill(5000, 'z');
    g_autoptr(GString) received = NULL;

    client_send(client, big, 5000);
    wait_envelopes(2);
    ck_assert_uint_eq(cat_bip_rx_space(modem_bip_gateway_peek_engine(server), 1), 0);
    received = card_receive_all(1, 5000);
    ck_assert_uint_eq(received->len, 5000);
    ck_assert_str_eq(received->str, big);
}
END_TEST

static Suite *bip_socket_suite(void)
{
    Suite *suite = suite_create("bip-socket");
    TCase *tc = tcase_create("loopback");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, open_channel_server_mode_binds_loopback);
    tcase_add_test(tc, http_request_in_and_the_cards_bytes_back_out);
    tcase_add_test(tc, two_channels_serve_two_clients_at_once);
    tcase_add_test(
        tc, two_channels_on_one_port_serve_a_local_client_and_dmscds_session_and_a_third_waits);
    tcase_add_test(tc, another_process_on_dmscds_own_socket_is_closed_at_once);
    tcase_add_test(tc, client_hanging_up_mid_transfer_returns_the_channel_to_listen);
    tcase_add_test(tc, card_closing_the_client_gives_it_eof_and_keeps_the_port);
    tcase_add_test(tc, closing_the_channel_frees_the_port);
    tcase_add_test(tc, port_in_use_is_port_not_available);
    tcase_add_test(tc, a_second_client_on_a_busy_channel_waits_then_is_closed);
    tcase_add_test(tc, a_waiting_client_takes_the_channel_the_card_closes);
    tcase_add_test(tc, a_channel_whose_client_hung_up_waits_for_the_cards_close);
    tcase_add_test(tc, a_client_that_does_nothing_is_let_go_and_the_next_one_served);
    tcase_add_test(tc, a_client_that_keeps_talking_keeps_its_channel_past_the_idle_time);
    tcase_add_test(tc, a_client_that_never_reads_is_dropped);
    tcase_add_test(tc, a_slow_reader_gets_every_byte_in_order);
    tcase_add_test(tc, a_client_that_cannot_be_accepted_for_want_of_descriptors_is_once_there_are);
    tcase_add_test(tc, a_port_closed_while_accepting_is_paused_leaves_nothing_behind);
    tcase_add_test(tc, a_full_receive_buffer_pauses_the_client_until_the_card_reads);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(bip_socket_suite());
}
