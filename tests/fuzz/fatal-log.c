/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linked into every fuzz target and corpus replay: a critical (a failed precondition) in any
 * domain, and a warning from GLib itself ("GError set over the top of a previous GError"),
 * abort the input that caused it. Without this they are lines in a log nobody reads, and
 * libFuzzer goes on as if nothing happened. The code under test may warn about its input in
 * its own domain; those warnings stay warnings.
 *
 * abort(), not GLib's fatal masks: those raise SIGTRAP, which kills libFuzzer before it can
 * keep the input as a crash reproducer.
 */
#include <glib.h>
#include <stdlib.h>

static const char *domain_of(const GLogField *fields, gsize n_fields)
{
    for (gsize i = 0; i < n_fields; i++) {
        if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
            return fields[i].value;
    }
    return NULL;
}

static GLogWriterOutput write_or_abort(GLogLevelFlags level, const GLogField *fields,
                                       gsize n_fields, gpointer user_data)
{
    const char *domain = domain_of(fields, n_fields);
    gboolean glib = domain != NULL && g_str_has_prefix(domain, "GLib");
    GLogWriterOutput output = g_log_writer_default(level, fields, n_fields, user_data);

    if ((level & G_LOG_LEVEL_CRITICAL) || (glib && (level & G_LOG_LEVEL_WARNING)))
        abort();
    return output;
}

static void __attribute__((constructor)) fatal_log_init(void)
{
    g_log_set_writer_func(write_or_abort, NULL, NULL);
}
