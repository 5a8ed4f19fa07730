/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Well-formed CAT messages built from the structures of TS 102 223 and TS 102 384: one or
 * more per command type, terminal responses and envelopes. Shared by the unit tests, the
 * benchmark, the fuzz seed corpus and tests/integration (which reads this file).
 */
#pragma once

typedef struct {
    const char *name;
    const char *hex;
} CatVector;

/* One vector a line, kept whole for the integration tests that read them. */
/* clang-format off */
static const CatVector cat_vectors[] = {
    { "refresh_fcn", "d0128103010101820281829207013f007f106f3a" },
    { "refresh_reset", "d009810301010482028182" },
    { "set_up_event_list", "d00d8103010500820281829902090a" },
    { "send_short_message_dm_push", "d04981030113008202818305008b3c4100048121430004330605040b8423f0010603c4af873b211c3417bf6b16b34aca0048279ab202e800000012340e636f6d2e6578616d706c652e646d" },
    { "display_text_8bit", "d01a8103012180820281028d0f04546f6f6c6b697420546573742031" },
    { "display_text_ucs2", "d0248103012180820281028d1908041704140420041004120421042204120423041904220415" },
    { "get_inkey", "d0158103012200820281828d0a04456e74657220222b22" },
    { "get_input", "d01b8103012300820281828d0c04456e74657220313233343591020505" },
    { "select_item", "d02b810301240082028182850e546f6f6c6b69742053656c6563748f07014974656d20318f07024974656d2032" },
    { "set_up_menu", "d029810301250082028182850c546f6f6c6b6974204d656e758f07014974656d20318f07024974656d2032" },
    { "set_up_idle_mode_text", "d01a8103012800820281828d0f0449646c65204d6f64652054657874" },
    { "open_channel_server", "d012810301400182028182b90205783c03030dbc" },
    { "open_channel_client", "d03781030140018202818205074f70656e204944350702030403041f0239020578470a065465737447700272733c0301ad9c3e052101010101" },
    { "close_channel", "d009810301410082028121" },
    { "receive_data", "d00c810301420082028121b701c8" },
    { "send_data_immediate", "d013810301430182028121b6080001020304050607" },
    { "get_channel_status", "d009810301440082028182" },
    { "provide_local_information", "d009810301260082028182" },
    { "more_time", "d009810301020082028182" },
    { "timer_management", "d011810301270082028182a40101a503102030" },
    { "launch_browser", "d02e8103011500820281823116687474703a2f2f3132372e302e302e313a333531362f050b44656661756c742055524c" },
    { "play_tone", "d01b81030120008202810385094469616c20546f6e658e010184020105" },
    { "language_notification", "d00d810301350182028182ad027365" },
    { "send_ussd", "d0118103011200820281838a060faa180c3682" },
    { "set_up_call", "d0118103011000820281838606911032547698" },
    { "unknown_command", "d009810301990082028182" },
    { "three_byte_tag", "d012810301430182028121b601aa7f812302bbcc" },
    { "tr_open_channel_ok", "8103014001820282818301003802410039020578" },
    { "tr_bip_error", "81030140018202828183023a01" },
    { "tr_receive_data", "810301420082028281830100b610474554202f20485454502f312e300d0ab70100" },
    { "env_data_available", "d60e99010982028281b8028100b701ff" },
    { "env_channel_status", "d60b99010a82028281b8024100" },
    { "env_sms_pp_download", "d124820283818604912143658b1844048121437ff662208110000000090500032a0201616263" },
    { "env_menu_selection", "d30782020181900102" },
    { "env_unknown", "df0482028281" },
};
/* clang-format on */

#include <check.h>
#include <string.h>

/* The hex of the vector called @name; the test fails when there is none. */
static inline const char *vector(const char *name)
{
    for (size_t i = 0; i < sizeof(cat_vectors) / sizeof(cat_vectors[0]); i++) {
        if (strcmp(cat_vectors[i].name, name) == 0)
            return cat_vectors[i].hex;
    }
    ck_abort_msg("no vector %s", name);
    return NULL;
}
