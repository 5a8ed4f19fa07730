/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dmscctl agent: speaks for the user when a DM server asks (display, confirm, text input,
 * single and multiple choice), on the terminal, or answers every confirmation yes or no for
 * scripts. Questions come one at a time from dmscd; any that overlap wait their turn.
 */
#include "ctl.h"

#include "dbus/dbus-api.h"

#include <errno.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define AGENT_PATH      "/org/dmscd/dmscctl/Agent"
#define AGENT_INTERFACE "org.dmscd.Dmsc1.Agent"
#define AGENT_CANCELED  "org.dmscd.Dmsc1.Agent.Error.Canceled"

/* As installed in org.dmscd.Dmsc1.Agent.xml (a test compares the two). */
static const char agent_xml[] = "<node>"
                                " <interface name='" AGENT_INTERFACE "'>"
                                "  <method name='DisplayAlert'>"
                                "   <arg name='text' type='s' direction='in'/>"
                                "   <arg name='min_seconds' type='u' direction='in'/>"
                                "  </method>"
                                "  <method name='Confirm'>"
                                "   <arg name='text' type='s' direction='in'/>"
                                "   <arg name='yes' type='b' direction='out'/>"
                                "  </method>"
                                "  <method name='Input'>"
                                "   <arg name='text' type='s' direction='in'/>"
                                "   <arg name='hints' type='a{sv}' direction='in'/>"
                                "   <arg name='answer' type='s' direction='out'/>"
                                "  </method>"
                                "  <method name='Choose'>"
                                "   <arg name='text' type='s' direction='in'/>"
                                "   <arg name='items' type='as' direction='in'/>"
                                "   <arg name='multiple' type='b' direction='in'/>"
                                "   <arg name='picked' type='au' direction='out'/>"
                                "  </method>"
                                "  <method name='Release'/>"
                                " </interface>"
                                "</node>";

typedef enum {
    ANSWER_ASK, /* on the terminal */
    ANSWER_YES,
    ANSWER_NO,
} AnswerMode;

typedef struct {
    AnswerMode mode;
    GMainLoop *loop;
    GQueue questions;      /* GDBusMethodInvocation *, the head being asked */
    GString *input;        /* what was typed and not yet used: lines wait for a question */
    gboolean feeding;      /* feed() runs: answers it gives lead to questions it reads for */
    gboolean input_closed; /* end of standard input */
    int status;            /* the exit status when the loop ends */
    gboolean released;     /* dmscd let the agent go */
    const char *choice;    /* --choice: the answer to every choice, or NULL to ask */
} Agent;

static void ask_next(Agent *agent);
static void feed(Agent *agent);

/* --- Answers -----------------------------------------------------------------------------------
 */

static void answer(Agent *agent, GVariant *value)
{
    GDBusMethodInvocation *invocation = g_queue_pop_head(&agent->questions);

    g_dbus_method_invocation_return_value(invocation, value);
    ask_next(agent);
}

static void cancel(Agent *agent, const char *why)
{
    GDBusMethodInvocation *invocation = g_queue_pop_head(&agent->questions);

    printf("  (%s: no answer)\n", why);
    fflush(stdout);
    g_dbus_method_invocation_return_dbus_error(invocation, AGENT_CANCELED, why);
    ask_next(agent);
}

/* Input's hints: the answer's longest length (0: any) and its default. */
static void input_hints(GVariant *parameters, guint32 *max, const char **fallback)
{
    g_autoptr(GVariant) hints = g_variant_get_child_value(parameters, 1);

    *max = 0;
    *fallback = "";
    (void)g_variant_lookup(hints, "max-length", "u", max);
    (void)g_variant_lookup(hints, "default", "&s", fallback);
}

static gboolean parse_yes_no(const char *line, gboolean *yes)
{
    if (g_ascii_strcasecmp(line, "y") == 0 || g_ascii_strcasecmp(line, "yes") == 0)
        *yes = TRUE;
    else if (g_ascii_strcasecmp(line, "n") == 0 || g_ascii_strcasecmp(line, "no") == 0)
        *yes = FALSE;
    else
        return FALSE;
    return TRUE;
}

/* "1", "1,3" or "1 3": item numbers from 1 to @n; one only unless @multiple. */
static GVariant *parse_choice(const char *line, guint n, gboolean multiple)
{
    g_auto(GStrv) words = g_strsplit_set(line, ", ", -1);
    g_autoptr(GArray) picked = g_array_new(FALSE, FALSE, sizeof(guint32));

    for (guint i = 0; words[i] != NULL; i++) {
        guint64 number;
        if (words[i][0] == '\0')
            continue;
        if (!g_ascii_string_to_unsigned(words[i], 10, 1, n, &number, NULL))
            return NULL;
        guint32 item = (guint32)number;
        g_array_append_val(picked, item);
    }
    if (picked->len == 0 || (!multiple && picked->len > 1))
        return NULL;
    return g_variant_new("(@au)", g_variant_new_fixed_array(G_VARIANT_TYPE_UINT32, picked->data,
                                                            picked->len, sizeof(guint32)));
}

/* A line typed for the question being asked: its answer, or the prompt again. */
static void take_line(Agent *agent, const char *line)
{
    GDBusMethodInvocation *invocation = g_queue_peek_head(&agent->questions);
    const char *method = g_dbus_method_invocation_get_method_name(invocation);
    GVariant *parameters = g_dbus_method_invocation_get_parameters(invocation);

    if (g_str_equal(method, "Confirm")) {
        gboolean yes;
        if (parse_yes_no(line, &yes)) {
            answer(agent, g_variant_new("(b)", yes));
            return;
        }
        printf("Please answer y or n: ");
    } else if (g_str_equal(method, "Input")) {
        const char *fallback;
        guint32 max;
        input_hints(parameters, &max, &fallback);
        if (line[0] == '\0')
            line = fallback;
        if (max == 0 || g_utf8_strlen(line, -1) <= max) {
            answer(agent, g_variant_new("(s)", line));
            return;
        }
        printf("At most %u characters, please: ", max);
    } else {
        g_autoptr(GVariant) items = g_variant_get_child_value(parameters, 1);
        gboolean multiple = FALSE;
        GVariant *choice;
        g_variant_get_child(parameters, 2, "b", &multiple);
        choice = parse_choice(line, (guint)g_variant_n_children(items), multiple);
        if (choice != NULL) {
            answer(agent, choice);
            return;
        }
        printf(multiple ? "Item numbers, separated by commas: " : "One item number: ");
    }
    fflush(stdout);
}

/* --- Questions ---------------------------------------------------------------------------------
 */

/* Shows the question at the head of the queue; answers it at once when nothing is to be asked. */
static void ask_next(Agent *agent)
{
    GDBusMethodInvocation *invocation = g_queue_peek_head(&agent->questions);
    const char *method, *text;
    GVariant *parameters;

    if (invocation == NULL)
        return;
    method = g_dbus_method_invocation_get_method_name(invocation);
    parameters = g_dbus_method_invocation_get_parameters(invocation);
    g_variant_get_child(parameters, 0, "&s", &text);

    if (g_str_equal(method, "DisplayAlert")) {
        printf("Message from the DM server: %s\n", text);
        fflush(stdout);
        answer(agent, NULL);
        return;
    }
    if (g_str_equal(method, "Confirm")) {
        printf("The DM server asks: %s [y/n] ", text);
        if (agent->mode != ANSWER_ASK) {
            printf("%s\n", agent->mode == ANSWER_YES ? "yes" : "no");
            fflush(stdout);
            answer(agent, g_variant_new("(b)", agent->mode == ANSWER_YES));
            return;
        }
    } else if (g_str_equal(method, "Input")) {
        const char *fallback;
        guint32 max;
        input_hints(parameters, &max, &fallback);
        printf("The DM server asks: %s", text);
        if (max > 0)
            printf(" (at most %u characters)", max);
        if (fallback[0] != '\0')
            printf(" [%s]", fallback);
        printf(": ");
        if (agent->mode != ANSWER_ASK) {
            printf("%s\n", fallback);
            fflush(stdout);
            answer(agent, g_variant_new("(s)", fallback));
            return;
        }
    } else {
        g_autofree const char **items = NULL;
        gboolean multiple = FALSE;
        g_variant_get_child(parameters, 1, "^a&s", &items);
        g_variant_get_child(parameters, 2, "b", &multiple);
        printf("The DM server asks: %s\n", text);
        for (guint i = 0; items[i] != NULL; i++)
            printf("  %u. %s\n", i + 1, items[i]);
        if (agent->choice != NULL) {
            GVariant *picked = parse_choice(agent->choice, g_strv_length((char **)items), multiple);
            if (picked == NULL) {
                cancel(agent, "--choice does not answer this question");
                return;
            }
            printf("%s\n", agent->choice);
            fflush(stdout);
            answer(agent, picked);
            return;
        }
        if (agent->mode != ANSWER_ASK) {
            cancel(agent, "a choice is not answered with --yes or --no alone (see --choice)");
            return;
        }
        printf(multiple ? "Item numbers, separated by commas: " : "Item number: ");
    }
    fflush(stdout);
    feed(agent);
}

static void on_method_call(GDBusConnection *connection, const char *sender, const char *path,
                           const char *interface, const char *method, GVariant *parameters,
                           GDBusMethodInvocation *invocation, gpointer user_data)
{
    Agent *agent = user_data;

    /* Only dmscd speaks to its agent. */
    if (g_strcmp0(sender, g_object_get_data(G_OBJECT(connection), "dmscd")) != 0) {
        g_dbus_method_invocation_return_dbus_error(invocation, DBUS_API_ERROR_NAME_PERMISSION,
                                                   "only dmscd asks its agent");
        return;
    }
    if (g_str_equal(method, "Release")) {
        agent->released = TRUE;
        g_dbus_method_invocation_return_value(invocation, NULL);
        g_main_loop_quit(agent->loop);
        return;
    }
    /* The invocation is ours until it is answered. */
    g_queue_push_tail(&agent->questions, invocation);
    if (agent->questions.length == 1)
        ask_next(agent);
}

/* Whole lines typed go to the questions, in turn; what was typed ahead waits for one. */
static void feed(Agent *agent)
{
    char *newline;

    if (agent->feeding)
        return;
    agent->feeding = TRUE;
    while (!g_queue_is_empty(&agent->questions) &&
           (newline = memchr(agent->input->str, '\n', agent->input->len)) != NULL) {
        g_autofree char *line = g_strndup(agent->input->str, newline - agent->input->str);
        g_string_erase(agent->input, 0, newline - agent->input->str + 1);
        g_strchomp(line);
        take_line(agent, line);
    }
    agent->feeding = FALSE;
    if (agent->input_closed && !g_queue_is_empty(&agent->questions))
        cancel(agent, "end of input");
}

static gboolean on_input(int fd, GIOCondition condition, gpointer user_data)
{
    Agent *agent = user_data;
    char chunk[512];
    ssize_t n = read(fd, chunk, sizeof(chunk));

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return G_SOURCE_CONTINUE;
    if (n <= 0) {
        agent->input_closed = TRUE;
        feed(agent);
        return G_SOURCE_REMOVE;
    }
    g_string_append_len(agent->input, chunk, n);
    feed(agent);
    return G_SOURCE_CONTINUE;
}

static gboolean on_interrupt(gpointer user_data)
{
    g_main_loop_quit(((Agent *)user_data)->loop);
    return G_SOURCE_CONTINUE;
}

static void on_vanished(GDBusConnection *connection, const char *name, gpointer user_data)
{
    Agent *agent = user_data;

    agent->status = ctl_fail(CTL_EXIT_UNAVAILABLE, "dmscd went away");
    g_main_loop_quit(agent->loop);
}

static int run_agent(CtlBus *bus, Agent *agent)
{
    static const GDBusInterfaceVTable vtable = { on_method_call, NULL, NULL, { 0 } };
    GDBusConnection *connection = ctl_bus_peek_connection(bus);
    g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml(agent_xml, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) owner = NULL;
    guint object, watch, sigint, sigterm, input = 0;
    int status;

    object = g_dbus_connection_register_object(connection, AGENT_PATH, info->interfaces[0], &vtable,
                                               agent, NULL, &error);
    if (object == 0)
        return ctl_fail(CTL_EXIT_FAILURE, "cannot export the agent: %s", error->message);
    status = ctl_bus_call(bus, DBUS_API_PATH, DBUS_API_MANAGER_INTERFACE, "RegisterAgent",
                          g_variant_new("(o)", AGENT_PATH), NULL, NULL);
    if (status == CTL_EXIT_OK) {
        owner = g_dbus_connection_call_sync(
            connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
            "GetNameOwner", g_variant_new("(s)", DBUS_API_NAME), G_VARIANT_TYPE("(s)"),
            G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        if (owner == NULL)
            status = ctl_bus_fail(bus, "GetNameOwner", error);
    }
    if (status != CTL_EXIT_OK) {
        g_dbus_connection_unregister_object(connection, object);
        return status;
    }
    char *dmscd = NULL;
    g_variant_get(owner, "(s)", &dmscd);
    g_object_set_data_full(G_OBJECT(connection), "dmscd", dmscd, g_free);

    watch = g_bus_watch_name_on_connection(connection, DBUS_API_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                           NULL, on_vanished, agent, NULL);
    sigint = g_unix_signal_add(SIGINT, on_interrupt, agent);
    sigterm = g_unix_signal_add(SIGTERM, on_interrupt, agent);
    if (agent->mode == ANSWER_ASK)
        input = g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_input, agent);
    fprintf(stderr, "Agent registered; Ctrl-C to stop.\n");
    g_main_loop_run(agent->loop);

    if (input != 0 && !agent->input_closed)
        g_source_remove(input);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    g_bus_unwatch_name(watch);
    /* Questions still open get no answer: dmscd hears "no answer", not silence. */
    while (!g_queue_is_empty(&agent->questions)) {
        GDBusMethodInvocation *invocation = g_queue_pop_head(&agent->questions);
        g_dbus_method_invocation_return_dbus_error(invocation, AGENT_CANCELED, "the agent left");
    }
    if (agent->released)
        fprintf(stderr, "dmscd released the agent.\n");
    else if (agent->status == CTL_EXIT_OK)
        agent->status =
            ctl_bus_call(bus, DBUS_API_PATH, DBUS_API_MANAGER_INTERFACE, "UnregisterAgent",
                         g_variant_new("(o)", AGENT_PATH), NULL, NULL);
    g_dbus_connection_unregister_object(connection, object);
    return agent->status;
}

int ctl_agent(CtlOptions *options, int argc, char **argv)
{
    gboolean yes = FALSE, no = FALSE;
    g_autofree char *choice = NULL;
    const GOptionEntry entries[] = {
        { "yes", 0, 0, G_OPTION_ARG_NONE, &yes, "Answer every confirmation yes", NULL },
        { "no", 0, 0, G_OPTION_ARG_NONE, &no, "Answer every confirmation no", NULL },
        { "choice", 0, 0, G_OPTION_ARG_STRING, &choice,
          "Answer every choice with these item numbers", "N[,N…]" },
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(CtlBus) bus = NULL;
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_autoptr(GString) input = g_string_new(NULL);
    Agent agent = { ANSWER_ASK, loop, G_QUEUE_INIT, input, FALSE, CTL_EXIT_OK, FALSE };
    int status;

    status =
        ctl_parse(options, &argc, &argv, NULL,
                  "Registers as dmscd's agent and answers the DM servers' questions on the\n"
                  "terminal: messages, confirmations, text input, single and multiple choice.\n"
                  "With --yes or --no, confirmations are answered without asking, text input\n"
                  "gets its default and choices get no answer; --choice answers choices.\n"
                  "Ctrl-C unregisters and ends.",
                  entries, FALSE, 0, 0);
    if (status >= 0)
        return status;
    if (yes && no)
        return ctl_fail(CTL_EXIT_USAGE, "--yes and --no exclude each other");
    /* The same check as for an answer typed at the prompt, for the largest list. */
    if (choice != NULL) {
        g_autoptr(GVariant) check = parse_choice(choice, G_MAXUINT32, TRUE);
        if (check == NULL)
            return ctl_fail(CTL_EXIT_USAGE, "--choice %s: item numbers from 1, separated by commas",
                            choice);
        g_variant_ref_sink(check); /* owned now, for g_autoptr to drop */
    }
    agent.mode = yes ? ANSWER_YES : no ? ANSWER_NO : ANSWER_ASK;
    agent.choice = choice;
    status = ctl_bus_open(options->session_bus, &bus);
    if (status != CTL_EXIT_OK)
        return status;
    return run_agent(bus, &agent);
}
