/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The modem's card, by slot: its state (UNKNOWN, ABSENT, READING, READY), its files (ICCID,
 * then the DM bootstrap, read when the card appears and again after a REFRESH) and its
 * REFRESH, which the modem reports through UIM (or, when UIM refuses the registration, in
 * CAT2's event report).
 */
#include "libmodem-private.h"

#include <string.h>

const char *modem_card_state_name(ModemCardState state)
{
    static const char *const names[] = {
        [MODEM_CARD_UNKNOWN] = "unknown",
        [MODEM_CARD_ABSENT] = "absent",
        [MODEM_CARD_READING] = "reading",
        [MODEM_CARD_READY] = "ready",
    };
    return state < G_N_ELEMENTS(names) ? names[state] : "invalid";
}

ModemCard *modem_card(Modem *modem, guint slot)
{
    g_assert(slot >= 1 && slot <= MODEM_MAX_SLOTS);
    return &modem->cards[slot];
}

static ModemCard *card_or_null(Modem *modem, guint slot)
{
    return slot >= 1 && slot <= MODEM_MAX_SLOTS ? &modem->cards[slot] : NULL;
}

ModemCardState modem_get_card_state(Modem *modem, guint slot)
{
    ModemCard *card = card_or_null(modem, slot);
    return card != NULL ? card->state : MODEM_CARD_UNKNOWN;
}

const char *modem_get_card_iccid(Modem *modem, guint slot)
{
    ModemCard *card = card_or_null(modem, slot);
    return card != NULL ? card->iccid : NULL;
}

const char *modem_get_card_identifier(Modem *modem, guint slot)
{
    const char *iccid = modem_get_card_iccid(modem, slot);

    if (iccid != NULL)
        return iccid;
    return modem->sim_identifier != NULL && modem->sim_identifier[0] != '\0' ? modem->sim_identifier
                                                                             : NULL;
}

static void cancel_reads(ModemCard *card)
{
    if (card->reads != NULL) {
        g_cancellable_cancel(card->reads);
        g_clear_object(&card->reads);
    }
    card->complete_owed = FALSE;
}

static gboolean is_in(ModemCardState state)
{
    return state == MODEM_CARD_READING || state == MODEM_CARD_READY;
}

void modem_card_set_state(Modem *modem, ModemCard *card, ModemCardState state)
{
    ModemCardState old = card->state;

    if (old == state)
        return;
    g_debug("card %u on %s: %s -> %s", card->slot, modem->device_path, modem_card_state_name(old),
            modem_card_state_name(state));
    card->state = state;
    if (!is_in(state)) {
        cancel_reads(card);
        card->refresh = MODEM_REFRESH_IDLE;
    }
    /* A card that is taken out (not one whose modem went) is no longer what its files said. */
    if (state == MODEM_CARD_ABSENT)
        g_clear_pointer(&card->iccid, g_free);
    if (modem->events->card_changed != NULL)
        modem->events->card_changed(modem, card->slot, old, modem->user_data);
    if (!is_in(old) && state == MODEM_CARD_READING) {
        /* The card may have opened its channels while the clients were still starting. */
        modem_publish_ports(modem);
        modem_card_read(modem, card);
    }
}

/* --- Reading its files ---------------------------------------------------------------------- */

typedef struct {
    Modem *modem;
    guint slot;
} CardRead;

static CardRead *card_read_new(Modem *modem, ModemCard *card)
{
    CardRead *read = g_new0(CardRead, 1);

    read->modem = modem;
    read->slot = card->slot;
    return read;
}

/* The UIM client that follows the card reads its files too, when there is one. */
static QmiClientUim *uim_client(Modem *modem)
{
    return modem->uim != NULL ? modem_uim_watch_peek_client(modem->uim) : NULL;
}

/* The card has been read: a REFRESH that waits for us can complete. */
static void reads_done(Modem *modem, ModemCard *card, gboolean ok)
{
    g_clear_object(&card->reads);
    if (card->complete_owed && modem->uim != NULL)
        modem_uim_watch_refresh_complete(modem->uim, ok);
    card->complete_owed = FALSE;
    modem_card_set_state(modem, card, MODEM_CARD_READY);
}

static void on_bootstrap(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autofree CardRead *read = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) data = modem_uim_read_bootstrap_finish(result, &error);
    Modem *modem = read->modem;
    ModemCard *card;

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    card = modem_card(modem, read->slot);
    if (data == NULL && g_error_matches(error, MODEM_ERROR, MODEM_ERROR_MISSING))
        g_message("card on %s: no DM bootstrap (%s)", modem->device_path, error->message);
    else if (data == NULL)
        g_warning("card on %s: cannot read the DM bootstrap: %s", modem->device_path,
                  error->message);
    if (modem->events->card_bootstrap != NULL)
        modem->events->card_bootstrap(modem, card->slot, data, error, modem->user_data);
    /* A bootstrap that was read but refused is still a REFRESH done; one that failed is not. */
    reads_done(modem, card,
               data != NULL || g_error_matches(error, MODEM_ERROR, MODEM_ERROR_MISSING));
}

static void on_iccid(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autofree CardRead *read = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *iccid = modem_uim_read_iccid_finish(result, &error);
    Modem *modem = read->modem;
    ModemCard *card;
    gsize length;

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    card = modem_card(modem, read->slot);
    if (iccid == NULL) {
        g_warning("card on %s: cannot read its ICCID: %s", modem->device_path, error->message);
    } else {
        /* The whole ICCID only at debug level: it identifies the subscriber's card. */
        length = strlen(iccid);
        g_message("card on %s: ICCID ...%s", modem->device_path,
                  iccid + (length > 4 ? length - 4 : 0));
        g_debug("card on %s: ICCID %s", modem->device_path, iccid);
        g_free(card->iccid);
        card->iccid = g_steal_pointer(&iccid);
        if (modem->events->card_identified != NULL)
            modem->events->card_identified(modem, card->slot, card->iccid, modem->user_data);
    }
    if (!modem->options.read_bootstrap) {
        reads_done(modem, card, TRUE);
        return;
    }
    modem_uim_read_bootstrap_async(modem->device, uim_client(modem), card->reads, on_bootstrap,
                                   card_read_new(modem, card));
}

/* The bootstrap is read after the ICCID: the nodes it creates are marked with it. */
void modem_card_read(Modem *modem, ModemCard *card)
{
    gboolean complete_owed = card->complete_owed;

    cancel_reads(card);
    card->complete_owed = complete_owed;
    card->reads = g_cancellable_new();
    g_clear_pointer(&card->iccid, g_free);
    modem_card_set_state(modem, card, MODEM_CARD_READING);
    modem_uim_read_iccid_async(modem->device, uim_client(modem), card->reads, on_iccid,
                               card_read_new(modem, card));
}

/* --- REFRESH -------------------------------------------------------------------------------- */

static gboolean refresh_changes_files(guint mode)
{
    /* QMI UIM modes 2 init + FCN, 3 FCN, 4 init + full FCN: the files are readable at once. */
    return mode == 2 || mode == 3 || mode == 4;
}

/*
 * A REFRESH that names files (or all of them) lets us read at its start and then tells the
 * modem we are done; one that resets the card is followed by a read once it has ended well.
 * Whatever files it named, the card may have changed under them: its ICCID and bootstrap are
 * read again (a few reads) rather than matched against a file list.
 */
void modem_on_uim_refresh(ModemUimWatch *watch, guint stage, guint mode, gpointer user_data)
{
    Modem *modem = user_data;
    ModemCard *card = modem_card(modem, 1);

    if (!is_in(card->state))
        return;
    switch (stage) {
    case MODEM_UIM_REFRESH_START:
        if (!refresh_changes_files(mode))
            break;
        g_message("card on %s: REFRESH (mode %u) of its files, reading the card again",
                  modem->device_path, mode);
        card->refresh = MODEM_REFRESH_READ_AT_START;
        card->complete_owed = TRUE;
        modem_card_read(modem, card);
        break;
    case MODEM_UIM_REFRESH_SUCCESS:
        if (card->refresh == MODEM_REFRESH_READ_AT_START) {
            card->refresh = MODEM_REFRESH_IDLE;
            break;
        }
        g_message("card on %s: REFRESH (mode %u) done, reading the card again", modem->device_path,
                  mode);
        modem_card_read(modem, card);
        break;
    case MODEM_UIM_REFRESH_FAILURE:
        card->refresh = MODEM_REFRESH_IDLE;
        g_message("card on %s: REFRESH (mode %u) failed", modem->device_path, mode);
        break;
    default:
        g_debug("card on %s: REFRESH mode %u, stage %u", modem->device_path, mode, stage);
        break;
    }
}

void modem_on_cat_refresh(ModemCat2 *cat, guint16 mode, guint8 stage, gpointer user_data)
{
    Modem *modem = user_data;
    ModemCard *card = modem_card(modem, 1);

    /* UIM's own report, when the modem gives it, is the one followed. */
    if (modem->uim != NULL && modem_uim_watch_has_refresh(modem->uim))
        return;
    if (stage != MODEM_CAT2_REFRESH_SUCCESS || !is_in(card->state)) {
        g_debug("card on %s: REFRESH mode %u, stage %u", modem->device_path, mode, stage);
        return;
    }
    g_message("card on %s: REFRESH (mode %u) done, reading the card again", modem->device_path,
              mode);
    modem_card_read(modem, card);
}
