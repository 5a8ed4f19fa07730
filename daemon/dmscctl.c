/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dmscctl: the operator's tool. Talks to dmscd over D-Bus. */
#include "ctl.h"
#include "dmscd-build.h"
#include "dbus/dbus-api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    gboolean system_bus;
    gboolean session_bus;
    gboolean version;
} Options;

static const char *bus_name(const Options *options)
{
    return options->session_bus ? "session bus" : "system bus";
}

static gboolean daemon_absent(const sd_bus_error *error)
{
    return sd_bus_error_has_name(error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
           sd_bus_error_has_name(error, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

static int get_string_property(sd_bus *bus, const Options *options, const char *property,
                               char **value)
{
    sd_bus_error error = SD_BUS_ERROR_NULL;
    int r;

    r = sd_bus_get_property_string(bus, DBUS_API_NAME, DBUS_API_PATH, DBUS_API_MANAGER_INTERFACE,
                                   property, &error, value);
    if (r >= 0)
        return EXIT_SUCCESS;
    if (daemon_absent(&error)) {
        fprintf(stderr, "dmscctl: dmscd is not running (%s has no owner on the %s)\n",
                DBUS_API_NAME, bus_name(options));
        r = CTL_EXIT_UNAVAILABLE;
    } else {
        fprintf(stderr, "dmscctl: cannot read %s: %s\n", property,
                error.message ? error.message : strerror(-r));
        r = EXIT_FAILURE;
    }
    sd_bus_error_free(&error);
    return r;
}

/* One line a card: its object, modem, identifier, SCWS ports, bootstrap and its server. */
static void print_cards(sd_bus *bus)
{
    sd_bus_message *reply = NULL;
    sd_bus_error error = SD_BUS_ERROR_NULL;
    const char *path;

    if (sd_bus_call_method(bus, DBUS_API_NAME, DBUS_API_PATH, "org.freedesktop.DBus.ObjectManager",
                           "GetManagedObjects", &error, &reply, "") < 0) {
        sd_bus_error_free(&error);
        return;
    }
    sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
    while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
        g_autofree char *modem = NULL, *identifier = NULL, *bootstrap = NULL, *server = NULL;
        g_autoptr(GString) ports = g_string_new(NULL);
        const char *interface;

        sd_bus_message_read(reply, "o", &path);
        sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
        while (sd_bus_message_enter_container(reply, 'e', "sa{sv}") > 0) {
            sd_bus_message_read(reply, "s", &interface);
            sd_bus_message_enter_container(reply, 'a', "{sv}");
            while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
                const char *name, *text;
                sd_bus_message_read(reply, "s", &name);
                char **field = g_str_equal(name, "Modem")            ? &modem
                               : g_str_equal(name, "Identifier")     ? &identifier
                               : g_str_equal(name, "BootstrapState") ? &bootstrap
                               : g_str_equal(name, "ServerId")       ? &server
                                                                     : NULL;
                if (field != NULL) {
                    sd_bus_message_read(reply, "v", "s", &text);
                    g_free(*field);
                    *field = g_strdup(text);
                } else if (g_str_equal(name, "ScwsPorts")) {
                    const guint16 *values;
                    size_t size = 0;
                    sd_bus_message_enter_container(reply, 'v', "aq");
                    sd_bus_message_read_array(reply, 'q', (const void **)&values, &size);
                    for (size_t i = 0; i < size / sizeof(guint16); i++)
                        g_string_append_printf(ports, "%s%u", i ? "," : "", values[i]);
                    sd_bus_message_exit_container(reply);
                } else {
                    sd_bus_message_skip(reply, "v");
                }
                sd_bus_message_exit_container(reply);
            }
            sd_bus_message_exit_container(reply);
            sd_bus_message_exit_container(reply);
        }
        sd_bus_message_exit_container(reply);
        sd_bus_message_exit_container(reply);
        if (modem != NULL)
            printf("Card: %s modem %s identifier %s SCWS ports %s bootstrap %s server %s\n", path,
                   modem, identifier && identifier[0] ? identifier : "-",
                   ports->len ? ports->str : "-", bootstrap ? bootstrap : "-",
                   server && server[0] ? server : "-");
    }
    sd_bus_message_unref(reply);
}

static int command_status(sd_bus *bus, const Options *options)
{
    g_autofree char *version = NULL;
    g_autofree char *state = NULL;
    int status;

    status = get_string_property(bus, options, "Version", &version);
    if (status == EXIT_SUCCESS)
        status = get_string_property(bus, options, "State", &state);
    if (status != EXIT_SUCCESS)
        return status;
    printf("Version: %s\nState: %s\n", version, state);
    print_cards(bus);
    return EXIT_SUCCESS;
}

static int with_bus(const Options *options, int (*command)(sd_bus *, const Options *))
{
    sd_bus *bus = NULL;
    int r, status;

    r = options->session_bus ? sd_bus_open_user(&bus) : sd_bus_open_system(&bus);
    if (r < 0) {
        fprintf(stderr, "dmscctl: dmscd is not running (cannot connect to the %s: %s)\n",
                bus_name(options), strerror(-r));
        return CTL_EXIT_UNAVAILABLE;
    }
    status = command(bus, options);
    sd_bus_flush_close_unref(bus);
    return status;
}

static const char summary[] =
    "Commands:\n"
    "  status                         Show the daemon's version and state\n"
    "  cat decode HEX                 A CAT message as JSON (offline)\n"
    "  cat encode [FILE|-]            JSON back to the CAT message's hex (offline)\n"
    "  notification decode HEX [--password PW] [--nonce-hex HEX]\n"
    "  notification encode --server-id ID --password PW --session-id N [...]\n"
    "  syncml decode [FILE|-]         SyncML DM (XML or WBXML) as pretty XML (offline)\n"
    "  syncml encode [FILE|-] [--hex] SyncML DM XML to WBXML (offline)";

int main(int argc, char **argv)
{
    Options options = { 0 };
    const GOptionEntry entries[] = {
        { "system", 0, 0, G_OPTION_ARG_NONE, &options.system_bus,
          "Talk to dmscd on the system bus (the default)", NULL },
        { "session", 0, 0, G_OPTION_ARG_NONE, &options.session_bus,
          "Talk to dmscd on the session bus", NULL },
        { "version", 0, 0, G_OPTION_ARG_NONE, &options.version, "Print the version and exit",
          NULL },
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("COMMAND");
    g_autoptr(GError) error = NULL;

    g_set_prgname("dmscctl");
    g_option_context_add_main_entries(context, entries, NULL);
    g_option_context_set_summary(context, summary);
    /* Options after the command belong to it (dmscctl cat decode --foo …). */
    g_option_context_set_strict_posix(context, TRUE);
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        fprintf(stderr, "dmscctl: %s\n", error->message);
        return CTL_EXIT_USAGE;
    }
    if (options.version) {
        printf("dmscctl %s\n", DMSCD_VERSION);
        return EXIT_SUCCESS;
    }
    if (options.system_bus && options.session_bus) {
        fprintf(stderr, "dmscctl: --system and --session exclude each other\n");
        return CTL_EXIT_USAGE;
    }
    if (argc < 2) {
        fprintf(stderr, "dmscctl: a command is needed (see dmscctl --help)\n");
        return CTL_EXIT_USAGE;
    }
    if (g_str_equal(argv[1], "status") && argc == 2)
        return with_bus(&options, command_status);
    if (g_str_equal(argv[1], "cat"))
        return ctl_cat(argc - 1, argv + 1);
    if (g_str_equal(argv[1], "notification"))
        return ctl_notification(argc - 1, argv + 1);
    if (g_str_equal(argv[1], "syncml"))
        return ctl_syncml(argc - 1, argv + 1);

    fprintf(stderr, "dmscctl: unknown command or arguments: %s (see dmscctl --help)\n", argv[1]);
    return CTL_EXIT_USAGE;
}
