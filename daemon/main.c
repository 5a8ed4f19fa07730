/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dmscd: the daemon's entry point, its lifecycle and its conversation with systemd. */
#include "cards.h"
#include "dmscd.h"
#include "session.h"
#include "dbus/dbus-api.h"

#include <glib-unix.h>
#include <grp.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

/* sysexits.h values, spelled out so that the numbers in the docs are visible here. */
enum {
    EXIT_USAGE = 64,
    EXIT_CONFIG = 78,
};

typedef struct {
    GMainLoop *loop;
    int status;      /* what dmscd exits with once the loop ends */
    const char *bus; /* "system" or "session" */
    DbusApiServer *server;
    DmscdTree tree;
    DmscdSessions *sessions;
    DmscdCards *cards;
    Modem *modem;
    ModemDiscovery *discovery;
} Dmscd;

typedef struct {
    char *config_path;
    gboolean session_bus;
    gboolean debug;
    gboolean version;
    gboolean check_config;
} Options;

static void options_clear(Options *options)
{
    g_free(options->config_path);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Options, options_clear)

static void set_state(Dmscd *dmscd, const char *state)
{
    dbus_api_server_set_state(dmscd->server, state);
    sd_notifyf(0, "STATUS=%s", state);
    g_debug("state: %s", state);
}

static gboolean on_stop_signal(gpointer user_data)
{
    Dmscd *dmscd = user_data;

    g_message("stopping on signal");
    sd_notify(0, "STOPPING=1");
    set_state(dmscd, "stopping");
    g_main_loop_quit(dmscd->loop);
    return G_SOURCE_CONTINUE;
}

/*
 * The bus went away, and the name and the API with it. Stopping with a failure lets systemd
 * start dmscd again (Restart=on-failure), connected to the bus once it is back; what the loop's
 * end saves (sessions asked for and cut short) runs again then, as after any stop.
 */
static void on_bus_lost(gpointer user_data)
{
    Dmscd *dmscd = user_data;

    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "MESSAGE_ID", DMSCD_MESSAGE_BUS_LOST,
                     "MESSAGE", "lost the connection to the %s bus: stopping", dmscd->bus);
    sd_notify(0, "STOPPING=1\nSTATUS=stopping: the bus went away");
    dmscd->status = EXIT_FAILURE;
    g_main_loop_quit(dmscd->loop);
}

static gboolean on_watchdog(gpointer user_data)
{
    sd_notify(0, "WATCHDOG=1");
    return G_SOURCE_CONTINUE;
}

static guint add_watchdog(void)
{
    uint64_t usec = 0;

    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;
    /* Half the interval leaves room for a busy loop iteration. */
    return g_timeout_add(MAX(usec / 2000, 1), on_watchdog, NULL);
}

static gboolean parse_options(Options *options, int *argc, char ***argv, GError **error)
{
    const GOptionEntry entries[] = {
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &options->config_path,
          "Configuration file (default " DMSCD_CONFIG_FILE ")", "FILE" },
        { "session-bus", 0, 0, G_OPTION_ARG_NONE, &options->session_bus,
          "Use the session bus instead of the system bus", NULL },
        { "debug", 'd', 0, G_OPTION_ARG_NONE, &options->debug, "Log debug messages", NULL },
        { "check-config", 0, 0, G_OPTION_ARG_NONE, &options->check_config,
          "Print the effective configuration and exit", NULL },
        { "version", 0, 0, G_OPTION_ARG_NONE, &options->version, "Print the version and exit",
          NULL },
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- OMA DM Smart Card daemon");

    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, argc, argv, error))
        return FALSE;
    if (*argc > 1) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unexpected argument: %s",
                    (*argv)[1]);
        return FALSE;
    }
    return TRUE;
}

static DmscdConfig *load_config(const Options *options, GError **error)
{
    g_autoptr(DmscdConfig) config = NULL;

    /* Only a file named on the command line has to exist. */
    config = dmscd_config_load(options->config_path ? options->config_path : DMSCD_CONFIG_FILE,
                               options->config_path != NULL, error);
    if (config == NULL)
        return NULL;
    for (guint i = 0; i < config->warnings->len; i++)
        g_warning("%s", (const char *)g_ptr_array_index(config->warnings, i));
    return g_steal_pointer(&config);
}

static gboolean on_read_node(const char *uri, DbusApiNode *node, gpointer user_data, GError **error)
{
    return dmscd_tree_read_node(user_data, uri, node, error);
}

static char *on_trigger(const char *server_id, const DbusApiTriggerOptions *options,
                        gpointer user_data, GError **error)
{
    DmEncoding encoding =
        g_strcmp0(options->encoding, "wbxml") == 0 ? DM_ENCODING_WBXML : DM_ENCODING_XML;

    return dmscd_sessions_trigger(user_data, server_id,
                                  options->encoding != NULL ? &encoding : NULL, error);
}

static int run(const Options *options, const DmscdConfig *config)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Dmscd dmscd = {
        .loop = loop,
        .status = EXIT_SUCCESS,
        .bus = options->session_bus ? "session" : "system",
    };
    ModemOptions modem_options = { 0 };
    DmscdSessionOptions session_options = { 0 };
    g_autofree char *session_store = NULL;
    g_autoptr(GTlsDatabase) trust = NULL;
    guint sigterm, sigint, watchdog;

    if (config->session_ca_file != NULL &&
        (trust = g_tls_file_database_new(config->session_ca_file, &error)) == NULL) {
        g_critical("configuration: [session] ca-file=%s: %s", config->session_ca_file,
                   error->message);
        return EXIT_CONFIG;
    }
    dmscd.server =
        dbus_api_server_new(options->session_bus ? DBUS_API_BUS_SESSION : DBUS_API_BUS_SYSTEM,
                            DMSCD_VERSION, "starting", &error);
    if (dmscd.server == NULL) {
        g_critical("%s", error->message);
        return EXIT_FAILURE;
    }
    /* Only the instance that owns the name touches the state directory. */
    dmscd.tree.tree = dmscd_tree_open(config, &error);
    dmscd.tree.path = dmscd_tree_path(config);
    if (dmscd.tree.tree == NULL) {
        g_free(dmscd.tree.path);
        g_free(dmscd.tree.dev_id_modem);
        g_clear_pointer(&dmscd.tree.cards, g_hash_table_unref);
        g_critical("%s", error->message);
        dbus_api_server_release_name(dmscd.server);
        dbus_api_server_free(dmscd.server);
        return EXIT_FAILURE;
    }
    g_message("dmscd %s owns %s on the %s bus", DMSCD_VERSION, DBUS_API_NAME, dmscd.bus);

    dmscd.tree.card_bootstrap = config->card_bootstrap;
    dmscd.tree.resync_nonce = config->resync_nonce;
    session_options.timeout = (guint)config->session_timeout;
    session_options.max_duration = (guint)config->session_max_duration;
    session_options.max_msg_size = (gsize)config->session_max_msg_size;
    session_options.encoding = (DmEncoding)config->session_encoding;
    session_options.retries = (guint)config->session_retries;
    session_options.queue_size = (guint)config->session_queue_size;
    session_options.retry_delay = (guint)config->session_retry_delay;
    session_store = g_build_filename(config->state_directory, DMSCD_SESSIONS_FILE, NULL);
    session_options.store = session_store;
    session_options.trust = trust;
    dmscd.sessions = dmscd_sessions_new(&dmscd.tree, &session_options, dmscd.server);
    dbus_api_server_set_trigger_handler(dmscd.server, on_trigger, dmscd.sessions);
    dbus_api_server_set_lost_handler(dmscd.server, on_bus_lost, &dmscd);
    dbus_api_server_set_node_reader(dmscd.server, on_read_node, &dmscd.tree);
    if (config->dbus_admin_group != NULL) {
        struct group *group = getgrnam(config->dbus_admin_group);
        if (group == NULL)
            g_warning("[dbus] admin-group=%s: no such group; methods stay root's",
                      config->dbus_admin_group);
        else
            dbus_api_server_set_admin_group(dmscd.server, (unsigned int)group->gr_gid);
    }
    /* A configured device bypasses ModemManager. */
    dmscd.cards = dmscd_cards_new(&dmscd.tree, dmscd.sessions, dmscd.server);
    modem_options.read_bootstrap = config->card_bootstrap;
    modem_options.scws.client_wait = (guint)config->scws_client_wait;
    modem_options.scws.client_idle = (guint)config->scws_client_idle;
    if (config->modem_device != NULL)
        dmscd.modem = modem_new(config->modem_device, config->modem_proxy_path, &modem_options,
                                dmscd_cards_events(), dmscd.cards);
    else
        dmscd.discovery = modem_discovery_new(options->session_bus, config->modem_proxy_path,
                                              &modem_options, dmscd_cards_events(), dmscd.cards);

    sigterm = g_unix_signal_add(SIGTERM, on_stop_signal, &dmscd);
    sigint = g_unix_signal_add(SIGINT, on_stop_signal, &dmscd);
    watchdog = add_watchdog();

    set_state(&dmscd, "running");
    sd_notify(0, "READY=1");
    /* Sessions asked for before the last stop are asked for again (a card's server may not be
     * up yet: they are tried again as any other). */
    dmscd_sessions_restore(dmscd.sessions);
    g_main_loop_run(loop);

    g_source_remove(sigterm);
    g_source_remove(sigint);
    if (watchdog != 0)
        g_source_remove(watchdog);
    modem_discovery_free(dmscd.discovery);
    modem_free(dmscd.modem);
    dmscd_cards_free(dmscd.cards);
    dmscd_sessions_free(dmscd.sessions);
    dbus_api_server_release_name(dmscd.server);
    dbus_api_server_free(dmscd.server);
    dm_tree_unref(dmscd.tree.tree);
    g_free(dmscd.tree.path);
    g_message("stopped");
    return dmscd.status;
}

int main(int argc, char **argv)
{
    g_auto(Options) options = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(DmscdConfig) config = NULL;

    /* The character set only: GLib writes log lines to a terminal or file in it (in the C
     * locale, text that is not ASCII comes out as '?'); numbers stay in the C format. */
    setlocale(LC_CTYPE, "");
    g_set_prgname("dmscd");
    if (!parse_options(&options, &argc, &argv, &error)) {
        g_printerr("dmscd: %s\n", error->message);
        return EXIT_USAGE;
    }
    if (options.version) {
        g_print("dmscd %s\n", DMSCD_VERSION);
        return EXIT_SUCCESS;
    }
    /* The default writer already picks the journal when stderr is connected to it; stdout is
     * not a log, so debug and info go to stderr too. */
    g_log_set_writer_func(g_log_writer_default, NULL, NULL);
    g_log_writer_default_set_use_stderr(TRUE);
    if (options.debug)
        g_log_set_debug_enabled(TRUE);

    config = load_config(&options, &error);
    if (config == NULL) {
        g_critical("configuration: %s", error->message);
        return EXIT_CONFIG;
    }
    if (config->debug)
        g_log_set_debug_enabled(TRUE);
    if (options.check_config) {
        g_autofree char *data = NULL;
        /* The running daemon only warns (the group may come later); a check says so. */
        if (config->dbus_admin_group != NULL && getgrnam(config->dbus_admin_group) == NULL) {
            g_critical("configuration: [dbus] admin-group=%s: no such group",
                       config->dbus_admin_group);
            return EXIT_CONFIG;
        }
        data = dmscd_config_to_data(config);
        fputs(data, stdout);
        return EXIT_SUCCESS;
    }
    return run(&options, config);
}
