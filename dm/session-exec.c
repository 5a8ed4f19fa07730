/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running the commands of a server message: the tree operations, Atomic and Sequence, user
 * interaction alerts (which may wait for an answer), large objects. Each command gives a
 * Status (and a Get its Results) in the frame it ran in.
 */
#include "session-private.h"

#include <string.h>

static Frame *frame_push(DmSession *s, GPtrArray *commands, DmCommand *container)
{
    Frame *frame = g_new0(Frame, 1);

    frame->commands = commands;
    frame->container = container;
    frame->out = g_ptr_array_new_with_free_func((GDestroyNotify)dm_command_free);
    g_ptr_array_add(s->frames, frame);
    return frame;
}

/* The tree commands run on now: the innermost Atomic's copy, or the session's. */
static DmTree **current_tree(DmSession *s, guint below)
{
    for (guint i = s->frames->len - below; i > 0; i--) {
        Frame *f = g_ptr_array_index(s->frames, i - 1);
        if (f->tree != NULL)
            return &f->tree;
    }
    return &s->tree;
}

/* The tree a command writes to: unshared first, since it starts as the tree it was made of. */
static DmTree *writable_tree(DmSession *s)
{
    DmTree **tree = current_tree(s, 0);

    *tree = dm_tree_unshare(*tree);
    return *tree;
}

static Frame *top(DmSession *s)
{
    return g_ptr_array_index(s->frames, s->frames->len - 1);
}

void dm_session_run_body(DmSession *s, DmMessage *message)
{
    g_ptr_array_set_size(s->frames, 0);
    frame_push(s, message->commands, NULL);
}

/* --- Statuses ---------------------------------------------------------------------------- */

static void emit_status(DmSession *s, DmCommand *command, const DmItem *item, int code)
{
    Frame *f = top(s);
    DmCommand *status;

    if (f->tree != NULL && (code < 200 || code > 299))
        f->failed = TRUE;
    if (command->no_resp)
        return;
    status = dm_session_status_new(s, command, code);
    if (item != NULL && item->target != NULL)
        g_ptr_array_add(status->target_refs, g_strdup(item->target));
    if (item != NULL && item->source != NULL)
        g_ptr_array_add(status->source_refs, g_strdup(item->source));
    g_ptr_array_add(f->out, status);
}

/* --- Items ------------------------------------------------------------------------------- */

static const char *item_format(const DmCommand *c, const DmItem *item)
{
    return item->meta.format ? item->meta.format : c->meta.format;
}

static const char *item_type(const DmCommand *c, const DmItem *item)
{
    return item->meta.type ? item->meta.type : c->meta.type;
}

/* Splits "./A/B?prop=ACL" into the URI and the query ("prop=ACL"), if any. */
static char *split_query(const char *target, char **query)
{
    const char *mark = strchr(target, '?');

    *query = mark ? g_strdup(mark + 1) : NULL;
    return mark ? g_strndup(target, (gsize)(mark - target)) : g_strdup(target);
}

static int apply_write(DmSession *s, DmCommandType type, const char *uri, const char *format,
                       const char *mime, const guint8 *data, gsize length)
{
    DmTree *tree = writable_tree(s);

    if (type == DM_COMMAND_ADD)
        return dm_tree_add(tree, s->config.server_id, uri, format, mime, data, length);
    return dm_tree_replace(tree, s->config.server_id, uri, format, mime, data, length);
}

/* A chunk of a large object; returns the status of this chunk. */
static int large_object_chunk(DmSession *s, const DmCommand *c, const DmItem *item, const char *uri)
{
    LargeObject *lo = &s->large;
    gint64 size = item->meta.size >= 0 ? item->meta.size : c->meta.size;
    int code;

    if (!lo->active) {
        if (!item->more_data)
            return 0;
        if (size < 0)
            return DM_STATUS_SIZE_REQUIRED;
        if ((gsize)size > s->config.max_obj_size)
            return DM_STATUS_TOO_LARGE;
        lo->active = TRUE;
        lo->command = c->type;
        lo->target = g_strdup(uri);
        lo->format = g_strdup(item_format(c, item));
        lo->type = g_strdup(item_type(c, item));
        lo->size = size;
        lo->data = g_byte_array_new();
    } else if (lo->command != c->type || !g_str_equal(lo->target, uri)) {
        return 0;
    }
    if (item->has_data)
        g_byte_array_append(lo->data, (const guint8 *)item->data, (guint)item->data_length);
    if ((gint64)lo->data->len > lo->size) {
        dm_large_object_clear(lo);
        return DM_STATUS_SIZE_MISMATCH;
    }
    if (item->more_data)
        return DM_STATUS_CHUNK_ACCEPTED;
    code = (gint64)lo->data->len != lo->size ? DM_STATUS_SIZE_MISMATCH
                                             : apply_write(s, lo->command, lo->target, lo->format,
                                                           lo->type, lo->data->data, lo->data->len);
    dm_large_object_clear(lo);
    return code;
}

static void run_write(DmSession *s, DmCommand *c)
{
    for (guint i = 0; i < c->items->len; i++) {
        DmItem *item = g_ptr_array_index(c->items, i);
        g_autofree char *query = NULL;
        g_autofree char *uri = NULL;
        int code;

        /* A Target is what a server command acts on; Items with only a Source are not. */
        if (item->target == NULL) {
            emit_status(s, c, item, DM_STATUS_BAD_REQUEST);
            continue;
        }
        uri = split_query(item->target, &query);
        if (query != NULL) {
            code = (c->type == DM_COMMAND_REPLACE && g_str_has_prefix(query, "prop="))
                       ? dm_tree_replace_property(writable_tree(s), s->config.server_id, uri,
                                                  query + 5, item->data ? item->data : "")
                       : DM_STATUS_OPTIONAL_FEATURE;
        } else if ((code = large_object_chunk(s, c, item, uri)) == 0) {
            gsize length = item->has_data ? item->data_length : 0;
            code = length > s->config.max_obj_size
                       ? DM_STATUS_TOO_LARGE
                       : apply_write(s, c->type, uri, item_format(c, item), item_type(c, item),
                                     (const guint8 *)item->data, length);
        }
        if (code != DM_STATUS_CHUNK_ACCEPTED)
            dm_session_record(s, uri, dm_command_type_name(c->type), code);
        emit_status(s, c, item, code);
    }
}

static void run_delete(DmSession *s, DmCommand *c)
{
    for (guint i = 0; i < c->items->len; i++) {
        DmItem *item = g_ptr_array_index(c->items, i);
        int code = item->target
                       ? dm_tree_delete(writable_tree(s), s->config.server_id, item->target)
                       : DM_STATUS_BAD_REQUEST;
        dm_session_record(s, item->target, "Delete", code);
        emit_status(s, c, item, code);
    }
}

static void run_copy(DmSession *s, DmCommand *c)
{
    for (guint i = 0; i < c->items->len; i++) {
        DmItem *item = g_ptr_array_index(c->items, i);
        int code = item->target && item->source
                       ? dm_tree_copy_node(writable_tree(s), s->config.server_id, item->source,
                                           item->target)
                       : DM_STATUS_BAD_REQUEST;
        dm_session_record(s, item->target, "Copy", code);
        emit_status(s, c, item, code);
    }
}

static void run_exec(DmSession *s, DmCommand *c)
{
    for (guint i = 0; i < c->items->len; i++) {
        DmItem *item = g_ptr_array_index(c->items, i);
        int code = item->target ? dm_tree_check(*current_tree(s, 0), s->config.server_id,
                                                item->target, DM_ACCESS_EXEC)
                                : DM_STATUS_BAD_REQUEST;
        if (code == DM_STATUS_OK)
            code = s->config.exec ? s->config.exec(item->target, item->data, c->correlator,
                                                   s->config.exec_data)
                                  : 0;
        if (code == 0)
            code = DM_STATUS_NOT_ALLOWED; /* nothing runs this node */
        dm_session_record(s, item->target, "Exec", code);
        emit_status(s, c, item, code);
    }
}

/* --- Get --------------------------------------------------------------------------------- */

static DmItem *result_item(const char *uri, const DmNodeInfo *info, gboolean with_data)
{
    DmItem *item = dm_item_new();

    item->source = g_strdup(uri);
    item->meta.format = g_strdup(info->format);
    item->meta.type = g_strdup(info->type);
    if (with_data && !g_str_equal(info->format, "node")) {
        item->meta.size = (gint64)info->value_length;
        dm_item_set_data(item, (const char *)info->value, info->value_length);
    }
    return item;
}

/* ?list=Struct and ?list=StructData: the node and every descendant the server may read. */
static void add_structure(DmSession *s, DmCommand *results, const char *uri, gboolean data)
{
    DmTree *tree = *current_tree(s, 0);
    g_autoptr(GPtrArray) children = dm_tree_list(tree, uri);
    DmNodeInfo info;

    if (!dm_tree_get(tree, uri, &info) ||
        dm_tree_check(tree, s->config.server_id, uri, DM_ACCESS_GET) != DM_STATUS_OK)
        return;
    g_ptr_array_add(results->items, result_item(uri, &info, data));
    for (guint i = 0; children != NULL && i < children->len; i++) {
        g_autofree char *child = g_strconcat(uri, "/", g_ptr_array_index(children, i), NULL);
        add_structure(s, results, child, data);
    }
}

static int get_property(DmSession *s, const char *uri, const char *name, DmItem *item)
{
    DmNodeInfo info;
    const char *value = NULL;
    char size[24];

    if (!dm_tree_get(*current_tree(s, 0), uri, &info))
        return DM_STATUS_NOT_FOUND;
    if (g_str_equal(name, "ACL"))
        value = dm_tree_effective_acl(*current_tree(s, 0), uri);
    else if (g_str_equal(name, "Format"))
        value = info.format;
    else if (g_str_equal(name, "Type"))
        value = info.type ? info.type : "";
    else if (g_str_equal(name, "Title"))
        value = info.title ? info.title : "";
    else if (g_str_equal(name, "Name"))
        value = info.name;
    else if (g_str_equal(name, "Size") && !g_str_equal(info.format, "node"))
        value = (g_snprintf(size, sizeof(size), "%zu", info.value_length), size);
    if (value == NULL)
        return DM_STATUS_NOT_FOUND;
    item->meta.format = g_strdup("chr");
    dm_item_set_data(item, value, strlen(value));
    return DM_STATUS_OK;
}

static int get_one(DmSession *s, const DmItem *request, DmCommand *results)
{
    DmTree *tree = *current_tree(s, 0);
    g_autofree char *query = NULL;
    g_autofree char *uri = split_query(request->target, &query);
    g_autofree char *canonical = dm_uri_normalize(uri, NULL);
    DmNodeInfo info;
    int code;

    if (canonical == NULL)
        return DM_STATUS_BAD_REQUEST;
    if ((code = dm_tree_check(tree, s->config.server_id, canonical, DM_ACCESS_GET)) != 200)
        return code;
    dm_tree_get(tree, canonical, &info);
    if (query != NULL && g_str_has_prefix(query, "prop=")) {
        DmItem *item = dm_item_new();
        item->source = g_strdup(request->target);
        g_ptr_array_add(results->items, item);
        return get_property(s, canonical, query + 5, item);
    }
    if (query != NULL &&
        (g_str_equal(query, "list=Struct") || g_str_equal(query, "list=StructData"))) {
        add_structure(s, results, canonical, g_str_equal(query, "list=StructData"));
        return DM_STATUS_OK;
    }
    if (query != NULL)
        return DM_STATUS_OPTIONAL_FEATURE;
    if (g_str_equal(info.format, "node")) {
        /* An interior node's value is the list of its children's names. */
        g_autoptr(GPtrArray) names = dm_tree_list(tree, canonical);
        g_autofree char *list = NULL;
        DmItem *item = result_item(request->target, &info, FALSE);
        g_ptr_array_add(names, NULL);
        list = g_strjoinv("/", (char **)names->pdata);
        dm_item_set_data(item, list, strlen(list));
        g_ptr_array_add(results->items, item);
        return DM_STATUS_OK;
    }
    g_ptr_array_add(results->items, result_item(request->target, &info, TRUE));
    return DM_STATUS_OK;
}

static void run_get(DmSession *s, DmCommand *c)
{
    for (guint i = 0; i < c->items->len; i++) {
        DmItem *item = g_ptr_array_index(c->items, i);
        DmCommand *results = dm_command_new(DM_COMMAND_RESULTS);
        int code;

        results->msg_ref = s->server_msg_id;
        results->cmd_ref = c->cmd_id;
        code = item->target ? get_one(s, item, results) : DM_STATUS_BAD_REQUEST;
        emit_status(s, c, item, code);
        if (code == DM_STATUS_OK && results->items->len > 0)
            g_ptr_array_add(top(s)->out, results);
        else
            dm_command_free(results);
    }
}

/* --- Alerts ------------------------------------------------------------------------------ */

/* An option given twice: the last stands (and the first is not lost). */
static void set_option(char **field, const char *value)
{
    g_free(*field);
    *field = g_strdup(value);
}

/* "MINDT=10&MAXDT=30&DR=1&MAXLEN=20&IT=A&ET=T": the first Item of a UI alert. */
static void parse_alert_options(const char *options, DmAlertRequest *request)
{
    g_auto(GStrv) pairs = g_strsplit(options ? options : "", "&", -1);

    for (char **p = pairs; *p != NULL; p++) {
        const char *value = strchr(*p, '=');
        guint64 number = 0;
        if (value == NULL)
            continue;
        value++;
        g_ascii_string_to_unsigned(value, 10, 0, 86400, &number, NULL);
        if (g_str_has_prefix(*p, "MINDT="))
            request->min_seconds = (guint)number;
        else if (g_str_has_prefix(*p, "MAXDT="))
            request->max_seconds = (guint)number;
        else if (g_str_has_prefix(*p, "MAXLEN="))
            request->max_length = (guint)number;
        else if (g_str_has_prefix(*p, "DR="))
            set_option(&request->default_response, value);
        else if (g_str_has_prefix(*p, "IT="))
            set_option(&request->input_type, value);
        else if (g_str_has_prefix(*p, "ET="))
            set_option(&request->echo_type, value);
    }
}

/* FALSE when the alert waits for the user. */
static gboolean run_alert(DmSession *s, DmCommand *c)
{
    DmAlertRequest *request;

    switch (c->code) {
    case 1100:
    case 1101:
    case 1102:
    case 1103:
    case 1104:
        break;
    case 1223: /* the server ends the session: nothing is kept */
        emit_status(s, c, NULL, DM_STATUS_OK);
        dm_session_abort(s, "the server aborted the session (1223)");
        return TRUE;
    default:
        emit_status(s, c, NULL,
                    c->code >= 1200 && c->code <= 1226 ? DM_STATUS_OK : DM_STATUS_OPTIONAL_FEATURE);
        return TRUE;
    }
    if (c->items->len < 2) {
        emit_status(s, c, NULL, DM_STATUS_BAD_REQUEST);
        return TRUE;
    }
    request = g_new0(DmAlertRequest, 1);
    request->code = c->code;
    parse_alert_options(((DmItem *)g_ptr_array_index(c->items, 0))->data, request);
    request->text = g_strdup(((DmItem *)g_ptr_array_index(c->items, 1))->data);
    request->choices = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 2; i < c->items->len; i++)
        g_ptr_array_add(request->choices,
                        g_strdup(((DmItem *)g_ptr_array_index(c->items, i))->data));
    s->alert = request;
    s->alert_command = c;
    return FALSE;
}

void dm_session_finish_alert(DmSession *s, int status, const char *const *items)
{
    DmCommand *c = s->alert_command;
    Frame *f = top(s);
    DmCommand *reply;
    g_auto(GStrv) defaults = NULL;

    /* Without a user, the default response (DR) goes back with the timeout: one Item per
     * value, the values split on '-'. */
    if (status == DM_STATUS_TIMEOUT && items == NULL && s->alert->default_response != NULL &&
        c->code >= 1102) {
        defaults = g_strsplit(s->alert->default_response, "-", -1);
        items = (const char *const *)defaults;
    }
    emit_status(s, c, NULL, status);
    if (!c->no_resp && f->out->len > 0) {
        reply = g_ptr_array_index(f->out, f->out->len - 1);
        for (guint i = 0; items != NULL && items[i] != NULL && c->code >= 1102; i++) {
            DmItem *item = dm_item_new();
            dm_item_set_data(item, items[i], strlen(items[i]));
            g_ptr_array_add(reply->items, item);
        }
    }
    /* Inside an Atomic, anything but a yes fails it. */
    if (f->tree != NULL && status != DM_STATUS_OK)
        f->failed = TRUE;
    dm_alert_request_free(s->alert);
    s->alert = NULL;
    s->alert_command = NULL;
}

/* --- Frames ------------------------------------------------------------------------------ */

/* Ends the top frame: an Atomic commits or rolls back, its statuses go to the parent. */
static void frame_finish(DmSession *s)
{
    Frame *f = g_ptr_array_steal_index(s->frames, s->frames->len - 1);
    DmCommand *c = f->container;

    if (c == NULL) {
        dm_commands_queue(f->out, &s->outbox);
        dm_frame_free(f);
        return;
    }
    if (c->type == DM_COMMAND_ATOMIC) {
        if (!f->failed) {
            DmTree **parent = current_tree(s, 0);
            dm_tree_unref(*parent);
            *parent = g_steal_pointer(&f->tree);
        } else {
            /* Rolled back: what had succeeded is undone (216); Results are withdrawn. */
            for (guint i = 0; i < f->out->len; i++) {
                DmCommand *out = g_ptr_array_index(f->out, i);
                if (out->type == DM_COMMAND_RESULTS)
                    g_ptr_array_remove_index(f->out, i--);
                else if (out->code == DM_STATUS_OK)
                    out->code = DM_STATUS_ROLLED_BACK;
            }
        }
        emit_status(s, c, NULL, f->failed ? DM_STATUS_ATOMIC_FAILED : DM_STATUS_OK);
    }
    g_ptr_array_extend_and_steal(top(s)->out, g_steal_pointer(&f->out));
    dm_frame_free(f);
}

static gboolean run_command(DmSession *s, DmCommand *c)
{
    Frame *f = top(s);

    if (f->failed) {
        emit_status(s, c, c->items->len > 0 ? g_ptr_array_index(c->items, 0) : NULL,
                    DM_STATUS_NOT_EXECUTED);
        return TRUE;
    }
    /* A chunked object must go on with its next chunk, or it is abandoned. */
    if (s->large.active && c->type != DM_COMMAND_ADD && c->type != DM_COMMAND_REPLACE &&
        c->type != DM_COMMAND_STATUS && c->type != DM_COMMAND_RESULTS) {
        DmCommand *alert = dm_command_new(DM_COMMAND_ALERT);
        alert->code = 1225;
        g_ptr_array_add(f->out, alert);
        dm_large_object_clear(&s->large);
    }
    switch (c->type) {
    case DM_COMMAND_ADD:
    case DM_COMMAND_REPLACE:
        run_write(s, c);
        return TRUE;
    case DM_COMMAND_DELETE:
        run_delete(s, c);
        return TRUE;
    case DM_COMMAND_COPY:
        run_copy(s, c);
        return TRUE;
    case DM_COMMAND_EXEC:
        run_exec(s, c);
        return TRUE;
    case DM_COMMAND_GET:
        run_get(s, c);
        return TRUE;
    case DM_COMMAND_ALERT:
        return run_alert(s, c);
    case DM_COMMAND_ATOMIC: {
        Frame *atomic = frame_push(s, c->children, c);
        atomic->tree = dm_tree_ref(*current_tree(s, 1)); /* copied when it first writes */
        return TRUE;
    }
    case DM_COMMAND_SEQUENCE:
        emit_status(s, c, NULL, DM_STATUS_OK);
        frame_push(s, c->children, c);
        return TRUE;
    case DM_COMMAND_STATUS:
    case DM_COMMAND_RESULTS:
        return TRUE; /* answers to us, read in session.c */
    case DM_COMMAND_UNKNOWN:
    default:
        emit_status(s, c, NULL, DM_STATUS_OPTIONAL_FEATURE);
        return TRUE;
    }
}

gboolean dm_session_run_frames(DmSession *s)
{
    while (s->frames->len > 0) {
        Frame *f = top(s);

        if (s->result == DM_SESSION_RESULT_ABORTED) {
            g_ptr_array_set_size(s->frames, 0);
            return TRUE;
        }
        if (f->next >= f->commands->len) {
            frame_finish(s);
            continue;
        }
        if (!run_command(s, g_ptr_array_index(f->commands, f->next++)))
            return FALSE;
    }
    return TRUE;
}
