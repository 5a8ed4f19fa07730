/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cat/cat.h"
#include "tests/cat/vectors.h"
#include "tests/check-run.h"
#include "tests/test-util.h"

static CatMessage *parse_hex(const char *text, GError **error)
{
    g_autoptr(GByteArray) bytes = hex(text);
    return cat_message_parse(bytes->data, bytes->len, error);
}

/* Every command type, decoded: kind, type and the devices of Device Identities. */
static const struct {
    const char *vector;
    CatKind kind;
    int type;
    guint8 destination;
} expected[] = {
    { "refresh_fcn", CAT_KIND_PROACTIVE_COMMAND, 0x01, 0x82 },
    { "refresh_reset", CAT_KIND_PROACTIVE_COMMAND, 0x01, 0x82 },
    { "set_up_event_list", CAT_KIND_PROACTIVE_COMMAND, 0x05, 0x82 },
    { "send_short_message_dm_push", CAT_KIND_PROACTIVE_COMMAND, 0x13, 0x83 },
    { "display_text_8bit", CAT_KIND_PROACTIVE_COMMAND, 0x21, 0x02 },
    { "get_inkey", CAT_KIND_PROACTIVE_COMMAND, 0x22, 0x82 },
    { "get_input", CAT_KIND_PROACTIVE_COMMAND, 0x23, 0x82 },
    { "select_item", CAT_KIND_PROACTIVE_COMMAND, 0x24, 0x82 },
    { "set_up_menu", CAT_KIND_PROACTIVE_COMMAND, 0x25, 0x82 },
    { "set_up_idle_mode_text", CAT_KIND_PROACTIVE_COMMAND, 0x28, 0x82 },
    { "open_channel_server", CAT_KIND_PROACTIVE_COMMAND, 0x40, 0x82 },
    { "open_channel_client", CAT_KIND_PROACTIVE_COMMAND, 0x40, 0x82 },
    { "close_channel", CAT_KIND_PROACTIVE_COMMAND, 0x41, 0x21 },
    { "receive_data", CAT_KIND_PROACTIVE_COMMAND, 0x42, 0x21 },
    { "send_data_immediate", CAT_KIND_PROACTIVE_COMMAND, 0x43, 0x21 },
    { "get_channel_status", CAT_KIND_PROACTIVE_COMMAND, 0x44, 0x82 },
    { "provide_local_information", CAT_KIND_PROACTIVE_COMMAND, 0x26, 0x82 },
    { "more_time", CAT_KIND_PROACTIVE_COMMAND, 0x02, 0x82 },
    { "timer_management", CAT_KIND_PROACTIVE_COMMAND, 0x27, 0x82 },
    { "launch_browser", CAT_KIND_PROACTIVE_COMMAND, 0x15, 0x82 },
    { "play_tone", CAT_KIND_PROACTIVE_COMMAND, 0x20, 0x03 },
    { "language_notification", CAT_KIND_PROACTIVE_COMMAND, 0x35, 0x82 },
    { "send_ussd", CAT_KIND_PROACTIVE_COMMAND, 0x12, 0x83 },
    { "set_up_call", CAT_KIND_PROACTIVE_COMMAND, 0x10, 0x83 },
    { "unknown_command", CAT_KIND_PROACTIVE_COMMAND, 0x99, 0x82 },
    { "tr_open_channel_ok", CAT_KIND_TERMINAL_RESPONSE, 0x40, 0x81 },
    { "tr_bip_error", CAT_KIND_TERMINAL_RESPONSE, 0x40, 0x81 },
    { "env_data_available", CAT_KIND_ENVELOPE, -1, 0x81 },
    { "env_sms_pp_download", CAT_KIND_ENVELOPE, -1, 0x81 },
    { "env_unknown", CAT_KIND_ENVELOPE, -1, 0x81 },
};

START_TEST(each_command_type_decodes_with_kind_type_and_devices)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CatMessage) message = parse_hex(vector(expected[_i].vector), &error);
    CatCommandDetails details;
    CatDeviceIdentities devices;

    ck_assert_msg(message != NULL, "%s: %s", expected[_i].vector, error ? error->message : "");
    ck_assert_int_eq(message->kind, expected[_i].kind);
    ck_assert(cat_message_get_devices(message, &devices));
    ck_assert_uint_eq(devices.destination, expected[_i].destination);
    if (expected[_i].type >= 0) {
        ck_assert(cat_message_get_command(message, &details));
        ck_assert_uint_eq(details.type, (guint)expected[_i].type);
    } else {
        ck_assert(!cat_message_get_command(message, &details));
    }
}
END_TEST

START_TEST(open_channel_server_mode_objects_decode)
{
    g_autoptr(CatMessage) message = parse_hex(vector("open_channel_server"), NULL);
    guint16 size, port;
    guint8 protocol;

    ck_assert(cat_parse_u16(cat_message_find(message, CAT_TAG_BUFFER_SIZE), &size, NULL));
    ck_assert_uint_eq(size, 1400);
    ck_assert(cat_parse_transport_level(cat_message_find(message, CAT_TAG_TRANSPORT_LEVEL),
                                        &protocol, &port, NULL));
    ck_assert_uint_eq(protocol, CAT_TRANSPORT_TCP_SERVER);
    ck_assert_uint_eq(port, 3516);
    ck_assert_uint_eq(message->ber_tag, 0xd0);
}
END_TEST

START_TEST(unknown_objects_and_three_byte_tags_are_kept)
{
    g_autoptr(CatMessage) message = parse_hex(vector("three_byte_tag"), NULL);
    const CatTlv *tlv = cat_message_find(message, 0x0123);

    ck_assert_ptr_nonnull(tlv);
    ck_assert(tlv->three_byte);
    ck_assert(tlv->cr);
    ck_assert_uint_eq(tlv->length, 2);
    ck_assert_mem_eq(tlv->value, "\xbb\xcc", 2);
}
END_TEST

static const struct {
    const char *name;
    const char *hex;
    int code;
    const char *message;
} malformed[] = {
    { "empty", "", CAT_ERROR_TRUNCATED, "empty message" },
    { "not a CAT message", "4201", CAT_ERROR_MALFORMED, "first byte 0x42" },
    { "BER length past the end", "d00a810301218082028102", CAT_ERROR_TRUNCATED,
      "BER length 10 at offset 1 runs past the end (9 bytes left)" },
    { "object length past the end", "d00a8103012180 8205810282", CAT_ERROR_TRUNCATED,
      "device-identities (0x02): length 5 at offset 7 runs past the end (3 bytes left)" },
    { "BER length byte 82", "d0820009810301050082028182", CAT_ERROR_MALFORMED,
      "length byte 0x82 at offset 1" },
    { "zero-length command details", "d006810082028182", CAT_ERROR_MALFORMED,
      "command-details (0x01): length 0, expected 3 at offset 2" },
    { "no command details", "d00482028182", CAT_ERROR_MISSING,
      "proactive command: mandatory command-details (0x01) missing" },
    { "no device identities", "d00581030105 00", CAT_ERROR_MISSING,
      "set-up-event-list: mandatory device-identities (0x02) missing" },
    { "display text without text string", "d009810301218082028102", CAT_ERROR_MISSING,
      "display-text: mandatory text-string (0x0d) missing" },
    { "open channel without buffer size",
      "d00e810301400182028182"
      "3c03030dbc",
      CAT_ERROR_MISSING, "open-channel: mandatory buffer-size (0x39) missing" },
    { "open channel without transport", "d00d81030140018202818239020578", CAT_ERROR_MISSING,
      "uicc-terminal-interface-transport-level" },
    { "send data without channel data", "d009810301430182028121", CAT_ERROR_MISSING,
      "send-data: mandatory channel-data (0x36) missing" },
    { "receive data without length", "d009810301420082028121", CAT_ERROR_MISSING,
      "channel-data-length" },
    { "send short message without tpdu", "d009810301130082028183", CAT_ERROR_MISSING, "sms-tpdu" },
    { "refresh file change without file list", "d009810301010182028182", CAT_ERROR_MISSING,
      "file-list" },
    { "set up event list without events", "d009810301050082028182", CAT_ERROR_MISSING,
      "event-list" },
    { "device identities of one byte", "d00c8103010500820181 99020 90a", CAT_ERROR_MALFORMED,
      "device-identities (0x02): length 1, expected 2" },
    { "trailing garbage", "d00981030102008202818200", CAT_ERROR_MALFORMED,
      "1 bytes of trailing data after the message at offset 11" },
    { "terminal response without result", "81030140018202828138024100", CAT_ERROR_MISSING,
      "result (0x03)" },
    { "terminal response with empty result", "8103014001820282818300", CAT_ERROR_MALFORMED,
      "result (0x03): length 0" },
    { "event download without event list", "d60482028281", CAT_ERROR_MISSING, "event-list" },
    { "event download with empty list", "d606990082028281", CAT_ERROR_MALFORMED,
      "empty event list" },
    { "sms-pp download without tpdu", "d10482028381", CAT_ERROR_MISSING, "sms-tpdu" },
};

START_TEST(malformed_input_is_rejected_with_what_and_where)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CatMessage) message = parse_hex(malformed[_i].hex, &error);

    ck_assert_msg(message == NULL, "%s: accepted", malformed[_i].name);
    ck_assert_msg(g_error_matches(error, CAT_ERROR, malformed[_i].code), "%s: %s (code %d)",
                  malformed[_i].name, error->message, error->code);
    ck_assert_msg(strstr(error->message, malformed[_i].message) != NULL, "%s: \"%s\"",
                  malformed[_i].name, error->message);
}
END_TEST

/* Cutting any vector short, or growing it, never reads outside the buffer (ASan). */
START_TEST(every_truncation_of_every_vector_is_rejected_cleanly)
{
    g_autoptr(GByteArray) bytes = hex(cat_vectors[_i].hex);

    for (guint n = 0; n < bytes->len; n++) {
        g_autofree guint8 *copy = g_memdup2(bytes->data, n);
        GError *error = NULL;
        CatMessage *message = cat_message_parse(copy, n, &error);
        if (message != NULL) {
            /* A shorter terminal response can still be whole (it has no outer length). */
            ck_assert_int_eq(message->kind, CAT_KIND_TERMINAL_RESPONSE);
            cat_message_free(message);
        } else {
            ck_assert_ptr_nonnull(error);
            g_error_free(error);
        }
    }
}
END_TEST

START_TEST(peek_finds_command_details_in_a_command_missing_objects)
{
    g_autoptr(GByteArray) bytes = hex("d009810301218082028102");
    CatCommandDetails details;

    ck_assert(cat_message_parse(bytes->data, bytes->len, NULL) == NULL);
    ck_assert(cat_command_peek_details(bytes->data, bytes->len, &details));
    ck_assert_uint_eq(details.number, 1);
    ck_assert_uint_eq(details.type, CAT_CMD_DISPLAY_TEXT);
    ck_assert_uint_eq(details.qualifier, 0x80);
    ck_assert(!cat_command_peek_details((const guint8 *)"\xd0", 1, &details));
}
END_TEST

static void assert_bytes(GBytes *bytes, const char *expected_hex)
{
    g_autoptr(GByteArray) want = hex(expected_hex);
    gsize length;
    const guint8 *data = g_bytes_get_data(bytes, &length);

    ck_assert_uint_eq(length, want->len);
    ck_assert_mem_eq(data, want->data, length);
}

START_TEST(terminal_response_builder_repeats_command_details)
{
    CatCommandDetails command = { .number = 3, .type = CAT_CMD_OPEN_CHANNEL, .qualifier = 1 };
    guint8 cause = CAT_BIP_NO_CHANNEL;
    g_autoptr(GByteArray) tr = cat_terminal_response_new(&command, CAT_RESULT_BIP_ERROR, &cause, 1);
    g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes(g_steal_pointer(&tr));
    g_autoptr(CatMessage) parsed = NULL;

    assert_bytes(bytes, "81030340018202828183023a01");
    parsed = cat_message_parse(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes), NULL);
    ck_assert_ptr_nonnull(parsed);
    ck_assert_int_eq(parsed->kind, CAT_KIND_TERMINAL_RESPONSE);
}
END_TEST

START_TEST(terminal_response_builder_appends_bip_objects)
{
    CatCommandDetails command = { .number = 1, .type = CAT_CMD_OPEN_CHANNEL, .qualifier = 1 };
    g_autoptr(GByteArray) tr = cat_terminal_response_new(&command, CAT_RESULT_OK, NULL, 0);
    g_autoptr(GBytes) bytes = NULL;

    cat_builder_add(tr, CAT_TAG_CHANNEL_STATUS, (const guint8 *)"\x41\x00", 2);
    cat_builder_add(tr, CAT_TAG_BUFFER_SIZE, (const guint8 *)"\x05\x78", 2);
    bytes = g_byte_array_free_to_bytes(g_steal_pointer(&tr));
    assert_bytes(bytes, vector("tr_open_channel_ok"));
}
END_TEST

START_TEST(event_envelopes_match_ts_102_223_layout)
{
    g_autoptr(GBytes) available =
        cat_envelope_data_available_new(1, CAT_TCP_ESTABLISHED, 300, NULL);
    g_autoptr(GBytes) status = cat_envelope_channel_status_new(1, CAT_TCP_LISTEN, NULL);
    g_autoptr(GBytes) closed = cat_envelope_channel_status_new(7, CAT_TCP_CLOSED, NULL);

    assert_bytes(available, vector("env_data_available"));
    assert_bytes(status, vector("env_channel_status"));
    assert_bytes(closed, "d60b99010a82028281b8020700");
}
END_TEST

START_TEST(other_events_carry_their_own_objects)
{
    g_autoptr(GByteArray) language = g_byte_array_new();
    g_autoptr(GBytes) idle = cat_envelope_event_new(CAT_EVENT_IDLE_SCREEN_AVAILABLE, NULL, 0, NULL);
    g_autoptr(GBytes) selection = NULL;
    g_autoptr(GBytes) browser = NULL;

    cat_builder_add(language, 0x2d, (const guint8 *)"fi", 2);
    selection =
        cat_envelope_event_new(CAT_EVENT_LANGUAGE_SELECTION, language->data, language->len, NULL);
    browser = cat_envelope_event_new(CAT_EVENT_BROWSER_TERMINATION, (const guint8 *)"\xb4\x01\x00",
                                     3, NULL);
    assert_bytes(idle, "d60799010582028281");
    assert_bytes(selection, "d60b990107820282812d026669");
    assert_bytes(browser, "d60a990108820282 81b40100");
}
END_TEST

START_TEST(sms_pp_download_envelope_parses_back)
{
    g_autoptr(GByteArray) tpdu = hex("040481214300f66220811000000003616263");
    g_autoptr(GBytes) envelope =
        cat_envelope_sms_pp_new((const guint8 *)"\x91\x21\x43\x65", 4, tpdu->data, tpdu->len, NULL);
    g_autoptr(CatMessage) message =
        cat_message_parse(g_bytes_get_data(envelope, NULL), g_bytes_get_size(envelope), NULL);
    const CatTlv *tlv;

    ck_assert_ptr_nonnull(message);
    ck_assert_uint_eq(message->ber_tag, CAT_ENVELOPE_SMS_PP_DOWNLOAD);
    tlv = cat_message_find(message, CAT_TAG_SMS_TPDU);
    ck_assert_uint_eq(tlv->length, tpdu->len);
    ck_assert_mem_eq(tlv->value, tpdu->data, tpdu->len);
}
END_TEST

START_TEST(envelope_body_over_255_bytes_is_refused)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GError) error = NULL;

    g_byte_array_set_size(body, 256);
    ck_assert_ptr_null(cat_envelope_finish(0xd6, body, &error));
    ck_assert(g_error_matches(error, CAT_ERROR, CAT_ERROR_INVALID));
}
END_TEST

START_TEST(terminal_profile_states_bip_server_mode_and_seven_channels)
{
    g_autoptr(GBytes) profile = cat_terminal_profile_new();
    const guint8 *p = g_bytes_get_data(profile, NULL);

    ck_assert_uint_ge(g_bytes_get_size(profile), 17);
    ck_assert(p[0] & 0x02);               /* SMS-PP data download */
    ck_assert(p[2] & 0x80);               /* REFRESH */
    ck_assert(p[3] & 0x02);               /* SEND SHORT MESSAGE */
    ck_assert(p[4] & 0x01);               /* SET UP EVENT LIST */
    ck_assert_uint_eq(p[5] & 0x0c, 0x0c); /* data available, channel status events */
    ck_assert_uint_eq(p[11], 0x1f);       /* the five BIP commands */
    ck_assert_uint_eq(p[12] >> 5, 7);     /* channels */
    ck_assert(p[16] & 0x04);              /* TCP, UICC in server mode */
    ck_assert(!(p[2] & 0x01));            /* no DISPLAY TEXT: dmscd has no display */
}
END_TEST

START_TEST(default_responses_are_00_when_harmless_31_for_unknown_types_and_30_otherwise)
{
    static const struct {
        const char *vector;
        const char *tr;
    } cases[] = {
        { "more_time", "810301020082028281830100" },
        { "refresh_reset", "810301010482028281830100" },
        { "language_notification", "810301350182028281830100" },
        { "display_text_8bit", "810301218082028281830130" },
        { "provide_local_information", "810301260082028281830130" },
        /* A type TS 102 223 does not define: "command type not understood". */
        { "unknown_command", "810301990082028281830131" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(CatMessage) m = parse_hex(vector(cases[i].vector), NULL);
        g_autoptr(GBytes) tr = cat_default_response(m);
        assert_bytes(tr, cases[i].tr);
    }
}
END_TEST

START_TEST(undecodable_commands_get_36_or_32_even_without_command_details)
{
    g_autoptr(GByteArray) missing = hex("d009810301218082028102");
    g_autoptr(GByteArray) bad = hex("d00a810301218082038102ff");
    g_autoptr(GError) e1 = NULL, e2 = NULL;
    g_autoptr(GBytes) tr1 = NULL, tr2 = NULL, tr3 = NULL;

    ck_assert_ptr_null(cat_message_parse(missing->data, missing->len, &e1));
    ck_assert_ptr_null(cat_message_parse(bad->data, bad->len, &e2));
    tr1 = cat_error_response(missing->data, missing->len, e1);
    tr2 = cat_error_response(bad->data, bad->len, e2);
    assert_bytes(tr1, "810301218082028281830136");
    assert_bytes(tr2, "810301218082028281830132");
    /* Nothing to echo: still an answer, for command 1 of no type, since the card waits. */
    tr3 = cat_error_response((const guint8 *)"\xd0\x00", 2, e2);
    assert_bytes(tr3, "810301000082028281830132");
}
END_TEST

static Suite *message_suite(void)
{
    Suite *suite = suite_create("message");
    TCase *decode = tcase_create("decode");
    TCase *build = tcase_create("build");

    tcase_add_loop_test(decode, each_command_type_decodes_with_kind_type_and_devices, 0,
                        G_N_ELEMENTS(expected));
    tcase_add_test(decode, open_channel_server_mode_objects_decode);
    tcase_add_test(decode, unknown_objects_and_three_byte_tags_are_kept);
    tcase_add_loop_test(decode, malformed_input_is_rejected_with_what_and_where, 0,
                        G_N_ELEMENTS(malformed));
    tcase_add_loop_test(decode, every_truncation_of_every_vector_is_rejected_cleanly, 0,
                        G_N_ELEMENTS(cat_vectors));
    tcase_add_test(decode, peek_finds_command_details_in_a_command_missing_objects);
    tcase_add_test(build, terminal_response_builder_repeats_command_details);
    tcase_add_test(build, terminal_response_builder_appends_bip_objects);
    tcase_add_test(build, event_envelopes_match_ts_102_223_layout);
    tcase_add_test(build, other_events_carry_their_own_objects);
    tcase_add_test(build, sms_pp_download_envelope_parses_back);
    tcase_add_test(build, envelope_body_over_255_bytes_is_refused);
    tcase_add_test(build, terminal_profile_states_bip_server_mode_and_seven_channels);
    tcase_add_test(build,
                   default_responses_are_00_when_harmless_31_for_unknown_types_and_30_otherwise);
    tcase_add_test(build, undecodable_commands_get_36_or_32_even_without_command_details);
    suite_add_tcase(suite, decode);
    suite_add_tcase(suite, build);
    return suite;
}

int main(void)
{
    return check_run(message_suite());
}
