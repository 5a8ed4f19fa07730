/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cat-private.h"

/* Adds the decoded fields of cat-json.md for @tag (nothing for tags without any). */
void cat_json_decode_fields(guint16 tag, const guint8 *value, gsize length, JsonObject *o);
/* Builds a value from the decoded fields: 1 built, 0 none present (use "hex"), -1 error. */
int cat_json_encode_fields(guint16 tag, JsonObject *o, GByteArray *out, GError **error);

gboolean cat_json_get_int(JsonObject *o, const char *key, gint64 min, gint64 max, gint64 *out,
                          GError **error);
const char *cat_json_get_string(JsonObject *o, const char *key, GError **error);
/* A member of the given JSON type, or NULL when absent or of another type (no warning). */
JsonObject *cat_json_get_object(JsonObject *o, const char *key);
JsonArray *cat_json_get_array(JsonObject *o, const char *key);

/* json-util.c */
void cat_json_set_hex(JsonObject *o, const char *key, const guint8 *data, gsize length);
/* @name, or "@prefix-XX" for a code without one. */
void cat_json_set_name(JsonObject *o, const char *key, const char *name, const char *prefix,
                       guint code);
gboolean cat_json_get_u8(JsonObject *o, const char *key, guint8 *out, GError **error);
gboolean cat_json_get_hex(JsonObject *o, const char *key, GByteArray *out, GError **error);
gboolean cat_json_get_bool(JsonObject *o, const char *key, gboolean *out, GError **error);
