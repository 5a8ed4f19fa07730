/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * daemon/modem/: the modem side of dmscd (design §2). libqmi's own types are used here: the
 * raw CAT2 client (libqmi has none), the card's files and events through libqmi's UIM client,
 * the IMEI through DMS, and the SCWS gateway with its loopback sockets, over raw BIP (the
 * pure engine of cat/) and over the QMI SCWS messages.
 */
#pragma once

#include "cat/cat.h"

#include <gio/gio.h>
#include <glib.h>
#include <libmm-glib.h>
#include <libqmi-glib.h>

#define MODEM_ERROR (modem_error_quark())
GQuark modem_error_quark(void);

typedef enum {
    MODEM_ERROR_MALFORMED,   /* a value from the modem that does not follow its encoding */
    MODEM_ERROR_TRUNCATED,   /* a length that runs past the end of the value */
    MODEM_ERROR_MISSING,     /* what was looked for is not on the card */
    MODEM_ERROR_UNSUPPORTED, /* the modem does not offer what is needed */
    MODEM_ERROR_FAILED,      /* the modem or the card refused a request */
} ModemError;

/* --- The SCWS gateway over raw BIP ---------------------------------------------------------- */

/*
 * The BIP engine on real sockets: each open channel listens on 127.0.0.1 only, takes one
 * client at a time and copes with clients that hang up or never read. Envelopes for the
 * card are handed to @envelope from the main loop, after the terminal response they follow.
 */
typedef struct ModemBipGateway ModemBipGateway;
typedef void (*ModemEnvelopeFunc)(GBytes *envelope, gpointer user_data);

/* Seconds a client that finds every channel of its port busy waits for one, by default. */
#define MODEM_SCWS_CLIENT_WAIT 10
/* Seconds a client may hold a channel doing nothing (no byte either way), by default. */
#define MODEM_SCWS_CLIENT_IDLE 30

/* Where dmscd's own DM sessions reach the card's web server on @port (an abstract Unix socket
 * only this process may use): such a session takes the channel kept for it when the card
 * listens on @port with more than one. */
GSocketAddress *modem_scws_own_address_new(guint16 port);

/* How the gateways treat their clients; 0 for the defaults above. */
typedef struct {
    guint client_wait; /* how long a client waits for a free channel */
    guint client_idle; /* how long a client may do nothing */
} ModemScwsLimits;

ModemBipGateway *modem_bip_gateway_new(const ModemScwsLimits *limits, ModemEnvelopeFunc envelope,
                                       gpointer user_data);
void modem_bip_gateway_free(ModemBipGateway *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ModemBipGateway, modem_bip_gateway_free)

GBytes *modem_bip_gateway_handle_command(ModemBipGateway *server, const CatMessage *command);
CatBip *modem_bip_gateway_peek_engine(ModemBipGateway *server);
/* The address @channel listens on, or NULL. */
GSocketAddress *modem_bip_gateway_get_address(ModemBipGateway *server, guint8 channel);

/* --- CAT2 over libqmi (design §2.2, §2.4) --------------------------------------------------- */

#define MODEM_SERVICE_CAT2 0x0a

/*
 * libqmi has no CAT2 client, so this is a small raw one on a QmiDevice: the client id is
 * allocated and released over CTL by hand, requests are built TLV by TLV, and indications
 * come from the device's "indication" signal.
 */
typedef struct ModemCat2 ModemCat2;

/* A raw proactive command from the card: answer it with modem_cat2_send_tr_async(@ref, …). */
typedef void (*ModemCat2CommandFunc)(ModemCat2 *qmi, guint32 ref, const guint8 *command,
                                     gsize length, gpointer user_data);

/* @device: an open QmiDevice. */
ModemCat2 *modem_cat2_new(QmiDevice *device, ModemCat2CommandFunc command, gpointer user_data);
void modem_cat2_free(ModemCat2 *qmi);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ModemCat2, modem_cat2_free)

/* Allocates the client id, registers for raw commands and checks the configuration mode. */
void modem_cat2_start_async(ModemCat2 *qmi, GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data);
gboolean modem_cat2_start_finish(ModemCat2 *qmi, GAsyncResult *result, GError **error);
/* Releases the client id. */
void modem_cat2_stop_async(ModemCat2 *qmi, GAsyncReadyCallback callback, gpointer user_data);
gboolean modem_cat2_stop_finish(ModemCat2 *qmi, GAsyncResult *result, GError **error);
guint8 modem_cat2_get_cid(ModemCat2 *qmi);

/* SCWS indications (0x27 Open, 0x28 Close, 0x29 Send Data), read with the parsers below. */
typedef void (*ModemCat2ScwsFunc)(ModemCat2 *qmi, guint16 message, QmiMessage *indication,
                                  gpointer user_data);
void modem_cat2_set_scws_handler(ModemCat2 *qmi, ModemCat2ScwsFunc func, gpointer user_data);

/*
 * The modem runs REFRESH itself and reports it in Event Report TLV 0x19 {mode u16, stage u8}:
 * mode as the command qualifier (0 NAA init and full file change … 6 session reset), stage
 * 1 start, 2 ended with success, 3 ended with failure.
 */
typedef enum {
    MODEM_CAT2_REFRESH_START = 1,
    MODEM_CAT2_REFRESH_SUCCESS = 2,
    MODEM_CAT2_REFRESH_FAILURE = 3,
} ModemCat2RefreshStage;
typedef void (*ModemCat2RefreshFunc)(ModemCat2 *qmi, guint16 mode, guint8 stage,
                                     gpointer user_data);
void modem_cat2_set_refresh_handler(ModemCat2 *qmi, ModemCat2RefreshFunc func, gpointer user_data);
/*
 * A CAT2 request on the client's id and a transaction of its own, for the caller to fill with
 * libqmi's TLV writer and send. Nobody waits for its answer (the SCWS messages): an answer that
 * does not come or refuses is logged, naming the request by @name (a static string).
 */
QmiMessage *modem_cat2_request_new(ModemCat2 *qmi, guint16 message);
void modem_cat2_send(ModemCat2 *qmi, QmiMessage *request, const char *name);

/*
 * The SCWS gateway over the QMI SCWS messages (design §2.4): channels the modem opens are
 * served on the SCWS socket layer (127.0.0.1 only); client bytes go to the card as Data
 * Available in pieces of at most 1000 bytes, the card's Send Data packets are assembled,
 * acknowledged and written to the client.
 */
typedef struct ModemScws ModemScws;
typedef void (*ModemScwsChangedFunc)(gpointer user_data);

ModemScws *modem_scws_new(ModemCat2 *qmi, const ModemScwsLimits *limits,
                          ModemScwsChangedFunc changed, gpointer user_data);
void modem_scws_free(ModemScws *scws);
/* The ports of the open channels; returns how many were written to @ports. */
gsize modem_scws_get_ports(ModemScws *scws, guint16 *ports, gsize max);

/*
 * The values the modem's CAT2 indications carry, read with libqmi's TLV reader and checked
 * (no I/O, fuzzed): an Event
 * Report raw command TLV {uim_ref_id u32, length u16, command}, SCWS Open Channel TLV 0x10
 * {ch_id u32, port u16, buffer size u16}, Close Channel {ch_id u32, state u8} and Send Data
 * {ch_id u32, total u8, current u8, length u16, data ≤ 1000}. MODEM_ERROR_TRUNCATED or
 *  MODEM_ERROR_MALFORMED say what is wrong; pointers in the results point into @indication.
 */
typedef struct {
    guint32 ref;
    const guint8 *command;
    gsize length;
} ModemCat2RawCommand;
gboolean modem_cat2_parse_raw_command(QmiMessage *indication, guint8 type, ModemCat2RawCommand *out,
                                      GError **error);
/* Event Report TLV 0x19: {mode u16, stage u8}. */
gboolean modem_cat2_parse_refresh(QmiMessage *indication, guint16 *mode, guint8 *stage,
                                  GError **error);

#define MODEM_SCWS_MAX_PIECE 1000
typedef struct {
    guint32 ch_id;
    guint16 port;
    guint16 buffer_size;
} ModemScwsOpen;
typedef struct {
    guint32 ch_id;
    guint8 state; /* 0 closed, 1 listen, 2 established */
} ModemScwsState;
typedef struct {
    guint32 ch_id;
    guint8 total;   /* packets of the message, 1 … 255 */
    guint8 current; /* this one, 1 … total */
    const guint8 *data;
    gsize length; /* ≤ MODEM_SCWS_MAX_PIECE */
} ModemScwsData;
gboolean modem_scws_parse_open(QmiMessage *indication, ModemScwsOpen *out, GError **error);
gboolean modem_scws_parse_state(QmiMessage *indication, ModemScwsState *out, GError **error);
gboolean modem_scws_parse_data(QmiMessage *indication, ModemScwsData *out, GError **error);
/* Only the channel id, to answer a message whose other fields do not read. */
gboolean modem_scws_parse_channel(QmiMessage *indication, guint32 *ch_id);

/* Without @callback, a TR or envelope the modem does not take is logged (a warning). */
void modem_cat2_send_tr_async(ModemCat2 *qmi, guint32 ref, GBytes *response,
                              GAsyncReadyCallback callback, gpointer user_data);
gboolean modem_cat2_send_tr_finish(ModemCat2 *qmi, GAsyncResult *result, GError **error);
/* Envelope types of Send Envelope: 0x05 raw, 0x09 SMS-PP download. */
void modem_cat2_send_envelope_async(ModemCat2 *qmi, guint16 type, GBytes *envelope,
                                    GAsyncReadyCallback callback, gpointer user_data);
gboolean modem_cat2_send_envelope_finish(ModemCat2 *qmi, GAsyncResult *result, GError **error);

/*
 * Commands the modem runs itself (design §2.4): SET UP CALL, SEND SS, SEND USSD, SEND DTMF,
 * SEND SHORT MESSAGE unless the modem granted dmscd its full function, and the BIP commands
 * unless the modem is in custom raw mode (5, the host's terminal profile) or did not say its
 * mode. For these the modem expects Event Confirmation (user confirmed, icon shown), not a TR.
 */
gboolean modem_cat2_modem_executes(ModemCat2 *qmi, guint8 type);
void modem_cat2_send_event_confirmation_async(ModemCat2 *qmi, gboolean confirmed,
                                              gboolean icon_shown, GAsyncReadyCallback callback,
                                              gpointer user_data);
gboolean modem_cat2_send_event_confirmation_finish(ModemCat2 *qmi, GAsyncResult *result,
                                                   GError **error);

/* --- UIM through libqmi's UIM client --------------------------------------------------------- */

/*
 * Reads a card file: the whole of a transparent file, or record @record (1-based) of a record
 * file. @path runs from the MF (3F00) to the file, two bytes a level. The read goes through
 * @client when there is one (see modem_uim_watch_peek_client()); with @client NULL a UIM client
 * is allocated on @device for the read and released after it. The same holds for the reads
 * below.
 */
void modem_uim_read_async(QmiDevice *device, QmiClientUim *client, const guint8 *path,
                          gsize path_length, guint record, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data);
GBytes *modem_uim_read_finish(GAsyncResult *result, GError **error);
/*
 * Finds and reads the card's DM bootstrap file: EF.DIR → the PKCS#15 application → its ODF →
 * DODF → the file of OID 2.23.43.7.1. Returns its content, or NULL with MODEM_ERROR_MISSING
 * when the card has none.
 */
void modem_uim_read_bootstrap_async(QmiDevice *device, QmiClientUim *client,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
GBytes *modem_uim_read_bootstrap_finish(GAsyncResult *result, GError **error);
/* Reads EF ICCID (3F00/2FE2) and gives its digits. */
void modem_uim_read_iccid_async(QmiDevice *device, QmiClientUim *client, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
char *modem_uim_read_iccid_finish(GAsyncResult *result, GError **error);
/*
 * The card's presence and the modem's REFRESH through one UIM client kept for the modem's
 * life (design §2.2): card status events, Get Card Status, Refresh Register All on the card
 * session of slot 1, and Refresh Complete.
 */
typedef enum {
    MODEM_UIM_CARD_UNKNOWN,
    MODEM_UIM_CARD_ABSENT,
    MODEM_UIM_CARD_PRESENT,
    MODEM_UIM_CARD_ERROR,
} ModemUimCardState;
const char *modem_uim_card_state_name(ModemUimCardState state);

/* QMI UIM refresh stages; modes 0 reset … 6 3G session reset, as QmiUimRefreshMode. */
typedef enum {
    MODEM_UIM_REFRESH_WAIT_FOR_OK = 0,
    MODEM_UIM_REFRESH_START = 1,
    MODEM_UIM_REFRESH_SUCCESS = 2,
    MODEM_UIM_REFRESH_FAILURE = 3,
} ModemUimRefreshStage;

typedef struct ModemUimWatch ModemUimWatch;
/* Called when the state changes after the start (not for the state the start found). */
typedef void (*ModemUimCardFunc)(ModemUimWatch *watch, ModemUimCardState state, gpointer user_data);
typedef void (*ModemUimRefreshFunc)(ModemUimWatch *watch, guint stage, guint mode,
                                    gpointer user_data);

ModemUimWatch *modem_uim_watch_new(QmiDevice *device, ModemUimCardFunc card,
                                   ModemUimRefreshFunc refresh, gpointer user_data);
void modem_uim_watch_free(ModemUimWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ModemUimWatch, modem_uim_watch_free)
/* Fails when the modem has no UIM service or refuses card status events; a modem that only
 * refuses the REFRESH registration starts (see modem_uim_watch_has_refresh()). */
void modem_uim_watch_start_async(ModemUimWatch *watch, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
gboolean modem_uim_watch_start_finish(ModemUimWatch *watch, GAsyncResult *result, GError **error);
ModemUimCardState modem_uim_watch_get_card_state(ModemUimWatch *watch);
/* The watch's UIM client once started, for reads; NULL before. */
QmiClientUim *modem_uim_watch_peek_client(ModemUimWatch *watch);
gboolean modem_uim_watch_has_refresh(ModemUimWatch *watch);
/* Tells the modem this client has done with a REFRESH's files (reported, not awaited). */
void modem_uim_watch_refresh_complete(ModemUimWatch *watch, gboolean success);
/* Releases the client id. */
void modem_uim_watch_stop_async(ModemUimWatch *watch, GAsyncReadyCallback callback,
                                gpointer user_data);
gboolean modem_uim_watch_stop_finish(ModemUimWatch *watch, GAsyncResult *result, GError **error);

/* Reads the modem's IMEI on @device through a DMS client of its own. */
void modem_dms_read_imei_async(QmiDevice *device, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
char *modem_dms_read_imei_finish(GAsyncResult *result, GError **error);
/* 14 to 16 decimal digits: an IMEI with or without its check digit, or an IMEISV. */
gboolean modem_imei_is_valid(const char *imei);

/* --- The modem and its card (design §2) ------------------------------------------------------ */

/*
 * One modem: its QmiDevice (through qmi-proxy, or the configured proxy socket), the CAT2
 * client, the UIM watch, the SCWS gateways and its card, each an explicit state machine.
 * The daemon learns what happens through ModemEvents; libmodem knows nothing of the DM tree,
 * sessions or D-Bus.
 */
typedef struct Modem Modem;

typedef enum {
    MODEM_STATE_OPENING,  /* the device is being created and opened */
    MODEM_STATE_STARTING, /* CAT2 and UIM clients are starting */
    MODEM_STATE_READY,    /* CAT2 runs (and UIM follows the card, when it can) */
    MODEM_STATE_WAITING,  /* the device vanished or failed: opened again in a moment */
    MODEM_STATE_STOPPED,  /* being freed */
} ModemState;
const char *modem_state_name(ModemState state);

/* Slots are numbered from 1; modems with one card slot are all that dmscd drives yet. */
#define MODEM_MAX_SLOTS 1

typedef enum {
    MODEM_CARD_UNKNOWN, /* the modem is not ready, or has not said yet */
    MODEM_CARD_ABSENT,  /* the modem says the slot is empty (or the card failed) */
    MODEM_CARD_READING, /* the card is in: its ICCID and DM bootstrap are being read */
    MODEM_CARD_READY,   /* the card is in and was read (or its reads failed) */
} ModemCardState;
const char *modem_card_state_name(ModemCardState state);

typedef struct {
    /* The card of @slot went from @old to its state now (modem_get_card_state()). */
    void (*card_changed)(Modem *modem, guint slot, ModemCardState old, gpointer user_data);
    /* The card's identifier changed: its ICCID once read, ModemManager's SIM id before. */
    void (*card_identified)(Modem *modem, guint slot, const char *identifier, gpointer user_data);
    /*
     * The card's DM bootstrap file (@data), or why there is none (@error, MODEM_ERROR_MISSING
     * when the card has no bootstrap). Only when the modem was asked to read bootstraps.
     */
    void (*card_bootstrap)(Modem *modem, guint slot, GBytes *data, const GError *error,
                           gpointer user_data);
    /* The ports of the card's SCWS channels, each port once. */
    void (*card_ports)(Modem *modem, guint slot, const guint16 *ports, gsize n, gpointer user_data);
    /*
     * A DM notification (package #0) that the card sent in a SEND SHORT MESSAGE (it is never
     * sent to the network). Returns the general result its terminal response owes: 00, or 32
     * when it does not decode.
     */
    guint8 (*card_trigger)(Modem *modem, guint slot, const guint8 *package0, gsize length,
                           gpointer user_data);
    /* A DM notification in an SMS the network sent (found through ModemManager); @modem is
     * the one that received it, or NULL when that modem has gone meanwhile. */
    void (*network_trigger)(Modem *modem, const guint8 *package0, gsize length, gpointer user_data);
    /* The modem's IMEI, once read. */
    void (*imei)(Modem *modem, const char *imei, gpointer user_data);
    /* The modem comes (from modem_new()) and goes (from modem_free()). */
    void (*added)(Modem *modem, gpointer user_data);
    void (*removed)(Modem *modem, gpointer user_data);
} ModemEvents;

typedef struct {
    gboolean read_bootstrap; /* read the card's DM bootstrap file after its ICCID */
    ModemScwsLimits scws;    /* how the card's web server treats its clients */
} ModemOptions;

/*
 * Opens @device in the background through qmi-proxy (@proxy_path: another proxy socket name,
 * or NULL) and keeps it open, opening it again when it vanishes. @options are copied; @events
 * are called with @user_data.
 */
Modem *modem_new(const char *device, const char *proxy_path, const ModemOptions *options,
                 const ModemEvents *events, gpointer user_data);
/* Releases the client ids (waiting up to two seconds) and closes the device. */
void modem_free(Modem *modem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Modem, modem_free)
const char *modem_get_device_path(Modem *modem);
ModemState modem_get_state(Modem *modem);
ModemCardState modem_get_card_state(Modem *modem, guint slot);
/* The card's ICCID once read, else ModemManager's SIM identifier, or NULL. */
const char *modem_get_card_identifier(Modem *modem, guint slot);
/* The ICCID read from the card, or NULL. */
const char *modem_get_card_iccid(Modem *modem, guint slot);
/* What ModemManager says the SIM is, until the card's own EF ICCID is read. */
void modem_set_sim_identifier(Modem *modem, const char *identifier);
/* ModemManager's Messaging of the modem: the card's own short messages are sent through it
 * (without it they are answered "beyond capabilities"). */
void modem_set_messaging(Modem *modem, MMModemMessaging *messaging);
MMModemMessaging *modem_peek_messaging(Modem *modem);

/* --- ModemManager discovery (design §2.1) ------------------------------------------------------
 */

typedef struct ModemDiscovery ModemDiscovery;

/*
 * Watches ModemManager on the system bus (the session bus with @session_bus) and runs a Modem
 * for the QMI port of every modem it exports, following modems as they come and go and
 * ModemManager as it restarts. DM notifications in received SMS are @events->network_trigger.
 */
ModemDiscovery *modem_discovery_new(gboolean session_bus, const char *proxy_path,
                                    const ModemOptions *options, const ModemEvents *events,
                                    gpointer user_data);
void modem_discovery_free(ModemDiscovery *discovery);

/* --- The card's own short messages, through ModemManager ----------------------------------------
 */

/*
 * The ModemManager SMS for an SMS-SUBMIT TPDU: number (with "+" when international), text
 * (GSM 7-bit or UCS2) or data (8-bit), message class. @packing: the card asked the terminal to
 * pack 8-bit default-alphabet text (the command qualifier's bit 1). G_IO_ERROR_NOT_SUPPORTED
 * when ModemManager cannot carry it (a user data header, a compressed or reserved coding, no
 * destination), G_IO_ERROR_INVALID_DATA when the TPDU does not decode.
 */
MMSmsProperties *modem_card_sms_properties(const guint8 *tpdu, gsize length, gboolean packing,
                                           GError **error);
/* Creates the SMS, sends it and deletes it from ModemManager's list again. */
void modem_card_sms_send_async(MMModemMessaging *messaging, MMSmsProperties *properties,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data);
gboolean modem_card_sms_send_finish(GAsyncResult *result, GError **error);
