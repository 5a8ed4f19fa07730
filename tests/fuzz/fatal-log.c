/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linked into every fuzz target and corpus replay: a critical (a failed precondition) in any
 * domain, and a warning from GLib itself ("GError set over the top of a previous GError"),
 * abort the input that caused it. Without this they are lines in a log nobody reads, and
 * libFuzzer goes on as if nothing happened. The code under test may warn about its input in
 * its own domain; those warnings stay warnings.
 */
#include <glib.h>

static void __attribute__((constructor)) fatal_log_init(void)
{
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_log_set_fatal_mask("GLib", G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    g_log_set_fatal_mask("GLib-GObject",
                         G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    g_log_set_fatal_mask("GLib-GIO", G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}
