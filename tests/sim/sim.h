/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dmsc-sim: a QMI modem with a UICC behind it, for tests. Shared by the simulator's files. */
#pragma once

#include <gio/gio.h>
#include <libqmi-glib.h>

#define SIM_SERVICE_DMS  0x02
#define SIM_SERVICE_CAT2 0x0a
#define SIM_SERVICE_UIM  0x0b

typedef struct Sim Sim;
typedef struct SimClient SimClient;

/* One connection from a QmiDevice (through the qmi-proxy handshake). */
struct SimClient {
    Sim *sim;
    GSocketConnection *connection;
    GByteArray *input;
    guint8 buffer[4096];
    GCancellable *cancellable;
};

typedef struct {
    guint8 service;
    guint8 cid;
    SimClient *client;
    guint32 raw_mask; /* CAT2 Set Event Report */
    guint32 decoded_mask;
    guint32 full_function; /* as granted */
    guint32 uim_events;    /* UIM Register Events: card status */
    gboolean uim_refresh;  /* UIM Refresh Register (All) */
    int uim_complete;      /* the running REFRESH: -1 awaited, 0 failed, 1 done */
} SimCid;

/* What waits for the terminal response of a proactive command sent to dmscd. */
typedef void (*SimTrFunc)(Sim *sim, const guint8 *tr, gsize length, gpointer user_data);

typedef struct {
    guint32 ref;
    GOutputStream *reply_to; /* a control connection, or */
    SimTrFunc func;          /* the virtual card */
    gpointer data;
    guint8 details[3];   /* number, type, qualifier */
    gboolean modem_runs; /* a network command: the modem runs it, the host confirms it */
} SimPending;

typedef struct SimCard SimCard;

/* A request held unanswered, and the connection it came on. */
typedef struct {
    SimClient *client;
    QmiMessage *message;
} SimHeld;
typedef struct SimRefresh SimRefresh;

struct Sim {
    char *socket_name;
    GSocketService *qmux;
    GSocketService *control;
    GPtrArray *clients; /* SimClient * */
    GPtrArray *cids;    /* SimCid * */
    guint8 next_cid;
    guint allocations[256]; /* client ids allocated since start, by service */
    guint32 next_ref;
    GPtrArray *pending;        /* SimPending * */
    GPtrArray *envelopes;      /* char * hex, as received */
    GPtrArray *scws_acks;      /* "CH RESULT" of each SCWS Send Data acknowledgement, as received */
    gboolean hold_allocations; /* hold-allocations: CTL Allocate CID goes unanswered */
    GPtrArray *held;           /* SimHeld *: the requests held, unanswered */
    GMainLoop *loop;
    SimCard *card;
    GHashTable *files;    /* "3f002fe2" or "3f002f00#1" (a record) → GBytes: the card's files */
    char *imei;           /* [modem] imei= */
    gboolean card_absent; /* remove-card */
    gboolean refuse_uim_refresh;   /* [modem] uim-refresh=false */
    gboolean refuse_uim_events;    /* [modem] uim-events=false */
    gboolean refuse_full_function; /* [modem] full-function=false */
    guint8 config_mode;            /* [modem] config-mode: 5 with scws-mode=raw-bip, else 2 */
    SimRefresh *refresh;           /* the REFRESH waiting for Refresh Complete */
};

/* qmux.c */
void sim_client_start(Sim *sim, GSocketConnection *connection);
void sim_client_free(SimClient *client);
void sim_client_send(SimClient *client, QmiMessage *message);
/* Sends an indication of @service on @cid with one TLV. */
void sim_client_indicate(SimClient *client, guint8 service, guint8 cid, guint16 message_id,
                         guint8 tlv, const guint8 *value, gsize length);

/* services.c */
void sim_handle_message(SimClient *client, QmiMessage *message);
/* Answers the held Allocate CID requests of the connections still there (release). */
void sim_release_allocations(Sim *sim);
void sim_held_free(SimHeld *held);
/* Sends a raw proactive command to the registered CAT2 client; FALSE when none can take it. */
gboolean sim_send_proactive(Sim *sim, const guint8 *command, gsize length, GOutputStream *reply_to,
                            GError **error);
SimCid *sim_find_cid(Sim *sim, guint8 service);

/* A CAT2 Event Report with the modem's own REFRESH outcome (TLV 0x19 {mode, stage}). */
gboolean sim_send_refresh(Sim *sim, guint16 mode, guint8 stage, GError **error);
gboolean sim_send_proactive_full(Sim *sim, const guint8 *command, gsize length, SimTrFunc func,
                                 gpointer data, GError **error);

/* uim.c */
void sim_handle_uim(SimClient *client, QmiMessage *message);
/* The Card Status indication to the clients registered for it. */
void sim_uim_card_changed(Sim *sim);
/*
 * Runs a REFRESH through UIM: Refresh indication START (@mode, @files: GByteArray paths from
 * the MF) to the registered clients, then, once each has sent Refresh Complete (or after five
 * seconds), END with success or failure; "refreshed", "refresh failed" or "refresh timed out"
 * goes to @reply_to. FALSE when no client registered for REFRESH.
 */
gboolean sim_uim_refresh(Sim *sim, guint8 mode, GPtrArray *files, GOutputStream *reply_to,
                         GError **error);
/* One Refresh indication {@stage, @mode}; FALSE when no client registered for REFRESH. */
gboolean sim_uim_refresh_event(Sim *sim, guint8 stage, guint8 mode);
/* The modem went away: a running REFRESH is dropped. */
void sim_uim_reset(Sim *sim);

/* card.c: the UICC's own behaviour (its SCWS over BIP, its DM server) */
SimCard *sim_card_new(Sim *sim, GKeyFile *profile, const char *profile_dir, GError **error);
void sim_card_free(SimCard *card);
/* dmscd registered for events: a raw-BIP card opens its SCWS channel now. */
void sim_card_registered(SimCard *card, guint32 decoded_mask);
void sim_card_scws_request(SimCard *card, guint16 message, const guint8 *value, gsize length);
void sim_card_envelope(SimCard *card, const guint8 *envelope, gsize length);
/* The modem went away: the card starts over (channels closed, nothing in flight). */
void sim_card_reset(SimCard *card);
/* TRUE while the card waits for the answer to a command of its own. */
gboolean sim_card_busy(SimCard *card);
/* The card sends its DM notification (SEND SHORT MESSAGE) now. */
void sim_card_trigger(SimCard *card);
/* Clients the card heard of and requests it answered, since start. */
void sim_card_scws_counts(SimCard *card, guint *connections, guint *requests);
/* Proactive commands the card sent, QMI SCWS messages it sent and took, and the bytes its
 * clients' requests and its answers carried over its SCWS channels, since start: what a real
 * card's slow link pays for. */
void sim_card_channel_counts(SimCard *card, guint *commands, guint *scws_messages,
                             guint64 *bytes_in, guint64 *bytes_out);

/* control.c */
gboolean sim_control_listen(Sim *sim, const char *path, GError **error);
void sim_control_reply(GOutputStream *out, const char *format, ...) G_GNUC_PRINTF(2, 3);
