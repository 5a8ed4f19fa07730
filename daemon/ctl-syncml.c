/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dmscctl syncml decode|encode: SyncML DM messages offline. */
#include "ctl.h"

#include <stdio.h>

static int syncml_decode(int argc, char **argv)
{
    g_autoptr(GBytes) input = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) message = NULL;
    g_autofree char *xml = NULL;

    if (argc > 2)
        return ctl_fail(CTL_EXIT_USAGE, "usage: dmscctl syncml decode [FILE|-]");
    if (!ctl_read_input(argc == 2 ? argv[1] : NULL, &input, &error))
        return ctl_fail(CTL_EXIT_NOINPUT, "%s", error->message);
    message =
        dm_message_parse_strict(g_bytes_get_data(input, NULL), g_bytes_get_size(input), &error);
    if (message == NULL)
        return ctl_fail(CTL_EXIT_DATAERR, "%s", error->message);
    xml = dm_message_to_xml(message, TRUE);
    fputs(xml, stdout);
    return CTL_EXIT_OK;
}

static int syncml_encode(int argc, char **argv)
{
    gboolean hex = FALSE;
    const GOptionEntry entries[] = {
        { "hex", 0, 0, G_OPTION_ARG_NONE, &hex, "Print hex instead of binary WBXML", NULL },
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("[FILE|-] - XML to WBXML");
    g_autoptr(GBytes) input = NULL;
    g_autoptr(GBytes) output = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) message = NULL;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, &error))
        return ctl_fail(CTL_EXIT_USAGE, "%s", error->message);
    if (argc > 2)
        return ctl_fail(CTL_EXIT_USAGE, "usage: dmscctl syncml encode [FILE|-] [--hex]");
    if (!ctl_read_input(argc == 2 ? argv[1] : NULL, &input, &error))
        return ctl_fail(CTL_EXIT_NOINPUT, "%s", error->message);
    message =
        dm_message_parse_strict(g_bytes_get_data(input, NULL), g_bytes_get_size(input), &error);
    if (message == NULL)
        return ctl_fail(CTL_EXIT_DATAERR, "%s", error->message);
    output = dm_message_to_wbxml(message, &error);
    if (output == NULL)
        return ctl_fail(CTL_EXIT_DATAERR, "%s", error->message);
    if (hex) {
        g_autofree char *text =
            cat_hex_encode(g_bytes_get_data(output, NULL), g_bytes_get_size(output));
        printf("%s\n", text);
    } else {
        fwrite(g_bytes_get_data(output, NULL), 1, g_bytes_get_size(output), stdout);
    }
    return CTL_EXIT_OK;
}

int ctl_syncml(int argc, char **argv)
{
    if (argc >= 2 && g_str_equal(argv[1], "decode"))
        return syncml_decode(argc - 1, argv + 1);
    if (argc >= 2 && g_str_equal(argv[1], "encode"))
        return syncml_encode(argc - 1, argv + 1);
    return ctl_fail(CTL_EXIT_USAGE, "usage: dmscctl syncml decode [FILE|-] | "
                                    "syncml encode [FILE|-] [--hex]");
}
