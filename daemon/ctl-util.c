/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

int ctl_fail(int status, const char *format, ...)
{
    va_list args;
    g_autofree char *message = NULL;

    va_start(args, format);
    message = g_strdup_vprintf(format, args);
    va_end(args);
    /* One line, whatever the message held. */
    g_strdelimit(message, "\n", ' ');
    fprintf(stderr, "dmscctl: %s\n", message);
    return status;
}

gboolean ctl_read_input(const char *path, GBytes **out, GError **error)
{
    g_autofree char *data = NULL;
    gsize length = 0;

    if (path != NULL && !g_str_equal(path, "-")) {
        if (!g_file_get_contents(path, &data, &length, error))
            return FALSE;
        *out = g_bytes_new_take(g_steal_pointer(&data), length);
        return TRUE;
    }

    g_autoptr(GByteArray) buffer = g_byte_array_new();
    guint8 chunk[4096];
    ssize_t n;

    while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "standard input: %s",
                        g_strerror(errno));
            return FALSE;
        }
        g_byte_array_append(buffer, chunk, (guint)n);
    }
    *out = g_byte_array_free_to_bytes(g_steal_pointer(&buffer));
    return TRUE;
}

void ctl_print_json(JsonNode *node)
{
    g_autoptr(JsonGenerator) generator = json_generator_new();
    g_autofree char *text = NULL;

    json_generator_set_pretty(generator, TRUE);
    json_generator_set_indent(generator, 2);
    json_generator_set_root(generator, node);
    text = json_generator_to_data(generator, NULL);
    printf("%s\n", text);
}
