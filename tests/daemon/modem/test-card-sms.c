/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A card's own SMS-SUBMIT as ModemManager is asked to send it. */
#include "daemon/modem/modem.h"
#include "tests/check-run.h"
#include "tests/test-util.h"

/* SMS-SUBMIT, MR 0, DA 6 digits international "123456", PID 0, then DCS, UDL and UD. */
#define SUBMIT_TO_123456 \
    "01000691214365"     \
    "00"

static MMSmsProperties *properties(const char *tpdu_hex, gboolean packing, GError **error)
{
    g_autoptr(GByteArray) tpdu = hex(tpdu_hex);

    return modem_card_sms_properties(tpdu->data, tpdu->len, packing, error);
}

START_TEST(gsm_text_to_an_international_number)
{
    g_autoptr(MMSmsProperties) sms = properties(SUBMIT_TO_123456 "0005c8329bfd06", FALSE, NULL);

    ck_assert_ptr_nonnull(sms);
    ck_assert_str_eq(mm_sms_properties_get_number(sms), "+123456");
    ck_assert_str_eq(mm_sms_properties_get_text(sms), "Hello");
    ck_assert_int_eq(mm_sms_properties_get_class(sms), -1);
}
END_TEST

START_TEST(a_national_number_has_no_plus)
{
    g_autoptr(MMSmsProperties) sms = properties("01000681214365"
                                                "00"
                                                "0005c8329bfd06",
                                                FALSE, NULL);

    ck_assert_str_eq(mm_sms_properties_get_number(sms), "123456");
}
END_TEST

START_TEST(eight_bit_data_is_data_unless_the_terminal_must_pack_it)
{
    g_autoptr(MMSmsProperties) data = properties(SUBMIT_TO_123456 "0403010280", FALSE, NULL);
    g_autoptr(MMSmsProperties) packed = properties(SUBMIT_TO_123456 "040548656c6c6f", TRUE, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(MMSmsProperties) not_text = properties(SUBMIT_TO_123456 "0403010280", TRUE, &error);
    gsize length = 0;
    const guint8 *bytes = mm_sms_properties_get_data(data, &length);

    ck_assert_uint_eq(length, 3);
    ck_assert_mem_eq(bytes, "\x01\x02\x80", 3);
    ck_assert_str_eq(mm_sms_properties_get_text(packed), "Hello");
    ck_assert_ptr_null(not_text);
    ck_assert(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
}
END_TEST

START_TEST(one_hundred_and_sixty_characters_to_pack_fit_one_message)
{
    /* TS 102 223 §6.4.10: 160 unpacked default-alphabet octets, for the terminal to pack into
     * 140; without the packing request they do not fit. */
    g_autoptr(GString) tpdu = g_string_new(SUBMIT_TO_123456 "04a0");
    g_autoptr(GError) error = NULL;
    g_autoptr(MMSmsProperties) packed = NULL;
    g_autoptr(MMSmsProperties) unpacked = NULL;

    for (int i = 0; i < 160; i++)
        g_string_append(tpdu, "41");
    packed = properties(tpdu->str, TRUE, NULL);
    ck_assert_ptr_nonnull(packed);
    ck_assert_uint_eq(strlen(mm_sms_properties_get_text(packed)), 160);
    unpacked = properties(tpdu->str, FALSE, &error);
    ck_assert_ptr_null(unpacked);
    ck_assert_ptr_nonnull(strstr(error->message, "at most 140"));
}
END_TEST

START_TEST(ucs2_text_and_the_message_class)
{
    /* DCS 0x18: UCS2, class 0 (flash). */
    g_autoptr(MMSmsProperties) sms = properties(SUBMIT_TO_123456 "180400e9263a", FALSE, NULL);

    ck_assert_str_eq(mm_sms_properties_get_text(sms), "é☺");
    ck_assert_int_eq(mm_sms_properties_get_class(sms), 0);
}
END_TEST

START_TEST(what_modemmanager_cannot_carry_is_not_supported)
{
    g_autoptr(GError) udh = NULL, compressed = NULL, nowhere = NULL;

    ck_assert_ptr_null(properties("41000691214365"
                                  "00"
                                  "040a0605040b8423f0616263",
                                  FALSE, &udh));
    ck_assert(g_error_matches(udh, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED));
    ck_assert_ptr_null(properties(SUBMIT_TO_123456 "200161", FALSE, &compressed));
    ck_assert(g_error_matches(compressed, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED));
    ck_assert_ptr_null(properties("01000081"
                                  "00"
                                  "0005c8329bfd06",
                                  FALSE, &nowhere));
    ck_assert(g_error_matches(nowhere, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED));
}
END_TEST

START_TEST(a_tpdu_that_does_not_decode_is_invalid)
{
    g_autoptr(GError) truncated = NULL, command = NULL;

    ck_assert_ptr_null(properties("010006912143", FALSE, &truncated));
    ck_assert(g_error_matches(truncated, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
    /* MTI 2 from the terminal: an SMS-COMMAND. */
    ck_assert_ptr_null(properties("02000000000691214365"
                                  "00",
                                  FALSE, &command));
    ck_assert(g_error_matches(command, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
}
END_TEST

static Suite *card_sms_suite(void)
{
    Suite *suite = suite_create("card-sms");
    TCase *tc = tcase_create("card-sms");

    tcase_add_test(tc, gsm_text_to_an_international_number);
    tcase_add_test(tc, a_national_number_has_no_plus);
    tcase_add_test(tc, eight_bit_data_is_data_unless_the_terminal_must_pack_it);
    tcase_add_test(tc, one_hundred_and_sixty_characters_to_pack_fit_one_message);
    tcase_add_test(tc, ucs2_text_and_the_message_class);
    tcase_add_test(tc, what_modemmanager_cannot_carry_is_not_supported);
    tcase_add_test(tc, a_tpdu_that_does_not_decode_is_invalid);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(card_sms_suite());
}
