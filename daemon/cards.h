/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's side of modems and cards: libmodem's events wired to the tree, bus and sessions. */
#pragma once

#include "daemon/modem/modem.h"
#include "dbus/dbus-api.h"
#include "dmscd.h"
#include "session.h"

typedef struct DmscdCards DmscdCards;

/*
 * @tree (not owned): the modem's IMEI becomes its DevId, and a card's DM bootstrap goes into it
 * (and out of it with the card) when @tree->card_bootstrap. @sessions (not owned, may be NULL):
 * where verified notifications go. @bus: each card is an object there while it is in.
 */
DmscdCards *dmscd_cards_new(DmscdTree *tree, DmscdSessions *sessions, DbusApiServer *bus);
/* Free every modem first. */
void dmscd_cards_free(DmscdCards *cards);
/* The events to give modem_new() and modem_discovery_new(), with the DmscdCards as user data. */
const ModemEvents *dmscd_cards_events(void);
