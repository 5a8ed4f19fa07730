/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The raw CAT2 client on a real libqmi QmiDevice, against dmsc-sim through the proxy handshake. */
#include "daemon/modem/modem.h"
#include "sim-helpers.h"
#include "tests/check-run.h"

static Sim sim;
static QmiDevice *device;
static ModemCat2 *qmi;

#define on_done     sim_on_done
#define wait_result sim_wait_result

static char *control(const char *line)
{
    return sim_control(&sim, line);
}

static GArray *seen_refs; /* when set, commands are only noted, not answered */

static void on_command(ModemCat2 *q, guint32 ref, const guint8 *command, gsize length,
                       gpointer user_data)
{
    g_autoptr(CatMessage) message = NULL;

    if (seen_refs != NULL) {
        g_array_append_val(seen_refs, ref);
        return;
    }
    message = cat_message_parse(command, length, NULL);
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
    g_autoptr(GFile) file = g_file_new_for_path("/dev/cdc-wdm-sim");
    g_autoptr(GError) error = NULL;
    g_autoptr(GAsyncResult) result = NULL;

    sim_start(&sim, NULL);
    g_async_initable_new_async(QMI_TYPE_DEVICE, G_PRIORITY_DEFAULT, NULL, on_done, NULL,
                               QMI_DEVICE_FILE, file, QMI_DEVICE_NO_FILE_CHECK, TRUE,
                               QMI_DEVICE_PROXY_PATH, sim.socket_name, NULL);
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
    sim_stop(&sim);
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

/* Raw command TLV {ref u32, length u16, command}: a one-byte command is enough here. */
static void add_raw_command(QmiMessage *message, guint8 type, guint32 ref)
{
    guint8 value[7] = {
        (guint8)ref, (guint8)(ref >> 8), (guint8)(ref >> 16), (guint8)(ref >> 24), 1, 0, 0xd0
    };

    ck_assert(qmi_message_add_raw_tlv(message, type, value, sizeof(value), NULL));
}

START_TEST(raw_commands_of_one_event_report_are_taken_in_the_order_of_their_types)
{
    g_autoptr(QmiMessage) report = NULL;

    start();
    seen_refs = g_array_new(FALSE, FALSE, sizeof(guint32));
    /* An Event Report (0x0001) to our client, its TLVs out of order; 0x15 carries no command. */
    report = qmi_message_new(10, modem_cat2_get_cid(qmi), 0, 0x0001);
    add_raw_command(report, 0x54, 4);
    add_raw_command(report, 0x15, 99);
    add_raw_command(report, 0x47, 3);
    add_raw_command(report, 0x10, 1);
    add_raw_command(report, 0x18, 2);
    g_signal_emit_by_name(device, "indication", report);
    ck_assert_uint_eq(seen_refs->len, 4);
    for (guint i = 0; i < 4; i++)
        ck_assert_uint_eq(g_array_index(seen_refs, guint32, i), i + 1);
    g_clear_pointer(&seen_refs, g_array_unref);
}
END_TEST

static GString *warnings;

static GLogWriterOutput keep_warnings(GLogLevelFlags level, const GLogField *fields, gsize n,
                                      gpointer user_data)
{
    for (gsize i = 0; i < n && (level & G_LOG_LEVEL_WARNING); i++) {
        if (g_str_equal(fields[i].key, "MESSAGE"))
            g_string_append_printf(warnings, "%s\n", (const char *)fields[i].value);
    }
    return G_LOG_WRITER_HANDLED;
}

/* A TR nobody waits for (as for every BIP command) that the modem refuses is still logged. */
START_TEST(a_refused_tr_without_a_caller_is_logged)
{
    static const guint8 tr[] = { 0x81, 0x03, 0x01, 0x21, 0x80, 0x82,
                                 0x02, 0x82, 0x81, 0x83, 0x01, 0x30 };
    g_autoptr(GBytes) bytes = g_bytes_new_static(tr, sizeof(tr));
    const char *expected =
        "CAT: terminal response not delivered: CAT2 Send TR: the modem answered error";
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    warnings = g_string_new(NULL);
    g_log_set_writer_func(keep_warnings, NULL, NULL);
    start();
    /* No command of the card has this reference: the modem answers an error. */
    modem_cat2_send_tr_async(qmi, 0xdead, bytes, NULL, NULL);
    while (strstr(warnings->str, expected) == NULL) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "no warning; logged: %s", warnings->str);
        g_main_context_iteration(NULL, TRUE);
    }
}
END_TEST

/* A request nobody waits for (as every SCWS message dmscd sends) that the modem refuses is
 * logged, named. */
START_TEST(a_refused_request_without_a_caller_is_logged)
{
    const char *expected =
        "CAT: SCWS test request not delivered: SCWS test request: the modem answered error";
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    g_autoptr(QmiMessage) request = NULL;

    warnings = g_string_new(NULL);
    g_log_set_writer_func(keep_warnings, NULL, NULL);
    start();
    /* A message dmsc-sim does not know, as a modem without it would: refused. */
    request = modem_cat2_request_new(qmi, 0x00fe);
    modem_cat2_send(qmi, request, "SCWS test request");
    while (strstr(warnings->str, expected) == NULL) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "no warning; logged: %s", warnings->str);
        g_main_context_iteration(NULL, TRUE);
    }
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
    tcase_add_test(tc, a_refused_tr_without_a_caller_is_logged);
    tcase_add_test(tc, a_refused_request_without_a_caller_is_logged);
    tcase_add_test(tc, raw_commands_of_one_event_report_are_taken_in_the_order_of_their_types);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(qmi_suite());
}
