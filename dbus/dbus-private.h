/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the files of dbus/ share. */
#pragma once

#include "dbus-api.h"

#include <errno.h>
#include <stdlib.h>

typedef struct {
    char *path;
    char *modem;
    char *identifier;
    char *bootstrap_state;
    char *server_id;
    GArray *ports; /* guint16 */
} DbusApiCard;

struct DbusApiServer {
    sd_event *event;
    sd_bus *bus;
    GSource *source;
    sd_bus_slot *object_manager_slot;
    sd_bus_slot *manager_slot;
    sd_bus_slot *card_slot;
    sd_bus_slot *card_enumerator_slot;
    char *version;
    char *state;
    gboolean name_owned;
    GPtrArray *cards; /* DbusApiCard * */
    guint next_card;
};

gboolean dbus_api_cards_export(DbusApiServer *server, GError **error);
void dbus_api_card_free(DbusApiCard *card);
