/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The modem's IMEI through libqmi's DMS client (Get IDs), for the device's DevId. */
#include "libmodem-private.h"

#include <libqmi-glib.h>
#include <string.h>

#define TIMEOUT_SECONDS 10

typedef struct {
    QmiDevice *device;
    QmiClient *client;
    char *imei;
    GError *error;
} ReadImei;

static void read_imei_free(ReadImei *read)
{
    g_clear_object(&read->device);
    g_clear_object(&read->client);
    g_free(read->imei);
    g_clear_error(&read->error);
    g_free(read);
}

gboolean modem_imei_is_valid(const char *imei)
{
    gsize length = imei != NULL ? strlen(imei) : 0;

    /* 15 digits (IMEI) or 16 (IMEISV); some modems give 14 without the check digit. */
    if (length < 14 || length > 16)
        return FALSE;
    for (gsize i = 0; i < length; i++) {
        if (!g_ascii_isdigit(imei[i]))
            return FALSE;
    }
    return TRUE;
}

static void on_released(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    ReadImei *read = g_task_get_task_data(task);

    (void)qmi_device_release_client_finish(QMI_DEVICE(source), result, NULL);
    if (read->error != NULL)
        g_task_return_error(task, g_steal_pointer(&read->error));
    else
        g_task_return_pointer(task, g_steal_pointer(&read->imei), g_free);
}

static void on_ids(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    ReadImei *read = g_task_get_task_data(task);
    g_autoptr(QmiMessageDmsGetIdsOutput) output =
        qmi_client_dms_get_ids_finish(QMI_CLIENT_DMS(source), result, &read->error);
    const char *imei = NULL;

    if (output != NULL && qmi_message_dms_get_ids_output_get_result(output, &read->error)) {
        if (!qmi_message_dms_get_ids_output_get_imei(output, &imei, NULL) || imei == NULL)
            g_set_error(&read->error, MODEM_ERROR, MODEM_ERROR_MISSING, "the modem has no IMEI");
        else if (!modem_imei_is_valid(imei))
            g_set_error(&read->error, MODEM_ERROR, MODEM_ERROR_MALFORMED,
                        "the modem's IMEI is not 14 to 16 digits");
        else
            read->imei = g_strdup(imei);
    }
    qmi_device_release_client(read->device, read->client,
                              QMI_DEVICE_RELEASE_CLIENT_FLAGS_RELEASE_CID, TIMEOUT_SECONDS, NULL,
                              on_released, task);
}

static void on_allocated(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    ReadImei *read = g_task_get_task_data(task);
    g_autoptr(GError) error = NULL;

    read->client = qmi_device_allocate_client_finish(QMI_DEVICE(source), result, &error);
    if (read->client == NULL) {
        g_prefix_error(&error, "DMS client: ");
        g_task_return_error(task, g_steal_pointer(&error));
        g_object_unref(task);
        return;
    }
    qmi_client_dms_get_ids(QMI_CLIENT_DMS(read->client), NULL, TIMEOUT_SECONDS,
                           g_task_get_cancellable(task), on_ids, task);
}

void modem_dms_read_imei_async(QmiDevice *device, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    ReadImei *read = g_new0(ReadImei, 1);

    read->device = g_object_ref(QMI_DEVICE(device));
    g_task_set_task_data(task, read, (GDestroyNotify)read_imei_free);
    qmi_device_allocate_client(read->device, QMI_SERVICE_DMS, QMI_CID_NONE, TIMEOUT_SECONDS,
                               cancellable, on_allocated, task);
}

char *modem_dms_read_imei_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}
