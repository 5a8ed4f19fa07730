/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine answering N Gets whose Results overflow MaxMsgSize (16 KiB) and go out over
 * several messages, against the scripted DM server in-process (no HTTP): what a message that
 * overflows costs to build, per command, for N = 100, 500 and 2,000. The time per Get should
 * stay flat as N grows; instructions per Get (callgrind):
 *   tests/bench/instructions.sh build/tests/bench/bench-outbox run_session 2000 1
 * gives one session of 2,000 Gets (divide by 2,000).
 * Run: meson test -C build --benchmark -v dm-outbox   (or bench-outbox [N ROUNDS])
 */
#include "dm/dm.h"
#include "script-server.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_MSG_SIZE 16384

static DmTree *tree_with_leaves(guint n)
{
    DmDeviceInfo info = { .dev_id = "IMEI:1" };
    DmTree *tree = dm_tree_new();

    dm_tree_add_standard_objects(tree, &info);
    dm_tree_add(tree, NULL, "./Bench", "node", NULL, NULL, 0);
    dm_tree_replace_property(tree, NULL, "./Bench", "ACL", "Get=srv");
    for (guint i = 0; i < n; i++) {
        g_autofree char *uri = g_strdup_printf("./Bench/Leaf%u", i);
        g_autofree char *value = g_strdup_printf("a value of forty bytes or so, number %u", i);
        dm_tree_add(tree, NULL, uri, "chr", NULL, (const guint8 *)value, strlen(value));
    }
    return tree;
}

/* One whole session; the number of messages the engine sent. */
/* Not inlined: tests/bench/instructions.sh counts it. */
static __attribute__((noinline)) guint run_session(DmTree *tree, const char *script)
{
    ScriptServerConfig server_config = { .server_id = "srv", .max_msg_size = MAX_MSG_SIZE };
    g_autoptr(ScriptServer) server = script_server_new(&server_config, script, NULL);
    DmSessionConfig config = { .server_id = "srv",
                               .server_uri = "http://127.0.0.1/dm",
                               .client_id = "IMEI:1",
                               .session_id = "1",
                               .server_initiated = TRUE,
                               .max_msg_size = MAX_MSG_SIZE };
    g_autoptr(DmSession) session = dm_session_new(tree, &config);
    DmSessionStep step = dm_session_start(session);
    guint messages = 0;

    while (step == DM_SESSION_SEND) {
        g_autoptr(GBytes) out = dm_session_take_output(session, NULL);
        g_autoptr(GBytes) answer = script_server_handle(server, out, NULL, NULL);
        messages++;
        if (answer == NULL)
            abort();
        step = dm_session_receive(session, g_bytes_get_data(answer, NULL), g_bytes_get_size(answer),
                                  NULL);
    }
    if (step != DM_SESSION_DONE || !script_server_is_finished(server))
        abort();
    return messages;
}

static void measure(guint n, guint rounds)
{
    g_autoptr(DmTree) tree = tree_with_leaves(n);
    g_autoptr(GString) script = g_string_new(NULL);
    gint64 start;
    guint messages = 0;
    double seconds;

    for (guint i = 0; i < n; i++)
        g_string_append_printf(script, "GET ./Bench/Leaf%u\n", i);
    start = g_get_monotonic_time();
    for (guint r = 0; r < rounds; r++)
        messages = run_session(tree, script->str);
    seconds = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
    printf("%5u Gets (%3u messages of at most %u bytes): %.2f us per Get\n", n, messages,
           MAX_MSG_SIZE, seconds * 1e6 / rounds / n);
}

int main(int argc, char **argv)
{
    if (argc > 2) {
        measure((guint)atoi(argv[1]), (guint)atoi(argv[2]));
        return 0;
    }
    measure(100, 40);
    measure(500, 8);
    measure(2000, 2);
    return 0;
}
