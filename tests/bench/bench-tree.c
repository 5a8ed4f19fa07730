/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Saving the DM tree: a tree the size of a router's (the standard objects, a card's account,
 * 30 vendor leaves: about 2 KB on disk) written N times, atomically and durably (write, fsync,
 * rename) into a temporary directory. Prints the time per save, fsyncs included;
 * instructions per save (callgrind counts no time spent in the kernel):
 *   tests/bench/instructions.sh build/tests/bench/bench-tree save_once 200
 * Run: meson test -C build --benchmark -v dm-tree-save   (or bench-tree [N])
 */
#include "dm/dm.h"

#include <glib/gstdio.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

static DmTree *router_tree(void)
{
    DmDeviceInfo info = { .dev_id = "IMEI:490154203237518",
                          .manufacturer = "dmscd",
                          .model = "router" };
    DmTree *tree = dm_tree_new();
    static const char *const account[][3] = {
        { "./DMAcc/CardDM", "node", NULL },
        { "./DMAcc/CardDM/ServerID", "chr", "card.dm" },
        { "./DMAcc/CardDM/AppAddr", "node", NULL },
        { "./DMAcc/CardDM/AppAddr/1", "node", NULL },
        { "./DMAcc/CardDM/AppAddr/1/Addr", "chr", "http://127.0.0.1:3516/dm" },
        { "./DMAcc/CardDM/AppAuth", "node", NULL },
        { "./DMAcc/CardDM/AppAuth/Srv", "node", NULL },
        { "./DMAcc/CardDM/AppAuth/Srv/AAuthLevel", "chr", "SRVCRED" },
        { "./DMAcc/CardDM/AppAuth/Srv/AAuthSecret", "chr", "pw" },
        { "./DMAcc/CardDM/AppAuth/Srv/AAuthData", "b64", "AAAAAA==" },
    };

    dm_tree_add_standard_objects(tree, &info);
    for (gsize i = 0; i < G_N_ELEMENTS(account); i++)
        dm_tree_add(tree, NULL, account[i][0], account[i][1], NULL, (const guint8 *)account[i][2],
                    account[i][2] ? strlen(account[i][2]) : 0);
    dm_tree_add(tree, NULL, "./Vendor", "node", NULL, NULL, 0);
    for (guint i = 0; i < 30; i++) {
        g_autofree char *uri = g_strdup_printf("./Vendor/Setting%u", i);
        dm_tree_add(tree, NULL, uri, "chr", NULL, (const guint8 *)"a value", 7);
    }
    return tree;
}

/* Not inlined: tests/bench/instructions.sh counts it. */
static __attribute__((noinline)) void save_once(const DmTree *tree, const char *path)
{
    g_autoptr(GError) error = NULL;

    if (!dm_tree_save(tree, path, &error)) {
        fprintf(stderr, "%s\n", error->message);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    guint rounds = argc > 1 ? (guint)atoi(argv[1]) : 200;
    g_autoptr(DmTree) tree = router_tree();
    g_autofree char *dir = g_dir_make_tmp("dmscd-bench-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "tree", NULL);
    GStatBuf st;
    gint64 start = g_get_monotonic_time();
    double seconds;

    for (guint r = 0; r < rounds; r++)
        save_once(tree, path);
    seconds = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
    if (g_stat(path, &st) != 0)
        return 1;
    printf("tree save (%lld bytes, write + fsync + rename): %.3f ms per save\n",
           (long long)st.st_size, seconds * 1000 / rounds);
    g_unlink(path);
    g_rmdir(dir);
    return 0;
}
