/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QMI services the simulator answers: CTL and CAT2 (raw proactive commands, TR, envelopes);
 * UIM is in uim.c. */
#include "sim.h"

#include "cat/cat.h"

#include <string.h>

#define CTL_GET_VERSION_INFO 0x0021
#define CTL_ALLOCATE_CID     0x0022
#define CTL_RELEASE_CID      0x0023
#define CTL_SYNC             0x0027
#define CTL_PROXY_OPEN       0xff00

#define CAT2_SET_EVENT_REPORT 0x0001
#define CAT2_SEND_TR          0x0021
#define CAT2_SEND_ENVELOPE    0x0022
#define CAT2_EVENT_CONFIRM    0x0026
#define CAT2_GET_CONFIG       0x002e

static void reply(SimClient *client, QmiMessage *request, QmiProtocolError error, guint8 tlv,
                  const guint8 *value, gsize length)
{
    g_autoptr(QmiMessage) response = qmi_message_response_new(request, error);

    if (value != NULL)
        qmi_message_add_raw_tlv(response, tlv, value, length, NULL);
    sim_client_send(client, response);
}

SimCid *sim_find_cid(Sim *sim, guint8 service)
{
    for (guint i = 0; i < sim->cids->len; i++) {
        SimCid *cid = g_ptr_array_index(sim->cids, i);
        if (cid->service == service)
            return cid;
    }
    return NULL;
}

static void handle_ctl(SimClient *client, QmiMessage *m)
{
    Sim *sim = client->sim;
    static const guint8 versions[] = { 4,    0x00, 1, 0,  5, 0, /* CTL 1.5 */
                                       0x02, 1,    0, 14, 0,    /* DMS 1.14 */
                                       0x0a, 2,    0, 31, 0,    /* CAT2 2.31 */
                                       0x0b, 1,    0, 50, 0 };  /* UIM 1.50 */
    const guint8 *value;
    guint16 length = 0;

    switch (qmi_message_get_message_id(m)) {
    case CTL_PROXY_OPEN:
    case CTL_SYNC:
        reply(client, m, QMI_PROTOCOL_ERROR_NONE, 0, NULL, 0);
        return;
    case CTL_GET_VERSION_INFO:
        reply(client, m, QMI_PROTOCOL_ERROR_NONE, 0x01, versions, sizeof(versions));
        return;
    case CTL_ALLOCATE_CID:
        if (sim->hold_allocations) {
            SimHeld *held = g_new0(SimHeld, 1);
            held->client = client;
            held->message = qmi_message_ref(m);
            g_ptr_array_add(sim->held, held);
            return;
        }
        value = qmi_message_get_raw_tlv(m, 0x01, &length);
        if (value == NULL || length != 1 ||
            (value[0] != SIM_SERVICE_CAT2 && value[0] != SIM_SERVICE_UIM &&
             value[0] != SIM_SERVICE_DMS)) {
            reply(client, m, QMI_PROTOCOL_ERROR_INVALID_SERVICE_TYPE, 0, NULL, 0);
            return;
        } else {
            SimCid *cid = g_new0(SimCid, 1);
            guint8 answer[2] = { value[0], ++sim->next_cid };
            cid->service = value[0];
            cid->cid = answer[1];
            cid->client = client;
            g_ptr_array_add(sim->cids, cid);
            sim->allocations[value[0]]++;
            reply(client, m, QMI_PROTOCOL_ERROR_NONE, 0x01, answer, 2);
        }
        return;
    case CTL_RELEASE_CID:
        value = qmi_message_get_raw_tlv(m, 0x01, &length);
        for (guint i = 0; value != NULL && length == 2 && i < sim->cids->len; i++) {
            SimCid *cid = g_ptr_array_index(sim->cids, i);
            if (cid->service == value[0] && cid->cid == value[1]) {
                /* The host is gone: what the card was doing with it ends too. */
                if (cid->service == SIM_SERVICE_CAT2 && sim->card != NULL) {
                    g_ptr_array_set_size(sim->pending, 0);
                    sim_card_reset(sim->card);
                }
                g_ptr_array_remove_index(sim->cids, i);
                reply(client, m, QMI_PROTOCOL_ERROR_NONE, 0x01, value, 2);
                return;
            }
        }
        reply(client, m, QMI_PROTOCOL_ERROR_INVALID_CLIENT_ID, 0, NULL, 0);
        return;
    default:
        reply(client, m, QMI_PROTOCOL_ERROR_INVALID_QMI_COMMAND, 0, NULL, 0);
        return;
    }
}

static guint32 read_u32(const guint8 *p)
{
    return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

static char *hex(const guint8 *data, gsize length)
{
    return cat_hex_encode(data, length);
}

/* Send TR: TLV 0x01 {uim_ref_id u32, length u16, TR}. */
static void handle_tr(SimClient *client, QmiMessage *m)
{
    Sim *sim = client->sim;
    guint16 length = 0;
    const guint8 *value = qmi_message_get_raw_tlv(m, 0x01, &length);
    static const guint8 card_status[] = { 0x90, 0x00, 0x00 };
    guint32 ref;
    guint16 tr_length;

    if (value == NULL || length < 6 ||
        (tr_length = (guint16)(value[4] | value[5] << 8)) > length - 6) {
        reply(client, m, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE, 0, NULL, 0);
        return;
    }
    ref = read_u32(value);
    for (guint i = 0; i < sim->pending->len; i++) {
        SimPending *pending = g_ptr_array_index(sim->pending, i);
        if (pending->ref == ref && pending->modem_runs) {
            /* The modem runs it: a TR is a host error, the command stays pending. */
            g_autofree char *text = hex(value + 6, tr_length);
            reply(client, m, QMI_PROTOCOL_ERROR_INVALID_OPERATION, 0, NULL, 0);
            if (pending->func == NULL)
                sim_control_reply(pending->reply_to, "tr-refused %s\n", text);
            return;
        }
        if (pending->ref == ref) {
            g_autofree char *text = hex(value + 6, tr_length);
            /* Answer the modem first: the card may send its next command at once. */
            reply(client, m, QMI_PROTOCOL_ERROR_NONE, 0x10, card_status, sizeof(card_status));
            if (pending->func != NULL)
                pending->func(sim, value + 6, tr_length, pending->data);
            else
                sim_control_reply(pending->reply_to, "tr %s\n", text);
            g_ptr_array_remove(sim->pending, pending);
            return;
        }
    }
    reply(client, m, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT, 0, NULL, 0);
}

/*
 * Event Confirmation: the user's part of the oldest network command the modem runs. The modem
 * then runs it and answers the card itself (00).
 */
static void handle_confirmation(SimClient *client, QmiMessage *m)
{
    Sim *sim = client->sim;
    guint16 length = 0;
    const guint8 *confirm = qmi_message_get_raw_tlv(m, 0x10, &length);
    const guint8 *display = qmi_message_get_raw_tlv(m, 0x11, &length);
    char c = confirm != NULL ? (char)('0' + (confirm[0] != 0)) : '-';
    char d = display != NULL ? (char)('0' + (display[0] != 0)) : '-';

    for (guint i = 0; i < sim->pending->len; i++) {
        SimPending *pending = g_ptr_array_index(sim->pending, i);
        if (!pending->modem_runs)
            continue;
        reply(client, m, QMI_PROTOCOL_ERROR_NONE, 0, NULL, 0);
        if (pending->func != NULL) {
            const guint8 tr[] = { 0x81,
                                  0x03,
                                  pending->details[0],
                                  pending->details[1],
                                  pending->details[2],
                                  0x82,
                                  0x02,
                                  0x82,
                                  0x81,
                                  0x83,
                                  0x01,
                                  confirm != NULL && confirm[0] == 0 ? 0x22 : 0x00 };
            pending->func(sim, tr, sizeof(tr), pending->data);
        } else {
            sim_control_reply(pending->reply_to, "confirmed %c %c\n", c, d);
        }
        g_ptr_array_remove_index(sim->pending, i);
        return;
    }
    reply(client, m, QMI_PROTOCOL_ERROR_INVALID_OPERATION, 0, NULL, 0);
}

static void handle_cat2(SimClient *client, QmiMessage *m)
{
    guint8 cid_value = qmi_message_get_client_id(m);
    guint16 length = 0;
    const guint8 *value;
    SimCid *cid = NULL;

    for (guint i = 0; i < client->sim->cids->len; i++) {
        SimCid *c = g_ptr_array_index(client->sim->cids, i);
        if (c->service == SIM_SERVICE_CAT2 && c->cid == cid_value)
            cid = c;
    }
    if (cid == NULL) {
        reply(client, m, QMI_PROTOCOL_ERROR_INVALID_CLIENT_ID, 0, NULL, 0);
        return;
    }
    switch (qmi_message_get_message_id(m)) {
    case CAT2_SET_EVENT_REPORT:
        if ((value = qmi_message_get_raw_tlv(m, 0x10, &length)) != NULL && length == 4)
            cid->raw_mask = read_u32(value);
        if ((value = qmi_message_get_raw_tlv(m, 0x11, &length)) != NULL && length == 4)
            cid->decoded_mask = read_u32(value);
        cid->full_function = 0;
        if ((value = qmi_message_get_raw_tlv(m, 0x13, &length)) != NULL && length == 4) {
            /* Send SMS (bit 0) is the only full function simulated. */
            guint32 asked = read_u32(value) & 1u;
            guint8 refused[4] = { client->sim->refuse_full_function ? (guint8)asked : 0, 0, 0, 0 };
            cid->full_function = client->sim->refuse_full_function ? 0 : asked;
            reply(client, m, QMI_PROTOCOL_ERROR_NONE, 0x12, refused, 4);
        } else {
            reply(client, m, QMI_PROTOCOL_ERROR_NONE, 0, NULL, 0);
        }
        if (client->sim->card != NULL && cid->raw_mask != 0)
            sim_card_registered(client->sim->card, cid->decoded_mask);
        return;
    case CAT2_SEND_TR:
        handle_tr(client, m);
        return;
    case CAT2_SEND_ENVELOPE:
        value = qmi_message_get_raw_tlv(m, 0x01, &length);
        if (value == NULL || length < 4) {
            reply(client, m, QMI_PROTOCOL_ERROR_MALFORMED_MESSAGE, 0, NULL, 0);
            return;
        }
        g_ptr_array_add(client->sim->envelopes, hex(value + 4, length - 4));
        reply(client, m, QMI_PROTOCOL_ERROR_NONE, 0, NULL, 0);
        if (client->sim->card != NULL)
            sim_card_envelope(client->sim->card, value + 4, length - 4);
        return;
    case CAT2_GET_CONFIG:
        reply(client, m, QMI_PROTOCOL_ERROR_NONE, 0x10, &client->sim->config_mode, 1);
        return;
    case CAT2_EVENT_CONFIRM:
        handle_confirmation(client, m);
        return;
    case 0x0027: /* SCWS Open Channel (the answer) */
    case 0x0028: /* SCWS Close Channel */
    case 0x0029: /* SCWS Send Data acknowledgement */
    case 0x002a: /* SCWS Data Available */
    case 0x002b: /* SCWS Channel Status */
        value = qmi_message_get_raw_tlv(m, 0x01, &length);
        reply(client, m, QMI_PROTOCOL_ERROR_NONE, 0, NULL, 0);
        if (value != NULL && client->sim->card != NULL)
            sim_card_scws_request(client->sim->card, qmi_message_get_message_id(m), value, length);
        return;
    default:
        reply(client, m, QMI_PROTOCOL_ERROR_INVALID_QMI_COMMAND, 0, NULL, 0);
        return;
    }
}

/* DMS Get IDs (0x0025): ESN "0" and, with [modem] imei=, the IMEI (string TLVs, no prefix). */
static void handle_dms(SimClient *client, QmiMessage *m)
{
    g_autoptr(QmiMessage) response = NULL;

    if (qmi_message_get_message_id(m) != 0x0025) {
        reply(client, m, QMI_PROTOCOL_ERROR_INVALID_QMI_COMMAND, 0, NULL, 0);
        return;
    }
    response = qmi_message_response_new(m, QMI_PROTOCOL_ERROR_NONE);
    qmi_message_add_raw_tlv(response, 0x10, (const guint8 *)"0", 1, NULL);
    if (client->sim->imei != NULL)
        qmi_message_add_raw_tlv(response, 0x11, (const guint8 *)client->sim->imei,
                                strlen(client->sim->imei), NULL);
    sim_client_send(client, response);
}

void sim_held_free(SimHeld *held)
{
    qmi_message_unref(held->message);
    g_free(held);
}

void sim_release_allocations(Sim *sim)
{
    g_autoptr(GPtrArray) held = g_steal_pointer(&sim->held);

    sim->held = g_ptr_array_new_with_free_func((GDestroyNotify)sim_held_free);
    sim->hold_allocations = FALSE;
    for (guint i = 0; i < held->len; i++) {
        SimHeld *h = g_ptr_array_index(held, i);
        handle_ctl(h->client, h->message);
    }
}

void sim_handle_message(SimClient *client, QmiMessage *message)
{
    switch (qmi_message_get_service(message)) {
    case SIM_SERVICE_DMS:
        handle_dms(client, message);
        return;
    case SIM_SERVICE_UIM:
        sim_handle_uim(client, message);
        return;
    case QMI_SERVICE_CTL:
        handle_ctl(client, message);
        return;
    case SIM_SERVICE_CAT2:
        handle_cat2(client, message);
        return;
    default: {
        g_autoptr(QmiMessage) response =
            qmi_message_response_new(message, QMI_PROTOCOL_ERROR_INVALID_SERVICE_TYPE);
        sim_client_send(client, response);
        return;
    }
    }
}

/* The Event Report TLV a raw proactive command travels in, by command type (design §2.4). */
static guint8 raw_tlv_for(guint8 type)
{
    static const guint8 map[][2] = {
        { 0x21, 0x10 }, { 0x22, 0x11 }, { 0x23, 0x12 }, { 0x25, 0x13 }, { 0x24, 0x14 },
        { 0x28, 0x17 }, { 0x35, 0x18 }, { 0x20, 0x47 }, { 0x10, 0x48 }, { 0x14, 0x49 },
        { 0x15, 0x4a }, { 0x13, 0x4b }, { 0x11, 0x4c }, { 0x12, 0x4d }, { 0x26, 0x4e },
        { 0x05, 0x4f }, { 0x40, 0x51 }, { 0x41, 0x52 }, { 0x43, 0x53 }, { 0x42, 0x54 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
        if (map[i][0] == type)
            return map[i][1];
    }
    return 0;
}

gboolean sim_send_proactive(Sim *sim, const guint8 *command, gsize length, GOutputStream *reply_to,
                            GError **error)
{
    return sim_send_proactive_full(sim, command, length, NULL, g_object_ref(reply_to), error);
}

/* @func NULL: @data is a control connection's stream (a reference, taken) to print the TR on. */
gboolean sim_send_proactive_full(Sim *sim, const guint8 *command, gsize length, SimTrFunc func,
                                 gpointer data, GError **error)
{
    SimCid *cid = sim_find_cid(sim, SIM_SERVICE_CAT2);
    g_autoptr(GByteArray) value = g_byte_array_new();
    guint8 details[3] = { 0 };
    guint8 type, tlv;
    guint8 header[6];
    SimPending *pending;

    /* Command Details: D0 len [81|01] 03 number type qualifier. */
    for (gsize i = 0; i + 4 < length; i++) {
        if ((command[i] & 0x7f) == 0x01 && command[i + 1] == 0x03) {
            memcpy(details, command + i + 2, 3);
            break;
        }
    }
    type = details[1];
    /* Bytes the modem cannot place (no Command Details, a type it does not know) still reach
     * the host: as a DISPLAY TEXT, which is what a modem that forwards them would do. */
    tlv = raw_tlv_for(type);
    if (tlv == 0)
        tlv = 0x10;
    if (cid == NULL || cid->raw_mask == 0 || tlv == 0) {
        if (func == NULL)
            g_object_unref(data);
    }
    if (cid == NULL || cid->raw_mask == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                    "no CAT2 client has registered for events");
        return FALSE;
    }
    if (sim->card_absent) {
        if (func == NULL)
            g_object_unref(data);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no card");
        return FALSE;
    }
    if (tlv == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "command type 0x%02x has no raw Event Report TLV", type);
        return FALSE;
    }
    pending = g_new0(SimPending, 1);
    pending->ref = ++sim->next_ref;
    memcpy(pending->details, details, 3);
    /* SET UP CALL, SEND SS, USSD, DTMF; SEND SHORT MESSAGE unless the host has its full
     * function; BIP unless the host's terminal profile is used (custom raw). */
    pending->modem_runs = type == 0x10 || type == 0x11 || type == 0x12 || type == 0x14 ||
                          (type == 0x13 && !(cid->full_function & 1u)) ||
                          (type >= 0x40 && type <= 0x44 && sim->config_mode != 5);
    if (func != NULL) {
        pending->func = func;
        pending->data = data;
    } else {
        pending->reply_to = data;
    }
    g_ptr_array_add(sim->pending, pending);
    header[0] = (guint8)pending->ref;
    header[1] = (guint8)(pending->ref >> 8);
    header[2] = (guint8)(pending->ref >> 16);
    header[3] = (guint8)(pending->ref >> 24);
    header[4] = (guint8)length;
    header[5] = (guint8)(length >> 8);
    g_byte_array_append(value, header, sizeof(header));
    g_byte_array_append(value, command, (guint)length);
    sim_client_indicate(cid->client, SIM_SERVICE_CAT2, cid->cid, CAT2_SET_EVENT_REPORT, tlv,
                        value->data, value->len);
    return TRUE;
}

gboolean sim_send_refresh(Sim *sim, guint16 mode, guint8 stage, GError **error)
{
    SimCid *cid = sim_find_cid(sim, SIM_SERVICE_CAT2);
    const guint8 value[] = { (guint8)mode, (guint8)(mode >> 8), stage };

    if (cid == NULL || cid->raw_mask == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                    "no CAT2 client has registered for events");
        return FALSE;
    }
    sim_client_indicate(cid->client, SIM_SERVICE_CAT2, cid->cid, CAT2_SET_EVENT_REPORT, 0x19, value,
                        sizeof(value));
    return TRUE;
}
