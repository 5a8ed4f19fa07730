/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Messages as the JSON of cat-json.md, and back. */
#include "cat-json-private.h"

static const char *const kind_names[] = { "proactive-command", "terminal-response", "envelope" };

static char *generic_name(const char *prefix, guint code)
{
    return g_strdup_printf("%s-%02x", prefix, code);
}

static JsonObject *wap_push_to_json(const CatWapPush *push)
{
    JsonObject *o = json_object_new();

    json_object_set_string_member(o, "content_type", push->content_type);
    if (push->content_type_code >= 0)
        json_object_set_int_member(o, "content_type_code", push->content_type_code);
    if (push->application_id >= 0)
        json_object_set_int_member(o, "application_id", push->application_id);
    cat_json_set_hex(o, "body_hex", push->body, push->body_length);
    return o;
}

static JsonObject *tpdu_to_json(const CatTlv *tlv, gboolean from_terminal,
                                CatDmNotificationDecoder decoder, gpointer user_data)
{
    JsonObject *o = json_object_new();
    CatSmsTpdu sms;
    CatWapPush push;
    g_autoptr(GError) error = NULL;

    if (!cat_sms_parse(tlv->value, tlv->length, from_terminal, &sms, &error)) {
        json_object_set_string_member(o, "error", error->message);
        return o;
    }
    json_object_set_string_member(o, "mti", cat_sms_type_name(sms.type));
    if (sms.type != CAT_SMS_DELIVER && sms.type != CAT_SMS_SUBMIT)
        return o;
    json_object_set_string_member(o, sms.type == CAT_SMS_DELIVER ? "originator" : "destination",
                                  sms.address);
    json_object_set_int_member(o, "pid", sms.pid);
    json_object_set_int_member(o, "dcs", sms.dcs);
    json_object_set_boolean_member(o, "udhi", sms.udhi);
    cat_json_set_hex(o, "user_data_hex", sms.user_data, sms.user_data_length);
    if (sms.has_concat) {
        JsonObject *c = json_object_new();
        json_object_set_int_member(c, "reference", sms.concat_ref);
        json_object_set_int_member(c, "total", sms.concat_total);
        json_object_set_int_member(c, "sequence", sms.concat_seq);
        json_object_set_object_member(o, "concatenation", c);
    }
    if (sms.has_ports) {
        json_object_set_int_member(o, "destination_port", sms.dest_port);
        json_object_set_int_member(o, "source_port", sms.src_port);
    }
    if (cat_dcs_alphabet(sms.dcs) == CAT_DCS_GSM7) {
        g_autofree char *text = cat_gsm_packed_to_utf8(
            sms.user_data, sms.user_data_length, sms.user_data_septets, sms.user_data_fill_bits);
        json_object_set_string_member(o, "text", text);
        return o;
    }
    /* A push goes to port 2948; ModemManager-style payloads without ports are tried too. */
    if ((!sms.has_ports || sms.dest_port == CAT_WSP_PORT_PUSH) &&
        cat_wap_push_parse(sms.user_data, sms.user_data_length, &push, NULL)) {
        json_object_set_object_member(o, "wap_push", wap_push_to_json(&push));
        if (push.is_dm_notification && decoder != NULL) {
            JsonNode *notification = decoder(push.body, push.body_length, user_data);
            if (notification != NULL)
                json_object_set_member(o, "dm_notification", notification);
        }
    }
    return o;
}

static JsonObject *object_to_json(const CatMessage *message, const CatTlv *tlv,
                                  CatDmNotificationDecoder decoder, gpointer user_data)
{
    JsonObject *o = json_object_new();
    const char *name = cat_tag_name(tlv->tag);
    g_autofree char *generic = generic_name("tag", tlv->tag);

    json_object_set_string_member(o, "tag", name ? name : generic);
    json_object_set_int_member(o, "tag_code", tlv->tag);
    json_object_set_boolean_member(o, "comprehension_required", tlv->cr);
    json_object_set_int_member(o, "length", (gint64)tlv->length);
    cat_json_set_hex(o, "hex", tlv->value, tlv->length);
    if (tlv->tag == CAT_TAG_SMS_TPDU)
        json_object_set_object_member(
            o, "tpdu", tpdu_to_json(tlv, message->kind != CAT_KIND_ENVELOPE, decoder, user_data));
    else
        cat_json_decode_fields(tlv->tag, tlv->value, tlv->length, o);
    return o;
}

/* The top-level summaries are copies of the object fields that identify the message. */
static void add_summaries(const CatMessage *message, JsonObject *root)
{
    const CatTlv *tlv;

    if ((tlv = cat_message_find(message, CAT_TAG_COMMAND_DETAILS)) != NULL &&
        message->kind != CAT_KIND_ENVELOPE) {
        JsonObject *o = json_object_new();
        cat_json_decode_fields(tlv->tag, tlv->value, tlv->length, o);
        json_object_set_object_member(root, "command", o);
    }
    if ((tlv = cat_message_find(message, CAT_TAG_DEVICE_IDENTITIES)) != NULL) {
        JsonObject *o = json_object_new();
        cat_json_decode_fields(tlv->tag, tlv->value, tlv->length, o);
        json_object_set_object_member(root, "device", o);
    }
    if (message->kind == CAT_KIND_TERMINAL_RESPONSE &&
        (tlv = cat_message_find(message, CAT_TAG_RESULT)) != NULL) {
        JsonObject *o = json_object_new();
        cat_json_decode_fields(tlv->tag, tlv->value, tlv->length, o);
        json_object_set_object_member(root, "result", o);
    }
    if (message->kind == CAT_KIND_ENVELOPE) {
        JsonObject *o = json_object_new();
        const char *name = cat_envelope_name(message->ber_tag);
        g_autofree char *generic = generic_name("envelope", message->ber_tag);
        json_object_set_string_member(o, "type", name ? name : generic);
        json_object_set_int_member(o, "tag", message->ber_tag);
        json_object_set_object_member(root, "envelope", o);
    }
    if (message->ber_tag == CAT_ENVELOPE_EVENT_DOWNLOAD &&
        (tlv = cat_message_find(message, CAT_TAG_EVENT_LIST)) != NULL && tlv->length > 0) {
        JsonObject *o = json_object_new();
        const char *name = cat_event_name(tlv->value[0]);
        g_autofree char *generic = generic_name("event", tlv->value[0]);
        json_object_set_string_member(o, "type", name ? name : generic);
        json_object_set_int_member(o, "code", tlv->value[0]);
        json_object_set_object_member(root, "event", o);
    }
}

JsonNode *cat_message_to_json(const CatMessage *message, CatDmNotificationDecoder decoder,
                              gpointer user_data)
{
    JsonObject *root = json_object_new();
    JsonArray *objects = json_array_new();
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);

    json_object_set_string_member(root, "kind", kind_names[message->kind]);
    add_summaries(message, root);
    for (guint i = 0; i < message->n_objects; i++) {
        const CatTlv *tlv = &message->objects[i];
        json_array_add_object_element(objects, object_to_json(message, tlv, decoder, user_data));
    }
    json_object_set_array_member(root, "objects", objects);
    json_node_take_object(node, root);
    return node;
}

/* --- From JSON --------------------------------------------------------------------------- */

static gboolean object_tag(JsonObject *o, guint index, guint16 *tag, GError **error)
{
    gint64 code;
    const char *name;

    if (json_object_has_member(o, "tag_code")) {
        if (!cat_json_get_int(o, "tag_code", 1, 0x7fff, &code, error))
            return FALSE;
        *tag = (guint16)code;
        return TRUE;
    }
    if ((name = cat_json_get_string(o, "tag", error)) == NULL)
        return FALSE;
    if (!cat_tag_from_name(name, tag)) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "unknown tag \"%s\"", name);
        return FALSE;
    }
    return TRUE;
}

static gboolean object_from_json(JsonNode *node, guint index, GByteArray *out, GError **error)
{
    g_autoptr(GByteArray) value = g_byte_array_new();
    g_autoptr(GError) local_error = NULL;
    JsonObject *o;
    guint16 tag;
    gboolean cr = FALSE;
    int built;

    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "objects[%u]: an object is needed", index);
        return FALSE;
    }
    o = json_node_get_object(node);
    if (!object_tag(o, index, &tag, &local_error))
        goto fail;
    if (json_object_has_member(o, "comprehension_required")) {
        JsonNode *member = json_object_get_member(o, "comprehension_required");
        if (!JSON_NODE_HOLDS_VALUE(member) || json_node_get_value_type(member) != G_TYPE_BOOLEAN) {
            g_set_error(&local_error, CAT_ERROR, CAT_ERROR_INVALID,
                        "\"comprehension_required\": true or false is needed");
            goto fail;
        }
        cr = json_node_get_boolean(member);
    }
    built = cat_json_encode_fields(tag, o, value, &local_error);
    if (built < 0)
        goto fail;
    if (built == 0) {
        const char *hex =
            json_object_has_member(o, "hex") ? cat_json_get_string(o, "hex", &local_error) : "";
        if (hex == NULL)
            goto fail;
        if (!cat_hex_decode(hex, value)) {
            g_set_error(&local_error, CAT_ERROR, CAT_ERROR_INVALID, "\"hex\": not hex");
            goto fail;
        }
    }
    if (value->len > 0xff) {
        g_set_error(&local_error, CAT_ERROR, CAT_ERROR_INVALID,
                    "value of %u bytes: at most 255 fit", value->len);
        goto fail;
    }
    cat_tlv_append(out, tag, cr, value->data, value->len);
    return TRUE;

fail:
    g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "objects[%u]: %s", index,
                local_error->message);
    return FALSE;
}

static gboolean envelope_tag(JsonObject *root, guint8 *tag, GError **error)
{
    JsonObject *envelope = cat_json_get_object(root, "envelope");
    const char *name;
    gint64 code;

    if (envelope == NULL) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID,
                    "an envelope needs \"envelope\": {\"tag\": 209-223} or {\"type\": name}");
        return FALSE;
    }
    if (json_object_has_member(envelope, "tag")) {
        if (!cat_json_get_int(envelope, "tag", 0xd1, 0xdf, &code, error))
            return FALSE;
        *tag = (guint8)code;
        return TRUE;
    }
    if ((name = cat_json_get_string(envelope, "type", error)) == NULL)
        return FALSE;
    if (!cat_envelope_from_name(name, tag) || *tag < 0xd1 || *tag > 0xdf) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "unknown envelope type \"%s\"", name);
        return FALSE;
    }
    return TRUE;
}

GBytes *cat_message_from_json(JsonNode *root_node, GError **error)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    JsonObject *root;
    JsonArray *objects;
    const char *kind;
    guint8 ber_tag = CAT_BER_PROACTIVE_COMMAND;

    if (root_node == NULL || !JSON_NODE_HOLDS_OBJECT(root_node)) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "a JSON object is needed");
        return NULL;
    }
    root = json_node_get_object(root_node);
    if ((kind = cat_json_get_string(root, "kind", error)) == NULL)
        return NULL;
    objects = cat_json_get_array(root, "objects");
    if (objects == NULL) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "\"objects\": an array is needed");
        return NULL;
    }
    for (guint i = 0; i < json_array_get_length(objects); i++) {
        if (!object_from_json(json_array_get_element(objects, i), i, body, error))
            return NULL;
    }

    if (g_str_equal(kind, "terminal-response"))
        return g_byte_array_free_to_bytes(g_steal_pointer(&body));
    if (g_str_equal(kind, "envelope")) {
        if (!envelope_tag(root, &ber_tag, error))
            return NULL;
    } else if (!g_str_equal(kind, "proactive-command")) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID,
                    "\"kind\": \"%s\" is not proactive-command, terminal-response or envelope",
                    kind);
        return NULL;
    }
    return cat_envelope_finish(ber_tag, body, error);
}
