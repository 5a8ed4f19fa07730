/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cat/cat.h"
#include "tests/check-run.h"

static const guint8 two_objects[] = { 0x81, 0x03, 0x01, 0x21, 0x80, 0x02, 0x02, 0x81, 0x02 };

START_TEST(iterator_walks_objects_with_cr_bit_and_offsets)
{
    CatTlvIter iter;
    CatTlv tlv;

    cat_tlv_iter_init(&iter, two_objects, sizeof(two_objects), 2);
    ck_assert_int_eq(cat_tlv_iter_next(&iter, &tlv, NULL), 1);
    ck_assert_uint_eq(tlv.tag, 0x01);
    ck_assert(tlv.cr);
    ck_assert_uint_eq(tlv.length, 3);
    ck_assert_uint_eq(tlv.offset, 2);
    ck_assert_ptr_eq(tlv.value, two_objects + 2);
    ck_assert_int_eq(cat_tlv_iter_next(&iter, &tlv, NULL), 1);
    ck_assert_uint_eq(tlv.tag, 0x02);
    ck_assert(!tlv.cr);
    ck_assert_uint_eq(tlv.offset, 7);
    ck_assert_int_eq(cat_tlv_iter_next(&iter, &tlv, NULL), 0);
}
END_TEST

START_TEST(two_byte_length_form_is_read)
{
    guint8 data[2 + 1 + 200] = { 0x36, 0x81, 200 };
    CatTlvIter iter;
    CatTlv tlv;

    cat_tlv_iter_init(&iter, data, 3 + 200, 0);
    ck_assert_int_eq(cat_tlv_iter_next(&iter, &tlv, NULL), 1);
    ck_assert_uint_eq(tlv.length, 200);
    ck_assert_ptr_eq(tlv.value, data + 3);
}
END_TEST

START_TEST(three_byte_tag_form_keeps_cr_and_15_bit_tag)
{
    static const guint8 data[] = { 0x7f, 0x81, 0x23, 0x01, 0xaa };
    CatTlvIter iter;
    CatTlv tlv;
    g_autoptr(GByteArray) out = g_byte_array_new();

    cat_tlv_iter_init(&iter, data, sizeof(data), 0);
    ck_assert_int_eq(cat_tlv_iter_next(&iter, &tlv, NULL), 1);
    ck_assert(tlv.three_byte);
    ck_assert(tlv.cr);
    ck_assert_uint_eq(tlv.tag, 0x0123);
    cat_tlv_append(out, tlv.tag, tlv.cr, tlv.value, tlv.length);
    ck_assert_mem_eq(out->data, data, sizeof(data));
}
END_TEST

static void expect_error(const guint8 *data, gsize length, int code, const char *part)
{
    g_autoptr(GError) error = NULL;
    CatTlvIter iter;
    CatTlv tlv;
    int r;

    cat_tlv_iter_init(&iter, data, length, 0);
    while ((r = cat_tlv_iter_next(&iter, &tlv, &error)) > 0)
        ;
    ck_assert_int_eq(r, -1);
    ck_assert(g_error_matches(error, CAT_ERROR, code));
    ck_assert_msg(strstr(error->message, part) != NULL, "\"%s\" lacks \"%s\"", error->message,
                  part);
}

START_TEST(length_past_the_end_is_truncated_with_offset)
{
    static const guint8 data[] = { 0x81, 0x03, 0x01, 0x21, 0x80, 0x82, 0x05, 0x81, 0x02 };
    expect_error(data, sizeof(data), CAT_ERROR_TRUNCATED,
                 "device-identities (0x02): length 5 at offset 5 runs past the end");
}
END_TEST

START_TEST(missing_length_byte_is_truncated)
{
    static const guint8 data[] = { 0x81 };
    expect_error(data, sizeof(data), CAT_ERROR_TRUNCATED, "length missing at offset 1");
}
END_TEST

START_TEST(two_byte_length_cut_short_is_truncated)
{
    static const guint8 data[] = { 0x36, 0x81 };
    expect_error(data, sizeof(data), CAT_ERROR_TRUNCATED, "two-byte length cut short");
}
END_TEST

START_TEST(length_forms_other_than_81_are_malformed)
{
    static const guint8 data[] = { 0x36, 0x82, 0x00, 0x01, 0xaa };
    expect_error(data, sizeof(data), CAT_ERROR_MALFORMED, "length byte 0x82 at offset 1");
}
END_TEST

START_TEST(reserved_tag_values_are_malformed)
{
    static const guint8 zero[] = { 0x00, 0x00 };
    static const guint8 ff[] = { 0xff, 0x00 };
    expect_error(zero, sizeof(zero), CAT_ERROR_MALFORMED, "invalid tag 0x00 at offset 0");
    expect_error(ff, sizeof(ff), CAT_ERROR_MALFORMED, "invalid tag 0xff");
}
END_TEST

START_TEST(three_byte_tag_cut_short_is_truncated)
{
    static const guint8 data[] = { 0x7f, 0x81 };
    expect_error(data, sizeof(data), CAT_ERROR_TRUNCATED, "three-byte tag cut short");
}
END_TEST

/* Every prefix of a valid object list ends cleanly: an object or an error, never a read past
 * the end (run under ASan, this is the bounds check). */
START_TEST(every_prefix_is_handled_without_overread)
{
    for (gsize n = 0; n <= sizeof(two_objects); n++) {
        g_autofree guint8 *copy = g_memdup2(two_objects, n);
        CatTlvIter iter;
        CatTlv tlv;
        GError *error = NULL;
        int r;

        cat_tlv_iter_init(&iter, copy, n, 0);
        while ((r = cat_tlv_iter_next(&iter, &tlv, &error)) > 0)
            ck_assert(tlv.value + tlv.length <= copy + n);
        ck_assert(r == 0 || error != NULL);
        g_clear_error(&error);
    }
}
END_TEST

START_TEST(ber_length_append_uses_the_minimal_form)
{
    g_autoptr(GByteArray) out = g_byte_array_new();

    cat_ber_length_append(out, 0x7f);
    cat_ber_length_append(out, 0x80);
    cat_ber_length_append(out, 0xff);
    ck_assert_uint_eq(out->len, 5);
    ck_assert_mem_eq(out->data, "\x7f\x81\x80\x81\xff", 5);
}
END_TEST

START_TEST(names_map_both_ways_with_generic_fallbacks)
{
    guint8 code;
    guint16 tag;

    ck_assert_str_eq(cat_command_name(0x40), "open-channel");
    ck_assert_ptr_null(cat_command_name(0x99));
    ck_assert(cat_command_from_name("command-99", &code) && code == 0x99);
    ck_assert(cat_command_from_name("send-short-message", &code) && code == 0x13);
    ck_assert_str_eq(cat_tag_name(0x3c), "uicc-terminal-interface-transport-level");
    ck_assert(cat_tag_from_name("tag-7a", &tag) && tag == 0x7a);
    ck_assert(!cat_tag_from_name("tag-zz", &tag));
    ck_assert_str_eq(cat_device_name(0x23), "channel-3");
    ck_assert(cat_device_from_name("device-99", &code) && code == 0x99);
    ck_assert(cat_device_from_name("uicc", &code) && code == 0x81);
    ck_assert_str_eq(cat_envelope_name(0xd6), "event-download");
    ck_assert_str_eq(cat_event_name(0x0a), "channel-status");
    ck_assert(cat_event_from_name("data-available", &code) && code == 0x09);
}
END_TEST

START_TEST(hex_is_read_with_spaces_between_bytes_and_nothing_else)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autofree char *text = NULL;
    static const guint8 bytes[] = { 0xd0, 0x09, 0x81 };

    ck_assert(cat_hex_decode("D0 09\t81", out));
    ck_assert_uint_eq(out->len, 3);
    ck_assert_mem_eq(out->data, bytes, 3);
    /* Odd digits, a space inside a byte or a non-hex character: refused, @out as it was. */
    ck_assert(!cat_hex_decode("d00", out));
    ck_assert(!cat_hex_decode("d 0", out));
    ck_assert(!cat_hex_decode("d0zz", out));
    ck_assert_uint_eq(out->len, 3);
    ck_assert(cat_hex_decode("", out));
    text = cat_hex_encode(bytes, sizeof(bytes));
    ck_assert_str_eq(text, "d00981");
}
END_TEST

static Suite *tlv_suite(void)
{
    Suite *suite = suite_create("tlv");
    TCase *tc = tcase_create("tlv");

    tcase_add_test(tc, iterator_walks_objects_with_cr_bit_and_offsets);
    tcase_add_test(tc, two_byte_length_form_is_read);
    tcase_add_test(tc, three_byte_tag_form_keeps_cr_and_15_bit_tag);
    tcase_add_test(tc, length_past_the_end_is_truncated_with_offset);
    tcase_add_test(tc, missing_length_byte_is_truncated);
    tcase_add_test(tc, two_byte_length_cut_short_is_truncated);
    tcase_add_test(tc, length_forms_other_than_81_are_malformed);
    tcase_add_test(tc, reserved_tag_values_are_malformed);
    tcase_add_test(tc, three_byte_tag_cut_short_is_truncated);
    tcase_add_test(tc, every_prefix_is_handled_without_overread);
    tcase_add_test(tc, ber_length_append_uses_the_minimal_form);
    tcase_add_test(tc, names_map_both_ways_with_generic_fallbacks);
    tcase_add_test(tc, hex_is_read_with_spaces_between_bytes_and_nothing_else);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(tlv_suite());
}
