/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers the C test suites share. */
#pragma once

#include <check.h>
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>

/* Hex (spaces allowed between digits) to bytes; the test fails on anything else. */
static inline GByteArray *hex(const char *text)
{
    GByteArray *out = g_byte_array_new();
    int high = -1;

    for (const char *p = text; *p != '\0'; p++) {
        int digit;
        if (g_ascii_isspace(*p))
            continue;
        digit = g_ascii_xdigit_value(*p);
        ck_assert_msg(digit >= 0, "not hex: %s", text);
        if (high < 0) {
            high = digit;
        } else {
            guint8 b = (guint8)(high << 4 | digit);
            g_byte_array_append(out, &b, 1);
            high = -1;
        }
    }
    ck_assert_msg(high < 0, "odd hex: %s", text);
    return out;
}

/* A loopback TCP port nobody listens on: bound for a moment and let go. */
static inline guint16 free_port(void)
{
    g_autoptr(GSocket) socket =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string("127.0.0.1", 0);
    g_autoptr(GSocketAddress) bound = NULL;

    ck_assert(g_socket_bind(socket, any, TRUE, NULL));
    bound = g_socket_get_local_address(socket, NULL);
    return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

/* Removes @path and everything below it: a test's temporary directory goes whole, whatever the
 * code under test left in it (a file moved aside, a save's temporary file), so that a test run
 * leaves nothing in $TMPDIR (run.sh checks). */
static inline void test_remove_tree(const char *path)
{
    g_autoptr(GDir) dir = NULL;
    const char *name;

    if (path == NULL)
        return;
    dir = g_dir_open(path, 0, NULL);
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *child = g_build_filename(path, name, NULL);

        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
            test_remove_tree(child);
        else
            g_unlink(child);
    }
    g_remove(path);
}
