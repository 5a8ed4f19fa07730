/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scripted DM server's script read into packages of commands (see script-server.h). */
#include "script.h"

#include <string.h>

static char *unescape(const char *text)
{
    GString *out = g_string_new(NULL);

    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\\' && p[1] != '\0') {
            p++;
            g_string_append_c(out, *p == 'n' ? '\n' : *p == 't' ? '\t' : *p);
        } else {
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}

static DmCommand *command_with_item(DmCommandType type, const char *target, const char *source,
                                    const char *format, const char *value)
{
    DmCommand *c = dm_command_new(type);
    DmItem *item = dm_item_new();

    item->target = g_strdup(target);
    item->source = g_strdup(source);
    item->meta.format = g_strdup(format);
    if (value != NULL) {
        g_autofree char *text = unescape(value);
        dm_item_set_data(item, text, strlen(text));
    }
    g_ptr_array_add(c->items, item);
    return c;
}

static void add_text_item(DmCommand *c, const char *text)
{
    DmItem *item = dm_item_new();
    g_autofree char *unescaped = unescape(text);

    dm_item_set_data(item, unescaped, strlen(unescaped));
    g_ptr_array_add(c->items, item);
}

/* A user interaction alert: the options item, the text, then any choices ("text|a|b"). */
static DmCommand *alert(int code, const char *options, const char *text)
{
    DmCommand *c = dm_command_new(DM_COMMAND_ALERT);
    g_auto(GStrv) parts = code >= 1103 ? g_strsplit(text, "|", -1) : NULL;

    c->code = code;
    add_text_item(c, options);
    if (parts == NULL)
        add_text_item(c, text);
    for (guint i = 0; parts != NULL && parts[i] != NULL; i++)
        add_text_item(c, parts[i]);
    return c;
}

/* What follows the first @n words of @line (words separated by spaces or tabs). */
static const char *after_words(const char *line, guint n)
{
    const char *p = line;

    for (guint i = 0; i < n; i++) {
        while (*p == ' ' || *p == '\t')
            p++;
        while (*p != '\0' && *p != ' ' && *p != '\t')
            p++;
    }
    if (*p == ' ' || *p == '\t')
        p++;
    return p;
}

gboolean script_parse(Script *script, const char *text, GError **error)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    GPtrArray *package = g_ptr_array_new_with_free_func((GDestroyNotify)dm_command_free);
    GPtrArray *stack = g_ptr_array_new(); /* open Atomic/Sequence containers */
    guint number = 0;

    script->packages = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (char **line = lines; *line != NULL; line++) {
        g_auto(GStrv) w = NULL;
        const char *rest;
        DmCommand *c = NULL;
        char *l = g_strstrip(*line);

        number++;
        if (l[0] == '\0' || l[0] == '#')
            continue;
        w = g_strsplit_set(l, " \t", 4);
        rest = after_words(l, 1);
        if (g_str_equal(w[0], "PACKAGE")) {
            g_ptr_array_add(script->packages, package);
            package = g_ptr_array_new_with_free_func((GDestroyNotify)dm_command_free);
            continue;
        }
        if (g_str_equal(w[0], "GET") && w[1])
            c = command_with_item(DM_COMMAND_GET, w[1], NULL, NULL, NULL);
        else if (g_str_equal(w[0], "ADD") && w[1] && w[2])
            c = command_with_item(DM_COMMAND_ADD, w[1], NULL, w[2],
                                  w[3] ? after_words(l, 3) : NULL);
        else if (g_str_equal(w[0], "REPLACE") && w[1] && w[2])
            c = command_with_item(DM_COMMAND_REPLACE, w[1], NULL, w[2], after_words(l, 3));
        else if (g_str_equal(w[0], "DELETE") && w[1])
            c = command_with_item(DM_COMMAND_DELETE, w[1], NULL, NULL, NULL);
        else if (g_str_equal(w[0], "EXEC") && w[1])
            c = command_with_item(DM_COMMAND_EXEC, w[1], NULL, NULL,
                                  w[2] ? after_words(l, 2) : NULL);
        else if (g_str_equal(w[0], "COPY") && w[1] && w[2])
            c = command_with_item(DM_COMMAND_COPY, w[2], w[1], NULL, NULL);
        else if (g_str_equal(w[0], "ALERT-DISPLAY"))
            c = alert(1100, "MINDT=1", rest);
        else if (g_str_equal(w[0], "ALERT-CONFIRM"))
            c = alert(1101, "MAXDT=10", rest);
        else if (g_str_equal(w[0], "ALERT-INPUT") && w[1] && w[2] && w[3]) {
            /* ALERT-INPUT MAXLEN DEFAULT TEXT */
            g_autofree char *options = g_strdup_printf("MAXDT=10&MAXLEN=%s&DR=%s", w[1], w[2]);
            c = alert(1102, options, after_words(l, 3));
        } else if (g_str_equal(w[0], "ALERT-CHOICE") || g_str_equal(w[0], "ALERT-CHOICES"))
            /* ALERT-CHOICE TEXT|ITEM|ITEM… (CHOICES: several may be picked) */
            c = alert(g_str_equal(w[0], "ALERT-CHOICE") ? 1103 : 1104, "MAXDT=10", rest);
        else if (g_str_equal(w[0], "ATOMIC-BEGIN") || g_str_equal(w[0], "SEQUENCE-BEGIN"))
            c = dm_command_new(w[0][0] == 'A' ? DM_COMMAND_ATOMIC : DM_COMMAND_SEQUENCE);
        else if ((g_str_equal(w[0], "ATOMIC-END") || g_str_equal(w[0], "SEQUENCE-END")) &&
                 stack->len > 0) {
            g_ptr_array_remove_index(stack, stack->len - 1);
            continue;
        } else {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "script line %u: %s", number,
                        l);
            g_ptr_array_unref(package);
            g_ptr_array_unref(stack);
            return FALSE;
        }
        if (stack->len > 0)
            g_ptr_array_add(((DmCommand *)g_ptr_array_index(stack, stack->len - 1))->children, c);
        else
            g_ptr_array_add(package, c);
        if (c->type == DM_COMMAND_ATOMIC || c->type == DM_COMMAND_SEQUENCE)
            g_ptr_array_add(stack, c);
    }
    if (package->len > 0)
        g_ptr_array_add(script->packages, package);
    else
        g_ptr_array_unref(package);
    g_ptr_array_unref(stack);
    return TRUE;
}
