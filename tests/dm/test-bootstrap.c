/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dm/dm.h"
#include "tests/check-run.h"

#define ORIGIN "card:8949000000000000001"

#define HEADER                                                                                  \
    "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>" \
    "<SessionID>0</SessionID><MsgID>1</MsgID><Target><LocURI>dev</LocURI></Target>"             \
    "<Source><LocURI>card</LocURI></Source></SyncHdr><SyncBody>"
#define FOOTER "<Final/></SyncBody></SyncML>"
#define LEAF(id, uri, value)                                                    \
    "<Add><CmdID>" id "</CmdID><Item><Target><LocURI>" uri "</LocURI></Target>" \
    "<Meta><Format xmlns='syncml:metinf'>chr</Format></Meta><Data>" value "</Data></Item></Add>"
#define NODE(id, uri)                                                           \
    "<Add><CmdID>" id "</CmdID><Item><Target><LocURI>" uri "</LocURI></Target>" \
    "<Meta><Format xmlns='syncml:metinf'>node</Format></Meta></Item></Add>"

static const char bootstrap[] =
    HEADER NODE("1", "./DMAcc/Card") LEAF("2", "./DMAcc/Card/ServerID", "card.example")
        LEAF("3", "./DMAcc/Card/Name", "Card DM") "<Atomic><CmdID>4</CmdID>" LEAF(
            "5", "./Vendor/Operator/APN", "internet") "</Atomic>" FOOTER;

static DmTree *tree;

static void setup(void)
{
    DmDeviceInfo info = { .dev_id = "IMEI:356938035643809" };

    tree = dm_tree_new();
    dm_tree_add_standard_objects(tree, &info);
}

static void teardown(void)
{
    g_clear_pointer(&tree, dm_tree_unref);
}

static DmTree *apply(const char *xml, char **server_id, GError **error)
{
    return dm_bootstrap_apply(tree, (const guint8 *)xml, strlen(xml), ORIGIN, server_id, error);
}

static char *value_of(const DmTree *t, const char *uri)
{
    DmNodeInfo info;

    if (!dm_tree_get(t, uri, &info))
        return NULL;
    return g_strndup((const char *)info.value, info.value_length);
}

START_TEST(bootstrap_creates_the_cards_account_marked_as_the_cards)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *server_id = NULL;
    g_autoptr(DmTree) result = apply(bootstrap, &server_id, &error);
    g_autofree char *name = NULL;
    g_autofree char *apn = NULL;
    DmNodeInfo info;

    ck_assert_msg(result != NULL, "%s", error ? error->message : "");
    ck_assert_str_eq(server_id, "card.example");
    name = value_of(result, "./DMAcc/Card/Name");
    apn = value_of(result, "./Vendor/Operator/APN");
    ck_assert_str_eq(name, "Card DM");
    ck_assert_str_eq(apn, "internet");
    ck_assert(dm_tree_get(result, "./DMAcc/Card", &info));
    ck_assert_str_eq(info.origin, ORIGIN);
    /* ./Vendor did not exist: it is the card's too, and goes with it. */
    ck_assert(dm_tree_get(result, "./Vendor", &info));
    ck_assert_str_eq(info.origin, ORIGIN);
    /* The standard ./DMAcc is not the card's. */
    ck_assert(dm_tree_get(result, "./DMAcc", &info));
    ck_assert_str_eq(info.origin, "");
    /* The account's server may manage it, another may not. */
    ck_assert_int_eq(dm_tree_check(result, "card.example", "./DMAcc/Card/Name", DM_ACCESS_REPLACE),
                     DM_STATUS_OK);
    ck_assert_int_ne(dm_tree_check(result, "other", "./DMAcc/Card/Name", DM_ACCESS_GET),
                     DM_STATUS_OK);
    /* The tree given in is untouched. */
    ck_assert(!dm_tree_exists(tree, "./DMAcc/Card"));
    ck_assert_uint_eq(dm_tree_remove_origin(result, ORIGIN), 2);
    ck_assert(!dm_tree_exists(result, "./Vendor/Operator/APN"));
    ck_assert(dm_tree_exists(result, "./DevInfo/DevId"));
}
END_TEST

START_TEST(wbxml_bootstrap_with_ff_padding_applies)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) message = dm_message_parse_xml(bootstrap, strlen(bootstrap), &error);
    g_autoptr(GBytes) wbxml = NULL;
    g_autoptr(GByteArray) file = g_byte_array_new();
    g_autoptr(DmTree) result = NULL;
    g_autofree char *apn = NULL;
    guint8 padding[64];

    ck_assert_msg(message != NULL, "%s", error ? error->message : "");
    wbxml = dm_message_to_wbxml(message, &error);
    ck_assert_msg(wbxml != NULL, "%s", error ? error->message : "");
    g_byte_array_append(file, g_bytes_get_data(wbxml, NULL), g_bytes_get_size(wbxml));
    memset(padding, 0xff, sizeof(padding));
    g_byte_array_append(file, padding, sizeof(padding));
    result = dm_bootstrap_apply(tree, file->data, file->len, ORIGIN, NULL, &error);
    ck_assert_msg(result != NULL, "%s", error ? error->message : "");
    apn = value_of(result, "./Vendor/Operator/APN");
    ck_assert_str_eq(apn, "internet");
}
END_TEST

START_TEST(reapplying_replaces_what_the_card_had_put_there)
{
    static const char second[] = HEADER NODE("1", "./DMAcc/Card2")
        LEAF("2", "./DMAcc/Card2/ServerID", "card2.example") FOOTER;
    g_autoptr(GError) error = NULL;
    g_autoptr(DmTree) first = apply(bootstrap, NULL, &error);
    g_autoptr(DmTree) again = NULL;

    ck_assert(first != NULL);
    again = dm_bootstrap_apply(first, (const guint8 *)second, strlen(second), ORIGIN, NULL, &error);
    ck_assert_msg(again != NULL, "%s", error ? error->message : "");
    ck_assert(dm_tree_exists(again, "./DMAcc/Card2/ServerID"));
    ck_assert(!dm_tree_exists(again, "./DMAcc/Card"));
    ck_assert(!dm_tree_exists(again, "./Vendor"));
}
END_TEST

START_TEST(commands_other_than_add_and_replace_are_refused_and_nothing_changes)
{
    static const char with_delete[] =
        HEADER LEAF("1", "./Vendor/X", "1") "<Delete><CmdID>2</CmdID><Item><Target><LocURI>./"
                                            "DevInfo</LocURI></Target></Item></Delete>" FOOTER;
    g_autoptr(GError) error = NULL;
    g_autoptr(DmTree) result = apply(with_delete, NULL, &error);

    ck_assert(result == NULL);
    ck_assert(g_error_matches(error, DM_ERROR, DM_ERROR_UNSUPPORTED));
    ck_assert_msg(strstr(error->message, "command 2") != NULL, "%s", error->message);
    ck_assert(!dm_tree_exists(tree, "./Vendor"));
    ck_assert(dm_tree_exists(tree, "./DevInfo"));
}
END_TEST

START_TEST(a_failing_command_names_itself_and_changes_nothing)
{
    /* A leaf cannot hold a child: the second Add fails. */
    static const char bad[] =
        HEADER LEAF("1", "./Vendor/Leaf", "1") LEAF("2", "./Vendor/Leaf/Child", "2") FOOTER;
    g_autoptr(GError) error = NULL;
    g_autoptr(DmTree) result = apply(bad, NULL, &error);

    ck_assert(result == NULL);
    ck_assert_msg(strstr(error->message, "command 2") != NULL, "%s", error->message);
    ck_assert(!dm_tree_exists(tree, "./Vendor"));
}
END_TEST

START_TEST(empty_padding_only_and_malformed_files_are_refused)
{
    static const guint8 padding[] = { 0xff, 0xff, 0xff };
    static const char query[] = HEADER LEAF("1", "./Vendor?prop=ACL", "Get=*") FOOTER;
    g_autoptr(GError) empty = NULL;
    g_autoptr(GError) malformed = NULL;
    g_autoptr(GError) with_query = NULL;
    g_autoptr(GError) nothing = NULL;

    ck_assert(dm_bootstrap_apply(tree, padding, sizeof(padding), ORIGIN, NULL, &empty) == NULL);
    ck_assert(g_error_matches(empty, DM_ERROR, DM_ERROR_TRUNCATED));
    ck_assert(apply("<SyncML><SyncHdr>", NULL, &malformed) == NULL);
    ck_assert(g_error_matches(malformed, DM_ERROR, DM_ERROR_MALFORMED));
    ck_assert(apply(query, NULL, &with_query) == NULL);
    ck_assert(g_error_matches(with_query, DM_ERROR, DM_ERROR_UNSUPPORTED));
    ck_assert(apply(HEADER FOOTER, NULL, &nothing) == NULL);
    ck_assert(g_error_matches(nothing, DM_ERROR, DM_ERROR_MALFORMED));
}
END_TEST

START_TEST(nodes_that_are_not_the_cards_are_not_changed)
{
    static const char operator[] = HEADER LEAF("1", "./DMAcc/Operator/ServerID", "evil") FOOTER;
    static const char devid[] =
        HEADER "<Replace><CmdID>1</CmdID><Item><Target><LocURI>./DevInfo/DevId</LocURI></Target>"
               "<Data>IMEI:0</Data></Item></Replace>" FOOTER;
    g_autoptr(GError) added = NULL, replaced = NULL, other = NULL;
    g_autoptr(DmTree) mine = NULL, theirs = NULL;
    g_autofree char *kept = NULL;

    /* An account the device (or a server) set up. */
    ck_assert_int_eq(dm_tree_add(tree, NULL, "./DMAcc/Operator", "node", NULL, NULL, 0), 200);
    ck_assert_int_eq(dm_tree_add(tree, NULL, "./DMAcc/Operator/ServerID", "chr", NULL,
                                 (const guint8 *)"operator", 8),
                     200);
    ck_assert(apply(operator, NULL, &added) == NULL);
    ck_assert(g_error_matches(added, DM_ERROR, DM_ERROR_DENIED));
    ck_assert_msg(strstr(added->message, "./DMAcc/Operator/ServerID") != NULL, "%s",
                  added->message);
    kept = value_of(tree, "./DMAcc/Operator/ServerID");
    ck_assert_str_eq(kept, "operator");
    ck_assert(apply(devid, NULL, &replaced) == NULL);
    ck_assert(g_error_matches(replaced, DM_ERROR, DM_ERROR_DENIED));
    /* Another card's account is not this card's either. */
    theirs = dm_bootstrap_apply(tree, (const guint8 *)bootstrap, strlen(bootstrap),
                                "card:8949000000000000009", NULL, NULL);
    ck_assert_ptr_nonnull(theirs);
    mine = dm_bootstrap_apply(theirs, (const guint8 *)bootstrap, strlen(bootstrap), ORIGIN, NULL,
                              &other);
    ck_assert_ptr_null(mine);
    ck_assert_msg(strstr(other->message, "card:8949000000000000009") != NULL, "%s", other->message);
}
END_TEST

static Suite *bootstrap_suite(void)
{
    Suite *suite = suite_create("bootstrap");
    TCase *tc = tcase_create("bootstrap");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, bootstrap_creates_the_cards_account_marked_as_the_cards);
    tcase_add_test(tc, wbxml_bootstrap_with_ff_padding_applies);
    tcase_add_test(tc, reapplying_replaces_what_the_card_had_put_there);
    tcase_add_test(tc, commands_other_than_add_and_replace_are_refused_and_nothing_changes);
    tcase_add_test(tc, a_failing_command_names_itself_and_changes_nothing);
    tcase_add_test(tc, empty_padding_only_and_malformed_files_are_refused);
    tcase_add_test(tc, nodes_that_are_not_the_cards_are_not_changed);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(bootstrap_suite());
}
