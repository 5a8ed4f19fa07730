/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The card's files through libqmi's UIM client (design §2.2): the ICCID for now. */
#include "cat-private.h"

#include <libqmi-glib.h>

#define TIMEOUT_SECONDS 10
#define EF_ICCID        0x2fe2

typedef struct {
    QmiDevice *device;
    QmiClient *client;
    char *iccid;
    GError *error;
} Read;

static void read_free(Read *read)
{
    g_clear_object(&read->device);
    g_clear_object(&read->client);
    g_free(read->iccid);
    g_clear_error(&read->error);
    g_free(read);
}

char *cat_iccid_from_bcd(const guint8 *data, gsize length)
{
    char digits[2 * 20 + 1];

    cat_bcd_to_digits(data, MIN(length, (gsize)20), digits, sizeof(digits));
    return g_strdup(digits);
}

/* The client id goes back whatever happened; then the task returns what the read gave. */
static void on_released(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    Read *read = g_task_get_task_data(task);

    (void)qmi_device_release_client_finish(QMI_DEVICE(source), result, NULL);
    if (read->error != NULL)
        g_task_return_error(task, g_steal_pointer(&read->error));
    else
        g_task_return_pointer(task, g_steal_pointer(&read->iccid), g_free);
}

static void on_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    Read *read = g_task_get_task_data(task);
    g_autoptr(QmiMessageUimReadTransparentOutput) output =
        qmi_client_uim_read_transparent_finish(QMI_CLIENT_UIM(source), result, &read->error);
    GArray *data = NULL;
    guint8 sw1 = 0, sw2 = 0;

    if (output != NULL &&
        qmi_message_uim_read_transparent_output_get_result(output, &read->error)) {
        qmi_message_uim_read_transparent_output_get_card_result(output, &sw1, &sw2, NULL);
        if (sw1 != 0x90 && sw1 != 0x91 && sw1 != 0x9f && sw1 != 0)
            g_set_error(&read->error, CAT_ERROR, CAT_ERROR_UNSUPPORTED,
                        "EF ICCID: the card answered %02X%02X", sw1, sw2);
        else if (qmi_message_uim_read_transparent_output_get_read_result(output, &data,
                                                                         &read->error)) {
            if (data->len == 0)
                g_set_error(&read->error, CAT_ERROR, CAT_ERROR_TRUNCATED, "EF ICCID is empty");
            else
                read->iccid = cat_iccid_from_bcd((const guint8 *)data->data, data->len);
        }
    }
    qmi_device_release_client(read->device, read->client,
                              QMI_DEVICE_RELEASE_CLIENT_FLAGS_RELEASE_CID, TIMEOUT_SECONDS, NULL,
                              on_released, task);
}

static void on_allocated(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    Read *read = g_task_get_task_data(task);
    g_autoptr(GError) error = NULL;
    g_autoptr(QmiMessageUimReadTransparentInput) input = NULL;
    g_autoptr(GArray) aid = g_array_new(FALSE, FALSE, sizeof(guint8));
    g_autoptr(GArray) path = g_array_new(FALSE, FALSE, sizeof(guint8));
    static const guint8 master_file[] = { 0x00, 0x3f }; /* 3F00, little-endian */

    read->client = qmi_device_allocate_client_finish(QMI_DEVICE(source), result, &error);
    if (read->client == NULL) {
        g_task_return_error(task, g_steal_pointer(&error));
        g_object_unref(task);
        return;
    }
    input = qmi_message_uim_read_transparent_input_new();
    g_array_append_vals(path, master_file, sizeof(master_file));
    qmi_message_uim_read_transparent_input_set_session(input, QMI_UIM_SESSION_TYPE_CARD_SLOT_1, aid,
                                                       NULL);
    qmi_message_uim_read_transparent_input_set_file(input, EF_ICCID, path, NULL);
    qmi_message_uim_read_transparent_input_set_read_information(input, 0, 0, NULL);
    qmi_client_uim_read_transparent(QMI_CLIENT_UIM(read->client), input, TIMEOUT_SECONDS,
                                    g_task_get_cancellable(task), on_read, task);
}

void cat_uim_read_iccid_async(gpointer device, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    Read *read = g_new0(Read, 1);

    read->device = g_object_ref(QMI_DEVICE(device));
    g_task_set_task_data(task, read, (GDestroyNotify)read_free);
    qmi_device_allocate_client(read->device, QMI_SERVICE_UIM, QMI_CID_NONE, TIMEOUT_SECONDS,
                               cancellable, on_allocated, task);
}

char *cat_uim_read_iccid_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}
