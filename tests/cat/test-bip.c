/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The BIP engine against a recording fake transport, driven by real command bytes. */
#include "cat/cat.h"
#include "tests/cat/vectors.h"
#include "tests/check-run.h"

typedef struct {
    GString *log;         /* "listen 1 3516;drop 1;close 1;send 1 <hex>;" */
    GPtrArray *envelopes; /* GBytes */
    guint16 refuse_port;  /* listen fails on this port */
} Fake;

static Fake fake;
static CatBip *bip;

static gboolean fake_listen(gpointer d, guint8 ch, guint16 port, GError **error)
{
    if (port == fake.refuse_port) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE, "in use");
        return FALSE;
    }
    g_string_append_printf(fake.log, "listen %u %u;", ch, port);
    return TRUE;
}

static void fake_drop(gpointer d, guint8 ch)
{
    g_string_append_printf(fake.log, "drop %u;", ch);
}

static void fake_close(gpointer d, guint8 ch)
{
    g_string_append_printf(fake.log, "close %u;", ch);
}

static gboolean fake_send(gpointer d, guint8 ch, const guint8 *data, gsize length)
{
    g_string_append_printf(fake.log, "send %u %.*s;", ch, (int)length, (const char *)data);
    return TRUE;
}

static void fake_envelope(gpointer d, GBytes *envelope)
{
    g_ptr_array_add(fake.envelopes, g_bytes_ref(envelope));
}

static const CatBipTransport transport = { fake_listen, fake_drop, fake_close, fake_send,
                                           fake_envelope };

static void setup(void)
{
    fake.log = g_string_new(NULL);
    fake.envelopes = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    fake.refuse_port = 0;
    bip = cat_bip_new(&transport, NULL);
}

static void teardown(void)
{
    g_clear_pointer(&bip, cat_bip_free);
    g_string_free(fake.log, TRUE);
    g_ptr_array_unref(fake.envelopes);
}

static char *to_hex(GBytes *bytes)
{
    GString *out = g_string_new(NULL);
    const guint8 *data = g_bytes_get_data(bytes, NULL);
    for (gsize i = 0; i < g_bytes_get_size(bytes); i++)
        g_string_append_printf(out, "%02x", data[i]);
    return g_string_free(out, FALSE);
}

/* Runs a proactive command given in hex; returns the terminal response in hex. */
static char *run(const char *hex)
{
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autoptr(CatMessage) message = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) response = NULL;

    for (gsize i = 0; hex[i] != '\0'; i += 2) {
        guint8 b = (guint8)(g_ascii_xdigit_value(hex[i]) << 4 | g_ascii_xdigit_value(hex[i + 1]));
        g_byte_array_append(bytes, &b, 1);
    }
    message = cat_message_parse(bytes->data, bytes->len, &error);
    ck_assert_msg(message != NULL, "%s: %s", hex, error ? error->message : "");
    response = cat_bip_handle_command(bip, message);
    ck_assert_ptr_nonnull(response);
    return to_hex(response);
}

static char *envelope_hex(guint index)
{
    ck_assert_uint_gt(fake.envelopes->len, index);
    return to_hex(g_ptr_array_index(fake.envelopes, index));
}

/* OPEN CHANNEL, TCP in UICC server mode on @port with buffer size 1400. */
static char *open_channel(guint16 port)
{
    g_autofree char *hex = g_strdup_printf("d012810301400182028182b90205783c0303%04x", port);
    return run(hex);
}

#define EVENTS_BOTH "d00d8103010500820281829902090a"
#define TR_OPEN(id) "81030140018202828183010038024" id "0039020578"

START_TEST(open_channel_server_mode_listens_and_answers_listen_state)
{
    g_autofree char *tr = open_channel(3516);

    ck_assert_str_eq(tr, TR_OPEN("1"));
    ck_assert_str_eq(fake.log->str, "listen 1 3516;");
    ck_assert_int_eq(cat_bip_channel_state(bip, 1), CAT_TCP_LISTEN);
    ck_assert_uint_eq(cat_bip_channel_port(bip, 1), 3516);
    ck_assert_uint_eq(cat_bip_rx_space(bip, 1), 1400);
}
END_TEST

START_TEST(buffer_size_above_the_maximum_is_granted_with_modification)
{
    /* 0x2000 asked for; 1500 (0x05dc) granted, result 07. */
    g_autofree char *tr = run("d012810301400182028182b90220003c03030dbc");

    ck_assert_str_eq(tr, "8103014001820282818301073802410039"
                         "0205dc");
}
END_TEST

START_TEST(zero_buffer_size_is_buffer_size_not_available)
{
    g_autofree char *tr = run("d012810301400182028182b90200003c03030dbc");
    ck_assert_str_eq(tr, "81030140018202828183023a04");
}
END_TEST

START_TEST(eighth_channel_is_no_channel_available)
{
    for (guint i = 0; i < 7; i++) {
        g_autofree char *tr = open_channel((guint16)(4000 + i));
        ck_assert_ptr_nonnull(strstr(tr, "830100"));
    }
    g_autofree char *tr = open_channel(4100);
    ck_assert_str_eq(tr, "81030140018202828183023a01");
}
END_TEST

START_TEST(port_taken_elsewhere_or_zero_is_port_not_available)
{
    g_autofree char *refused = NULL;
    g_autofree char *zero = NULL;

    fake.refuse_port = 4116;
    refused = open_channel(4116);
    zero = open_channel(0);
    ck_assert_str_eq(refused, "81030140018202828183023a10");
    ck_assert_str_eq(zero, "81030140018202828183023a10");
}
END_TEST

START_TEST(a_second_channel_on_the_same_port_is_opened_beside_the_first)
{
    g_autofree char *first = open_channel(3516);
    g_autofree char *second = open_channel(3516);

    ck_assert_str_eq(first, TR_OPEN("1"));
    ck_assert_str_eq(second, TR_OPEN("2"));
    ck_assert_str_eq(fake.log->str, "listen 1 3516;listen 2 3516;");
    ck_assert_uint_eq(cat_bip_channel_port(bip, 2), 3516);
}
END_TEST

START_TEST(client_modes_are_beyond_capabilities)
{
    /* A bearer description (GPRS), an APN and UDP client remote: dmscd runs no bearers. */
    g_autofree char *bearer = run(cat_vectors[12].hex);
    /* UDP in client local mode, no bearer. */
    g_autofree char *udp = run("d012810301400182028182b90205783c03040dbc");

    ck_assert_str_eq(cat_vectors[12].name, "open_channel_client");
    ck_assert_str_eq(bearer, "810301400182028281830130");
    ck_assert_str_eq(udp, "810301400182028281830130");
    ck_assert_str_eq(fake.log->str, "");
}
END_TEST

START_TEST(commands_on_a_channel_that_is_not_open_are_channel_id_not_valid)
{
    g_autofree char *close_tr = run("d009810301410082028121");
    g_autofree char *receive_tr = run("d00c810301420082028122b701c8");
    g_autofree char *send_tr = run("d00c810301430182028127b60161");

    ck_assert_str_eq(close_tr, "81030141008202828183023a03");
    ck_assert_str_eq(receive_tr, "81030142008202828183023a03");
    ck_assert_str_eq(send_tr, "81030143018202828183023a03");
}
END_TEST

START_TEST(client_connect_sends_established_channel_status_once_registered)
{
    g_autofree char *events = run(EVENTS_BOTH);
    g_autofree char *tr = open_channel(3516);
    g_autofree char *envelope = NULL;

    ck_assert_str_eq(events, "810301050082028281830100");
    ck_assert(cat_bip_client_connected(bip, 1));
    ck_assert_int_eq(cat_bip_channel_state(bip, 1), CAT_TCP_ESTABLISHED);
    envelope = envelope_hex(0);
    ck_assert_str_eq(envelope, "d60b99010a82028281b8028100");
    /* A second client on the same channel is refused. */
    ck_assert(!cat_bip_client_connected(bip, 1));
    ck_assert(!cat_bip_client_connected(bip, 2));
}
END_TEST

START_TEST(events_the_card_did_not_ask_for_are_not_sent)
{
    g_autofree char *tr = open_channel(3516);

    ck_assert(cat_bip_client_connected(bip, 1));
    ck_assert_uint_eq(cat_bip_client_data(bip, 1, (const guint8 *)"x", 1), 1);
    cat_bip_client_closed(bip, 1);
    ck_assert_uint_eq(fake.envelopes->len, 0);
}
END_TEST

START_TEST(data_available_then_receive_data_in_pieces_with_remaining_length)
{
    g_autofree char *events = run(EVENTS_BOTH);
    g_autofree char *tr = open_channel(3516);
    g_autofree char *available = NULL, *first = NULL, *second = NULL, *empty = NULL;
    char request[300];

    memset(request, 'a', sizeof(request));
    ck_assert(cat_bip_client_connected(bip, 1));
    ck_assert_uint_eq(cat_bip_client_data(bip, 1, (const guint8 *)request, 300), 300);
    /* More bytes before the card has read: no second event. */
    ck_assert_uint_eq(cat_bip_client_data(bip, 1, (const guint8 *)"bb", 2), 2);
    ck_assert_uint_eq(fake.envelopes->len, 2);
    available = envelope_hex(1);
    ck_assert_str_eq(available, "d60e99010982028281b8028100b701ff");

    /* 200 bytes asked, 200 given, 102 left. */
    first = run("d00c810301420082028121b701c8");
    ck_assert(g_str_has_prefix(first, "810301420082028281830100b681c8"));
    ck_assert(g_str_has_suffix(first, "b70166"));
    /* 200 asked, 102 given: missing information (02), nothing left. */
    second = run("d00c810301420082028121b701c8");
    ck_assert(g_str_has_prefix(second, "810301420082028281830102b666"));
    ck_assert(g_str_has_suffix(second, "61616262b70100"));
    empty = run("d00c810301420082028121b70110");
    ck_assert_str_eq(empty, "810301420082028281830102b600b70100");

    /* The buffer emptied: new bytes are announced again. */
    ck_assert_uint_eq(cat_bip_client_data(bip, 1, (const guint8 *)"c", 1), 1);
    ck_assert_uint_eq(fake.envelopes->len, 3);
}
END_TEST

START_TEST(receive_data_is_capped_to_what_fits_a_terminal_response)
{
    g_autofree char *events = run(EVENTS_BOTH);
    g_autofree char *tr = open_channel(3516);
    g_autofree char *response = NULL;
    char bytes[400] = { 0 };

    ck_assert(cat_bip_client_connected(bip, 1));
    cat_bip_client_data(bip, 1, (const guint8 *)bytes, sizeof(bytes));
    response = run("d00c810301420082028121b701ff");
    /* 237 bytes (0xed) given, 02 as fewer than the 255 asked, 163 (0xa3) left. */
    ck_assert(g_str_has_prefix(response, "810301420082028281830102b681ed"));
    ck_assert(g_str_has_suffix(response, "b701a3"));
    ck_assert_uint_le(strlen(response) / 2, 255);
}
END_TEST

START_TEST(receive_buffer_refuses_bytes_beyond_the_buffer_size)
{
    g_autofree char *tr = open_channel(3516);
    g_autofree char *big = g_malloc0(2000);

    ck_assert(cat_bip_client_connected(bip, 1));
    ck_assert_uint_eq(cat_bip_client_data(bip, 1, (const guint8 *)big, 2000), 1400);
    ck_assert_uint_eq(cat_bip_rx_space(bip, 1), 0);
    ck_assert_uint_eq(cat_bip_client_data(bip, 1, (const guint8 *)big, 10), 0);
}
END_TEST

START_TEST(send_data_buffers_then_sends_everything_at_once)
{
    g_autofree char *tr = open_channel(3516);
    g_autofree char *buffered = NULL, *sent = NULL;

    ck_assert(cat_bip_client_connected(bip, 1));
    /* Qualifier 0: store "HTTP/1.0 " (9 bytes). Free space 1391, reported as 255. */
    buffered = run("d014810301430082028121b609485454502f312e3020");
    ck_assert_str_eq(buffered, "810301430082028281830100b701ff");
    ck_assert_str_eq(fake.log->str, "listen 1 3516;");
    /* Qualifier 1: "200" and send all. */
    sent = run("d00e810301430182028121b603323030");
    ck_assert_str_eq(sent, "810301430182028281830100b701ff");
    ck_assert_str_eq(fake.log->str, "listen 1 3516;send 1 HTTP/1.0 200;");
}
END_TEST

START_TEST(send_data_without_a_client_is_channel_closed)
{
    g_autofree char *tr = open_channel(3516);
    g_autofree char *sent = run("d00c810301430182028121b60161");

    ck_assert_str_eq(sent, "81030143018202828183023a02");
}
END_TEST

START_TEST(send_data_beyond_the_transmit_buffer_is_a_bip_error)
{
    /* Buffer size 4; six buffered bytes do not fit. */
    g_autofree char *tr = run("d012810301400182028182b90200043c03030dbc");
    g_autofree char *sent = NULL;

    ck_assert(cat_bip_client_connected(bip, 1));
    sent = run("d011810301430082028121b606616263646566");
    ck_assert_str_eq(sent, "81030143008202828183023a00");
}
END_TEST

START_TEST(close_channel_with_qualifier_1_drops_the_client_and_keeps_listening)
{
    g_autofree char *tr = open_channel(3516);
    g_autofree char *closed = NULL, *status = NULL;

    ck_assert(cat_bip_client_connected(bip, 1));
    closed = run("d009810301410182028121");
    ck_assert_str_eq(closed, "810301410182028281830100");
    ck_assert_str_eq(fake.log->str, "listen 1 3516;drop 1;");
    ck_assert_int_eq(cat_bip_channel_state(bip, 1), CAT_TCP_LISTEN);
    status = run("d009810301440082028182");
    ck_assert_str_eq(status, "8103014400820282818301003802"
                             "4100");
    ck_assert(cat_bip_client_connected(bip, 1));
}
END_TEST

START_TEST(close_channel_closes_the_port_and_frees_the_id)
{
    g_autofree char *tr = open_channel(3516);
    g_autofree char *closed = run("d009810301410082028121");
    g_autofree char *status = run("d009810301440082028182");
    g_autofree char *reopened = open_channel(3516);

    ck_assert_str_eq(closed, "810301410082028281830100");
    ck_assert_str_eq(status, "8103014400820282818301003802"
                             "0000");
    ck_assert_str_eq(reopened, TR_OPEN("1"));
    ck_assert_str_eq(fake.log->str, "listen 1 3516;close 1;listen 1 3516;");
}
END_TEST

START_TEST(client_hang_up_returns_the_channel_to_listen_with_an_event)
{
    g_autofree char *events = run(EVENTS_BOTH);
    g_autofree char *tr = open_channel(3516);
    g_autofree char *envelope = NULL;

    ck_assert(cat_bip_client_connected(bip, 1));
    cat_bip_client_data(bip, 1, (const guint8 *)"GET", 3);
    cat_bip_client_closed(bip, 1);
    ck_assert_int_eq(cat_bip_channel_state(bip, 1), CAT_TCP_LISTEN);
    envelope = envelope_hex(2);
    ck_assert_str_eq(envelope, "d60b99010a82028281b8024100");
    /* What the client had sent is gone with it. */
    ck_assert_uint_eq(cat_bip_rx_space(bip, 1), 1400);
}
END_TEST

START_TEST(two_channels_keep_their_own_buffers)
{
    g_autofree char *events = run(EVENTS_BOTH);
    g_autofree char *a = open_channel(3516);
    g_autofree char *b = open_channel(3517);
    g_autofree char *from_b = NULL, *status = NULL;

    ck_assert_str_eq(b, TR_OPEN("2"));
    ck_assert(cat_bip_client_connected(bip, 1));
    ck_assert(cat_bip_client_connected(bip, 2));
    cat_bip_client_data(bip, 1, (const guint8 *)"one", 3);
    cat_bip_client_data(bip, 2, (const guint8 *)"two", 3);
    from_b = run("d00c810301420082028122b70103");
    ck_assert_str_eq(from_b, "810301420082028281830100b60374776fb70100");
    ck_assert_uint_eq(cat_bip_rx_space(bip, 1), 1397);
    status = run("d009810301440082028182");
    ck_assert_str_eq(status, "81030144008202828183010038028100380282"
                             "00");
}
END_TEST

START_TEST(non_bip_commands_are_beyond_capabilities)
{
    g_autofree char *tr = run("d009810301260082028182");
    ck_assert_str_eq(tr, "810301260082028281830130");
    ck_assert(cat_bip_handles(CAT_CMD_SEND_DATA));
    ck_assert(!cat_bip_handles(CAT_CMD_DISPLAY_TEXT));
}
END_TEST

static Suite *bip_suite(void)
{
    Suite *suite = suite_create("bip");
    TCase *tc = tcase_create("engine");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, open_channel_server_mode_listens_and_answers_listen_state);
    tcase_add_test(tc, buffer_size_above_the_maximum_is_granted_with_modification);
    tcase_add_test(tc, zero_buffer_size_is_buffer_size_not_available);
    tcase_add_test(tc, eighth_channel_is_no_channel_available);
    tcase_add_test(tc, port_taken_elsewhere_or_zero_is_port_not_available);
    tcase_add_test(tc, a_second_channel_on_the_same_port_is_opened_beside_the_first);
    tcase_add_test(tc, client_modes_are_beyond_capabilities);
    tcase_add_test(tc, commands_on_a_channel_that_is_not_open_are_channel_id_not_valid);
    tcase_add_test(tc, client_connect_sends_established_channel_status_once_registered);
    tcase_add_test(tc, events_the_card_did_not_ask_for_are_not_sent);
    tcase_add_test(tc, data_available_then_receive_data_in_pieces_with_remaining_length);
    tcase_add_test(tc, receive_data_is_capped_to_what_fits_a_terminal_response);
    tcase_add_test(tc, receive_buffer_refuses_bytes_beyond_the_buffer_size);
    tcase_add_test(tc, send_data_buffers_then_sends_everything_at_once);
    tcase_add_test(tc, send_data_without_a_client_is_channel_closed);
    tcase_add_test(tc, send_data_beyond_the_transmit_buffer_is_a_bip_error);
    tcase_add_test(tc, close_channel_with_qualifier_1_drops_the_client_and_keeps_listening);
    tcase_add_test(tc, close_channel_closes_the_port_and_frees_the_id);
    tcase_add_test(tc, client_hang_up_returns_the_channel_to_listen_with_an_event);
    tcase_add_test(tc, two_channels_keep_their_own_buffers);
    tcase_add_test(tc, non_bip_commands_are_beyond_capabilities);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(bip_suite());
}
