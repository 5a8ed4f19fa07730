/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DM session engine (OMA-TS-DM_Protocol 1.2): packages, headers, authentication and the
 * messages dmscd sends. Commands are run in session-exec.c. No I/O: bytes in, bytes out.
 */
#include "session-private.h"

#include <string.h>

#define MAX_CLIENT_RETRIES 2
/* Challenges of a server whose credentials failed before the session is given up. */
#define MAX_SERVER_CHALLENGES 1
/* Room kept in a message for an Alert 1222 that may still be added. */
#define ALERT_ROOM 128

static GBytes *bytes_dup(GBytes *bytes)
{
    return bytes ? g_bytes_ref(bytes) : NULL;
}

DmSession *dm_session_new(DmTree *tree, const DmSessionConfig *config)
{
    DmSession *s = g_new0(DmSession, 1);

    s->config = *config;
    s->config.server_id = g_strdup(config->server_id);
    s->config.server_uri = g_strdup(config->server_uri);
    s->config.client_id = g_strdup(config->client_id);
    s->config.session_id = g_strdup(config->session_id ? config->session_id : "1");
    s->config.client_name = g_strdup(config->client_name);
    s->config.client_password = g_strdup(config->client_password);
    s->config.client_nonce = bytes_dup(config->client_nonce);
    s->config.server_name = g_strdup(config->server_name);
    s->config.server_password = g_strdup(config->server_password);
    s->config.server_nonce = bytes_dup(config->server_nonce);
    if (s->config.max_msg_size == 0)
        s->config.max_msg_size = 16384;
    if (s->config.max_obj_size == 0)
        s->config.max_obj_size = DM_TREE_MAX_VALUE;
    s->base = dm_tree_ref(tree);
    s->tree = dm_tree_ref(tree); /* copied when the session first writes */
    s->target = g_strdup(config->server_uri);
    s->peer_max_msg_size = s->config.max_msg_size;
    s->frames = g_ptr_array_new_with_free_func((GDestroyNotify)dm_frame_free);
    s->last_sent = g_ptr_array_new_with_free_func((GDestroyNotify)dm_command_free);
    s->changes = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    return s;
}

void dm_session_free(DmSession *s)
{
    if (s == NULL)
        return;
    g_free((char *)s->config.server_id);
    g_free((char *)s->config.server_uri);
    g_free((char *)s->config.client_id);
    g_free((char *)s->config.session_id);
    g_free((char *)s->config.client_name);
    g_free((char *)s->config.client_password);
    g_clear_pointer(&s->config.client_nonce, g_bytes_unref);
    g_free((char *)s->config.server_name);
    g_free((char *)s->config.server_password);
    g_clear_pointer(&s->config.server_nonce, g_bytes_unref);
    dm_tree_unref(s->base);
    dm_tree_unref(s->tree);
    g_free(s->target);
    g_queue_clear_full(&s->outbox, (GDestroyNotify)dm_command_free);
    g_ptr_array_unref(s->last_sent);
    g_ptr_array_unref(s->frames);
    dm_message_free(s->incoming);
    dm_alert_request_free(s->alert);
    dm_large_object_clear(&s->large);
    g_ptr_array_unref(s->changes);
    g_free(s->error);
    g_clear_pointer(&s->output, g_bytes_unref);
    g_free(s->output_hmac);
    g_clear_pointer(&s->new_server_nonce, g_bytes_unref);
    g_clear_pointer(&s->new_client_nonce, g_bytes_unref);
    g_free(s);
}

static GBytes *random_nonce(void)
{
    guint8 nonce[16];

    for (gsize i = 0; i < sizeof(nonce); i++)
        nonce[i] = (guint8)g_random_int_range(0, 256);
    return g_bytes_new(nonce, sizeof(nonce));
}

/* The SyncHdr Status, with a challenge when the server has to (re)authenticate. */
static DmCommand *header_status(DmSession *s, const DmMessage *m, int code)
{
    DmCommand *status = dm_session_status_new(s, NULL, code);
    g_autoptr(GBytes) nonce = NULL;

    g_ptr_array_add(status->target_refs, g_strdup(m->target));
    g_ptr_array_add(status->source_refs, g_strdup(m->source));
    if (s->config.server_auth == DM_AUTH_NONE || code == DM_STATUS_OK)
        return status;
    /* Every challenge, and every successful authentication, hands the server a new nonce: the
     * one it signs with from now on (its next message with HMAC, its next session with MD5). */
    nonce = random_nonce();
    g_clear_pointer(&s->new_server_nonce, g_bytes_unref);
    s->new_server_nonce = g_bytes_ref(nonce);
    g_clear_pointer(&s->config.server_nonce, g_bytes_unref);
    s->config.server_nonce = g_bytes_ref(nonce);
    status->has_chal = TRUE;
    status->chal.type = g_strdup(dm_auth_type_name(s->config.server_auth));
    status->chal.format = g_strdup("b64");
    if (s->config.server_auth != DM_AUTH_BASIC)
        status->chal.next_nonce =
            g_base64_encode(g_bytes_get_data(nonce, NULL), g_bytes_get_size(nonce));
    return status;
}

static DmMessage *message_new(DmSession *s)
{
    DmMessage *m = dm_message_new();
    const guint8 *nonce = NULL;
    gsize nonce_length = 0;

    m->session_id = g_strdup(s->config.session_id);
    m->msg_id = ++s->msg_id;
    m->target = g_strdup(s->target);
    m->source = g_strdup(s->config.client_id);
    m->source_name = g_strdup(s->config.client_name);
    m->meta.max_msg_size = (gint64)s->config.max_msg_size;
    m->meta.max_obj_size = (gint64)s->config.max_obj_size;
    s->cmd_id = 0;
    if (s->config.client_nonce != NULL)
        nonce = g_bytes_get_data(s->config.client_nonce, &nonce_length);
    /* Credentials go along until the server has accepted them (HMAC: in the HTTP header). */
    if (!s->client_authenticated &&
        (s->config.client_auth == DM_AUTH_BASIC || s->config.client_auth == DM_AUTH_MD5)) {
        m->has_cred = TRUE;
        m->cred_meta.type = g_strdup(dm_auth_type_name(s->config.client_auth));
        m->cred_meta.format = g_strdup("b64");
        m->cred_data = s->config.client_auth == DM_AUTH_BASIC
                           ? dm_auth_basic(s->config.client_name, s->config.client_password)
                           : dm_auth_md5(s->config.client_name, s->config.client_password, nonce,
                                         nonce_length);
    }
    return m;
}

/*
 * @c as written in a message as command @cmd_id (the one part of it that changes with the
 * message): serialised alone, linear in the command, not in the message.
 */
static char *command_xml(DmCommand *c, guint cmd_id)
{
    guint measured_id = c->cmd_id;
    char *xml;

    c->cmd_id = cmd_id;
    xml = dm_command_to_xml(c);
    c->cmd_id = measured_id;
    return xml;
}

/*
 * A Results item too big for the @room left goes in two: a first chunk with MoreData (and
 * the whole Size on the first one), and the rest, queued for the next message. The chunk is
 * found by serialising the Results command alone, so the cost follows the chunk, not the
 * message it goes in.
 */
static DmCommand *split_results(DmCommand *results, guint cmd_id, gsize room)
{
    DmItem *item = g_ptr_array_index(results->items, 0);
    DmCommand *rest;
    DmItem *rest_item;
    gsize lo = 1, hi = item->data_length, fit = 0;
    gint64 size = item->meta.size;

    while (lo <= hi) {
        gsize mid = lo + (hi - lo) / 2;
        g_autofree char *whole = g_strdup(item->data);
        gsize whole_length = item->data_length;
        gboolean more = item->more_data;

        item->data[mid] = '\0';
        item->data_length = mid;
        item->more_data = TRUE;
        if (size < 0)
            item->meta.size = (gint64)whole_length;
        g_autofree char *xml = command_xml(results, cmd_id);
        gboolean ok = strlen(xml) <= room;
        item->meta.size = size;
        g_free(item->data);
        item->data = g_steal_pointer(&whole);
        item->data_length = whole_length;
        item->more_data = more;
        if (ok) {
            fit = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (fit == 0)
        return NULL;
    rest = dm_command_new(DM_COMMAND_RESULTS);
    rest->msg_ref = results->msg_ref;
    rest->cmd_ref = results->cmd_ref;
    rest->cmd = g_strdup(results->cmd);
    rest_item = dm_item_new();
    rest_item->source = g_strdup(item->source);
    rest_item->meta.format = g_strdup(item->meta.format);
    rest_item->meta.type = g_strdup(item->meta.type);
    rest_item->more_data = item->more_data;
    dm_item_set_data(rest_item, item->data + fit, item->data_length - fit);
    g_ptr_array_add(rest->items, rest_item);
    if (item->meta.size < 0)
        item->meta.size = (gint64)item->data_length;
    item->data[fit] = '\0';
    item->data_length = fit;
    item->more_data = TRUE;
    return rest;
}

/* Adds @c to @m as its next command, and its XML to @body. */
static void add_command(DmSession *s, DmMessage *m, GString *body, DmCommand *c, const char *xml)
{
    c->cmd_id = ++s->cmd_id;
    g_ptr_array_add(m->commands, c);
    if (xml != NULL) {
        g_string_append(body, xml);
    } else {
        g_autofree char *text = dm_command_to_xml(c);
        g_string_append(body, text);
    }
}

/*
 * Moves commands from the outbox into @m, and their XML into @body, while they fit what
 * MaxMsgSize leaves after the message's skeleton (header, no commands) and ALERT_ROOM (an
 * Alert 1222 and Final). A Results too large for the room left is cut; a command that does
 * not fit even an empty message goes as it is. Each command is serialised when it is
 * considered, and that text is what goes out; one that waits for the next message is
 * serialised once more then (its CmdID changes): building a message is linear.
 */
static void fill_message(DmSession *s, DmMessage *m, const char *skeleton, GString *body)
{
    gsize used = strlen(skeleton) + body->len + ALERT_ROOM;
    gsize room = s->peer_max_msg_size > used ? s->peer_max_msg_size - used : 0;

    for (guint added = 0; !g_queue_is_empty(&s->outbox); added++) {
        DmCommand *next = g_queue_peek_head(&s->outbox);
        g_autofree char *xml = command_xml(next, s->cmd_id + 1);
        gsize size = strlen(xml);
        DmCommand *rest = NULL;

        if (size > room) {
            rest = next->type == DM_COMMAND_RESULTS && next->items->len == 1
                       ? split_results(next, s->cmd_id + 1, room)
                       : NULL;
            /* What cannot be cut and does not fit an empty message goes as it is. */
            if (rest == NULL && added > 0)
                return;
        }
        g_queue_pop_head(&s->outbox);
        /* A cut command is serialised again, as it now is. */
        add_command(s, m, body, next, rest == NULL ? xml : NULL);
        if (rest != NULL) {
            g_queue_push_head(&s->outbox, rest);
            return;
        }
        if (size > room)
            return;
        room -= size;
    }
}

static void encode_output(DmSession *s, const char *skeleton, const char *body, gboolean final)
{
    const guint8 *nonce = NULL;
    gsize nonce_length = 0;
    char *xml = dm_message_xml_assemble(skeleton, body, final);

    g_clear_pointer(&s->output, g_bytes_unref);
    g_clear_pointer(&s->output_hmac, g_free);
    if (s->config.encoding == DM_ENCODING_WBXML) {
        s->output = dm_xml_to_wbxml(xml, NULL);
        g_free(xml);
    } else {
        s->output = g_bytes_new_take(xml, strlen(xml));
    }
    if (s->config.client_auth == DM_AUTH_HMAC && s->output != NULL) {
        if (s->config.client_nonce != NULL)
            nonce = g_bytes_get_data(s->config.client_nonce, &nonce_length);
        s->output_hmac = dm_auth_hmac_header(s->config.client_name, s->config.client_password,
                                             nonce, nonce_length, g_bytes_get_data(s->output, NULL),
                                             g_bytes_get_size(s->output));
    }
}

/* The commands of @m but its header status (when @header) and 1222 alerts go to last_sent. */
static void keep_for_resend(DmSession *s, DmMessage *m, gboolean header)
{
    gsize n = 0;
    DmCommand **commands = (DmCommand **)g_ptr_array_steal(m->commands, &n);

    for (gsize i = 0; i < n; i++) {
        DmCommand *c = commands[i];
        gboolean stays = (header && i == 0) || (c->type == DM_COMMAND_ALERT && c->code == 1222);
        g_ptr_array_add(stays ? m->commands : s->last_sent, c);
    }
    g_free(commands);
}

/*
 * Fills a message from the outbox as far as MaxMsgSize allows and encodes it: each command
 * is serialised once, and the message around them. What does not fit waits, and Alert 1222
 * asks the server for the chance to send it; so does a server message without Final, to let
 * the server go on.
 */
static void build_output(DmSession *s, DmCommand *header)
{
    g_autoptr(DmMessage) m = message_new(s);
    g_autoptr(GString) body = g_string_new(NULL);
    /* WBXML is encoded from XML with the DOCTYPE that names its code pages. */
    g_autofree char *skeleton = dm_message_skeleton_xml(m, s->config.encoding == DM_ENCODING_WBXML);
    gboolean more;

    if (header != NULL)
        add_command(s, m, body, header, NULL);
    g_ptr_array_set_size(s->last_sent, 0);
    fill_message(s, m, skeleton, body);
    more = !g_queue_is_empty(&s->outbox) || !s->server_final;
    if (more) {
        DmCommand *alert = dm_command_new(DM_COMMAND_ALERT);
        alert->code = 1222;
        add_command(s, m, body, alert, NULL);
    }
    m->final = !more;
    encode_output(s, skeleton, body->str, m->final);
    /* Kept for a resend with new credentials; the header status is rebuilt then. */
    keep_for_resend(s, m, header != NULL);
}

/* --- Package 1 --------------------------------------------------------------------------- */

static void add_devinfo(DmSession *s, DmCommand *replace)
{
    static const char *const leaves[] = { "DevId", "Man", "Mod", "DmV", "Lang" };

    for (gsize i = 0; i < G_N_ELEMENTS(leaves); i++) {
        g_autofree char *uri = g_strconcat("./DevInfo/", leaves[i], NULL);
        DmNodeInfo info;
        DmItem *item;

        if (!dm_tree_get(s->tree, uri, &info))
            continue;
        item = dm_item_new();
        item->source = g_strdup(uri);
        item->meta.format = g_strdup(info.format);
        dm_item_set_data(item, (const char *)info.value, info.value_length);
        g_ptr_array_add(replace->items, item);
    }
}

DmSessionStep dm_session_start(DmSession *s)
{
    DmCommand *alert = dm_command_new(DM_COMMAND_ALERT);
    DmCommand *replace = dm_command_new(DM_COMMAND_REPLACE);

    alert->code = s->config.server_initiated ? 1200 : 1201;
    add_devinfo(s, replace);
    g_queue_push_tail(&s->outbox, alert);
    g_queue_push_tail(&s->outbox, replace);
    s->server_final = TRUE;
    build_output(s, NULL);
    return DM_SESSION_SEND;
}

/* --- Receiving --------------------------------------------------------------------------- */

static gboolean nonce_from_b64(const char *b64, GBytes **out)
{
    gsize length = 0;
    guchar *data;

    if (b64 == NULL)
        return FALSE;
    data = g_base64_decode(b64, &length);
    g_clear_pointer(out, g_bytes_unref);
    *out = g_bytes_new_take(data, length);
    return TRUE;
}

/* 212 (or 200 without server authentication), 401 or 407. */
static int authenticate_server(DmSession *s, const DmMessage *m, const guint8 *data, gsize length,
                               const char *hmac)
{
    const guint8 *nonce = NULL;
    gsize nonce_length = 0;
    DmAuthType type = DM_AUTH_NONE;
    g_autofree char *expected = NULL;

    if (s->config.server_auth == DM_AUTH_NONE)
        return DM_STATUS_OK;
    if (s->server_authenticated && s->config.server_auth != DM_AUTH_HMAC)
        return DM_STATUS_OK;
    if (s->config.server_nonce != NULL)
        nonce = g_bytes_get_data(s->config.server_nonce, &nonce_length);
    if (s->config.server_auth == DM_AUTH_HMAC) {
        if (hmac == NULL)
            return DM_STATUS_MISSING_CREDENTIALS;
        return dm_auth_hmac_verify(hmac, s->config.server_name, s->config.server_password, nonce,
                                   nonce_length, data, length)
                   ? DM_STATUS_AUTHENTICATED
                   : DM_STATUS_INVALID_CREDENTIALS;
    }
    if (!m->has_cred || m->cred_data == NULL)
        return DM_STATUS_MISSING_CREDENTIALS;
    /* A Cred without a Type is basic (SyncML RepPro §5.1.3). */
    if (m->cred_meta.type != NULL && !dm_auth_type_parse(m->cred_meta.type, &type))
        return DM_STATUS_INVALID_CREDENTIALS;
    if (m->cred_meta.type == NULL)
        type = DM_AUTH_BASIC;
    if (type != s->config.server_auth)
        return DM_STATUS_INVALID_CREDENTIALS;
    expected =
        type == DM_AUTH_BASIC
            ? dm_auth_basic(s->config.server_name, s->config.server_password)
            : dm_auth_md5(s->config.server_name, s->config.server_password, nonce, nonce_length);
    return g_str_equal(expected, m->cred_data) ? DM_STATUS_AUTHENTICATED
                                               : DM_STATUS_INVALID_CREDENTIALS;
}

/*
 * The nonce the server hands us on the Status of our header: the one our next credentials
 * (with HMAC, our next message) use. Taken even from a message whose own credentials failed:
 * that message's answer is signed with it, or the server could not check it.
 */
static void take_client_nonce(DmSession *s, const DmMessage *m)
{
    for (guint i = 0; i < m->commands->len; i++) {
        const DmCommand *c = g_ptr_array_index(m->commands, i);
        if (c->type != DM_COMMAND_STATUS || c->cmd_ref != 0 || !c->has_chal ||
            c->chal.next_nonce == NULL)
            continue;
        nonce_from_b64(c->chal.next_nonce, &s->new_client_nonce);
        g_clear_pointer(&s->config.client_nonce, g_bytes_unref);
        s->config.client_nonce = g_bytes_ref(s->new_client_nonce);
    }
}

/* The server's Status on our header: did it accept our credentials? */
static gboolean handle_header_status(DmSession *s, const DmCommand *status, gboolean *resend)
{
    DmAuthType type;

    if (status->code == DM_STATUS_AUTHENTICATED || status->code == DM_STATUS_OK) {
        s->client_authenticated =
            status->code == DM_STATUS_AUTHENTICATED || s->config.client_auth == DM_AUTH_NONE;
        return TRUE;
    }
    if (status->code != DM_STATUS_INVALID_CREDENTIALS &&
        status->code != DM_STATUS_MISSING_CREDENTIALS)
        return TRUE;
    if (status->has_chal && dm_auth_type_parse(status->chal.type, &type))
        s->config.client_auth = type;
    if (++s->client_retries > MAX_CLIENT_RETRIES || s->config.client_auth == DM_AUTH_NONE) {
        dm_session_end(s, DM_SESSION_RESULT_AUTH_FAILED,
                       "the server did not accept dmscd's credentials");
        return FALSE;
    }
    *resend = TRUE;
    return TRUE;
}

/* Statuses and Results from the server; TRUE when our last message must go again. */
static gboolean handle_server_statuses(DmSession *s, const DmMessage *m)
{
    gboolean resend = FALSE;

    for (guint i = 0; i < m->commands->len; i++) {
        const DmCommand *c = g_ptr_array_index(m->commands, i);
        if (c->type == DM_COMMAND_STATUS && c->cmd_ref == 0 && !handle_header_status(s, c, &resend))
            return FALSE;
    }
    return resend;
}

static gboolean has_commands(const DmMessage *m)
{
    for (guint i = 0; i < m->commands->len; i++) {
        const DmCommand *c = g_ptr_array_index(m->commands, i);
        if (c->type != DM_COMMAND_STATUS && c->type != DM_COMMAND_RESULTS)
            return TRUE;
    }
    return FALSE;
}

static DmSessionStep reply(DmSession *s)
{
    DmCommand *header = header_status(
        s, s->incoming,
        s->config.server_auth != DM_AUTH_NONE && !s->server_authenticated ? DM_STATUS_AUTHENTICATED
                                                                          : DM_STATUS_OK);

    if (s->config.server_auth != DM_AUTH_NONE)
        s->server_authenticated = TRUE;
    build_output(s, header);
    if (s->result != DM_SESSION_RESULT_NONE)
        return DM_SESSION_SEND_LAST;
    return DM_SESSION_SEND;
}

/* After the body has run (at once, or after the last alert was answered). */
static DmSessionStep body_done(DmSession *s)
{
    if (s->result == DM_SESSION_RESULT_ABORTED)
        return DM_SESSION_DONE;
    /* A server package without commands, Final, and nothing left to say: the end. */
    if (s->server_final && !has_commands(s->incoming) && g_queue_is_empty(&s->outbox)) {
        dm_session_end(s, DM_SESSION_RESULT_OK, NULL);
        return DM_SESSION_DONE;
    }
    return reply(s);
}

static gboolean header_acceptable(DmSession *s, DmMessage *m, int *code)
{
    if (!m->has_header) {
        dm_session_end(s, DM_SESSION_RESULT_FAILED, "a server message without SyncHdr");
        return FALSE;
    }
    if (g_strcmp0(m->ver_proto, "DM/1.2") != 0 || g_strcmp0(m->ver_dtd, "1.2") != 0) {
        *code = g_strcmp0(m->ver_dtd, "1.2") != 0 ? 505 : 513;
        return FALSE;
    }
    if (g_strcmp0(m->session_id, s->config.session_id) != 0) {
        dm_session_end(s, DM_SESSION_RESULT_FAILED, "the server message is for another session");
        return FALSE;
    }
    return TRUE;
}

DmSessionStep dm_session_receive(DmSession *s, const guint8 *data, gsize length, const char *hmac)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) m = NULL;
    int code = 0;

    if (s->result != DM_SESSION_RESULT_NONE || s->alert != NULL)
        return DM_SESSION_DONE;
    m = dm_message_parse(data, length, &error);
    if (m == NULL) {
        dm_session_end(s, DM_SESSION_RESULT_FAILED, error->message);
        return DM_SESSION_DONE;
    }
    s->server_msg_id = m->msg_id;
    if (!header_acceptable(s, m, &code)) {
        if (code == 0)
            return DM_SESSION_DONE;
        /* Answer in our version that we do not speak theirs, and run nothing. */
        dm_message_free(s->incoming);
        s->incoming = g_steal_pointer(&m);
        s->server_final = TRUE;
        dm_session_end(s, DM_SESSION_RESULT_FAILED, "the server speaks another DM version");
        build_output(s, header_status(s, s->incoming, code));
        return DM_SESSION_SEND_LAST;
    }
    if (m->resp_uri != NULL) {
        g_free(s->target);
        s->target = g_strdup(m->resp_uri);
    }
    if (m->meta.max_msg_size > 0)
        s->peer_max_msg_size = (gsize)MIN(m->meta.max_msg_size, 1 << 24);
    code = authenticate_server(s, m, data, length, hmac);
    dm_message_free(s->incoming);
    s->incoming = g_steal_pointer(&m);
    s->server_final = s->incoming->final;
    take_client_nonce(s, s->incoming);
    if (code == DM_STATUS_INVALID_CREDENTIALS || code == DM_STATUS_MISSING_CREDENTIALS) {
        /* Nothing of the message runs; the tree stays as it was. The server is challenged
         * with a new nonce and may sign its package again with it, once. */
        g_queue_clear_full(&s->outbox, (GDestroyNotify)dm_command_free);
        s->server_final = TRUE;
        if (s->server_challenges++ < MAX_SERVER_CHALLENGES) {
            build_output(s, header_status(s, s->incoming, code));
            return DM_SESSION_SEND;
        }
        dm_session_end(s, DM_SESSION_RESULT_AUTH_FAILED, "the server failed to authenticate");
        build_output(s, header_status(s, s->incoming, code));
        return DM_SESSION_SEND_LAST;
    }
    if (handle_server_statuses(s, s->incoming)) {
        /* The server wants other credentials: the same commands go again. */
        dm_commands_queue(s->last_sent, &s->outbox);
        return reply(s);
    }
    if (s->result != DM_SESSION_RESULT_NONE)
        return DM_SESSION_DONE;
    dm_session_run_body(s, s->incoming);
    if (!dm_session_run_frames(s))
        return DM_SESSION_WAIT;
    return body_done(s);
}

const DmAlertRequest *dm_session_get_alert(DmSession *s)
{
    return s->alert;
}

DmSessionStep dm_session_answer_alert(DmSession *s, int status, const char *const *items)
{
    if (s->alert == NULL)
        return DM_SESSION_DONE;
    dm_session_finish_alert(s, status, items);
    if (!dm_session_run_frames(s))
        return DM_SESSION_WAIT;
    return body_done(s);
}

GBytes *dm_session_take_output(DmSession *s, char **hmac)
{
    if (hmac != NULL)
        *hmac = g_steal_pointer(&s->output_hmac);
    return g_steal_pointer(&s->output);
}

gsize dm_session_get_max_msg_size(DmSession *s)
{
    return s->config.max_msg_size;
}

const char *dm_session_get_target(DmSession *s)
{
    return s->target;
}

const char *dm_session_get_media_type(DmSession *s)
{
    return s->config.encoding == DM_ENCODING_WBXML ? DM_MEDIA_TYPE_WBXML : DM_MEDIA_TYPE_XML;
}

void dm_session_queue_generic_alert(DmSession *s, const char *source, const char *type,
                                    const char *format, const char *data, const char *correlator)
{
    DmCommand *alert = dm_command_new(DM_COMMAND_ALERT);
    DmItem *item = dm_item_new();

    alert->code = 1226;
    alert->correlator = g_strdup(correlator);
    item->source = g_strdup(source);
    item->meta.type = g_strdup(type);
    item->meta.format = g_strdup(format);
    if (data != NULL)
        dm_item_set_data(item, data, strlen(data));
    g_ptr_array_add(alert->items, item);
    g_queue_push_tail(&s->outbox, alert);
}

DmSessionResult dm_session_get_result(DmSession *s)
{
    return s->result;
}

const char *dm_session_get_error(DmSession *s)
{
    return s->error;
}

DmTree *dm_session_steal_tree(DmSession *s)
{
    if (s->result != DM_SESSION_RESULT_OK)
        return NULL;
    return g_steal_pointer(&s->tree);
}

DmTreeDelta *dm_session_get_delta(DmSession *s)
{
    if (s->result != DM_SESSION_RESULT_OK || s->tree == NULL)
        return NULL;
    return dm_tree_diff(s->base, s->tree);
}

GPtrArray *dm_session_get_changes(DmSession *s)
{
    return s->changes;
}

GBytes *dm_session_get_client_nonce(DmSession *s)
{
    return s->new_client_nonce;
}

GBytes *dm_session_get_server_nonce(DmSession *s)
{
    return s->new_server_nonce;
}
