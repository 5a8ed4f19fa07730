/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dmsc-sim for the modem tests: started with a profile, spoken to on its control socket. */
#pragma once

#include "tests/check-run.h"
#include "tests/test-util.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

typedef struct {
    GPid pid;
    char *dir;
    char *control_path;
    char *socket_name; /* the abstract QMUX socket: a QmiDevice's proxy path */
} Sim;

static gboolean sim_async_done;
static GAsyncResult *sim_async_result;

static inline void sim_on_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    sim_async_result = g_object_ref(result);
    sim_async_done = TRUE;
}

/* Runs the main loop until the pending call (given sim_on_done) finished; its result. */
static inline GAsyncResult *sim_wait_result(void)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (!sim_async_done) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "timed out");
        g_main_context_iteration(NULL, TRUE);
    }
    sim_async_done = FALSE;
    return g_steal_pointer(&sim_async_result);
}

/* Starts dmsc-sim ($DMSC_SIM) with @extra profile lines after its [modem] socket= line. */
static inline void sim_start(Sim *sim, const char *extra)
{
    const char *program = g_getenv("DMSC_SIM");
    g_autofree char *profile = NULL;
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;

    ck_assert_ptr_nonnull(program);
    sim->dir = g_dir_make_tmp("dmsc-sim-XXXXXX", NULL);
    profile = g_build_filename(sim->dir, "profile", NULL);
    sim->control_path = g_build_filename(sim->dir, "control", NULL);
    sim->socket_name = g_strdup_printf("dmsc-sim-test-%d", getpid());
    text = g_strdup_printf("[modem]\nsocket=%s\n%s", sim->socket_name, extra ? extra : "");
    ck_assert(g_file_set_contents(profile, text, -1, NULL));
    const char *argv[] = { program, "--profile", profile, "--control", sim->control_path, NULL };
    ck_assert(g_spawn_async(NULL, (char **)argv, NULL,
                            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                            &sim->pid, &error));
    for (int i = 0; i < 250 && !g_file_test(sim->control_path, G_FILE_TEST_EXISTS); i++)
        g_usleep(20000);
    ck_assert_msg(g_file_test(sim->control_path, G_FILE_TEST_EXISTS), "dmsc-sim did not start");
}

static inline void sim_stop(Sim *sim)
{
    kill(sim->pid, SIGTERM);
    waitpid(sim->pid, NULL, 0);
    test_remove_tree(sim->dir);
    g_clear_pointer(&sim->dir, g_free);
    g_clear_pointer(&sim->control_path, g_free);
    g_clear_pointer(&sim->socket_name, g_free);
}

/* One line to the control socket, and its answer (the main loop runs meanwhile). */
static inline char *sim_control(Sim *sim, const char *line)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(sim->control_path);
    g_autoptr(GSocketConnection) connection = NULL;
    g_autoptr(GDataInputStream) input = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    char *answer;

    connection = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, NULL);
    ck_assert_ptr_nonnull(connection);
    ck_assert(g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(connection)),
                                        line, strlen(line), NULL, NULL, NULL));
    input = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(connection)));
    g_data_input_stream_read_line_async(input, G_PRIORITY_DEFAULT, NULL, sim_on_done, NULL);
    result = sim_wait_result();
    answer = g_data_input_stream_read_line_finish(input, result, NULL, NULL);
    ck_assert_ptr_nonnull(answer);
    return answer;
}
