/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the modem's three files share: the DmscdModem itself. modem.c runs the device, its
 * clients and the card object; modem-commands.c answers the card's proactive commands;
 * modem-card.c reads the card's files (ICCID, DM bootstrap) and follows its REFRESH.
 */
#pragma once

#include "modem.h"

#include "daemon/modem/modem.h"

#include <libqmi-glib.h>

struct DmscdModem {
    char *device_path;
    char *proxy_path;
    DbusApiServer *bus;
    QmiDevice *device;
    gulong removed_id;
    ModemCat2 *cat;
    guint cat_generation; /* a new ModemCat2 each time: late answers for an old one are dropped */
    MMModemMessaging *messaging; /* ModemManager's, when it manages the modem */
    ModemBipGateway *bip;
    ModemScws *scws;
    ModemUimWatch *uim;
    gboolean cat_ready;    /* the CAT2 client is registered */
    gboolean uim_settled;  /* the UIM watch started, or failed to */
    gboolean card_present; /* as UIM says; taken as present when UIM cannot say */
    gboolean refresh_due;  /* the modem waits for Refresh Complete after our reads */
    gboolean refresh_read; /* this REFRESH's files were read at its start */
    char *card_path;
    guint reopen_id;
    GCancellable *cancellable;
    GCancellable *reads; /* the card's ICCID and bootstrap, started again by a REFRESH */
    char *sim_identifier;
    char *iccid;             /* as read from EF ICCID */
    char *origin;            /* "card:<ICCID>" of the bootstrap last applied from this modem */
    char *claim;             /* "card:<ICCID>" of the card this modem has (its nodes are kept) */
    gboolean settled;        /* it knows its card (read, or none): the sweep is not held */
    DmscdTree *tree;         /* not owned: DevId from the IMEI, and the card's bootstrap */
    DmscdSessions *sessions; /* not owned: the card's verified notifications go there */
};

/* modem-commands.c */
void modem_on_command(ModemCat2 *cat, guint32 ref, const guint8 *data, gsize length,
                      gpointer user_data);
void modem_on_bip_envelope(GBytes *envelope, gpointer user_data);
/* Publishes the ports of the card's SCWS channels on its object. */
void modem_publish_ports(DmscdModem *modem);

/* modem-card.c */
/* Reads the ICCID, then the DM bootstrap (again: a read in progress is dropped). */
void modem_read_card(DmscdModem *modem);
/* The card's bootstrap nodes leave the tree. */
void modem_forget_card(DmscdModem *modem);
/* This modem has the card of @origin now (taken; NULL: none). */
void modem_claim_card(DmscdModem *modem, char *origin);
/* The modem knows its card (read, or none): it no longer holds the sweep, which runs. */
void modem_settle(DmscdModem *modem);
void modem_on_cat_refresh(ModemCat2 *cat, guint16 mode, guint8 stage, gpointer user_data);
void modem_on_uim_refresh(ModemUimWatch *watch, guint stage, guint mode, gpointer user_data);
