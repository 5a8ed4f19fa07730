/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The session engine fed arbitrary server messages: the first bytes pick the session's
 * options, the rest is the server message (XML or WBXML). Alerts are answered at once.
 */
#include "dm/dm.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static DmTree *base_tree(void)
{
    static DmTree *tree;

    if (tree == NULL) {
        DmDeviceInfo info = { .dev_id = "IMEI:1" };
        tree = dm_tree_new();
        dm_tree_add_standard_objects(tree, &info);
        dm_tree_add(tree, NULL, "./Vendor/Leaf", "chr", NULL, (const guint8 *)"v", 1);
    }
    return tree;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    DmSessionConfig config = { .server_id = "srv",
                               .server_uri = "http://127.0.0.1/dm",
                               .client_id = "IMEI:1" };
    g_autoptr(DmSession) session = NULL;
    g_autoptr(GBytes) output = NULL;
    DmSessionStep step;

    if (size < 1)
        return 0;
    /* Session ids of the shared SyncML samples, and options from the first byte. */
    static const char *const ids[] = { "1", "11", "22100", "30483", "12463", "18629" };
    config.session_id = ids[(data[0] & 0x07) % G_N_ELEMENTS(ids)];
    config.max_msg_size = (data[0] & 0x08) ? 1024 : 0;
    /* What dmscd answers in: WBXML one input in eight. libwbxml's encoder (through expat) is
     * most of what a WBXML output costs and is not what this target tests; the server's
     * message is read as XML or WBXML whatever the answers are in. */
    config.encoding = (data[0] & 0x70) == 0x70 ? DM_ENCODING_WBXML : DM_ENCODING_XML;
    session = dm_session_new(base_tree(), &config);
    dm_session_start(session);
    output = dm_session_take_output(session, NULL);
    /* The same message twice: the second finds the session in a later state. */
    for (int round = 0; round < 2; round++) {
        step = dm_session_receive(session, data + 1, size - 1, NULL);
        while (step == DM_SESSION_WAIT)
            step = dm_session_answer_alert(session, 408, NULL);
        g_clear_pointer(&output, g_bytes_unref);
        output = dm_session_take_output(session, NULL);
    }
    return 0;
}
