/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The simulator's UIM service (wire layout as libqmi's qmi-service-uim.json): Read Transparent
 * and Read Record of the card's files, Register Events and the Card Status indication, Get
 * Card Status, Refresh Register (All), the Refresh indication and Refresh Complete.
 * Profile: [modem] uim-refresh=false refuses the REFRESH registration (an older modem),
 * uim-events=false refuses Register Events (no card status).
 */
#include "sim.h"

#include <string.h>

#define UIM_READ_TRANSPARENT     0x0020
#define UIM_READ_RECORD          0x0021
#define UIM_REFRESH_REGISTER     0x002a
#define UIM_REFRESH_COMPLETE     0x002c
#define UIM_REGISTER_EVENTS      0x002e
#define UIM_GET_CARD_STATUS      0x002f
#define UIM_CARD_STATUS_IND      0x0032
#define UIM_REFRESH_IND          0x0033
#define UIM_REFRESH_REGISTER_ALL 0x0044

#define REFRESH_WAIT_SECONDS 5

static void reply(SimClient *client, QmiMessage *request, QmiProtocolError error)
{
    g_autoptr(QmiMessage) response = qmi_message_response_new(request, error);
    sim_client_send(client, response);
}

static SimCid *uim_cid(Sim *sim, guint8 cid)
{
    for (guint i = 0; i < sim->cids->len; i++) {
        SimCid *c = g_ptr_array_index(sim->cids, i);
        if (c->service == SIM_SERVICE_UIM && c->cid == cid)
            return c;
    }
    return NULL;
}

/* --- Files ------------------------------------------------------------------------------ */

/* "3f007f505031": the full path of the file a UIM request names (TLV 0x02: file id, then the
 * DFs above it, each id little-endian). */
static char *requested_path(const guint8 *file, guint16 length)
{
    GString *path = g_string_new(NULL);
    guint8 depth = file[2];

    for (guint i = 0; i + 1 < depth && 3u + i + 1 < length; i += 2)
        g_string_append_printf(path, "%02x%02x", file[3 + i + 1], file[3 + i]);
    g_string_append_printf(path, "%02x%02x", file[1], file[0]);
    return g_string_free(path, FALSE);
}

static void handle_read(SimClient *client, QmiMessage *m)
{
    guint16 id = qmi_message_get_message_id(m);
    guint16 length = 0, record_length = 0;
    const guint8 *file = qmi_message_get_raw_tlv(m, 0x02, &length);
    const guint8 *record = qmi_message_get_raw_tlv(m, 0x03, &record_length);
    static const guint8 ok[] = { 0x90, 0x00 };
    static const guint8 not_found[] = { 0x6a, 0x82 };
    g_autoptr(QmiMessage) response = NULL;
    g_autofree char *path = NULL;
    GBytes *content = NULL;
    g_autofree char *key = NULL;

    if (file == NULL || length < 3 ||
        (id == UIM_READ_RECORD && (record == NULL || record_length < 2))) {
        reply(client, m, QMI_PROTOCOL_ERROR_MISSING_ARGUMENT);
        return;
    }
    if (client->sim->card_absent) {
        reply(client, m, QMI_PROTOCOL_ERROR_DEVICE_NOT_READY);
        return;
    }
    path = requested_path(file, length);
    key = id == UIM_READ_RECORD ? g_strdup_printf("%s#%u", path, record[0] | record[1] << 8)
                                : g_strdup(path);
    content = g_hash_table_lookup(client->sim->files, key);
    response = qmi_message_response_new(m, QMI_PROTOCOL_ERROR_NONE);
    if (content != NULL) {
        g_autoptr(GByteArray) result = g_byte_array_new();
        gsize n = g_bytes_get_size(content);
        guint8 le[2] = { (guint8)n, (guint8)(n >> 8) };
        g_byte_array_append(result, le, 2);
        g_byte_array_append(result, g_bytes_get_data(content, NULL), (guint)n);
        qmi_message_add_raw_tlv(response, 0x10, ok, 2, NULL);
        qmi_message_add_raw_tlv(response, 0x11, result->data, result->len, NULL);
    } else {
        qmi_message_add_raw_tlv(response, 0x10, not_found, 2, NULL);
    }
    sim_client_send(client, response);
}

/* --- Card status -------------------------------------------------------------------------- */

/* TLV 0x10 of Get Card Status and of the Card Status indication: one card in slot 1 with a
 * ready USIM (PIN disabled), or an absent card. */
static GByteArray *card_status(Sim *sim)
{
    static const guint8 usim_aid[] = { 0xa0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02 };
    GByteArray *out = g_byte_array_new();
    gboolean present = !sim->card_absent;
    const guint8 indexes[] = {
        present ? 0x00 : 0xff, present ? 0x00 : 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
    };
    /* state, UPIN state, retries, error code, number of applications */
    const guint8 card[] = { present ? 1 : 0, 0, 0, 0, 0, present ? 1 : 0 };
    /* type USIM, state ready, personalization ready, feature, retries ×2 */
    static const guint8 app_head[] = { 2, 7, 2, 0, 0, 0 };
    /* UPIN replaces PIN1, PIN1 disabled, retries, PUK1 retries, PIN2 …, retries */
    static const guint8 app_tail[] = { 0, 3, 3, 10, 3, 3, 10 };
    guint8 aid_length = sizeof(usim_aid);
    guint8 cards = 1;

    g_byte_array_append(out, indexes, sizeof(indexes));
    g_byte_array_append(out, &cards, 1);
    g_byte_array_append(out, card, sizeof(card));
    if (present) {
        g_byte_array_append(out, app_head, sizeof(app_head));
        g_byte_array_append(out, &aid_length, 1);
        g_byte_array_append(out, usim_aid, sizeof(usim_aid));
        g_byte_array_append(out, app_tail, sizeof(app_tail));
    }
    return out;
}

static void handle_get_card_status(SimClient *client, QmiMessage *m)
{
    g_autoptr(QmiMessage) response = qmi_message_response_new(m, QMI_PROTOCOL_ERROR_NONE);
    g_autoptr(GByteArray) status = card_status(client->sim);

    qmi_message_add_raw_tlv(response, 0x10, status->data, status->len, NULL);
    sim_client_send(client, response);
}

static void handle_register_events(SimClient *client, QmiMessage *m, SimCid *cid)
{
    guint16 length = 0;
    const guint8 *mask = qmi_message_get_raw_tlv(m, 0x01, &length);
    g_autoptr(QmiMessage) response = NULL;

    if (mask == NULL || length != 4) {
        reply(client, m, QMI_PROTOCOL_ERROR_MISSING_ARGUMENT);
        return;
    }
    if (client->sim->refuse_uim_events) {
        reply(client, m, QMI_PROTOCOL_ERROR_INVALID_QMI_COMMAND);
        return;
    }
    /* Card status only: the other events are not simulated. */
    cid->uim_events = mask[0] & 0x01;
    response = qmi_message_response_new(m, QMI_PROTOCOL_ERROR_NONE);
    {
        const guint8 granted[4] = { (guint8)cid->uim_events, 0, 0, 0 };
        qmi_message_add_raw_tlv(response, 0x10, granted, 4, NULL);
    }
    sim_client_send(client, response);
}

void sim_uim_card_changed(Sim *sim)
{
    g_autoptr(GByteArray) status = card_status(sim);

    for (guint i = 0; i < sim->cids->len; i++) {
        SimCid *c = g_ptr_array_index(sim->cids, i);
        if (c->service == SIM_SERVICE_UIM && c->uim_events != 0)
            sim_client_indicate(c->client, SIM_SERVICE_UIM, c->cid, UIM_CARD_STATUS_IND, 0x10,
                                status->data, status->len);
    }
}

/* --- REFRESH ------------------------------------------------------------------------------ */

struct SimRefresh {
    guint8 mode;
    GPtrArray *files;        /* GByteArray: a path from the MF, two bytes a level */
    GOutputStream *reply_to; /* the control connection that asked */
    guint timeout_id;
};

static void refresh_free(SimRefresh *refresh)
{
    if (refresh->timeout_id != 0)
        g_source_remove(refresh->timeout_id);
    g_ptr_array_unref(refresh->files);
    g_object_unref(refresh->reply_to);
    g_free(refresh);
}

/* TLV 0x10 {stage, mode, session type, AID, files {id u16, path}}: card session of slot 1. */
static void indicate_refresh(Sim *sim, guint8 stage, guint8 mode, GPtrArray *files)
{
    g_autoptr(GByteArray) value = g_byte_array_new();
    const guint8 head[] = { stage, mode, 6 /* card on slot 1 */, 0 /* no AID */ };
    guint16 n = files != NULL ? (guint16)files->len : 0;
    guint8 count[2] = { (guint8)n, (guint8)(n >> 8) };

    g_byte_array_append(value, head, sizeof(head));
    g_byte_array_append(value, count, 2);
    for (guint i = 0; i < n; i++) {
        GByteArray *path = g_ptr_array_index(files, i);
        guint8 id[2] = { path->data[path->len - 1], path->data[path->len - 2] };
        guint8 above = (guint8)(path->len - 2);
        g_byte_array_append(value, id, 2);
        g_byte_array_append(value, &above, 1);
        for (guint j = 0; j < above; j += 2) {
            guint8 le[2] = { path->data[j + 1], path->data[j] };
            g_byte_array_append(value, le, 2);
        }
    }
    for (guint i = 0; i < sim->cids->len; i++) {
        SimCid *c = g_ptr_array_index(sim->cids, i);
        if (c->service == SIM_SERVICE_UIM && c->uim_refresh)
            sim_client_indicate(c->client, SIM_SERVICE_UIM, c->cid, UIM_REFRESH_IND, 0x10,
                                value->data, value->len);
    }
}

static gboolean refresh_registered(Sim *sim)
{
    for (guint i = 0; i < sim->cids->len; i++) {
        SimCid *c = g_ptr_array_index(sim->cids, i);
        if (c->service == SIM_SERVICE_UIM && c->uim_refresh)
            return TRUE;
    }
    return FALSE;
}

/* Every registered client has completed (or @timed_out): the REFRESH ends. */
static void refresh_end(Sim *sim, gboolean timed_out)
{
    SimRefresh *refresh = sim->refresh;
    gboolean ok = !timed_out;

    for (guint i = 0; i < sim->cids->len; i++) {
        SimCid *c = g_ptr_array_index(sim->cids, i);
        if (c->service == SIM_SERVICE_UIM && c->uim_refresh && c->uim_complete == 0)
            ok = FALSE;
    }
    indicate_refresh(sim, ok ? 2 : 3, refresh->mode, NULL);
    sim_control_reply(refresh->reply_to, "%s\n",
                      timed_out ? "refresh timed out"
                      : ok      ? "refreshed"
                                : "refresh failed");
    if (timed_out)
        refresh->timeout_id = 0;
    sim->refresh = NULL;
    refresh_free(refresh);
}

static gboolean on_refresh_timeout(gpointer user_data)
{
    refresh_end(user_data, TRUE);
    return G_SOURCE_REMOVE;
}

static void refresh_check(Sim *sim)
{
    for (guint i = 0; i < sim->cids->len; i++) {
        SimCid *c = g_ptr_array_index(sim->cids, i);
        if (c->service == SIM_SERVICE_UIM && c->uim_refresh && c->uim_complete < 0)
            return;
    }
    refresh_end(sim, FALSE);
}

gboolean sim_uim_refresh(Sim *sim, guint8 mode, GPtrArray *files, GOutputStream *reply_to,
                         GError **error)
{
    SimRefresh *refresh;

    if (!refresh_registered(sim)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                    "no UIM client has registered for REFRESH");
        return FALSE;
    }
    if (sim->refresh != NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY, "a REFRESH is running");
        return FALSE;
    }
    refresh = g_new0(SimRefresh, 1);
    refresh->mode = mode;
    refresh->files = g_ptr_array_ref(files);
    refresh->reply_to = g_object_ref(reply_to);
    sim->refresh = refresh;
    for (guint i = 0; i < sim->cids->len; i++) {
        SimCid *c = g_ptr_array_index(sim->cids, i);
        if (c->service == SIM_SERVICE_UIM && c->uim_refresh)
            c->uim_complete = -1;
    }
    indicate_refresh(sim, 1, mode, files);
    refresh->timeout_id = g_timeout_add_seconds(REFRESH_WAIT_SECONDS, on_refresh_timeout, sim);
    return TRUE;
}

gboolean sim_uim_refresh_event(Sim *sim, guint8 stage, guint8 mode)
{
    if (!refresh_registered(sim))
        return FALSE;
    indicate_refresh(sim, stage, mode, NULL);
    return TRUE;
}

void sim_uim_reset(Sim *sim)
{
    if (sim->refresh != NULL) {
        sim_control_reply(sim->refresh->reply_to, "refresh dropped\n");
        refresh_free(sim->refresh);
        sim->refresh = NULL;
    }
}

static void handle_refresh_register(SimClient *client, QmiMessage *m, SimCid *cid)
{
    guint16 length = 0;
    const guint8 *info = qmi_message_get_raw_tlv(m, 0x02, &length);

    if (client->sim->refuse_uim_refresh) {
        reply(client, m, QMI_PROTOCOL_ERROR_INVALID_QMI_COMMAND);
        return;
    }
    if (info == NULL || length < 1 || qmi_message_get_raw_tlv(m, 0x01, &length) == NULL) {
        reply(client, m, QMI_PROTOCOL_ERROR_MISSING_ARGUMENT);
        return;
    }
    cid->uim_refresh = info[0] != 0;
    cid->uim_complete = 1;
    reply(client, m, QMI_PROTOCOL_ERROR_NONE);
}

static void handle_refresh_complete(SimClient *client, QmiMessage *m, SimCid *cid)
{
    guint16 length = 0;
    const guint8 *info = qmi_message_get_raw_tlv(m, 0x02, &length);

    if (info == NULL || length < 1) {
        reply(client, m, QMI_PROTOCOL_ERROR_MISSING_ARGUMENT);
        return;
    }
    if (client->sim->refresh == NULL || !cid->uim_refresh) {
        reply(client, m, QMI_PROTOCOL_ERROR_INVALID_OPERATION);
        return;
    }
    cid->uim_complete = info[0] != 0 ? 1 : 0;
    reply(client, m, QMI_PROTOCOL_ERROR_NONE);
    refresh_check(client->sim);
}

void sim_handle_uim(SimClient *client, QmiMessage *m)
{
    SimCid *cid = uim_cid(client->sim, qmi_message_get_client_id(m));

    if (cid == NULL) {
        reply(client, m, QMI_PROTOCOL_ERROR_INVALID_CLIENT_ID);
        return;
    }
    switch (qmi_message_get_message_id(m)) {
    case UIM_READ_TRANSPARENT:
    case UIM_READ_RECORD:
        handle_read(client, m);
        return;
    case UIM_GET_CARD_STATUS:
        handle_get_card_status(client, m);
        return;
    case UIM_REGISTER_EVENTS:
        handle_register_events(client, m, cid);
        return;
    case UIM_REFRESH_REGISTER:
    case UIM_REFRESH_REGISTER_ALL:
        handle_refresh_register(client, m, cid);
        return;
    case UIM_REFRESH_COMPLETE:
        handle_refresh_complete(client, m, cid);
        return;
    default:
        reply(client, m, QMI_PROTOCOL_ERROR_INVALID_QMI_COMMAND);
        return;
    }
}
