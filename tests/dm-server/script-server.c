/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "script-server.h"
#include "script.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

/* Results collected for a Get, possibly over several chunks. */
typedef struct {
    char *target;
    char *format;
    GString *data;
} PendingGet;

struct ScriptServer {
    ScriptServerConfig config;
    Script script;
    guint next_package;
    guint packages_sent;
    guint msg_id;
    guint cmd_id;
    char *session_id;
    guint sessions; /* started so far: each plays the script from its start */
    gboolean finished;
    gboolean client_authenticated;
    guint server_retries;  /* packages sent again after the client challenged us */
    guint client_failures; /* the client's credentials refused in this session */
    GPtrArray *last_work;  /* DmCommand *: the commands of our last message, to send again */
    gint64 client_max_msg; /* the client's MaxMsgSize and MaxObjSize, or 0 */
    gint64 client_max_obj;
    GQueue chunks;           /* DmCommand *: chunks of a large object still to send */
    GPtrArray *after_chunks; /* the rest of the package, sent with the last chunk */
    GHashTable *gets;        /* cmd_ref → PendingGet */
    GPtrArray *records;
    SoupServer *http;
    GTlsCertificate *tls; /* HTTPS with this certificate, or NULL */
    char *path;
};

/* --- Records ----------------------------------------------------------------------------- */

static void record(ScriptServer *s, const char *cmd, const char *target, int status,
                   const char *format, const char *data)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "cmd");
    json_builder_add_string_value(b, cmd);
    json_builder_set_member_name(b, "target");
    json_builder_add_string_value(b, target ? target : "");
    json_builder_set_member_name(b, "status");
    json_builder_add_int_value(b, status);
    if (format != NULL) {
        json_builder_set_member_name(b, "format");
        json_builder_add_string_value(b, format);
        json_builder_set_member_name(b, "data");
        json_builder_add_string_value(b, data ? data : "");
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    g_ptr_array_add(s->records, json_to_string(root, FALSE));
}

static void record_end(ScriptServer *s, gboolean auth_ok)
{
    if (s->finished)
        return;
    s->finished = TRUE;
    g_ptr_array_add(s->records,
                    g_strdup_printf("{\"session\":\"end\",\"packages\":%u,\"auth\":\"%s\"}",
                                    s->packages_sent, auth_ok ? "ok" : "failed"));
}

static void pending_get_free(PendingGet *p)
{
    g_free(p->target);
    g_free(p->format);
    g_string_free(p->data, TRUE);
    g_free(p);
}

/* Statuses first, then Results joined to their Get's status (chunks concatenated). */
static void record_message(ScriptServer *s, const DmMessage *m)
{
    for (guint i = 0; i < m->commands->len; i++) {
        DmCommand *c = g_ptr_array_index(m->commands, i);
        PendingGet *p;
        if (c->type != DM_COMMAND_RESULTS)
            continue;
        for (guint k = 0; k < c->items->len; k++) {
            DmItem *item = g_ptr_array_index(c->items, k);
            p = g_hash_table_lookup(s->gets, GUINT_TO_POINTER(c->cmd_ref));
            if (p == NULL) {
                p = g_new0(PendingGet, 1);
                p->target = g_strdup(item->source);
                p->format = g_strdup(item->meta.format ? item->meta.format : "chr");
                p->data = g_string_new(NULL);
                g_hash_table_insert(s->gets, GUINT_TO_POINTER(c->cmd_ref), p);
            }
            if (item->has_data)
                g_string_append_len(p->data, item->data, (gssize)item->data_length);
            if (!item->more_data) {
                record(s, "Get", p->target, 200, p->format, p->data->str);
                g_hash_table_remove(s->gets, GUINT_TO_POINTER(c->cmd_ref));
            }
        }
    }
    for (guint i = 0; i < m->commands->len; i++) {
        DmCommand *c = g_ptr_array_index(m->commands, i);
        const char *target = c->target_refs->len   ? g_ptr_array_index(c->target_refs, 0)
                             : c->source_refs->len ? g_ptr_array_index(c->source_refs, 0)
                                                   : NULL;
        /* A Get that succeeded is recorded with its Results, above. */
        if (c->type != DM_COMMAND_STATUS || (g_strcmp0(c->cmd, "Get") == 0 && c->code == 200))
            continue;
        if (g_strcmp0(c->cmd, "Alert") == 0 && c->items->len > 0) {
            /* What the user answered: the text typed or the items picked. */
            g_autoptr(GString) answer = g_string_new(NULL);
            for (guint k = 0; k < c->items->len; k++) {
                DmItem *item = g_ptr_array_index(c->items, k);
                g_string_append_printf(answer, "%s%.*s", k ? "," : "", (int)item->data_length,
                                       item->has_data ? item->data : "");
            }
            record(s, c->cmd, target, c->code, "chr", answer->str);
        } else {
            record(s, c->cmd ? c->cmd : "?", target, c->code, NULL, NULL);
        }
    }
}

/* --- Messages ---------------------------------------------------------------------------- */

static void number_commands(ScriptServer *s, DmCommand *c)
{
    c->cmd_id = ++s->cmd_id;
    for (guint i = 0; i < c->children->len; i++)
        number_commands(s, g_ptr_array_index(c->children, i));
}

static DmCommand *copy_command(const DmCommand *c)
{
    g_autoptr(DmMessage) m = dm_message_new();
    g_autoptr(DmMessage) back = NULL;
    g_autofree char *xml = NULL;

    /* The simplest deep copy there is: through the codec. */
    m->target = g_strdup("x");
    m->source = g_strdup("y");
    g_ptr_array_add(m->commands, (gpointer)c);
    xml = dm_message_to_xml(m, FALSE);
    g_ptr_array_steal_index(m->commands, 0);
    back = dm_message_parse_xml(xml, strlen(xml), NULL);
    return g_ptr_array_steal_index(back->commands, 0);
}

/* "{session}" in @c's values (its children's too) becomes @session. */
static void stamp_session(DmCommand *c, guint session)
{
    for (guint i = 0; i < c->items->len; i++) {
        DmItem *item = g_ptr_array_index(c->items, i);
        g_autoptr(GString) value = NULL;
        g_autofree char *number = NULL;

        if (!item->has_data || item->data_is_xml || strstr(item->data, "{session}") == NULL)
            continue;
        number = g_strdup_printf("%u", session);
        value = g_string_new_len(item->data, (gssize)item->data_length);
        g_string_replace(value, "{session}", number, 0);
        dm_item_set_data(item, value->str, value->len);
    }
    for (guint i = 0; i < c->children->len; i++)
        stamp_session(g_ptr_array_index(c->children, i), session);
}

/* Splits a big Add/Replace into chunks: MoreData on all but the last, Size on the first. */
/* How much of a value goes in one message: as configured, or what the client's MaxMsgSize
 * leaves beside the header and the statuses. */
static gsize chunk_limit(ScriptServer *s)
{
    if (s->config.chunk_size > 0)
        return s->config.chunk_size;
    if (s->client_max_msg <= 0 || s->config.oversized)
        return 0;
    return (gsize)MAX(s->client_max_msg - 2048, 256);
}

static gboolean chunk(ScriptServer *s, DmCommand *c)
{
    DmItem *item = c->items->len == 1 ? g_ptr_array_index(c->items, 0) : NULL;
    gsize size = chunk_limit(s);

    if (size == 0 || item == NULL || !item->has_data || item->data_length <= size ||
        (c->type != DM_COMMAND_ADD && c->type != DM_COMMAND_REPLACE))
        return FALSE;
    for (gsize offset = 0; offset < item->data_length; offset += size) {
        DmCommand *piece = copy_command(c);
        DmItem *p = g_ptr_array_index(piece->items, 0);
        gsize n = MIN(size, item->data_length - offset);
        dm_item_set_data(p, item->data + offset, n);
        p->more_data = offset + n < item->data_length;
        if (offset == 0)
            p->meta.size = (gint64)item->data_length + (s->config.wrong_chunk_size ? 1 : 0);
        g_queue_push_tail(&s->chunks, piece);
    }
    return TRUE;
}

static GBytes *fresh_nonce(void)
{
    guint8 nonce[8];

    for (gsize i = 0; i < sizeof(nonce); i++)
        nonce[i] = (guint8)g_random_int_range(0, 256);
    return g_bytes_new(nonce, sizeof(nonce));
}

/* The server's password, or (misbehaving) one that is not. */
static char *signing_password(ScriptServer *s)
{
    return s->config.wrong_secret ? g_strconcat(s->config.server_password, "-wrong", NULL)
                                  : g_strdup(s->config.server_password);
}

static DmMessage *reply_new(ScriptServer *s, const DmMessage *request, int header_code)
{
    DmMessage *m = dm_message_new();
    DmCommand *status = dm_command_new(DM_COMMAND_STATUS);
    const guint8 *nonce = NULL;
    gsize nonce_length = 0;

    m->session_id = g_strdup(request->session_id);
    m->msg_id = ++s->msg_id;
    m->target = g_strdup(request->source);
    m->source = g_strdup(s->config.server_id);
    if (s->config.max_msg_size > 0)
        m->meta.max_msg_size = (gint64)s->config.max_msg_size;
    s->cmd_id = 0;
    if (s->config.server_nonce)
        nonce = g_bytes_get_data(s->config.server_nonce, &nonce_length);
    if (s->config.auth == DM_AUTH_BASIC || s->config.auth == DM_AUTH_MD5) {
        g_autofree char *password = signing_password(s);
        m->has_cred = TRUE;
        m->cred_meta.type = g_strdup(dm_auth_type_name(s->config.auth));
        m->cred_meta.format = g_strdup("b64");
        m->cred_data = s->config.auth == DM_AUTH_BASIC
                           ? dm_auth_basic(s->config.server_name, password)
                           : dm_auth_md5(s->config.server_name, password, nonce, nonce_length);
    }
    status->cmd_id = ++s->cmd_id;
    status->msg_ref = request->msg_id;
    status->cmd = g_strdup("SyncHdr");
    status->code = header_code;
    g_ptr_array_add(status->target_refs, g_strdup(request->target));
    g_ptr_array_add(status->source_refs, g_strdup(request->source));
    /* A failed client is challenged, and every Status on its SyncHdr hands it a new nonce:
     * the one its next credentials (or, with HMAC, its next message) must use. */
    if (header_code == DM_STATUS_INVALID_CREDENTIALS ||
        header_code == DM_STATUS_MISSING_CREDENTIALS ||
        (s->config.auth != DM_AUTH_NONE && s->config.auth != DM_AUTH_BASIC)) {
        status->has_chal = TRUE;
        status->chal.type = g_strdup(dm_auth_type_name(s->config.auth));
        status->chal.format = g_strdup("b64");
        if (s->config.auth != DM_AUTH_BASIC) {
            g_autoptr(GBytes) next = fresh_nonce();
            status->chal.next_nonce =
                g_base64_encode(g_bytes_get_data(next, NULL), g_bytes_get_size(next));
            g_clear_pointer(&s->config.client_nonce, g_bytes_unref);
            s->config.client_nonce = g_steal_pointer(&next);
        }
    }
    g_ptr_array_add(m->commands, status);
    return m;
}

/* A Status for each command of the client's message (Results of chunks: 213). */
static void answer_commands(ScriptServer *s, const DmMessage *request, DmMessage *reply)
{
    for (guint i = 0; i < request->commands->len; i++) {
        DmCommand *c = g_ptr_array_index(request->commands, i);
        DmCommand *status;
        gboolean chunked = FALSE;

        if (c->type == DM_COMMAND_STATUS)
            continue;
        for (guint k = 0; k < c->items->len; k++)
            chunked |= ((DmItem *)g_ptr_array_index(c->items, k))->more_data;
        status = dm_command_new(DM_COMMAND_STATUS);
        status->cmd_id = ++s->cmd_id;
        status->msg_ref = request->msg_id;
        status->cmd_ref = c->cmd_id;
        status->cmd = g_strdup(c->element ? c->element : dm_command_type_name(c->type));
        status->code = chunked ? DM_STATUS_CHUNK_ACCEPTED : DM_STATUS_OK;
        g_ptr_array_add(reply->commands, status);
    }
}

static gboolean credentials_ok(ScriptServer *s, const DmMessage *m, GBytes *request,
                               const char *hmac, int *code)
{
    const guint8 *nonce = NULL;
    gsize nonce_length = 0;
    g_autofree char *expected = NULL;

    *code = DM_STATUS_OK;
    if (s->config.auth == DM_AUTH_NONE)
        return TRUE;
    if (s->client_authenticated && s->config.auth != DM_AUTH_HMAC)
        return TRUE;
    if (s->config.client_nonce)
        nonce = g_bytes_get_data(s->config.client_nonce, &nonce_length);
    if (s->config.auth == DM_AUTH_HMAC) {
        *code = hmac == NULL ? DM_STATUS_MISSING_CREDENTIALS
                : dm_auth_hmac_verify(hmac, s->config.client_name, s->config.client_password, nonce,
                                      nonce_length, g_bytes_get_data(request, NULL),
                                      g_bytes_get_size(request))
                    ? DM_STATUS_AUTHENTICATED
                    : DM_STATUS_INVALID_CREDENTIALS;
    } else if (!m->has_cred) {
        *code = DM_STATUS_MISSING_CREDENTIALS;
    } else {
        expected = s->config.auth == DM_AUTH_BASIC
                       ? dm_auth_basic(s->config.client_name, s->config.client_password)
                       : dm_auth_md5(s->config.client_name, s->config.client_password, nonce,
                                     nonce_length);
        *code = g_strcmp0(expected, m->cred_data) == 0 ? DM_STATUS_AUTHENTICATED
                                                       : DM_STATUS_INVALID_CREDENTIALS;
    }
    if (*code == DM_STATUS_AUTHENTICATED && s->config.auth != DM_AUTH_HMAC &&
        s->client_authenticated)
        *code = DM_STATUS_OK;
    s->client_authenticated |= *code == DM_STATUS_AUTHENTICATED;
    return *code == DM_STATUS_AUTHENTICATED || *code == DM_STATUS_OK;
}

/* The client's verdict on our credentials; the nonce it gives us is the one we sign with
 * from now on. */
static gboolean server_rejected(ScriptServer *s, const DmMessage *m)
{
    gboolean rejected = FALSE;

    for (guint i = 0; i < m->commands->len; i++) {
        DmCommand *c = g_ptr_array_index(m->commands, i);
        gsize length = 0;
        guchar *nonce;

        if (c->type != DM_COMMAND_STATUS || c->cmd_ref != 0)
            continue;
        /* A server that does not retry ignores the challenge, nonce and all. */
        if (c->has_chal && c->chal.next_nonce != NULL && !s->config.no_retry) {
            nonce = g_base64_decode(c->chal.next_nonce, &length);
            g_clear_pointer(&s->config.server_nonce, g_bytes_unref);
            s->config.server_nonce = g_bytes_new_take(nonce, length);
        }
        rejected |=
            c->code == DM_STATUS_INVALID_CREDENTIALS || c->code == DM_STATUS_MISSING_CREDENTIALS;
    }
    return rejected;
}

/* What our last message asked, to send again signed anew. */
static void keep_work(ScriptServer *s, const DmMessage *reply)
{
    g_clear_pointer(&s->last_work, g_ptr_array_unref);
    s->last_work = g_ptr_array_new_with_free_func((GDestroyNotify)dm_command_free);
    for (guint i = 0; i < reply->commands->len; i++) {
        const DmCommand *c = g_ptr_array_index(reply->commands, i);
        if (c->type != DM_COMMAND_STATUS)
            g_ptr_array_add(s->last_work, copy_command(c));
    }
}

static void resend_work(ScriptServer *s, DmMessage *reply)
{
    for (guint i = 0; s->last_work != NULL && i < s->last_work->len; i++) {
        DmCommand *c = copy_command(g_ptr_array_index(s->last_work, i));
        number_commands(s, c);
        g_ptr_array_add(reply->commands, c);
    }
}

/* A value the client said it cannot take as a whole (MaxObjSize) is not sent. */
static gboolean too_big(ScriptServer *s, const DmCommand *c)
{
    const DmItem *item = c->items->len == 1 ? g_ptr_array_index(c->items, 0) : NULL;

    return item != NULL && item->has_data && s->client_max_obj > 0 && !s->config.oversized &&
           (gint64)item->data_length > s->client_max_obj;
}

/* The next package's commands (or the next chunk) into @reply; FALSE when none is left. */
static gboolean add_work(ScriptServer *s, DmMessage *reply, gboolean *final)
{
    GPtrArray *package;

    *final = TRUE;
    if (g_queue_is_empty(&s->chunks)) {
        if (s->next_package >= s->script.packages->len)
            return FALSE;
        package = g_ptr_array_index(s->script.packages, s->next_package++);
        s->packages_sent++;
        for (guint i = 0; i < package->len; i++) {
            DmCommand *c = g_ptr_array_index(package, i);
            if (too_big(s, c)) {
                g_ptr_array_add(s->records, g_strdup_printf("{\"skipped\":\"larger than "
                                                            "MaxObjSize\",\"cmd\":\"%s\"}",
                                                            dm_command_type_name(c->type)));
                continue;
            }
            if (g_queue_is_empty(&s->chunks) && chunk(s, c)) {
                /* What follows the large object goes after its last chunk. */
                s->after_chunks = g_ptr_array_new_with_free_func((GDestroyNotify)dm_command_free);
                for (guint k = i + 1; k < package->len; k++)
                    g_ptr_array_add(s->after_chunks, copy_command(g_ptr_array_index(package, k)));
                break;
            }
            DmCommand *copy = copy_command(c);
            stamp_session(copy, s->sessions);
            number_commands(s, copy);
            g_ptr_array_add(reply->commands, copy);
        }
    }
    if (!g_queue_is_empty(&s->chunks)) {
        DmCommand *piece = g_queue_pop_head(&s->chunks);
        number_commands(s, piece);
        g_ptr_array_add(reply->commands, piece);
        *final = FALSE;
        if (g_queue_is_empty(&s->chunks) && s->after_chunks != NULL) {
            for (guint k = 0; k < s->after_chunks->len; k++) {
                DmCommand *c = g_ptr_array_steal_index(s->after_chunks, k--);
                number_commands(s, c);
                g_ptr_array_add(reply->commands, c);
            }
            g_clear_pointer(&s->after_chunks, g_ptr_array_unref);
            *final = TRUE;
        }
    }
    return TRUE;
}

/* Package 1 of a session (Alert 1200 or 1201 in message 1; the same package sent again with
 * other credentials is a later message): the script plays again from its start. */
static gboolean starts_session(const DmMessage *m)
{
    if (m->msg_id != 1)
        return FALSE;
    for (guint i = 0; i < m->commands->len; i++) {
        const DmCommand *c = g_ptr_array_index(m->commands, i);
        if (c->type == DM_COMMAND_ALERT && (c->code == 1200 || c->code == 1201))
            return TRUE;
    }
    return FALSE;
}

static void session_reset(ScriptServer *s, const DmMessage *m)
{
    s->next_package = 0;
    s->packages_sent = 0;
    s->msg_id = 0;
    s->cmd_id = 0;
    s->finished = FALSE;
    s->client_authenticated = FALSE;
    s->server_retries = 0;
    s->client_failures = 0;
    g_queue_clear_full(&s->chunks, (GDestroyNotify)dm_command_free);
    g_clear_pointer(&s->after_chunks, g_ptr_array_unref);
    g_hash_table_remove_all(s->gets);
    g_free(s->session_id);
    s->session_id = g_strdup(m->session_id);
    s->sessions++;
}

GBytes *script_server_handle(ScriptServer *s, GBytes *request, const char *hmac,
                             char **response_hmac)
{
    g_autoptr(DmMessage) m =
        dm_message_parse(g_bytes_get_data(request, NULL), g_bytes_get_size(request), NULL);
    g_autoptr(DmMessage) reply = NULL;
    gboolean final = TRUE;
    gboolean resend = FALSE;
    GBytes *out;
    int code;

    if (response_hmac != NULL)
        *response_hmac = NULL;
    if (m == NULL || !m->has_header)
        return NULL;
    if (starts_session(m)) {
        session_reset(s, m);
        g_ptr_array_add(
            s->records,
            g_strdup_printf("{\"session\":\"start\",\"encoding\":\"%s\"}",
                            dm_message_detect(g_bytes_get_data(request, NULL),
                                              g_bytes_get_size(request)) == DM_ENCODING_WBXML
                                ? "wbxml"
                                : "xml"));
    }
    if (m->meta.max_msg_size > 0)
        s->client_max_msg = m->meta.max_msg_size;
    if (m->meta.max_obj_size > 0)
        s->client_max_obj = m->meta.max_obj_size;
    record_message(s, m);
    if (server_rejected(s, m)) {
        /* The client challenged us: once, what we asked goes again signed with its nonce. */
        if (s->config.no_retry || s->server_retries >= 1)
            record_end(s, FALSE);
        else
            resend = s->last_work != NULL && s->last_work->len > 0;
        s->server_retries++;
    }
    if (!credentials_ok(s, m, request, hmac, &code)) {
        reply = reply_new(s, m, code);
        reply->final = TRUE;
        /* The client may try again with the nonce of our challenge; not for ever. */
        if (++s->client_failures > 2)
            record_end(s, FALSE);
    } else {
        reply = reply_new(s, m, code);
        answer_commands(s, m, reply);
        if (resend && !s->finished) {
            resend_work(s, reply);
        } else if (!s->finished && (m->final || !g_queue_is_empty(&s->chunks)) &&
                   !add_work(s, reply, &final)) {
            /* A client that has more to send (no Final) gets statuses only, unless a large
             * object of ours is still on its way. */
            record_end(s, TRUE);
        }
        reply->final = final;
        keep_work(s, reply);
    }
    out = dm_message_encode(reply, s->config.encoding, NULL);
    if (out != NULL && s->config.auth == DM_AUTH_HMAC && response_hmac != NULL) {
        const guint8 *nonce = NULL;
        gsize nonce_length = 0;
        if (s->config.server_nonce)
            nonce = g_bytes_get_data(s->config.server_nonce, &nonce_length);
        g_autofree char *password = signing_password(s);
        *response_hmac = dm_auth_hmac_header(s->config.server_name, password, nonce, nonce_length,
                                             g_bytes_get_data(out, NULL), g_bytes_get_size(out));
    }
    return out;
}

/* --- Lifecycle and HTTP ------------------------------------------------------------------- */

ScriptServer *script_server_new(const ScriptServerConfig *config, const char *script,
                                GError **error)
{
    g_autoptr(ScriptServer) s = g_new0(ScriptServer, 1);

    s->config = *config;
    s->config.server_id = g_strdup(config->server_id ? config->server_id : "dm.server");
    s->config.server_name = g_strdup(config->server_name);
    s->config.server_password = g_strdup(config->server_password);
    s->config.client_name = g_strdup(config->client_name);
    s->config.client_password = g_strdup(config->client_password);
    s->config.client_nonce = config->client_nonce ? g_bytes_ref(config->client_nonce) : NULL;
    s->config.server_nonce = config->server_nonce ? g_bytes_ref(config->server_nonce) : NULL;
    s->records = g_ptr_array_new_with_free_func(g_free);
    s->gets = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)pending_get_free);
    if (!script_parse(&s->script, script, error))
        return NULL;
    return g_steal_pointer(&s);
}

void script_server_free(ScriptServer *s)
{
    if (s == NULL)
        return;
    g_free((char *)s->config.server_id);
    g_free((char *)s->config.server_name);
    g_free((char *)s->config.server_password);
    g_free((char *)s->config.client_name);
    g_free((char *)s->config.client_password);
    g_clear_pointer(&s->config.client_nonce, g_bytes_unref);
    g_clear_pointer(&s->config.server_nonce, g_bytes_unref);
    g_clear_pointer(&s->script.packages, g_ptr_array_unref);
    g_queue_clear_full(&s->chunks, (GDestroyNotify)dm_command_free);
    g_clear_pointer(&s->after_chunks, g_ptr_array_unref);
    g_clear_pointer(&s->last_work, g_ptr_array_unref);
    g_clear_pointer(&s->gets, g_hash_table_unref);
    g_clear_pointer(&s->records, g_ptr_array_unref);
    if (s->http != NULL)
        soup_server_disconnect(s->http);
    g_clear_object(&s->http);
    g_clear_object(&s->tls);
    g_free(s->path);
    g_free(s->session_id);
    g_free(s);
}

GPtrArray *script_server_get_records(ScriptServer *s)
{
    return s->records;
}

gboolean script_server_is_finished(ScriptServer *s)
{
    return s->finished;
}

guint script_server_get_sessions(ScriptServer *s)
{
    return s->sessions;
}

GBytes *script_server_get_server_nonce(ScriptServer *s)
{
    return s->config.server_nonce;
}

GBytes *script_server_get_client_nonce(ScriptServer *s)
{
    return s->config.client_nonce;
}

static void on_request(SoupServer *http, SoupServerMessage *message, const char *path,
                       GHashTable *query, gpointer user_data)
{
    ScriptServer *s = user_data;
    SoupMessageBody *body = soup_server_message_get_request_body(message);
    g_autoptr(GBytes) request = soup_message_body_flatten(body);
    const char *hmac = soup_message_headers_get_one(
        soup_server_message_get_request_headers(message), "x-syncml-hmac");
    g_autofree char *response_hmac = NULL;
    g_autoptr(GBytes) response = NULL;

    if (g_strcmp0(soup_server_message_get_method(message), "POST") != 0) {
        soup_server_message_set_status(message, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
        return;
    }
    response = script_server_handle(s, request, hmac, &response_hmac);
    if (response == NULL) {
        soup_server_message_set_status(message, SOUP_STATUS_BAD_REQUEST, NULL);
        return;
    }
    if (response_hmac != NULL)
        soup_message_headers_replace(soup_server_message_get_response_headers(message),
                                     "x-syncml-hmac", response_hmac);
    soup_server_message_set_status(message, SOUP_STATUS_OK, NULL);
    soup_server_message_set_response(
        message, s->config.encoding == DM_ENCODING_WBXML ? DM_MEDIA_TYPE_WBXML : DM_MEDIA_TYPE_XML,
        SOUP_MEMORY_COPY, g_bytes_get_data(response, NULL), g_bytes_get_size(response));
}

void script_server_set_tls(ScriptServer *s, GTlsCertificate *certificate)
{
    g_set_object(&s->tls, certificate);
}

guint16 script_server_listen(ScriptServer *s, const char *path, guint16 port, GError **error)
{
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string("127.0.0.1", port);
    GSList *uris;
    guint16 bound;

    s->http = s->tls != NULL ? soup_server_new("tls-certificate", s->tls, NULL)
                             : soup_server_new(NULL, NULL);
    s->path = g_strdup(path);
    soup_server_add_handler(s->http, path, on_request, s, NULL);
    if (!soup_server_listen(s->http, address, s->tls != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0, error))
        return 0;
    uris = soup_server_get_uris(s->http);
    bound = (guint16)g_uri_get_port(uris->data);
    g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
    return bound;
}
