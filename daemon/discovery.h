/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Modems found through ModemManager, when no [modem] device= is configured. */
#pragma once

#include "modem.h"

typedef struct DmscdDiscovery DmscdDiscovery;

/*
 * Watches ModemManager on the system bus (the session bus with @session_bus) and runs a
 * DmscdModem for the QMI port of every modem it exports, following modems as they come and
 * go and ModemManager as it restarts.
 */
DmscdDiscovery *dmscd_discovery_new(gboolean session_bus, const char *proxy_path, DmscdTree *tree,
                                    DmscdSessions *sessions, DbusApiServer *bus);
void dmscd_discovery_free(DmscdDiscovery *discovery);
