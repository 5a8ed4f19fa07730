/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The decoded fields of each object in cat-json.md, both ways. A decoder adds fields to a
 * JSON object and leaves it alone when the value does not have the form its tag promises
 * (the object then keeps only its hex); an encoder builds the value from the fields, or
 * says it found none so that the caller uses "hex".
 */
#include "cat-json-private.h"

#include <string.h>

/* --- Helpers (json-util.c) ------------------------------------------------------------ */

static void append_u8(GByteArray *out, guint8 byte)
{
    g_byte_array_append(out, &byte, 1);
}

/* --- Decoders: value → fields ------------------------------------------------------------ */

static void decode_command_details(const guint8 *v, gsize n, JsonObject *o)
{
    if (n != 3)
        return;
    json_object_set_int_member(o, "number", v[0]);
    cat_json_set_name(o, "type", cat_command_name(v[1]), "command", v[1]);
    json_object_set_int_member(o, "type_code", v[1]);
    json_object_set_int_member(o, "qualifier", v[2]);
}

static void decode_devices(const guint8 *v, gsize n, JsonObject *o)
{
    if (n != 2)
        return;
    cat_json_set_name(o, "source", cat_device_name(v[0]), "device", v[0]);
    cat_json_set_name(o, "destination", cat_device_name(v[1]), "device", v[1]);
}

static void decode_result(const guint8 *v, gsize n, JsonObject *o)
{
    if (n < 1)
        return;
    json_object_set_int_member(o, "general", v[0]);
    cat_json_set_hex(o, "additional_hex", v + 1, n - 1);
}

static const char *const duration_units[] = { "minutes", "seconds", "tenths-of-seconds" };

static void decode_duration(const guint8 *v, gsize n, JsonObject *o)
{
    if (n != 2 || v[0] > 2)
        return;
    json_object_set_string_member(o, "unit", duration_units[v[0]]);
    json_object_set_int_member(o, "interval", v[1]);
}

static const char *const alpha_codings[] = { "gsm", "ucs2-80", "ucs2-81", "ucs2-82" };

static void decode_alpha(const guint8 *v, gsize n, JsonObject *o)
{
    CatAlphaCoding coding;
    g_autofree char *text = cat_alpha_to_utf8(v, n, &coding, NULL);

    if (text == NULL)
        return;
    json_object_set_string_member(o, "text", text);
    json_object_set_string_member(o, "coding", alpha_codings[coding]);
}

static void decode_text_string(const guint8 *v, gsize n, JsonObject *o)
{
    g_autofree char *text = NULL;

    if (n < 1)
        return;
    json_object_set_int_member(o, "dcs", v[0]);
    text = cat_text_to_utf8(v[0], v + 1, n - 1);
    if (text != NULL)
        json_object_set_string_member(o, "text", text);
}

static void decode_address(const guint8 *v, gsize n, JsonObject *o)
{
    char digits[2 * 255 + 1];

    if (n < 1)
        return;
    cat_bcd_to_digits(v + 1, n - 1, digits, sizeof(digits));
    json_object_set_int_member(o, "ton", (v[0] >> 4) & 0x7);
    json_object_set_int_member(o, "npi", v[0] & 0xf);
    json_object_set_string_member(o, "number", digits);
}

static void decode_event_list(const guint8 *v, gsize n, JsonObject *o)
{
    JsonArray *events = json_array_new();
    JsonArray *codes = json_array_new();

    for (gsize i = 0; i < n; i++) {
        const char *name = cat_event_name(v[i]);
        g_autofree char *generic = g_strdup_printf("event-%02x", v[i]);
        json_array_add_string_element(events, name ? name : generic);
        json_array_add_int_element(codes, v[i]);
    }
    json_object_set_array_member(o, "events", events);
    json_object_set_array_member(o, "codes", codes);
}

/* A file list: a count, then full paths from the MF (3F00), two bytes per level. */
static void decode_file_list(const guint8 *v, gsize n, JsonObject *o)
{
    JsonArray *files;
    gsize start = 1;

    if (n < 1 || (n - 1) % 2 != 0)
        return;
    files = json_array_new();
    for (gsize i = 1; i < n; i += 2) {
        gboolean next_is_mf = i + 2 < n && v[i + 2] == 0x3f && v[i + 3] == 0x00;
        if (i + 2 >= n || next_is_mf) {
            g_autofree char *hex = cat_hex_encode(v + start, i + 2 - start);
            json_array_add_string_element(files, hex);
            start = i + 2;
        }
    }
    json_object_set_int_member(o, "count", v[0]);
    json_object_set_array_member(o, "files", files);
}

static void decode_bearer(const guint8 *v, gsize n, JsonObject *o)
{
    if (n < 1)
        return;
    json_object_set_int_member(o, "bearer_type", v[0]);
    cat_json_set_hex(o, "parameters_hex", v + 1, n - 1);
}

static void decode_u8_value(const guint8 *v, gsize n, JsonObject *o)
{
    if (n == 1)
        json_object_set_int_member(o, "value", v[0]);
}

static void decode_u16_value(const guint8 *v, gsize n, JsonObject *o)
{
    if (n == 2)
        json_object_set_int_member(o, "value", v[0] << 8 | v[1]);
}

/* Labels, each behind its length byte (RFC 1035 form, TS 23.003 §9.1). */
static void decode_apn(const guint8 *v, gsize n, JsonObject *o)
{
    g_autoptr(GString) apn = g_string_new(NULL);

    for (gsize i = 0; i < n;) {
        gsize label = v[i];
        if (label == 0 || label > n - i - 1)
            return;
        if (apn->len > 0)
            g_string_append_c(apn, '.');
        for (gsize k = 0; k < label; k++) {
            if (v[i + 1 + k] < 0x20 || v[i + 1 + k] > 0x7e)
                return;
            g_string_append_c(apn, (char)v[i + 1 + k]);
        }
        i += 1 + label;
    }
    json_object_set_string_member(o, "apn", apn->str);
}

static void decode_other_address(const guint8 *v, gsize n, JsonObject *o)
{
    char text[64];

    if (n == 0) {
        json_object_set_string_member(o, "address_type", "none");
    } else if (v[0] == 0x21 && n == 5) {
        g_snprintf(text, sizeof(text), "%u.%u.%u.%u", v[1], v[2], v[3], v[4]);
        json_object_set_string_member(o, "address_type", "ipv4");
        json_object_set_string_member(o, "address", text);
    } else if (v[0] == 0x57 && n == 17) {
        g_autoptr(GInetAddress) address =
            g_inet_address_new_from_bytes(v + 1, G_SOCKET_FAMILY_IPV6);
        g_autofree char *s = g_inet_address_to_string(address);
        json_object_set_string_member(o, "address_type", "ipv6");
        json_object_set_string_member(o, "address", s);
    }
}

static const char *const transport_names[] = {
    NULL,         "udp-client-remote", "tcp-client-remote",
    "tcp-server", "udp-client-local",  "tcp-client-local",
    "direct",
};

static void decode_transport(const guint8 *v, gsize n, JsonObject *o)
{
    if (n != 1 && n != 3)
        return;
    if (v[0] < G_N_ELEMENTS(transport_names) && transport_names[v[0]] != NULL)
        json_object_set_string_member(o, "protocol", transport_names[v[0]]);
    json_object_set_int_member(o, "protocol_code", v[0]);
    if (n == 3)
        json_object_set_int_member(o, "port", v[1] << 8 | v[2]);
}

static const char *const tcp_states[] = { "closed", "listen", "established", "reserved" };

static void decode_channel_status(const guint8 *v, gsize n, JsonObject *o)
{
    if (n != 2)
        return;
    json_object_set_int_member(o, "channel_id", v[0] & 0x07);
    json_object_set_boolean_member(o, "established", (v[0] & 0x80) != 0);
    json_object_set_string_member(o, "tcp_state", tcp_states[(v[0] >> 6) & 3]);
    json_object_set_int_member(o, "further_info", v[1]);
}

static int bcd_swapped(guint8 byte)
{
    int low = byte & 0xf, high = byte >> 4;
    return (low > 9 || high > 9) ? -1 : low * 10 + high;
}

static void decode_timer_value(const guint8 *v, gsize n, JsonObject *o)
{
    int h, m, s;

    if (n != 3 || (h = bcd_swapped(v[0])) < 0 || (m = bcd_swapped(v[1])) < 0 ||
        (s = bcd_swapped(v[2])) < 0)
        return;
    json_object_set_int_member(o, "seconds", h * 3600 + m * 60 + s);
}

static void decode_url(const guint8 *v, gsize n, JsonObject *o)
{
    g_autofree char *url = cat_gsm_unpacked_to_utf8(v, n);
    json_object_set_string_member(o, "url", url);
}

static void decode_item(const guint8 *v, gsize n, JsonObject *o)
{
    CatAlphaCoding coding;
    g_autofree char *text = NULL;

    if (n < 1)
        return;
    json_object_set_int_member(o, "id", v[0]);
    text = cat_alpha_to_utf8(v + 1, n - 1, &coding, NULL);
    if (text != NULL) {
        json_object_set_string_member(o, "text", text);
        json_object_set_string_member(o, "coding", alpha_codings[coding]);
    }
}

static void decode_response_length(const guint8 *v, gsize n, JsonObject *o)
{
    if (n != 2)
        return;
    json_object_set_int_member(o, "min", v[0]);
    json_object_set_int_member(o, "max", v[1]);
}

static void decode_icon(const guint8 *v, gsize n, JsonObject *o)
{
    if (n != 2)
        return;
    json_object_set_int_member(o, "qualifier", v[0]);
    json_object_set_int_member(o, "record", v[1]);
}

static void decode_language(const guint8 *v, gsize n, JsonObject *o)
{
    g_autofree char *text = NULL;

    if (n != 2 || !g_ascii_isalpha(v[0]) || !g_ascii_isalpha(v[1]))
        return;
    text = g_strndup((const char *)v, 2);
    json_object_set_string_member(o, "language", text);
}

/* --- Encoders: fields → value ------------------------------------------------------------ */

/* Each returns 1 when it built @out, 0 when the object has none of its fields, -1 on error. */
typedef int (*Encoder)(JsonObject *o, GByteArray *out, GError **error);

static int encode_command_details(JsonObject *o, GByteArray *out, GError **error)
{
    guint8 number, type, qualifier;
    const char *name;

    if (!json_object_has_member(o, "type_code") && !json_object_has_member(o, "type"))
        return 0;
    if (json_object_has_member(o, "type_code")) {
        if (!cat_json_get_u8(o, "type_code", &type, error))
            return -1;
    } else if ((name = cat_json_get_string(o, "type", error)) == NULL) {
        return -1;
    } else if (!cat_command_from_name(name, &type)) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "\"type\": unknown command \"%s\"", name);
        return -1;
    }
    if (!cat_json_get_u8(o, "number", &number, error) ||
        !cat_json_get_u8(o, "qualifier", &qualifier, error))
        return -1;
    append_u8(out, number);
    append_u8(out, type);
    append_u8(out, qualifier);
    return 1;
}

static gboolean get_device(JsonObject *o, const char *key, guint8 *out, GError **error)
{
    const char *name = cat_json_get_string(o, key, error);

    if (name == NULL)
        return FALSE;
    if (!cat_device_from_name(name, out)) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "\"%s\": unknown device \"%s\"", key,
                    name);
        return FALSE;
    }
    return TRUE;
}

static int encode_devices(JsonObject *o, GByteArray *out, GError **error)
{
    guint8 source, destination;

    if (!json_object_has_member(o, "source"))
        return 0;
    if (!get_device(o, "source", &source, error) ||
        !get_device(o, "destination", &destination, error))
        return -1;
    append_u8(out, source);
    append_u8(out, destination);
    return 1;
}

static int encode_result(JsonObject *o, GByteArray *out, GError **error)
{
    guint8 general;

    if (!json_object_has_member(o, "general"))
        return 0;
    if (!cat_json_get_u8(o, "general", &general, error))
        return -1;
    append_u8(out, general);
    if (json_object_has_member(o, "additional_hex") &&
        !cat_json_get_hex(o, "additional_hex", out, error))
        return -1;
    return 1;
}

static gboolean lookup_word(JsonObject *o, const char *key, const char *const *words, gsize n,
                            guint8 *out, GError **error)
{
    const char *word = cat_json_get_string(o, key, error);

    if (word == NULL)
        return FALSE;
    for (gsize i = 0; i < n; i++) {
        if (words[i] != NULL && g_str_equal(words[i], word)) {
            *out = (guint8)i;
            return TRUE;
        }
    }
    g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "\"%s\": unknown value \"%s\"", key, word);
    return FALSE;
}

static int encode_duration(JsonObject *o, GByteArray *out, GError **error)
{
    guint8 unit, interval;

    if (!json_object_has_member(o, "unit"))
        return 0;
    if (!lookup_word(o, "unit", duration_units, G_N_ELEMENTS(duration_units), &unit, error) ||
        !cat_json_get_u8(o, "interval", &interval, error))
        return -1;
    append_u8(out, unit);
    append_u8(out, interval);
    return 1;
}

/* "coding" is optional: without it the text goes in GSM when it can, else UCS2 (80). */
static gboolean encode_alpha_text(JsonObject *o, GByteArray *out, GError **error)
{
    const char *text = cat_json_get_string(o, "text", error);
    guint8 coding;

    if (text == NULL)
        return FALSE;
    if (!json_object_has_member(o, "coding"))
        return cat_utf8_to_alpha(text, -1, out, error);
    if (!lookup_word(o, "coding", alpha_codings, G_N_ELEMENTS(alpha_codings), &coding, error))
        return FALSE;
    return cat_utf8_to_alpha(text, coding, out, error);
}

static int encode_alpha(JsonObject *o, GByteArray *out, GError **error)
{
    if (!json_object_has_member(o, "text"))
        return 0;
    return encode_alpha_text(o, out, error) ? 1 : -1;
}

static int encode_text_string(JsonObject *o, GByteArray *out, GError **error)
{
    guint8 dcs;
    const char *text;

    if (!json_object_has_member(o, "text"))
        return 0;
    if (!cat_json_get_u8(o, "dcs", &dcs, error) ||
        (text = cat_json_get_string(o, "text", error)) == NULL)
        return -1;
    append_u8(out, dcs);
    return cat_utf8_to_text(dcs, text, out, error) ? 1 : -1;
}

static int encode_address(JsonObject *o, GByteArray *out, GError **error)
{
    guint8 ton, npi;
    const char *number;

    if (!json_object_has_member(o, "number"))
        return 0;
    if (!cat_json_get_u8(o, "ton", &ton, error) || !cat_json_get_u8(o, "npi", &npi, error) ||
        (number = cat_json_get_string(o, "number", error)) == NULL)
        return -1;
    append_u8(out, (guint8)(0x80 | (ton & 0x7) << 4 | (npi & 0xf)));
    if (!cat_digits_to_bcd(number, out)) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID,
                    "\"number\": \"%s\" has a character other than 0-9 * # a b c", number);
        return -1;
    }
    return 1;
}

static int encode_event_list(JsonObject *o, GByteArray *out, GError **error)
{
    JsonArray *codes;

    if (!json_object_has_member(o, "codes"))
        return 0;
    codes = cat_json_get_array(o, "codes");
    if (codes == NULL) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "\"codes\": an array is needed");
        return -1;
    }
    for (guint i = 0; i < json_array_get_length(codes); i++) {
        JsonNode *node = json_array_get_element(codes, i);
        gint64 code;
        if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64 ||
            (code = json_node_get_int(node)) < 0 || code > 0xff) {
            g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID,
                        "\"codes\": element %u is not an event code 0-255", i);
            return -1;
        }
        append_u8(out, (guint8)code);
    }
    return 1;
}

static int encode_file_list(JsonObject *o, GByteArray *out, GError **error)
{
    JsonArray *files;
    guint8 count;

    if (!json_object_has_member(o, "files"))
        return 0;
    files = cat_json_get_array(o, "files");
    if (files == NULL || !cat_json_get_u8(o, "count", &count, error)) {
        if (files == NULL)
            g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "\"files\": an array is needed");
        return -1;
    }
    append_u8(out, count);
    for (guint i = 0; i < json_array_get_length(files); i++) {
        JsonNode *element = json_array_get_element(files, i);
        const char *hex = JSON_NODE_HOLDS_VALUE(element) ? json_node_get_string(element) : NULL;
        if (hex == NULL || strlen(hex) % 4 != 0 || !cat_hex_decode(hex, out)) {
            g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID,
                        "\"files\": element %u is not a path of 2-byte file ids in hex", i);
            return -1;
        }
    }
    return 1;
}

static int encode_bearer(JsonObject *o, GByteArray *out, GError **error)
{
    guint8 type;

    if (!json_object_has_member(o, "bearer_type"))
        return 0;
    if (!cat_json_get_u8(o, "bearer_type", &type, error))
        return -1;
    append_u8(out, type);
    if (json_object_has_member(o, "parameters_hex") &&
        !cat_json_get_hex(o, "parameters_hex", out, error))
        return -1;
    return 1;
}

static int encode_u8_value(JsonObject *o, GByteArray *out, GError **error)
{
    guint8 value;

    if (!json_object_has_member(o, "value"))
        return 0;
    if (!cat_json_get_u8(o, "value", &value, error))
        return -1;
    append_u8(out, value);
    return 1;
}

static int encode_u16_value(JsonObject *o, GByteArray *out, GError **error)
{
    gint64 value;

    if (!json_object_has_member(o, "value"))
        return 0;
    if (!cat_json_get_int(o, "value", 0, 0xffff, &value, error))
        return -1;
    append_u8(out, (guint8)(value >> 8));
    append_u8(out, (guint8)value);
    return 1;
}

static int encode_apn(JsonObject *o, GByteArray *out, GError **error)
{
    const char *apn;
    g_auto(GStrv) labels = NULL;

    if (!json_object_has_member(o, "apn"))
        return 0;
    if ((apn = cat_json_get_string(o, "apn", error)) == NULL)
        return -1;
    labels = g_strsplit(apn, ".", -1);
    for (char **label = labels; *label != NULL; label++) {
        gsize length = strlen(*label);
        if (length == 0 || length > 63) {
            g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID,
                        "\"apn\": \"%s\" has an empty or overlong label", apn);
            return -1;
        }
        append_u8(out, (guint8)length);
        g_byte_array_append(out, (const guint8 *)*label, (guint)length);
    }
    return 1;
}

static int encode_other_address(JsonObject *o, GByteArray *out, GError **error)
{
    const char *type, *text;
    g_autoptr(GInetAddress) address = NULL;

    if (!json_object_has_member(o, "address_type"))
        return 0;
    if ((type = cat_json_get_string(o, "address_type", error)) == NULL)
        return -1;
    if (g_str_equal(type, "none"))
        return 1;
    if ((text = cat_json_get_string(o, "address", error)) == NULL)
        return -1;
    address = g_inet_address_new_from_string(text);
    if (address == NULL || (g_str_equal(type, "ipv4") !=
                            (g_inet_address_get_family(address) == G_SOCKET_FAMILY_IPV4))) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "\"address\": \"%s\" is not an %s address",
                    text, type);
        return -1;
    }
    append_u8(out, g_inet_address_get_family(address) == G_SOCKET_FAMILY_IPV4 ? 0x21 : 0x57);
    g_byte_array_append(out, g_inet_address_to_bytes(address),
                        (guint)g_inet_address_get_native_size(address));
    return 1;
}

static int encode_transport(JsonObject *o, GByteArray *out, GError **error)
{
    guint8 protocol;
    gint64 port;

    if (json_object_has_member(o, "protocol_code")) {
        if (!cat_json_get_u8(o, "protocol_code", &protocol, error))
            return -1;
    } else if (json_object_has_member(o, "protocol")) {
        if (!lookup_word(o, "protocol", transport_names, G_N_ELEMENTS(transport_names), &protocol,
                         error))
            return -1;
    } else {
        return 0;
    }
    append_u8(out, protocol);
    if (json_object_has_member(o, "port")) {
        if (!cat_json_get_int(o, "port", 0, 0xffff, &port, error))
            return -1;
        append_u8(out, (guint8)(port >> 8));
        append_u8(out, (guint8)port);
    }
    return 1;
}

static int encode_channel_status(JsonObject *o, GByteArray *out, GError **error)
{
    guint8 id, state, further;
    gboolean established;

    if (!json_object_has_member(o, "channel_id"))
        return 0;
    if (!cat_json_get_u8(o, "channel_id", &id, error) ||
        !lookup_word(o, "tcp_state", tcp_states, G_N_ELEMENTS(tcp_states), &state, error) ||
        !cat_json_get_bool(o, "established", &established, error) ||
        !cat_json_get_u8(o, "further_info", &further, error))
        return -1;
    if (id > 7) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "\"channel_id\": %u is above 7", id);
        return -1;
    }
    append_u8(out, (guint8)(id | state << 6 | (established ? 0x80 : 0)));
    append_u8(out, further);
    return 1;
}

static int encode_timer_value(JsonObject *o, GByteArray *out, GError **error)
{
    gint64 seconds;
    int parts[3];

    if (!json_object_has_member(o, "seconds"))
        return 0;
    if (!cat_json_get_int(o, "seconds", 0, 99 * 3600 + 59 * 60 + 59, &seconds, error))
        return -1;
    parts[0] = (int)(seconds / 3600);
    parts[1] = (int)(seconds / 60 % 60);
    parts[2] = (int)(seconds % 60);
    for (int i = 0; i < 3; i++)
        append_u8(out, (guint8)(parts[i] % 10 << 4 | parts[i] / 10));
    return 1;
}

static int encode_url(JsonObject *o, GByteArray *out, GError **error)
{
    const char *url;

    if (!json_object_has_member(o, "url"))
        return 0;
    if ((url = cat_json_get_string(o, "url", error)) == NULL)
        return -1;
    if (!cat_utf8_to_gsm_unpacked(url, out)) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID,
                    "\"url\": characters outside the GSM alphabet");
        return -1;
    }
    return 1;
}

static int encode_item(JsonObject *o, GByteArray *out, GError **error)
{
    guint8 id;

    if (!json_object_has_member(o, "id"))
        return 0;
    if (!cat_json_get_u8(o, "id", &id, error))
        return -1;
    append_u8(out, id);
    if (json_object_has_member(o, "text") && !encode_alpha_text(o, out, error))
        return -1;
    return 1;
}

static int encode_two_u8(JsonObject *o, const char *a, const char *b, GByteArray *out,
                         GError **error)
{
    guint8 x, y;

    if (!json_object_has_member(o, a))
        return 0;
    if (!cat_json_get_u8(o, a, &x, error) || !cat_json_get_u8(o, b, &y, error))
        return -1;
    append_u8(out, x);
    append_u8(out, y);
    return 1;
}

static int encode_response_length(JsonObject *o, GByteArray *out, GError **error)
{
    return encode_two_u8(o, "min", "max", out, error);
}

static int encode_icon(JsonObject *o, GByteArray *out, GError **error)
{
    return encode_two_u8(o, "qualifier", "record", out, error);
}

static int encode_language(JsonObject *o, GByteArray *out, GError **error)
{
    const char *language;

    if (!json_object_has_member(o, "language"))
        return 0;
    if ((language = cat_json_get_string(o, "language", error)) == NULL)
        return -1;
    if (strlen(language) != 2 || !g_ascii_isalpha(language[0]) || !g_ascii_isalpha(language[1])) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "\"language\": \"%s\" is not two letters",
                    language);
        return -1;
    }
    g_byte_array_append(out, (const guint8 *)language, 2);
    return 1;
}

/* --- The table --------------------------------------------------------------------------- */

typedef void (*Decoder)(const guint8 *v, gsize n, JsonObject *o);

static const struct {
    guint16 tag;
    Decoder decode;
    Encoder encode;
} codecs[] = {
    { CAT_TAG_COMMAND_DETAILS, decode_command_details, encode_command_details },
    { CAT_TAG_DEVICE_IDENTITIES, decode_devices, encode_devices },
    { CAT_TAG_RESULT, decode_result, encode_result },
    { CAT_TAG_DURATION, decode_duration, encode_duration },
    { CAT_TAG_ALPHA_IDENTIFIER, decode_alpha, encode_alpha },
    { CAT_TAG_ADDRESS, decode_address, encode_address },
    { CAT_TAG_TEXT_STRING, decode_text_string, encode_text_string },
    { CAT_TAG_ITEM, decode_item, encode_item },
    { CAT_TAG_RESPONSE_LENGTH, decode_response_length, encode_response_length },
    { CAT_TAG_FILE_LIST, decode_file_list, encode_file_list },
    { CAT_TAG_EVENT_LIST, decode_event_list, encode_event_list },
    { CAT_TAG_ICON_IDENTIFIER, decode_icon, encode_icon },
    { CAT_TAG_TIMER_IDENTIFIER, decode_u8_value, encode_u8_value },
    { CAT_TAG_TIMER_VALUE, decode_timer_value, encode_timer_value },
    { CAT_TAG_LANGUAGE, decode_language, encode_language },
    { CAT_TAG_URL, decode_url, encode_url },
    { CAT_TAG_BEARER_DESCRIPTION, decode_bearer, encode_bearer },
    { CAT_TAG_CHANNEL_DATA_LENGTH, decode_u8_value, encode_u8_value },
    { CAT_TAG_CHANNEL_STATUS, decode_channel_status, encode_channel_status },
    { CAT_TAG_BUFFER_SIZE, decode_u16_value, encode_u16_value },
    { CAT_TAG_TRANSPORT_LEVEL, decode_transport, encode_transport },
    { CAT_TAG_OTHER_ADDRESS, decode_other_address, encode_other_address },
    { CAT_TAG_NETWORK_ACCESS_NAME, decode_apn, encode_apn },
};

void cat_json_decode_fields(guint16 tag, const guint8 *value, gsize length, JsonObject *o)
{
    for (gsize i = 0; i < G_N_ELEMENTS(codecs); i++) {
        if (codecs[i].tag == tag) {
            codecs[i].decode(value, length, o);
            return;
        }
    }
}

int cat_json_encode_fields(guint16 tag, JsonObject *o, GByteArray *out, GError **error)
{
    for (gsize i = 0; i < G_N_ELEMENTS(codecs); i++) {
        if (codecs[i].tag == tag)
            return codecs[i].encode(o, out, error);
    }
    return 0;
}
