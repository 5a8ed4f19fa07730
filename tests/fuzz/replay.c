/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Replays a fuzz target's corpus without libFuzzer, so every ordinary test run feeds the
 * committed seeds (and any crash reproducer added to them) through the parser. Prints TAP.
 */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void collect(const char *path, GPtrArray *files)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    if (dir == NULL) {
        g_ptr_array_add(files, g_strdup(path));
        return;
    }
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        collect(child, files);
    }
}

static gint compare_paths(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv)
{
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
    int failed = 0;

    for (int i = 1; i < argc; i++)
        collect(argv[i], files);
    g_ptr_array_sort(files, compare_paths);

    printf("1..%u\n", files->len);
    for (guint i = 0; i < files->len; i++) {
        const char *path = g_ptr_array_index(files, i);
        g_autofree char *data = NULL;
        gsize size = 0;

        if (!g_file_get_contents(path, &data, &size, NULL)) {
            printf("not ok %u - %s: unreadable\n", i + 1, path);
            failed++;
            continue;
        }
        /* A copy of exactly @size bytes, so that a read past the end is caught by ASan. */
        g_autofree uint8_t *copy = g_memdup2(data, size);
        LLVMFuzzerTestOneInput(copy, size);
        printf("ok %u - %s\n", i + 1, path);
    }
    return failed == 0 ? 0 : 1;
}
