/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A DM notification checked against the account of the server it names (design §4.3). */
#include "dmscd.h"
#include "tests/check-run.h"
#include "tests/test-util.h"

/* Design §4.3: com.example.dm, S3cret!, session 0x1234, digest with four zero bytes. */
#define PACKAGE0 "3b211c3417bf6b16b34aca0048279ab202e800000012340e636f6d2e6578616d706c652e646d"

static DmscdTree tree;
static DmNotification *notification;

static void leaf(const char *uri, const char *format, const char *value, gsize length)
{
    ck_assert_int_eq(dm_tree_add(tree.tree, NULL, uri, format, NULL, (const guint8 *)value, length),
                     200);
}

static void account(const char *nonce, gsize nonce_length)
{
    ck_assert_int_eq(dm_tree_add(tree.tree, NULL, "./DMAcc/X", "node", NULL, NULL, 0), 200);
    leaf("./DMAcc/X/ServerID", "chr", "com.example.dm", 14);
    ck_assert_int_eq(dm_tree_add(tree.tree, NULL, "./DMAcc/X/AppAuth", "node", NULL, NULL, 0), 200);
    ck_assert_int_eq(dm_tree_add(tree.tree, NULL, "./DMAcc/X/AppAuth/S", "node", NULL, NULL, 0),
                     200);
    leaf("./DMAcc/X/AppAuth/S/AAuthLevel", "chr", "SRVCRED", 7);
    leaf("./DMAcc/X/AppAuth/S/AAuthSecret", "chr", "S3cret!", 7);
    leaf("./DMAcc/X/AppAuth/S/AAuthData", "bin", nonce, nonce_length);
}

static void setup(void)
{
    DmDeviceInfo info = { .dev_id = "IMEI:356938035643809" };
    g_autoptr(GByteArray) package0 = hex(PACKAGE0);

    tree.tree = dm_tree_new();
    dm_tree_add_standard_objects(tree.tree, &info);
    tree.resync_nonce = DMSCD_RESYNC_NONCE_ZERO_BYTES;
    notification = dm_notification_parse(package0->data, package0->len, NULL);
    ck_assert_ptr_nonnull(notification);
}

static void teardown(void)
{
    g_clear_pointer(&tree.tree, dm_tree_unref);
    g_clear_pointer(&notification, dm_notification_free);
}

START_TEST(the_digest_holds_with_the_accounts_server_secret_and_nonce)
{
    g_autoptr(GError) error = NULL;

    account("\0\0\0\0", 4);
    ck_assert_msg(dmscd_notification_verify(&tree, notification, &error), "%s",
                  error ? error->message : "");
}
END_TEST

START_TEST(a_stale_nonce_falls_back_to_the_configured_resynchronisation_nonce)
{
    g_autoptr(GError) text_form = NULL;

    account("stale", 5);
    /* The package was signed with four zero bytes: the default form finds it. */
    ck_assert(dmscd_notification_verify(&tree, notification, NULL));
    tree.resync_nonce = DMSCD_RESYNC_NONCE_TEXT_ZEROS;
    ck_assert(!dmscd_notification_verify(&tree, notification, &text_form));
    ck_assert(g_error_matches(text_form, DM_ERROR, DM_ERROR_AUTH));
}
END_TEST

START_TEST(no_account_or_no_server_credentials_do_not_verify)
{
    g_autoptr(GError) none = NULL, bare = NULL;

    ck_assert(!dmscd_notification_verify(&tree, notification, &none));
    ck_assert_msg(strstr(none->message, "no account for server \"com.example.dm\"") != NULL, "%s",
                  none->message);
    ck_assert_int_eq(dm_tree_add(tree.tree, NULL, "./DMAcc/Y", "node", NULL, NULL, 0), 200);
    leaf("./DMAcc/Y/ServerID", "chr", "com.example.dm", 14);
    ck_assert(!dmscd_notification_verify(&tree, notification, &bare));
    ck_assert_msg(strstr(bare->message, "SRVCRED") != NULL, "%s", bare->message);
}
END_TEST

static Suite *notification_suite(void)
{
    Suite *suite = suite_create("notification");
    TCase *tc = tcase_create("verify");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, the_digest_holds_with_the_accounts_server_secret_and_nonce);
    tcase_add_test(tc, a_stale_nonce_falls_back_to_the_configured_resynchronisation_nonce);
    tcase_add_test(tc, no_account_or_no_server_credentials_do_not_verify);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(notification_suite());
}
