/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How dmscctl prints: aligned tables and fields for people, JSON for scripts. */
#include "ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct CtlTable {
    guint columns;
    GPtrArray *cells; /* char *, row by row; the first row is the header */
    gboolean *right;  /* per column: numbers are aligned right */
};

CtlTable *ctl_table_new(const char *const *headers)
{
    CtlTable *table = g_new0(CtlTable, 1);

    table->columns = g_strv_length((char **)headers);
    table->cells = g_ptr_array_new_with_free_func(g_free);
    table->right = g_new0(gboolean, table->columns);
    for (guint i = 0; i < table->columns; i++) {
        /* ">NAME": a column of numbers. */
        table->right[i] = headers[i][0] == '>';
        g_ptr_array_add(table->cells, g_strdup(headers[i] + table->right[i]));
    }
    return table;
}

void ctl_table_free(CtlTable *table)
{
    if (table == NULL)
        return;
    g_ptr_array_unref(table->cells);
    g_free(table->right);
    g_free(table);
}

void ctl_table_add(CtlTable *table, const char *const *cells)
{
    for (guint i = 0; i < table->columns; i++)
        g_ptr_array_add(table->cells, g_strdup(cells[i] && cells[i][0] ? cells[i] : "-"));
}

guint ctl_table_rows(const CtlTable *table)
{
    return table->cells->len / table->columns - 1;
}

void ctl_table_print(const CtlTable *table)
{
    g_autofree glong *width = g_new0(glong, table->columns);

    for (guint i = 0; i < table->cells->len; i++) {
        glong w = g_utf8_strlen(g_ptr_array_index(table->cells, i), -1);
        width[i % table->columns] = MAX(width[i % table->columns], w);
    }
    for (guint i = 0; i < table->cells->len; i++) {
        guint column = i % table->columns;
        const char *cell = g_ptr_array_index(table->cells, i);
        int pad = (int)(width[column] - g_utf8_strlen(cell, -1));
        gboolean last = column == table->columns - 1;

        if (table->right[column])
            printf("%*s%s", pad, "", cell);
        else
            printf("%s%*s", cell, last ? 0 : pad, "");
        fputs(last ? "\n" : " ", stdout);
    }
}

void ctl_print_field(const char *name, const char *format, ...)
{
    va_list args;
    g_autofree char *value = NULL;

    va_start(args, format);
    value = g_strdup_vprintf(format, args);
    va_end(args);
    /* The width of the longest field name any command prints ("Last trigger"). */
    printf("%14s: %s\n", name, value[0] ? value : "-");
}

char *ctl_format_time(guint64 usec)
{
    g_autoptr(GDateTime) time = NULL;

    if (usec == 0)
        return g_strdup("-");
    time = g_date_time_new_from_unix_local((gint64)(usec / G_USEC_PER_SEC));
    return time ? g_date_time_format(time, "%Y-%m-%d %H:%M:%S") : g_strdup("-");
}

char *ctl_format_duration(guint64 start, guint64 end)
{
    guint64 usec;

    if (start == 0 || end < start)
        return g_strdup("-");
    usec = end - start;
    if (usec < G_USEC_PER_SEC)
        return g_strdup_printf("%" G_GUINT64_FORMAT "ms", usec / 1000);
    if (usec < 60 * G_USEC_PER_SEC)
        return g_strdup_printf("%.1fs", (double)usec / G_USEC_PER_SEC);
    return g_strdup_printf("%" G_GUINT64_FORMAT "min %" G_GUINT64_FORMAT "s",
                           usec / (60 * G_USEC_PER_SEC), usec / G_USEC_PER_SEC % 60);
}

/* ISO 8601 in UTC for scripts, or null. */
void ctl_json_add_time(JsonBuilder *builder, const char *name, guint64 usec)
{
    g_autoptr(GDateTime) time = NULL;
    g_autofree char *text = NULL;

    json_builder_set_member_name(builder, name);
    if (usec == 0 ||
        (time = g_date_time_new_from_unix_utc((gint64)(usec / G_USEC_PER_SEC))) == NULL) {
        json_builder_add_null_value(builder);
        return;
    }
    text = g_date_time_format_iso8601(time);
    json_builder_add_string_value(builder, text);
}

void ctl_json_add_string(JsonBuilder *builder, const char *name, const char *value)
{
    json_builder_set_member_name(builder, name);
    json_builder_add_string_value(builder, value);
}

void ctl_json_add_int(JsonBuilder *builder, const char *name, gint64 value)
{
    json_builder_set_member_name(builder, name);
    json_builder_add_int_value(builder, value);
}

void ctl_print_json_line(JsonNode *node)
{
    g_autoptr(JsonGenerator) generator = json_generator_new();
    g_autofree char *text = NULL;

    json_generator_set_root(generator, node);
    text = json_generator_to_data(generator, NULL);
    printf("%s\n", text);
    fflush(stdout);
}
