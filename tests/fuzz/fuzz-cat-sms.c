/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SMS TPDUs in both directions, WSP push PDUs and text decoding, fed arbitrary bytes. */
#include "cat/cat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CatSmsTpdu sms;
    CatWapPush push;

    for (int direction = 0; direction < 2; direction++) {
        if (cat_sms_parse(data, size, direction, &sms, NULL)) {
            g_autofree char *text =
                cat_gsm_packed_to_utf8(sms.user_data, sms.user_data_length, sms.user_data_septets,
                                       sms.user_data_fill_bits);
            if (cat_wap_push_parse(sms.user_data, sms.user_data_length, &push, NULL))
                g_assert(push.body + push.body_length == sms.user_data + sms.user_data_length);
        }
    }
    (void)cat_wap_push_parse(data, size, &push, NULL);
    if (size > 0) {
        g_autofree char *alpha = cat_alpha_to_utf8(data, size, NULL, NULL);
        g_autofree char *text = cat_text_to_utf8(data[0], data + 1, size - 1);
    }
    return 0;
}
