/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dm/dm.h"
#include "tests/check-run.h"
#include "tests/test-util.h"

/* design §4.3: com.example.dm / S3cret! / session 0x1234 / informative / server. */
#define TRIGGER "02e800000012340e636f6d2e6578616d706c652e646d"
#define DIGEST  "3b211c3417bf6b16b34aca0048279ab2"

static const guint8 zero_nonce[4] = { 0 };

START_TEST(design_vector_builds_byte_for_byte)
{
    g_autoptr(GBytes) built =
        dm_notification_build("com.example.dm", "S3cret!", zero_nonce, 4, 0x1234,
                              DM_UI_MODE_INFORMATIVE, TRUE, NULL, 0, NULL);
    g_autoptr(GByteArray) want = hex(DIGEST TRIGGER);

    ck_assert_uint_eq(g_bytes_get_size(built), want->len);
    ck_assert_mem_eq(g_bytes_get_data(built, NULL), want->data, want->len);
}
END_TEST

START_TEST(design_vector_parses_every_field)
{
    g_autoptr(GByteArray) bytes = hex(DIGEST TRIGGER "cafe");
    g_autoptr(DmNotification) n = dm_notification_parse(bytes->data, bytes->len, NULL);
    g_autofree char *session = NULL;

    ck_assert_ptr_nonnull(n);
    ck_assert_uint_eq(n->version, 11);
    ck_assert_int_eq(n->ui_mode, DM_UI_MODE_INFORMATIVE);
    ck_assert(n->server_initiated);
    ck_assert_uint_eq(n->session_id, 0x1234);
    ck_assert_str_eq(n->server_id, "com.example.dm");
    ck_assert_uint_eq(g_bytes_get_size(n->vendor), 2);
    ck_assert_mem_eq(g_bytes_get_data(n->vendor, NULL), "\xca\xfe", 2);
    ck_assert_uint_eq(g_bytes_get_size(n->trigger), bytes->len - 16);
    session = dm_notification_session_id(n);
    ck_assert_str_eq(session, "1234");
}
END_TEST

START_TEST(digest_verifies_with_the_right_password_only)
{
    g_autoptr(GByteArray) bytes = hex(DIGEST TRIGGER);
    g_autoptr(DmNotification) n = dm_notification_parse(bytes->data, bytes->len, NULL);
    g_autoptr(GError) error = NULL;

    ck_assert(dm_notification_verify(n, "S3cret!", zero_nonce, 4, NULL, 0, NULL));
    ck_assert(!dm_notification_verify(n, "wrong", zero_nonce, 4, zero_nonce, 4, &error));
    ck_assert(g_error_matches(error, DM_ERROR, DM_ERROR_AUTH));
    ck_assert_ptr_nonnull(strstr(error->message, "com.example.dm"));
}
END_TEST

START_TEST(digest_retries_once_with_the_resynchronisation_nonce)
{
    static const guint8 server_nonce[] = { 0x12, 0x34, 0x56, 0x78 };
    g_autoptr(GByteArray) bytes = hex(DIGEST TRIGGER);
    g_autoptr(DmNotification) n = dm_notification_parse(bytes->data, bytes->len, NULL);
    g_autoptr(GError) error = NULL;

    /* Signed with the zero nonce: the account's own nonce fails, the retry succeeds. */
    ck_assert(dm_notification_verify(n, "S3cret!", server_nonce, 4, zero_nonce, 4, NULL));
    ck_assert(!dm_notification_verify(n, "S3cret!", server_nonce, 4, NULL, 0, &error));
    ck_assert(!dm_notification_verify(n, "S3cret!", server_nonce, 4, (const guint8 *)"AAAAAA==", 8,
                                      NULL));
}
END_TEST

START_TEST(other_fields_round_trip)
{
    g_autoptr(GBytes) built =
        dm_notification_build("x", "p", (const guint8 *)"n", 1, 0xffff, DM_UI_MODE_USER_INTERACTION,
                              FALSE, (const guint8 *)"\x01", 1, NULL);
    g_autoptr(DmNotification) n =
        dm_notification_parse(g_bytes_get_data(built, NULL), g_bytes_get_size(built), NULL);
    g_autofree char *session = dm_notification_session_id(n);

    ck_assert_int_eq(n->ui_mode, DM_UI_MODE_USER_INTERACTION);
    ck_assert(!n->server_initiated);
    ck_assert_str_eq(session, "FFFF");
    ck_assert(dm_notification_verify(n, "p", (const guint8 *)"n", 1, NULL, 0, NULL));
}
END_TEST

START_TEST(session_id_hex_has_no_leading_zeros)
{
    g_autoptr(GBytes) built = dm_notification_build("x", "p", zero_nonce, 4, 0x00a0,
                                                    DM_UI_MODE_BACKGROUND, TRUE, NULL, 0, NULL);
    g_autoptr(DmNotification) n =
        dm_notification_parse(g_bytes_get_data(built, NULL), g_bytes_get_size(built), NULL);
    g_autofree char *session = dm_notification_session_id(n);

    ck_assert_str_eq(session, "A0");
    ck_assert_str_eq(dm_ui_mode_name(n->ui_mode), "background");
}
END_TEST

static void expect_parse_error(const char *hex_text, int code, const char *part)
{
    g_autoptr(GByteArray) bytes = hex(hex_text);
    g_autoptr(GError) error = NULL;

    ck_assert_ptr_null(dm_notification_parse(bytes->data, bytes->len, &error));
    ck_assert(g_error_matches(error, DM_ERROR, code));
    ck_assert_msg(strstr(error->message, part) != NULL, "\"%s\" lacks \"%s\"", error->message,
                  part);
}

START_TEST(malformed_notifications_are_rejected)
{
    expect_parse_error("", DM_ERROR_TRUNCATED, "0 bytes, at least 24");
    expect_parse_error(DIGEST "02e800000012340f636f6d2e6578616d706c652e646d", DM_ERROR_TRUNCATED,
                       "server id length 15 at offset 23 runs past the end (14 bytes left)");
    expect_parse_error(DIGEST "02e8000000123400", DM_ERROR_MALFORMED, "server id");
    expect_parse_error(DIGEST "02e80000001234020a0d", DM_ERROR_MALFORMED, "printable ASCII");
}
END_TEST

START_TEST(every_truncation_is_rejected_without_overread)
{
    g_autoptr(GByteArray) bytes = hex(DIGEST TRIGGER);

    for (guint n = 0; n < bytes->len; n++) {
        g_autofree guint8 *copy = g_memdup2(bytes->data, n);
        g_autoptr(GError) error = NULL;
        ck_assert_ptr_null(dm_notification_parse(copy, n, &error));
        ck_assert_ptr_nonnull(error);
    }
}
END_TEST

START_TEST(builder_refuses_bad_server_ids)
{
    g_autofree char *long_id = g_strnfill(256, 'a');
    g_autoptr(GError) e1 = NULL, e2 = NULL;

    ck_assert_ptr_null(dm_notification_build("", "p", zero_nonce, 4, 1, 0, TRUE, NULL, 0, &e1));
    ck_assert_ptr_null(
        dm_notification_build(long_id, "p", zero_nonce, 4, 1, 0, TRUE, NULL, 0, &e2));
    ck_assert(g_error_matches(e2, DM_ERROR, DM_ERROR_MALFORMED));
}
END_TEST

static Suite *package0_suite(void)
{
    Suite *suite = suite_create("package0");
    TCase *tc = tcase_create("package0");

    tcase_add_test(tc, design_vector_builds_byte_for_byte);
    tcase_add_test(tc, design_vector_parses_every_field);
    tcase_add_test(tc, digest_verifies_with_the_right_password_only);
    tcase_add_test(tc, digest_retries_once_with_the_resynchronisation_nonce);
    tcase_add_test(tc, other_fields_round_trip);
    tcase_add_test(tc, session_id_hex_has_no_leading_zeros);
    tcase_add_test(tc, malformed_notifications_are_rejected);
    tcase_add_test(tc, every_truncation_is_rejected_without_overread);
    tcase_add_test(tc, builder_refuses_bad_server_ids);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(package0_suite());
}
