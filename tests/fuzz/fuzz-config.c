/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration file parser, fed arbitrary bytes. */
#include "config.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(DmscdConfig) config = dmscd_config_new();
    g_autoptr(GError) error = NULL;

    if (dmscd_config_apply_data(config, "fuzz", (const char *)data, size, &error)) {
        /* What --check-config prints reads back as the same configuration. */
        g_autofree char *dump = dmscd_config_to_data(config);
        g_autoptr(DmscdConfig) again = dmscd_config_new();
        g_autofree char *dump_again = NULL;
        g_assert_true(dmscd_config_apply_data(again, "dump", dump, strlen(dump), NULL));
        dump_again = dmscd_config_to_data(again);
        g_assert_cmpstr(dump_again, ==, dump);
    } else {
        g_assert_nonnull(error);
    }
    return 0;
}
