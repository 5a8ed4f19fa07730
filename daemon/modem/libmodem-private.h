/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the files of daemon/modem/ share and nobody else sees. */
#pragma once

#include "modem.h"

/* A debug line on a path every proactive command takes: g_debug formats its message before
 * the writer drops it, so ask first (dmscd logs through g_log_writer_default). */
#define modem_debug(...)                                                       \
    G_STMT_START                                                               \
    {                                                                          \
        if (!g_log_writer_default_would_drop(G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN)) \
            g_debug(__VA_ARGS__);                                              \
    }                                                                          \
    G_STMT_END

/* --- sockets.c: the SCWS socket layer ------------------------------------------------------ */

#define MODEM_SOCKETS_MAX 7

typedef struct ModemSockets ModemSockets;

typedef struct {
    gboolean (*connected)(gpointer user_data, guint id); /* FALSE refuses the client */
    gsize (*space)(gpointer user_data, guint id);        /* bytes the owner can take now */
    void (*received)(gpointer user_data, guint id, const guint8 *data, gsize length);
    void (*closed)(gpointer user_data, guint id); /* the client went away */
} ModemSocketCallbacks;

/* @client_wait: seconds a connection waits for a free channel (0: MODEM_SCWS_CLIENT_WAIT);
 * @client_idle: seconds a client may do nothing before it is let go (0: the default). */
ModemSockets *modem_sockets_new(const ModemSocketCallbacks *callbacks, guint client_wait,
                                guint client_idle, gpointer user_data);
void modem_sockets_free(ModemSockets *set);
gboolean modem_sockets_listen(ModemSockets *set, guint id, guint16 port, GError **error);
/* The card closed the connection of @id (its client may have gone already): free again. */
void modem_sockets_drop_client(ModemSockets *set, guint id);
void modem_sockets_close(ModemSockets *set, guint id);
gboolean modem_sockets_send(ModemSockets *set, guint id, const guint8 *data, gsize length);
/* Reads again from a client paused for lack of room. */
void modem_sockets_resume(ModemSockets *set, guint id);
GSocketAddress *modem_sockets_get_address(ModemSockets *set, guint id);

/* lifetime.c: what the asynchronous steps of a modem client check before touching it. */
typedef struct {
    GCancellable *own; /* cancelled when the client is freed */
    GCancellable *caller;
    gulong caller_id;
} ModemLifetime;
void modem_lifetime_init(ModemLifetime *life);
/* The caller's cancellable cancels ours too (the first one given is kept). */
void modem_lifetime_follow(ModemLifetime *life, GCancellable *caller);
void modem_lifetime_end(ModemLifetime *life);

/* qmi-values.c: a QMI response's result TLV 0x02; FALSE with @error (naming @what) when the
 * modem refused or the TLV does not read. */
gboolean modem_qmi_response_ok(QmiMessage *response, const char *what, GError **error);

/* --- The modem object: modem.c runs the device and its clients, modem-card.c the card's
 * state, files and REFRESH, modem-commands.c the card's proactive commands. ----------------- */

/* Where a REFRESH of the card stands: its files may have been read at its start already. */
typedef enum {
    MODEM_REFRESH_IDLE,
    MODEM_REFRESH_READ_AT_START, /* a REFRESH that changes files: its end reads nothing more */
} ModemRefreshPhase;

typedef struct {
    guint slot;
    ModemCardState state;
    char *iccid;            /* as read from EF ICCID */
    GCancellable *reads;    /* the ICCID and bootstrap reads in flight, or NULL */
    gboolean complete_owed; /* the reads in flight answer a REFRESH: Refresh Complete */
    ModemRefreshPhase refresh;
} ModemCard;

struct Modem {
    char *device_path;
    char *proxy_path;
    ModemOptions options;
    const ModemEvents *events;
    gpointer user_data;
    ModemState state;
    guint starting; /* clients (CAT2, UIM) whose start has not answered yet */
    QmiDevice *device;
    gulong removed_id;
    ModemCat2 *cat;
    guint cat_generation; /* a new ModemCat2 each time: late answers for an old one are dropped */
    ModemUimWatch *uim;   /* NULL when the modem's UIM cannot follow the card */
    ModemBipGateway *bip;
    ModemScws *scws;
    MMModemMessaging *messaging;          /* ModemManager's, when it manages the modem */
    char *sim_identifier;                 /* ModemManager's, until the ICCID is read */
    ModemCard cards[MODEM_MAX_SLOTS + 1]; /* 1-based */
    guint reopen_id;
    GCancellable *cancellable;
};

/* modem-card.c */
ModemCard *modem_card(Modem *modem, guint slot);
/* The one place a card changes state: logged at debug level, then told to the daemon. */
void modem_card_set_state(Modem *modem, ModemCard *card, ModemCardState state);
/* Reads the ICCID, then the DM bootstrap (again: reads in flight are dropped). */
void modem_card_read(Modem *modem, ModemCard *card);
void modem_on_uim_refresh(ModemUimWatch *watch, guint stage, guint mode, gpointer user_data);
void modem_on_cat_refresh(ModemCat2 *cat, guint16 mode, guint8 stage, gpointer user_data);

/* modem-commands.c */
void modem_on_command(ModemCat2 *cat, guint32 ref, const guint8 *data, gsize length,
                      gpointer user_data);
void modem_on_bip_envelope(GBytes *envelope, gpointer user_data);
/* Tells the daemon the ports of the card's SCWS channels. */
void modem_publish_ports(Modem *modem);
