/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A typical server package of 20 commands through decode, the session engine and the encoder
 * of the reply, against a plain libxml2 parse and serialise of the same message, in the same
 * run. Prints both rates and their ratio. Run: meson test -C build --benchmark -v dm-session
 * Instructions per round (a figure the machine's load does not change), engine and floor:
 *   tests/bench/instructions.sh build/tests/bench/bench-dm run_engine 200   (divide by 200)
 *   tests/bench/instructions.sh build/tests/bench/bench-dm run_libxml2 200
 */
#include "dm/dm.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *package(void)
{
    GString *xml = g_string_new(
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2"
        "</VerProto><SessionID>1</SessionID><MsgID>2</MsgID><Target><LocURI>IMEI:1</LocURI>"
        "</Target><Source><LocURI>srv</LocURI></Source><Meta><MaxMsgSize xmlns=\"syncml:metinf\">"
        "65536</MaxMsgSize></Meta></SyncHdr><SyncBody><Status><CmdID>1</CmdID><MsgRef>1</MsgRef>"
        "<CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status>");
    int id = 2;

    for (int i = 0; i < 5; i++) {
        g_string_append_printf(xml,
                               "<Add><CmdID>%d</CmdID><Item><Target><LocURI>./Vendor/N%d</LocURI>"
                               "</Target><Meta><Format xmlns=\"syncml:metinf\">chr</Format>"
                               "</Meta><Data>value %d</Data></Item></Add>",
                               id++, i, i);
        g_string_append_printf(xml,
                               "<Replace><CmdID>%d</CmdID><Item><Target><LocURI>./Vendor/N%d"
                               "</LocURI></Target><Data>new %d</Data></Item></Replace>",
                               id++, i, i);
        g_string_append_printf(xml,
                               "<Get><CmdID>%d</CmdID><Item><Target><LocURI>./Vendor/N%d</LocURI>"
                               "</Target></Item></Get>",
                               id++, i);
        g_string_append_printf(xml,
                               "<Delete><CmdID>%d</CmdID><Item><Target><LocURI>./Vendor/N%d"
                               "</LocURI></Target></Item></Delete>",
                               id++, i);
    }
    g_string_append(xml, "<Final/></SyncBody></SyncML>");
    return g_string_free(xml, FALSE);
}

static __attribute__((noinline)) double run_engine(DmTree *tree, const char *xml, guint rounds)
{
    DmSessionConfig config = { .server_id = "srv",
                               .server_uri = "http://127.0.0.1/dm",
                               .client_id = "IMEI:1",
                               .session_id = "1" };
    gint64 start = g_get_monotonic_time();

    for (guint r = 0; r < rounds; r++) {
        g_autoptr(DmSession) session = dm_session_new(tree, &config);
        g_autoptr(GBytes) first = NULL, reply = NULL;
        dm_session_start(session);
        first = dm_session_take_output(session, NULL);
        if (dm_session_receive(session, (const guint8 *)xml, strlen(xml), NULL) != DM_SESSION_SEND)
            abort();
        reply = dm_session_take_output(session, NULL);
    }
    return (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
}

static __attribute__((noinline)) double run_libxml2(const char *xml, guint rounds)
{
    gint64 start = g_get_monotonic_time();

    for (guint r = 0; r < rounds; r++) {
        xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "m.xml", NULL, XML_PARSE_NONET);
        xmlChar *out = NULL;
        int length = 0;
        xmlDocDumpMemory(doc, &out, &length);
        xmlFree(out);
        xmlFreeDoc(doc);
    }
    return (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
}

int main(int argc, char **argv)
{
    guint rounds = argc > 1 ? (guint)atoi(argv[1]) : 2000;
    g_autofree char *xml = package();
    DmDeviceInfo info = { .dev_id = "IMEI:1" };
    g_autoptr(DmTree) tree = dm_tree_new();
    double engine, plain;

    dm_tree_add_standard_objects(tree, &info);
    dm_tree_add(tree, NULL, "./Vendor", "node", NULL, NULL, 0);
    dm_tree_replace_property(tree, NULL, "./Vendor", "ACL",
                             "Add=srv&Delete=srv&Get=srv&Replace=srv");
    engine = run_engine(tree, xml, rounds);
    plain = run_libxml2(xml, rounds);
    printf("dm session (decode, 20 commands, encode reply): %.0f packages/s\n", rounds / engine);
    printf("libxml2 parse + serialise of the same message:   %.0f messages/s\n", rounds / plain);
    printf("ratio (engine time / libxml2 time): %.1f\n", engine / plain);
    return 0;
}
