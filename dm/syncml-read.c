/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SyncML DM messages from XML, with libxml2.
 *
 * A message is read into a small tree of its elements (name, namespace, line, and the text
 * below each as a range of one buffer), and the model is taken from that tree.
 *
 * libxml2's own tree (a node for each element and each text, freed again at once) cost more
 * than the parse itself. A plain message, one whose every element at a command's place is a
 * command dmscd knows and whose Data hold no elements, is read through libxml2's SAX
 * interface straight into the small tree. Anything else is read into libxml2's tree and the
 * small tree made from it: an unknown command or XML inside a Data (kept as libxml2 writes
 * them out), entity declarations or references (refused, or left out of the text as libxml2
 * leaves them), a document that is not well-formed (for libxml2's own error), and the strict
 * readings of dmscctl. Both ways give the same model.
 */
#include "dm-private.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <string.h>

/* --- The elements of a message ----------------------------------------------------------- */

typedef struct Doc Doc;
typedef struct Element Element;

struct Element {
    const char *name; /* local name */
    const char *ns;   /* namespace URI, or NULL */
    long line;
    Element *parent, *first, *last, *next, *prev; /* elements only */
    gsize text_start, text_end;                   /* all text below it, in doc->text */
    xmlNode *xml; /* what it was made from, when read into libxml2's tree */
    const Doc *doc;
};

/* Elements are handed out from blocks of this many, and go with their document. */
#define BLOCK_ELEMENTS 64

struct Doc {
    Element *root;
    GString *text;       /* the document's text (and CDATA), in document order */
    GPtrArray *blocks;   /* of BLOCK_ELEMENTS elements each */
    guint used;          /* of the last block */
    xmlParserCtxt *ctxt; /* of a SAX reading: its dictionary holds the names */
    xmlDoc *xml;         /* of a reading into libxml2's tree: it holds the names */
};

static Doc *doc_new(void)
{
    Doc *doc = g_new0(Doc, 1);

    doc->text = g_string_new(NULL);
    doc->blocks = g_ptr_array_new_with_free_func(g_free);
    return doc;
}

/* Back to empty, for a second reading. */
static void doc_clear(Doc *doc)
{
    doc->root = NULL;
    g_string_truncate(doc->text, 0);
    g_ptr_array_set_size(doc->blocks, 0);
    doc->used = 0;
    /* Even when read through SAX, an entity declaration gets a document of libxml2's own
     * (for expat's ways), which its context does not free. */
    if (doc->ctxt != NULL)
        g_clear_pointer(&doc->ctxt->myDoc, xmlFreeDoc);
    g_clear_pointer(&doc->ctxt, xmlFreeParserCtxt);
    g_clear_pointer(&doc->xml, xmlFreeDoc);
}

static void doc_free(Doc *doc)
{
    doc_clear(doc);
    g_string_free(doc->text, TRUE);
    g_ptr_array_unref(doc->blocks);
    g_free(doc);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Doc, doc_free)

/* A new last child of @parent (the root when @parent is NULL). */
static Element *element_add(Doc *doc, Element *parent, const char *name, const char *ns, long line)
{
    Element *e;

    if (doc->blocks->len == 0 || doc->used == BLOCK_ELEMENTS) {
        g_ptr_array_add(doc->blocks, g_new(Element, BLOCK_ELEMENTS));
        doc->used = 0;
    }
    e = (Element *)g_ptr_array_index(doc->blocks, doc->blocks->len - 1) + doc->used++;
    *e = (Element){ .name = name, .ns = ns, .line = line, .parent = parent, .doc = doc };
    e->text_start = e->text_end = doc->text->len;
    if (parent == NULL) {
        doc->root = e;
    } else {
        e->prev = parent->last;
        if (parent->last != NULL)
            parent->last->next = e;
        else
            parent->first = e;
        parent->last = e;
    }
    return e;
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
/* The elements the model keeps more than one of. */
static const char *const repeatable[] = { "Item", "TargetRef", "SourceRef", NULL };

/* --- Reading a plain message through SAX -------------------------------------------------- */

static gboolean named(const char *name, const char *const *names)
{
    for (const char *const *n = names; *n != NULL; n++) {
        if (strcmp(name, *n) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Whether an element @name inside @parent keeps the message plain (see the top). */
static gboolean plain_child(const Element *parent, const char *name)
{
    if (strcmp(parent->name, "Data") == 0)
        return FALSE;
    if (strcmp(parent->name, "SyncBody") == 0)
        return strcmp(name, "Final") == 0 || named(name, nested_commands);
    if (strcmp(parent->name, "Atomic") == 0 || strcmp(parent->name, "Sequence") == 0)
        return named(name, nested_commands) || named(name, kept_command);
    return TRUE;
}

typedef struct {
    Doc *doc;
    xmlParserCtxt *ctxt;
    Element *open; /* the element being read, NULL outside the root */
    gboolean plain;
} Reader;

static void not_plain(Reader *r)
{
    r->plain = FALSE;
    xmlStopParser(r->ctxt);
}

static void on_start(void *data, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
                     int n_namespaces, const xmlChar **namespaces, int n_attributes,
                     int n_defaulted, const xmlChar **attributes)
{
    Reader *r = data;
    long line = r->ctxt->input != NULL ? MIN(r->ctxt->input->line, 65535) : 0;

    if (!r->plain)
        return;
    /* libxml2's tree names an element whose prefix is not declared by its prefixed name; and
     * past line 65535 it looks for a line among the element's neighbours. */
    if ((prefix != NULL && uri == NULL) || line >= 65535 ||
        (r->open != NULL && !plain_child(r->open, (const char *)name))) {
        not_plain(r);
        return;
    }
    r->open = element_add(r->doc, r->open, (const char *)name, (const char *)uri, line);
}

static void on_end(void *data, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
    Reader *r = data;

    if (!r->plain || r->open == NULL)
        return;
    r->open->text_end = r->doc->text->len;
    r->open = r->open->parent;
}

static void on_text(void *data, const xmlChar *text, int length)
{
    Reader *r = data;

    if (r->plain && r->open != NULL && length > 0)
        g_string_append_len(r->doc->text, (const char *)text, length);
}

static void on_entity(void *data, const xmlChar *name, int type, const xmlChar *public_id,
                      const xmlChar *system_id, xmlChar *content)
{
    not_plain(data);
}

static void on_unparsed_entity(void *data, const xmlChar *name, const xmlChar *public_id,
                               const xmlChar *system_id, const xmlChar *notation)
{
    not_plain(data);
}

static void on_reference(void *data, const xmlChar *name)
{
    not_plain(data);
}

/* Errors are libxml2's to tell: a document that has one is read again into its tree. */
static void on_quiet_error(void *data, xmlError *error)
{
}

/*
 * Spaces after the document, which XML allows: libxml2 tries to read more of its input at
 * nearly every token within its last INPUT_CHUNK (250) bytes, and most of a message is.
 * Errors are not told from this reading (see read_whole()), so their positions are not moved.
 */
#define PADDING 256

/* TRUE when @xml was plain and well-formed and is now in @doc. */
static gboolean read_plain(Doc *doc, const char *xml, gsize length)
{
    g_autofree char *padded = NULL;
    xmlParserCtxt *ctxt;
    Reader r = { .doc = doc, .plain = TRUE };
    xmlSAXHandler *sax;

    if (length > G_MAXINT - PADDING)
        return FALSE;
    padded = g_malloc(length + PADDING);
    memcpy(padded, xml, length);
    memset(padded + length, ' ', PADDING);
    ctxt = xmlCreateMemoryParserCtxt(padded, (int)(length + PADDING));
    if (ctxt == NULL)
        return FALSE;
    r.ctxt = ctxt;
    doc->ctxt = ctxt;
    /* No network, no entity expansion, no DTD loading: the bytes come from the outside. */
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    sax = ctxt->sax;
    memset(sax, 0, sizeof(*sax));
    sax->initialized = XML_SAX2_MAGIC;
    sax->startElementNs = on_start;
    sax->endElementNs = on_end;
    sax->characters = on_text;
    sax->ignorableWhitespace = on_text;
    sax->cdataBlock = on_text;
    sax->entityDecl = on_entity;
    sax->unparsedEntityDecl = on_unparsed_entity;
    sax->reference = on_reference;
    ctxt->userData = &r;
    /* Not the handler's serror: errors without a parser (a bad byte for the declared encoding)
     * would go past it to stderr. */
    xmlSetStructuredErrorFunc(NULL, on_quiet_error);
    xmlParseDocument(ctxt);
    xmlSetStructuredErrorFunc(NULL, NULL);
    /* Well-formed, it had a root and closed every element. */
    return r.plain && ctxt->wellFormed;
}

/* --- Reading anything else into libxml2's tree -------------------------------------------- */

static void add_from_xml(Doc *doc, Element *parent, xmlNode *node)
{
    Element *e =
        element_add(doc, parent, (const char *)node->name,
                    node->ns != NULL ? (const char *)node->ns->href : NULL, xmlGetLineNo(node));

    e->xml = node;
    /* The text below, as xmlNodeGetContent() joins it: text and CDATA in document order. An
     * entity reference adds nothing: a document that declares entities is refused. */
    for (xmlNode *n = node->children; n != NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE)
            add_from_xml(doc, e, n);
        else if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
                 n->content != NULL)
            g_string_append(doc->text, (const char *)n->content);
    }
    e->text_end = doc->text->len;
}

static void on_xml_error(void *data, const xmlError *error)
{
    GString *messages = data;

    if (messages->len == 0)
        g_string_append_printf(messages, "line %d: %s", error->line,
                               error->message ? error->message : "?");
}

static gboolean read_whole(Doc *doc, const char *xml, gsize length, GError **error)
{
    g_autoptr(GString) messages = g_string_new(NULL);
    xmlNode *root;

    xmlSetStructuredErrorFunc(messages, (xmlStructuredErrorFunc)on_xml_error);
    /* As read_plain(); the document is only read: its short texts can live inside their nodes
     * (COMPACT). */
    doc->xml = xmlReadMemory(xml, (int)length, "syncml.xml", NULL,
                             XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                 XML_PARSE_COMPACT);
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (doc->xml == NULL) {
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED, "SyncML is not well-formed XML: %s",
                    messages->len ? g_strstrip(messages->str) : "empty document");
        return FALSE;
    }
    if (doc->xml->intSubset != NULL && doc->xml->intSubset->entities != NULL) {
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED, "SyncML declares entities: refused");
        return FALSE;
    }
    root = xmlDocGetRootElement(doc->xml);
    if (root != NULL)
        add_from_xml(doc, NULL, root);
    return TRUE;
}

/* --- The model, from the elements --------------------------------------------------------- */

typedef struct {
    GError **error;
} Parser;

static gboolean is(const Element *node, const char *name)
{
    return node != NULL && strcmp(node->name, name) == 0;
}

static const Element *child(const Element *parent, const char *name)
{
    for (const Element *n = parent ? parent->first : NULL; n != NULL; n = n->next) {
        if (is(n, name))
            return n;
    }
    return NULL;
}

static gboolean fail(Parser *p, const Element *node, const char *format, ...) G_GNUC_PRINTF(3, 4);

static gboolean fail(Parser *p, const Element *node, const char *format, ...)
{
    va_list args;
    g_autofree char *message = NULL;

    va_start(args, format);
    message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(p->error, DM_ERROR, DM_ERROR_MALFORMED, "SyncML line %ld: %s",
                node ? node->line : 0L, message);
    return FALSE;
}

static gboolean listed(const char *const *names, const Element *node)
{
    return named(node->name, names);
}

/* Every element child of @node is one the model keeps (@nested: commands may nest). */
static gboolean all_kept(Parser *p, const Element *node, const char *const *kept, gboolean nested);

static gboolean kept_below(Parser *p, const Element *node)
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

static gboolean seen_before(const Element *node)
{
    for (const Element *n = node->prev; n != NULL; n = n->prev) {
        if (is(n, node->name))
            return TRUE;
    }
    return FALSE;
}

static gboolean all_kept(Parser *p, const Element *node, const char *const *kept, gboolean nested)
{
    for (const Element *n = node->first; n != NULL; n = n->next) {
        if (!listed(kept, n) && !(nested && listed(nested_commands, n)))
            return fail(p, n, "<%s> inside <%s> is not SyncML DM: it would be lost", n->name,
                        node->name);
        if (!listed(repeatable, n) && !(nested && listed(nested_commands, n)) && seen_before(n))
            return fail(p, n, "<%s> twice inside <%s>: only the first would be kept", n->name,
                        node->name);
        if (!kept_below(p, n))
            return FALSE;
    }
    return TRUE;
}

/* All text below @node (as xmlNodeGetContent() gives it), not NUL-terminated. */
static const char *content(const Element *node, gsize *length)
{
    *length = node->text_end - node->text_start;
    return node->doc->text->str + node->text_start;
}

/* The text of @node, trimmed: identifiers and numbers never carry surrounding space. */
static char *text(const Element *node)
{
    gsize length;
    const char *value = content(node, &length);

    return g_strstrip(g_strndup(value, length));
}

static char *child_text(const Element *parent, const char *name)
{
    const Element *n = child(parent, name);
    return n ? text(n) : NULL;
}

/*
 * The strict reading dmscctl uses: a document whose every element the model keeps (commands it
 * does not know are kept whole), in SyncML 1.1 or 1.2; anything else is refused, never changed.
 */
static gboolean strict_check(Parser *p, const Element *root, DmParseMode mode)
{
    const Element *header = child(root, "SyncHdr"), *body = child(root, "SyncBody");
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
        g_ascii_strcasecmp(root->ns, expected_ns) != 0)
        return fail(p, root, "namespace %s does not match VerDTD %s", root->ns, version);
    if (!all_kept(p, header, kept_header, FALSE))
        return FALSE;
    /* The commands it knows; the others are kept whole, as raw XML. */
    for (const Element *n = body ? body->first : NULL; n != NULL; n = n->next) {
        if (listed(nested_commands, n) && !kept_below(p, n))
            return FALSE;
    }
    return TRUE;
}

/* Decimal digits between optional spaces, up to @max. */
static gboolean digits_value(const char *p, const char *end, guint64 max, guint64 *out)
{
    guint64 value = 0;

    while (p < end && g_ascii_isspace(*p))
        p++;
    if (p == end || !g_ascii_isdigit(*p))
        return FALSE;
    for (; p < end && g_ascii_isdigit(*p); p++) {
        guint digit = (guint)(*p - '0');
        if (digit > max || value > (max - digit) / 10)
            return FALSE;
        value = value * 10 + digit;
    }
    while (p < end && g_ascii_isspace(*p))
        p++;
    if (p != end)
        return FALSE;
    *out = value;
    return TRUE;
}

/* @node's text as a number up to @max, or FALSE (no error: the callers say what it means). */
static gboolean read_number(const Element *node, guint64 max, guint64 *out)
{
    gsize length;
    const char *value = content(node, &length);

    return digits_value(value, value + length, max, out);
}

static gboolean number(Parser *p, const Element *node, guint64 max, guint64 *out)
{
    g_autofree char *value = NULL;

    if (read_number(node, max, out))
        return TRUE;
    value = text(node);
    return fail(p, node, "<%s> \"%s\" is not a number up to %" G_GUINT64_FORMAT, node->name, value,
                max);
}

static gboolean optional_number(Parser *p, const Element *parent, const char *name, gint64 *out)
{
    const Element *n = child(parent, name);
    guint64 value;

    if (n == NULL)
        return TRUE;
    if (!number(p, n, G_MAXINT64, &value))
        return FALSE;
    *out = (gint64)value;
    return TRUE;
}

static gboolean parse_meta(Parser *p, const Element *meta, DmMeta *out)
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

/* @node as libxml2 writes it out (@inner: what it holds only); NULL when the message was
 * read without libxml2's tree, which read_plain() keeps from happening. */
static char *node_xml(const Element *node, gboolean inner)
{
    xmlBuffer *buffer;
    char *xml;

    if (node->xml == NULL)
        return NULL;
    buffer = xmlBufferCreate();
    if (!inner)
        xmlNodeDump(buffer, node->xml->doc, node->xml, 0, 0);
    for (xmlNode *n = inner ? node->xml->children : NULL; n != NULL; n = n->next)
        xmlNodeDump(buffer, node->xml->doc, n, 0, 0);
    xml = g_strndup((const char *)xmlBufferContent(buffer), (gsize)xmlBufferLength(buffer));
    xmlBufferFree(buffer);
    return xml;
}

static void parse_location(const Element *node, char **uri, char **name)
{
    if (node == NULL)
        return;
    *uri = child_text(node, "LocURI");
    *name = child_text(node, "LocName");
}

static gboolean parse_item(Parser *p, const Element *node, DmItem *item)
{
    const Element *data = child(node, "Data");

    parse_location(child(node, "Target"), &item->target, &item->target_name);
    parse_location(child(node, "Source"), &item->source, &item->source_name);
    if (!parse_meta(p, child(node, "Meta"), &item->meta))
        return FALSE;
    if (data != NULL && data->first != NULL) {
        g_autofree char *xml = node_xml(data, TRUE);
        if (xml == NULL)
            return fail(p, data, "<Data> holding XML could not be kept");
        dm_item_set_data(item, xml, strlen(xml));
        item->data_is_xml = TRUE;
    } else if (data != NULL) {
        gsize length;
        const char *value = content(data, &length);
        dm_item_set_data(item, value, length);
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

static DmCommand *parse_command(Parser *p, const Element *node, guint depth);

static gboolean parse_refs(const Element *node, const char *name, GPtrArray *out)
{
    for (const Element *n = node->first; n != NULL; n = n->next) {
        if (is(n, name))
            g_ptr_array_add(out, text(n));
    }
    return TRUE;
}

static gboolean parse_command_body(Parser *p, const Element *node, DmCommand *command, guint depth)
{
    const Element *n;
    guint64 value;

    if ((n = child(node, "CmdID")) == NULL)
        return fail(p, node, "<%s> without <CmdID>", node->name);
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

    for (n = node->first; n != NULL; n = n->next) {
        if (is(n, "Item")) {
            DmItem *item = dm_item_new();
            g_ptr_array_add(command->items, item);
            if (!parse_item(p, n, item))
                return FALSE;
        } else if ((command->type == DM_COMMAND_ATOMIC || command->type == DM_COMMAND_SEQUENCE) &&
                   !listed(kept_command, n)) {
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

static DmCommand *parse_command(Parser *p, const Element *node, guint depth)
{
    g_autoptr(DmCommand) command = dm_command_new(DM_COMMAND_UNKNOWN);
    guint64 value;
    const Element *id;

    /* Atomic and Sequence nest; a bound keeps a hostile message from exhausting the stack. */
    if (depth > 8) {
        fail(p, node, "commands nested more than 8 deep");
        return NULL;
    }
    command->element = g_strdup(node->name);
    for (gsize i = 0; i < G_N_ELEMENTS(command_elements); i++) {
        if (is(node, command_elements[i].element))
            command->type = command_elements[i].type;
    }
    if (command->type == DM_COMMAND_UNKNOWN) {
        command->raw_xml = node_xml(node, FALSE);
        if (command->raw_xml == NULL) {
            fail(p, node, "<%s> could not be kept whole", node->name);
            return NULL;
        }
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

static gboolean parse_header(Parser *p, const Element *header, DmMessage *m)
{
    const Element *n;
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

static gboolean parse_body(Parser *p, const Element *body, DmMessage *m)
{
    for (const Element *n = body->first; n != NULL; n = n->next) {
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

DmMessage *dm_message_parse_xml(const char *xml, gsize length, GError **error)
{
    return dm_message_parse_xml_checked(xml, length, DM_PARSE_LENIENT, error);
}

DmMessage *dm_message_parse_xml_checked(const char *xml, gsize length, DmParseMode mode,
                                        GError **error)
{
    g_autoptr(DmMessage) message = dm_message_new();
    g_autoptr(Doc) doc = doc_new();
    Parser p = { error };
    const Element *root;
    gboolean ok;

    if (length > G_MAXINT) {
        g_set_error(error, DM_ERROR, DM_ERROR_MALFORMED, "SyncML: message too large");
        return NULL;
    }
    /* The strict readings look at what a plain message never holds: read whole. */
    if (mode != DM_PARSE_LENIENT || !read_plain(doc, xml, length)) {
        doc_clear(doc);
        if (!read_whole(doc, xml, length, error))
            return NULL;
    }
    root = doc->root;
    if (!is(root, "SyncML"))
        ok = fail(&p, root, "root element is <%s>, not <SyncML>", root ? root->name : "");
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
    return ok ? g_steal_pointer(&message) : NULL;
}
