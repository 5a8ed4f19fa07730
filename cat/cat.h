/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cat/: Card Application Toolkit (ETSI TS 102 223) for dmscd: the codec for proactive
 * commands, terminal responses and envelopes, text coding, SMS TPDU and WAP push parsing,
 * the JSON form of `dmscctl cat`, and the BIP engine of the SCWS gateway.
 *
 * All of it is pure: bytes in, structures and actions out; no sockets, no modem, no main loop.
 * The modem side (daemon/modem/) puts the BIP engine on sockets and talks to the modem.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#define CAT_ERROR (cat_error_quark())
GQuark cat_error_quark(void);

typedef enum {
    CAT_ERROR_MALFORMED,   /* bytes that do not follow the encoding rules */
    CAT_ERROR_TRUNCATED,   /* a length that runs past the end of the data */
    CAT_ERROR_MISSING,     /* a mandatory object is absent */
    CAT_ERROR_UNSUPPORTED, /* well-formed, but not something dmscd can do */
    CAT_ERROR_INVALID,     /* a JSON document or builder argument that does not fit */
} CatError;

/* --- Names (cat-json.md) ------------------------------------------------------------------ */

typedef enum {
    CAT_CMD_REFRESH = 0x01,
    CAT_CMD_MORE_TIME = 0x02,
    CAT_CMD_POLL_INTERVAL = 0x03,
    CAT_CMD_POLLING_OFF = 0x04,
    CAT_CMD_SET_UP_EVENT_LIST = 0x05,
    CAT_CMD_SET_UP_CALL = 0x10,
    CAT_CMD_SEND_SS = 0x11,
    CAT_CMD_SEND_USSD = 0x12,
    CAT_CMD_SEND_SHORT_MESSAGE = 0x13,
    CAT_CMD_SEND_DTMF = 0x14,
    CAT_CMD_LAUNCH_BROWSER = 0x15,
    CAT_CMD_PLAY_TONE = 0x20,
    CAT_CMD_DISPLAY_TEXT = 0x21,
    CAT_CMD_GET_INKEY = 0x22,
    CAT_CMD_GET_INPUT = 0x23,
    CAT_CMD_SELECT_ITEM = 0x24,
    CAT_CMD_SET_UP_MENU = 0x25,
    CAT_CMD_PROVIDE_LOCAL_INFORMATION = 0x26,
    CAT_CMD_TIMER_MANAGEMENT = 0x27,
    CAT_CMD_SET_UP_IDLE_MODE_TEXT = 0x28,
    CAT_CMD_LANGUAGE_NOTIFICATION = 0x35,
    CAT_CMD_OPEN_CHANNEL = 0x40,
    CAT_CMD_CLOSE_CHANNEL = 0x41,
    CAT_CMD_RECEIVE_DATA = 0x42,
    CAT_CMD_SEND_DATA = 0x43,
    CAT_CMD_GET_CHANNEL_STATUS = 0x44,
    CAT_CMD_END_OF_PROACTIVE_SESSION = 0x81,
} CatCommandType;

typedef enum {
    CAT_TAG_COMMAND_DETAILS = 0x01,
    CAT_TAG_DEVICE_IDENTITIES = 0x02,
    CAT_TAG_RESULT = 0x03,
    CAT_TAG_DURATION = 0x04,
    CAT_TAG_ALPHA_IDENTIFIER = 0x05,
    CAT_TAG_ADDRESS = 0x06,
    CAT_TAG_SS_STRING = 0x09,
    CAT_TAG_USSD_STRING = 0x0A,
    CAT_TAG_SMS_TPDU = 0x0B,
    CAT_TAG_TEXT_STRING = 0x0D,
    CAT_TAG_ITEM = 0x0F,
    CAT_TAG_ITEM_IDENTIFIER = 0x10,
    CAT_TAG_RESPONSE_LENGTH = 0x11,
    CAT_TAG_FILE_LIST = 0x12,
    CAT_TAG_EVENT_LIST = 0x19,
    CAT_TAG_ICON_IDENTIFIER = 0x1E,
    CAT_TAG_TIMER_IDENTIFIER = 0x24,
    CAT_TAG_TIMER_VALUE = 0x25,
    CAT_TAG_DTMF_STRING = 0x2C,
    CAT_TAG_LANGUAGE = 0x2D,
    CAT_TAG_URL = 0x31,
    CAT_TAG_BEARER_DESCRIPTION = 0x35,
    CAT_TAG_CHANNEL_DATA = 0x36,
    CAT_TAG_CHANNEL_DATA_LENGTH = 0x37,
    CAT_TAG_CHANNEL_STATUS = 0x38,
    CAT_TAG_BUFFER_SIZE = 0x39,
    CAT_TAG_TRANSPORT_LEVEL = 0x3C,
    CAT_TAG_OTHER_ADDRESS = 0x3E,
    CAT_TAG_NETWORK_ACCESS_NAME = 0x47,
} CatTag;

typedef enum {
    CAT_DEVICE_KEYPAD = 0x01,
    CAT_DEVICE_DISPLAY = 0x02,
    CAT_DEVICE_EARPIECE = 0x03,
    CAT_DEVICE_CHANNEL_BASE = 0x20, /* channel n is 0x20 + n, n = 1..7 */
    CAT_DEVICE_UICC = 0x81,
    CAT_DEVICE_TERMINAL = 0x82,
    CAT_DEVICE_NETWORK = 0x83,
} CatDevice;

/* The BER tag of a proactive command; envelopes use D1–DF. */
#define CAT_BER_PROACTIVE_COMMAND 0xD0

typedef enum {
    CAT_ENVELOPE_SMS_PP_DOWNLOAD = 0xD1,
    CAT_ENVELOPE_MENU_SELECTION = 0xD3,
    CAT_ENVELOPE_EVENT_DOWNLOAD = 0xD6,
} CatEnvelopeTag;

typedef enum {
    CAT_EVENT_USER_ACTIVITY = 0x04,
    CAT_EVENT_IDLE_SCREEN_AVAILABLE = 0x05,
    CAT_EVENT_LANGUAGE_SELECTION = 0x07,
    CAT_EVENT_BROWSER_TERMINATION = 0x08,
    CAT_EVENT_DATA_AVAILABLE = 0x09,
    CAT_EVENT_CHANNEL_STATUS = 0x0A,
} CatEvent;

/* General results (TS 102 223 §8.12) that dmscd sends. */
typedef enum {
    CAT_RESULT_OK = 0x00,
    CAT_RESULT_OK_PARTIAL = 0x01,
    CAT_RESULT_TERMINAL_UNABLE = 0x20,
    CAT_RESULT_NETWORK_UNABLE = 0x21,
    CAT_RESULT_BEYOND_CAPABILITIES = 0x30,
    CAT_RESULT_TYPE_NOT_UNDERSTOOD = 0x31,
    CAT_RESULT_DATA_NOT_UNDERSTOOD = 0x32,
    CAT_RESULT_VALUES_MISSING = 0x36,
    CAT_RESULT_BIP_ERROR = 0x3A,
} CatResult;

/* Additional information of CAT_RESULT_BIP_ERROR. */
typedef enum {
    CAT_BIP_NO_CAUSE = 0x00,
    CAT_BIP_NO_CHANNEL = 0x01,
    CAT_BIP_CHANNEL_CLOSED = 0x02,
    CAT_BIP_CHANNEL_ID_INVALID = 0x03,
    CAT_BIP_BUFFER_SIZE_UNAVAILABLE = 0x04,
    CAT_BIP_SECURITY_ERROR = 0x05,
    CAT_BIP_TRANSPORT_UNAVAILABLE = 0x06,
    CAT_BIP_REMOTE_UNREACHABLE = 0x07,
    CAT_BIP_SERVICE_ERROR = 0x08,
    CAT_BIP_SERVICE_UNKNOWN = 0x09,
    CAT_BIP_PORT_UNAVAILABLE = 0x10,
} CatBipCause;

/* Each returns the cat-json.md name, or NULL for a value without one. */
const char *cat_command_name(guint8 type);
const char *cat_tag_name(guint16 tag);
const char *cat_device_name(guint8 device);
const char *cat_envelope_name(guint8 ber_tag);
const char *cat_event_name(guint8 event);
/* Reverse look-ups, accepting the generic "command-XX" style names too; FALSE if unknown. */
gboolean cat_command_from_name(const char *name, guint8 *type);
gboolean cat_tag_from_name(const char *name, guint16 *tag);
gboolean cat_device_from_name(const char *name, guint8 *device);
gboolean cat_envelope_from_name(const char *name, guint8 *ber_tag);
gboolean cat_event_from_name(const char *name, guint8 *event);

/* --- Hex: how dmscd writes bytes for people (dmscctl, JSON, logs) ----------------------------- */

/* Lowercase hex of @data. */
char *cat_hex_encode(const guint8 *data, gsize length);
/*
 * Hex (either case; white space between bytes is skipped) appended to @out as bytes; FALSE
 * (with @out as it was) for an odd number of digits or anything else.
 */
gboolean cat_hex_decode(const char *hex, GByteArray *out);

/* --- TLV ---------------------------------------------------------------------------------- */

/* One COMPREHENSION-TLV; @value points into the buffer being iterated. */
typedef struct {
    guint16 tag;         /* without the CR bit; up to 15 bits in the three-byte form */
    gboolean cr;         /* comprehension required */
    gboolean three_byte; /* the 7F tag form */
    gsize offset;        /* of the tag byte, from the start of the whole message */
    gsize length;
    const guint8 *value;
} CatTlv;

/* Walks COMPREHENSION-TLVs without allocating. Every length is checked against the end. */
typedef struct {
    const guint8 *pos;
    const guint8 *end;
    gsize base; /* offset of @pos in the whole message, for error messages */
} CatTlvIter;

void cat_tlv_iter_init(CatTlvIter *iter, const guint8 *data, gsize length, gsize base);
/* 1: @tlv holds the next object; 0: the end; -1: malformed, @error says what and where. */
int cat_tlv_iter_next(CatTlvIter *iter, CatTlv *tlv, GError **error);

/*
 * Reads a BER length (one byte 00–7F, or 81 followed by 80–FF) at @data. Returns the number
 * of bytes it took, or 0 when malformed (with @error naming @offset).
 */
gsize cat_ber_length_read(const guint8 *data, gsize available, gsize offset, gsize *length,
                          GError **error);
/* Appends a BER length in its minimal form; lengths above 255 are the caller's error. */
void cat_ber_length_append(GByteArray *out, gsize length);
/* Appends one COMPREHENSION-TLV (the three-byte tag form when @tag > 0x7E). */
void cat_tlv_append(GByteArray *out, guint16 tag, gboolean cr, const guint8 *value, gsize length);

/* --- Messages ----------------------------------------------------------------------------- */

typedef enum {
    CAT_KIND_PROACTIVE_COMMAND,
    CAT_KIND_TERMINAL_RESPONSE,
    CAT_KIND_ENVELOPE,
} CatKind;

typedef struct {
    guint8 number;
    guint8 type;
    guint8 qualifier;
} CatCommandDetails;

typedef struct {
    guint8 source;
    guint8 destination;
} CatDeviceIdentities;

/* A decoded message. The objects point into @data, a copy of its bytes the message owns. */
typedef struct {
    CatKind kind;
    guint8 ber_tag; /* D0 for a proactive command, D1–DF for an envelope, 0 otherwise */
    const guint8 *data;
    gsize length;
    CatTlv *objects; /* in wire order */
    guint n_objects;
} CatMessage;

/*
 * Decodes one proactive command, terminal response or envelope, checking the BER wrapper,
 * every object length, that nothing trails the message and that the objects every message
 * of its kind (and every command type named in design §3.2) needs are there.
 */
CatMessage *cat_message_parse(const guint8 *data, gsize length, GError **error);
void cat_message_free(CatMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CatMessage, cat_message_free)

/* The first object with @tag, or NULL. */
const CatTlv *cat_message_find(const CatMessage *message, guint16 tag);
/* Command Details of a proactive command or terminal response (FALSE for an envelope). */
gboolean cat_message_get_command(const CatMessage *message, CatCommandDetails *details);
gboolean cat_message_get_devices(const CatMessage *message, CatDeviceIdentities *devices);

/*
 * Reads Command Details out of a proactive command that may be otherwise malformed, so the
 * terminal can still answer it (with "command data not understood" or "values missing").
 */
gboolean cat_command_peek_details(const guint8 *data, gsize length, CatCommandDetails *details);

/* --- Objects ------------------------------------------------------------------------------ */

typedef enum {
    CAT_TRANSPORT_UDP_CLIENT_REMOTE = 1,
    CAT_TRANSPORT_TCP_CLIENT_REMOTE = 2,
    CAT_TRANSPORT_TCP_SERVER = 3,
    CAT_TRANSPORT_UDP_CLIENT_LOCAL = 4,
    CAT_TRANSPORT_TCP_CLIENT_LOCAL = 5,
    CAT_TRANSPORT_DIRECT = 6,
} CatTransport;

typedef enum {
    CAT_TCP_CLOSED = 0,
    CAT_TCP_LISTEN = 1,
    CAT_TCP_ESTABLISHED = 2,
} CatTcpState;

/* Object decoders: FALSE with @error when the value has the wrong size or content. */
gboolean cat_parse_command_details(const CatTlv *tlv, CatCommandDetails *out, GError **error);
gboolean cat_parse_device_identities(const CatTlv *tlv, CatDeviceIdentities *out, GError **error);
gboolean cat_parse_u8(const CatTlv *tlv, guint8 *out, GError **error);
gboolean cat_parse_u16(const CatTlv *tlv, guint16 *out, GError **error);
gboolean cat_parse_transport_level(const CatTlv *tlv, guint8 *protocol, guint16 *port,
                                   GError **error);

/* --- Text --------------------------------------------------------------------------------- */

/* Unpacked GSM default alphabet (with the 1B extension table) to UTF-8; 0xFF padding ends it. */
char *cat_gsm_unpacked_to_utf8(const guint8 *data, gsize length);
/* Packed GSM 7-bit: @septets characters starting @fill_bits into @data (for a UDH). */
char *cat_gsm_packed_to_utf8(const guint8 *data, gsize length, gsize septets, guint fill_bits);
/* UTF-8 to unpacked GSM; FALSE (and nothing appended) if a character has no GSM code. */
gboolean cat_utf8_to_gsm_unpacked(const char *text, GByteArray *out);
/* UTF-8 to packed GSM, with CR padding where the last octet would look like an '@'. */
gboolean cat_utf8_to_gsm_packed(const char *text, GByteArray *out);

typedef enum {
    CAT_ALPHA_GSM,
    CAT_ALPHA_UCS2_80,
    CAT_ALPHA_UCS2_81,
    CAT_ALPHA_UCS2_82,
} CatAlphaCoding;

/* An alpha identifier (TS 102 221 annex A) to UTF-8; NULL with @error when malformed. */
char *cat_alpha_to_utf8(const guint8 *data, gsize length, CatAlphaCoding *coding, GError **error);
/* Encodes @text in @coding, or in GSM when possible and UCS2 (80) otherwise if @coding < 0. */
gboolean cat_utf8_to_alpha(const char *text, int coding, GByteArray *out, GError **error);

typedef enum {
    CAT_DCS_GSM7,
    CAT_DCS_8BIT,
    CAT_DCS_UCS2,
    CAT_DCS_OTHER, /* compressed, reserved, or a class the codec does not read */
} CatDcsAlphabet;

/* The alphabet a TS 23.038 data coding scheme means. */
CatDcsAlphabet cat_dcs_alphabet(guint8 dcs);
/* A text string's body by its DCS; NULL when the DCS is not text (or the bytes are bad). */
char *cat_text_to_utf8(guint8 dcs, const guint8 *data, gsize length);
gboolean cat_utf8_to_text(guint8 dcs, const char *text, GByteArray *out, GError **error);

/* --- SMS TPDU and WAP push ---------------------------------------------------------------- */

typedef enum {
    CAT_SMS_DELIVER,
    CAT_SMS_SUBMIT,
    CAT_SMS_STATUS_REPORT,
    CAT_SMS_COMMAND,
    CAT_SMS_RESERVED,
} CatSmsType;

typedef struct {
    CatSmsType type;
    char address[41]; /* TP-OA or TP-DA digits */
    guint8 ton, npi;
    guint8 pid, dcs;
    gboolean udhi;
    /* User data header, when present. */
    gboolean has_concat;
    guint16 concat_ref;
    guint8 concat_total, concat_seq;
    gboolean has_ports;
    guint16 dest_port, src_port;
    /* The user data after the header: octets for 8-bit and UCS2, packed septets for GSM. */
    const guint8 *user_data;
    gsize user_data_length;
    gsize user_data_septets; /* for GSM, the number of characters after the header */
    guint user_data_fill_bits;
} CatSmsTpdu;

/*
 * Decodes a TPDU. @from_terminal tells the direction, which decides what MTI 0–2 mean: a
 * SEND SHORT MESSAGE carries SUBMIT or COMMAND, an SMS-PP download DELIVER. A SUBMIT's 8-bit
 * user data may hold up to 160 octets: the card may ask the terminal to pack them (the
 * command's qualifier), which the caller checks.
 */
gboolean cat_sms_parse(const guint8 *data, gsize length, gboolean from_terminal, CatSmsTpdu *out,
                       GError **error);
const char *cat_sms_type_name(CatSmsType type);

#define CAT_WSP_CONTENT_TYPE_DM_NOTIFICATION 0x44
#define CAT_WSP_PORT_PUSH                    2948

typedef struct {
    guint8 transaction_id;
    char content_type[128];      /* a media type name, or "" for an unknown code */
    int content_type_code;       /* the well-known code, or -1 when sent as text */
    int application_id;          /* X-Wap-Application-Id code, or -1 */
    gboolean is_dm_notification; /* application/vnd.syncml(.dm).notification */
    const guint8 *body;
    gsize body_length;
} CatWapPush;

/* Decodes a connectionless WSP push PDU (TID, type 06, headers, body). */
gboolean cat_wap_push_parse(const guint8 *data, gsize length, CatWapPush *out, GError **error);

/* --- Builders ----------------------------------------------------------------------------- */

/* Command Details, Device Identities (terminal → UICC) and Result. @additional may be NULL. */
GByteArray *cat_terminal_response_new(const CatCommandDetails *command, guint8 general,
                                      const guint8 *additional, gsize additional_length);
/* Appends an object to a terminal response or envelope body being built. */
void cat_builder_add(GByteArray *body, guint16 tag, const guint8 *value, gsize length);
/* Wraps @body in BER tag @ber_tag; FALSE when the body is longer than 255 bytes. */
GBytes *cat_envelope_finish(guint8 ber_tag, GByteArray *body, GError **error);

/* Event download of @event from the terminal; channel objects for BIP events. */
GBytes *cat_envelope_event_new(guint8 event, const guint8 *objects, gsize objects_length,
                               GError **error);
/* Event download of Channel Status for channel @id in @state (and Data Available length). */
GBytes *cat_envelope_channel_status_new(guint8 channel_id, CatTcpState state, GError **error);
GBytes *cat_envelope_data_available_new(guint8 channel_id, CatTcpState state, gsize available,
                                        GError **error);
/* SMS-PP download of a DELIVER TPDU from the network, with an optional SC address. */
GBytes *cat_envelope_sms_pp_new(const guint8 *sc_address, gsize sc_address_length,
                                const guint8 *tpdu, gsize tpdu_length, GError **error);
/* The TERMINAL PROFILE stating what dmscd supports (TS 102 223 §5.2). */
GBytes *cat_terminal_profile_new(void);

/* --- JSON (cat-json.md) ------------------------------------------------------------------- */

/*
 * Fills in the JSON of an SMS TPDU's push body: the callback gets the package #0 bytes of a
 * DM notification and returns the object to put under "dm_notification" (or NULL).
 */
typedef JsonNode *(*CatDmNotificationDecoder)(const guint8 *body, gsize length, gpointer user_data);

JsonNode *cat_message_to_json(const CatMessage *message, CatDmNotificationDecoder decoder,
                              gpointer user_data);
/* Encodes the JSON form back to bytes; CAT_ERROR_INVALID says which key is wrong. */
GBytes *cat_message_from_json(JsonNode *root, GError **error);

/* --- BIP in UICC server mode (design §3.3) -------------------------------------------------- */

#define CAT_BIP_MAX_CHANNELS    7
#define CAT_BIP_MAX_BUFFER_SIZE 1500
/* Channel data that fits a terminal response next to the other objects (255 - 18). */
#define CAT_BIP_MAX_CHANNEL_DATA 237

typedef struct CatBip CatBip;

/* What the engine asks of its transport: the socket edge, or a fake in tests. */
typedef struct {
    /* Listen on 127.0.0.1:@port for @channel; FALSE when the port cannot be had. */
    gboolean (*listen)(gpointer user_data, guint8 channel, guint16 port, GError **error);
    /* Drop the client of @channel and keep listening. */
    void (*drop_client)(gpointer user_data, guint8 channel);
    /* Stop listening on @channel, dropping any client. */
    void (*close)(gpointer user_data, guint8 channel);
    /* Write to the client of @channel; FALSE when it is gone. */
    gboolean (*send)(gpointer user_data, guint8 channel, const guint8 *data, gsize length);
    /* An envelope (event download) for the card. */
    void (*envelope)(gpointer user_data, GBytes *envelope);
} CatBipTransport;

CatBip *cat_bip_new(const CatBipTransport *transport, gpointer user_data);
void cat_bip_free(CatBip *bip);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CatBip, cat_bip_free)

/* TRUE for the commands the engine answers: OPEN, CLOSE CHANNEL, RECEIVE, SEND DATA, GET
 * CHANNEL STATUS and SET UP EVENT LIST (whose BIP events it records). */
gboolean cat_bip_handles(guint8 command_type);
/* Runs one proactive command and returns its terminal response. */
GBytes *cat_bip_handle_command(CatBip *bip, const CatMessage *command);

/* The socket side: a client connected (FALSE: refuse it, one client a channel), bytes came
 * in (returns how many fit the receive buffer), the client went away. */
gboolean cat_bip_client_connected(CatBip *bip, guint8 channel);
gsize cat_bip_client_data(CatBip *bip, guint8 channel, const guint8 *data, gsize length);
void cat_bip_client_closed(CatBip *bip, guint8 channel);

/* Room left in the receive buffer of @channel (0 for a channel that is not open). */
gsize cat_bip_rx_space(const CatBip *bip, guint8 channel);
/* The TCP state of @channel: CAT_TCP_CLOSED for a channel that is not open. */
CatTcpState cat_bip_channel_state(const CatBip *bip, guint8 channel);
guint16 cat_bip_channel_port(const CatBip *bip, guint8 channel);

/* --- What dmscd answers (design §3.2) ------------------------------------------------------ */

/*
 * The terminal response for a command nobody else handles: 00 where answering costs nothing
 * and promises nothing (MORE TIME, POLLING OFF, LANGUAGE NOTIFICATION, REFRESH, SET UP EVENT
 * LIST), 31 "type not understood" for a type TS 102 223 does not define, 30 "beyond
 * capabilities" for the rest. Never silence: a card waits for its TR.
 */
GBytes *cat_default_response(const CatMessage *command);
/*
 * The answer to a command that did not decode (@error from cat_message_parse()), whatever its
 * shape, since a card waits for its TR: 36 "values missing", 31 "type not understood" for a
 * type TS 102 223 does not define, 32 "data not understood" otherwise. Its Command Details are
 * the command's where they can be read (even without the D0 wrapper), else number 1, type 0.
 */
GBytes *cat_error_response(const guint8 *data, gsize length, const GError *error);

/* The digits of an ICCID file: swapped BCD, F padding ends them. */
char *cat_iccid_from_bcd(const guint8 *data, gsize length);

/* --- PKCS#15 on the card: where the DM bootstrap file is (design §6) -------------------------- */

#define CAT_PKCS15_MAX_PATH  16
#define CAT_OID_DM_BOOTSTRAP "2.23.43.7.1"

typedef struct {
    guint8 bytes[CAT_PKCS15_MAX_PATH];
    gsize length; /* a file path: two bytes a level, from the MF or relative */
} CatPath;

/* An EF.DIR record (application template 61): the path (51) of the application with @aid. */
gboolean cat_pkcs15_dir_record(const guint8 *record, gsize length, const guint8 *aid,
                               gsize aid_length, CatPath *path, GError **error);
/* EF.ODF: the path of the first DODF (A7). */
gboolean cat_pkcs15_odf_dodf(const guint8 *odf, gsize length, CatPath *path, GError **error);
/* EF.DODF: the path of the OID data object (A1) with @oid ("2.23.43.7.1"). */
gboolean cat_pkcs15_dodf_oid(const guint8 *dodf, gsize length, const char *oid, CatPath *path,
                             GError **error);
