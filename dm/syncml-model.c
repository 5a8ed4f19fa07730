/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The in-memory SyncML DM message, shared by the XML and WBXML codecs and the engine. */
#include "dm-private.h"

#include <string.h>

void dm_meta_init(DmMeta *meta)
{
    memset(meta, 0, sizeof(*meta));
    meta->size = -1;
    meta->max_msg_size = -1;
    meta->max_obj_size = -1;
}

gboolean dm_meta_is_empty(const DmMeta *meta)
{
    return meta->format == NULL && meta->type == NULL && meta->next_nonce == NULL &&
           meta->size < 0 && meta->max_msg_size < 0 && meta->max_obj_size < 0;
}

void dm_meta_clear(DmMeta *meta)
{
    g_free(meta->format);
    g_free(meta->type);
    g_free(meta->next_nonce);
    dm_meta_init(meta);
}

DmItem *dm_item_new(void)
{
    DmItem *item = g_new0(DmItem, 1);
    dm_meta_init(&item->meta);
    return item;
}

void dm_item_free(DmItem *item)
{
    if (item == NULL)
        return;
    g_free(item->target);
    g_free(item->target_name);
    g_free(item->source);
    g_free(item->source_name);
    dm_meta_clear(&item->meta);
    g_free(item->data);
    g_free(item);
}

void dm_item_set_data(DmItem *item, const char *data, gsize length)
{
    g_free(item->data);
    item->data = g_malloc(length + 1);
    if (length > 0)
        memcpy(item->data, data, length);
    item->data[length] = '\0';
    item->data_length = length;
    item->has_data = TRUE;
}

DmCommand *dm_command_new(DmCommandType type)
{
    DmCommand *command = g_new0(DmCommand, 1);

    command->type = type;
    command->code = -1;
    dm_meta_init(&command->meta);
    dm_meta_init(&command->chal);
    command->target_refs = g_ptr_array_new_with_free_func(g_free);
    command->source_refs = g_ptr_array_new_with_free_func(g_free);
    command->items = g_ptr_array_new_with_free_func((GDestroyNotify)dm_item_free);
    command->children = g_ptr_array_new_with_free_func((GDestroyNotify)dm_command_free);
    return command;
}

void dm_command_free(DmCommand *command)
{
    if (command == NULL)
        return;
    g_free(command->element);
    g_free(command->raw_xml);
    dm_meta_clear(&command->meta);
    dm_meta_clear(&command->chal);
    g_free(command->correlator);
    g_free(command->cmd);
    g_ptr_array_unref(command->target_refs);
    g_ptr_array_unref(command->source_refs);
    g_ptr_array_unref(command->items);
    g_ptr_array_unref(command->children);
    g_free(command);
}

DmMessage *dm_message_new(void)
{
    DmMessage *message = g_new0(DmMessage, 1);

    message->has_header = TRUE;
    dm_meta_init(&message->meta);
    dm_meta_init(&message->cred_meta);
    message->commands = g_ptr_array_new_with_free_func((GDestroyNotify)dm_command_free);
    return message;
}

void dm_message_free(DmMessage *message)
{
    if (message == NULL)
        return;
    g_free(message->ver_dtd);
    g_free(message->ver_proto);
    g_free(message->session_id);
    g_free(message->target);
    g_free(message->target_name);
    g_free(message->source);
    g_free(message->source_name);
    g_free(message->resp_uri);
    dm_meta_clear(&message->cred_meta);
    g_free(message->cred_data);
    dm_meta_clear(&message->meta);
    g_ptr_array_unref(message->commands);
    g_free(message);
}

static const char *const command_names[] = {
    [DM_COMMAND_UNKNOWN] = NULL,    [DM_COMMAND_ALERT] = "Alert",
    [DM_COMMAND_ADD] = "Add",       [DM_COMMAND_REPLACE] = "Replace",
    [DM_COMMAND_DELETE] = "Delete", [DM_COMMAND_GET] = "Get",
    [DM_COMMAND_EXEC] = "Exec",     [DM_COMMAND_COPY] = "Copy",
    [DM_COMMAND_ATOMIC] = "Atomic", [DM_COMMAND_SEQUENCE] = "Sequence",
    [DM_COMMAND_STATUS] = "Status", [DM_COMMAND_RESULTS] = "Results",
};

const char *dm_command_type_name(DmCommandType type)
{
    return type < G_N_ELEMENTS(command_names) ? command_names[type] : NULL;
}
