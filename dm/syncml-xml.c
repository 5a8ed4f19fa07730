/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SyncML DM messages to XML, with libxml2 (reading them: syncml-read.c). */
#include "dm-private.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

typedef struct {
    xmlDoc *doc;
} Writer;

static xmlNode *add_text(xmlNode *parent, const char *name, const char *value)
{
    return xmlNewTextChild(parent, NULL, (const xmlChar *)name, (const xmlChar *)value);
}

static void add_number(xmlNode *parent, const char *name, gint64 value)
{
    char text[32];
    g_snprintf(text, sizeof(text), "%" G_GINT64_FORMAT, value);
    add_text(parent, name, text);
}

static void add_location(xmlNode *parent, const char *element, const char *uri, const char *name)
{
    xmlNode *n;

    if (uri == NULL)
        return;
    n = xmlNewChild(parent, NULL, (const xmlChar *)element, NULL);
    add_text(n, "LocURI", uri);
    if (name != NULL)
        add_text(n, "LocName", name);
}

/* Each MetInf element declares its namespace itself, as SyncML peers (and libwbxml's code
 * page switching) expect: <Format xmlns="syncml:metinf">. */
static void add_metinf(Writer *w, xmlNode *meta, const char *name, const char *value)
{
    xmlNode *n = add_text(meta, name, value);
    xmlSetNs(n, xmlNewNs(n, (const xmlChar *)DM_METINF_NS, NULL));
}

static void add_meta(Writer *w, xmlNode *parent, const DmMeta *meta)
{
    xmlNode *n;
    char text[32];

    if (dm_meta_is_empty(meta))
        return;
    n = xmlNewChild(parent, NULL, (const xmlChar *)"Meta", NULL);
    if (meta->format)
        add_metinf(w, n, "Format", meta->format);
    if (meta->type)
        add_metinf(w, n, "Type", meta->type);
    if (meta->size >= 0) {
        g_snprintf(text, sizeof(text), "%" G_GINT64_FORMAT, meta->size);
        add_metinf(w, n, "Size", text);
    }
    if (meta->next_nonce)
        add_metinf(w, n, "NextNonce", meta->next_nonce);
    if (meta->max_msg_size >= 0) {
        g_snprintf(text, sizeof(text), "%" G_GINT64_FORMAT, meta->max_msg_size);
        add_metinf(w, n, "MaxMsgSize", text);
    }
    if (meta->max_obj_size >= 0) {
        g_snprintf(text, sizeof(text), "%" G_GINT64_FORMAT, meta->max_obj_size);
        add_metinf(w, n, "MaxObjSize", text);
    }
}

/* Adds XML kept as text (a DS command, DevInf data) as real elements under @parent. */
static void on_quiet_error(void *data, xmlError *error)
{
}

static void add_raw(Writer *w, xmlNode *parent, const char *xml)
{
    xmlNode *list = NULL;

    /* The XML was read once already: what libxml2 says of it again (a namespace URI it finds
     * odd, say) is no news, and would go to stderr. */
    xmlSetStructuredErrorFunc(NULL, on_quiet_error);
    if (xmlParseBalancedChunkMemory(w->doc, NULL, NULL, 0, (const xmlChar *)xml, &list) == 0 &&
        list != NULL)
        xmlAddChildList(parent, list);
    else if (list != NULL)
        xmlFreeNodeList(list);
    xmlSetStructuredErrorFunc(NULL, NULL);
}

static void add_item(Writer *w, xmlNode *parent, const DmItem *item)
{
    xmlNode *n = xmlNewChild(parent, NULL, (const xmlChar *)"Item", NULL);

    add_location(n, "Target", item->target, item->target_name);
    add_location(n, "Source", item->source, item->source_name);
    add_meta(w, n, &item->meta);
    if (item->has_data) {
        if (item->data_is_xml)
            add_raw(w, xmlNewChild(n, NULL, (const xmlChar *)"Data", NULL), item->data);
        else
            add_text(n, "Data", item->data);
    }
    if (item->more_data)
        xmlNewChild(n, NULL, (const xmlChar *)"MoreData", NULL);
}

static void add_command(Writer *w, xmlNode *parent, const DmCommand *c)
{
    const char *name = c->element ? c->element : dm_command_type_name(c->type);
    xmlNode *n;

    if (c->type == DM_COMMAND_UNKNOWN) {
        if (c->raw_xml != NULL)
            add_raw(w, parent, c->raw_xml);
        return;
    }
    n = xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
    add_number(n, "CmdID", c->cmd_id);
    if (c->type == DM_COMMAND_STATUS || c->type == DM_COMMAND_RESULTS) {
        add_number(n, "MsgRef", c->msg_ref);
        add_number(n, "CmdRef", c->cmd_ref);
        if (c->cmd != NULL)
            add_text(n, "Cmd", c->cmd);
        for (guint i = 0; i < c->target_refs->len; i++)
            add_text(n, "TargetRef", g_ptr_array_index(c->target_refs, i));
        for (guint i = 0; i < c->source_refs->len; i++)
            add_text(n, "SourceRef", g_ptr_array_index(c->source_refs, i));
    }
    if (c->no_resp)
        xmlNewChild(n, NULL, (const xmlChar *)"NoResp", NULL);
    if (c->has_chal)
        add_meta(w, xmlNewChild(n, NULL, (const xmlChar *)"Chal", NULL), &c->chal);
    if (c->correlator != NULL)
        add_text(n, "Correlator", c->correlator);
    add_meta(w, n, &c->meta);
    if (c->code >= 0)
        add_number(n, "Data", c->code);
    for (guint i = 0; i < c->items->len; i++)
        add_item(w, n, g_ptr_array_index(c->items, i));
    for (guint i = 0; i < c->children->len; i++)
        add_command(w, n, g_ptr_array_index(c->children, i));
}

static xmlDoc *build_document(const DmMessage *m, gboolean doctype)
{
    Writer w = { xmlNewDoc((const xmlChar *)"1.0") };
    xmlNode *root = xmlNewNode(NULL, (const xmlChar *)"SyncML");
    xmlNode *header, *body;
    /* A DM 1.1 message stays one: its namespace and public id follow its VerDTD. */
    gboolean v11 = g_strcmp0(m->ver_dtd, "1.1") == 0;
    xmlNs *ns = xmlNewNs(root, (const xmlChar *)(v11 ? DM_SYNCML_NS_1_1 : DM_SYNCML_NS), NULL);

    xmlSetNs(root, ns);
    xmlDocSetRootElement(w.doc, root);
    if (doctype)
        xmlCreateIntSubset(w.doc, (const xmlChar *)"SyncML",
                           (const xmlChar *)(v11 ? DM_SYNCML_PUBLIC_1_1 : DM_SYNCML_PUBLIC),
                           (const xmlChar *)(v11 ? DM_SYNCML_DTD_1_1 : DM_SYNCML_DTD));

    if (!m->has_header)
        goto body;
    header = xmlNewChild(root, NULL, (const xmlChar *)"SyncHdr", NULL);
    add_text(header, "VerDTD", m->ver_dtd ? m->ver_dtd : "1.2");
    add_text(header, "VerProto", m->ver_proto ? m->ver_proto : "DM/1.2");
    add_text(header, "SessionID", m->session_id ? m->session_id : "0");
    add_number(header, "MsgID", m->msg_id);
    add_location(header, "Target", m->target, m->target_name);
    add_location(header, "Source", m->source, m->source_name);
    if (m->resp_uri != NULL)
        add_text(header, "RespURI", m->resp_uri);
    if (m->no_resp)
        xmlNewChild(header, NULL, (const xmlChar *)"NoResp", NULL);
    if (m->has_cred) {
        xmlNode *cred = xmlNewChild(header, NULL, (const xmlChar *)"Cred", NULL);
        add_meta(&w, cred, &m->cred_meta);
        add_text(cred, "Data", m->cred_data ? m->cred_data : "");
    }
    add_meta(&w, header, &m->meta);

body:
    body = xmlNewChild(root, NULL, (const xmlChar *)"SyncBody", NULL);
    for (guint i = 0; i < m->commands->len; i++)
        add_command(&w, body, g_ptr_array_index(m->commands, i));
    if (m->final)
        xmlNewChild(body, NULL, (const xmlChar *)"Final", NULL);
    return w.doc;
}

static char *document_to_string(xmlDoc *doc, gboolean pretty)
{
    xmlChar *out = NULL;
    int length = 0;
    char *copy;

    xmlDocDumpFormatMemoryEnc(doc, &out, &length, "UTF-8", pretty ? 1 : 0);
    copy = g_strndup((const char *)out, (gsize)length);
    xmlFree(out);
    return copy;
}

char *dm_message_to_xml(const DmMessage *message, gboolean pretty)
{
    xmlDoc *doc = build_document(message, FALSE);
    char *xml = document_to_string(doc, pretty);

    xmlFreeDoc(doc);
    return xml;
}

/* For the WBXML encoder, which picks its code pages from the DOCTYPE's public id. */
char *dm_message_to_xml_with_doctype(const DmMessage *message);

char *dm_message_to_xml_with_doctype(const DmMessage *message)
{
    xmlDoc *doc = build_document(message, TRUE);
    char *xml = document_to_string(doc, FALSE);

    xmlFreeDoc(doc);
    return xml;
}

char *dm_message_xml_assemble(const char *skeleton, const char *body, gboolean final)
{
    /* Element names cannot occur unescaped in the header's text: the first is the body. */
    const char *empty = strstr(skeleton, "<SyncBody/>");

    const char *tail;
    GString *out;

    g_assert(empty != NULL);
    if (body[0] == '\0' && !final)
        return g_strdup(skeleton);
    /* Pieces copied as they are: the message is too long for printf to be cheap. */
    tail = empty + strlen("<SyncBody/>");
    out = g_string_sized_new(strlen(skeleton) + strlen(body) + 32);
    g_string_append_len(out, skeleton, empty - skeleton);
    g_string_append(out, "<SyncBody>");
    g_string_append(out, body);
    if (final)
        g_string_append(out, "<Final/>");
    g_string_append(out, "</SyncBody>");
    g_string_append(out, tail);
    return g_string_free(out, FALSE);
}

char *dm_message_to_xml_with_body(const DmMessage *message, const char *body, gboolean doctype)
{
    g_autofree char *skeleton = dm_message_skeleton_xml(message, doctype);

    return dm_message_xml_assemble(skeleton, body, message->final);
}
