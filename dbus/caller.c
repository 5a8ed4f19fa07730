/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who may call the methods, and the libraries' errors as the API's D-Bus errors. */
#include "dbus-private.h"

#include "dm/dm.h"

/* What the bus says of the caller's connection: its user and groups as they were when it
 * connected. */
typedef struct {
    gboolean has_uid;
    guint32 uid;
    GArray *gids; /* guint32 */
} Credentials;

static void credentials_clear(Credentials *c)
{
    g_clear_pointer(&c->gids, g_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Credentials, credentials_clear)

/* One entry of GetConnectionCredentials' a{sv}: UnixUserID (u) and UnixGroupIDs (au) are
 * kept, the rest skipped. */
static int read_credential(sd_bus_message *reply, Credentials *c)
{
    const char *key;
    int r;

    r = sd_bus_message_read(reply, "s", &key);
    if (r < 0)
        return r;
    if (g_str_equal(key, "UnixUserID")) {
        r = sd_bus_message_read(reply, "v", "u", &c->uid);
        c->has_uid = r >= 0;
        return r;
    }
    if (g_str_equal(key, "UnixGroupIDs")) {
        const guint32 *gids = NULL;
        size_t size = 0;

        r = sd_bus_message_enter_container(reply, 'v', "au");
        if (r < 0)
            return r;
        r = sd_bus_message_read_array(reply, 'u', (const void **)&gids, &size);
        if (r < 0)
            return r;
        g_array_append_vals(c->gids, gids, (guint)(size / sizeof(guint32)));
        return sd_bus_message_exit_container(reply);
    }
    return sd_bus_message_skip(reply, "v");
}

/*
 * The credentials the bus vouches for (GetConnectionCredentials): recorded by the bus when
 * the caller connected, never read from /proc at call time, where another program may have
 * taken the caller's PID meanwhile (and which ProtectProc= may hide from us).
 */
static int query_credentials(sd_bus_message *m, Credentials *c)
{
    g_autoptr(sd_bus_message) reply = NULL;
    sd_bus_error error = SD_BUS_ERROR_NULL;
    const char *sender = sd_bus_message_get_sender(m);
    int r;

    if (sender == NULL)
        return -ENXIO;
    r = sd_bus_call_method(sd_bus_message_get_bus(m), "org.freedesktop.DBus",
                           "/org/freedesktop/DBus", "org.freedesktop.DBus",
                           "GetConnectionCredentials", &error, &reply, "s", sender);
    sd_bus_error_free(&error);
    if (r < 0)
        return r;
    c->gids = g_array_new(FALSE, FALSE, sizeof(guint32));
    r = sd_bus_message_enter_container(reply, 'a', "{sv}");
    if (r < 0)
        return r;
    while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
        r = read_credential(reply, c);
        if (r < 0)
            return r;
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
            return r;
    }
    return r;
}

/* Root, or a member of the admin group (the bus policy lets others reach us for this). */
static gboolean caller_is_admin(DbusApiServer *server, const Credentials *c)
{
    if (!c->has_uid)
        return FALSE;
    if (c->uid == 0)
        return TRUE;
    if (!server->has_admin_gid)
        return FALSE;
    for (guint i = 0; i < c->gids->len; i++) {
        if (g_array_index(c->gids, guint32, i) == server->admin_gid)
            return TRUE;
    }
    return FALSE;
}

int dbus_api_check_caller(DbusApiServer *server, sd_bus_message *m, sd_bus_error *error)
{
    g_auto(Credentials) c = { 0 };
    int r = query_credentials(m, &c);

    if (r < 0 || !caller_is_admin(server, &c))
        return sd_bus_error_set(error, DBUS_API_ERROR_NAME_PERMISSION,
                                "permission denied: root or the admin group only");
    return 0;
}

int dbus_api_error_set_from(sd_bus_error *error, const GError *failure)
{
    const char *name = DBUS_API_ERROR_NAME_FAILED;

    if (failure->domain == DM_ERROR) {
        switch (failure->code) {
        case DM_ERROR_NOT_FOUND:
            name = DBUS_API_ERROR_NAME_NOT_FOUND;
            break;
        case DM_ERROR_INVALID:
        case DM_ERROR_MALFORMED:
            name = DBUS_API_ERROR_NAME_INVALID_ARGS;
            break;
        case DM_ERROR_DENIED:
            name = DBUS_API_ERROR_NAME_PERMISSION;
            break;
        case DM_ERROR_BUSY:
            name = DBUS_API_ERROR_NAME_BUSY;
            break;
        default:
            break;
        }
    }
    return sd_bus_error_set(error, name, failure->message);
}
