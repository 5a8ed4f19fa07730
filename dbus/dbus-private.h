/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the files of dbus/ share. */
#pragma once

#include "dbus-api.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_bus_message, sd_bus_message_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_bus_creds, sd_bus_creds_unref)

typedef struct {
    char *path;
    char *modem;
    char *identifier;
    char *bootstrap_state;
    char *server_id;
    GArray *ports;          /* guint16 */
    guint64 last_trigger;   /* µs since the epoch of its last DM notification, 0: none */
    guint64 bootstrap_read; /* µs since the epoch its bootstrap was last read, 0: not yet */
} DbusApiCard;

typedef struct {
    char *path;
    char *server_id;
    char *session_id;
    char *origin;
    char *state;
    char *result;           /* Result's "result", or NULL while it runs */
    char *error;            /* Result's "error", or NULL */
    guint64 started, ended; /* µs since the epoch, 0 before */
    guint32 attempts;       /* started so far */
    GPtrArray *changes;     /* char *: uri, command, status, uri, … */
} DbusApiSession;

struct DbusApiServer {
    sd_event *event;
    sd_bus *bus;
    GSource *source;
    sd_bus_slot *object_manager_slot;
    sd_bus_slot *manager_slot;
    sd_bus_slot *card_slot;
    sd_bus_slot *card_enumerator_slot;
    sd_bus_slot *session_slot;
    sd_bus_slot *session_enumerator_slot;
    sd_bus_slot *disconnected_slot;
    DbusApiLostFunc lost;
    gpointer lost_data;
    char *version;
    char *state;
    gboolean name_owned;
    GPtrArray *cards; /* DbusApiCard * */
    guint next_card;
    GPtrArray *sessions; /* DbusApiSession * */
    guint next_session;
    DbusApiTriggerFunc trigger;
    gpointer trigger_data;
    gboolean has_admin_gid;
    gid_t admin_gid;
    DbusApiNodeFunc node_reader;
    gpointer node_reader_data;
    char *agent_owner; /* the agent's unique bus name, or NULL */
    char *agent_path;
    sd_bus_track *agent_track;
};

gboolean dbus_api_cards_export(DbusApiServer *server, GError **error);
gboolean dbus_api_sessions_export(DbusApiServer *server, GError **error);
void dbus_api_session_free(DbusApiSession *session);
int dbus_api_method_trigger(sd_bus_message *m, void *userdata, sd_bus_error *error);
int dbus_api_method_register_agent(sd_bus_message *m, void *userdata, sd_bus_error *error);
int dbus_api_method_get_node(sd_bus_message *m, void *userdata, sd_bus_error *error);
int dbus_api_method_list_nodes(sd_bus_message *m, void *userdata, sd_bus_error *error);
int dbus_api_method_unregister_agent(sd_bus_message *m, void *userdata, sd_bus_error *error);
/*
 * Every method but the property reads is for root and the admin group: 0 when the caller is
 * one of them, else PermissionDenied in @error (negative). The one check each method makes.
 */
int dbus_api_check_caller(DbusApiServer *server, sd_bus_message *m, sd_bus_error *error);
/* A library's error (DM_ERROR: not found, invalid, denied) as the API's D-Bus error. */
int dbus_api_error_set_from(sd_bus_error *error, const GError *failure);
/* Tells the agent it is let go (Release), and forgets it. */
void dbus_api_agent_release(DbusApiServer *server);
void dbus_api_card_free(DbusApiCard *card);
