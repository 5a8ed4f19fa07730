/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SyncML WBXML reader (libwbxml, then the XML reader), fed arbitrary bytes. */
#include "dm/dm.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(DmMessage) m = dm_message_parse_wbxml(data, size, NULL);

    if (m != NULL) {
        g_autoptr(GBytes) wbxml = dm_message_to_wbxml(m, NULL);
        g_autoptr(DmMessage) again = NULL;

        /* What it writes as WBXML it reads back (a message with elements no code page carries
         * is refused instead). Not always as the same message: libwbxml rewrites some text,
         * "application/vnd.syncml-devinf+wbxml" becoming "+xml". */
        if (wbxml == NULL)
            return 0;
        again =
            dm_message_parse_wbxml(g_bytes_get_data(wbxml, NULL), g_bytes_get_size(wbxml), NULL);
        g_assert_nonnull(again);
    }
    return 0;
}
