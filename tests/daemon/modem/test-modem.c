/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The modem and its card as state machines, through the real libqmi QmiDevice against
 * dmsc-sim: what the daemon is told as the card is read, taken out, put back, and as the modem
 * vanishes and comes back.
 */
#include "daemon/modem/modem.h"
#include "sim-helpers.h"
#include "tests/check-run.h"

static Sim sim;
static Modem *modem;
static GPtrArray *events; /* char *: what the daemon was told, in order */

static void note(const char *format, ...) G_GNUC_PRINTF(1, 2);
static void note(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    g_ptr_array_add(events, g_strdup_vprintf(format, args));
    va_end(args);
}

static void on_card_changed(Modem *m, guint slot, ModemCardState old, gpointer user_data)
{
    note("card %u %s>%s", slot, modem_card_state_name(old),
         modem_card_state_name(modem_get_card_state(m, slot)));
}

static void on_identified(Modem *m, guint slot, const char *identifier, gpointer user_data)
{
    note("identified %s", identifier);
}

static void on_bootstrap(Modem *m, guint slot, GBytes *data, const GError *error,
                         gpointer user_data)
{
    if (data != NULL)
        note("bootstrap %zu bytes", g_bytes_get_size(data));
    else
        note("bootstrap %s",
             g_error_matches(error, MODEM_ERROR, MODEM_ERROR_MISSING) ? "missing" : "error");
}

static void on_imei(Modem *m, const char *imei, gpointer user_data)
{
    note("imei %s", imei);
}

static void on_added(Modem *m, gpointer user_data)
{
    note("added");
}

static void on_removed(Modem *m, gpointer user_data)
{
    note("removed");
}

static const ModemEvents recorder = {
    .card_changed = on_card_changed,
    .card_identified = on_identified,
    .card_bootstrap = on_bootstrap,
    .imei = on_imei,
    .added = on_added,
    .removed = on_removed,
};

static void setup(void)
{
    events = g_ptr_array_new_with_free_func(g_free);
}

static void teardown(void)
{
    g_clear_pointer(&modem, modem_free);
    if (sim.pid != 0)
        sim_stop(&sim);
    sim.pid = 0;
    g_clear_pointer(&events, g_ptr_array_unref);
}

static void start(const char *profile, gboolean read_bootstrap)
{
    sim_start(&sim, profile);
    ModemOptions options = { .read_bootstrap = read_bootstrap };

    modem = modem_new("/dev/cdc-wdm-sim", sim.socket_name, &options, &recorder, NULL);
}

static void wait_card(ModemCardState state)
{
    gint64 deadline = g_get_monotonic_time() + 15 * G_USEC_PER_SEC;

    while (modem_get_card_state(modem, 1) != state) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "the card is %s, not %s",
                      modem_card_state_name(modem_get_card_state(modem, 1)),
                      modem_card_state_name(state));
        g_main_context_iteration(NULL, TRUE);
    }
}

/* @expected appears among the events at or after *@from, which moves past it. */
static void assert_event(guint *from, const char *expected)
{
    for (guint i = *from; i < events->len; i++) {
        if (g_str_equal(g_ptr_array_index(events, i), expected)) {
            *from = i + 1;
            return;
        }
    }
    g_ptr_array_add(events, NULL);
    ck_abort_msg("no \"%s\" after event %u in: %s", expected, *from,
                 g_strjoinv(", ", (char **)events->pdata));
}

static gboolean has_event(const char *expected)
{
    for (guint i = 0; i < events->len; i++) {
        if (g_str_equal(g_ptr_array_index(events, i), expected))
            return TRUE;
    }
    return FALSE;
}

START_TEST(the_card_is_read_once_the_modem_is_ready)
{
    guint at = 0;

    start("imei=490154203237518\n[card]\niccid=8949000000000000001\n", TRUE);
    wait_card(MODEM_CARD_READY);
    ck_assert_int_eq(modem_get_state(modem), MODEM_STATE_READY);
    assert_event(&at, "added");
    assert_event(&at, "card 1 unknown>reading");
    assert_event(&at, "identified 8949000000000000001");
    assert_event(&at, "bootstrap missing");
    assert_event(&at, "card 1 reading>ready");
    ck_assert(has_event("imei 490154203237518"));
    ck_assert_str_eq(modem_get_card_iccid(modem, 1), "8949000000000000001");
    /* There is one slot; others are never there. */
    ck_assert_int_eq(modem_get_card_state(modem, 2), MODEM_CARD_UNKNOWN);
}
END_TEST

START_TEST(a_card_taken_out_is_absent_and_read_again_when_put_back)
{
    g_autofree char *removed = NULL;
    g_autofree char *inserted = NULL;
    guint at;

    start("[card]\niccid=8949000000000000001\n", TRUE);
    wait_card(MODEM_CARD_READY);
    at = events->len;
    removed = sim_control(&sim, "remove-card\n");
    wait_card(MODEM_CARD_ABSENT);
    assert_event(&at, "card 1 ready>absent");
    ck_assert_ptr_null(modem_get_card_iccid(modem, 1));
    inserted = sim_control(&sim, "insert-card\n");
    ck_assert_str_eq(inserted, "inserted");
    wait_card(MODEM_CARD_READY);
    assert_event(&at, "card 1 absent>reading");
    assert_event(&at, "identified 8949000000000000001");
    assert_event(&at, "card 1 reading>ready");
}
END_TEST

START_TEST(a_modem_that_vanishes_leaves_its_card_unknown_and_comes_back)
{
    g_autofree char *dropped = NULL;
    guint at;

    start("[card]\niccid=8949000000000000001\n", TRUE);
    wait_card(MODEM_CARD_READY);
    at = events->len;
    dropped = sim_control(&sim, "drop\n");
    wait_card(MODEM_CARD_UNKNOWN);
    /* Not taken out: the modem went, and with it what it could say about its card. */
    assert_event(&at, "card 1 ready>unknown");
    ck_assert(modem_get_state(modem) != MODEM_STATE_READY);
    wait_card(MODEM_CARD_READY);
    ck_assert_int_eq(modem_get_state(modem), MODEM_STATE_READY);
    assert_event(&at, "card 1 unknown>reading");
    assert_event(&at, "card 1 reading>ready");
}
END_TEST

START_TEST(a_modem_without_its_card_says_the_slot_is_absent)
{
    guint at = 0;

    start("[card]\niccid=8949000000000000001\ninserted=false\n", TRUE);
    wait_card(MODEM_CARD_ABSENT);
    ck_assert_int_eq(modem_get_state(modem), MODEM_STATE_READY);
    assert_event(&at, "card 1 unknown>absent");
    ck_assert(!has_event("card 1 unknown>reading"));
}
END_TEST

START_TEST(without_bootstraps_only_the_iccid_is_read_and_freeing_tells_the_daemon)
{
    guint at = 0;

    start("[card]\niccid=8949000000000000001\n", FALSE);
    wait_card(MODEM_CARD_READY);
    ck_assert(!has_event("bootstrap missing"));
    g_clear_pointer(&modem, modem_free);
    assert_event(&at, "card 1 reading>ready");
    assert_event(&at, "card 1 ready>unknown");
    assert_event(&at, "removed");
}
END_TEST

static Suite *modem_suite(void)
{
    Suite *suite = suite_create("modem");
    TCase *tc = tcase_create("sim");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, the_card_is_read_once_the_modem_is_ready);
    tcase_add_test(tc, a_card_taken_out_is_absent_and_read_again_when_put_back);
    tcase_add_test(tc, a_modem_that_vanishes_leaves_its_card_unknown_and_comes_back);
    tcase_add_test(tc, a_modem_without_its_card_says_the_slot_is_absent);
    tcase_add_test(tc, without_bootstraps_only_the_iccid_is_read_and_freeing_tells_the_daemon);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(modem_suite());
}
