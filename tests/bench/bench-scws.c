/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SCWS gateway's data path over raw BIP on real loopback sockets, without a modem: the
 * card's SEND DATA commands (decoded, run by the engine, written to the client) and the
 * client's bytes read back with RECEIVE DATA. Prints megabytes and commands per second.
 * Run: meson test -C build --benchmark scws-gateway -v   (or build/tests/bench/bench-scws [MB])
 */
#include "daemon/modem/modem.h"

#include <stdio.h>
#include <stdlib.h>

#define CHUNK  200  /* channel data a command carries */
#define BUFFER 1400 /* the channel's buffer, as the simulated card asks */

static guint envelopes;

static void on_envelope(GBytes *envelope, gpointer user_data)
{
    envelopes++;
}

static GBytes *run_command(ModemBipGateway *server, const guint8 *data, gsize length)
{
    g_autoptr(CatMessage) command = cat_message_parse(data, length, NULL);

    if (command == NULL)
        abort();
    return modem_bip_gateway_handle_command(server, command);
}

static GByteArray *command_new(guint8 type, guint8 qualifier, guint8 dest, const guint8 *objects,
                               gsize length)
{
    GByteArray *body = g_byte_array_new();
    guint8 details[3] = { 1, type, qualifier };
    guint8 devices[2] = { CAT_DEVICE_UICC, dest };
    g_autoptr(GBytes) out = NULL;
    gsize size;
    const guint8 *bytes;

    cat_builder_add(body, 0x80 | CAT_TAG_COMMAND_DETAILS, details, 3);
    cat_builder_add(body, 0x80 | CAT_TAG_DEVICE_IDENTITIES, devices, 2);
    g_byte_array_append(body, objects, (guint)length);
    out = cat_envelope_finish(0xd0, body, NULL);
    bytes = g_bytes_get_data(out, &size);
    return g_byte_array_append(g_byte_array_new(), bytes, (guint)size);
}

static guint16 free_port(void)
{
    g_autoptr(GSocket) socket =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string("127.0.0.1", 0);
    g_autoptr(GSocketAddress) bound = NULL;

    if (!g_socket_bind(socket, any, TRUE, NULL))
        abort();
    bound = g_socket_get_local_address(socket, NULL);
    return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

static void iterate(void)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

/* The card writes @total bytes; returns seconds until the client has read them all. */
static double card_to_client(ModemBipGateway *server, GSocket *client, gsize total, gsize *commands)
{
    guint8 object[2 + 1 + CHUNK] = { 0x80 | CAT_TAG_CHANNEL_DATA, 0x81, CHUNK };
    g_autoptr(GByteArray) buffered = NULL, immediate = NULL;
    gsize sent = 0, received = 0, in_buffer = 0;
    gint64 start = g_get_monotonic_time();
    char sink[65536];

    memset(object + 3, 'x', CHUNK);
    buffered = command_new(CAT_CMD_SEND_DATA, 0, 0x21, object, sizeof(object));
    immediate = command_new(CAT_CMD_SEND_DATA, 1, 0x21, object, sizeof(object));
    *commands = 0;
    while (received < total) {
        if (sent < total) {
            /* Buffered while the channel's buffer has room, then sent at once. */
            gboolean now = in_buffer + 2 * CHUNK > BUFFER || sent + CHUNK >= total;
            GByteArray *command = now ? immediate : buffered;
            g_autoptr(GBytes) tr = run_command(server, command->data, command->len);
            sent += CHUNK;
            in_buffer = now ? 0 : in_buffer + CHUNK;
            (*commands)++;
        }
        iterate();
        for (;;) {
            gssize n = g_socket_receive(client, sink, sizeof(sink), NULL, NULL);
            if (n <= 0)
                break;
            received += (gsize)n;
        }
    }
    return (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
}

/* The client writes @total bytes; returns seconds until the card has read them all. */
static double client_to_card(ModemBipGateway *server, GSocket *client, gsize total, gsize *commands)
{
    static const guint8 want[] = { 0x80 | CAT_TAG_CHANNEL_DATA_LENGTH, 1, CHUNK };
    g_autoptr(GByteArray) receive = command_new(CAT_CMD_RECEIVE_DATA, 0, 0x21, want, sizeof(want));
    CatBip *engine = modem_bip_gateway_peek_engine(server);
    gsize sent = 0, received = 0;
    gint64 start = g_get_monotonic_time();
    char source[4096];

    memset(source, 'y', sizeof(source));
    *commands = 0;
    while (received < total) {
        if (sent < total) {
            gssize n = g_socket_send(client, source, MIN(sizeof(source), total - sent), NULL, NULL);
            if (n > 0)
                sent += (gsize)n;
        }
        iterate();
        while (cat_bip_rx_space(engine, 1) < BUFFER) {
            g_autoptr(GBytes) tr = run_command(server, receive->data, receive->len);
            gsize before = received;
            /* The TR's channel data: after details (5), devices (4), result (3), "B6 81 n". */
            const guint8 *bytes = g_bytes_get_data(tr, NULL);
            gsize size = g_bytes_get_size(tr);
            if (size > 15 && (bytes[12] & 0x7f) == CAT_TAG_CHANNEL_DATA)
                received += bytes[13] == 0x81 ? bytes[14] : bytes[13];
            (*commands)++;
            if (received == before)
                break;
        }
    }
    return (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
}

int main(int argc, char **argv)
{
    guint64 megabytes = argc > 1 ? g_ascii_strtoull(argv[1], NULL, 10) : 8;
    gsize total = (gsize)MAX(megabytes, 1) * 1024 * 1024;
    g_autoptr(ModemBipGateway) server = modem_bip_gateway_new(NULL, on_envelope, NULL);
    static const guint8 events[] = { 0x99, 0x02, CAT_EVENT_DATA_AVAILABLE,
                                     CAT_EVENT_CHANNEL_STATUS };
    guint16 port = free_port();
    guint8 open[] = { 0xb9, 0x02, BUFFER >> 8,         BUFFER & 0xff, 0x3c,
                      0x03, 0x03, (guint8)(port >> 8), (guint8)port };
    g_autoptr(GByteArray) list =
        command_new(CAT_CMD_SET_UP_EVENT_LIST, 0, CAT_DEVICE_TERMINAL, events, sizeof(events));
    g_autoptr(GByteArray) channel =
        command_new(CAT_CMD_OPEN_CHANNEL, 1, CAT_DEVICE_TERMINAL, open, sizeof(open));
    g_autoptr(GBytes) tr1 = run_command(server, list->data, list->len);
    g_autoptr(GBytes) tr2 = run_command(server, channel->data, channel->len);
    g_autoptr(GSocket) client =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string("127.0.0.1", port);
    gsize commands;
    double seconds;

    if (!g_socket_connect(client, address, NULL, NULL))
        abort();
    g_socket_set_blocking(client, FALSE);
    while (envelopes == 0)
        g_main_context_iteration(NULL, TRUE);

    seconds = card_to_client(server, client, total, &commands);
    printf("card -> client: %.1f MB/s, %.0f SEND DATA/s (%" G_GUINT64_FORMAT " MB)\n",
           (double)total / (1024 * 1024) / seconds, (double)commands / seconds, megabytes);
    seconds = client_to_card(server, client, total, &commands);
    printf("client -> card: %.1f MB/s, %.0f RECEIVE DATA/s (%" G_GUINT64_FORMAT " MB)\n",
           (double)total / (1024 * 1024) / seconds, (double)commands / seconds, megabytes);
    return 0;
}
