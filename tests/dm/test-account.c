/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DM accounts read from the tree as a bootstrap or a server leaves them. */
#include "dm/dm.h"
#include "tests/check-run.h"

static DmTree *tree;

static void leaf(const char *uri, const char *format, const char *value)
{
    ck_assert_int_eq(
        dm_tree_add(tree, NULL, uri, format, NULL, (const guint8 *)value, strlen(value)), 200);
}

static void node(const char *uri)
{
    ck_assert_int_eq(dm_tree_add(tree, NULL, uri, "node", NULL, NULL, 0), 200);
}

static void setup(void)
{
    DmDeviceInfo info = { .dev_id = "IMEI:356938035643809" };

    tree = dm_tree_new();
    dm_tree_add_standard_objects(tree, &info);
    /* One account without credentials, then the one looked for. */
    node("./DMAcc/Other");
    leaf("./DMAcc/Other/ServerID", "chr", "other.example");
    node("./DMAcc/Card");
    leaf("./DMAcc/Card/ServerID", "chr", "card.example");
    leaf("./DMAcc/Card/Name", "chr", "Card DM");
    node("./DMAcc/Card/AppAddr");
    node("./DMAcc/Card/AppAddr/1");
    leaf("./DMAcc/Card/AppAddr/1/Addr", "chr", "http://127.0.0.1:3516/dm");
    node("./DMAcc/Card/AppAuth");
    node("./DMAcc/Card/AppAuth/Server");
    leaf("./DMAcc/Card/AppAuth/Server/AAuthLevel", "chr", "SRVCRED");
    leaf("./DMAcc/Card/AppAuth/Server/AAuthType", "chr", "DIGEST");
    leaf("./DMAcc/Card/AppAuth/Server/AAuthName", "chr", "card.example");
    leaf("./DMAcc/Card/AppAuth/Server/AAuthSecret", "chr", "S3cret!");
    leaf("./DMAcc/Card/AppAuth/Server/AAuthData", "b64", "AAECAw==");
    node("./DMAcc/Card/AppAuth/Client");
    leaf("./DMAcc/Card/AppAuth/Client/AAuthLevel", "chr", "CLCRED");
    leaf("./DMAcc/Card/AppAuth/Client/AAuthType", "chr", "X509");
    leaf("./DMAcc/Card/AppAuth/Client/AAuthName", "chr", "device");
    leaf("./DMAcc/Card/AppAuth/Client/AAuthData", "bin", "nonce");
}

static void teardown(void)
{
    g_clear_pointer(&tree, dm_tree_unref);
}

START_TEST(the_account_of_a_server_id_with_its_address_and_credentials)
{
    g_autoptr(DmAccount) account = dm_account_find(tree, "card.example");

    ck_assert_ptr_nonnull(account);
    ck_assert_str_eq(account->node, "./DMAcc/Card");
    ck_assert_str_eq(account->name, "Card DM");
    ck_assert_str_eq(account->server_uri, "http://127.0.0.1:3516/dm");
    ck_assert(account->server.present && account->server.type_known);
    ck_assert_int_eq(account->server.type, DM_AUTH_MD5);
    ck_assert_str_eq(account->server.name, "card.example");
    ck_assert_str_eq(account->server.secret, "S3cret!");
    /* A b64 AAuthData is the nonce's bytes. */
    ck_assert_uint_eq(g_bytes_get_size(account->server.nonce), 4);
    ck_assert_mem_eq(g_bytes_get_data(account->server.nonce, NULL), "\x00\x01\x02\x03", 4);
}
END_TEST

START_TEST(an_unknown_auth_type_or_a_missing_part_is_said_so)
{
    g_autoptr(DmAccount) card = dm_account_find(tree, "card.example");
    g_autoptr(DmAccount) other = dm_account_find(tree, "other.example");

    ck_assert(card->client.present);
    ck_assert(!card->client.type_known);
    ck_assert_ptr_null(card->client.secret);
    ck_assert_uint_eq(g_bytes_get_size(card->client.nonce), 5);
    ck_assert(!other->server.present && !other->client.present);
    ck_assert_ptr_null(other->server_uri);
    ck_assert_ptr_null(other->name);
}
END_TEST

START_TEST(no_account_for_an_unknown_server)
{
    ck_assert_ptr_null(dm_account_find(tree, "nobody.example"));
    ck_assert_ptr_null(dm_account_find(tree, NULL));
}
END_TEST

static Suite *account_suite(void)
{
    Suite *suite = suite_create("account");
    TCase *tc = tcase_create("account");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, the_account_of_a_server_id_with_its_address_and_credentials);
    tcase_add_test(tc, an_unknown_auth_type_or_a_missing_part_is_said_so);
    tcase_add_test(tc, no_account_for_an_unknown_server);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(account_suite());
}
