/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dmscctl: the operator's tool. Talks to dmscd over D-Bus; decodes and encodes offline. */
#include "ctl.h"
#include "dmscd-build.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *usage; /* after the name, for the command list */
    const char *summary;
    int (*bus_command)(CtlOptions *options, int argc, char **argv);
    int (*offline_command)(int argc, char **argv);
} Command;

static const Command commands[] = {
    { "status", "", "The daemon's version, state and cards", ctl_status, NULL },
    { "cards", "", "The cards, one line each", ctl_cards, NULL },
    { "card", "N|PATH", "One card: modem, ICCID, SCWS ports, bootstrap, last trigger", ctl_card,
      NULL },
    { "sessions", "", "DM sessions: queued, running, the last finished", ctl_sessions, NULL },
    { "session", "N|PATH", "One DM session with every change it made", ctl_session, NULL },
    { "tree", "get URI | ls [-r] [URI]", "Read the device's DM tree", ctl_tree, NULL },
    { "trigger", "SERVER-ID [--encoding xml|wbxml] [--no-wait]",
      "Start a session with a DM server, wait for its result", ctl_trigger, NULL },
    { "monitor", "", "One line per event until interrupted", ctl_monitor, NULL },
    { "agent", "[--yes|--no]", "Answer the DM servers' questions", ctl_agent, NULL },
    { "cat", "decode HEX | encode [FILE|-]", "A CAT message as JSON and back (offline)", NULL,
      ctl_cat },
    { "notification", "decode HEX [--password PW] [--nonce-hex HEX] | encode ...",
      "DM package #0 (offline)", NULL, ctl_notification },
    { "syncml", "decode [FILE|-] | encode [FILE|-] [--hex]", "SyncML DM, XML or WBXML (offline)",
      NULL, ctl_syncml },
};

static const Command *find_command(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
        if (g_str_equal(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static char *command_list(void)
{
    GString *text = g_string_new("Commands:\n");

    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        g_autofree char *call = g_strdup_printf("%s %s", commands[i].name, commands[i].usage);
        /* A long usage gets a line of its own, the summary under it. */
        if (strlen(call) > 30)
            g_string_append_printf(text, "  %s\n  %-30s %s\n", call, "", commands[i].summary);
        else
            g_string_append_printf(text, "  %-30s %s\n", call, commands[i].summary);
    }
    g_string_append(text, "\nGlobal options (before or after the command): --system, --session, "
                          "--json.\n"
                          "Exit status: 0 done, 1 failed, 64 usage, 65 bad input, 66 missing input "
                          "file,\n69 dmscd not running, 77 permission denied.\n"
                          "See dmscctl COMMAND --help and dmscctl(1).");
    return g_string_free(text, FALSE);
}

int ctl_parse(CtlOptions *options, int *argc, char ***argv, const char *parameters,
              const char *summary, const GOptionEntry *entries, gboolean json, int min, int max)
{
    const GOptionEntry common[] = {
        { "system", 0, 0, G_OPTION_ARG_NONE, &options->system_bus,
          "Talk to dmscd on the system bus (the default)", NULL },
        { "session", 0, 0, G_OPTION_ARG_NONE, &options->session_bus,
          "Talk to dmscd on the session bus", NULL },
        G_OPTION_ENTRY_NULL,
    };
    const GOptionEntry json_entry[] = {
        { "json", 'j', 0, G_OPTION_ARG_NONE, &options->json, "Print JSON for scripts", NULL },
        G_OPTION_ENTRY_NULL,
    };
    g_autofree char *name = g_strdup_printf("dmscctl %s", (*argv)[0]);
    g_autoptr(GOptionContext) context = g_option_context_new(parameters);
    g_autoptr(GError) error = NULL;
    int words;

    /* The usage line names the command: "Usage: dmscctl card [OPTION…] N|PATH". */
    g_set_prgname(name);
    g_option_context_set_summary(context, summary);
    if (entries != NULL)
        g_option_context_add_main_entries(context, entries, NULL);
    g_option_context_add_main_entries(context, common, NULL);
    if (json)
        g_option_context_add_main_entries(context, json_entry, NULL);
    if (!g_option_context_parse(context, argc, argv, &error))
        return ctl_fail(CTL_EXIT_USAGE, "%s", error->message);
    if (options->json && !json)
        return ctl_fail(CTL_EXIT_USAGE, "%s has no --json", name);
    if (options->system_bus && options->session_bus)
        return ctl_fail(CTL_EXIT_USAGE, "--system and --session exclude each other");
    words = *argc - 1;
    if (words < min || words > max)
        return ctl_fail(CTL_EXIT_USAGE, "usage: %s %s (see %s --help)", name,
                        parameters ? parameters : "", name);
    return -1;
}

/* Offline commands parse their own words; --help for them is the command list's line. */
static int run_offline(const Command *command, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (g_str_equal(argv[i], "--help") || g_str_equal(argv[i], "-h")) {
            printf("Usage: dmscctl %s %s\n\n%s.\n", command->name, command->usage,
                   command->summary);
            return CTL_EXIT_OK;
        }
    }
    return command->offline_command(argc, argv);
}

int main(int argc, char **argv)
{
    CtlOptions options = { 0 };
    gboolean version = FALSE;
    const GOptionEntry entries[] = {
        { "system", 0, 0, G_OPTION_ARG_NONE, &options.system_bus,
          "Talk to dmscd on the system bus (the default)", NULL },
        { "session", 0, 0, G_OPTION_ARG_NONE, &options.session_bus,
          "Talk to dmscd on the session bus", NULL },
        { "json", 'j', 0, G_OPTION_ARG_NONE, &options.json, "Print JSON for scripts", NULL },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("COMMAND [ARGUMENT…]");
    g_autoptr(GError) error = NULL;
    g_autofree char *list = command_list();
    const Command *command;

    /* GLib writes --help and errors in the terminal's character set. */
    setlocale(LC_CTYPE, "");
    g_set_prgname("dmscctl");
    g_option_context_add_main_entries(context, entries, NULL);
    g_option_context_set_description(context, list);
    /* Options after the command belong to it (dmscctl cat decode --foo …). */
    g_option_context_set_strict_posix(context, TRUE);
    if (!g_option_context_parse(context, &argc, &argv, &error))
        return ctl_fail(CTL_EXIT_USAGE, "%s", error->message);
    if (version) {
        printf("dmscctl %s\n", DMSCD_VERSION);
        return CTL_EXIT_OK;
    }
    if (argc < 2)
        return ctl_fail(CTL_EXIT_USAGE, "a command is needed (see dmscctl --help)");
    command = find_command(argv[1]);
    if (command == NULL)
        return ctl_fail(CTL_EXIT_USAGE, "unknown command \"%s\" (see dmscctl --help)", argv[1]);
    if (command->offline_command != NULL)
        return run_offline(command, argc - 1, argv + 1);
    if (options.system_bus && options.session_bus)
        return ctl_fail(CTL_EXIT_USAGE, "--system and --session exclude each other");
    return command->bus_command(&options, argc - 1, argv + 1);
}
