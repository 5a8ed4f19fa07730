/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CAT message decoder, its JSON form and the encoder back, fed arbitrary bytes. */
#include "cat/cat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CatMessage) message = cat_message_parse(data, size, &error);
    g_autoptr(JsonNode) json = NULL;
    g_autoptr(GBytes) again = NULL;
    CatCommandDetails details;

    (void)cat_command_peek_details(data, size, &details);
    if (message == NULL) {
        g_assert_nonnull(error);
        return 0;
    }
    g_assert_null(error);
    json = cat_message_to_json(message, NULL, NULL);
    again = cat_message_from_json(json, NULL);
    if (again != NULL) {
        /* What dmscd encodes from a message it decoded decodes again, as the same kind of
         * message with as many objects. */
        g_autoptr(CatMessage) reparsed =
            cat_message_parse(g_bytes_get_data(again, NULL), g_bytes_get_size(again), NULL);
        g_assert_nonnull(reparsed);
        g_assert_cmpint(reparsed->kind, ==, message->kind);
        g_assert_cmpuint(reparsed->ber_tag, ==, message->ber_tag);
        g_assert_cmpuint(reparsed->n_objects, ==, message->n_objects);
    }
    return 0;
}
