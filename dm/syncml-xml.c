/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SyncML DM messages to and from XML, with libxml2. */
#include "dm-private.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

typedef struct {
    GError **error;
} Parser;

static gboolean is(const xmlNode *node, const char *name)
{
    return node != NULL && node->type == XML_ELEMENT_NODE &&
           xmlStrEqual(node->name, (const xmlChar *)name);
}

static xmlNode *child(const xmlNode *parent, const char *name)
{
    for (xmlNode *n = parent ? parent->children : NULL; n != NULL; n = n->next) {
        if (is(n, name))
            return n;
    }
    return NULL;
}

static gboolean fail(Parser *p, const xmlNode *node, const char *format, ...) G_GNUC_PRINTF(3, 4);

static gboolean fail(Parser *p, const xmlNode *node, const char *format, ...)
{
    va_list args;
    g_autofree char *message = NULL;

    va_start(args, format);
    message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(p->error, DM_ERROR, DM_ERROR_MALFORMED, "SyncML line %ld: %s",
                node ? xmlGetLineNo(node) : 0L, message);
    return FALSE;
}

/* --- What the model keeps ---------------------------------------------------------------- */

/* The elements the model keeps inside each element it reads; NULL ends a list. */
static const char *const kept_meta[] = { "Format",     "Type",       "NextNonce", "Size",
                                         "MaxMsgSize", "MaxObjSize", NULL };
static const char *const kept_location[] = { "LocURI", "LocName", NULL };
static const char *const kept_header[] = { "VerDTD", "VerProto", "SessionID", "MsgID",
                                           "Target", "Source",   "RespURI",   "NoResp",
                                           "Cred",   "Meta",     NULL };
static const char *const kept_cred[] = { "Meta", "Data", NULL };
static const char *const kept_item[] = { "Target", "Source", "Meta", "Data", "MoreData", NULL };
static const char *const kept_command[] = { "CmdID", "NoResp",    "Correlator", "Cmd",
                                            "Meta",  "MsgRef",    "CmdRef",     "Data",
                                            "Chal",  "TargetRef", "SourceRef",  "Item",
                                            NULL };
static const char *const kept_chal[] = { "Meta", NULL };
static const char *const nested_commands[] = { "Alert",    "Add",    "Replace", "Delete",
                                               "Get",      "Exec",   "Copy",    "Atomic",
                                               "Sequence", "Status", "Results", NULL };

static gboolean listed(const char *const *names, const xmlNode *node)
{
    for (const char *const *n = names; *n != NULL; n++) {
        if (is(node, *n))
            return TRUE;
    }
    return FALSE;
}

/* Every element child of @node is one the model keeps (@nested: commands may nest). */
static gboolean all_kept(Parser *p, const xmlNode *node, const char *const *kept, gboolean nested);

static gboolean kept_below(Parser *p, const xmlNode *node)
{
    if (is(node, "Target") || is(node, "Source"))
        return all_kept(p, node, kept_location, FALSE);
    if (is(node, "Meta"))
        return all_kept(p, node, kept_meta, FALSE);
    if (is(node, "Cred"))
        return all_kept(p, node, kept_cred, FALSE);
    if (is(node, "Chal"))
        return all_kept(p, node, kept_chal, FALSE);
    if (is(node, "Item"))
        return all_kept(p, node, kept_item, FALSE);
    if (is(node, "Atomic") || is(node, "Sequence"))
        return all_kept(p, node, kept_command, TRUE);
    if (listed(nested_commands, node))
        return all_kept(p, node, kept_command, FALSE);
    /* Data keeps what it holds, as XML; the rest holds text. */
    return TRUE;
}

/* The elements the model keeps more than one of. */
static const char *const repeatable[] = { "Item", "TargetRef", "SourceRef", NULL };

static gboolean seen_before(const xmlNode *node)
{
    for (const xmlNode *n = node->prev; n != NULL; n = n->prev) {
        if (is(n, (const char *)node->name))
            return TRUE;
    }
    return FALSE;
}

static gboolean all_kept(Parser *p, const xmlNode *node, const char *const *kept, gboolean nested)
{
    for (xmlNode *n = node->children; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (!listed(kept, n) && !(nested && listed(nested_commands, n)))
            return fail(p, n, "<%s> inside <%s> is not SyncML DM: it would be lost",
                        (const char *)n->name, (const char *)node->name);
        if (!listed(repeatable, n) && !(nested && listed(nested_commands, n)) && seen_before(n))
            return fail(p, n, "<%s> twice inside <%s>: only the first would be kept",
                        (const char *)n->name, (const char *)node->name);
        if (!kept_below(p, n))
            return FALSE;
    }
    return TRUE;
}

/*
 * @node's text as the tree holds it when it is one text node (or none: ""), which is nearly
 * always; NULL when it is made of several nodes (CDATA, entity references) and must be joined.
 */
static const char *plain_text(const xmlNode *node)
{
    const xmlNode *only = node->children;

    if (only == NULL)
        return "";
    if (only->type == XML_TEXT_NODE && only->next == NULL && only->content != NULL)
        return (const char *)only->content;
    return NULL;
}

/* The text of @node, trimmed: identifiers and numbers never carry surrounding space. */
static char *text(const xmlNode *node)
{
    const char *plain = plain_text(node);
    xmlChar *content;
    char *copy;

    if (plain != NULL)
        return g_strstrip(g_strdup(plain));
    content = xmlNodeGetContent(node);
    copy = g_strstrip(g_strdup((const char *)content));
    xmlFree(content);
    return copy;
}

static char *child_text(const xmlNode *parent, const char *name)
{
    xmlNode *n = child(parent, name);
    return n ? text(n) : NULL;
}

/*
 * The strict reading dmscctl uses: a document whose every element the model keeps (commands it
 * does not know are kept whole), in SyncML 1.1 or 1.2; anything else is refused, never changed.
 */
static gboolean strict_check(Parser *p, const xmlNode *root, DmParseMode mode)
{
    const xmlNode *header = child(root, "SyncHdr"), *body = child(root, "SyncBody");
    g_autofree char *version = NULL;
    g_autofree char *expected_ns = NULL;

    /* Without a header nothing says which version the document is; it would come out as 1.2. */
    if (header == NULL)
        return fail(p, root, "<SyncML> without <SyncHdr> has no version to keep");
    version = child_text(header, "VerDTD");
    if (g_strcmp0(version, "1.2") != 0 && g_strcmp0(version, "1.1") != 0)
        return fail(p, header, "VerDTD %s: only SyncML 1.1 and 1.2 are kept as they are",
                    version ? version : "missing");
    expected_ns = g_strconcat("SYNCML:SYNCML", version, NULL);
    if (mode == DM_PARSE_STRICT && root->ns != NULL &&
        g_ascii_strcasecmp((const char *)root->ns->href, expected_ns) != 0)
        return fail(p, root, "namespace %s does not match VerDTD %s", (const char *)root->ns->href,
                    version);
    if (!all_kept(p, header, kept_header, FALSE))
        return FALSE;
    /* The commands it knows; the others are kept whole, as raw XML. */
    for (xmlNode *n = body ? body->children : NULL; n != NULL; n = n->next) {
        if (listed(nested_commands, n) && !kept_below(p, n))
            return FALSE;
    }
    return TRUE;
}

/* Decimal digits between optional spaces, up to @max. */
static gboolean digits_value(const char *text, guint64 max, guint64 *out)
{
    const char *p = text;
    guint64 value = 0;

    while (g_ascii_isspace(*p))
        p++;
    if (!g_ascii_isdigit(*p))
        return FALSE;
    for (; g_ascii_isdigit(*p); p++) {
        guint digit = (guint)(*p - '0');
        if (digit > max || value > (max - digit) / 10)
            return FALSE;
        value = value * 10 + digit;
    }
    while (g_ascii_isspace(*p))
        p++;
    if (*p != '\0')
        return FALSE;
    *out = value;
    return TRUE;
}

/* @node's text as a number up to @max, or FALSE (no error: the callers say what it means). */
static gboolean read_number(const xmlNode *node, guint64 max, guint64 *out)
{
    const char *plain = plain_text(node);
    g_autofree char *joined = plain == NULL ? text(node) : NULL;

    return digits_value(plain != NULL ? plain : joined, max, out);
}

static gboolean number(Parser *p, const xmlNode *node, guint64 max, guint64 *out)
{
    g_autofree char *value = NULL;

    if (read_number(node, max, out))
        return TRUE;
    value = text(node);
    return fail(p, node, "<%s> \"%s\" is not a number up to %" G_GUINT64_FORMAT,
                (const char *)node->name, value, max);
}

static gboolean optional_number(Parser *p, const xmlNode *parent, const char *name, gint64 *out)
{
    xmlNode *n = child(parent, name);
    guint64 value;

    if (n == NULL)
        return TRUE;
    if (!number(p, n, G_MAXINT64, &value))
        return FALSE;
    *out = (gint64)value;
    return TRUE;
}

static gboolean parse_meta(Parser *p, const xmlNode *meta, DmMeta *out)
{
    if (meta == NULL)
        return TRUE;
    out->format = child_text(meta, "Format");
    out->type = child_text(meta, "Type");
    out->next_nonce = child_text(meta, "NextNonce");
    return optional_number(p, meta, "Size", &out->size) &&
           optional_number(p, meta, "MaxMsgSize", &out->max_msg_size) &&
           optional_number(p, meta, "MaxObjSize", &out->max_obj_size);
}

/* Inner XML of an element that holds elements (DevInf in a DS Data, say). */
static char *inner_xml(const xmlNode *node)
{
    g_autoptr(GString) out = g_string_new(NULL);
    xmlBuffer *buffer = xmlBufferCreate();

    for (xmlNode *n = node->children; n != NULL; n = n->next)
        xmlNodeDump(buffer, node->doc, n, 0, 0);
    g_string_append_len(out, (const char *)xmlBufferContent(buffer), xmlBufferLength(buffer));
    xmlBufferFree(buffer);
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static gboolean has_element_children(const xmlNode *node)
{
    for (xmlNode *n = node->children; n != NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE)
            return TRUE;
    }
    return FALSE;
}

static void parse_location(const xmlNode *node, char **uri, char **name)
{
    if (node == NULL)
        return;
    *uri = child_text(node, "LocURI");
    *name = child_text(node, "LocName");
}

static gboolean parse_item(Parser *p, const xmlNode *node, DmItem *item)
{
    xmlNode *data = child(node, "Data");

    parse_location(child(node, "Target"), &item->target, &item->target_name);
    parse_location(child(node, "Source"), &item->source, &item->source_name);
    if (!parse_meta(p, child(node, "Meta"), &item->meta))
        return FALSE;
    if (data != NULL) {
        if (has_element_children(data)) {
            g_autofree char *xml = inner_xml(data);
            dm_item_set_data(item, xml, strlen(xml));
            item->data_is_xml = TRUE;
        } else {
            xmlChar *content = xmlNodeGetContent(data);
            dm_item_set_data(item, (const char *)content, strlen((const char *)content));
            xmlFree(content);
        }
    }
    item->more_data = child(node, "MoreData") != NULL;
    return TRUE;
}

static const struct {
    const char *element;
    DmCommandType type;
} command_elements[] = {
    { "Alert", DM_COMMAND_ALERT },       { "Add", DM_COMMAND_ADD },
    { "Replace", DM_COMMAND_REPLACE },   { "Delete", DM_COMMAND_DELETE },
    { "Get", DM_COMMAND_GET },           { "Exec", DM_COMMAND_EXEC },
    { "Copy", DM_COMMAND_COPY },         { "Atomic", DM_COMMAND_ATOMIC },
    { "Sequence", DM_COMMAND_SEQUENCE }, { "Status", DM_COMMAND_STATUS },
    { "Results", DM_COMMAND_RESULTS },
};

static DmCommand *parse_command(Parser *p, xmlNode *node, guint depth);

static gboolean parse_refs(const xmlNode *node, const char *name, GPtrArray *out)
{
    for (xmlNode *n = node->children; n != NULL; n = n->next) {
        if (is(n, name))
            g_ptr_array_add(out, text(n));
    }
    return TRUE;
}

static gboolean parse_command_body(Parser *p, xmlNode *node, DmCommand *command, guint depth)
{
    xmlNode *n;
    guint64 value;

    if ((n = child(node, "CmdID")) == NULL)
        return fail(p, node, "<%s> without <CmdID>", (const char *)node->name);
    if (!number(p, n, G_MAXUINT32, &value))
        return FALSE;
    command->cmd_id = (guint)value;
    command->no_resp = child(node, "NoResp") != NULL;
    command->correlator = child_text(node, "Correlator");
    command->cmd = child_text(node, "Cmd");
    if (!parse_meta(p, child(node, "Meta"), &command->meta))
        return FALSE;
    if ((n = child(node, "MsgRef")) != NULL) {
        if (!number(p, n, G_MAXUINT32, &value))
            return FALSE;
        command->msg_ref = (guint)value;
    }
    if ((n = child(node, "CmdRef")) != NULL) {
        if (!number(p, n, G_MAXUINT32, &value))
            return FALSE;
        command->cmd_ref = (guint)value;
    }
    /* Alert and Status carry their code as Data; elsewhere Data lives in Items. */
    if ((command->type == DM_COMMAND_ALERT || command->type == DM_COMMAND_STATUS) &&
        (n = child(node, "Data")) != NULL) {
        if (!number(p, n, 9999, &value))
            return FALSE;
        command->code = (int)value;
    }
    if ((n = child(node, "Chal")) != NULL) {
        command->has_chal = TRUE;
        if (!parse_meta(p, child(n, "Meta"), &command->chal))
            return FALSE;
    }
    parse_refs(node, "TargetRef", command->target_refs);
    parse_refs(node, "SourceRef", command->source_refs);

    for (n = node->children; n != NULL; n = n->next) {
        if (is(n, "Item")) {
            DmItem *item = dm_item_new();
            g_ptr_array_add(command->items, item);
            if (!parse_item(p, n, item))
                return FALSE;
        } else if ((command->type == DM_COMMAND_ATOMIC || command->type == DM_COMMAND_SEQUENCE) &&
                   n->type == XML_ELEMENT_NODE && !listed(kept_command, n)) {
            /* What the fields above read is no command: kept as one too, it would come back
             * twice from a message dmscd writes. */
            DmCommand *inner = parse_command(p, n, depth + 1);
            if (inner == NULL)
                return FALSE;
            g_ptr_array_add(command->children, inner);
        }
    }
    return TRUE;
}

static DmCommand *parse_command(Parser *p, xmlNode *node, guint depth)
{
    g_autoptr(DmCommand) command = dm_command_new(DM_COMMAND_UNKNOWN);
    guint64 value;
    xmlNode *id;

    /* Atomic and Sequence nest; a bound keeps a hostile message from exhausting the stack. */
    if (depth > 8) {
        fail(p, node, "commands nested more than 8 deep");
        return NULL;
    }
    command->element = g_strdup((const char *)node->name);
    for (gsize i = 0; i < G_N_ELEMENTS(command_elements); i++) {
        if (is(node, command_elements[i].element))
            command->type = command_elements[i].type;
    }
    if (command->type == DM_COMMAND_UNKNOWN) {
        xmlBuffer *buffer = xmlBufferCreate();
        xmlNodeDump(buffer, node->doc, node, 0, 0);
        command->raw_xml = g_strdup((const char *)xmlBufferContent(buffer));
        xmlBufferFree(buffer);
        /* Its CmdID is kept when it is one (a Status can refer to it); an unknown command
         * is not refused for it, and no error is left behind. */
        if ((id = child(node, "CmdID")) != NULL && read_number(id, G_MAXUINT32, &value))
            command->cmd_id = (guint)value;
        return g_steal_pointer(&command);
    }
    if (!parse_command_body(p, node, command, depth))
        return NULL;
    return g_steal_pointer(&command);
}

static gboolean parse_header(Parser *p, xmlNode *header, DmMessage *m)
{
    xmlNode *n;
    guint64 value;

    m->has_header = TRUE;
    m->ver_dtd = child_text(header, "VerDTD");
    m->ver_proto = child_text(header, "VerProto");
    m->session_id = child_text(header, "SessionID");
    if (m->ver_dtd == NULL || m->ver_proto == NULL || m->session_id == NULL)
        return fail(p, header, "<SyncHdr> needs <VerDTD>, <VerProto> and <SessionID>");
    if ((n = child(header, "MsgID")) == NULL)
        return fail(p, header, "<SyncHdr> without <MsgID>");
    if (!number(p, n, G_MAXUINT32, &value))
        return FALSE;
    m->msg_id = (guint)value;
    parse_location(child(header, "Target"), &m->target, &m->target_name);
    parse_location(child(header, "Source"), &m->source, &m->source_name);
    if (m->target == NULL || m->source == NULL)
        return fail(p, header, "<SyncHdr> needs <Target> and <Source> with <LocURI>");
    m->resp_uri = child_text(header, "RespURI");
    m->no_resp = child(header, "NoResp") != NULL;
    if ((n = child(header, "Cred")) != NULL) {
        m->has_cred = TRUE;
        m->cred_data = child_text(n, "Data");
        if (!parse_meta(p, child(n, "Meta"), &m->cred_meta))
            return FALSE;
    }
    return parse_meta(p, child(header, "Meta"), &m->meta);
}

static gboolean parse_body(Parser *p, xmlNode *body, DmMessage *m)
{
    for (xmlNode *n = body->children; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (is(n, "Final")) {
            m->final = TRUE;
            continue;
        }
        DmCommand *command = parse_command(p, n, 0);
        if (command == NULL)
            return FALSE;
        g_ptr_array_add(m->commands, command);
    }
    return TRUE;
}

static void on_xml_error(void *data, const xmlError *error)
{
    GString *messages = data;

    if (messages->len == 0)
        g_string_append_printf(messages, "line %d: %s", error->line,
                               error->message ? error->message : "?");
}

DmMessage *dm_message_parse_xml(const char *xml, gsize length, GError **error)
{
    return dm_message_parse_xml_checked(xml, length, DM_PARSE_LENIENT, error);
}

DmMessage *dm_message_parse_xml_checked(const char *xml, gsize length, DmParseMode mode,
                                        GError **error)
{
    g_autoptr(DmMessage) message = dm_message_new();
    g_autoptr(GString) messages = g_string_new(NULL);
    Parser p = { error };
    xmlDoc *doc;
    xmlNode *root;
    gboolean ok;

    if (length > G_MAXINT) {
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED, "SyncML: message too large");
        return NULL;
    }
    xmlSetStructuredErrorFunc(messages, (xmlStructuredErrorFunc)on_xml_error);
    /* No network, no entity expansion, no DTD loading: the bytes come from the outside. The
     * document is only read: its short texts can live inside their nodes (COMPACT). */
    doc = xmlReadMemory(xml, (int)length, "syncml.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                            XML_PARSE_COMPACT);
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (doc == NULL) {
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED, "SyncML is not well-formed XML: %s",
                    messages->len ? g_strstrip(messages->str) : "empty document");
        return NULL;
    }
    if (doc->intSubset != NULL && doc->intSubset->entities != NULL) {
        xmlFreeDoc(doc);
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED, "SyncML declares entities: refused");
        return NULL;
    }
    root = xmlDocGetRootElement(doc);
    if (!is(root, "SyncML"))
        ok = fail(&p, root, "root element is <%s>, not <SyncML>",
                  root ? (const char *)root->name : "");
    else if (child(root, "SyncBody") == NULL)
        ok = fail(&p, root, "<SyncML> without <SyncBody>");
    else if (mode != DM_PARSE_LENIENT && !strict_check(&p, root, mode))
        ok = FALSE;
    else {
        /* A fragment without a header still decodes; no engine will act on it. */
        message->has_header = child(root, "SyncHdr") != NULL;
        ok = (!message->has_header || parse_header(&p, child(root, "SyncHdr"), message)) &&
             parse_body(&p, child(root, "SyncBody"), message);
    }
    xmlFreeDoc(doc);
    return ok ? g_steal_pointer(&message) : NULL;
}

/* --- Writing ----------------------------------------------------------------------------- */

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
static void add_raw(Writer *w, xmlNode *parent, const char *xml)
{
    xmlNode *list = NULL;

    if (xmlParseBalancedChunkMemory(w->doc, NULL, NULL, 0, (const xmlChar *)xml, &list) == 0 &&
        list != NULL)
        xmlAddChildList(parent, list);
    else if (list != NULL)
        xmlFreeNodeList(list);
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
