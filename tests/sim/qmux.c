/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QMUX framing for the simulator: frames in from a QmiDevice, messages and indications out. */
#include "sim.h"

static void read_more(SimClient *client);

void sim_client_free(SimClient *client)
{
    GPtrArray *held = client->sim->held;

    /* What it asked and was held goes unanswered with it. */
    for (guint i = held->len; i > 0; i--) {
        if (((SimHeld *)g_ptr_array_index(held, i - 1))->client == client)
            g_ptr_array_remove_index(held, i - 1);
    }
    g_cancellable_cancel(client->cancellable);
    g_clear_object(&client->cancellable);
    g_io_stream_close(G_IO_STREAM(client->connection), NULL, NULL);
    g_clear_object(&client->connection);
    g_byte_array_unref(client->input);
    g_free(client);
}

static void client_gone(SimClient *client)
{
    Sim *sim = client->sim;

    /* Its client ids go with it, as qmi-proxy releases a closed peer's ids. */
    for (guint i = 0; i < sim->cids->len; i++) {
        SimCid *cid = g_ptr_array_index(sim->cids, i);
        if (cid->client == client)
            g_ptr_array_remove_index(sim->cids, i--);
    }
    g_ptr_array_remove(sim->clients, client);
}

static void on_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
    SimClient *client;

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    client = user_data;
    if (n <= 0) {
        client_gone(client);
        return;
    }
    g_byte_array_append(client->input, client->buffer, (guint)n);
    for (;;) {
        g_autoptr(GError) parse_error = NULL;
        g_autoptr(QmiMessage) message = qmi_message_new_from_raw(client->input, &parse_error);
        if (message == NULL) {
            if (parse_error != NULL) {
                g_warning("dmsc-sim: bad QMUX frame: %s", parse_error->message);
                client_gone(client);
                return;
            }
            break;
        }
        sim_handle_message(client, message);
    }
    read_more(client);
}

static void read_more(SimClient *client)
{
    g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(client->connection)),
                              client->buffer, sizeof(client->buffer), G_PRIORITY_DEFAULT,
                              client->cancellable, on_read, client);
}

void sim_client_start(Sim *sim, GSocketConnection *connection)
{
    SimClient *client = g_new0(SimClient, 1);

    client->sim = sim;
    client->connection = g_object_ref(connection);
    client->input = g_byte_array_new();
    client->cancellable = g_cancellable_new();
    g_ptr_array_add(sim->clients, client);
    read_more(client);
}

static void write_all(SimClient *client, const guint8 *data, gsize length)
{
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(client->connection));
    g_autoptr(GError) error = NULL;

    /* Small frames on a local socket: writing them in place keeps the order obvious. */
    if (!g_output_stream_write_all(out, data, length, NULL, NULL, &error))
        g_debug("dmsc-sim: write: %s", error->message);
}

void sim_client_send(SimClient *client, QmiMessage *message)
{
    gsize length = 0;
    const guint8 *raw = qmi_message_get_raw(message, &length, NULL);

    if (raw != NULL)
        write_all(client, raw, length);
}

void sim_client_indicate(SimClient *client, guint8 service, guint8 cid, guint16 message_id,
                         guint8 tlv, const guint8 *value, gsize length)
{
    g_autoptr(GByteArray) frame = g_byte_array_new();
    guint16 tlv_length = (guint16)(3 + length);
    guint16 qmux_length = (guint16)(5 + 7 + tlv_length);
    guint8 header[] = {
        0x01,
        (guint8)qmux_length,
        (guint8)(qmux_length >> 8),
        0x80,
        service,
        cid,
        0x04,
        0x00,
        0x00,
        (guint8)message_id,
        (guint8)(message_id >> 8),
        (guint8)tlv_length,
        (guint8)(tlv_length >> 8),
        tlv,
        (guint8)length,
        (guint8)(length >> 8),
    };

    g_byte_array_append(frame, header, sizeof(header));
    g_byte_array_append(frame, value, (guint)length);
    write_all(client, frame->data, frame->len);
}
