/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's DM tree: loaded from the state directory at start, with the standard objects. */
#include "dmscd.h"

#include "dbus/dbus-api.h"

#include <errno.h>
#include <glib/gstdio.h>

#define TREE_FILE "tree"

/* A stable DevId until a modem's IMEI has been read: this machine's id. */
static char *machine_dev_id(void)
{
    g_autofree char *id = NULL;

    if (!g_file_get_contents("/etc/machine-id", &id, NULL, NULL))
        return g_strdup("unknown");
    return g_strconcat("linux:", g_strstrip(id), NULL);
}

char *dmscd_tree_path(const DmscdConfig *config)
{
    return g_build_filename(config->state_directory, TREE_FILE, NULL);
}

DmTree *dmscd_tree_open(const DmscdConfig *config, GError **error)
{
    g_autofree char *path = dmscd_tree_path(config);
    g_autofree char *aside = NULL;
    g_autofree char *dev_id = NULL;
    g_autoptr(GError) load_error = NULL;
    g_autoptr(DmTree) tree = NULL;
    DmDeviceInfo info = { .manufacturer = "dmscd",
                          .model = "Linux",
                          .software_version = DMSCD_VERSION };

    if (g_mkdir_with_parents(config->state_directory, 0700) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot create the state directory %s: %s", config->state_directory,
                    g_strerror(errno));
        return NULL;
    }
    tree = dm_tree_load(path, &aside, &load_error);
    if (tree == NULL && !g_error_matches(load_error, DM_ERROR, DM_ERROR_CORRUPT)) {
        g_propagate_error(error, g_steal_pointer(&load_error));
        return NULL;
    }
    if (tree == NULL) {
        /* Reported, kept aside, and replaced by a fresh tree: never silently lost. */
        g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE_ID",
                         DMSCD_MESSAGE_TREE_CORRUPT, "MESSAGE", "%s", load_error->message);
        tree = dm_tree_new();
    }
    /* The DevId a modem gave (IMEI:…) stays until a modem gives another. */
    dev_id = dm_tree_dup_dev_id(tree);
    if (dev_id == NULL || !g_str_has_prefix(dev_id, "IMEI:")) {
        g_free(dev_id);
        dev_id = machine_dev_id();
    }
    info.dev_id = dev_id;
    dm_tree_add_standard_objects(tree, &info);
    if (!dm_tree_save(tree, path, error))
        return NULL;
    g_debug("DM tree: %s", path);
    return g_steal_pointer(&tree);
}

gboolean dmscd_tree_apply_bootstrap(DmscdTree *tree, const char *previous, const char *origin,
                                    GBytes *data, char **server_id, GError **error)
{
    g_autoptr(DmTree) without = NULL;
    g_autoptr(DmTree) applied = NULL;

    /* The old card's account must go before the new one's is added where it was. */
    if (previous != NULL && g_strcmp0(previous, origin) != 0) {
        without = dm_tree_copy(tree->tree);
        dm_tree_remove_origin(without, previous);
    }
    applied = dm_bootstrap_apply(without ? without : tree->tree, g_bytes_get_data(data, NULL),
                                 g_bytes_get_size(data), origin, server_id, error);

    /* Saved first: the tree in memory never runs ahead of the one on disk. */
    if (applied == NULL || !dm_tree_save(applied, tree->path, error)) {
        if (server_id != NULL)
            g_clear_pointer(server_id, g_free);
        return FALSE;
    }
    dm_tree_free(tree->tree);
    tree->tree = g_steal_pointer(&applied);
    return TRUE;
}

gboolean dmscd_tree_remove_card(DmscdTree *tree, const char *origin, guint *removed, GError **error)
{
    g_autoptr(DmTree) copy = dm_tree_copy(tree->tree);
    guint n = dm_tree_remove_origin(copy, origin);

    if (removed != NULL)
        *removed = n;
    if (n == 0)
        return TRUE;
    if (!dm_tree_save(copy, tree->path, error))
        return FALSE;
    dm_tree_free(tree->tree);
    tree->tree = g_steal_pointer(&copy);
    return TRUE;
}

gboolean dmscd_tree_set_dev_id(DmscdTree *tree, const char *modem, const char *dev_id,
                               gboolean *changed, GError **error)
{
    g_autoptr(DmTree) copy = NULL;

    *changed = FALSE;
    /* One device, one DevId: the first modem that gives one keeps it while it is there. */
    if (tree->dev_id_modem != NULL && g_strcmp0(tree->dev_id_modem, modem) != 0)
        return TRUE;
    copy = dm_tree_copy(tree->tree);
    if (!dm_tree_set_dev_id(copy, dev_id)) {
        g_free(tree->dev_id_modem);
        tree->dev_id_modem = g_strdup(modem);
        return TRUE;
    }
    if (!dm_tree_save(copy, tree->path, error))
        return FALSE;
    dm_tree_free(tree->tree);
    tree->tree = g_steal_pointer(&copy);
    g_free(tree->dev_id_modem);
    tree->dev_id_modem = g_strdup(modem);
    *changed = TRUE;
    return TRUE;
}

void dmscd_tree_release_dev_id(DmscdTree *tree, const char *modem)
{
    if (g_strcmp0(tree->dev_id_modem, modem) == 0)
        g_clear_pointer(&tree->dev_id_modem, g_free);
}

void dmscd_tree_claim_card(DmscdTree *tree, const char *origin)
{
    guint count;

    if (tree->cards == NULL)
        tree->cards = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    count = GPOINTER_TO_UINT(g_hash_table_lookup(tree->cards, origin));
    g_hash_table_insert(tree->cards, g_strdup(origin), GUINT_TO_POINTER(count + 1));
}

void dmscd_tree_release_card(DmscdTree *tree, const char *origin)
{
    guint count;

    if (tree->cards == NULL || origin == NULL)
        return;
    count = GPOINTER_TO_UINT(g_hash_table_lookup(tree->cards, origin));
    if (count <= 1)
        g_hash_table_remove(tree->cards, origin);
    else
        g_hash_table_insert(tree->cards, g_strdup(origin), GUINT_TO_POINTER(count - 1));
}

void dmscd_tree_hold_sweep(DmscdTree *tree)
{
    tree->unsettled++;
}

void dmscd_tree_release_sweep(DmscdTree *tree)
{
    g_return_if_fail(tree->unsettled > 0);
    tree->unsettled--;
}

gboolean dmscd_tree_sweep_cards(DmscdTree *tree, guint *removed, GError **error)
{
    g_autoptr(GPtrArray) origins = NULL;
    g_autoptr(DmTree) copy = NULL;
    guint n = 0;

    if (removed != NULL)
        *removed = 0;
    if (tree->unsettled > 0)
        return TRUE;
    origins = dm_tree_list_origins(tree->tree);

    for (guint i = 0; i < origins->len; i++) {
        const char *origin = g_ptr_array_index(origins, i);
        if (!g_str_has_prefix(origin, "card:") ||
            (tree->cards != NULL && g_hash_table_contains(tree->cards, origin)))
            continue;
        if (copy == NULL)
            copy = dm_tree_copy(tree->tree);
        n += dm_tree_remove_origin(copy, origin);
    }
    if (removed != NULL)
        *removed = n;
    if (copy == NULL)
        return TRUE;
    if (!dm_tree_save(copy, tree->path, error))
        return FALSE;
    dm_tree_free(tree->tree);
    tree->tree = g_steal_pointer(&copy);
    return TRUE;
}

gboolean dmscd_tree_read_node(DmscdTree *tree, const char *uri, DbusApiNode *node, GError **error)
{
    int status = 0;
    g_autofree char *canonical = dm_uri_normalize(uri, &status);
    g_autoptr(GPtrArray) children = NULL;
    DmNodeInfo info;

    if (canonical == NULL) {
        g_set_error(error, DBUS_API_ERROR, DBUS_API_ERROR_INVALID, "not a node URI: %s", uri);
        return FALSE;
    }
    if (!dm_tree_get(tree->tree, canonical, &info)) {
        g_set_error(error, DBUS_API_ERROR, DBUS_API_ERROR_NOT_FOUND, "no node %s", canonical);
        return FALSE;
    }
    /* Secrets are never read back, by servers or on the bus (design §5). */
    if (g_str_equal(info.name, "AAuthSecret")) {
        g_set_error(error, DBUS_API_ERROR, DBUS_API_ERROR_DENIED, "%s is a secret", canonical);
        return FALSE;
    }
    node->format = g_strdup(info.format ? info.format : "chr");
    node->type = g_strdup(info.type ? info.type : "");
    node->value = g_bytes_new(info.value, info.value_length);
    children = dm_tree_list(tree->tree, canonical);
    if (children != NULL) {
        g_ptr_array_add(children, NULL);
        node->children = g_strdupv((char **)children->pdata);
    }
    return TRUE;
}
