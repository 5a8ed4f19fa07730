/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "dmscd-build.h"

#include <stddef.h>
#include <string.h>

GQuark dmscd_config_error_quark(void)
{
    return g_quark_from_static_string("dmscd-config-error-quark");
}

typedef enum {
    KEY_BOOL,
    KEY_INT,
    KEY_STRING, /* free text, not empty */
    KEY_PATH,   /* an absolute path */
    KEY_ENUM,   /* one of the words in choices; stored as its index */
} KeyType;

typedef struct {
    const char *group;
    const char *key;
    KeyType type;
    size_t offset;
    int min, max;               /* KEY_INT; for strings the maximum length when max > 0 */
    const char *const *choices; /* KEY_ENUM */
} KeySpec;

static const char *const resync_nonce_choices[] = { "zero-bytes", "base64-zeros", "text-zeros",
                                                    NULL };
/* In the order of DmEncoding. */
static const char *const encoding_choices[] = { "xml", "wbxml", NULL };

#define FIELD(f) offsetof(DmscdConfig, f)

/* The single list of keys dmscd knows; dmscd.conf(5) documents each of them. */
static const KeySpec key_specs[] = {
    { "daemon", "debug", KEY_BOOL, FIELD(debug), 0, 0, NULL },
    { "daemon", "state-directory", KEY_PATH, FIELD(state_directory), 0, 4095, NULL },
    { "modem", "device", KEY_PATH, FIELD(modem_device), 0, 4095, NULL },
    /* An abstract socket name: sun_path holds 108 bytes, one is the leading NUL. */
    { "modem", "proxy-path", KEY_STRING, FIELD(modem_proxy_path), 0, 107, NULL },
    { "card", "bootstrap", KEY_BOOL, FIELD(card_bootstrap), 0, 0, NULL },
    { "notification", "resync-nonce", KEY_ENUM, FIELD(resync_nonce), 0, 0, resync_nonce_choices },
    { "scws", "client-wait", KEY_INT, FIELD(scws_client_wait), 1, 300, NULL },
    { "scws", "client-idle", KEY_INT, FIELD(scws_client_idle), 1, 3600, NULL },
    { "session", "timeout", KEY_INT, FIELD(session_timeout), 10, 3600, NULL },
    { "session", "max-msg-size", KEY_INT, FIELD(session_max_msg_size), 1024, 1048576, NULL },
    { "session", "max-duration", KEY_INT, FIELD(session_max_duration), 10, 86400, NULL },
    { "session", "encoding", KEY_ENUM, FIELD(session_encoding), 0, 0, encoding_choices },
    { "session", "retries", KEY_INT, FIELD(session_retries), 0, 10, NULL },
    { "session", "queue-size", KEY_INT, FIELD(session_queue_size), 1, 1000, NULL },
    { "session", "ca-file", KEY_PATH, FIELD(session_ca_file), 0, 4095, NULL },
    { "session", "retry-delay", KEY_INT, FIELD(session_retry_delay), 1, 3600, NULL },
    { "dbus", "admin-group", KEY_STRING, FIELD(dbus_admin_group), 0, 32, NULL },
};

char **dmscd_config_list_keys(void)
{
    GStrvBuilder *builder = g_strv_builder_new();
    char **keys;

    for (gsize i = 0; i < G_N_ELEMENTS(key_specs); i++) {
        g_autofree char *name = g_strconcat(key_specs[i].group, "/", key_specs[i].key, NULL);
        g_strv_builder_add(builder, name);
    }
    keys = g_strv_builder_end(builder);
    g_strv_builder_unref(builder);
    return keys;
}

DmscdConfig *dmscd_config_new(void)
{
    DmscdConfig *config = g_new0(DmscdConfig, 1);

    config->debug = FALSE;
    config->state_directory = g_strdup(DMSCD_DEFAULT_STATE_DIRECTORY);
    config->card_bootstrap = TRUE;
    config->resync_nonce = DMSCD_RESYNC_NONCE_ZERO_BYTES;
    config->scws_client_wait = 10;
    config->scws_client_idle = 30;
    config->session_timeout = 300;
    config->session_retries = 3;
    config->session_queue_size = 32;
    config->session_max_duration = 900;
    config->session_retry_delay = 10;
    config->session_max_msg_size = 16384;
    config->warnings = g_ptr_array_new_with_free_func(g_free);
    return config;
}

void dmscd_config_free(DmscdConfig *config)
{
    if (config == NULL)
        return;
    g_free(config->state_directory);
    g_free(config->modem_device);
    g_free(config->modem_proxy_path);
    g_free(config->dbus_admin_group);
    g_free(config->session_ca_file);
    g_ptr_array_unref(config->warnings);
    g_free(config);
}

static const KeySpec *find_spec(const char *group, const char *key)
{
    for (gsize i = 0; i < G_N_ELEMENTS(key_specs); i++) {
        if (g_str_equal(key_specs[i].group, group) && g_str_equal(key_specs[i].key, key))
            return &key_specs[i];
    }
    return NULL;
}

static gboolean group_known(const char *group)
{
    for (gsize i = 0; i < G_N_ELEMENTS(key_specs); i++) {
        if (g_str_equal(key_specs[i].group, group))
            return TRUE;
    }
    return FALSE;
}

static char *expected_form(const KeySpec *spec)
{
    switch (spec->type) {
    case KEY_BOOL:
        return g_strdup("true or false");
    case KEY_INT:
        return g_strdup_printf("an integer from %d to %d", spec->min, spec->max);
    case KEY_PATH:
        return g_strdup_printf("an absolute path of at most %d bytes", spec->max);
    case KEY_STRING:
        return g_strdup_printf("a non-empty text of at most %d bytes", spec->max);
    case KEY_ENUM: {
        g_autofree char *words = g_strjoinv(", ", (char **)spec->choices);
        return g_strdup_printf("one of: %s", words);
    }
    }
    g_assert_not_reached();
}

static gboolean parse_value(const KeySpec *spec, const char *raw, gboolean *out_bool, int *out_int,
                            char **out_string)
{
    guint64 index;
    gint64 number;

    switch (spec->type) {
    case KEY_BOOL:
        if (g_str_equal(raw, "true") || g_str_equal(raw, "1"))
            *out_bool = TRUE;
        else if (g_str_equal(raw, "false") || g_str_equal(raw, "0"))
            *out_bool = FALSE;
        else
            return FALSE;
        return TRUE;
    case KEY_INT:
        if (!g_ascii_string_to_signed(raw, 10, spec->min, spec->max, &number, NULL))
            return FALSE;
        *out_int = (int)number;
        return TRUE;
    case KEY_PATH:
        if (!g_path_is_absolute(raw))
            return FALSE;
        G_GNUC_FALLTHROUGH;
    case KEY_STRING:
        if (raw[0] == '\0' || strlen(raw) > (size_t)spec->max)
            return FALSE;
        *out_string = g_strdup(raw);
        return TRUE;
    case KEY_ENUM:
        for (index = 0; spec->choices[index] != NULL; index++) {
            if (g_str_equal(spec->choices[index], raw)) {
                *out_int = (int)index;
                return TRUE;
            }
        }
        return FALSE;
    }
    return FALSE;
}

/*
 * A value as g_key_file_get_string() reads it: UTF-8, with \s \n \t \r and \\ undone; any
 * other escape, or a backslash at the end, makes it no value (NULL). Written here because GLib
 * 2.74 sets its error twice on a value that has both (a warning in the journal for a typo).
 */
static char *unescape_value(const char *raw)
{
    g_autoptr(GString) out = NULL;

    if (raw == NULL || !g_utf8_validate(raw, -1, NULL))
        return NULL;
    out = g_string_sized_new(strlen(raw));
    for (const char *p = raw; *p != '\0'; p++) {
        char c = *p;

        if (c == '\\') {
            switch (*++p) {
            case 's':
                c = ' ';
                break;
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case '\\':
                c = '\\';
                break;
            default: /* another escape, or the end of the line */
                return NULL;
            }
        }
        g_string_append_c(out, c);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

char *dmscd_key_file_get_string(GKeyFile *file, const char *group, const char *key, GError **error)
{
    g_autofree char *value = g_key_file_get_value(file, group, key, error);
    char *string;

    if (value == NULL)
        return NULL;
    string = unescape_value(value);
    if (string == NULL)
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "%s: not UTF-8, or an escape other than \\s \\n \\t \\r \\\\", key);
    return string;
}

/* Checks one key's value and, when @config is not NULL, stores it there. */
static gboolean apply_key(DmscdConfig *config, const KeySpec *spec, GKeyFile *file,
                          const char *name, GError **error)
{
    g_autofree char *value = g_key_file_get_value(file, spec->group, spec->key, NULL);
    g_autofree char *raw = unescape_value(value);
    g_autofree char *string = NULL;
    gboolean boolean = FALSE;
    int integer = 0;

    if (raw != NULL)
        g_strstrip(raw);
    /* An empty path or name is its default again (as in systemd's files): the default
     * configuration shows unset keys that way. */
    if (raw != NULL && raw[0] == '\0' && (spec->type == KEY_PATH || spec->type == KEY_STRING)) {
        if (config != NULL) {
            g_autoptr(DmscdConfig) defaults = dmscd_config_new();
            char **field = &G_STRUCT_MEMBER(char *, config, spec->offset);
            g_free(*field);
            *field = g_steal_pointer(&G_STRUCT_MEMBER(char *, defaults, spec->offset));
        }
        return TRUE;
    }
    if (raw == NULL || !parse_value(spec, raw, &boolean, &integer, &string)) {
        g_autofree char *form = expected_form(spec);

        g_set_error(error, DMSCD_CONFIG_ERROR, DMSCD_CONFIG_ERROR_VALUE,
                    "%s: [%s] %s = \"%s\": expected %s", name, spec->group, spec->key,
                    value != NULL ? value : "", form);
        return FALSE;
    }
    if (config == NULL)
        return TRUE;

    switch (spec->type) {
    case KEY_BOOL:
        G_STRUCT_MEMBER(gboolean, config, spec->offset) = boolean;
        break;
    case KEY_INT:
    case KEY_ENUM:
        G_STRUCT_MEMBER(int, config, spec->offset) = integer;
        break;
    case KEY_PATH:
    case KEY_STRING:
        g_free(G_STRUCT_MEMBER(char *, config, spec->offset));
        G_STRUCT_MEMBER(char *, config, spec->offset) = g_steal_pointer(&string);
        break;
    }
    return TRUE;
}

/* One pass over every key of @file: a check only when @config is NULL. */
static gboolean apply_file(DmscdConfig *config, GKeyFile *file, const char *name,
                           GPtrArray *warnings, GError **error)
{
    g_auto(GStrv) groups = g_key_file_get_groups(file, NULL);

    for (char **group = groups; *group != NULL; group++) {
        g_auto(GStrv) keys = g_key_file_get_keys(file, *group, NULL, NULL);

        if (warnings != NULL && !group_known(*group)) {
            g_ptr_array_add(warnings,
                            g_strdup_printf("%s: [%s]: unknown group, ignored", name, *group));
            continue;
        }
        for (char **key = keys; key != NULL && *key != NULL; key++) {
            const KeySpec *spec = find_spec(*group, *key);

            if (spec == NULL) {
                if (warnings != NULL)
                    g_ptr_array_add(warnings, g_strdup_printf("%s: [%s] %s: unknown key, ignored",
                                                              name, *group, *key));
                continue;
            }
            if (!apply_key(config, spec, file, name, error))
                return FALSE;
        }
    }
    return TRUE;
}

gboolean dmscd_config_apply_data(DmscdConfig *config, const char *name, const char *data,
                                 gsize length, GError **error)
{
    g_autoptr(GKeyFile) file = g_key_file_new();
    g_autoptr(GError) local_error = NULL;

    if (!g_key_file_load_from_data(file, data, length, G_KEY_FILE_NONE, &local_error)) {
        g_set_error(error, DMSCD_CONFIG_ERROR, DMSCD_CONFIG_ERROR_SYNTAX, "%s: %s", name,
                    local_error->message);
        return FALSE;
    }
    /* Check everything first so that a bad key leaves @config as it was. */
    if (!apply_file(NULL, file, name, NULL, error))
        return FALSE;
    return apply_file(config, file, name, config->warnings, error);
}

static gboolean apply_path(DmscdConfig *config, const char *path, gboolean must_exist,
                           GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autofree char *data = NULL;
    gsize length = 0;

    if (!g_file_get_contents(path, &data, &length, &local_error)) {
        if (g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            if (!must_exist)
                return TRUE;
            g_set_error(error, DMSCD_CONFIG_ERROR, DMSCD_CONFIG_ERROR_NOT_FOUND, "%s: no such file",
                        path);
            return FALSE;
        }
        g_set_error(error, DMSCD_CONFIG_ERROR, DMSCD_CONFIG_ERROR_READ, "%s", local_error->message);
        return FALSE;
    }
    return dmscd_config_apply_data(config, path, data, length, error);
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The *.conf names of @dir in lexical (byte) order; none when @dir does not exist. */
static GPtrArray *list_drop_ins(const char *dir, GError **error)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GDir) handle = g_dir_open(dir, 0, &local_error);
    const char *entry;

    if (handle == NULL) {
        if (g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ||
            g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR))
            return g_steal_pointer(&names);
        g_set_error(error, DMSCD_CONFIG_ERROR, DMSCD_CONFIG_ERROR_READ, "%s", local_error->message);
        return NULL;
    }
    while ((entry = g_dir_read_name(handle)) != NULL) {
        if (g_str_has_suffix(entry, ".conf") && entry[0] != '.')
            g_ptr_array_add(names, g_strdup(entry));
    }
    g_ptr_array_sort(names, compare_names);
    return g_steal_pointer(&names);
}

DmscdConfig *dmscd_config_load(const char *path, gboolean must_exist, GError **error)
{
    g_autoptr(DmscdConfig) config = dmscd_config_new();
    g_autofree char *dir = g_strconcat(path, ".d", NULL);
    g_autoptr(GPtrArray) drop_ins = NULL;

    if (!apply_path(config, path, must_exist, error))
        return NULL;
    drop_ins = list_drop_ins(dir, error);
    if (drop_ins == NULL)
        return NULL;
    for (guint i = 0; i < drop_ins->len; i++) {
        g_autofree char *file = g_build_filename(dir, g_ptr_array_index(drop_ins, i), NULL);

        if (!apply_path(config, file, TRUE, error))
            return NULL;
    }
    return g_steal_pointer(&config);
}

char *dmscd_config_to_data(const DmscdConfig *config)
{
    g_autoptr(GKeyFile) file = g_key_file_new();

    for (gsize i = 0; i < G_N_ELEMENTS(key_specs); i++) {
        const KeySpec *spec = &key_specs[i];
        const char *string;
        int integer;

        switch (spec->type) {
        case KEY_BOOL:
            g_key_file_set_boolean(file, spec->group, spec->key,
                                   G_STRUCT_MEMBER(gboolean, config, spec->offset));
            break;
        case KEY_INT:
            g_key_file_set_integer(file, spec->group, spec->key,
                                   G_STRUCT_MEMBER(int, config, spec->offset));
            break;
        case KEY_ENUM:
            integer = G_STRUCT_MEMBER(int, config, spec->offset);
            g_key_file_set_string(file, spec->group, spec->key, spec->choices[integer]);
            break;
        case KEY_PATH:
        case KEY_STRING:
            /* An unset key has no value to show: it keeps its built-in meaning. */
            string = G_STRUCT_MEMBER(const char *, config, spec->offset);
            if (string != NULL)
                g_key_file_set_string(file, spec->group, spec->key, string);
            break;
        }
    }
    return g_key_file_to_data(file, NULL, NULL);
}
