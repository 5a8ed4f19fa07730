/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The values of the modem's CAT2 indications: raw commands and the SCWS messages. */
#include "daemon/modem/modem.h"
#include "tests/check-run.h"
#include "tests/test-util.h"

/* The indications the values come in, freed after each test. */
static GPtrArray *messages;

static void setup(void)
{
    messages = g_ptr_array_new_with_free_func((GDestroyNotify)qmi_message_unref);
}

static void teardown(void)
{
    g_clear_pointer(&messages, g_ptr_array_unref);
}

/* A CAT2 indication whose TLV 0x10 is @value, as the modem sends it. */
static QmiMessage *indication(GByteArray *value)
{
    QmiMessage *message = qmi_message_new(QMI_SERVICE_CAT2, 1, 1, 0x0001);

    ck_assert(qmi_message_add_raw_tlv(message, 0x10, value->data, value->len, NULL));
    g_ptr_array_add(messages, message);
    return message;
}

START_TEST(a_raw_command_gives_its_reference_and_bytes)
{
    g_autoptr(GByteArray) value = hex("78563412"
                                      "0300"
                                      "d00100"
                                      "ff");
    ModemCat2RawCommand raw;

    ck_assert(modem_cat2_parse_raw_command(indication(value), 0x10, &raw, NULL));
    ck_assert_uint_eq(raw.ref, 0x12345678);
    ck_assert_uint_eq(raw.length, 3);
    ck_assert_mem_eq(raw.command, "\xd0\x01\x00", 3);
}
END_TEST

START_TEST(a_raw_command_longer_than_its_tlv_is_truncated)
{
    g_autoptr(GByteArray) past = hex("78563412"
                                     "0400"
                                     "d00100");
    g_autoptr(GByteArray) short_head = hex("7856341203");
    g_autoptr(GError) e1 = NULL, e2 = NULL;
    ModemCat2RawCommand raw;

    ck_assert(!modem_cat2_parse_raw_command(indication(past), 0x10, &raw, &e1));
    ck_assert(g_error_matches(e1, MODEM_ERROR, MODEM_ERROR_TRUNCATED));
    ck_assert(!modem_cat2_parse_raw_command(indication(short_head), 0x10, &raw, &e2));
    ck_assert(g_error_matches(e2, MODEM_ERROR, MODEM_ERROR_TRUNCATED));
}
END_TEST

START_TEST(scws_open_and_state_are_checked)
{
    g_autoptr(GByteArray) open = hex("01000000"
                                     "bc0d"
                                     "7805");
    g_autoptr(GByteArray) port0 = hex("01000000"
                                      "0000"
                                      "7805");
    g_autoptr(GByteArray) listen = hex("0200000001");
    g_autoptr(GByteArray) bad_state = hex("0200000007");
    g_autoptr(GError) e1 = NULL, e2 = NULL;
    ModemScwsOpen o;
    ModemScwsState st;

    ck_assert(modem_scws_parse_open(indication(open), &o, NULL));
    ck_assert_uint_eq(o.ch_id, 1);
    ck_assert_uint_eq(o.port, 3516);
    ck_assert_uint_eq(o.buffer_size, 1400);
    ck_assert(!modem_scws_parse_open(indication(port0), &o, &e1));
    ck_assert(g_error_matches(e1, MODEM_ERROR, MODEM_ERROR_MALFORMED));
    ck_assert(modem_scws_parse_state(indication(listen), &st, NULL));
    ck_assert_uint_eq(st.ch_id, 2);
    ck_assert_uint_eq(st.state, 1);
    ck_assert(!modem_scws_parse_state(indication(bad_state), &st, &e2));
    ck_assert(g_error_matches(e2, MODEM_ERROR, MODEM_ERROR_MALFORMED));
}
END_TEST

START_TEST(scws_send_data_packets_are_bounded)
{
    g_autoptr(GByteArray) ok = hex("01000000"
                                   "02"
                                   "01"
                                   "0300"
                                   "414243");
    g_autoptr(GByteArray) past = hex("01000000"
                                     "01"
                                     "01"
                                     "0400"
                                     "414243");
    g_autoptr(GByteArray) beyond_total = hex("01000000"
                                             "01"
                                             "02"
                                             "0000");
    g_autoptr(GByteArray) zero = hex("01000000"
                                     "00"
                                     "00"
                                     "0000");
    g_autoptr(GByteArray) big = g_byte_array_new();
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
    static const guint8 head[] = { 1, 0, 0, 0, 1, 1, 0xe9, 0x03 }; /* 1001 bytes */
    ModemScwsData d;

    ck_assert(modem_scws_parse_data(indication(ok), &d, NULL));
    ck_assert_uint_eq(d.total, 2);
    ck_assert_uint_eq(d.current, 1);
    ck_assert_uint_eq(d.length, 3);
    ck_assert_mem_eq(d.data, "ABC", 3);
    ck_assert(!modem_scws_parse_data(indication(past), &d, &e1));
    ck_assert(g_error_matches(e1, MODEM_ERROR, MODEM_ERROR_TRUNCATED));
    ck_assert(!modem_scws_parse_data(indication(beyond_total), &d, &e2));
    ck_assert(g_error_matches(e2, MODEM_ERROR, MODEM_ERROR_MALFORMED));
    ck_assert(!modem_scws_parse_data(indication(zero), &d, &e3));
    ck_assert(g_error_matches(e3, MODEM_ERROR, MODEM_ERROR_MALFORMED));
    g_byte_array_append(big, head, sizeof(head));
    g_byte_array_set_size(big, sizeof(head) + 1001);
    ck_assert(!modem_scws_parse_data(indication(big), &d, &e4));
    ck_assert(g_error_matches(e4, MODEM_ERROR, MODEM_ERROR_MALFORMED));
}
END_TEST

START_TEST(imeis_are_fourteen_to_sixteen_digits)
{
    ck_assert(modem_imei_is_valid("49015420323751"));
    ck_assert(modem_imei_is_valid("490154203237518"));
    ck_assert(modem_imei_is_valid("4901542032375186"));
    ck_assert(!modem_imei_is_valid("4901542032375"));
    ck_assert(!modem_imei_is_valid("49015420323751860"));
    ck_assert(!modem_imei_is_valid("49015420323751a"));
    ck_assert(!modem_imei_is_valid("49015420-323751"));
    ck_assert(!modem_imei_is_valid(""));
    ck_assert(!modem_imei_is_valid(NULL));
}
END_TEST

static Suite *qmi_values_suite(void)
{
    Suite *suite = suite_create("qmi-values");
    TCase *tc = tcase_create("qmi-values");

    tcase_add_checked_fixture(tc, setup, teardown);

    tcase_add_test(tc, a_raw_command_gives_its_reference_and_bytes);
    tcase_add_test(tc, a_raw_command_longer_than_its_tlv_is_truncated);
    tcase_add_test(tc, scws_open_and_state_are_checked);
    tcase_add_test(tc, scws_send_data_packets_are_bounded);
    tcase_add_test(tc, imeis_are_fourteen_to_sixteen_digits);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(qmi_values_suite());
}
