/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The card's files through libqmi's UIM client (design §2.2, §6): ICCID and the DM bootstrap. */
#include "libmodem-private.h"

#include <libqmi-glib.h>
#include <string.h>

#define TIMEOUT_SECONDS 10
#define MAX_DIR_RECORDS 16

static const guint8 pkcs15_aid[] = { 0xa0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                     0x4b, 0x43, 0x53, 0x2d, 0x31, 0x35 };

/* --- One file ----------------------------------------------------------------------------- */

typedef struct {
    QmiDevice *device; /* set when the client is ours, allocated for this read */
    QmiClient *client;
    guint8 path[CAT_PKCS15_MAX_PATH];
    gsize path_length;
    guint record;
    GBytes *data;
    GError *error;
} Read;

static void read_free(Read *read)
{
    g_clear_object(&read->device);
    g_clear_object(&read->client);
    g_clear_pointer(&read->data, g_bytes_unref);
    g_clear_error(&read->error);
    g_free(read);
}

/* The client id goes back whatever happened; then the task returns what the read gave. */
static void return_read(GTask *task)
{
    Read *read = g_task_get_task_data(task);

    if (read->error != NULL)
        g_task_return_error(task, g_steal_pointer(&read->error));
    else
        g_task_return_pointer(task, g_steal_pointer(&read->data), (GDestroyNotify)g_bytes_unref);
}

static void on_released(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;

    (void)qmi_device_release_client_finish(QMI_DEVICE(source), result, NULL);
    return_read(task);
}

static void finish_read(GTask *task, guint8 sw1, guint8 sw2, GArray *data)
{
    Read *read = g_task_get_task_data(task);

    if (read->error == NULL && sw1 != 0x90 && sw1 != 0x91 && sw1 != 0x9f && sw1 != 0)
        g_set_error(&read->error, MODEM_ERROR, MODEM_ERROR_MISSING, "the card answered %02X%02X",
                    sw1, sw2);
    else if (read->error == NULL && data != NULL)
        read->data = g_bytes_new(data->data, data->len);
    else if (read->error == NULL)
        g_set_error(&read->error, MODEM_ERROR, MODEM_ERROR_TRUNCATED, "no data in the answer");
    if (read->device == NULL) {
        /* A client the caller lent us stays theirs. */
        return_read(task);
        g_object_unref(task);
        return;
    }
    qmi_device_release_client(read->device, read->client,
                              QMI_DEVICE_RELEASE_CLIENT_FLAGS_RELEASE_CID, TIMEOUT_SECONDS, NULL,
                              on_released, task);
}

static void on_transparent(GObject *source, GAsyncResult *result, gpointer user_data)
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
        qmi_message_uim_read_transparent_output_get_read_result(output, &data, NULL);
    }
    finish_read(task, sw1, sw2, data);
}

static void on_record(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    Read *read = g_task_get_task_data(task);
    g_autoptr(QmiMessageUimReadRecordOutput) output =
        qmi_client_uim_read_record_finish(QMI_CLIENT_UIM(source), result, &read->error);
    GArray *data = NULL;
    guint8 sw1 = 0, sw2 = 0;

    if (output != NULL && qmi_message_uim_read_record_output_get_result(output, &read->error)) {
        qmi_message_uim_read_record_output_get_card_result(output, &sw1, &sw2, NULL);
        qmi_message_uim_read_record_output_get_read_result(output, &data, NULL);
    }
    finish_read(task, sw1, sw2, data);
}

/* QMI names a file by its id and the path of the DFs above it, each id little-endian. */
static GArray *dir_path(const Read *read, guint16 *file_id)
{
    GArray *path = g_array_new(FALSE, FALSE, sizeof(guint8));

    for (gsize i = 0; i + 2 < read->path_length; i += 2) {
        guint8 le[2] = { read->path[i + 1], read->path[i] };
        g_array_append_vals(path, le, 2);
    }
    *file_id =
        (guint16)(read->path[read->path_length - 2] << 8 | read->path[read->path_length - 1]);
    return path;
}

static void start_read(GTask *task)
{
    Read *read = g_task_get_task_data(task);
    g_autoptr(GArray) aid = g_array_new(FALSE, FALSE, sizeof(guint8));
    g_autoptr(GArray) path = NULL;
    guint16 file_id;

    path = dir_path(read, &file_id);
    if (read->record == 0) {
        g_autoptr(QmiMessageUimReadTransparentInput) input =
            qmi_message_uim_read_transparent_input_new();
        qmi_message_uim_read_transparent_input_set_session(input, QMI_UIM_SESSION_TYPE_CARD_SLOT_1,
                                                           aid, NULL);
        qmi_message_uim_read_transparent_input_set_file(input, file_id, path, NULL);
        qmi_message_uim_read_transparent_input_set_read_information(input, 0, 0, NULL);
        qmi_client_uim_read_transparent(QMI_CLIENT_UIM(read->client), input, TIMEOUT_SECONDS,
                                        g_task_get_cancellable(task), on_transparent, task);
    } else {
        g_autoptr(QmiMessageUimReadRecordInput) input = qmi_message_uim_read_record_input_new();
        qmi_message_uim_read_record_input_set_session(input, QMI_UIM_SESSION_TYPE_CARD_SLOT_1, aid,
                                                      NULL);
        qmi_message_uim_read_record_input_set_file(input, file_id, path, NULL);
        qmi_message_uim_read_record_input_set_record(input, (guint16)read->record, 0, NULL);
        qmi_client_uim_read_record(QMI_CLIENT_UIM(read->client), input, TIMEOUT_SECONDS,
                                   g_task_get_cancellable(task), on_record, task);
    }
}

static void on_allocated(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    Read *read = g_task_get_task_data(task);
    g_autoptr(GError) error = NULL;

    read->client = qmi_device_allocate_client_finish(QMI_DEVICE(source), result, &error);
    if (read->client == NULL) {
        g_task_return_error(task, g_steal_pointer(&error));
        g_object_unref(task);
        return;
    }
    start_read(task);
}

void modem_uim_read_async(QmiDevice *device, QmiClientUim *client, const guint8 *path,
                          gsize path_length, guint record, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    Read *read = g_new0(Read, 1);

    g_task_set_task_data(task, read, (GDestroyNotify)read_free);
    if (path_length < 2 || path_length % 2 != 0 || path_length > sizeof(read->path)) {
        g_task_return_new_error(task, MODEM_ERROR, MODEM_ERROR_MALFORMED,
                                "a file path of %zu bytes", path_length);
        g_object_unref(task);
        return;
    }
    memcpy(read->path, path, path_length);
    read->path_length = path_length;
    read->record = record;
    if (client != NULL) {
        read->client = QMI_CLIENT(g_object_ref(client));
        start_read(task);
        return;
    }
    read->device = g_object_ref(device);
    qmi_device_allocate_client(read->device, QMI_SERVICE_UIM, QMI_CID_NONE, TIMEOUT_SECONDS,
                               cancellable, on_allocated, task);
}

GBytes *modem_uim_read_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* --- ICCID ------------------------------------------------------------------------------- */

static void on_iccid(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    GError *error = NULL;
    g_autoptr(GBytes) data = modem_uim_read_finish(result, &error);

    if (data == NULL)
        g_task_return_error(task, error);
    else if (g_bytes_get_size(data) == 0)
        g_task_return_new_error(task, MODEM_ERROR, MODEM_ERROR_TRUNCATED, "EF ICCID is empty");
    else
        g_task_return_pointer(
            task, cat_iccid_from_bcd(g_bytes_get_data(data, NULL), g_bytes_get_size(data)), g_free);
}

void modem_uim_read_iccid_async(QmiDevice *device, QmiClientUim *client, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
    static const guint8 ef_iccid[] = { 0x3f, 0x00, 0x2f, 0xe2 };
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);

    modem_uim_read_async(device, client, ef_iccid, sizeof(ef_iccid), 0, cancellable, on_iccid,
                         task);
}

char *modem_uim_read_iccid_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* --- The DM bootstrap file --------------------------------------------------------------- */

typedef struct {
    QmiDevice *device;
    QmiClientUim *client; /* NULL: a client of its own for each read */
    guint record;         /* of EF.DIR being read */
    CatPath app;          /* the PKCS#15 application DF */
} Bootstrap;

static void bootstrap_free(Bootstrap *b)
{
    g_clear_object(&b->device);
    g_clear_object(&b->client);
    g_free(b);
}

static void bootstrap_step(GTask *task, GAsyncReadyCallback next, const guint8 *path, gsize length,
                           guint record)
{
    Bootstrap *b = g_task_get_task_data(task);

    modem_uim_read_async(b->device, b->client, path, length, record, g_task_get_cancellable(task),
                         next, task);
}

/* A path in a PKCS#15 structure: absolute when it starts at the MF, else under the app. */
static gboolean resolve(const Bootstrap *b, const CatPath *relative, CatPath *out, GError **error)
{
    if (relative->length >= 2 && relative->bytes[0] == 0x3f && relative->bytes[1] == 0x00) {
        *out = *relative;
        return TRUE;
    }
    *out = b->app;
    if (relative->length > sizeof(out->bytes) - out->length) {
        g_set_error(error, MODEM_ERROR, MODEM_ERROR_MALFORMED, "PKCS#15 path too deep");
        return FALSE;
    }
    memcpy(out->bytes + out->length, relative->bytes, relative->length);
    out->length += relative->length;
    return TRUE;
}

/* Ends the walk with the step's name on the error, so the journal says where it stopped. */
/* The bootstrap is missing whether a file is not on the card or a PKCS#15 structure does not
 * name it; a structure that does not parse is malformed. */
static void fail(GTask *task, const char *step, GError *error)
{
    if (error->domain == CAT_ERROR) {
        error->code =
            error->code == CAT_ERROR_MISSING ? MODEM_ERROR_MISSING : MODEM_ERROR_MALFORMED;
        error->domain = MODEM_ERROR;
    }
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_prefix_error(&error, "%s: ", step);
    g_task_return_error(task, error);
    g_object_unref(task);
}

static void on_bootstrap_file(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    GError *error = NULL;
    GBytes *data = modem_uim_read_finish(result, &error);

    if (data == NULL) {
        fail(g_steal_pointer(&task), "bootstrap file", error);
        return;
    }
    g_task_return_pointer(task, data, (GDestroyNotify)g_bytes_unref);
}

static void on_dodf(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    Bootstrap *b = g_task_get_task_data(task);
    GError *error = NULL;
    g_autoptr(GBytes) dodf = modem_uim_read_finish(result, &error);
    CatPath found, file;

    if (dodf == NULL ||
        !cat_pkcs15_dodf_oid(g_bytes_get_data(dodf, NULL), g_bytes_get_size(dodf),
                             CAT_OID_DM_BOOTSTRAP, &found, &error) ||
        !resolve(b, &found, &file, &error)) {
        fail(task, "DODF", error);
        return;
    }
    bootstrap_step(task, on_bootstrap_file, file.bytes, file.length, 0);
}

static void on_odf(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    Bootstrap *b = g_task_get_task_data(task);
    GError *error = NULL;
    g_autoptr(GBytes) odf = modem_uim_read_finish(result, &error);
    CatPath found, dodf;

    if (odf == NULL ||
        !cat_pkcs15_odf_dodf(g_bytes_get_data(odf, NULL), g_bytes_get_size(odf), &found, &error) ||
        !resolve(b, &found, &dodf, &error)) {
        fail(task, "EF.ODF", error);
        return;
    }
    bootstrap_step(task, on_dodf, dodf.bytes, dodf.length, 0);
}

static void on_dir_record(GObject *source, GAsyncResult *result, gpointer user_data)
{
    static const guint8 ef_dir[] = { 0x3f, 0x00, 0x2f, 0x00 };
    GTask *task = user_data;
    Bootstrap *b = g_task_get_task_data(task);
    GError *error = NULL;
    g_autoptr(GBytes) record = modem_uim_read_finish(result, &error);
    CatPath odf;

    if (record == NULL && !g_error_matches(error, MODEM_ERROR, MODEM_ERROR_MISSING)) {
        fail(task, "EF.DIR", error);
        return;
    }
    if (record == NULL) {
        /* Past the last record, or no EF.DIR: no PKCS#15 application on this card. */
        g_task_return_new_error(task, MODEM_ERROR, MODEM_ERROR_MISSING,
                                "no PKCS#15 application (EF.DIR: %s)", error->message);
        g_error_free(error);
        g_object_unref(task);
        return;
    }
    if (!cat_pkcs15_dir_record(g_bytes_get_data(record, NULL), g_bytes_get_size(record), pkcs15_aid,
                               sizeof(pkcs15_aid), &b->app, NULL)) {
        if (++b->record > MAX_DIR_RECORDS) {
            g_task_return_new_error(task, MODEM_ERROR, MODEM_ERROR_MISSING,
                                    "no PKCS#15 application in EF.DIR");
            g_object_unref(task);
            return;
        }
        bootstrap_step(task, on_dir_record, ef_dir, sizeof(ef_dir), b->record);
        return;
    }
    /* EF.ODF is 5031 in the application DF. */
    odf = b->app;
    if (odf.length + 2 > sizeof(odf.bytes)) {
        g_task_return_new_error(task, MODEM_ERROR, MODEM_ERROR_MALFORMED, "PKCS#15 path too deep");
        g_object_unref(task);
        return;
    }
    odf.bytes[odf.length++] = 0x50;
    odf.bytes[odf.length++] = 0x31;
    bootstrap_step(task, on_odf, odf.bytes, odf.length, 0);
}

void modem_uim_read_bootstrap_async(QmiDevice *device, QmiClientUim *client,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data)
{
    static const guint8 ef_dir[] = { 0x3f, 0x00, 0x2f, 0x00 };
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    Bootstrap *b = g_new0(Bootstrap, 1);

    b->device = g_object_ref(device);
    b->client = client != NULL ? g_object_ref(client) : NULL;
    b->record = 1;
    g_task_set_task_data(task, b, (GDestroyNotify)bootstrap_free);
    bootstrap_step(task, on_dir_record, ef_dir, sizeof(ef_dir), 1);
}

GBytes *modem_uim_read_bootstrap_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}
