/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration file parser, fed arbitrary bytes. */
#include "config.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(DmscdConfig) config = dmscd_config_new();
    g_autoptr(GError) error = NULL;

    if (dmscd_config_apply_data(config, "fuzz", (const char *)data, size, &error)) {
        g_autofree char *dump = dmscd_config_to_data(config);
        g_assert_nonnull(dump);
    } else {
        g_assert_nonnull(error);
    }
    return 0;
}
