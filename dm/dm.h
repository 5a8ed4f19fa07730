/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dm/: the OMA DM 1.2 client of dmscd: package #0, SyncML DM (XML and WBXML), the session
 * engine, authentication and the DM tree.
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#define DM_ERROR (dm_error_quark())
GQuark dm_error_quark(void);

typedef enum {
    DM_ERROR_MALFORMED, /* a message or notification that does not follow its encoding */
    DM_ERROR_TRUNCATED, /* a length that runs past the end of the data */
    DM_ERROR_AUTH,      /* a digest or credential that does not verify */
    DM_ERROR_UNSUPPORTED,
    DM_ERROR_CORRUPT,   /* a saved tree that cannot be read back */
    DM_ERROR_IO,        /* a file that cannot be written */
    DM_ERROR_TRANSPORT, /* no answer: the connection was refused, reset or timed out */
    DM_ERROR_DENIED,    /* a change its sender may not make: nodes that are another's */
    DM_ERROR_NOT_FOUND, /* a node or an account that is not there */
    DM_ERROR_INVALID,   /* an argument that is not valid: a node URI, say */
    DM_ERROR_SERVER,    /* the server misbehaved: an HTTP error status, too large, too slow */
    DM_ERROR_TLS,       /* the server's certificate does not verify */
    DM_ERROR_BUSY,      /* too much is asked for already */
} DmError;

/* --- Package #0: the DM notification (OMA-TS-DM_Notification-V1_2) ----------------------- */

typedef enum {
    DM_UI_MODE_NOT_SPECIFIED = 0,
    DM_UI_MODE_BACKGROUND = 1,
    DM_UI_MODE_INFORMATIVE = 2,
    DM_UI_MODE_USER_INTERACTION = 3,
} DmUiMode;

typedef struct {
    guint8 digest[16];
    guint version; /* 10 bits: 11 for DM 1.2 */
    DmUiMode ui_mode;
    gboolean server_initiated;
    guint16 session_id;
    char *server_id; /* printable ASCII, checked */
    GBytes *vendor;  /* vendor-specific bytes after the server id, possibly empty */
    GBytes *trigger; /* everything after the digest: what the digest covers */
} DmNotification;

/* Parses package #0; every length is checked and the server id must be printable ASCII. */
DmNotification *dm_notification_parse(const guint8 *data, gsize length, GError **error);
void dm_notification_free(DmNotification *notification);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmNotification, dm_notification_free)

const char *dm_ui_mode_name(DmUiMode mode);
gboolean dm_ui_mode_from_name(const char *name, DmUiMode *mode);

/* H(B64(H(server-id ":" password)) ":" nonce ":" B64(H(trigger))), H = MD5. */
void dm_notification_digest(const char *server_id, const char *password, const guint8 *nonce,
                            gsize nonce_length, const guint8 *trigger, gsize trigger_length,
                            guint8 digest[16]);

/*
 * Builds package #0 for DM 1.2 (version 11) signed with @password and @nonce. The server id
 * must be 1–255 printable ASCII characters.
 */
GBytes *dm_notification_build(const char *server_id, const char *password, const guint8 *nonce,
                              gsize nonce_length, guint16 session_id, DmUiMode ui_mode,
                              gboolean server_initiated, const guint8 *vendor, gsize vendor_length,
                              GError **error);

/*
 * Checks the digest with @nonce, then once more with @resync_nonce (when not NULL): the
 * nonce a server falls back to when the client lost track. DM_ERROR_AUTH when neither fits.
 */
gboolean dm_notification_verify(const DmNotification *notification, const char *password,
                                const guint8 *nonce, gsize nonce_length, const guint8 *resync_nonce,
                                gsize resync_nonce_length, GError **error);

/* The SyncML SessionID the notification asks for: uppercase hex without leading zeros. */
char *dm_notification_session_id(const DmNotification *notification);

/* --- SyncML DM messages (OMA-TS-SyncML_RepPro 1.2, OMA-TS-DM_RepPro 1.2) -------------------- */

typedef enum {
    DM_COMMAND_UNKNOWN, /* kept as raw XML: a DS command, or anything DM does not define */
    DM_COMMAND_ALERT,
    DM_COMMAND_ADD,
    DM_COMMAND_REPLACE,
    DM_COMMAND_DELETE,
    DM_COMMAND_GET,
    DM_COMMAND_EXEC,
    DM_COMMAND_COPY,
    DM_COMMAND_ATOMIC,
    DM_COMMAND_SEQUENCE,
    DM_COMMAND_STATUS,
    DM_COMMAND_RESULTS,
} DmCommandType;

/* MetInf: what a Meta element can say. Unset strings are NULL, unset numbers -1. */
typedef struct {
    char *format;
    char *type;
    char *next_nonce;
    gint64 size;
    gint64 max_msg_size;
    gint64 max_obj_size;
} DmMeta;

typedef struct {
    char *target;      /* Target/LocURI */
    char *target_name; /* Target/LocName */
    char *source;
    char *source_name;
    DmMeta meta;
    gboolean has_data;
    char *data; /* text, or inner XML when data_is_xml */
    gsize data_length;
    gboolean data_is_xml;
    gboolean more_data;
} DmItem;

typedef struct DmCommand DmCommand;
struct DmCommand {
    DmCommandType type;
    char *element; /* the element name, for unknown commands and messages */
    char *raw_xml; /* the whole element, for DM_COMMAND_UNKNOWN */
    guint cmd_id;
    gboolean no_resp;
    DmMeta meta;
    int code;         /* Alert or Status Data; -1 when absent */
    char *correlator; /* Exec, Alert */
    /* Status and Results */
    guint msg_ref;
    guint cmd_ref;
    char *cmd;
    GPtrArray *target_refs; /* char * */
    GPtrArray *source_refs; /* char * */
    gboolean has_chal;
    DmMeta chal;         /* Status/Chal/Meta: the auth type and format a server wants */
    GPtrArray *items;    /* DmItem * */
    GPtrArray *children; /* DmCommand *: Atomic, Sequence */
};

typedef struct {
    gboolean has_header; /* FALSE only for a fragment without SyncHdr (DS test documents) */
    char *ver_dtd;
    char *ver_proto;
    char *session_id;
    guint msg_id;
    char *target;
    char *target_name;
    char *source;
    char *source_name;
    char *resp_uri;
    gboolean no_resp;
    gboolean has_cred;
    DmMeta cred_meta;
    char *cred_data;
    DmMeta meta;
    GPtrArray *commands; /* DmCommand * */
    gboolean final;
} DmMessage;

typedef enum {
    DM_ENCODING_XML,
    DM_ENCODING_WBXML,
} DmEncoding;

#define DM_MEDIA_TYPE_XML   "application/vnd.syncml.dm+xml"
#define DM_MEDIA_TYPE_WBXML "application/vnd.syncml.dm+wbxml"

DmMessage *dm_message_new(void);
void dm_message_free(DmMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmMessage, dm_message_free)
DmCommand *dm_command_new(DmCommandType type);
void dm_command_free(DmCommand *command);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmCommand, dm_command_free)
DmItem *dm_item_new(void);
void dm_item_free(DmItem *item);
void dm_meta_clear(DmMeta *meta);
void dm_meta_init(DmMeta *meta);
/* Sets the item's data to a copy of @length bytes of text. */
void dm_item_set_data(DmItem *item, const char *data, gsize length);

const char *dm_command_type_name(DmCommandType type);

/* Which encoding @data is in: WBXML starts with a version byte 0x01-0x03. */
DmEncoding dm_message_detect(const guint8 *data, gsize length);
/* Decodes XML or WBXML (detected). DM_ERROR_MALFORMED says what is wrong and where. */
DmMessage *dm_message_parse(const guint8 *data, gsize length, GError **error);
DmMessage *dm_message_parse_xml(const char *xml, gsize length, GError **error);
/*
 * As dm_message_parse(), for a message that must come out as it went in (dmscctl): SyncML 1.1
 * or 1.2 with a header, and an element the model does not keep (a SyncML DS <Anchor>, say) is
 * refused, naming it, rather than dropped. Commands it does not know are kept whole.
 */
DmMessage *dm_message_parse_strict(const guint8 *data, gsize length, GError **error);
DmMessage *dm_message_parse_wbxml(const guint8 *wbxml, gsize length, GError **error);
/* SyncML 1.2 XML; @pretty indents it. */
char *dm_message_to_xml(const DmMessage *message, gboolean pretty);
GBytes *dm_message_to_wbxml(const DmMessage *message, GError **error);
GBytes *dm_message_encode(const DmMessage *message, DmEncoding encoding, GError **error);

/* --- The DM tree (OMA-TS-DM_TND 1.2) ---------------------------------------------------- */

/* SyncML status codes the tree and the engine use. */
typedef enum {
    DM_STATUS_OK = 200,
    DM_STATUS_ACCEPTED_FOR_PROCESSING = 202,
    DM_STATUS_AUTHENTICATED = 212,
    DM_STATUS_CHUNK_ACCEPTED = 213,
    DM_STATUS_CANCELLED = 214,
    DM_STATUS_NOT_EXECUTED = 215,
    DM_STATUS_ROLLED_BACK = 216,
    DM_STATUS_NOT_MODIFIED = 304,
    DM_STATUS_BAD_REQUEST = 400,
    DM_STATUS_INVALID_CREDENTIALS = 401,
    DM_STATUS_FORBIDDEN = 403,
    DM_STATUS_NOT_FOUND = 404,
    DM_STATUS_NOT_ALLOWED = 405,
    DM_STATUS_OPTIONAL_FEATURE = 406,
    DM_STATUS_MISSING_CREDENTIALS = 407,
    DM_STATUS_TIMEOUT = 408,
    DM_STATUS_SIZE_REQUIRED = 411,
    DM_STATUS_TOO_LARGE = 413,
    DM_STATUS_URI_TOO_LONG = 414,
    DM_STATUS_UNSUPPORTED_FORMAT = 415,
    DM_STATUS_ALREADY_EXISTS = 418,
    DM_STATUS_SIZE_MISMATCH = 424,
    DM_STATUS_PERMISSION_DENIED = 425,
    DM_STATUS_COMMAND_FAILED = 500,
    DM_STATUS_ATOMIC_FAILED = 507,
    DM_STATUS_ATOMIC_ROLLBACK_FAILED = 516,
} DmStatus;

typedef enum {
    DM_ACCESS_ADD = 1 << 0,
    DM_ACCESS_DELETE = 1 << 1,
    DM_ACCESS_EXEC = 1 << 2,
    DM_ACCESS_GET = 1 << 3,
    DM_ACCESS_REPLACE = 1 << 4,
    DM_ACCESS_COPY = 1 << 5,
    DM_ACCESS_ALL = 0x3f,
} DmAccess;

/* Limits the tree enforces and ./DevDetail/URI announces. */
#define DM_TREE_MAX_DEPTH   20
#define DM_TREE_MAX_TOTAL   255
#define DM_TREE_MAX_SEGMENT 64
#define DM_TREE_MAX_VALUE   (64 * 1024)
#define DM_TREE_ROOT_ACL    "Add=*&Get=*"

typedef struct DmTree DmTree;

typedef struct {
    const char *name;
    const char *format; /* chr, int, bool, bin, node, b64, xml, null, float, date, time */
    const char *type;   /* MIME type, or NULL */
    const char *acl;    /* NULL when it inherits */
    const char *title;
    const char *origin; /* who created it: "", or "card:<ICCID>" for a card bootstrap */
    guint access;       /* DmAccess the node's description allows */
    const guint8 *value;
    gsize value_length;
} DmNodeInfo;

DmTree *dm_tree_new(void);
/* A tree is shared by reference only where nobody changes it in place: the daemon's live tree
 * never changes (a write replaces it with a changed copy), so a session can keep it as its base
 * instead of copying it. */
DmTree *dm_tree_ref(DmTree *tree);
void dm_tree_unref(DmTree *tree);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmTree, dm_tree_unref)
/* A copy (of nothing yet: the two share every node until one changes it): a session works on
 * one and the caller keeps it only if the session ends well. */
DmTree *dm_tree_copy(const DmTree *tree);
/* Held by more than one: nothing may change it in place (every change below refuses to). */
gboolean dm_tree_is_shared(const DmTree *tree);
/* Takes @tree's reference and returns a tree the caller alone holds: @tree itself when nobody
 * else holds it, else a copy (which shares every node until one changes). */
DmTree *dm_tree_unshare(DmTree *tree);

/* "./A/B", "A/B" and "." are accepted; returns the canonical "./A/B", or NULL when invalid
 * (@status says 400 or 414). */
char *dm_uri_normalize(const char *uri, int *status);

gboolean dm_tree_exists(const DmTree *tree, const char *uri);
/* Fills @info for @uri; FALSE when it does not exist. Pointers live until the next change. */
gboolean dm_tree_get(const DmTree *tree, const char *uri, DmNodeInfo *info);
/* Child names in insertion order; NULL when @uri does not exist or is a leaf. */
GPtrArray *dm_tree_list(const DmTree *tree, const char *uri);
/* The ACL that applies to @uri: its own, or the nearest ancestor's. */
const char *dm_tree_effective_acl(const DmTree *tree, const char *uri);

/*
 * What a server may do, each returning a SyncML status. @server_id NULL means the device
 * itself (no ACL check). Add creates missing interior parents when @server_id may add there;
 * a node a server adds grants that server every right until an ACL says otherwise.
 */
int dm_tree_add(DmTree *tree, const char *server_id, const char *uri, const char *format,
                const char *type, const guint8 *value, gsize length);
int dm_tree_replace(DmTree *tree, const char *server_id, const char *uri, const char *format,
                    const char *type, const guint8 *value, gsize length);
int dm_tree_delete(DmTree *tree, const char *server_id, const char *uri);
int dm_tree_copy_node(DmTree *tree, const char *server_id, const char *source, const char *target);
/* Replace of a property (ACL, Title, Format, Type): "./A/B?prop=ACL". */
int dm_tree_replace_property(DmTree *tree, const char *server_id, const char *uri,
                             const char *property, const char *value);
/* 200 when @server_id may run @access on @uri, else 425 (or 405 by the node's description). */
int dm_tree_check(const DmTree *tree, const char *server_id, const char *uri, DmAccess access);

/* For the device's own nodes: a node description (AccessType) and where it came from. */
void dm_tree_set_access(DmTree *tree, const char *uri, guint access);
void dm_tree_set_origin(DmTree *tree, const char *uri, const char *origin);
/* Removes every node whose origin is @origin (a removed card's bootstrap). */
guint dm_tree_remove_origin(DmTree *tree, const char *origin);
/* The distinct non-empty origins of the tree's nodes, in tree order. */
GPtrArray *dm_tree_list_origins(const DmTree *tree);

/*
 * What changed between @base and @result (a session's tree at its start and at its end): nodes
 * added and deleted with their subtrees, and nodes whose own properties changed.
 */
typedef struct DmTreeDelta DmTreeDelta;
DmTreeDelta *dm_tree_diff(const DmTree *base, const DmTree *result);
void dm_tree_delta_free(DmTreeDelta *delta);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmTreeDelta, dm_tree_delta_free)
guint dm_tree_delta_length(const DmTreeDelta *delta);
/*
 * Applies @delta to @live, which may have changed since the delta's base was taken. A change
 * is applied only where @live is still as the base was; otherwise @live wins and the change is
 * appended to @conflicts (when not NULL) as a GStrv {uri, "Add"|"Replace"|"Delete", why}.
 * Returns how many changes were applied.
 */
guint dm_tree_delta_apply(const DmTreeDelta *delta, DmTree *live, GPtrArray *conflicts);

/* ACL grammar: "Add=a+b&Get=*"; FALSE for anything else. */
gboolean dm_acl_valid(const char *acl);
/* Whether @acl grants @access to @server_id. */
gboolean dm_acl_allows(const char *acl, DmAccess access, const char *server_id);

/* Persistence: one file, replaced atomically and durably, mode 0600. */
gboolean dm_tree_save(const DmTree *tree, const char *path, GError **error);
/*
 * Loads @path. A missing file gives an empty tree. A corrupt one is moved aside (its new
 * name in @moved_aside) and DM_ERROR_CORRUPT is returned: the caller starts afresh.
 */
DmTree *dm_tree_load(const char *path, char **moved_aside, GError **error);
/*
 * Moves a state file dmscd refuses to read out of the way, never over another: @path becomes
 * "@path.corrupt-<UTC time>", or that with "-2", "-3"... after it. Its new name, or NULL with
 * errno set.
 */
char *dm_file_move_aside(const char *path);

/* --- Standard management objects -------------------------------------------------------- */

typedef struct {
    const char *dev_id;
    const char *manufacturer;
    const char *model;
    const char *language;
    const char *dev_type;
    const char *oem;
    const char *firmware_version;
    const char *software_version;
    const char *hardware_version;
} DmDeviceInfo;

/* (Re)creates ./DevInfo, ./DevDetail and ./DMAcc with the values of @info (NULL: "unknown"). */
void dm_tree_add_standard_objects(DmTree *tree, const DmDeviceInfo *info);
/* Sets ./DevInfo/DevId (device-owned, read-only to servers); FALSE when it already was. */
gboolean dm_tree_set_dev_id(DmTree *tree, const char *dev_id);
/* ./DevInfo/DevId's value, or NULL when there is none. */
char *dm_tree_dup_dev_id(const DmTree *tree);

/* --- The card's DM bootstrap (OMA-TS-DM_Smartcard, OMA-TS-DM_Bootstrap) --------------------- */

/*
 * Applies a bootstrap message (XML or WBXML, trailing FF padding ignored) to a copy of @tree
 * and returns it: the nodes @origin ("card:<ICCID>") created before are removed first, the
 * nodes created now are marked with @origin, and each new ./DMAcc account gets every right
 * for its ServerID. Only Add and Replace (also inside Atomic or Sequence) are accepted; any
 * other command or a failing one leaves @tree as it was and says which command and why.
 * @server_id, when not NULL, receives the first account's ServerID (or NULL).
 */
DmTree *dm_bootstrap_apply(const DmTree *tree, const guint8 *data, gsize length, const char *origin,
                           char **server_id, GError **error);

/* --- Authentication (OMA-TS-DM_Security 1.2) -------------------------------------------- */

typedef enum {
    DM_AUTH_NONE,
    DM_AUTH_BASIC, /* syncml:auth-basic */
    DM_AUTH_MD5,   /* syncml:auth-md5 */
    DM_AUTH_HMAC,  /* syncml:auth-MAC, in the x-syncml-hmac HTTP header */
} DmAuthType;

const char *dm_auth_type_name(DmAuthType type); /* "syncml:auth-md5", or NULL for none */
gboolean dm_auth_type_parse(const char *name, DmAuthType *type); /* also "none", "basic"… */

/* B64(user ":" password) */
char *dm_auth_basic(const char *user, const char *password);
/* B64(H(B64(H(user ":" password)) ":" nonce)) */
char *dm_auth_md5(const char *user, const char *password, const guint8 *nonce, gsize length);
/* The x-syncml-hmac header value for @body. */
char *dm_auth_hmac_header(const char *user, const char *password, const guint8 *nonce,
                          gsize nonce_length, const guint8 *body, gsize body_length);
/* Checks an x-syncml-hmac header; accepts the mac as base64 of the digest or of its hex text,
 * or as plain hex text, since implementations differ. */
gboolean dm_auth_hmac_verify(const char *header, const char *user, const char *password,
                             const guint8 *nonce, gsize nonce_length, const guint8 *body,
                             gsize body_length);

/* --- DM accounts (./DMAcc/<x>, DM 1.2) -------------------------------------------------------- */

/* One AppAuth entry: CLCRED (dmscd to the server) or SRVCRED (the server to dmscd). */
typedef struct {
    gboolean present;
    gboolean type_known; /* AAuthType is BASIC, DIGEST or HMAC */
    DmAuthType type;
    char *name;    /* AAuthName */
    char *secret;  /* AAuthSecret */
    GBytes *nonce; /* AAuthData (b64 values decoded), or NULL */
    char *node;    /* its AppAuth/<x> node */
} DmAccountCredential;

typedef struct {
    char *node;       /* "./DMAcc/<x>" */
    char *server_id;  /* ServerID */
    char *name;       /* Name, or NULL */
    char *server_uri; /* the first AppAddr's Addr, or NULL */
    DmAccountCredential client;
    DmAccountCredential server;
} DmAccount;

/* The account whose ServerID is @server_id (the first, in tree order), or NULL. */
DmAccount *dm_account_find(const DmTree *tree, const char *server_id);
void dm_account_free(DmAccount *account);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmAccount, dm_account_free)

/* --- The session engine: server messages in, client messages and tree changes out --------- */

typedef struct DmSession DmSession;

/* What a session runs with: the account (design §5 DMAcc) and the device's limits. */
typedef struct {
    const char *server_id;     /* ServerID: the ACL identity of the server */
    const char *server_uri;    /* AppAddr: where package 1 goes */
    const char *client_id;     /* Source LocURI: ./DevInfo/DevId */
    const char *session_id;    /* SessionID, uppercase hex (from package #0) */
    gboolean server_initiated; /* Alert 1200 (notification) or 1201 (client) */
    /* CLCRED: how dmscd proves itself to the server. */
    DmAuthType client_auth;
    const char *client_name;
    const char *client_password;
    GBytes *client_nonce;
    /* SRVCRED: what the server must prove. DM_AUTH_NONE trusts the transport. */
    DmAuthType server_auth;
    const char *server_name;
    const char *server_password;
    GBytes *server_nonce;
    DmEncoding encoding;
    gsize max_msg_size; /* what dmscd accepts, announced in MaxMsgSize */
    gsize max_obj_size;
    /* Exec on a node: a status (200, 202, …), or 0 when nobody handles @uri (405). */
    int (*exec)(const char *uri, const char *data, const char *correlator, gpointer user_data);
    gpointer exec_data;
} DmSessionConfig;

typedef enum {
    DM_SESSION_SEND,      /* take the output and send it; the server's answer comes next */
    DM_SESSION_SEND_LAST, /* take the output and send it; the session has ended */
    DM_SESSION_WAIT,      /* a user interaction alert waits for dm_session_answer_alert() */
    DM_SESSION_DONE,      /* ended: nothing more to send */
} DmSessionStep;

typedef enum {
    DM_SESSION_RESULT_NONE,        /* still running */
    DM_SESSION_RESULT_OK,          /* ended normally: the tree may be committed */
    DM_SESSION_RESULT_AUTH_FAILED, /* one side failed to authenticate: tree untouched */
    DM_SESSION_RESULT_ABORTED,     /* the server sent 1223 or the session was cut */
    DM_SESSION_RESULT_FAILED,      /* a malformed or unsupported message */
} DmSessionResult;

typedef struct {
    int code; /* 1100 display … 1104 multiple choice */
    char *text;
    guint min_seconds;      /* MINDT */
    guint max_seconds;      /* MAXDT, 0 if none */
    char *default_response; /* DR */
    guint max_length;       /* MAXLEN (text input) */
    char *input_type;       /* IT */
    char *echo_type;        /* ET */
    GPtrArray *choices;     /* char *, for 1103 and 1104 */
} DmAlertRequest;

/* Takes a copy of @tree to work on, and a reference to @tree as the base its changes are
 * measured from: @tree must not change in place while the session lives. @config is copied. */
DmSession *dm_session_new(DmTree *tree, const DmSessionConfig *config);
void dm_session_free(DmSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmSession, dm_session_free)

/* Prepares package 1. */
DmSessionStep dm_session_start(DmSession *session);
/* Handles one server message; @hmac is its x-syncml-hmac header, if any. */
DmSessionStep dm_session_receive(DmSession *session, const guint8 *data, gsize length,
                                 const char *hmac);
/* The alert a WAIT step waits for. */
const DmAlertRequest *dm_session_get_alert(DmSession *session);
/*
 * Answers it: @status 200 (done, yes), 304 (no), 214 (cancelled) or 408 (no user or no
 * answer in time); @items are the text typed or the choices (1-based numbers) picked.
 */
DmSessionStep dm_session_answer_alert(DmSession *session, int status, const char *const *items);
/* The message to send, and its x-syncml-hmac header when the account uses HMAC. */
GBytes *dm_session_take_output(DmSession *session, char **hmac);
/* The MaxMsgSize the session announces: no server message may be larger. */
gsize dm_session_get_max_msg_size(DmSession *session);
/* Where to send it: the account's address, then the server's RespURI. */
const char *dm_session_get_target(DmSession *session);
const char *dm_session_get_media_type(DmSession *session);
/* A generic alert (1226) for the next message, e.g. the result of an Exec. */
void dm_session_queue_generic_alert(DmSession *session, const char *source, const char *type,
                                    const char *format, const char *data, const char *correlator);
/* Cuts the session short (the transport failed, say): the tree stays as it was. */
void dm_session_abort(DmSession *session, const char *why);

DmSessionResult dm_session_get_result(DmSession *session);
const char *dm_session_get_error(DmSession *session);
/* The tree with the session's changes, for the caller to keep when the result is OK. */
DmTree *dm_session_steal_tree(DmSession *session);
/* What the session changed in the tree it started from, for the caller to apply to its live
 * tree (dm_tree_delta_apply()); NULL unless the session ended well. */
DmTreeDelta *dm_session_get_delta(DmSession *session);
/* Every tree operation: (uri, command, status) as strings, in order. */
GPtrArray *dm_session_get_changes(DmSession *session);
/* The nonces to keep for the next session (AAuthData), or NULL when unchanged. */
GBytes *dm_session_get_client_nonce(DmSession *session);
GBytes *dm_session_get_server_nonce(DmSession *session);

/* --- HTTP transport (libsoup 3) ------------------------------------------------------------ */

typedef struct DmSessionRunner DmSessionRunner;
typedef void (*DmAlertHandler)(DmSessionRunner *runner, const DmAlertRequest *alert,
                               gpointer user_data);

/*
 * Runs @session over HTTP: POSTs each client message to the session's target (HTTPS with the
 * system trust store; one connection kept alive for the session) and hands the answers back.
 * @timeout_seconds bounds each exchange. A WAIT step calls @alert; the session goes on when
 * dm_session_runner_answer_alert() is called, now or later.
 */
DmSessionRunner *dm_session_runner_new(DmSession *session, guint timeout_seconds,
                                       const char *user_agent, DmAlertHandler alert,
                                       gpointer alert_data);
void dm_session_runner_free(DmSessionRunner *runner);
/* The server is reached at @via (a card's web server on dmscd's own socket, say), whatever the
 * host of its URI, which still names it in each request; before running. */
void dm_session_runner_set_route(DmSessionRunner *runner, GSocketConnectable *via);
/* HTTPS servers whose certificate @trust vouches for are accepted too, beside the system's. */
void dm_session_runner_set_trust(DmSessionRunner *runner, GTlsDatabase *trust);
/* The whole session ends (aborted, DM_ERROR_SERVER: the server is too slow, which another
 * attempt would not mend) past @seconds, however slowly the server answers; 0: only each
 * exchange is bounded. Set before running. */
void dm_session_runner_set_deadline(DmSessionRunner *runner, guint seconds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmSessionRunner, dm_session_runner_free)
void dm_session_runner_run_async(DmSessionRunner *runner, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
/* The session's result; FALSE with @error when the transport failed (the session aborted). */
gboolean dm_session_runner_run_finish(DmSessionRunner *runner, GAsyncResult *result,
                                      GError **error);
void dm_session_runner_answer_alert(DmSessionRunner *runner, int status, const char *const *items);
