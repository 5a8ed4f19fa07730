/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SyncML XML reader, and the writer on what it accepts, fed arbitrary bytes. */
#include "dm/dm.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(DmMessage) m = dm_message_parse_xml((const char *)data, size, NULL);

    if (m != NULL) {
        g_autofree char *xml = dm_message_to_xml(m, FALSE);
        g_autoptr(DmMessage) again = dm_message_parse_xml(xml, strlen(xml), NULL);
        g_autofree char *xml_again = NULL;

        /* What dmscd writes it reads back as the same message. */
        g_assert_nonnull(again);
        xml_again = dm_message_to_xml(again, FALSE);
        g_assert_cmpstr(xml_again, ==, xml);
    }
    return 0;
}
