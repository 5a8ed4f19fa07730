/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The values of the modem's CAT2 indications (raw commands, SCWS messages), arbitrary bytes. */
#include "daemon/modem/modem.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ModemCat2RawCommand raw;
    ModemScwsOpen open;
    ModemScwsState state;
    ModemScwsData send;

    if (modem_cat2_parse_raw_command(data, size, &raw, NULL)) {
        g_assert(raw.command + raw.length <= data + size);
        g_autoptr(CatMessage) message = cat_message_parse(raw.command, raw.length, NULL);
    }
    if (modem_scws_parse_open(data, size, &open, NULL))
        g_assert(open.port != 0);
    if (modem_scws_parse_state(data, size, &state, NULL))
        g_assert(state.state <= 2);
    if (modem_scws_parse_data(data, size, &send, NULL)) {
        g_assert(send.data + send.length <= data + size);
        g_assert(send.length <= MODEM_SCWS_MAX_PIECE);
        g_assert(send.current >= 1 && send.current <= send.total);
    }
    return 0;
}
