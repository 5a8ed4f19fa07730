/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dbus/: the org.dmscd.Dmsc1 bus API of dmscd, on sd-bus driven from the GLib main loop.
 *
 * This is the only place where library errors become D-Bus errors.
 */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define DBUS_API_NAME              "org.dmscd.Dmsc1"
#define DBUS_API_PATH              "/org/dmscd/Dmsc1"
#define DBUS_API_MANAGER_INTERFACE "org.dmscd.Dmsc1.Manager"

#define DBUS_API_ERROR (dbus_api_error_quark())
GQuark dbus_api_error_quark(void);

typedef enum {
    DBUS_API_ERROR_CONNECT,    /* no bus to connect to */
    DBUS_API_ERROR_NAME_TAKEN, /* another process owns DBUS_API_NAME */
    DBUS_API_ERROR_EXPORT,     /* an object or the name could not be registered */
} DbusApiError;

/* The errors callers get (design §8). */
#define DBUS_API_ERROR_NAME_NOT_FOUND    "org.dmscd.Dmsc1.Error.NotFound"
#define DBUS_API_ERROR_NAME_INVALID_ARGS "org.dmscd.Dmsc1.Error.InvalidArgs"
#define DBUS_API_ERROR_NAME_FAILED       "org.dmscd.Dmsc1.Error.Failed"
#define DBUS_API_ERROR_NAME_PERMISSION   "org.dmscd.Dmsc1.Error.PermissionDenied"
#define DBUS_API_ERROR_NAME_BUSY         "org.dmscd.Dmsc1.Error.Busy"

typedef enum {
    DBUS_API_BUS_SYSTEM,
    DBUS_API_BUS_SESSION,
} DbusApiBusType;

/*
 * A GSource that dispatches @event from a GMainContext: sd-bus (and anything else on
 * @event) then runs on the one thread and loop of the daemon. Takes a reference on @event.
 */
GSource *dbus_api_event_source_new(sd_event *event);

/* The daemon's side of the bus: connection, exported objects and the well-known name. */
typedef struct DbusApiServer DbusApiServer;

/*
 * Connects to the bus, exports the Manager object with its object manager, attaches to the
 * thread-default GMainContext and requests DBUS_API_NAME. Fails with
 * DBUS_API_ERROR_NAME_TAKEN when another process owns the name.
 */
DbusApiServer *dbus_api_server_new(DbusApiBusType bus_type, const char *version, const char *state,
                                   GError **error);
void dbus_api_server_free(DbusApiServer *server);

/* Changes Manager.State and emits PropertiesChanged. */
void dbus_api_server_set_state(DbusApiServer *server, const char *state);
const char *dbus_api_server_get_state(DbusApiServer *server);

/* Gives up DBUS_API_NAME and flushes what is queued; the objects stay until _free(). */
void dbus_api_server_release_name(DbusApiServer *server);

/*
 * Called once when the connection to the bus ends (the bus went away or closed it): the name
 * and every object went with it, and no client can reach the daemon until it connects again.
 */
typedef void (*DbusApiLostFunc)(gpointer user_data);
void dbus_api_server_set_lost_handler(DbusApiServer *server, DbusApiLostFunc func,
                                      gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DbusApiServer, dbus_api_server_free)

#define DBUS_API_CARD_INTERFACE "org.dmscd.Dmsc1.Card"
#define DBUS_API_CARD_PREFIX    DBUS_API_PATH "/Card"

/*
 * Cards: /org/dmscd/Dmsc1/Card/<n>, announced through the object manager as they come and
 * go. Returns the new object's path.
 */
const char *dbus_api_server_add_card(DbusApiServer *server, const char *modem);
void dbus_api_server_remove_card(DbusApiServer *server, const char *path);
void dbus_api_server_set_card_identifier(DbusApiServer *server, const char *path,
                                         const char *identifier);
/* "unknown", "reading", "disabled", "none" (the card has no bootstrap), "applied", "error". */
void dbus_api_server_set_card_bootstrap_state(DbusApiServer *server, const char *path,
                                              const char *state);
/* The DM server the card's bootstrap names: its account's ServerID, "" when none. */
void dbus_api_server_set_card_server_id(DbusApiServer *server, const char *path,
                                        const char *server_id);
void dbus_api_server_set_card_ports(DbusApiServer *server, const char *path, const guint16 *ports,
                                    gsize n_ports);

/* Manager.NotificationReceived(a{sv}): a DM notification arrived (design §4). */
typedef struct {
    const char *origin; /* "card" or "network" */
    const char *server_id;
    guint16 session_id;
    const char *ui_mode;
    const char *initiator;
    const char *card; /* object path, or NULL */
    const guint8 *package0;
    gsize package0_length;
    gboolean verified; /* the digest holds with the named server's account */
} DbusApiNotification;

void dbus_api_server_emit_notification(DbusApiServer *server,
                                       const DbusApiNotification *notification);

/* --- Sessions (design §8) -------------------------------------------------------------------- */

#define DBUS_API_SESSION_INTERFACE "org.dmscd.Dmsc1.Session"
#define DBUS_API_SESSION_PREFIX    DBUS_API_PATH "/Session"

/* What Trigger()'s options ask for; NULL members were not given. */
typedef struct {
    const char *encoding; /* "xml" or "wbxml" */
} DbusApiTriggerOptions;

/*
 * Manager.Trigger(server_id, options): the daemon queues a client-initiated session and
 * returns its object path (newly allocated), or NULL with DM_ERROR_NOT_FOUND (no such server)
 * or another error. dbus/ turns DM_ERROR codes into the API's D-Bus errors; options it does
 * not know are InvalidArgs before the daemon sees them.
 */
typedef char *(*DbusApiTriggerFunc)(const char *server_id, const DbusApiTriggerOptions *options,
                                    gpointer user_data, GError **error);
void dbus_api_server_set_trigger_handler(DbusApiServer *server, DbusApiTriggerFunc func,
                                         gpointer user_data);
/* Members of group @gid may call the methods too ([dbus] admin-group); root always may. */
void dbus_api_server_set_admin_group(DbusApiServer *server, unsigned int gid);

/* A queued session's object (State "queued"); its path, owned by the server. */
const char *dbus_api_server_add_session(DbusApiServer *server, const char *server_id,
                                        const char *session_id, const char *origin);
/* The session's attempt @attempts (from 1) talks to its server now. */
void dbus_api_server_set_session_running(DbusApiServer *server, const char *path, guint attempts);
/* Attempt @attempts failed; the session waits to be tried again. */
void dbus_api_server_set_session_queued(DbusApiServer *server, const char *path, guint attempts);
/*
 * The session ended: State @state ("finished", "failed"), Result {result: @result, error:
 * @error_text}, Ended, Changes (@changes: uri, command, status, … NULL-terminated), then
 * Manager.SessionFinished(path, @result). The oldest finished sessions leave the bus.
 */
void dbus_api_server_finish_session(DbusApiServer *server, const char *path, const char *state,
                                    const char *result, const char *error_text,
                                    const char *const *changes);

/* --- The agent (design §8) ------------------------------------------------------------------ */

/* A DM server's user interaction alert, as the agent is asked it. */
typedef struct {
    int code; /* 1100 display, 1101 confirm, 1102 input, 1103 one choice, 1104 several */
    const char *text;
    guint min_seconds;            /* DisplayAlert */
    guint max_length;             /* Input */
    const char *default_response; /* Input */
    const char *const *choices;   /* Choose, NULL-terminated */
    guint timeout_seconds;        /* the daemon's: no answer by then is none */
} DbusApiAlert;

/* @status: 200 done or yes, 304 no, 408 no answer; @items: the text or the choices picked. */
typedef void (*DbusApiAgentReply)(int status, const char *const *items, gpointer user_data);
gboolean dbus_api_server_has_agent(DbusApiServer *server);
/* Asks the registered agent; @reply is called once, later. FALSE (and no reply) without one. */
gboolean dbus_api_server_ask_agent(DbusApiServer *server, const DbusApiAlert *alert,
                                   DbusApiAgentReply reply, gpointer user_data);

/* --- The device's DM tree (Manager.GetNode, ListNodes) --------------------------------------- */

/* A node as GetNode gives it: the value's bytes are read by its format. */
typedef struct {
    char *format; /* chr, int, bool, bin, node, b64, xml, null, float, date, time */
    char *type;   /* MIME type, "" when none */
    GBytes *value;
    char **children; /* for an interior node */
} DbusApiNode;
void dbus_api_node_clear(DbusApiNode *node);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(DbusApiNode, dbus_api_node_clear)
/*
 * The daemon's tree reader: fills @node for @uri, or fails with DM_ERROR_NOT_FOUND,
 * DM_ERROR_INVALID (a malformed URI) or DM_ERROR_DENIED (a secret).
 */
typedef gboolean (*DbusApiNodeFunc)(const char *uri, DbusApiNode *node, gpointer user_data,
                                    GError **error);
void dbus_api_server_set_node_reader(DbusApiServer *server, DbusApiNodeFunc func,
                                     gpointer user_data);
