/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The card's files: its ICCID and DM bootstrap, read when the card appears and again after a
 * REFRESH, the bootstrap applied to the tree and taken away with the card (design §6).
 */
#include "modem-private.h"

#include <string.h>

static void on_iccid(GObject *source, GAsyncResult *result, gpointer user_data);

/* The UIM client that follows the card reads its files too, when there is one. */
static QmiClientUim *uim_client(DmscdModem *modem)
{
    return modem->uim != NULL ? modem_uim_watch_peek_client(modem->uim) : NULL;
}

/* The bootstrap is read after the ICCID: the nodes it creates are marked with it. */
void modem_read_card(DmscdModem *modem)
{
    if (modem->reads != NULL) {
        g_cancellable_cancel(modem->reads);
        g_object_unref(modem->reads);
    }
    modem->reads = g_cancellable_new();
    g_clear_pointer(&modem->iccid, g_free);
    modem_uim_read_iccid_async(modem->device, uim_client(modem), modem->reads, on_iccid, modem);
}

static void on_bootstrap(GObject *source, GAsyncResult *result, gpointer user_data);

/* The card has been read: a REFRESH that waits for us can complete. */
static void reads_done(DmscdModem *modem, gboolean ok)
{
    if (!modem->refresh_due)
        return;
    modem->refresh_due = FALSE;
    if (modem->uim != NULL)
        modem_uim_watch_refresh_complete(modem->uim, ok);
}

static void read_bootstrap(DmscdModem *modem)
{
    if (!modem->tree->card_bootstrap) {
        dbus_api_server_set_card_bootstrap_state(modem->bus, modem->card_path, "disabled");
        reads_done(modem, TRUE);
        return;
    }
    dbus_api_server_set_card_bootstrap_state(modem->bus, modem->card_path, "reading");
    modem_uim_read_bootstrap_async(modem->device, uim_client(modem), modem->reads, on_bootstrap,
                                   modem);
}

static void on_iccid(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmscdModem *modem = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *iccid = modem_uim_read_iccid_finish(result, &error);
    gsize length;

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || modem->card_path == NULL)
        return;
    if (iccid == NULL) {
        g_warning("card on %s: cannot read its ICCID: %s", modem->device_path, error->message);
        read_bootstrap(modem);
        return;
    }
    /* The whole ICCID only at debug level: it identifies the subscriber's card. */
    length = strlen(iccid);
    g_message("card on %s: ICCID ...%s", modem->device_path, iccid + (length > 4 ? length - 4 : 0));
    g_debug("card on %s: ICCID %s", modem->device_path, iccid);
    dbus_api_server_set_card_identifier(modem->bus, modem->card_path, iccid);
    g_free(modem->iccid);
    modem->iccid = g_steal_pointer(&iccid);
    read_bootstrap(modem);
}

/*
 * A card that now has no bootstrap takes its old nodes with it (one that cannot be read right
 * now keeps them; another card's bootstrap replaces them in one step).
 */
void modem_forget_card(DmscdModem *modem)
{
    g_autoptr(GError) error = NULL;
    guint removed = 0;

    if (modem->origin == NULL)
        return;
    if (!dmscd_tree_remove_card(modem->tree, modem->origin, &removed, &error)) {
        g_warning("card on %s: the DM tree keeps %s: %s", modem->device_path, modem->origin,
                  error->message);
        return;
    }
    g_message("card on %s: %u nodes of %s removed", modem->device_path, removed, modem->origin);
    g_clear_pointer(&modem->origin, g_free);
}

/* Without an ICCID the card is known by its modem's device. */
static char *card_origin(DmscdModem *modem)
{
    return g_strconcat("card:", modem->iccid ? modem->iccid : modem->device_path, NULL);
}

void modem_claim_card(DmscdModem *modem, char *origin)
{
    if (g_strcmp0(modem->claim, origin) == 0) {
        g_free(origin);
        return;
    }
    dmscd_tree_release_card(modem->tree, modem->claim);
    g_free(modem->claim);
    modem->claim = origin;
    if (origin != NULL)
        dmscd_tree_claim_card(modem->tree, origin);
}

/* Nodes of cards that no modem has: left by a card changed while dmscd did not run. */
static void sweep_cards(DmscdModem *modem)
{
    g_autoptr(GError) error = NULL;
    guint removed = 0;

    if (!dmscd_tree_sweep_cards(modem->tree, &removed, &error))
        g_warning("card on %s: nodes of absent cards stay: %s", modem->device_path, error->message);
    else if (removed > 0)
        g_message("card on %s: %u nodes of cards no modem has removed", modem->device_path,
                  removed);
}

void modem_settle(DmscdModem *modem)
{
    if (!modem->settled) {
        modem->settled = TRUE;
        dmscd_tree_release_sweep(modem->tree);
    }
    if (modem->tree->card_bootstrap)
        sweep_cards(modem);
}

static const char *apply_bootstrap(DmscdModem *modem, GBytes *data)
{
    g_autofree char *origin = card_origin(modem);
    g_autofree char *server_id = NULL;
    g_autoptr(GError) error = NULL;

    if (!dmscd_tree_apply_bootstrap(modem->tree, modem->origin, origin, data, &server_id, &error)) {
        g_warning("card on %s: its DM bootstrap (%zu bytes) is not applied: %s", modem->device_path,
                  g_bytes_get_size(data), error->message);
        return "error";
    }
    g_message("card on %s: DM bootstrap of %zu bytes applied (server %s)", modem->device_path,
              g_bytes_get_size(data), server_id ? server_id : "none");
    if (modem->origin != NULL && g_strcmp0(modem->origin, origin) != 0)
        g_message("card on %s: nodes of %s removed", modem->device_path, modem->origin);
    g_free(modem->origin);
    modem->origin = g_steal_pointer(&origin);
    dbus_api_server_set_card_server_id(modem->bus, modem->card_path, server_id);
    return "applied";
}

static void on_bootstrap(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmscdModem *modem = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) data = modem_uim_read_bootstrap_finish(result, &error);
    const char *state;
    gboolean read = TRUE;

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || modem->card_path == NULL)
        return;
    if (data != NULL) {
        state = apply_bootstrap(modem, data);
    } else if (g_error_matches(error, MODEM_ERROR, MODEM_ERROR_MISSING)) {
        g_message("card on %s: no DM bootstrap (%s)", modem->device_path, error->message);
        modem_forget_card(modem);
        dbus_api_server_set_card_server_id(modem->bus, modem->card_path, NULL);
        state = "none";
    } else {
        g_warning("card on %s: cannot read the DM bootstrap: %s", modem->device_path,
                  error->message);
        state = "error";
        read = FALSE;
    }
    dbus_api_server_set_card_bootstrap_state(modem->bus, modem->card_path, state);
    /* The card is known now: what other cards left behind can go. */
    if (read) {
        modem_claim_card(modem, card_origin(modem));
        modem_settle(modem);
    }
    /* A bootstrap that was read but refused is still a REFRESH done. */
    reads_done(modem, read);
}

static gboolean refresh_changes_files(guint mode)
{
    /* QMI UIM modes 2 init + FCN, 3 FCN, 4 init + full FCN: the files are readable at once. */
    return mode == 2 || mode == 3 || mode == 4;
}

/*
 * A REFRESH that names files (or all of them) lets us read at its start and then tells the
 * modem we are done; one that resets the card is followed by a read once it has ended well.
 */
void modem_on_uim_refresh(ModemUimWatch *watch, guint stage, guint mode, gpointer user_data)
{
    DmscdModem *modem = user_data;

    if (modem->card_path == NULL)
        return;
    switch (stage) {
    case MODEM_UIM_REFRESH_START:
        if (!refresh_changes_files(mode))
            break;
        g_message("card on %s: REFRESH (mode %u) of its files, reading the card again",
                  modem->device_path, mode);
        modem->refresh_due = TRUE;
        modem->refresh_read = TRUE;
        modem_read_card(modem);
        break;
    case MODEM_UIM_REFRESH_SUCCESS:
        if (modem->refresh_read) {
            modem->refresh_read = FALSE;
            break;
        }
        g_message("card on %s: REFRESH (mode %u) done, reading the card again", modem->device_path,
                  mode);
        modem_read_card(modem);
        break;
    case MODEM_UIM_REFRESH_FAILURE:
        modem->refresh_read = FALSE;
        g_message("card on %s: REFRESH (mode %u) failed", modem->device_path, mode);
        break;
    default:
        g_debug("card on %s: REFRESH mode %u, stage %u", modem->device_path, mode, stage);
        break;
    }
}

/* --- REFRESH ------------------------------------------------------------------------------ */

/*
 * Whatever files a REFRESH named, the card may have changed under them: its ICCID and
 * bootstrap are read again (a few reads) rather than matched against a file list.
 */
void modem_on_cat_refresh(ModemCat2 *cat, guint16 mode, guint8 stage, gpointer user_data)
{
    DmscdModem *modem = user_data;

    /* UIM's own report, when the modem gives it, is the one followed. */
    if (modem->uim != NULL && modem_uim_watch_has_refresh(modem->uim))
        return;
    if (stage != MODEM_CAT2_REFRESH_SUCCESS || modem->card_path == NULL) {
        g_debug("card on %s: REFRESH mode %u, stage %u", modem->device_path, mode, stage);
        return;
    }
    g_message("card on %s: REFRESH (mode %u) done, reading the card again", modem->device_path,
              mode);
    modem_read_card(modem);
}
