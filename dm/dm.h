/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dm/: the OMA DM 1.2 client of dmscd: package #0, SyncML DM (XML and WBXML), the session
 * engine, authentication and the DM tree.
 */
#pragma once

#include <glib.h>

#define DM_ERROR (dm_error_quark())
GQuark dm_error_quark(void);

typedef enum {
    DM_ERROR_MALFORMED, /* a message or notification that does not follow its encoding */
    DM_ERROR_TRUNCATED, /* a length that runs past the end of the data */
    DM_ERROR_AUTH,      /* a digest or credential that does not verify */
    DM_ERROR_UNSUPPORTED,
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
DmMessage *dm_message_parse_wbxml(const guint8 *wbxml, gsize length, GError **error);
/* SyncML 1.2 XML; @pretty indents it. */
char *dm_message_to_xml(const DmMessage *message, gboolean pretty);
GBytes *dm_message_to_wbxml(const DmMessage *message, GError **error);
GBytes *dm_message_encode(const DmMessage *message, DmEncoding encoding, GError **error);
