/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Commands written straight to text, as the session sends them: no document tree, one
 * append per element. The text is what libxml2 writes for the same command in a whole
 * message (dm_message_to_xml), so that the session can measure a command, and splice the
 * very text it measured into the message it builds.
 */
#include "dm-private.h"

#include <string.h>

/* Character data as XML text, as libxml2 writes it: the three markup characters and CR
 * (which a parser would fold into LF) as references, everything else as it is. */
static void append_escaped(GString *out, const char *text, gsize length)
{
    const char *run = text;

    for (const char *p = text; p < text + length; p++) {
        const char *ref;
        guchar c = (guchar)*p;

        if (c == '&')
            ref = "&amp;";
        else if (c == '<')
            ref = "&lt;";
        else if (c == '>')
            ref = "&gt;";
        else if (c == '\r')
            ref = "&#13;";
        else
            continue;
        g_string_append_len(out, run, p - run);
        g_string_append(out, ref);
        run = p + 1;
    }
    g_string_append_len(out, run, text + length - run);
}

/* Plain appends, no printf: this runs for every element the session sends. */
static void open_tag(GString *out, const char *name)
{
    g_string_append_c(out, '<');
    g_string_append(out, name);
    g_string_append_c(out, '>');
}

static void close_tag(GString *out, const char *name)
{
    g_string_append_len(out, "</", 2);
    g_string_append(out, name);
    g_string_append_c(out, '>');
}

static void append_decimal(GString *out, gint64 value)
{
    char digits[24];
    int at = sizeof(digits);
    guint64 magnitude = value < 0 ? (guint64)(-(value + 1)) + 1 : (guint64)value;

    do {
        digits[--at] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0);
    if (value < 0)
        digits[--at] = '-';
    g_string_append_len(out, digits + at, (gssize)sizeof(digits) - at);
}

static void append_text(GString *out, const char *name, const char *value)
{
    open_tag(out, name);
    append_escaped(out, value, strlen(value));
    close_tag(out, name);
}

static void append_number(GString *out, const char *name, gint64 value)
{
    open_tag(out, name);
    append_decimal(out, value);
    close_tag(out, name);
}

static void append_location(GString *out, const char *element, const char *uri, const char *name)
{
    if (uri == NULL)
        return;
    open_tag(out, element);
    append_text(out, "LocURI", uri);
    if (name != NULL)
        append_text(out, "LocName", name);
    close_tag(out, element);
}

/* Each MetInf element declares its namespace itself, as in a whole message. */
static void open_metinf(GString *out, const char *name)
{
    g_string_append_c(out, '<');
    g_string_append(out, name);
    g_string_append(out, " xmlns=\"" DM_METINF_NS "\">");
}

static void append_metinf(GString *out, const char *name, const char *value)
{
    open_metinf(out, name);
    append_escaped(out, value, strlen(value));
    close_tag(out, name);
}

static void append_metinf_number(GString *out, const char *name, gint64 value)
{
    open_metinf(out, name);
    append_decimal(out, value);
    close_tag(out, name);
}

static void append_meta_content(GString *out, const DmMeta *meta)
{
    if (meta->format)
        append_metinf(out, "Format", meta->format);
    if (meta->type)
        append_metinf(out, "Type", meta->type);
    if (meta->size >= 0)
        append_metinf_number(out, "Size", meta->size);
    if (meta->next_nonce)
        append_metinf(out, "NextNonce", meta->next_nonce);
    if (meta->max_msg_size >= 0)
        append_metinf_number(out, "MaxMsgSize", meta->max_msg_size);
    if (meta->max_obj_size >= 0)
        append_metinf_number(out, "MaxObjSize", meta->max_obj_size);
}

static void append_meta(GString *out, const DmMeta *meta)
{
    if (dm_meta_is_empty(meta))
        return;
    g_string_append(out, "<Meta>");
    append_meta_content(out, meta);
    g_string_append(out, "</Meta>");
}

static void append_text_raw(GString *out, const char *name, const char *xml)
{
    open_tag(out, name);
    g_string_append(out, xml);
    close_tag(out, name);
}

static void append_item(GString *out, const DmItem *item)
{
    g_string_append(out, "<Item>");
    append_location(out, "Target", item->target, item->target_name);
    append_location(out, "Source", item->source, item->source_name);
    append_meta(out, &item->meta);
    if (item->has_data && item->data_is_xml) {
        /* Kept as text when it was read: well-formed XML, written back as it came. */
        if (item->data[0] == '\0')
            g_string_append(out, "<Data/>");
        else
            append_text_raw(out, "Data", item->data);
    } else if (item->has_data) {
        g_string_append(out, "<Data>");
        append_escaped(out, item->data, item->data_length);
        g_string_append(out, "</Data>");
    }
    if (item->more_data)
        g_string_append(out, "<MoreData/>");
    g_string_append(out, "</Item>");
}

static void append_command(GString *out, const DmCommand *c)
{
    const char *name = c->element ? c->element : dm_command_type_name(c->type);

    if (c->type == DM_COMMAND_UNKNOWN) {
        if (c->raw_xml != NULL)
            g_string_append(out, c->raw_xml);
        return;
    }
    open_tag(out, name);
    append_number(out, "CmdID", c->cmd_id);
    if (c->type == DM_COMMAND_STATUS || c->type == DM_COMMAND_RESULTS) {
        append_number(out, "MsgRef", c->msg_ref);
        append_number(out, "CmdRef", c->cmd_ref);
        if (c->cmd != NULL)
            append_text(out, "Cmd", c->cmd);
        for (guint i = 0; i < c->target_refs->len; i++)
            append_text(out, "TargetRef", g_ptr_array_index(c->target_refs, i));
        for (guint i = 0; i < c->source_refs->len; i++)
            append_text(out, "SourceRef", g_ptr_array_index(c->source_refs, i));
    }
    if (c->no_resp)
        g_string_append(out, "<NoResp/>");
    if (c->has_chal && dm_meta_is_empty(&c->chal)) {
        g_string_append(out, "<Chal/>");
    } else if (c->has_chal) {
        g_string_append(out, "<Chal><Meta>");
        append_meta_content(out, &c->chal);
        g_string_append(out, "</Meta></Chal>");
    }
    if (c->correlator != NULL)
        append_text(out, "Correlator", c->correlator);
    append_meta(out, &c->meta);
    if (c->code >= 0)
        append_number(out, "Data", c->code);
    for (guint i = 0; i < c->items->len; i++)
        append_item(out, g_ptr_array_index(c->items, i));
    for (guint i = 0; i < c->children->len; i++)
        append_command(out, g_ptr_array_index(c->children, i));
    close_tag(out, name);
}

char *dm_command_to_xml(const DmCommand *command)
{
    GString *out = g_string_sized_new(256);

    append_command(out, command);
    return g_string_free(out, FALSE);
}

/* The header as libxml2 writes it in a whole message (dm_message_to_xml): the same elements in
 * the same order, so that the skeleton and a whole message agree byte for byte. */
static void append_header(GString *out, const DmMessage *m)
{
    g_string_append(out, "<SyncHdr>");
    append_text(out, "VerDTD", m->ver_dtd ? m->ver_dtd : "1.2");
    append_text(out, "VerProto", m->ver_proto ? m->ver_proto : "DM/1.2");
    append_text(out, "SessionID", m->session_id ? m->session_id : "0");
    append_number(out, "MsgID", m->msg_id);
    append_location(out, "Target", m->target, m->target_name);
    append_location(out, "Source", m->source, m->source_name);
    if (m->resp_uri != NULL)
        append_text(out, "RespURI", m->resp_uri);
    if (m->no_resp)
        g_string_append(out, "<NoResp/>");
    if (m->has_cred) {
        g_string_append(out, "<Cred>");
        append_meta(out, &m->cred_meta);
        append_text(out, "Data", m->cred_data ? m->cred_data : "");
        g_string_append(out, "</Cred>");
    }
    append_meta(out, &m->meta);
    g_string_append(out, "</SyncHdr>");
}

char *dm_message_skeleton_xml(const DmMessage *message, gboolean doctype)
{
    /* A DM 1.1 message stays one: its namespace and public id follow its VerDTD. */
    gboolean v11 = g_strcmp0(message->ver_dtd, "1.1") == 0;
    GString *out = g_string_sized_new(512);

    g_string_append(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (doctype) {
        g_string_append(out, "<!DOCTYPE SyncML PUBLIC \"");
        g_string_append(out, v11 ? DM_SYNCML_PUBLIC_1_1 : DM_SYNCML_PUBLIC);
        g_string_append(out, "\" \"");
        g_string_append(out, v11 ? DM_SYNCML_DTD_1_1 : DM_SYNCML_DTD);
        g_string_append(out, "\">\n");
    }
    g_string_append(out, "<SyncML xmlns=\"");
    g_string_append(out, v11 ? DM_SYNCML_NS_1_1 : DM_SYNCML_NS);
    g_string_append(out, "\">");
    if (message->has_header)
        append_header(out, message);
    /* Final goes in with the body; without it an empty SyncBody is written <SyncBody/>. */
    g_string_append(out, "<SyncBody/></SyncML>\n");
    return g_string_free(out, FALSE);
}
