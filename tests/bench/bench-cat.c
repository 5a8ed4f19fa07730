/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Decodes a mixed corpus of CAT messages (every command type, terminal responses, envelopes)
 * and prints messages per second, and the ratio against a floor measured in the same run (a
 * copy of each message's bytes and a bare walk over its objects: what any decoder must do),
 * which holds on a busy machine where the rate does not. Also times decode + JSON, which
 * `dmscctl cat decode` does.
 * Run: meson test -C build --benchmark cat-decode -v   (or build/tests/bench/bench-cat [N]);
 * instructions per message: tests/bench/instructions.sh build/tests/bench/bench-cat
 * cat_message_parse 20
 */
#include "cat/cat.h"
#include "tests/cat/vectors.h"

#include <stdio.h>
#include <stdlib.h>

static GPtrArray *load_corpus(void)
{
    GPtrArray *corpus = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);

    for (gsize i = 0; i < G_N_ELEMENTS(cat_vectors); i++) {
        const char *hex = cat_vectors[i].hex;
        gsize n = strlen(hex) / 2;
        guint8 *data = g_malloc(n);
        for (gsize k = 0; k < n; k++)
            data[k] = (guint8)(g_ascii_xdigit_value(hex[2 * k]) << 4 |
                               g_ascii_xdigit_value(hex[2 * k + 1]));
        g_ptr_array_add(corpus, g_bytes_new_take(data, n));
    }
    return corpus;
}

static double run(GPtrArray *corpus, guint rounds, gboolean with_json, gsize *decoded)
{
    gint64 start = g_get_monotonic_time();

    *decoded = 0;
    for (guint r = 0; r < rounds; r++) {
        for (guint i = 0; i < corpus->len; i++) {
            GBytes *bytes = g_ptr_array_index(corpus, i);
            g_autoptr(CatMessage) message =
                cat_message_parse(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes), NULL);
            if (message == NULL)
                abort();
            if (with_json) {
                g_autoptr(JsonNode) json = cat_message_to_json(message, NULL, NULL);
            }
            (*decoded)++;
        }
    }
    return (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
}

/* The floor: copy the bytes, walk the objects. */
static double run_floor(GPtrArray *corpus, guint rounds)
{
    gint64 start = g_get_monotonic_time();
    gsize objects = 0;

    for (guint r = 0; r < rounds; r++) {
        for (guint i = 0; i < corpus->len; i++) {
            GBytes *bytes = g_ptr_array_index(corpus, i);
            gsize length = g_bytes_get_size(bytes);
            g_autofree guint8 *copy = g_memdup2(g_bytes_get_data(bytes, NULL), length);
            gsize skip = copy[0] >= 0xd0 ? (copy[1] == 0x81 ? 3 : 2) : 0;
            CatTlvIter iter;
            CatTlv tlv;
            cat_tlv_iter_init(&iter, copy + skip, length - skip, skip);
            while (cat_tlv_iter_next(&iter, &tlv, NULL) > 0)
                objects++;
        }
    }
    if (objects == 0)
        abort();
    return (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
}

int main(int argc, char **argv)
{
    g_autoptr(GPtrArray) corpus = load_corpus();
    guint rounds = argc > 1 ? (guint)atoi(argv[1]) : 20000;
    gsize decoded;
    double seconds;

    double floor;

    seconds = run(corpus, rounds, FALSE, &decoded);
    floor = run_floor(corpus, rounds);
    printf("cat decode: %zu messages (%u kinds) in %.3f s: %.0f messages/s\n", decoded, corpus->len,
           seconds, decoded / seconds);
    printf("floor (copy + bare object walk): %.0f messages/s; decode / floor: %.1f\n",
           decoded / floor, seconds / floor);
    seconds = run(corpus, rounds / 10, TRUE, &decoded);
    printf("cat decode + JSON: %zu messages in %.3f s: %.0f messages/s\n", decoded, seconds,
           decoded / seconds);
    return 0;
}
