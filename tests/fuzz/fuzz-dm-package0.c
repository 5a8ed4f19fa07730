/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Package #0 parsing and digest checking, fed arbitrary bytes. */
#include "dm/dm.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const guint8 nonce[4] = { 0 };
    g_autoptr(DmNotification) n = dm_notification_parse(data, size, NULL);

    if (n != NULL) {
        g_autofree char *session = dm_notification_session_id(n);
        g_assert(strlen(n->server_id) > 0);
        (void)dm_notification_verify(n, "password", nonce, 4, nonce, 4, NULL);
    }
    return 0;
}
