/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The values of the modem's CAT2 indications (raw commands, SCWS messages), arbitrary bytes. */
#include "daemon/modem/modem.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(QmiMessage) message = qmi_message_new(QMI_SERVICE_CAT2, 1, 1, 0x0001);
    const guint8 *value;
    guint16 length = 0;
    ModemCat2RawCommand raw;
    ModemScwsOpen open;
    ModemScwsState state;
    ModemScwsData send;
    guint16 mode;
    guint8 stage;

    /* The bytes are the value of TLV 0x10 (and 0x19) of an indication; libqmi builds no TLV
     * of nothing. */
    if (size == 0 || size > 0xffff - 64 ||
        !qmi_message_add_raw_tlv(message, 0x10, data, size, NULL) ||
        !qmi_message_add_raw_tlv(message, 0x19, data, size, NULL))
        return 0;
    value = qmi_message_get_raw_tlv(message, 0x10, &length);
    g_assert(value != NULL && length == size);
    (void)modem_cat2_parse_refresh(message, &mode, &stage, NULL);
    if (modem_cat2_parse_raw_command(message, 0x10, &raw, NULL)) {
        g_assert(raw.command >= value && raw.command + raw.length <= value + length);
        g_autoptr(CatMessage) command = cat_message_parse(raw.command, raw.length, NULL);
    }
    if (modem_scws_parse_open(message, &open, NULL))
        g_assert(open.port != 0);
    if (modem_scws_parse_state(message, &state, NULL))
        g_assert(state.state <= 2);
    if (modem_scws_parse_data(message, &send, NULL)) {
        g_assert(send.data >= value && send.data + send.length <= value + length);
        g_assert(send.length <= MODEM_SCWS_MAX_PIECE);
        g_assert(send.current >= 1 && send.current <= send.total);
    }
    return 0;
}
