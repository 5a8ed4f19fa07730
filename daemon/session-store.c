/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sessions asked for and not ended, in the state directory: a key file, a group each. */
#include "session.h"

#include <string.h>

void dmscd_session_request_free(DmscdSessionRequest *request)
{
    if (request == NULL)
        return;
    if (request->retry_id != 0)
        g_source_remove(request->retry_id);
    g_free(request->server_id);
    g_free(request->session_id);
    g_free(request->origin);
    g_free(request->path);
    g_free(request);
}

char *dmscd_session_store_to_data(GPtrArray *requests, gsize *length)
{
    g_autoptr(GKeyFile) file = g_key_file_new();

    for (guint i = 0; i < requests->len; i++) {
        const DmscdSessionRequest *r = g_ptr_array_index(requests, i);
        g_autofree char *group = g_strdup_printf("session %u", i);

        g_key_file_set_string(file, group, "server-id", r->server_id);
        g_key_file_set_string(file, group, "session-id", r->session_id);
        g_key_file_set_string(file, group, "origin", r->origin);
        g_key_file_set_string(file, group, "ui-mode", dm_ui_mode_name(r->ui_mode));
        g_key_file_set_boolean(file, group, "client-initiated", r->client_initiated);
        g_key_file_set_string(file, group, "encoding",
                              r->encoding == DM_ENCODING_WBXML ? "wbxml" : "xml");
        g_key_file_set_uint64(file, group, "attempts", r->attempts);
    }
    return g_key_file_to_data(file, length, NULL);
}

gboolean dmscd_session_store_save(const char *path, GPtrArray *requests, GError **error)
{
    gsize length;
    g_autofree char *data = dmscd_session_store_to_data(requests, &length);

    return g_file_set_contents_full(path, data, (gssize)length,
                                    G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                    0600, error);
}

/* A SyncML SessionID as dmscd makes them: a 16-bit number in 1 to 4 uppercase hex digits. */
static gboolean session_id_valid(const char *id)
{
    gsize length = strlen(id);

    if (length == 0 || length > 4)
        return FALSE;
    for (const char *p = id; *p != '\0'; p++)
        if (!g_ascii_isxdigit(*p) || g_ascii_islower(*p))
            return FALSE;
    return TRUE;
}

static gboolean origin_valid(const char *origin)
{
    return g_str_equal(origin, "card") || g_str_equal(origin, "network") ||
           g_str_equal(origin, "local");
}

static gboolean invalid(GError **error, const char *key, const char *value)
{
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "%s \"%s\"", key, value);
    return FALSE;
}

/* The values read as text taken into @r, each as dmscd writes them; FALSE with @error naming
 * the first that is not. */
static gboolean request_take_values(DmscdSessionRequest *r, const char *ui_mode,
                                    const char *encoding, GError **error)
{
    if (r->server_id[0] == '\0')
        return invalid(error, "server-id", r->server_id);
    if (!session_id_valid(r->session_id))
        return invalid(error, "session-id", r->session_id);
    if (!origin_valid(r->origin))
        return invalid(error, "origin", r->origin);
    if (!dm_ui_mode_from_name(ui_mode, &r->ui_mode))
        return invalid(error, "ui-mode", ui_mode);
    if (g_str_equal(encoding, "xml"))
        r->encoding = DM_ENCODING_XML;
    else if (g_str_equal(encoding, "wbxml"))
        r->encoding = DM_ENCODING_WBXML;
    else
        return invalid(error, "encoding", encoding);
    return TRUE;
}

/* One group; NULL with @error naming the group and the key that does not read. */
static DmscdSessionRequest *request_load(GKeyFile *file, const char *group, GError **error)
{
    g_autoptr(DmscdSessionRequest) r = g_new0(DmscdSessionRequest, 1);
    g_autofree char *ui_mode = NULL;
    g_autofree char *encoding = NULL;
    guint64 attempts = 0;
    GError *local = NULL;

    r->server_id = dmscd_key_file_get_string(file, group, "server-id", &local);
    if (local == NULL)
        r->session_id = dmscd_key_file_get_string(file, group, "session-id", &local);
    if (local == NULL)
        r->origin = dmscd_key_file_get_string(file, group, "origin", &local);
    if (local == NULL)
        ui_mode = dmscd_key_file_get_string(file, group, "ui-mode", &local);
    if (local == NULL)
        r->client_initiated = g_key_file_get_boolean(file, group, "client-initiated", &local);
    if (local == NULL)
        encoding = dmscd_key_file_get_string(file, group, "encoding", &local);
    if (local == NULL)
        attempts = g_key_file_get_uint64(file, group, "attempts", &local);
    /* Read once: MIN() evaluates what it is given twice, and a second read would set the
     * error of a missing key over the first. */
    r->attempts = (guint)MIN(attempts, 1000);
    if (local == NULL)
        (void)request_take_values(r, ui_mode, encoding, &local);
    if (local != NULL) {
        g_propagate_prefixed_error(error, local, "[%s]: ", group);
        return NULL;
    }
    return g_steal_pointer(&r);
}

GPtrArray *dmscd_session_store_parse(const char *data, gsize length, GPtrArray *skipped,
                                     GError **error)
{
    g_autoptr(GKeyFile) file = g_key_file_new();
    g_autoptr(GPtrArray) requests =
        g_ptr_array_new_with_free_func((GDestroyNotify)dmscd_session_request_free);
    g_auto(GStrv) groups = NULL;

    if (!g_key_file_load_from_data(file, data, length, G_KEY_FILE_NONE, error))
        return NULL;
    groups = g_key_file_get_groups(file, NULL);
    for (char **group = groups; *group != NULL; group++) {
        GError *local = NULL;
        DmscdSessionRequest *r = request_load(file, *group, &local);

        if (r == NULL) {
            /* One bad group costs that session only. */
            if (skipped != NULL)
                g_ptr_array_add(skipped, g_strdup(local->message));
            g_error_free(local);
            continue;
        }
        g_ptr_array_add(requests, r);
    }
    return g_steal_pointer(&requests);
}

GPtrArray *dmscd_session_store_load(const char *path, GPtrArray *skipped, GError **error)
{
    g_autofree char *data = NULL;
    GError *local = NULL;
    gsize length;

    if (!g_file_get_contents(path, &data, &length, &local)) {
        if (!g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_propagate_error(error, local); /* GLib's message names the file */
            return NULL;
        }
        g_error_free(local);
        return g_ptr_array_new_with_free_func((GDestroyNotify)dmscd_session_request_free);
    }
    return dmscd_session_store_parse(data, length, skipped, error);
}
