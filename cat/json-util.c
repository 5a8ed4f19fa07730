/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small readers and writers of JSON members that the JSON form's two files share. */
#include "cat-json-private.h"

void cat_json_set_hex(JsonObject *o, const char *key, const guint8 *data, gsize length)
{
    g_autofree char *hex = cat_hex_encode(data, length);
    json_object_set_string_member(o, key, hex);
}

void cat_json_set_name(JsonObject *o, const char *key, const char *name, const char *prefix,
                       guint code)
{
    if (name != NULL) {
        json_object_set_string_member(o, key, name);
    } else {
        g_autofree char *generic = g_strdup_printf("%s-%02x", prefix, code);
        json_object_set_string_member(o, key, generic);
    }
}

gboolean cat_json_get_int(JsonObject *o, const char *key, gint64 min, gint64 max, gint64 *out,
                          GError **error)
{
    JsonNode *node = json_object_get_member(o, key);

    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_INT64) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "\"%s\": an integer is needed", key);
        return FALSE;
    }
    *out = json_node_get_int(node);
    if (*out < min || *out > max) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID,
                    "\"%s\": %" G_GINT64_FORMAT " is outside %" G_GINT64_FORMAT
                    "-%" G_GINT64_FORMAT,
                    key, *out, min, max);
        return FALSE;
    }
    return TRUE;
}

JsonObject *cat_json_get_object(JsonObject *o, const char *key)
{
    JsonNode *node = json_object_get_member(o, key);
    return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

JsonArray *cat_json_get_array(JsonObject *o, const char *key)
{
    JsonNode *node = json_object_get_member(o, key);
    return node != NULL && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
}

const char *cat_json_get_string(JsonObject *o, const char *key, GError **error)
{
    JsonNode *node = json_object_get_member(o, key);

    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "\"%s\": a string is needed", key);
        return NULL;
    }
    return json_node_get_string(node);
}

gboolean cat_json_get_u8(JsonObject *o, const char *key, guint8 *out, GError **error)
{
    gint64 v;

    if (!cat_json_get_int(o, key, 0, 0xff, &v, error))
        return FALSE;
    *out = (guint8)v;
    return TRUE;
}

gboolean cat_json_get_hex(JsonObject *o, const char *key, GByteArray *out, GError **error)
{
    const char *hex = cat_json_get_string(o, key, error);

    if (hex == NULL)
        return FALSE;
    if (!cat_hex_decode(hex, out)) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "\"%s\": \"%s\" is not hex", key, hex);
        return FALSE;
    }
    return TRUE;
}

gboolean cat_json_get_bool(JsonObject *o, const char *key, gboolean *out, GError **error)
{
    JsonNode *node = json_object_get_member(o, key);

    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
        g_set_error(error, CAT_ERROR, CAT_ERROR_INVALID, "\"%s\": true or false is needed", key);
        return FALSE;
    }
    *out = json_node_get_boolean(node);
    return TRUE;
}
