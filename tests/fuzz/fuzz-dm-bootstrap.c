/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A card's bootstrap file, arbitrary bytes, applied to a tree with the standard objects: it is
 * applied or refused (with an error), the tree given in never changes, and the card's nodes
 * come off an applied tree again and leave the device's own.
 */
#include "dm/dm.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static DmTree *tree;
    g_autoptr(DmTree) applied = NULL;
    g_autofree char *server_id = NULL;
    g_autoptr(GError) error = NULL;

    if (tree == NULL) {
        DmDeviceInfo info = { .dev_id = "IMEI:356938035643809" };

        tree = dm_tree_new();
        dm_tree_add_standard_objects(tree, &info);
    }
    applied = dm_bootstrap_apply(tree, data, size, "card:89", &server_id, &error);
    g_assert((applied == NULL) == (error != NULL));
    /* The card's nodes come off again and leave the device's own. */
    if (applied != NULL) {
        dm_tree_remove_origin(applied, "card:89");
        g_assert(dm_tree_exists(applied, "./DevInfo/DevId"));
    }
    g_assert(!dm_tree_exists(tree, "./DMAcc/Card"));
    return 0;
}
