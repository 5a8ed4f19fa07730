/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A card's SMS-SUBMIT turned into ModemManager's SMS properties, from arbitrary bytes. */
#include "daemon/modem/modem.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int packing = 0; packing < 2; packing++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(MMSmsProperties) sms = modem_card_sms_properties(data, size, packing, &error);
        const char *text;

        g_assert((sms == NULL) == (error != NULL));
        if (sms == NULL)
            continue;
        g_assert(mm_sms_properties_get_number(sms) != NULL);
        text = mm_sms_properties_get_text(sms);
        g_assert(text == NULL || g_utf8_validate(text, -1, NULL));
    }
    return 0;
}
