/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running server messages through a session and reading what it answered. */
#pragma once

#include "dm/dm.h"

#include <check.h>
#include <string.h>

/* The tree of the AOSP transcript (design data README §1). */
static inline DmTree *aosp_tree(void)
{
    DmDeviceInfo info = { .dev_id = "000000011234564",
                          .manufacturer = "Motorola, Copyright 2005",
                          .model = "A780" };
    DmTree *tree = dm_tree_new();

    dm_tree_add_standard_objects(tree, &info);
    return tree;
}

/* "Cmd CmdRef Code" per Status, "Results CmdRef Source Format Data" per Results. */
static inline GPtrArray *summarize(GBytes *output)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) m =
        dm_message_parse(g_bytes_get_data(output, NULL), g_bytes_get_size(output), &error);
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);

    ck_assert_msg(m != NULL, "output does not parse: %s", error ? error->message : "");
    for (guint i = 0; i < m->commands->len; i++) {
        DmCommand *c = g_ptr_array_index(m->commands, i);
        if (c->type == DM_COMMAND_STATUS) {
            GString *line = g_string_new(NULL);
            g_string_printf(line, "%s %u %d", c->cmd, c->cmd_ref, c->code);
            for (guint k = 0; k < c->target_refs->len; k++)
                g_string_append_printf(line, " T=%s", (char *)g_ptr_array_index(c->target_refs, k));
            for (guint k = 0; k < c->source_refs->len; k++)
                g_string_append_printf(line, " S=%s", (char *)g_ptr_array_index(c->source_refs, k));
            for (guint k = 0; k < c->items->len; k++)
                g_string_append_printf(line, " I=%s",
                                       ((DmItem *)g_ptr_array_index(c->items, k))->data);
            g_ptr_array_add(lines, g_string_free(line, FALSE));
        } else if (c->type == DM_COMMAND_RESULTS) {
            for (guint k = 0; k < c->items->len; k++) {
                DmItem *item = g_ptr_array_index(c->items, k);
                g_ptr_array_add(lines,
                                g_strdup_printf("Results %u %s %s %s", c->cmd_ref, item->source,
                                                item->meta.format, item->data ? item->data : ""));
            }
        } else {
            g_ptr_array_add(lines,
                            g_strdup_printf("%s %d",
                                            c->element ? c->element : dm_command_type_name(c->type),
                                            c->code));
        }
    }
    if (m->final)
        g_ptr_array_add(lines, g_strdup("Final"));
    return lines;
}

static inline char *joined(GPtrArray *lines)
{
    g_ptr_array_add(lines, NULL);
    char *text = g_strjoinv("\n", (char **)lines->pdata);
    g_ptr_array_remove_index(lines, lines->len - 1);
    return text;
}
