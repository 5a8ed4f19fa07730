/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dm/dm.h"
#include "tests/check-run.h"

#include <glib/gstdio.h>
#include <unistd.h>

#ifndef SYNCML_DATA
#error "SYNCML_DATA must name tests/data/syncml"
#endif

static DmMessage *parse_file(const char *name, GError **error)
{
    g_autofree char *path = g_build_filename(SYNCML_DATA, name, NULL);
    g_autofree char *data = NULL;
    gsize length;

    ck_assert_msg(g_file_get_contents(path, &data, &length, NULL), "cannot read %s", path);
    return dm_message_parse((const guint8 *)data, length, error);
}

static DmCommand *command_at(DmMessage *m, guint i)
{
    ck_assert_uint_gt(m->commands->len, i);
    return g_ptr_array_index(m->commands, i);
}

static DmItem *item_at(DmCommand *c, guint i)
{
    ck_assert_uint_gt(c->items->len, i);
    return g_ptr_array_index(c->items, i);
}

START_TEST(xml_get_script_decodes_header_and_get)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) m = parse_file("aosp-dm12-testgetscript.xml", &error);
    DmCommand *get;

    ck_assert_msg(m != NULL, "%s", error ? error->message : "");
    ck_assert_str_eq(m->ver_dtd, "1.2");
    ck_assert_str_eq(m->ver_proto, "DM/1.2");
    ck_assert_str_eq(m->session_id, "11");
    ck_assert_uint_eq(m->msg_id, 1);
    ck_assert_str_eq(m->target, "SampleClient");
    ck_assert_str_eq(m->source, "mot.manage");
    ck_assert_str_eq(m->resp_uri, "http://199.1.88.66/Scts?4Eq5AA==");
    ck_assert_int_eq(m->meta.max_msg_size, 20000);
    ck_assert(m->final);
    ck_assert(!m->has_cred);
    get = command_at(m, 0);
    ck_assert_int_eq(get->type, DM_COMMAND_GET);
    ck_assert_uint_eq(get->cmd_id, 1);
    ck_assert_str_eq(item_at(get, 0)->target, "./DevInfo/DevId");
}
END_TEST

START_TEST(wbxml_with_syncml_1_1_public_id_and_verdtd_1_2_is_accepted)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) m = parse_file("aosp-dm12-testget.wbxml", &error);
    DmCommand *status, *get;

    ck_assert_msg(m != NULL, "%s", error ? error->message : "");
    ck_assert_str_eq(m->ver_dtd, "1.2");
    ck_assert_str_eq(m->session_id, "22100");
    ck_assert(m->has_cred);
    ck_assert_str_eq(m->cred_meta.type, "syncml:auth-basic");
    ck_assert_str_eq(m->cred_meta.format, "b64");
    ck_assert_str_eq(m->cred_data, "U2N0czpTYW1wbGVDbGllbnQ=");
    ck_assert_int_eq(m->meta.max_msg_size, 3500);
    status = command_at(m, 0);
    ck_assert_int_eq(status->type, DM_COMMAND_STATUS);
    ck_assert_int_eq(status->code, 212);
    ck_assert_uint_eq(status->cmd_ref, 0);
    ck_assert_str_eq(status->cmd, "SyncHdr");
    get = command_at(m, 3);
    ck_assert_int_eq(get->type, DM_COMMAND_GET);
    ck_assert_uint_eq(get->cmd_id, 4);
    ck_assert_str_eq(item_at(get, 0)->target, "./DevDetail/URI/MaxDepth");
}
END_TEST

START_TEST(atomic_nests_its_commands_and_alert_items_keep_text)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) m = parse_file("aosp-dm12-testalertconfirmatomic.xml", &error);
    DmCommand *atomic, *alert, *replace;

    ck_assert_msg(m != NULL, "%s", error ? error->message : "");
    atomic = command_at(m, 0);
    ck_assert_int_eq(atomic->type, DM_COMMAND_ATOMIC);
    ck_assert_uint_eq(atomic->children->len, 2);
    alert = g_ptr_array_index(atomic->children, 0);
    replace = g_ptr_array_index(atomic->children, 1);
    ck_assert_int_eq(alert->type, DM_COMMAND_ALERT);
    ck_assert_int_eq(alert->code, 1101);
    ck_assert_str_eq(item_at(alert, 0)->data, "MAXDT=15DR=1");
    ck_assert_int_eq(replace->type, DM_COMMAND_REPLACE);
    ck_assert_str_eq(replace->meta.format, "chr");
    ck_assert_str_eq(item_at(replace, 0)->data, "test");
}
END_TEST

START_TEST(every_file_at_the_top_and_in_ds_decodes)
{
    static const char *const dirs[] = { "", "ds" };

    for (gsize d = 0; d < G_N_ELEMENTS(dirs); d++) {
        g_autofree char *path = g_build_filename(SYNCML_DATA, dirs[d], NULL);
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *name;
        guint count = 0;

        ck_assert_ptr_nonnull(dir);
        while ((name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *relative = g_build_filename(dirs[d], name, NULL);
            g_autoptr(GError) error = NULL;
            g_autoptr(DmMessage) m = NULL;

            if (!g_str_has_suffix(name, ".xml") && !g_str_has_suffix(name, ".wbxml"))
                continue;
            m = parse_file(relative, &error);
            /* 011 is a DevInf document, not a message. */
            if (g_str_equal(name, "libwbxml-syncml-011.xml")) {
                ck_assert_ptr_null(m);
                ck_assert_ptr_nonnull(strstr(error->message, "not <SyncML>"));
                continue;
            }
            ck_assert_msg(m != NULL, "%s: %s", relative, error ? error->message : "");
            count++;
        }
        ck_assert_uint_gt(count, 10);
    }
}
END_TEST

START_TEST(malformed_files_are_rejected_with_a_line)
{
    g_autofree char *path = g_build_filename(SYNCML_DATA, "malformed", NULL);
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;
    guint count = 0;

    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *relative = g_build_filename("malformed", name, NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(DmMessage) m = parse_file(relative, &error);

        ck_assert_msg(m == NULL, "%s accepted", name);
        ck_assert(g_error_matches(error, DM_ERROR, DM_ERROR_MALFORMED));
        ck_assert_msg(strstr(error->message, "not well-formed XML: line") != NULL, "%s",
                      error->message);
        count++;
    }
    ck_assert_uint_eq(count, 8);
}
END_TEST

static void expect_error(const char *xml, const char *part)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) m = dm_message_parse((const guint8 *)xml, strlen(xml), &error);

    ck_assert_msg(m == NULL, "accepted: %s", xml);
    ck_assert(g_error_matches(error, DM_ERROR, DM_ERROR_MALFORMED));
    ck_assert_msg(strstr(error->message, part) != NULL, "\"%s\" lacks \"%s\"", error->message,
                  part);
}

#define HDR                                                                             \
    "<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID>"  \
    "<MsgID>1</MsgID><Target><LocURI>dev</LocURI></Target><Source><LocURI>srv</LocURI>" \
    "</Source></SyncHdr>"

START_TEST(structural_errors_name_what_is_missing)
{
    expect_error("", "empty document");
    expect_error("<Foo/>", "root element is <Foo>");
    expect_error("<SyncML>" HDR "</SyncML>", "without <SyncBody>");
    expect_error("<SyncML><SyncHdr><VerDTD>1.2</VerDTD></SyncHdr><SyncBody/></SyncML>",
                 "needs <VerDTD>, <VerProto> and <SessionID>");
    expect_error("<SyncML>" HDR "<SyncBody><Get><Item/></Get></SyncBody></SyncML>",
                 "<Get> without <CmdID>");
    expect_error("<SyncML>" HDR "<SyncBody><Get><CmdID>x1</CmdID></Get></SyncBody></SyncML>",
                 "<CmdID> \"x1\" is not a number");
    expect_error("<SyncML>" HDR "<SyncBody><Alert><CmdID>1</CmdID><Data>99999</Data></Alert>"
                 "</SyncBody></SyncML>",
                 "<Data> \"99999\"");
    expect_error("<SyncML>" HDR "<SyncBody><Get><CmdID>1</CmdID><Item><Meta><Size>-1</Size>"
                 "</Meta></Item></Get></SyncBody></SyncML>",
                 "<Size>");
}
END_TEST

static DmMessage *parse_text(const char *xml)
{
    g_autoptr(GError) error = NULL;
    DmMessage *m = dm_message_parse((const guint8 *)xml, strlen(xml), &error);

    ck_assert_msg(m != NULL, "%s: %s", xml, error ? error->message : "");
    return m;
}

/* Numbers and text are read in place when an element holds one text node, and joined when
 * it holds several (CDATA, character references): the same either way. */
START_TEST(numbers_and_text_read_the_same_in_one_node_or_several)
{
    g_autoptr(DmMessage) plain =
        parse_text("<SyncML>" HDR "<SyncBody><Get><CmdID> 0042 </CmdID><Item><Target><LocURI>./A"
                   "</LocURI></Target><Meta><Size>4294967296</Size></Meta></Item></Get></SyncBody>"
                   "</SyncML>");
    g_autoptr(DmMessage) joined = parse_text(
        "<SyncML>" HDR "<SyncBody><Get><CmdID><![CDATA[ 00]]>&#52;2 </CmdID><Item><Target>"
        "<LocURI>./<![CDATA[A]]></LocURI></Target><Meta><Size>42949<![CDATA[67296]]></Size>"
        "</Meta></Item></Get></SyncBody></SyncML>");

    for (DmMessage **m = (DmMessage *[]){ plain, joined, NULL }; *m != NULL; m++) {
        DmCommand *get = command_at(*m, 0);
        ck_assert_uint_eq(get->cmd_id, 42);
        ck_assert_str_eq(item_at(get, 0)->target, "./A");
        ck_assert_int_eq(item_at(get, 0)->meta.size, G_GINT64_CONSTANT(4294967296));
    }
}
END_TEST

/* Commands of every shape the reader keeps, text split by a comment, CDATA and references. */
#define PLAIN_BODY                                                                        \
    "<Alert><CmdID>1</CmdID><Data>1200</Data></Alert>\n"                                  \
    "<Add><CmdID> 2 </CmdID><Meta><Format xmlns='syncml:metinf'>chr</Format></Meta>\n"    \
    "<Item><Target><LocURI>./A<!-- split -->/B</LocURI></Target>"                         \
    "<Data>a &amp; <![CDATA[<b>]]>&#233;</Data></Item>\n"                                 \
    "<Item><Target><LocURI>./C</LocURI></Target><Data/></Item></Add>\n"                   \
    "<Atomic><CmdID>3</CmdID><Replace><CmdID>4</CmdID><Item><Target><LocURI>./D</LocURI>" \
    "</Target><Data>d</Data></Item></Replace></Atomic>\n"                                 \
    "<Status><CmdID>5</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>"      \
    "<Data>212</Data></Status>\n"

#define MESSAGE(body) \
    "<SyncML xmlns='SYNCML:SYNCML1.2'>" HDR "<SyncBody>" body "</SyncBody></SyncML>"

/* What only libxml2's tree keeps (an unknown command, XML inside a Data) has a message read
 * through that tree rather than straight into the model, as the strict reading always is:
 * the same model either way, and the same error at the same line. */
START_TEST(a_message_reads_the_same_straight_or_through_libxml2s_tree)
{
    const char *plain = MESSAGE(PLAIN_BODY "<Final/>");
    const char *through_tree[] = {
        MESSAGE(PLAIN_BODY "<Sync><CmdID>9</CmdID></Sync><Final/>"),
        MESSAGE(PLAIN_BODY
                "<Add><CmdID>9</CmdID><Item><Data><DevInf/></Data></Item></Add><Final/>"),
    };
    const char *failing[] = {
        MESSAGE("\n\n<Get><Item/></Get>"),
        MESSAGE("\n\n<Get><Item/></Get><Sync/>"),
    };
    g_autoptr(DmMessage) straight = parse_text(plain);
    g_autoptr(DmMessage) strict =
        dm_message_parse_strict((const guint8 *)plain, strlen(plain), NULL);
    g_autofree char *expected = dm_message_to_xml(straight, FALSE);
    g_autofree char *strict_xml = NULL;

    ck_assert_uint_eq(straight->commands->len, 4);
    ck_assert_str_eq(item_at(command_at(straight, 1), 0)->target, "./A/B");
    ck_assert_str_eq(item_at(command_at(straight, 1), 0)->data, "a & <b>\xc3\xa9");
    ck_assert_ptr_nonnull(strict);
    strict_xml = dm_message_to_xml(strict, FALSE);
    ck_assert_str_eq(strict_xml, expected);
    for (gsize i = 0; i < G_N_ELEMENTS(through_tree); i++) {
        g_autoptr(DmMessage) m = parse_text(through_tree[i]);
        g_autofree char *xml = NULL;

        ck_assert_uint_eq(m->commands->len, 5);
        g_ptr_array_remove_index(m->commands, 4);
        xml = dm_message_to_xml(m, FALSE);
        ck_assert_str_eq(xml, expected);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(failing); i++)
        expect_error(failing[i], "SyncML line 3: <Get> without <CmdID>");
}
END_TEST

START_TEST(numbers_past_their_bound_or_with_signs_are_refused)
{
    expect_error("<SyncML>" HDR "<SyncBody><Get><CmdID>4294967296</CmdID></Get></SyncBody>"
                 "</SyncML>",
                 "<CmdID> \"4294967296\" is not a number up to 4294967295");
    expect_error("<SyncML>" HDR "<SyncBody><Get><CmdID>+1</CmdID></Get></SyncBody></SyncML>",
                 "<CmdID> \"+1\" is not a number");
    expect_error("<SyncML>" HDR "<SyncBody><Get><CmdID>1 2</CmdID></Get></SyncBody></SyncML>",
                 "<CmdID> \"1 2\" is not a number");
    expect_error("<SyncML>" HDR "<SyncBody><Get><CmdID></CmdID></Get></SyncBody></SyncML>",
                 "<CmdID> \"\" is not a number");
    expect_error("<SyncML>" HDR "<SyncBody><Get><CmdID>1</CmdID><Item><Meta><Size>"
                 "9223372036854775808</Size></Meta></Item></Get></SyncBody></SyncML>",
                 "<Size>");
}
END_TEST

static void expect_strict_error(const char *xml, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) lenient = dm_message_parse((const guint8 *)xml, strlen(xml), NULL);
    g_autoptr(DmMessage) m = dm_message_parse_strict((const guint8 *)xml, strlen(xml), &error);

    ck_assert_ptr_nonnull(lenient);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(error->message, needle) != NULL, "'%s' lacks '%s'", error->message,
                  needle);
}

START_TEST(strict_decode_refuses_what_the_model_would_drop)
{
    expect_strict_error("<SyncML>" HDR "<SyncBody><Alert><CmdID>1</CmdID><Data>200</Data><Item>"
                        "<Meta><Anchor><Last>1</Last></Anchor></Meta></Item></Alert>"
                        "</SyncBody></SyncML>",
                        "<Anchor> inside <Meta>");
    expect_strict_error("<SyncML>" HDR "<SyncBody><Atomic><CmdID>1</CmdID><Get><CmdID>2</CmdID>"
                        "<Item><Target><LocURI>./a</LocURI><Filter/></Target></Item></Get>"
                        "</Atomic></SyncBody></SyncML>",
                        "<Filter> inside <Target>");
    expect_strict_error("<SyncML><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>"
                        "<SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>d</LocURI>"
                        "</Target><Source><LocURI>s</LocURI></Source><Extra/></SyncHdr>"
                        "<SyncBody/></SyncML>",
                        "<Extra> inside <SyncHdr>");
    expect_strict_error("<SyncML><SyncBody/></SyncML>", "no version to keep");
    expect_strict_error("<SyncML>" HDR "<SyncBody><Status><CmdID>1</CmdID><MsgRef>1</MsgRef>"
                        "<CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Chal/><Chal/><Data>401</Data>"
                        "</Status></SyncBody></SyncML>",
                        "<Chal> twice inside <Status>");
}
END_TEST

START_TEST(strict_decode_keeps_unknown_commands_whole)
{
    const char *xml = "<SyncML>" HDR "<SyncBody><Sync><CmdID>1</CmdID><Anchor/></Sync>"
                      "</SyncBody></SyncML>";
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) m = dm_message_parse_strict((const guint8 *)xml, strlen(xml), &error);
    g_autofree char *out = NULL;

    ck_assert_msg(m != NULL, "%s", error ? error->message : "");
    out = dm_message_to_xml(m, FALSE);
    ck_assert_ptr_nonnull(strstr(out, "<Sync><CmdID>1</CmdID><Anchor/></Sync>"));
}
END_TEST

START_TEST(an_unknown_command_without_a_numeric_cmdid_is_kept_and_leaves_no_error)
{
    const char *xml = "<SyncML>" HDR "<SyncBody><Sync><CmdID></CmdID></Sync>"
                      "<Search><CmdID>x7</CmdID></Search><Exec><CmdID>9</CmdID></Exec>"
                      "</SyncBody></SyncML>";
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) m = dm_message_parse((const guint8 *)xml, strlen(xml), &error);

    /* A message comes back with no error set: whoever sets one next does not set it twice. */
    ck_assert_msg(m != NULL, "%s", error ? error->message : "");
    ck_assert_ptr_null(error);
    ck_assert_uint_eq(command_at(m, 0)->cmd_id, 0);
    ck_assert_uint_eq(command_at(m, 1)->cmd_id, 0);
    ck_assert_uint_eq(command_at(m, 2)->cmd_id, 9);
}
END_TEST

/* What libxml2 says of a message goes into dmscd's error or nowhere, never to stderr (the
 * journal, for the daemon): reading a message whose bytes do not convert from the encoding it
 * declares (an error libxml2 raises outside its parser), and writing one whose unknown
 * command holds a namespace URI libxml2 finds odd. */
START_TEST(libxml2_never_writes_to_stderr)
{
    const char *bad_bytes = "<?xml version=\"1.0\" encoding=\"SHIFT_JIS\"?><SyncML>" HDR
                            "<SyncBody>\x81\xff</SyncBody></SyncML>";
    const char *odd_uri = "<SyncML>" HDR "<SyncBody><Sync xmlns=':odd`uri'><CmdID>1</CmdID>"
                          "</Sync></SyncBody></SyncML>";
    g_autofree char *path = NULL;
    g_autofree char *written = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) odd = NULL;
    g_autofree char *xml = NULL;
    int saved = dup(STDERR_FILENO);
    int fd = g_file_open_tmp("dmscd-stderr-XXXXXX", &path, NULL);

    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    ck_assert_ptr_null(dm_message_parse((const guint8 *)bad_bytes, strlen(bad_bytes), &error));
    odd = dm_message_parse((const guint8 *)odd_uri, strlen(odd_uri), NULL);
    if (odd != NULL)
        xml = dm_message_to_xml(odd, FALSE);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    ck_assert(g_file_get_contents(path, &written, NULL, NULL));
    g_unlink(path);

    ck_assert(g_error_matches(error, DM_ERROR, DM_ERROR_MALFORMED));
    ck_assert_ptr_nonnull(strstr(error->message, "input conversion failed"));
    ck_assert_ptr_nonnull(xml);
    ck_assert_ptr_nonnull(strstr(xml, "<Sync"));
    ck_assert_msg(written[0] == '\0', "libxml2 wrote to stderr: %s", written);
}
END_TEST

START_TEST(fields_inside_atomic_are_not_read_as_commands_too)
{
    const char *xml = "<SyncML>" HDR "<SyncBody><Atomic><CmdID>1</CmdID><Chal><Meta><NextNonce "
                      "xmlns='syncml:metinf'>bm9uY2U=</NextNonce></Meta></Chal><SourceRef>s"
                      "</SourceRef><Get><CmdID>2</CmdID></Get></Atomic></SyncBody></SyncML>";
    g_autoptr(DmMessage) m = dm_message_parse((const guint8 *)xml, strlen(xml), NULL);
    g_autoptr(DmMessage) again = NULL;
    g_autofree char *out = NULL, *out_again = NULL;

    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(command_at(m, 0)->children->len, 1);
    out = dm_message_to_xml(m, FALSE);
    again = dm_message_parse((const guint8 *)out, strlen(out), NULL);
    ck_assert_ptr_nonnull(again);
    out_again = dm_message_to_xml(again, FALSE);
    ck_assert_str_eq(out_again, out);
}
END_TEST

START_TEST(entity_declarations_are_refused)
{
    expect_error("<!DOCTYPE SyncML [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
                 "<SyncML>" HDR "<SyncBody/></SyncML>",
                 "declares entities");
}
END_TEST

START_TEST(deeply_nested_atomics_are_refused)
{
    g_autoptr(GString) xml = g_string_new("<SyncML>" HDR "<SyncBody>");

    for (int i = 0; i < 12; i++)
        g_string_append_printf(xml, "<Atomic><CmdID>%d</CmdID>", i + 1);
    for (int i = 0; i < 12; i++)
        g_string_append(xml, "</Atomic>");
    g_string_append(xml, "</SyncBody></SyncML>");
    expect_error(xml->str, "nested more than 8 deep");
}
END_TEST

START_TEST(written_xml_reads_back_to_the_same_message)
{
    g_autoptr(DmMessage) m = dm_message_new();
    g_autoptr(DmMessage) back = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL, *again = NULL;
    DmCommand *status = dm_command_new(DM_COMMAND_STATUS);
    DmCommand *results = dm_command_new(DM_COMMAND_RESULTS);
    DmItem *item = dm_item_new();

    m->session_id = g_strdup("1A");
    m->msg_id = 2;
    m->target = g_strdup("http://srv/dm");
    m->source = g_strdup("IMEI:1");
    m->source_name = g_strdup("client");
    m->has_cred = TRUE;
    m->cred_meta.type = g_strdup("syncml:auth-md5");
    m->cred_meta.format = g_strdup("b64");
    m->cred_data = g_strdup("Zz6EivR3yeaaENcRN6lpAQ==");
    m->meta.max_msg_size = 16384;
    m->meta.max_obj_size = 65536;
    status->cmd_id = 1;
    status->msg_ref = 1;
    status->cmd_ref = 0;
    status->cmd = g_strdup("SyncHdr");
    g_ptr_array_add(status->target_refs, g_strdup("IMEI:1"));
    status->has_chal = TRUE;
    status->chal.type = g_strdup("syncml:auth-md5");
    status->chal.next_nonce = g_strdup("bm9uY2U=");
    status->code = 212;
    g_ptr_array_add(m->commands, status);
    results->cmd_id = 2;
    results->msg_ref = 1;
    results->cmd_ref = 4;
    item->source = g_strdup("./DevInfo/Lang");
    item->meta.format = g_strdup("chr");
    item->meta.size = 5;
    dm_item_set_data(item, "en<&>", 5);
    g_ptr_array_add(results->items, item);
    g_ptr_array_add(m->commands, results);
    m->final = TRUE;

    xml = dm_message_to_xml(m, FALSE);
    back = dm_message_parse((const guint8 *)xml, strlen(xml), &error);
    ck_assert_msg(back != NULL, "%s", error ? error->message : "");
    again = dm_message_to_xml(back, FALSE);
    ck_assert_str_eq(again, xml);
    ck_assert_str_eq(
        ((DmItem *)g_ptr_array_index(((DmCommand *)g_ptr_array_index(back->commands, 1))->items, 0))
            ->data,
        "en<&>");
    ck_assert_ptr_nonnull(strstr(xml, "<NextNonce xmlns=\"syncml:metinf\">bm9uY2U=</NextNonce>"));
}
END_TEST

START_TEST(wbxml_written_by_dmscd_reads_back)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) m = parse_file("aosp-dm12-testnewdatatype.xml", &error);
    g_autoptr(GBytes) wbxml = dm_message_to_wbxml(m, &error);
    g_autoptr(DmMessage) back = NULL;
    g_autofree char *a = NULL, *b = NULL;

    ck_assert_msg(wbxml != NULL, "%s", error ? error->message : "");
    ck_assert_int_eq(dm_message_detect(g_bytes_get_data(wbxml, NULL), g_bytes_get_size(wbxml)),
                     DM_ENCODING_WBXML);
    back = dm_message_parse(g_bytes_get_data(wbxml, NULL), g_bytes_get_size(wbxml), &error);
    ck_assert_msg(back != NULL, "%s", error ? error->message : "");
    a = dm_message_to_xml(m, FALSE);
    b = dm_message_to_xml(back, FALSE);
    ck_assert_str_eq(a, b);
}
END_TEST

START_TEST(truncated_wbxml_is_an_error_not_a_crash)
{
    g_autofree char *path = g_build_filename(SYNCML_DATA, "aosp-dm12-testget.wbxml", NULL);
    g_autofree char *data = NULL;
    gsize length;

    ck_assert(g_file_get_contents(path, &data, &length, NULL));
    for (gsize n = 1; n < length; n += 7) {
        g_autofree guint8 *copy = g_memdup2(data, n);
        g_autoptr(GError) error = NULL;
        g_autoptr(DmMessage) m = dm_message_parse(copy, n, &error);
        ck_assert_msg(m == NULL || m->commands->len <= 4, "prefix %zu", n);
        if (m == NULL)
            ck_assert_ptr_nonnull(error);
    }
}
END_TEST

/* libwbxml asserts (aborts) on an ENTITY above 0x7FFFFFFF: such a message must be refused
 * before it gets there. Found by fuzzing. */
START_TEST(wbxml_with_attributes_is_refused_before_libwbxml)
{
    /* A tag with attributes (0xCA), then what libwbxml reads as an ENTITY beyond Unicode:
     * libwbxml aborts on it, so the structural check must stop it first. */
    static const guint8 bytes[] = { 0x03, 0x04, 0x00, 0x00, 0x00, 0x02, 0xca,
                                    0x00, 0x44, 0x44, 0x02, 0xff, 0xff, 0xff,
                                    0xff, 0x6e, 0x63, 0x63, 0x48, 0x64, 0x01 };
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) m = dm_message_parse(bytes, sizeof(bytes), &error);

    ck_assert_ptr_null(m);
    ck_assert(g_error_matches(error, DM_ERROR, DM_ERROR_MALFORMED));
    ck_assert_ptr_nonnull(strstr(error->message, "attribute"));
}
END_TEST

START_TEST(wbxml_structure_is_checked_whole)
{
    /* Header: version 1.3, public id 0x1201 (SyncML 1.2), UTF-8, an empty string table. */
#define HEAD 0x03, 0x9f, 0x53, 0x6a, 0x00
    static const guint8 end_without_element[] = { HEAD, 0x01 };
    static const guint8 left_open[] = { HEAD, 0x6d, 0x6c };
    static const guint8 two_roots[] = { HEAD, 0x2d, 0x2d };
    static const guint8 bad_page[] = { HEAD, 0x00, 0x07, 0x2d };
    static const guint8 past_table[] = { HEAD, 0x6d, 0x83, 0x05, 0x01 };
    static const guint8 text_outside[] = { HEAD, 0x03, 'x', 0x00, 0x2d };
    static const struct {
        const guint8 *bytes;
        gsize length;
        const char *why;
    } cases[] = {
        { end_without_element, sizeof(end_without_element), "END without an element" },
        { left_open, sizeof(left_open), "left open" },
        { two_roots, sizeof(two_roots), "a second root" },
        { bad_page, sizeof(bad_page), "code page" },
        { past_table, sizeof(past_table), "past the table" },
        { text_outside, sizeof(text_outside), "outside the root" },
    };
#undef HEAD

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(DmMessage) m = dm_message_parse(cases[i].bytes, cases[i].length, &error);
        ck_assert_ptr_null(m);
        ck_assert_msg(error != NULL && strstr(error->message, cases[i].why) != NULL, "case %zu: %s",
                      i, error ? error->message : "no error");
    }
}
END_TEST

START_TEST(wbxml_entity_beyond_unicode_is_refused_before_libwbxml)
{
    static const guint8 message[] = { 0x02, 0xa4, 0x01, 0x6a, 0x00, 0x6d, 0x02,
                                      0x8f, 0xff, 0xff, 0xff, 0x7f, 0x01 };
    g_autoptr(GError) error = NULL;
    g_autoptr(DmMessage) m = dm_message_parse(message, sizeof(message), &error);

    ck_assert_ptr_null(m);
    ck_assert(g_error_matches(error, DM_ERROR, DM_ERROR_MALFORMED));
    ck_assert_ptr_nonnull(strstr(error->message, "token stream"));
}
END_TEST

static Suite *syncml_suite(void)
{
    Suite *suite = suite_create("syncml");
    TCase *tc = tcase_create("codec");

    tcase_add_test(tc, xml_get_script_decodes_header_and_get);
    tcase_add_test(tc, wbxml_with_syncml_1_1_public_id_and_verdtd_1_2_is_accepted);
    tcase_add_test(tc, atomic_nests_its_commands_and_alert_items_keep_text);
    tcase_add_test(tc, every_file_at_the_top_and_in_ds_decodes);
    tcase_add_test(tc, malformed_files_are_rejected_with_a_line);
    tcase_add_test(tc, structural_errors_name_what_is_missing);
    tcase_add_test(tc, numbers_and_text_read_the_same_in_one_node_or_several);
    tcase_add_test(tc, a_message_reads_the_same_straight_or_through_libxml2s_tree);
    tcase_add_test(tc, numbers_past_their_bound_or_with_signs_are_refused);
    tcase_add_test(tc, entity_declarations_are_refused);
    tcase_add_test(tc, deeply_nested_atomics_are_refused);
    tcase_add_test(tc, written_xml_reads_back_to_the_same_message);
    tcase_add_test(tc, wbxml_written_by_dmscd_reads_back);
    tcase_add_test(tc, truncated_wbxml_is_an_error_not_a_crash);
    tcase_add_test(tc, wbxml_entity_beyond_unicode_is_refused_before_libwbxml);
    tcase_add_test(tc, wbxml_with_attributes_is_refused_before_libwbxml);
    tcase_add_test(tc, wbxml_structure_is_checked_whole);
    tcase_add_test(tc, strict_decode_refuses_what_the_model_would_drop);
    tcase_add_test(tc, strict_decode_keeps_unknown_commands_whole);
    tcase_add_test(tc, fields_inside_atomic_are_not_read_as_commands_too);
    tcase_add_test(tc, an_unknown_command_without_a_numeric_cmdid_is_kept_and_leaves_no_error);
    tcase_add_test(tc, libxml2_never_writes_to_stderr);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(syncml_suite());
}
