/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sessions file of the state directory, fed arbitrary bytes. */
#include "session.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void assert_same(const DmscdSessionRequest *a, const DmscdSessionRequest *b)
{
    g_assert_cmpstr(a->server_id, ==, b->server_id);
    g_assert_cmpstr(a->session_id, ==, b->session_id);
    g_assert_cmpstr(a->origin, ==, b->origin);
    g_assert_cmpint(a->ui_mode, ==, b->ui_mode);
    g_assert_cmpint(a->client_initiated, ==, b->client_initiated);
    g_assert_cmpint(a->encoding, ==, b->encoding);
    g_assert_cmpuint(a->attempts, ==, b->attempts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) skipped_again = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) requests = NULL;
    g_autoptr(GPtrArray) again = NULL;
    g_autofree char *text = NULL;
    g_autofree char *text_again = NULL;
    gsize length, length_again;

    requests = dmscd_session_store_parse((const char *)data, size, skipped, &error);
    if (requests == NULL) {
        g_assert_nonnull(error);
        g_assert_cmpuint(skipped->len, ==, 0);
        return 0;
    }
    g_assert_null(error);
    /* What dmscd writes of what it read reads back whole, as the same requests, and is
     * written again the same. */
    text = dmscd_session_store_to_data(requests, &length);
    again = dmscd_session_store_parse(text, length, skipped_again, NULL);
    g_assert_nonnull(again);
    g_assert_cmpuint(skipped_again->len, ==, 0);
    g_assert_cmpuint(again->len, ==, requests->len);
    for (guint i = 0; i < requests->len; i++)
        assert_same(g_ptr_array_index(requests, i), g_ptr_array_index(again, i));
    text_again = dmscd_session_store_to_data(again, &length_again);
    g_assert_cmpuint(length_again, ==, length);
    g_assert_true(memcmp(text_again, text, length) == 0);
    return 0;
}
