/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ModemManager discovery (design §2.1) with libmm-glib. */
#include "libmodem-private.h"

struct ModemDiscovery {
    char *proxy_path;
    ModemOptions options;
    const ModemEvents *events;
    gpointer user_data;
    MMManager *manager;
    GHashTable *modems; /* ModemManager object path → Modem * */
    GCancellable *cancellable;
};

/* "/dev/cdc-wdm0" for the modem's QMI port, or NULL. */
static char *qmi_port(MMModem *modem)
{
    const MMModemPortInfo *ports = NULL;
    guint n = 0;

    if (!mm_modem_peek_ports(modem, &ports, &n))
        return NULL;
    for (guint i = 0; i < n; i++) {
        if (ports[i].type == MM_MODEM_PORT_TYPE_QMI)
            return g_strconcat("/dev/", ports[i].name, NULL);
    }
    return NULL;
}

typedef struct {
    ModemDiscovery *discovery;
    char *path;
} SimLookup;

static void on_sim(GObject *source, GAsyncResult *result, gpointer user_data)
{
    SimLookup *lookup = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(MMSim) sim = mm_modem_get_sim_finish(MM_MODEM(source), result, &error);
    Modem *modem;

    if (sim != NULL && !g_cancellable_is_cancelled(lookup->discovery->cancellable) &&
        (modem = g_hash_table_lookup(lookup->discovery->modems, lookup->path)) != NULL)
        modem_set_sim_identifier(modem, mm_sim_get_identifier(sim));
    else if (error != NULL && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug("ModemManager: no SIM for %s: %s", lookup->path, error->message);
    g_free(lookup->path);
    g_free(lookup);
}

typedef struct {
    ModemDiscovery *discovery;
    char *modem_path;
    char *sms_path;
} SmsLookup;

static void sms_lookup_free(SmsLookup *lookup)
{
    g_free(lookup->modem_path);
    g_free(lookup->sms_path);
    g_free(lookup);
}

/* A received SMS: ModemManager hands its data reassembled and without the UDH ports, so a DM
 * notification is recognised from the WSP push header alone (design §2.1). */
static void check_sms(ModemDiscovery *discovery, const char *modem_path, MMSms *sms)
{
    Modem *modem = g_hash_table_lookup(discovery->modems, modem_path);
    const guint8 *data;
    gsize length = 0;
    CatWapPush push;

    if (mm_sms_get_pdu_type(sms) != MM_SMS_PDU_TYPE_DELIVER ||
        (data = mm_sms_get_data(sms, &length)) == NULL ||
        !cat_wap_push_parse(data, length, &push, NULL) || !push.is_dm_notification)
        return;
    g_debug("ModemManager: SMS %s carries a DM notification", mm_sms_get_path(sms));
    /* @modem may be NULL: one ModemManager dropped while its message was being read. */
    if (discovery->events->network_trigger != NULL)
        discovery->events->network_trigger(modem, push.body, push.body_length,
                                           discovery->user_data);
}

static void on_sms_list(GObject *source, GAsyncResult *result, gpointer user_data)
{
    SmsLookup *lookup = user_data;
    g_autoptr(GError) error = NULL;
    GList *list = mm_modem_messaging_list_finish(MM_MODEM_MESSAGING(source), result, &error);

    if (!g_cancellable_is_cancelled(lookup->discovery->cancellable)) {
        for (GList *l = list; l != NULL; l = l->next) {
            if (g_str_equal(mm_sms_get_path(l->data), lookup->sms_path))
                check_sms(lookup->discovery, lookup->modem_path, l->data);
        }
    }
    g_list_free_full(list, g_object_unref);
    sms_lookup_free(lookup);
}

static void on_sms_added(MMModemMessaging *messaging, const char *path, gboolean received,
                         gpointer user_data)
{
    ModemDiscovery *discovery = user_data;
    SmsLookup *lookup;

    if (!received)
        return;
    lookup = g_new0(SmsLookup, 1);
    lookup->discovery = discovery;
    lookup->modem_path = g_strdup(mm_modem_messaging_get_path(messaging));
    lookup->sms_path = g_strdup(path);
    mm_modem_messaging_list(messaging, discovery->cancellable, on_sms_list, lookup);
}

/*
 * Messaging comes with the modem or later (ModemManager adds it once the modem is enabled):
 * received SMS may be triggers, and the card's own short messages go out through it.
 */
static void watch_messaging(ModemDiscovery *discovery, Modem *ours, GDBusObject *object)
{
    MMModemMessaging *messaging = mm_object_peek_modem_messaging(MM_OBJECT(object));

    if (messaging == NULL || modem_peek_messaging(ours) == messaging)
        return;
    g_signal_connect(messaging, "added", G_CALLBACK(on_sms_added), discovery);
    modem_set_messaging(ours, messaging);
}

static void add_object(ModemDiscovery *discovery, GDBusObject *object)
{
    const char *path = g_dbus_object_get_object_path(object);
    MMModem *modem;
    g_autofree char *device = NULL;
    Modem *ours;
    SimLookup *lookup;

    /* A SIM, a bearer or a short message may be announced too: modems only (libmm-glib warns
     * when asked for the modem of an object that is none). */
    if (mm_gdbus_object_peek_modem(MM_GDBUS_OBJECT(object)) == NULL)
        return;
    modem = mm_object_peek_modem(MM_OBJECT(object));
    if ((ours = g_hash_table_lookup(discovery->modems, path)) != NULL) {
        watch_messaging(discovery, ours, object);
        return;
    }
    device = qmi_port(modem);
    if (device == NULL) {
        g_message("ModemManager: %s has no QMI port; not ours", path);
        return;
    }
    g_message("ModemManager: %s on %s", path, device);
    ours = modem_new(device, discovery->proxy_path, &discovery->options, discovery->events,
                     discovery->user_data);
    g_hash_table_insert(discovery->modems, g_strdup(path), ours);
    lookup = g_new0(SimLookup, 1);
    lookup->discovery = discovery;
    lookup->path = g_strdup(path);
    mm_modem_get_sim(modem, discovery->cancellable, on_sim, lookup);
    watch_messaging(discovery, ours, object);
}

static void on_object_added(GDBusObjectManager *manager, GDBusObject *object, gpointer data)
{
    add_object(data, object);
}

static void on_interface_added(GDBusObjectManager *manager, GDBusObject *object,
                               GDBusInterface *interface, gpointer data)
{
    add_object(data, object);
}

static void on_object_removed(GDBusObjectManager *manager, GDBusObject *object, gpointer data)
{
    ModemDiscovery *discovery = data;
    const char *path = g_dbus_object_get_object_path(object);

    if (g_hash_table_remove(discovery->modems, path))
        g_message("ModemManager: %s gone", path);
}

static void on_manager(GObject *source, GAsyncResult *result, gpointer user_data)
{
    ModemDiscovery *discovery = user_data;
    g_autoptr(GError) error = NULL;
    MMManager *manager = mm_manager_new_finish(result, &error);
    GList *objects;

    if (manager == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_warning("ModemManager: %s", error->message);
        return;
    }
    discovery->manager = manager;
    /* Modems come and go, and all of them go and come back when ModemManager restarts:
     * the object manager client reports both as removed and added objects. */
    g_signal_connect(manager, "object-added", G_CALLBACK(on_object_added), discovery);
    g_signal_connect(manager, "object-removed", G_CALLBACK(on_object_removed), discovery);
    g_signal_connect(manager, "interface-added", G_CALLBACK(on_interface_added), discovery);
    objects = g_dbus_object_manager_get_objects(G_DBUS_OBJECT_MANAGER(manager));
    g_debug("ModemManager: watching, %u objects", g_list_length(objects));
    for (GList *l = objects; l != NULL; l = l->next)
        add_object(discovery, l->data);
    g_list_free_full(objects, g_object_unref);
}

static void on_bus(GObject *source, GAsyncResult *result, gpointer user_data)
{
    ModemDiscovery *discovery = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) connection = g_bus_get_finish(result, &error);

    if (connection == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_warning("ModemManager: no bus: %s", error->message);
        return;
    }
    /* The bus going away is the daemon's to handle (it stops with a failure, for systemd to
     * start it again). GDBus would raise SIGTERM on its own: a clean stop, never restarted. */
    g_dbus_connection_set_exit_on_close(connection, FALSE);
    mm_manager_new(connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
                   discovery->cancellable, on_manager, discovery);
}

ModemDiscovery *modem_discovery_new(gboolean session_bus, const char *proxy_path,
                                    const ModemOptions *options, const ModemEvents *events,
                                    gpointer user_data)
{
    ModemDiscovery *discovery = g_new0(ModemDiscovery, 1);

    discovery->proxy_path = g_strdup(proxy_path);
    discovery->options = *options;
    discovery->events = events;
    discovery->user_data = user_data;
    discovery->cancellable = g_cancellable_new();
    discovery->modems =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)modem_free);
    g_bus_get(session_bus ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, discovery->cancellable, on_bus,
              discovery);
    return discovery;
}

void modem_discovery_free(ModemDiscovery *discovery)
{
    if (discovery == NULL)
        return;
    g_cancellable_cancel(discovery->cancellable);
    if (discovery->manager != NULL) {
        GList *objects =
            g_dbus_object_manager_get_objects(G_DBUS_OBJECT_MANAGER(discovery->manager));
        for (GList *l = objects; l != NULL; l = l->next) {
            MMModemMessaging *messaging = mm_object_peek_modem_messaging(l->data);
            if (messaging != NULL)
                g_signal_handlers_disconnect_by_data(messaging, discovery);
        }
        g_list_free_full(objects, g_object_unref);
        g_signal_handlers_disconnect_by_data(discovery->manager, discovery);
    }
    g_hash_table_unref(discovery->modems);
    g_clear_object(&discovery->manager);
    g_object_unref(discovery->cancellable);
    g_free(discovery->proxy_path);
    g_free(discovery);
}
