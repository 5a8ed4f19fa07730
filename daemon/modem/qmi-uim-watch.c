/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The card's presence and the modem's REFRESH, through one long-lived UIM client (libqmi's
 * QmiClientUim): Register Events for card status, Get Card Status for where things stand,
 * Refresh Register All so the modem tells us when the card's files change, and Refresh
 * Complete once we have read them again.
 */
#include "libmodem-private.h"

#include <libqmi-glib.h>

#define TIMEOUT_SECONDS 10

struct ModemUimWatch {
    QmiDevice *device;
    QmiClient *client;
    gulong card_status_id;
    gulong refresh_id;
    ModemUimCardFunc card;
    ModemUimRefreshFunc refresh;
    gpointer user_data;
    ModemUimCardState state;
    gboolean refresh_registered;
    gboolean started;
    ModemLifetime life; /* a start in flight stops touching us once we are freed */
};

ModemUimWatch *modem_uim_watch_new(QmiDevice *device, ModemUimCardFunc card,
                                   ModemUimRefreshFunc refresh, gpointer user_data)
{
    ModemUimWatch *watch = g_new0(ModemUimWatch, 1);

    watch->device = g_object_ref(QMI_DEVICE(device));
    watch->card = card;
    watch->refresh = refresh;
    watch->user_data = user_data;
    watch->state = MODEM_UIM_CARD_UNKNOWN;
    modem_lifetime_init(&watch->life);
    return watch;
}

static void disconnect(ModemUimWatch *watch)
{
    if (watch->client == NULL)
        return;
    if (watch->card_status_id != 0)
        g_signal_handler_disconnect(watch->client, watch->card_status_id);
    if (watch->refresh_id != 0)
        g_signal_handler_disconnect(watch->client, watch->refresh_id);
    watch->card_status_id = 0;
    watch->refresh_id = 0;
}

void modem_uim_watch_free(ModemUimWatch *watch)
{
    if (watch == NULL)
        return;
    disconnect(watch);
    modem_lifetime_end(&watch->life);
    g_clear_object(&watch->client);
    g_object_unref(watch->device);
    g_free(watch);
}

ModemUimCardState modem_uim_watch_get_card_state(ModemUimWatch *watch)
{
    return watch->state;
}

QmiClientUim *modem_uim_watch_peek_client(ModemUimWatch *watch)
{
    return watch->started ? QMI_CLIENT_UIM(watch->client) : NULL;
}

gboolean modem_uim_watch_has_refresh(ModemUimWatch *watch)
{
    return watch->refresh_registered;
}

const char *modem_uim_card_state_name(ModemUimCardState state)
{
    switch (state) {
    case MODEM_UIM_CARD_ABSENT:
        return "absent";
    case MODEM_UIM_CARD_PRESENT:
        return "present";
    case MODEM_UIM_CARD_ERROR:
        return "error";
    case MODEM_UIM_CARD_UNKNOWN:
    default:
        return "unknown";
    }
}

static ModemUimCardState state_from(QmiUimCardState state)
{
    switch (state) {
    case QMI_UIM_CARD_STATE_PRESENT:
        return MODEM_UIM_CARD_PRESENT;
    case QMI_UIM_CARD_STATE_ABSENT:
        return MODEM_UIM_CARD_ABSENT;
    case QMI_UIM_CARD_STATE_ERROR:
    default:
        return MODEM_UIM_CARD_ERROR;
    }
}

static void set_state(ModemUimWatch *watch, ModemUimCardState state, guint error_code)
{
    if (state == watch->state)
        return;
    if (state == MODEM_UIM_CARD_ERROR)
        g_debug("UIM: card error %u", error_code);
    watch->state = state;
    if (watch->card != NULL)
        watch->card(watch, state, watch->user_data);
}

static void on_card_status(QmiClientUim *client, QmiIndicationUimCardStatusOutput *output,
                           gpointer user_data)
{
    ModemUimWatch *watch = user_data;
    GArray *cards = NULL;
    QmiIndicationUimCardStatusOutputCardStatusCardsElement *slot1;

    if (!qmi_indication_uim_card_status_output_get_card_status(output, NULL, NULL, NULL, NULL,
                                                               &cards, NULL)) {
        g_warning("UIM: a card status indication without its card status");
        return;
    }
    /* The card in slot 1 is the first of the list; no list, no card. */
    if (cards == NULL || cards->len == 0) {
        set_state(watch, MODEM_UIM_CARD_ABSENT, 0);
        return;
    }
    slot1 = &g_array_index(cards, QmiIndicationUimCardStatusOutputCardStatusCardsElement, 0);
    set_state(watch, state_from(slot1->card_state), slot1->error_code);
}

static void on_refresh(QmiClientUim *client, QmiIndicationUimRefreshOutput *output,
                       gpointer user_data)
{
    ModemUimWatch *watch = user_data;
    QmiUimRefreshStage stage;
    QmiUimRefreshMode mode;

    if (!qmi_indication_uim_refresh_output_get_event(output, &stage, &mode, NULL, NULL, NULL,
                                                     NULL)) {
        g_warning("UIM: a refresh indication without its event");
        return;
    }
    if (watch->refresh != NULL)
        watch->refresh(watch, (guint)stage, (guint)mode, watch->user_data);
}

/* --- Start: client, events, card status, refresh registration --------------------------- */

static void on_refresh_registered(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    ModemUimWatch *watch = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(QmiMessageUimRefreshRegisterAllOutput) output =
        qmi_client_uim_refresh_register_all_finish(QMI_CLIENT_UIM(source), result, &error);

    if (g_task_return_error_if_cancelled(task))
        return;
    watch = g_task_get_task_data(task);
    /* An older modem without it still works: REFRESH then comes through CAT2 alone. */
    if (output == NULL || !qmi_message_uim_refresh_register_all_output_get_result(output, &error)) {
        g_message("UIM: no REFRESH registration (%s); following REFRESH through CAT2",
                  error->message);
    } else {
        watch->refresh_registered = TRUE;
        watch->refresh_id =
            g_signal_connect(watch->client, "refresh", G_CALLBACK(on_refresh), watch);
    }
    watch->started = TRUE;
    g_task_return_boolean(task, TRUE);
}

static void register_refresh(GTask *task)
{
    ModemUimWatch *watch = g_task_get_task_data(task);
    g_autoptr(QmiMessageUimRefreshRegisterAllInput) input =
        qmi_message_uim_refresh_register_all_input_new();
    g_autoptr(GArray) aid = g_array_new(FALSE, FALSE, 1);

    qmi_message_uim_refresh_register_all_input_set_session(input, QMI_UIM_SESSION_TYPE_CARD_SLOT_1,
                                                           aid, NULL);
    qmi_message_uim_refresh_register_all_input_set_info(input, TRUE, NULL);
    qmi_client_uim_refresh_register_all(QMI_CLIENT_UIM(watch->client), input, TIMEOUT_SECONDS,
                                        g_task_get_cancellable(task), on_refresh_registered, task);
}

static void on_card_status_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    ModemUimWatch *watch = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(QmiMessageUimGetCardStatusOutput) output =
        qmi_client_uim_get_card_status_finish(QMI_CLIENT_UIM(source), result, &error);
    GArray *cards = NULL;
    QmiMessageUimGetCardStatusOutputCardStatusCardsElement *slot1;

    if (g_task_return_error_if_cancelled(task)) {
        g_object_unref(task);
        return;
    }
    watch = g_task_get_task_data(task);
    if (output == NULL || !qmi_message_uim_get_card_status_output_get_result(output, &error) ||
        !qmi_message_uim_get_card_status_output_get_card_status(output, NULL, NULL, NULL, NULL,
                                                                &cards, &error)) {
        g_prefix_error(&error, "UIM Get Card Status: ");
        g_task_return_error(task, g_steal_pointer(&error));
        g_object_unref(task);
        return;
    }
    /* Quietly: the caller asks for the state it starts from. */
    if (cards == NULL || cards->len == 0) {
        watch->state = MODEM_UIM_CARD_ABSENT;
    } else {
        slot1 = &g_array_index(cards, QmiMessageUimGetCardStatusOutputCardStatusCardsElement, 0);
        watch->state = state_from(slot1->card_state);
    }
    register_refresh(task);
}

static void on_events_registered(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    ModemUimWatch *watch = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(QmiMessageUimRegisterEventsOutput) output =
        qmi_client_uim_register_events_finish(QMI_CLIENT_UIM(source), result, &error);

    if (g_task_return_error_if_cancelled(task)) {
        g_object_unref(task);
        return;
    }
    watch = g_task_get_task_data(task);
    if (output == NULL || !qmi_message_uim_register_events_output_get_result(output, &error)) {
        g_prefix_error(&error, "UIM Register Events: ");
        g_task_return_error(task, g_steal_pointer(&error));
        g_object_unref(task);
        return;
    }
    qmi_client_uim_get_card_status(QMI_CLIENT_UIM(watch->client), NULL, TIMEOUT_SECONDS,
                                   g_task_get_cancellable(task), on_card_status_read, task);
}

static void on_allocated(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    ModemUimWatch *watch = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(QmiMessageUimRegisterEventsInput) input = NULL;
    QmiClient *client = qmi_device_allocate_client_finish(QMI_DEVICE(source), result, &error);

    /* Freed meanwhile: the client id goes with its object (and the device, which goes too). */
    if (g_task_return_error_if_cancelled(task)) {
        g_clear_object(&client);
        g_object_unref(task);
        return;
    }
    watch = g_task_get_task_data(task);
    watch->client = client;
    if (watch->client == NULL) {
        g_prefix_error(&error, "UIM client: ");
        g_task_return_error(task, g_steal_pointer(&error));
        g_object_unref(task);
        return;
    }
    /* Connected before registering, so no change between the two is missed. */
    watch->card_status_id =
        g_signal_connect(watch->client, "card-status", G_CALLBACK(on_card_status), watch);
    input = qmi_message_uim_register_events_input_new();
    qmi_message_uim_register_events_input_set_event_registration_mask(
        input, QMI_UIM_EVENT_REGISTRATION_FLAG_CARD_STATUS, NULL);
    qmi_client_uim_register_events(QMI_CLIENT_UIM(watch->client), input, TIMEOUT_SECONDS,
                                   g_task_get_cancellable(task), on_events_registered, task);
}

void modem_uim_watch_start_async(ModemUimWatch *watch, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
    /* Our own cancellable runs the start, so that freeing us ends it; the caller's cancels it. */
    GTask *task = g_task_new(NULL, watch->life.own, callback, user_data);

    g_task_set_task_data(task, watch, NULL);
    modem_lifetime_follow(&watch->life, cancellable);
    qmi_device_allocate_client(watch->device, QMI_SERVICE_UIM, QMI_CID_NONE, TIMEOUT_SECONDS,
                               watch->life.own, on_allocated, task);
}

gboolean modem_uim_watch_start_finish(ModemUimWatch *watch, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* --- Refresh Complete and stop -------------------------------------------------------------- */

static void on_refresh_completed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QmiMessageUimRefreshCompleteOutput) output =
        qmi_client_uim_refresh_complete_finish(QMI_CLIENT_UIM(source), result, &error);

    if (output == NULL || !qmi_message_uim_refresh_complete_output_get_result(output, &error))
        g_warning("UIM Refresh Complete not delivered: %s", error->message);
}

void modem_uim_watch_refresh_complete(ModemUimWatch *watch, gboolean success)
{
    g_autoptr(QmiMessageUimRefreshCompleteInput) input = NULL;
    g_autoptr(GArray) aid = NULL;

    if (watch->client == NULL || !watch->refresh_registered)
        return;
    input = qmi_message_uim_refresh_complete_input_new();
    aid = g_array_new(FALSE, FALSE, 1);
    qmi_message_uim_refresh_complete_input_set_session(input, QMI_UIM_SESSION_TYPE_CARD_SLOT_1, aid,
                                                       NULL);
    qmi_message_uim_refresh_complete_input_set_info(input, success, NULL);
    qmi_client_uim_refresh_complete(QMI_CLIENT_UIM(watch->client), input, TIMEOUT_SECONDS, NULL,
                                    on_refresh_completed, NULL);
}

static void on_released(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    g_autoptr(GError) error = NULL;

    if (!qmi_device_release_client_finish(QMI_DEVICE(source), result, &error))
        g_task_return_error(task, g_steal_pointer(&error));
    else
        g_task_return_boolean(task, TRUE);
}

void modem_uim_watch_stop_async(ModemUimWatch *watch, GAsyncReadyCallback callback,
                                gpointer user_data)
{
    GTask *task = g_task_new(NULL, NULL, callback, user_data);

    disconnect(watch);
    if (watch->client == NULL) {
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
        return;
    }
    qmi_device_release_client(watch->device, watch->client,
                              QMI_DEVICE_RELEASE_CLIENT_FLAGS_RELEASE_CID, TIMEOUT_SECONDS, NULL,
                              on_released, task);
    g_clear_object(&watch->client);
}

gboolean modem_uim_watch_stop_finish(ModemUimWatch *watch, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}
