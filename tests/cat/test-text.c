/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cat/cat.h"
#include "tests/check-run.h"

START_TEST(gsm_unpacked_maps_default_and_extension_tables)
{
    /* "@£$" then the extension table: € [ ] { } ~ ^ \ | */
    static const guint8 data[] = { 0x00, 0x01, 0x02, 0x1b, 0x65, 0x1b, 0x3c, 0x1b,
                                   0x3e, 0x1b, 0x28, 0x1b, 0x29, 0x1b, 0x3d, 0x1b,
                                   0x14, 0x1b, 0x2f, 0x1b, 0x40, 0x10, 0x5f, 0x7f };
    g_autofree char *text = cat_gsm_unpacked_to_utf8(data, sizeof(data));

    ck_assert_str_eq(text, "@£$€[]{}~^\\|Δ§à");
}
END_TEST

START_TEST(gsm_unpacked_stops_at_ff_padding)
{
    static const guint8 data[] = { 'A', 'B', 0xff, 0xff };
    g_autofree char *text = cat_gsm_unpacked_to_utf8(data, sizeof(data));

    ck_assert_str_eq(text, "AB");
}
END_TEST

START_TEST(gsm_unknown_extension_reads_as_default_character)
{
    static const guint8 data[] = { 0x1b, 0x41, 0x1b };
    g_autofree char *text = cat_gsm_unpacked_to_utf8(data, sizeof(data));

    ck_assert_str_eq(text, "A ");
}
END_TEST

START_TEST(utf8_to_gsm_unpacked_refuses_characters_outside_the_alphabet)
{
    g_autoptr(GByteArray) out = g_byte_array_new();

    ck_assert(cat_utf8_to_gsm_unpacked("€1", out));
    ck_assert_uint_eq(out->len, 3);
    ck_assert_mem_eq(out->data, "\x1b\x65\x31", 3);
    ck_assert(!cat_utf8_to_gsm_unpacked("Ж", out));
    ck_assert_uint_eq(out->len, 3);
}
END_TEST

/* "hellohello" packed is the classic TS 23.038 example. */
START_TEST(gsm_packing_matches_the_spec_example)
{
    static const guint8 packed[] = { 0xe8, 0x32, 0x9b, 0xfd, 0x46, 0x97, 0xd9, 0xec, 0x37 };
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autofree char *text = cat_gsm_packed_to_utf8(packed, sizeof(packed), 10, 0);

    ck_assert_str_eq(text, "hellohello");
    ck_assert(cat_utf8_to_gsm_packed("hellohello", out));
    ck_assert_uint_eq(out->len, sizeof(packed));
    ck_assert_mem_eq(out->data, packed, sizeof(packed));
}
END_TEST

START_TEST(seven_characters_are_padded_with_cr_and_read_back_without_it)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autofree char *text = NULL;

    ck_assert(cat_utf8_to_gsm_packed("1234567", out));
    ck_assert_uint_eq(out->len, 7);
    ck_assert_uint_eq(out->data[6] >> 1, '\r');
    text = cat_text_to_utf8(0x00, out->data, out->len);
    ck_assert_str_eq(text, "1234567");
}
END_TEST

START_TEST(packed_text_after_a_header_honours_fill_bits)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GByteArray) shifted = g_byte_array_new();
    g_autofree char *text = NULL;
    guint carry = 0;

    /* Shift a packed "abc" left by one bit, as after a 6-byte header (fill of 1 bit). */
    ck_assert(cat_utf8_to_gsm_packed("abc", out));
    for (guint i = 0; i < out->len; i++) {
        guint8 b = (guint8)(out->data[i] << 1 | carry);
        carry = out->data[i] >> 7;
        g_byte_array_append(shifted, &b, 1);
    }
    text = cat_gsm_packed_to_utf8(shifted->data, shifted->len, 3, 1);
    ck_assert_str_eq(text, "abc");
}
END_TEST

START_TEST(packed_septet_count_beyond_the_data_is_clamped)
{
    static const guint8 data[] = { 0xc8 };
    g_autofree char *text = cat_gsm_packed_to_utf8(data, 1, 100, 0);

    ck_assert_str_eq(text, "H");
}
END_TEST

static char *alpha(const char *hex_text, CatAlphaCoding *coding, GError **error)
{
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    for (gsize i = 0; hex_text[i] != '\0'; i += 2) {
        guint8 b = (guint8)(g_ascii_xdigit_value(hex_text[i]) << 4 |
                            g_ascii_xdigit_value(hex_text[i + 1]));
        g_byte_array_append(bytes, &b, 1);
    }
    return cat_alpha_to_utf8(bytes->data, bytes->len, coding, error);
}

START_TEST(alpha_identifier_reads_all_four_codings)
{
    CatAlphaCoding coding;
    g_autofree char *gsm = alpha("546f6f6c6b6974ffff", &coding, NULL);
    g_autofree char *ucs2_80 = NULL, *ucs2_81 = NULL, *ucs2_82 = NULL, *empty = NULL;

    ck_assert_str_eq(gsm, "Toolkit");
    ck_assert_int_eq(coding, CAT_ALPHA_GSM);
    ucs2_80 = alpha("80041704140420ffff", &coding, NULL);
    ck_assert_str_eq(ucs2_80, "ЗДР");
    ck_assert_int_eq(coding, CAT_ALPHA_UCS2_80);
    /* 81: base 0x07 << 7 = U+0380; 0x91 is U+0391 Α, 0x13 is GSM Γ. */
    ucs2_81 = alpha("810307919213", &coding, NULL);
    ck_assert_str_eq(ucs2_81, "ΑΒΓ");
    ck_assert_int_eq(coding, CAT_ALPHA_UCS2_81);
    /* 82: a 16-bit base U+0410. */
    ucs2_82 = alpha("82030410909141", &coding, NULL);
    ck_assert_str_eq(ucs2_82, "РСA");
    ck_assert_int_eq(coding, CAT_ALPHA_UCS2_82);
    empty = alpha("", &coding, NULL);
    ck_assert_str_eq(empty, "");
}
END_TEST

START_TEST(malformed_alpha_identifiers_are_errors)
{
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;

    ck_assert_ptr_null(alpha("80041704", NULL, &e1));
    ck_assert(g_error_matches(e1, CAT_ERROR, CAT_ERROR_MALFORMED));
    ck_assert_ptr_null(alpha("810507", NULL, &e2));
    ck_assert(g_error_matches(e2, CAT_ERROR, CAT_ERROR_TRUNCATED));
    ck_assert_ptr_null(alpha("8203041090", NULL, &e3));
    ck_assert(g_error_matches(e3, CAT_ERROR, CAT_ERROR_TRUNCATED));
    ck_assert_ptr_null(alpha("8501", NULL, &e4));
    ck_assert(g_error_matches(e4, CAT_ERROR, CAT_ERROR_MALFORMED));
}
END_TEST

START_TEST(alpha_encoding_round_trips_in_each_coding)
{
    static const struct {
        const char *text;
        int coding;
    } cases[] = {
        { "Toolkit €", CAT_ALPHA_GSM },        { "ЗДРАВСТВУЙТЕ", CAT_ALPHA_UCS2_80 },
        { "ΑΒΓ and more", CAT_ALPHA_UCS2_81 }, { "РСA", CAT_ALPHA_UCS2_82 },
        { "日旦", CAT_ALPHA_UCS2_82 },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GByteArray) out = g_byte_array_new();
        g_autofree char *back = NULL;
        CatAlphaCoding coding;

        ck_assert(cat_utf8_to_alpha(cases[i].text, cases[i].coding, out, NULL));
        back = cat_alpha_to_utf8(out->data, out->len, &coding, NULL);
        ck_assert_str_eq(back, cases[i].text);
        ck_assert_int_eq(coding, cases[i].coding);
    }
}
END_TEST

START_TEST(alpha_encoding_picks_gsm_then_ucs2_and_refuses_what_cannot_fit)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GError) error = NULL;

    ck_assert(cat_utf8_to_alpha("abc", -1, out, NULL));
    ck_assert_mem_eq(out->data, "abc", 3);
    g_byte_array_set_size(out, 0);
    ck_assert(cat_utf8_to_alpha("Жa", -1, out, NULL));
    ck_assert_uint_eq(out->data[0], 0x80);
    g_byte_array_set_size(out, 0);
    /* Cyrillic and CJK are too far apart for one 128-character window. */
    ck_assert(!cat_utf8_to_alpha("Ж日", CAT_ALPHA_UCS2_81, out, &error));
    ck_assert(g_error_matches(error, CAT_ERROR, CAT_ERROR_INVALID));
}
END_TEST

START_TEST(text_strings_decode_by_dcs)
{
    g_autofree char *bit8 = cat_text_to_utf8(0x04, (const guint8 *)"Hi", 2);
    g_autofree char *ucs2 = cat_text_to_utf8(0x08, (const guint8 *)"\x04\x17\x00\x41", 4);
    g_autofree char *class0_gsm = NULL, *class0_8bit = NULL, *general_ucs2 = NULL;
    g_autoptr(GByteArray) packed = g_byte_array_new();

    ck_assert_str_eq(bit8, "Hi");
    ck_assert_str_eq(ucs2, "ЗA");
    ck_assert(cat_utf8_to_gsm_packed("Test", packed));
    class0_gsm = cat_text_to_utf8(0xf0, packed->data, packed->len);
    ck_assert_str_eq(class0_gsm, "Test");
    class0_8bit = cat_text_to_utf8(0xf4, (const guint8 *)"ok", 2);
    ck_assert_str_eq(class0_8bit, "ok");
    general_ucs2 = cat_text_to_utf8(0x18, (const guint8 *)"\x00\x41", 2);
    ck_assert_str_eq(general_ucs2, "A");
    ck_assert_ptr_null(cat_text_to_utf8(0x24, (const guint8 *)"x", 1)); /* compressed */
    ck_assert_ptr_null(cat_text_to_utf8(0x08, (const guint8 *)"x", 1)); /* odd UCS2 */
    ck_assert_ptr_null(cat_text_to_utf8(0x04, (const guint8 *)"\xff", 1));
}
END_TEST

START_TEST(dcs_alphabets_follow_ts_23_038)
{
    ck_assert_int_eq(cat_dcs_alphabet(0x00), CAT_DCS_GSM7);
    ck_assert_int_eq(cat_dcs_alphabet(0x04), CAT_DCS_8BIT);
    ck_assert_int_eq(cat_dcs_alphabet(0x08), CAT_DCS_UCS2);
    ck_assert_int_eq(cat_dcs_alphabet(0x0c), CAT_DCS_OTHER);
    ck_assert_int_eq(cat_dcs_alphabet(0x20), CAT_DCS_OTHER);
    ck_assert_int_eq(cat_dcs_alphabet(0x44), CAT_DCS_8BIT);
    ck_assert_int_eq(cat_dcs_alphabet(0xc8), CAT_DCS_GSM7);
    ck_assert_int_eq(cat_dcs_alphabet(0xe0), CAT_DCS_UCS2);
    ck_assert_int_eq(cat_dcs_alphabet(0xf6), CAT_DCS_8BIT);
    ck_assert_int_eq(cat_dcs_alphabet(0xf1), CAT_DCS_GSM7);
    ck_assert_int_eq(cat_dcs_alphabet(0x90), CAT_DCS_OTHER);
}
END_TEST

START_TEST(text_encoding_follows_the_dcs)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GError) error = NULL;

    ck_assert(cat_utf8_to_text(0x08, "Ж", out, NULL));
    ck_assert_mem_eq(out->data, "\x04\x16", 2);
    ck_assert(!cat_utf8_to_text(0x00, "Ж", out, &error));
    ck_assert(g_error_matches(error, CAT_ERROR, CAT_ERROR_INVALID));
}
END_TEST

static Suite *text_suite(void)
{
    Suite *suite = suite_create("text");
    TCase *tc = tcase_create("text");

    tcase_add_test(tc, gsm_unpacked_maps_default_and_extension_tables);
    tcase_add_test(tc, gsm_unpacked_stops_at_ff_padding);
    tcase_add_test(tc, gsm_unknown_extension_reads_as_default_character);
    tcase_add_test(tc, utf8_to_gsm_unpacked_refuses_characters_outside_the_alphabet);
    tcase_add_test(tc, gsm_packing_matches_the_spec_example);
    tcase_add_test(tc, seven_characters_are_padded_with_cr_and_read_back_without_it);
    tcase_add_test(tc, packed_text_after_a_header_honours_fill_bits);
    tcase_add_test(tc, packed_septet_count_beyond_the_data_is_clamped);
    tcase_add_test(tc, alpha_identifier_reads_all_four_codings);
    tcase_add_test(tc, malformed_alpha_identifiers_are_errors);
    tcase_add_test(tc, alpha_encoding_round_trips_in_each_coding);
    tcase_add_test(tc, alpha_encoding_picks_gsm_then_ucs2_and_refuses_what_cannot_fit);
    tcase_add_test(tc, text_strings_decode_by_dcs);
    tcase_add_test(tc, dcs_alphabets_follow_ts_23_038);
    tcase_add_test(tc, text_encoding_follows_the_dcs);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(text_suite());
}
