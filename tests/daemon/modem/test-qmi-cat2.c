/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The raw CAT2 client on a real libqmi QmiDevice, against dmsc-sim through the proxy handshake. */
#include "daemon/modem/modem.h"
#include "tests/check-run.h"

#include <libqmi-glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>

static GPid sim_pid;
static char *tmpdir;
static char *control_path;
static char *socket_name;
static QmiDevice *device;
static ModemCat2 *qmi;

static gboolean async_done;
static GAsyncResult *async_result;

static void on_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    async_result = g_object_ref(result);
    async_done = TRUE;
}

/* Runs the main loop until the pending call finished; returns its result. */
static GAsyncResult *wait_result(void)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (!async_done) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "timed out");
        g_main_context_iteration(NULL, TRUE);
    }
    async_done = FALSE;
    return g_steal_pointer(&async_result);
}

/* One line to the control socket, and its answer (the main loop runs meanwhile). */
static char *control(const char *line)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(control_path);
    g_autoptr(GSocketConnection) connection = NULL;
    g_autoptr(GDataInputStream) input = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    char *answer;

    connection = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, NULL);
    ck_assert_ptr_nonnull(connection);
    ck_assert(g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(connection)),
                                        line, strlen(line), NULL, NULL, NULL));
    input = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(connection)));
    g_data_input_stream_read_line_async(input, G_PRIORITY_DEFAULT, NULL, on_done, NULL);
    result = wait_result();
    answer = g_data_input_stream_read_line_finish(input, result, NULL, NULL);
    ck_assert_ptr_nonnull(answer);
    return answer;
}

static void on_command(ModemCat2 *q, guint32 ref, const guint8 *command, gsize length,
                       gpointer user_data)
{
    g_autoptr(CatMessage) message = cat_message_parse(command, length, NULL);
    CatCommandDetails details = { 0 };
    g_autoptr(GByteArray) tr = NULL;

    ck_assert_ptr_nonnull(message);
    ck_assert(cat_message_get_command(message, &details));
    tr = cat_terminal_response_new(&details, CAT_RESULT_BEYOND_CAPABILITIES, NULL, 0);
    g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes(g_steal_pointer(&tr));
    modem_cat2_send_tr_async(q, ref, bytes, NULL, NULL);
}

static void setup(void)
{
    g_autofree char *profile = NULL;
    g_autofree char *profile_text = NULL;
    const char *sim = g_getenv("DMSC_SIM");
    g_autoptr(GFile) file = g_file_new_for_path("/dev/cdc-wdm-sim");
    g_autoptr(GError) error = NULL;
    g_autoptr(GAsyncResult) result = NULL;

    ck_assert_ptr_nonnull(sim);
    tmpdir = g_dir_make_tmp("dmsc-sim-XXXXXX", NULL);
    profile = g_build_filename(tmpdir, "profile", NULL);
    control_path = g_build_filename(tmpdir, "control", NULL);
    socket_name = g_strdup_printf("dmsc-sim-test-%d", getpid());
    profile_text = g_strdup_printf("[modem]\nsocket=%s\n", socket_name);
    ck_assert(g_file_set_contents(profile, profile_text, -1, NULL));
    const char *argv[] = { sim, "--profile", profile, "--control", control_path, NULL };
    ck_assert(g_spawn_async(NULL, (char **)argv, NULL,
                            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                            &sim_pid, &error));
    for (int i = 0; i < 100 && !g_file_test(control_path, G_FILE_TEST_EXISTS); i++)
        g_usleep(20000);

    g_async_initable_new_async(QMI_TYPE_DEVICE, G_PRIORITY_DEFAULT, NULL, on_done, NULL,
                               QMI_DEVICE_FILE, file, QMI_DEVICE_NO_FILE_CHECK, TRUE,
                               QMI_DEVICE_PROXY_PATH, socket_name, NULL);
    result = wait_result();
    device = QMI_DEVICE(g_async_initable_new_finish(
        G_ASYNC_INITABLE(g_async_result_get_source_object(result)), result, &error));
    ck_assert_msg(device != NULL, "%s", error ? error->message : "");
    g_clear_object(&result);
    qmi_device_open(device, QMI_DEVICE_OPEN_FLAGS_PROXY | QMI_DEVICE_OPEN_FLAGS_VERSION_INFO, 10,
                    NULL, on_done, NULL);
    result = wait_result();
    ck_assert_msg(qmi_device_open_finish(device, result, &error), "%s",
                  error ? error->message : "");
    qmi = modem_cat2_new(device, on_command, NULL);
}

static void teardown(void)
{
    g_clear_pointer(&qmi, modem_cat2_free);
    g_clear_object(&device);
    kill(sim_pid, SIGTERM);
    waitpid(sim_pid, NULL, 0);
    g_unlink(control_path);
    g_rmdir(tmpdir);
    g_clear_pointer(&tmpdir, g_free);
    g_clear_pointer(&control_path, g_free);
    g_clear_pointer(&socket_name, g_free);
}

static void start(void)
{
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    modem_cat2_start_async(qmi, NULL, on_done, NULL);
    result = wait_result();
    ck_assert_msg(modem_cat2_start_finish(qmi, result, &error), "%s", error ? error->message : "");
}

START_TEST(client_id_is_allocated_on_start_and_released_on_stop)
{
    g_autofree char *before = control("cids\n");
    g_autofree char *during = NULL, *after = NULL, *expected = NULL;
    g_autoptr(GAsyncResult) result = NULL;

    ck_assert_str_eq(before, "cids");
    start();
    expected = g_strdup_printf("cids 10:%u", modem_cat2_get_cid(qmi));
    during = control("cids\n");
    ck_assert_str_eq(during, expected);
    modem_cat2_stop_async(qmi, on_done, NULL);
    result = wait_result();
    ck_assert(modem_cat2_stop_finish(qmi, result, NULL));
    after = control("cids\n");
    ck_assert_str_eq(after, "cids");
}
END_TEST

START_TEST(raw_proactive_command_reaches_the_handler_and_its_tr_the_card)
{
    g_autofree char *answer = NULL;

    start();
    /* DISPLAY TEXT "Toolkit Test 1" (Event Report TLV 0x10). */
    answer = control("command d01a8103012180820281028d0f04546f6f6c6b697420546573742031\n");
    ck_assert_str_eq(answer, "tr 810301218082028281830130");
}
END_TEST

START_TEST(envelopes_go_to_the_card)
{
    g_autoptr(GBytes) envelope = cat_envelope_channel_status_new(1, CAT_TCP_LISTEN, NULL);
    g_autoptr(GAsyncResult) result = NULL;
    g_autofree char *answer = NULL;

    start();
    modem_cat2_send_envelope_async(qmi, 0x05, envelope, on_done, NULL);
    result = wait_result();
    ck_assert(modem_cat2_send_envelope_finish(qmi, result, NULL));
    answer = control("envelopes\n");
    ck_assert_str_eq(answer, "envelope d60b99010a82028281b8024100");
}
END_TEST

static Suite *qmi_suite(void)
{
    Suite *suite = suite_create("qmi-cat2");
    TCase *tc = tcase_create("sim");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, client_id_is_allocated_on_start_and_released_on_stop);
    tcase_add_test(tc, raw_proactive_command_reaches_the_handler_and_its_tr_the_card);
    tcase_add_test(tc, envelopes_go_to_the_card);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(qmi_suite());
}
