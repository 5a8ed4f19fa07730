/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the session engine's two halves share: how a session ends, what it records, the
 * Status it answers a command with, and the life of its frames, large objects and alerts.
 * session.c (messages) and session-exec.c (commands) both call here; this file calls neither.
 */
#include "session-private.h"

#include <string.h>

void dm_session_end(DmSession *s, DmSessionResult result, const char *error)
{
    if (s->result != DM_SESSION_RESULT_NONE)
        return;
    s->result = result;
    g_free(s->error);
    s->error = g_strdup(error);
}

void dm_session_record(DmSession *s, const char *uri, const char *command, int status)
{
    char code[8];
    const char *row[] = { uri ? uri : "", command, code, NULL };

    g_snprintf(code, sizeof(code), "%d", status);
    g_ptr_array_add(s->changes, g_strdupv((char **)row));
}

DmCommand *dm_session_status_new(DmSession *s, const DmCommand *command, int code)
{
    DmCommand *status = dm_command_new(DM_COMMAND_STATUS);

    status->msg_ref = s->server_msg_id;
    status->cmd_ref = command ? command->cmd_id : 0;
    status->cmd = g_strdup(
        command ? (command->element ? command->element : dm_command_type_name(command->type))
                : "SyncHdr");
    status->code = code;
    return status;
}

void dm_session_abort(DmSession *s, const char *why)
{
    dm_session_end(s, DM_SESSION_RESULT_ABORTED, why);
}

void dm_frame_free(Frame *frame)
{
    if (frame == NULL)
        return;
    if (frame->tree != NULL)
        dm_tree_unref(frame->tree);
    g_clear_pointer(&frame->out, g_ptr_array_unref);
    g_free(frame);
}

void dm_large_object_clear(LargeObject *large)
{
    g_free(large->target);
    g_free(large->format);
    g_free(large->type);
    if (large->data != NULL)
        g_byte_array_unref(large->data);
    memset(large, 0, sizeof(*large));
}

void dm_alert_request_free(DmAlertRequest *request)
{
    if (request == NULL)
        return;
    g_free(request->text);
    g_free(request->default_response);
    g_free(request->input_type);
    g_free(request->echo_type);
    if (request->choices != NULL)
        g_ptr_array_unref(request->choices);
    g_free(request);
}

void dm_commands_queue(GPtrArray *from, GQueue *queue)
{
    gsize n = 0;
    gpointer *commands = g_ptr_array_steal(from, &n);

    for (gsize i = 0; i < n; i++)
        g_queue_push_tail(queue, commands[i]);
    g_free(commands);
}
