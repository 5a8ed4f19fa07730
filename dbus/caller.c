/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who may call the methods, and the libraries' errors as the API's D-Bus errors. */
#include "dbus-private.h"

#include "dm/dm.h"

/* Root, or a member of the admin group (the bus policy lets others reach us for this). */
static gboolean caller_is_admin(DbusApiServer *server, sd_bus_creds *creds)
{
    const gid_t *gids = NULL;
    uid_t euid;
    gid_t egid;
    int n;

    if (sd_bus_creds_get_euid(creds, &euid) >= 0 && euid == 0)
        return TRUE;
    if (!server->has_admin_gid)
        return FALSE;
    if (sd_bus_creds_get_egid(creds, &egid) >= 0 && egid == server->admin_gid)
        return TRUE;
    n = sd_bus_creds_get_supplementary_gids(creds, &gids);
    for (int i = 0; i < n; i++) {
        if (gids[i] == server->admin_gid)
            return TRUE;
    }
    return FALSE;
}

int dbus_api_check_caller(DbusApiServer *server, sd_bus_message *m, sd_bus_error *error)
{
    g_autoptr(sd_bus_creds) creds = NULL;
    int r;

    r = sd_bus_query_sender_creds(m,
                                  SD_BUS_CREDS_EUID | SD_BUS_CREDS_EGID |
                                      SD_BUS_CREDS_SUPPLEMENTARY_GIDS | SD_BUS_CREDS_AUGMENT,
                                  &creds);
    if (r < 0 || !caller_is_admin(server, creds))
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
