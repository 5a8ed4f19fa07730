/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sessions asked for and not ended, in the state directory: a key file, a group each. */
#include "session.h"

#include <errno.h>

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

gboolean dmscd_session_store_save(const char *path, GPtrArray *requests, GError **error)
{
    g_autoptr(GKeyFile) file = g_key_file_new();
    g_autofree char *data = NULL;
    gsize length;

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
    data = g_key_file_to_data(file, &length, NULL);
    return g_file_set_contents_full(path, data, (gssize)length,
                                    G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                    0600, error);
}

/* One group; NULL with @error naming the group and the key that does not read. */
static DmscdSessionRequest *request_load(GKeyFile *file, const char *group, GError **error)
{
    g_autoptr(DmscdSessionRequest) r = g_new0(DmscdSessionRequest, 1);
    g_autofree char *ui_mode = NULL;
    g_autofree char *encoding = NULL;
    GError *local = NULL;

    r->server_id = g_key_file_get_string(file, group, "server-id", &local);
    if (local == NULL)
        r->session_id = g_key_file_get_string(file, group, "session-id", &local);
    if (local == NULL)
        r->origin = g_key_file_get_string(file, group, "origin", &local);
    if (local == NULL)
        ui_mode = g_key_file_get_string(file, group, "ui-mode", &local);
    if (local == NULL)
        r->client_initiated = g_key_file_get_boolean(file, group, "client-initiated", &local);
    if (local == NULL)
        encoding = g_key_file_get_string(file, group, "encoding", &local);
    if (local == NULL)
        r->attempts = (guint)MIN(g_key_file_get_uint64(file, group, "attempts", &local), 1000);
    if (local == NULL && !dm_ui_mode_from_name(ui_mode, &r->ui_mode))
        g_set_error(&local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "ui-mode \"%s\"",
                    ui_mode);
    if (local == NULL && g_strcmp0(encoding, "xml") != 0 && g_strcmp0(encoding, "wbxml") != 0)
        g_set_error(&local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "encoding \"%s\"",
                    encoding);
    if (local != NULL) {
        g_propagate_prefixed_error(error, local, "[%s]: ", group);
        return NULL;
    }
    r->encoding = g_str_equal(encoding, "wbxml") ? DM_ENCODING_WBXML : DM_ENCODING_XML;
    return g_steal_pointer(&r);
}

GPtrArray *dmscd_session_store_load(const char *path, GPtrArray *skipped, GError **error)
{
    g_autoptr(GKeyFile) file = g_key_file_new();
    g_autoptr(GPtrArray) requests =
        g_ptr_array_new_with_free_func((GDestroyNotify)dmscd_session_request_free);
    g_auto(GStrv) groups = NULL;
    GError *local = NULL;

    if (!g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, &local)) {
        if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_error_free(local);
            return g_steal_pointer(&requests);
        }
        g_propagate_error(error, local); /* GLib's message names the file */
        return NULL;
    }
    groups = g_key_file_get_groups(file, NULL);
    for (char **group = groups; *group != NULL; group++) {
        DmscdSessionRequest *r = request_load(file, *group, &local);
        if (r == NULL) {
            /* One bad group costs that session only. */
            if (skipped != NULL)
                g_ptr_array_add(skipped, g_strdup(local->message));
            g_clear_error(&local);
            continue;
        }
        g_ptr_array_add(requests, r);
    }
    return g_steal_pointer(&requests);
}
