/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A configured modem ([modem] device=) and the card behind it. */
#pragma once

#include "dbus/dbus-api.h"
#include "dmscd.h"
#include "session.h"

#include <libmm-glib.h>

typedef struct DmscdModem DmscdModem;

/* Opens the device in the background; the card object appears once CAT2 runs, goes away
 * with the modem and comes back with it. */
/* @tree: the device's DM tree (not owned): the modem's IMEI becomes its DevId, and the card's
 * DM bootstrap goes into it unless [card] bootstrap=false. */
/* @sessions: where the verified notifications of the card go (not owned). */
DmscdModem *dmscd_modem_new(const char *device, const char *proxy_path, DmscdTree *tree,
                            DmscdSessions *sessions, DbusApiServer *bus);
/* ModemManager's Messaging of the modem: the card's own short messages are sent through it
 * (without it they are answered "beyond capabilities"). */
void dmscd_modem_set_messaging(DmscdModem *modem, MMModemMessaging *messaging);
MMModemMessaging *dmscd_modem_peek_messaging(DmscdModem *modem);
/* What ModemManager says the SIM is, until the card's own EF ICCID is read. */
void dmscd_modem_set_sim_identifier(DmscdModem *modem, const char *identifier);
/* Releases the CAT2 client id (waiting up to two seconds) and closes the device. */
void dmscd_modem_free(DmscdModem *modem);
/* The card's D-Bus object path, or NULL while there is no card. */
const char *dmscd_modem_get_card_path(DmscdModem *modem);
