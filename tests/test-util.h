/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers the C test suites share. */
#pragma once

#include <check.h>
#include <glib.h>

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
