/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's DM tree: loaded from the state directory at start, with the standard objects. */
#include "dmscd.h"

#include "dbus/dbus-api.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

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
    return g_build_filename(config->state_directory, DMSCD_TREE_FILE, NULL);
}

/* "@file." and the six letters or digits of GLib's temporary file names. */
static gboolean is_partial_save(const char *name, const char *file)
{
    gsize length = strlen(file);

    if (strncmp(name, file, length) != 0 || name[length] != '.' || strlen(name) != length + 7)
        return FALSE;
    for (const char *p = name + length + 1; *p != '\0'; p++)
        if (!g_ascii_isalnum(*p))
            return FALSE;
    return TRUE;
}

/*
 * A save writes "tree.XXXXXX" (or "sessions.XXXXXX") and renames it over the file; a crash or
 * a power cut between the two leaves it behind, and nothing else ever removes it. Only the
 * instance that owns the bus name gets here, before its first save: none is in flight.
 */
static void remove_partial_saves(const char *directory)
{
    g_autoptr(GDir) dir = g_dir_open(directory, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = NULL;
        GStatBuf st;

        if (!is_partial_save(name, DMSCD_TREE_FILE) && !is_partial_save(name, DMSCD_SESSIONS_FILE))
            continue;
        path = g_build_filename(directory, name, NULL);
        if (g_lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (g_unlink(path) == 0)
            g_message("removed %s, left by a save that a crash cut short", path);
        else
            g_warning("cannot remove %s, left by a save cut short: %s", path, g_strerror(errno));
    }
}

DmTree *dmscd_tree_open(const DmscdConfig *config, GError **error)
{
    g_autofree char *path = dmscd_tree_path(config);
    g_autofree char *aside = NULL;
    g_autofree char *dev_id = NULL;
    g_autoptr(GError) load_error = NULL;
    g_autoptr(GError) save_error = NULL;
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
    remove_partial_saves(config->state_directory);
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
    /* A full or read-only disk is no reason to stop serving the card and the bus: every
     * change to the tree saves it first and is refused while that fails, so nothing runs
     * ahead of the disk, and saves work again once the disk does. */
    if (!dm_tree_save(tree, path, &save_error))
        g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE_ID",
                         DMSCD_MESSAGE_TREE_UNSAVED, "MESSAGE",
                         "%s; going on with the tree as read, changes refused until a save works",
                         save_error->message);
    g_debug("DM tree: %s", path);
    return g_steal_pointer(&tree);
}

/* --- Writes: every change to the live tree goes through tree_write() ---------------------------
 */

/*
 * An edit works on a copy of the live tree (and may replace it with another tree): -1 with
 * @error when it fails (nothing changes), 0 when it changed nothing, 1 when it changed the copy.
 */
typedef int (*TreeEdit)(DmTree **copy, gpointer data, GError **error);

/*
 * The one place the live tree changes: the edit runs on a copy, the copy is saved, and only
 * then becomes the live tree, so the tree in memory never runs ahead of the one on disk and a
 * failed edit or save leaves both as they were. Writes come one after the other on the main
 * loop, each onto the tree the previous one left.
 */
static gboolean tree_write(DmscdTree *tree, TreeEdit edit, gpointer data, gboolean *changed,
                           GError **error)
{
    g_autoptr(DmTree) copy = dm_tree_copy(tree->tree);
    int r;

    if (changed != NULL)
        *changed = FALSE;
    r = edit(&copy, data, error);
    if (r < 0)
        return FALSE;
    if (r == 0)
        return TRUE;
    if (!dm_tree_save(copy, tree->path, error))
        return FALSE;
    dm_tree_unref(tree->tree);
    tree->tree = g_steal_pointer(&copy);
    if (changed != NULL)
        *changed = TRUE;
    return TRUE;
}

typedef struct {
    const char *previous;
    const char *origin;
    GBytes *data;
    char **server_id;
} BootstrapEdit;

static int edit_bootstrap(DmTree **copy, gpointer data, GError **error)
{
    BootstrapEdit *b = data;
    DmTree *applied;

    /* The old card's account must go before the new one's is added where it was. */
    if (b->previous != NULL && g_strcmp0(b->previous, b->origin) != 0)
        dm_tree_remove_origin(*copy, b->previous);
    applied = dm_bootstrap_apply(*copy, g_bytes_get_data(b->data, NULL), g_bytes_get_size(b->data),
                                 b->origin, b->server_id, error);
    if (applied == NULL)
        return -1;
    dm_tree_unref(*copy);
    *copy = applied;
    return 1;
}

gboolean dmscd_tree_apply_bootstrap(DmscdTree *tree, const char *previous, const char *origin,
                                    GBytes *data, char **server_id, GError **error)
{
    BootstrapEdit b = { previous, origin, data, server_id };

    if (tree_write(tree, edit_bootstrap, &b, NULL, error))
        return TRUE;
    if (server_id != NULL)
        g_clear_pointer(server_id, g_free);
    return FALSE;
}

typedef struct {
    const char *const *origins; /* NULL-terminated */
    guint removed;
} RemoveEdit;

static int edit_remove_origins(DmTree **copy, gpointer data, GError **error)
{
    RemoveEdit *r = data;

    for (const char *const *o = r->origins; *o != NULL; o++)
        r->removed += dm_tree_remove_origin(*copy, *o);
    return r->removed > 0 ? 1 : 0;
}

gboolean dmscd_tree_remove_card(DmscdTree *tree, const char *origin, guint *removed, GError **error)
{
    const char *origins[] = { origin, NULL };
    RemoveEdit r = { origins, 0 };
    gboolean ok = tree_write(tree, edit_remove_origins, &r, NULL, error);

    if (removed != NULL)
        *removed = ok ? r.removed : 0;
    return ok;
}

static int edit_dev_id(DmTree **copy, gpointer data, GError **error)
{
    return dm_tree_set_dev_id(*copy, data) ? 1 : 0;
}

gboolean dmscd_tree_set_dev_id(DmscdTree *tree, const char *modem, const char *dev_id,
                               gboolean *changed, GError **error)
{
    *changed = FALSE;
    /* One device, one DevId: the first modem that gives one keeps it while it is there. */
    if (tree->dev_id_modem != NULL && g_strcmp0(tree->dev_id_modem, modem) != 0)
        return TRUE;
    if (!tree_write(tree, edit_dev_id, (gpointer)dev_id, changed, error))
        return FALSE;
    g_free(tree->dev_id_modem);
    tree->dev_id_modem = g_strdup(modem);
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
    g_autoptr(GPtrArray) absent = g_ptr_array_new();
    RemoveEdit r = { NULL, 0 };
    gboolean ok;

    if (removed != NULL)
        *removed = 0;
    if (tree->unsettled > 0)
        return TRUE;
    origins = dm_tree_list_origins(tree->tree);
    for (guint i = 0; i < origins->len; i++) {
        const char *origin = g_ptr_array_index(origins, i);
        if (g_str_has_prefix(origin, "card:") &&
            (tree->cards == NULL || !g_hash_table_contains(tree->cards, origin)))
            g_ptr_array_add(absent, (gpointer)origin);
    }
    if (absent->len == 0)
        return TRUE;
    g_ptr_array_add(absent, NULL);
    r.origins = (const char *const *)absent->pdata;
    ok = tree_write(tree, edit_remove_origins, &r, NULL, error);
    if (removed != NULL)
        *removed = ok ? r.removed : 0;
    return ok;
}

/* --- A session's commit ----------------------------------------------------------------------- */

/*
 * What a credential's AAuthData holds when it holds @nonce, in the form the node has (b64
 * text, or bytes); NULL when the credential is gone: a card taken out during the session took
 * its account with it, and a nonce must not bring any of it back.
 */
static GBytes *nonce_value(const DmTree *tree, const DmAccountCredential *credential, GBytes *nonce,
                           char **uri, char **format)
{
    DmNodeInfo info;
    gsize length;
    const guint8 *bytes;

    if (credential->node == NULL || nonce == NULL || !dm_tree_exists(tree, credential->node))
        return NULL;
    *uri = g_strconcat(credential->node, "/AAuthData", NULL);
    bytes = g_bytes_get_data(nonce, &length);
    if (!dm_tree_get(tree, *uri, &info) || g_strcmp0(info.format, "b64") == 0) {
        char *text = g_base64_encode(bytes, length);

        *format = g_strdup("b64");
        return g_bytes_new_take(text, strlen(text));
    }
    *format = g_strdup(info.format);
    return g_bytes_ref(nonce);
}

/* The node at @uri holds @value in @format already. */
static gboolean node_holds(const DmTree *tree, const char *uri, const char *format, GBytes *value)
{
    DmNodeInfo info;
    gsize length;
    const guint8 *bytes = g_bytes_get_data(value, &length);

    return dm_tree_get(tree, uri, &info) && g_strcmp0(info.format, format) == 0 &&
           info.value_length == length && (length == 0 || memcmp(info.value, bytes, length) == 0);
}

/* The credential's AAuthData holds @nonce already (or the credential is gone). */
static gboolean nonce_stored(const DmTree *tree, const DmAccountCredential *credential,
                             GBytes *nonce)
{
    g_autofree char *uri = NULL;
    g_autofree char *format = NULL;
    g_autoptr(GBytes) value = nonce_value(tree, credential, nonce, &uri, &format);

    return value == NULL || node_holds(tree, uri, format, value);
}

/* Stores @nonce as the credential's AAuthData: TRUE when that changed the tree. */
static gboolean store_nonce(DmTree *tree, const DmAccountCredential *credential, GBytes *nonce)
{
    g_autofree char *uri = NULL;
    g_autofree char *format = NULL;
    g_autoptr(GBytes) value = nonce_value(tree, credential, nonce, &uri, &format);
    gsize length;
    const guint8 *bytes;

    if (value == NULL || node_holds(tree, uri, format, value))
        return FALSE;
    bytes = g_bytes_get_data(value, &length);
    if (dm_tree_replace(tree, NULL, uri, format, NULL, bytes, length) == DM_STATUS_NOT_FOUND)
        (void)dm_tree_add(tree, NULL, uri, format, NULL, bytes, length);
    return TRUE;
}

typedef struct {
    const DmTreeDelta *delta;
    const DmAccount *account;
    GBytes *client_nonce;
    GBytes *server_nonce;
    GPtrArray *conflicts;
} CommitEdit;

static int edit_commit(DmTree **copy, gpointer data, GError **error)
{
    CommitEdit *c = data;
    guint changed = 0;

    if (c->delta != NULL)
        changed += dm_tree_delta_apply(c->delta, *copy, c->conflicts);
    changed += store_nonce(*copy, &c->account->client, c->client_nonce);
    changed += store_nonce(*copy, &c->account->server, c->server_nonce);
    return changed > 0 ? 1 : 0;
}

gboolean dmscd_tree_commit_session(DmscdTree *tree, const DmTreeDelta *delta,
                                   const DmAccount *account, GBytes *client_nonce,
                                   GBytes *server_nonce, GPtrArray *conflicts, GError **error)
{
    CommitEdit c = { delta, account, client_nonce, server_nonce, conflicts };
    guint before = conflicts != NULL ? conflicts->len : 0;

    /* Most sessions change nothing: no copy of the tree to find that out. */
    if ((delta == NULL || dm_tree_delta_length(delta) == 0) &&
        nonce_stored(tree->tree, &account->client, client_nonce) &&
        nonce_stored(tree->tree, &account->server, server_nonce))
        return TRUE;
    if (!tree_write(tree, edit_commit, &c, NULL, error)) {
        /* Nothing was applied: nothing conflicted either. */
        if (conflicts != NULL)
            g_ptr_array_set_size(conflicts, before);
        return FALSE;
    }
    return TRUE;
}

gboolean dmscd_tree_read_node(DmscdTree *tree, const char *uri, DbusApiNode *node, GError **error)
{
    int status = 0;
    g_autofree char *canonical = dm_uri_normalize(uri, &status);
    g_autoptr(GPtrArray) children = NULL;
    DmNodeInfo info;

    if (canonical == NULL) {
        g_set_error(error, DM_ERROR, DM_ERROR_INVALID, "not a node URI: %s", uri);
        return FALSE;
    }
    if (!dm_tree_get(tree->tree, canonical, &info)) {
        g_set_error(error, DM_ERROR, DM_ERROR_NOT_FOUND, "no node %s", canonical);
        return FALSE;
    }
    /* Secrets are never read back, by servers or on the bus (design §5). */
    if (g_str_equal(info.name, "AAuthSecret")) {
        g_set_error(error, DM_ERROR, DM_ERROR_DENIED, "%s is a secret", canonical);
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
