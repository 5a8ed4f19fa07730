/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cat/cat.h"
#include "tests/cat/vectors.h"
#include "tests/check-run.h"
#include "tests/test-util.h"

static JsonNode *decode(const char *hex_text, CatDmNotificationDecoder decoder, gpointer data)
{
    g_autoptr(GByteArray) bytes = hex(hex_text);
    g_autoptr(GError) error = NULL;
    g_autoptr(CatMessage) message = cat_message_parse(bytes->data, bytes->len, &error);

    ck_assert_msg(message != NULL, "%s", error ? error->message : "");
    return cat_message_to_json(message, decoder, data);
}

static JsonObject *object_at(JsonNode *root, guint index)
{
    JsonArray *objects = json_object_get_array_member(json_node_get_object(root), "objects");
    return json_array_get_object_element(objects, index);
}

static char *encode_to_hex(JsonNode *root, GError **error)
{
    g_autoptr(GBytes) bytes = cat_message_from_json(root, error);
    GString *out;
    const guint8 *data;
    gsize length;

    if (bytes == NULL)
        return NULL;
    data = g_bytes_get_data(bytes, &length);
    out = g_string_new(NULL);
    for (gsize i = 0; i < length; i++)
        g_string_append_printf(out, "%02x", data[i]);
    return g_string_free(out, FALSE);
}

/* Through a JSON text, as dmscctl does: decode | encode gives back the same bytes. */
START_TEST(every_vector_round_trips_through_json_text)
{
    g_autoptr(JsonNode) root = decode(cat_vectors[_i].hex, NULL, NULL);
    g_autofree char *text = json_to_string(root, TRUE);
    g_autoptr(JsonNode) parsed = json_from_string(text, NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *back = encode_to_hex(parsed, &error);

    ck_assert_msg(back != NULL, "%s: %s", cat_vectors[_i].name, error ? error->message : "");
    ck_assert_str_eq(back, cat_vectors[_i].hex);
}
END_TEST

START_TEST(top_level_summaries_describe_the_message)
{
    g_autoptr(JsonNode) command = decode(vector("open_channel_server"), NULL, NULL);
    g_autoptr(JsonNode) response = decode(vector("tr_bip_error"), NULL, NULL);
    g_autoptr(JsonNode) envelope = decode(vector("env_data_available"), NULL, NULL);
    JsonObject *o = json_node_get_object(command);

    ck_assert_str_eq(json_object_get_string_member(o, "kind"), "proactive-command");
    o = json_object_get_object_member(o, "command");
    ck_assert_str_eq(json_object_get_string_member(o, "type"), "open-channel");
    ck_assert_int_eq(json_object_get_int_member(o, "type_code"), 0x40);
    ck_assert_int_eq(json_object_get_int_member(o, "qualifier"), 1);

    o = json_node_get_object(response);
    ck_assert_str_eq(json_object_get_string_member(o, "kind"), "terminal-response");
    ck_assert_int_eq(
        json_object_get_int_member(json_object_get_object_member(o, "result"), "general"), 0x3a);
    ck_assert_str_eq(
        json_object_get_string_member(json_object_get_object_member(o, "result"), "additional_hex"),
        "01");
    ck_assert_str_eq(
        json_object_get_string_member(json_object_get_object_member(o, "device"), "source"),
        "terminal");

    o = json_node_get_object(envelope);
    ck_assert_str_eq(json_object_get_string_member(o, "kind"), "envelope");
    ck_assert_int_eq(
        json_object_get_int_member(json_object_get_object_member(o, "envelope"), "tag"), 214);
    ck_assert_str_eq(
        json_object_get_string_member(json_object_get_object_member(o, "event"), "type"),
        "data-available");
}
END_TEST

START_TEST(common_keys_and_unknown_tags)
{
    g_autoptr(JsonNode) root = decode(vector("three_byte_tag"), NULL, NULL);
    g_autoptr(JsonNode) unknown = decode(vector("unknown_command"), NULL, NULL);
    JsonObject *o = object_at(root, 3);

    ck_assert_str_eq(json_object_get_string_member(o, "tag"), "tag-123");
    ck_assert_int_eq(json_object_get_int_member(o, "tag_code"), 0x123);
    ck_assert(json_object_get_boolean_member(o, "comprehension_required"));
    ck_assert_int_eq(json_object_get_int_member(o, "length"), 2);
    ck_assert_str_eq(json_object_get_string_member(o, "hex"), "bbcc");
    o = object_at(unknown, 0);
    ck_assert_str_eq(json_object_get_string_member(o, "type"), "command-99");
}
END_TEST

static const char *field(const char *vector_name, guint index, const char *key)
{
    static JsonNode *keep[64];
    static guint kept;
    JsonNode *root = decode(vector(vector_name), NULL, NULL);
    JsonObject *o = object_at(root, index);
    JsonNode *member = json_object_get_member(o, key);

    ck_assert_msg(member != NULL, "%s[%u] has no %s", vector_name, index, key);
    keep[kept++ % G_N_ELEMENTS(keep)] = root; /* the strings live as long as the test */
    return json_node_get_value_type(member) == G_TYPE_STRING ? json_node_get_string(member) : NULL;
}

static gint64 int_field(const char *vector_name, guint index, const char *key)
{
    g_autoptr(JsonNode) root = decode(vector(vector_name), NULL, NULL);
    return json_object_get_int_member(object_at(root, index), key);
}

START_TEST(decoded_fields_follow_cat_json)
{
    ck_assert_str_eq(field("display_text_8bit", 2, "text"), "Toolkit Test 1");
    ck_assert_int_eq(int_field("display_text_8bit", 2, "dcs"), 4);
    ck_assert_str_eq(field("display_text_ucs2", 2, "text"), "ЗДРАВСТВУЙТЕ");
    ck_assert_str_eq(field("select_item", 2, "text"), "Toolkit Select");
    ck_assert_str_eq(field("select_item", 2, "coding"), "gsm");
    ck_assert_str_eq(field("select_item", 3, "text"), "Item 1");
    ck_assert_int_eq(int_field("select_item", 4, "id"), 2);
    ck_assert_int_eq(int_field("get_input", 3, "min"), 5);
    ck_assert_int_eq(int_field("get_input", 3, "max"), 5);
    ck_assert_str_eq(field("open_channel_server", 3, "protocol"), "tcp-server");
    ck_assert_int_eq(int_field("open_channel_server", 3, "port"), 3516);
    ck_assert_int_eq(int_field("open_channel_server", 2, "value"), 1400);
    ck_assert_int_eq(int_field("open_channel_client", 3, "bearer_type"), 2);
    ck_assert_str_eq(field("open_channel_client", 3, "parameters_hex"), "030403041f02");
    ck_assert_str_eq(field("open_channel_client", 5, "apn"), "TestGp.rs");
    ck_assert_str_eq(field("open_channel_client", 6, "protocol"), "udp-client-remote");
    ck_assert_str_eq(field("open_channel_client", 7, "address_type"), "ipv4");
    ck_assert_str_eq(field("open_channel_client", 7, "address"), "1.1.1.1");
    ck_assert_int_eq(int_field("receive_data", 2, "value"), 200);
    ck_assert_str_eq(field("tr_open_channel_ok", 3, "tcp_state"), "listen");
    ck_assert_int_eq(int_field("tr_open_channel_ok", 3, "channel_id"), 1);
    ck_assert_str_eq(field("env_data_available", 2, "tcp_state"), "established");
    ck_assert_int_eq(int_field("timer_management", 2, "value"), 1);
    ck_assert_int_eq(int_field("timer_management", 3, "seconds"), 3723);
    ck_assert_str_eq(field("launch_browser", 2, "url"), "http://127.0.0.1:3516/");
    ck_assert_str_eq(field("play_tone", 4, "unit"), "seconds");
    ck_assert_int_eq(int_field("play_tone", 4, "interval"), 5);
    ck_assert_str_eq(field("language_notification", 2, "language"), "se");
    ck_assert_str_eq(field("set_up_call", 2, "number"), "0123456789");
    ck_assert_int_eq(int_field("set_up_call", 2, "ton"), 1);
    ck_assert_int_eq(int_field("refresh_fcn", 2, "count"), 1);
    ck_assert_str_eq(field("env_menu_selection", 0, "source"), "keypad");
}
END_TEST

START_TEST(icon_identifier_and_other_address_forms_decode)
{
    /* DISPLAY TEXT with an icon (qualifier 1, record 2); OPEN CHANNEL with an IPv6 and an
     * empty (none) other address. */
    g_autoptr(JsonNode) icon = decode("d011810301218082028102"
                                      "8d02044a9e020102",
                                      NULL, NULL);
    g_autoptr(JsonNode) v6 = decode("d025810301400182028182b90205783c03030dbc3e1157200104"
                                    "b8000000000000000000000001",
                                    NULL, NULL);
    g_autoptr(JsonNode) none = decode("d014810301400182028182b90205783c03030dbc3e00", NULL, NULL);

    ck_assert_int_eq(json_object_get_int_member(object_at(icon, 3), "qualifier"), 1);
    ck_assert_int_eq(json_object_get_int_member(object_at(icon, 3), "record"), 2);
    ck_assert_str_eq(json_object_get_string_member(object_at(v6, 4), "address_type"), "ipv6");
    ck_assert_str_eq(json_object_get_string_member(object_at(v6, 4), "address"), "2001:4b8::1");
    ck_assert_str_eq(json_object_get_string_member(object_at(none, 4), "address_type"), "none");
    ck_assert(!json_object_has_member(object_at(none, 4), "address"));
}
END_TEST

START_TEST(event_and_file_lists_are_arrays)
{
    g_autoptr(JsonNode) events = decode(vector("set_up_event_list"), NULL, NULL);
    g_autoptr(JsonNode) files =
        decode("d016810301010182028182920b023f007f106f3a3f002fe2", NULL, NULL);
    JsonArray *names = json_object_get_array_member(object_at(events, 2), "events");
    JsonArray *codes = json_object_get_array_member(object_at(events, 2), "codes");
    JsonArray *paths;

    ck_assert_str_eq(json_array_get_string_element(names, 0), "data-available");
    ck_assert_str_eq(json_array_get_string_element(names, 1), "channel-status");
    ck_assert_int_eq(json_array_get_int_element(codes, 1), 10);
    paths = json_object_get_array_member(object_at(files, 2), "files");
    ck_assert_int_eq(json_object_get_int_member(object_at(files, 2), "count"), 2);
    ck_assert_uint_eq(json_array_get_length(paths), 2);
    ck_assert_str_eq(json_array_get_string_element(paths, 0), "3f007f106f3a");
    ck_assert_str_eq(json_array_get_string_element(paths, 1), "3f002fe2");
}
END_TEST

static JsonNode *fake_notification(const guint8 *body, gsize length, gpointer user_data)
{
    JsonNode *node = json_node_new(JSON_NODE_VALUE);
    *(gsize *)user_data = length;
    json_node_set_int(node, (gint64)length);
    return node;
}

START_TEST(dm_notification_push_is_handed_to_the_decoder)
{
    gsize length = 0;
    g_autoptr(JsonNode) root =
        decode(vector("send_short_message_dm_push"), fake_notification, &length);
    JsonObject *tpdu = json_object_get_object_member(object_at(root, 3), "tpdu");
    JsonObject *push = json_object_get_object_member(tpdu, "wap_push");

    ck_assert_str_eq(json_object_get_string_member(tpdu, "mti"), "submit");
    ck_assert_str_eq(json_object_get_string_member(tpdu, "destination"), "1234");
    ck_assert(json_object_get_boolean_member(tpdu, "udhi"));
    ck_assert_int_eq(json_object_get_int_member(tpdu, "destination_port"), 2948);
    ck_assert_str_eq(json_object_get_string_member(push, "content_type"),
                     "application/vnd.syncml.notification");
    ck_assert_uint_eq(length, 38);
    ck_assert_int_eq(json_object_get_int_member(tpdu, "dm_notification"), 38);
}
END_TEST

static char *encode_text(const char *json, GError **error)
{
    g_autoptr(JsonNode) root = json_from_string(json, NULL);
    ck_assert_ptr_nonnull(root);
    return encode_to_hex(root, error);
}

START_TEST(encoder_builds_objects_from_decoded_fields_alone)
{
    g_autofree char *hex_out = encode_text(
        "{\"kind\":\"proactive-command\",\"objects\":["
        "{\"tag\":\"command-details\",\"comprehension_required\":true,"
        " \"number\":1,\"type\":\"open-channel\",\"qualifier\":1},"
        "{\"tag\":\"device-identities\",\"comprehension_required\":true,"
        " \"source\":\"uicc\",\"destination\":\"terminal\"},"
        "{\"tag\":\"buffer-size\",\"comprehension_required\":true,\"value\":1400},"
        "{\"tag\":\"uicc-terminal-interface-transport-level\",\"protocol\":\"tcp-server\","
        " \"port\":3516}]}",
        NULL);
    g_autofree char *envelope = encode_text(
        "{\"kind\":\"envelope\",\"envelope\":{\"type\":\"event-download\"},\"objects\":["
        "{\"tag\":\"event-list\",\"comprehension_required\":true,\"codes\":[10]},"
        "{\"tag\":\"device-identities\",\"comprehension_required\":true,"
        " \"source\":\"terminal\",\"destination\":\"uicc\"},"
        "{\"tag\":\"channel-status\",\"comprehension_required\":true,\"channel_id\":1,"
        " \"established\":false,\"tcp_state\":\"listen\",\"further_info\":0}]}",
        NULL);
    g_autofree char *text = encode_text(
        "{\"kind\":\"proactive-command\",\"objects\":["
        "{\"tag\":\"command-details\",\"number\":1,\"type_code\":33,\"qualifier\":128},"
        "{\"tag\":\"device-identities\",\"source\":\"uicc\",\"destination\":\"display\"},"
        "{\"tag\":\"text-string\",\"dcs\":8,\"text\":\"Ж\"},"
        "{\"tag\":\"alpha-identifier\",\"text\":\"Ж\"},"
        "{\"tag\":\"tag-7a\",\"hex\":\"0102\"}]}",
        NULL);

    ck_assert_str_eq(hex_out, vector("open_channel_server"));
    ck_assert_str_eq(envelope, vector("env_channel_status"));
    ck_assert_str_eq(text, "d0170103012180020281020d0308041605038004167a020102");
}
END_TEST

static const struct {
    const char *json;
    const char *message;
} bad_json[] = {
    { "[1]", "a JSON object is needed" },
    { "{\"objects\":[]}", "\"kind\": a string is needed" },
    { "{\"kind\":\"x\",\"objects\":[]}", "\"kind\": \"x\" is not" },
    { "{\"kind\":\"envelope\",\"objects\":[]}", "an envelope needs" },
    { "{\"kind\":\"envelope\",\"envelope\":{\"tag\":300},\"objects\":[]}", "\"tag\": 300" },
    { "{\"kind\":\"proactive-command\"}", "\"objects\": an array is needed" },
    { "{\"kind\":\"proactive-command\",\"objects\":[1]}", "objects[0]: an object is needed" },
    { "{\"kind\":\"proactive-command\",\"objects\":[{\"tag\":\"nope\"}]}",
      "objects[0]: unknown tag \"nope\"" },
    { "{\"kind\":\"proactive-command\",\"objects\":[{\"tag\":\"tag-01\",\"hex\":\"0g\"}]}",
      "\"hex\": not hex" },
    { "{\"kind\":\"proactive-command\",\"objects\":[{\"tag\":\"command-details\","
      "\"type\":\"open-channel\",\"number\":1,\"qualifier\":256}]}",
      "objects[0]: \"qualifier\": 256 is outside 0-255" },
    { "{\"kind\":\"proactive-command\",\"objects\":[{\"tag\":\"device-identities\","
      "\"source\":\"moon\",\"destination\":\"uicc\"}]}",
      "unknown device \"moon\"" },
    { "{\"kind\":\"proactive-command\",\"objects\":[{\"tag\":\"text-string\",\"dcs\":0,"
      "\"text\":\"Ж\"}]}",
      "outside the GSM alphabet" },
    { "{\"kind\":\"proactive-command\",\"objects\":[{\"tag\":\"channel-status\","
      "\"channel_id\":9,\"tcp_state\":\"listen\",\"established\":false,\"further_info\":0}]}",
      "\"channel_id\": 9 is above 7" },
};

START_TEST(bad_json_says_which_key_is_wrong)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *out = encode_text(bad_json[_i].json, &error);

    ck_assert_ptr_null(out);
    ck_assert(g_error_matches(error, CAT_ERROR, CAT_ERROR_INVALID));
    ck_assert_msg(strstr(error->message, bad_json[_i].message) != NULL, "\"%s\" lacks \"%s\"",
                  error->message, bad_json[_i].message);
}
END_TEST

START_TEST(object_values_over_255_bytes_are_refused)
{
    g_autofree char *zeros = g_strnfill(512, '0');
    g_autofree char *json = g_strdup_printf(
        "{\"kind\":\"terminal-response\",\"objects\":[{\"tag\":\"channel-data\",\"hex\":\"%s\"}]}",
        zeros);
    g_autoptr(GError) error = NULL;
    g_autofree char *out = encode_text(json, &error);

    ck_assert_ptr_null(out);
    ck_assert_ptr_nonnull(strstr(error->message, "objects[0]: value of 256 bytes"));
}
END_TEST

static Suite *json_suite(void)
{
    Suite *suite = suite_create("json");
    TCase *tc = tcase_create("json");

    tcase_add_loop_test(tc, every_vector_round_trips_through_json_text, 0,
                        G_N_ELEMENTS(cat_vectors));
    tcase_add_test(tc, top_level_summaries_describe_the_message);
    tcase_add_test(tc, common_keys_and_unknown_tags);
    tcase_add_test(tc, decoded_fields_follow_cat_json);
    tcase_add_test(tc, event_and_file_lists_are_arrays);
    tcase_add_test(tc, icon_identifier_and_other_address_forms_decode);
    tcase_add_test(tc, dm_notification_push_is_handed_to_the_decoder);
    tcase_add_test(tc, encoder_builds_objects_from_decoded_fields_alone);
    tcase_add_loop_test(tc, bad_json_says_which_key_is_wrong, 0, G_N_ELEMENTS(bad_json));
    tcase_add_test(tc, object_values_over_255_bytes_are_refused);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(json_suite());
}
