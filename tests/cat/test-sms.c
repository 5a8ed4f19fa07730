/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cat/cat.h"
#include "tests/check-run.h"
#include "tests/test-util.h"

#define PACKAGE0 "3b211c3417bf6b16b34aca0048279ab202e800000012340e636f6d2e6578616d706c652e646d"
/* SUBMIT, UDHI, MR 0, DA "1234", PID 0, DCS 8-bit, UDH with 16-bit ports 2948/9200, then a
 * WSP push of application/vnd.syncml.notification with X-Wap-Application-Id syncml.dm. */
#define SUBMIT_PUSH "4100048121430004330605040b8423f0010603c4af87" PACKAGE0

START_TEST(submit_with_port_addressed_push_is_decoded)
{
    g_autoptr(GByteArray) tpdu = hex(SUBMIT_PUSH);
    g_autoptr(GByteArray) package0 = hex(PACKAGE0);
    CatSmsTpdu sms;
    CatWapPush push;

    ck_assert(cat_sms_parse(tpdu->data, tpdu->len, TRUE, &sms, NULL));
    ck_assert_int_eq(sms.type, CAT_SMS_SUBMIT);
    ck_assert_str_eq(sms.address, "1234");
    ck_assert_uint_eq(sms.ton, 0);
    ck_assert_uint_eq(sms.npi, 1);
    ck_assert_uint_eq(sms.dcs, 0x04);
    ck_assert(sms.udhi);
    ck_assert(sms.has_ports);
    ck_assert_uint_eq(sms.dest_port, CAT_WSP_PORT_PUSH);
    ck_assert_uint_eq(sms.src_port, 9200);

    ck_assert(cat_wap_push_parse(sms.user_data, sms.user_data_length, &push, NULL));
    ck_assert_uint_eq(push.transaction_id, 1);
    ck_assert(push.is_dm_notification);
    ck_assert_int_eq(push.content_type_code, 0x44);
    ck_assert_str_eq(push.content_type, "application/vnd.syncml.notification");
    ck_assert_int_eq(push.application_id, 7);
    ck_assert_uint_eq(push.body_length, package0->len);
    ck_assert_mem_eq(push.body, package0->data, package0->len);
}
END_TEST

START_TEST(submit_with_relative_validity_period_is_skipped_correctly)
{
    /* VPF = 10 (relative, one byte 0xA7); 7-bit "hi". */
    g_autoptr(GByteArray) tpdu = hex("1100048121430000a702e834");
    CatSmsTpdu sms;
    g_autofree char *text = NULL;

    ck_assert(cat_sms_parse(tpdu->data, tpdu->len, TRUE, &sms, NULL));
    ck_assert_uint_eq(sms.user_data_septets, 2);
    text = cat_gsm_packed_to_utf8(sms.user_data, sms.user_data_length, sms.user_data_septets,
                                  sms.user_data_fill_bits);
    ck_assert_str_eq(text, "hi");
}
END_TEST

START_TEST(deliver_with_concatenation_header_and_7bit_text_uses_fill_bits)
{
    /* DELIVER, UDHI, OA +4412 (international), DCS 0, UDH 05 00 03 2a 02 01 (6 bytes = 48
     * bits: 1 fill bit), then "hello". UDL = 7 header septets + 5. */
    g_autoptr(GByteArray) packed = g_byte_array_new();
    g_autoptr(GString) tpdu_hex = g_string_new("4404914421000062208110000000");
    g_autoptr(GByteArray) tpdu = NULL;
    CatSmsTpdu sms;
    g_autofree char *text = NULL;
    guint carry = 0;

    ck_assert(cat_utf8_to_gsm_packed("hello", packed));
    g_string_append(tpdu_hex, "0c050003");
    g_string_append(tpdu_hex, "2a0201");
    for (guint i = 0; i < packed->len; i++) {
        g_string_append_printf(tpdu_hex, "%02x", (guint8)(packed->data[i] << 1 | carry));
        carry = packed->data[i] >> 7;
    }
    tpdu = hex(tpdu_hex->str);
    ck_assert(cat_sms_parse(tpdu->data, tpdu->len, FALSE, &sms, NULL));
    ck_assert_int_eq(sms.type, CAT_SMS_DELIVER);
    ck_assert_str_eq(sms.address, "4412");
    ck_assert_uint_eq(sms.ton, 1);
    ck_assert(sms.has_concat);
    ck_assert_uint_eq(sms.concat_ref, 0x2a);
    ck_assert_uint_eq(sms.concat_total, 2);
    ck_assert_uint_eq(sms.concat_seq, 1);
    ck_assert_uint_eq(sms.user_data_fill_bits, 1);
    ck_assert_uint_eq(sms.user_data_septets, 5);
    text = cat_gsm_packed_to_utf8(sms.user_data, sms.user_data_length, sms.user_data_septets,
                                  sms.user_data_fill_bits);
    ck_assert_str_eq(text, "hello");
}
END_TEST

START_TEST(deliver_direction_decides_mti)
{
    g_autoptr(GByteArray) tpdu = hex("0004812143000462208110000000"
                                     "0161");
    CatSmsTpdu sms;

    ck_assert(cat_sms_parse(tpdu->data, tpdu->len, FALSE, &sms, NULL));
    ck_assert_int_eq(sms.type, CAT_SMS_DELIVER);
    ck_assert(cat_sms_parse(tpdu->data, tpdu->len, TRUE, &sms, NULL));
    ck_assert_int_eq(sms.type, CAT_SMS_RESERVED);
    ck_assert_str_eq(cat_sms_type_name(CAT_SMS_SUBMIT), "submit");
}
END_TEST

static void expect_sms_error(const char *hex_text, gboolean from_terminal, const char *part)
{
    g_autoptr(GByteArray) tpdu = hex(hex_text);
    g_autoptr(GError) error = NULL;
    CatSmsTpdu sms;

    ck_assert_msg(!cat_sms_parse(tpdu->data, tpdu->len, from_terminal, &sms, &error), "%s",
                  hex_text);
    ck_assert_msg(strstr(error->message, part) != NULL, "\"%s\" lacks \"%s\"", error->message,
                  part);
}

START_TEST(malformed_tpdus_are_rejected)
{
    expect_sms_error("", TRUE, "first octet");
    expect_sms_error("0100", TRUE, "address length");
    expect_sms_error("010016812143", TRUE, "address of 22 digits");
    expect_sms_error("0100048121", TRUE, "address needs 2 bytes");
    expect_sms_error("01000481214300040561", TRUE, "user data needs 5 bytes");
    expect_sms_error("0100048121430004016162", TRUE, "1 bytes of trailing data");
    expect_sms_error("010004812143000400ff", TRUE, "trailing");
    expect_sms_error("0100048121430004a1", TRUE, "user data length 161");
    /* UDH length 9 in 4 bytes of user data. */
    expect_sms_error("4100048121430004040905040b", TRUE, "header longer than the user data");
    /* An element whose length runs past the header. */
    expect_sms_error("41000481214300040403050a0b", TRUE, "runs past the header");
    expect_sms_error("040481214300f6622081100000", FALSE, "service centre time stamp");
}
END_TEST

static gboolean push(const char *hex_text, CatWapPush *out, GError **error)
{
    g_autoptr(GByteArray) bytes = hex(hex_text);
    return cat_wap_push_parse(bytes->data, bytes->len, out, error);
}

START_TEST(push_content_type_as_text_is_recognised_in_both_names)
{
    CatWapPush p;
    g_autoptr(GString) a = g_string_new("0106");
    g_autoptr(GString) b = g_string_new("0206");
    const char *name_a = "application/vnd.syncml.notification";
    const char *name_b = "application/vnd.syncml.dm.notification";

    g_string_append_printf(a, "%02x", (guint)strlen(name_a) + 1);
    for (const char *c = name_a; *c; c++)
        g_string_append_printf(a, "%02x", *c);
    g_string_append(a, "00aabb");
    ck_assert(push(a->str, &p, NULL));
    ck_assert(p.is_dm_notification);
    ck_assert_int_eq(p.content_type_code, -1);
    ck_assert_uint_eq(p.body_length, 2);

    g_string_append_printf(b, "%02x", (guint)strlen(name_b) + 1);
    for (const char *c = name_b; *c; c++)
        g_string_append_printf(b, "%02x", *c);
    g_string_append(b, "00cc");
    ck_assert(push(b->str, &p, NULL));
    ck_assert(p.is_dm_notification);
    ck_assert_uint_eq(p.transaction_id, 2);
}
END_TEST

START_TEST(push_content_type_in_general_form_and_other_types)
{
    CatWapPush p;

    /* Value-length 1, then the short integer 0x44. */
    ck_assert(push("01060201c4aa", &p, NULL));
    ck_assert(p.is_dm_notification);
    /* application/vnd.syncml.dm+wbxml (0x42) is a push, but not a notification. */
    ck_assert(push("010601c2aa", &p, NULL));
    ck_assert(!p.is_dm_notification);
    ck_assert_str_eq(p.content_type, "application/vnd.syncml.dm+wbxml");
}
END_TEST

START_TEST(malformed_pushes_are_rejected)
{
    CatWapPush p;
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL, e6 = NULL;
    g_autoptr(GError) e7 = NULL, e8 = NULL;

    ck_assert(!push("0140", &p, &e1)); /* not a push PDU */
    ck_assert(g_error_matches(e1, CAT_ERROR, CAT_ERROR_UNSUPPORTED));
    ck_assert(!push("010605c4", &p, &e2)); /* headers past the end */
    ck_assert(g_error_matches(e2, CAT_ERROR, CAT_ERROR_TRUNCATED));
    ck_assert(!push("010600", &p, &e3)); /* no content type */
    ck_assert(g_error_matches(e3, CAT_ERROR, CAT_ERROR_MALFORMED));
    ck_assert(!push("0106026162", &p, &e4)); /* text without NUL */
    ck_assert(g_error_matches(e4, CAT_ERROR, CAT_ERROR_MALFORMED));
    ck_assert(!push("010680808080808001", &p, &e5)); /* uintvar too long */
    ck_assert(g_error_matches(e5, CAT_ERROR, CAT_ERROR_MALFORMED));
    ck_assert(!push("0106021f05", &p, &e6)); /* value length past the headers */
    ck_assert(g_error_matches(e6, CAT_ERROR, CAT_ERROR_TRUNCATED));
    /* A uintvar that continues past the headers must not be read from the body (fuzz). */
    ck_assert(!push("0106021f8501aabbcc", &p, &e7));
    ck_assert(g_error_matches(e7, CAT_ERROR, CAT_ERROR_TRUNCATED));
    ck_assert(!push("0106020044", &p, &e8)); /* empty general-form value */
    ck_assert(g_error_matches(e8, CAT_ERROR, CAT_ERROR_MALFORMED));
}
END_TEST

static Suite *sms_suite(void)
{
    Suite *suite = suite_create("sms");
    TCase *tc = tcase_create("sms");

    tcase_add_test(tc, submit_with_port_addressed_push_is_decoded);
    tcase_add_test(tc, submit_with_relative_validity_period_is_skipped_correctly);
    tcase_add_test(tc, deliver_with_concatenation_header_and_7bit_text_uses_fill_bits);
    tcase_add_test(tc, deliver_direction_decides_mti);
    tcase_add_test(tc, malformed_tpdus_are_rejected);
    tcase_add_test(tc, push_content_type_as_text_is_recognised_in_both_names);
    tcase_add_test(tc, push_content_type_in_general_form_and_other_types);
    tcase_add_test(tc, malformed_pushes_are_rejected);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(sms_suite());
}
