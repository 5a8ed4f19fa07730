/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The session writes commands straight to text (dm_command_to_xml) and splices that text into
 * the message; what it sends must be what the document writer writes for the same message.
 */
#include "dm/dm-private.h"
#include "tests/check-run.h"

#include <string.h>

/* dm/syncml-xml.c: the whole message with the DOCTYPE the WBXML encoder reads. */
char *dm_message_to_xml_with_doctype(const DmMessage *message);

/* The message written whole by libxml2, and written as the session writes it (header and
 * commands straight to text): the same text, with and without the DOCTYPE. */
static void assert_spliced_equals_whole(const DmMessage *m)
{
    g_autofree char *whole = dm_message_to_xml(m, FALSE);
    g_autofree char *whole_doctype = dm_message_to_xml_with_doctype(m);
    g_autoptr(GString) body = g_string_new(NULL);
    g_autofree char *spliced = NULL;
    g_autofree char *spliced_doctype = NULL;

    for (guint i = 0; i < m->commands->len; i++) {
        g_autofree char *xml = dm_command_to_xml(g_ptr_array_index(m->commands, i));
        g_string_append(body, xml);
    }
    spliced = dm_message_to_xml_with_body(m, body->str, FALSE);
    ck_assert_str_eq(spliced, whole);
    spliced_doctype = dm_message_to_xml_with_body(m, body->str, TRUE);
    ck_assert_str_eq(spliced_doctype, whole_doctype);
}

START_TEST(every_third_party_message_is_written_the_same_command_by_command)
{
    const char *dirs[] = { SYNCML_DATA, SYNCML_DATA "/ds" };
    guint checked = 0;

    for (gsize d = 0; d < G_N_ELEMENTS(dirs); d++) {
        g_autoptr(GDir) dir = g_dir_open(dirs[d], 0, NULL);
        const char *name;

        ck_assert_ptr_nonnull(dir);
        while ((name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *path = g_build_filename(dirs[d], name, NULL);
            g_autofree char *data = NULL;
            gsize length = 0;
            g_autoptr(DmMessage) m = NULL;

            if (!g_str_has_suffix(name, ".xml") && !g_str_has_suffix(name, ".wbxml"))
                continue;
            ck_assert(g_file_get_contents(path, &data, &length, NULL));
            m = dm_message_parse((const guint8 *)data, length, NULL);
            if (m == NULL)
                continue;
            assert_spliced_equals_whole(m);
            checked++;
        }
    }
    ck_assert_uint_ge(checked, 20);
}
END_TEST

static DmItem *item(const char *target, const char *data)
{
    DmItem *i = dm_item_new();

    i->target = g_strdup(target);
    if (data != NULL)
        dm_item_set_data(i, data, strlen(data));
    return i;
}

START_TEST(escapes_metas_challenges_and_nesting_are_written_the_same)
{
    g_autoptr(DmMessage) m = dm_message_new();
    DmCommand *status = dm_command_new(DM_COMMAND_STATUS);
    DmCommand *results = dm_command_new(DM_COMMAND_RESULTS);
    DmCommand *atomic = dm_command_new(DM_COMMAND_ATOMIC);
    DmCommand *add = dm_command_new(DM_COMMAND_ADD);
    DmCommand *alert = dm_command_new(DM_COMMAND_ALERT);
    DmCommand *empty_chal = dm_command_new(DM_COMMAND_STATUS);
    DmItem *big;

    m->has_header = TRUE;
    m->session_id = g_strdup("1A");
    m->msg_id = 3;
    m->target = g_strdup("http://s/dm?a=1&b=<2>");
    m->source = g_strdup("IMEI:1");
    status->cmd_id = 1;
    status->code = 401;
    status->cmd = g_strdup("SyncHdr");
    g_ptr_array_add(status->target_refs, g_strdup("IMEI:1"));
    g_ptr_array_add(status->source_refs, g_strdup("srv & co"));
    status->has_chal = TRUE;
    status->chal.type = g_strdup("syncml:auth-md5");
    status->chal.format = g_strdup("b64");
    status->chal.next_nonce = g_strdup("AAAAAA==");
    empty_chal->cmd_id = 2;
    empty_chal->code = 200;
    empty_chal->has_chal = TRUE;
    results->cmd_id = 3;
    results->cmd = g_strdup("Get");
    big = item(NULL, "a&b<c>d\r\ne\tf é ü \x01 ]]> end");
    big->source = g_strdup("./Vendor/Ü");
    big->meta.format = g_strdup("chr");
    big->meta.type = g_strdup("text/plain");
    big->meta.size = 1000;
    big->more_data = TRUE;
    g_ptr_array_add(results->items, big);
    atomic->cmd_id = 4;
    atomic->no_resp = TRUE;
    add->cmd_id = 5;
    add->meta.max_obj_size = 65536;
    g_ptr_array_add(add->items, item("./Vendor/X", ""));
    g_ptr_array_add(add->items, item("./Vendor/Y", NULL));
    g_ptr_array_add(atomic->children, add);
    alert->cmd_id = 6;
    alert->code = 1223;
    alert->correlator = g_strdup("c<1>");
    g_ptr_array_add(m->commands, status);
    g_ptr_array_add(m->commands, empty_chal);
    g_ptr_array_add(m->commands, results);
    g_ptr_array_add(m->commands, atomic);
    g_ptr_array_add(m->commands, alert);
    assert_spliced_equals_whole(m);
    m->final = TRUE;
    assert_spliced_equals_whole(m);
    /* A body of nothing, final or not. */
    g_ptr_array_set_size(m->commands, 0);
    assert_spliced_equals_whole(m);
    m->final = FALSE;
    assert_spliced_equals_whole(m);
}
END_TEST

START_TEST(every_header_field_is_written_the_same_in_both_versions)
{
    g_autoptr(DmMessage) m = dm_message_new();
    DmCommand *alert = dm_command_new(DM_COMMAND_ALERT);

    alert->cmd_id = 1;
    alert->code = 1201;
    g_ptr_array_add(m->commands, alert);
    /* No header at all: a fragment. */
    assert_spliced_equals_whole(m);
    m->has_header = TRUE;
    assert_spliced_equals_whole(m);
    m->session_id = g_strdup("7&<>");
    m->msg_id = 2;
    m->target = g_strdup("http://s/dm?a=1&b=2");
    m->target_name = g_strdup("<server>");
    m->source = g_strdup("IMEI:1");
    m->source_name = g_strdup("dmscd \r\n");
    m->resp_uri = g_strdup("http://s/dm?s=1&n=2");
    m->no_resp = TRUE;
    m->has_cred = TRUE;
    m->cred_meta.format = g_strdup("b64");
    m->cred_meta.type = g_strdup("syncml:auth-md5");
    m->cred_data = g_strdup("ZGF0YQ==");
    m->meta.max_msg_size = 10000;
    m->meta.max_obj_size = 65536;
    assert_spliced_equals_whole(m);
    m->final = TRUE;
    assert_spliced_equals_whole(m);
    /* A Cred without data; a DM 1.1 message keeps its namespace and public id. */
    g_clear_pointer(&m->cred_data, g_free);
    m->ver_dtd = g_strdup("1.1");
    m->ver_proto = g_strdup("DM/1.1");
    assert_spliced_equals_whole(m);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("writer");
    TCase *tc = tcase_create("writer");

    tcase_add_test(tc, every_third_party_message_is_written_the_same_command_by_command);
    tcase_add_test(tc, escapes_metas_challenges_and_nesting_are_written_the_same);
    tcase_add_test(tc, every_header_field_is_written_the_same_in_both_versions);
    suite_add_tcase(suite, tc);
    return check_run(suite);
}
