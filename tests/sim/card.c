/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The virtual UICC's own behaviour. In raw-BIP mode the card runs its Smartcard Web Server
 * as a real card does: once dmscd has registered, it opens a TCP server channel on the SCWS
 * port; on Data Available it reads the request with RECEIVE DATA, serves it (its DM server at
 * [server] path, a small page elsewhere) and writes the response with SEND DATA, then ends
 * the connection with CLOSE CHANNEL (back to listen).
 * With [scws] channels=N it opens N channels on its port and serves N clients at once.
 * With [scws] keep-alive=true it is a card that keeps a client's connection for its next
 * request (HTTP/1.1 persistent connections), closing it only once the client has left; with
 * close-silently=true one that closes after each answer without saying so (no "Connection:
 * close"), as HTTP/1.1 lets a server do.
 * Profile: [modem] scws-mode=raw-bip|qmi, [scws] port=3516, channels=1, keep-alive=false,
 *          close-silently=false,
 *          [server] path= server-id= … script= record= (the scripted DM server).
 */
#include "sim.h"

#include "cat/cat.h"
#include "script-server.h"

#include <string.h>

static const guint8 zero_nonce[4] = { 0 };

#define CHUNK        200
#define SCWS_PIECE   1000
#define MAX_CHANNELS 7

struct SimCard {
    Sim *sim;
    /* [trigger]: a DM notification sent by SEND SHORT MESSAGE */
    char *trigger_when; /* start, never, or seconds after registration */
    char *server_id;
    char *server_password;
    GBytes *server_nonce; /* [server] server-nonce: what package #0 is signed with */
    guint16 session_id;
    DmUiMode ui_mode;
    gboolean raw_bip;
    gboolean qmi_scws;
    guint16 port;
    guint channels; /* SCWS channels opened on the port, 1 … MAX_CHANNELS */
    gboolean keep_alive;
    gboolean close_silently;
    guint connections; /* clients the card heard of, since start */
    guint requests_served;
    guint commands_sent;         /* proactive commands, since start */
    guint scws_messages;         /* QMI SCWS indications sent and requests taken, since start */
    guint64 bytes_in, bytes_out; /* what crossed the SCWS channels: from clients, to them */
    gboolean opened;
    GQueue commands; /* GBytes: proactive commands waiting for the card's turn */
    gboolean busy;
    guint8 sent_channel;                    /* the channel of the command in flight */
    GByteArray *requests[MAX_CHANNELS + 1]; /* 1-based: each channel's client's request */
    gboolean connected[MAX_CHANNELS + 1];   /* a client's connection the card has not closed */
    ScriptServer *dm;
    char *dm_path;
    char *record;
};

static void card_next(SimCard *card);

static void on_tr(Sim *sim, const guint8 *tr, gsize length, gpointer user_data);

static void card_send(SimCard *card, GBytes *command)
{
    g_queue_push_tail(&card->commands, command);
    card_next(card);
}

static gboolean card_next_idle(gpointer user_data)
{
    card_next(user_data);
    return G_SOURCE_REMOVE;
}

/* The channel a command is for: its destination device 0x21 … 0x27, else 0. */
static guint8 channel_of(GBytes *command)
{
    g_autoptr(CatMessage) message =
        cat_message_parse(g_bytes_get_data(command, NULL), g_bytes_get_size(command), NULL);
    const CatTlv *devices = message ? cat_message_find(message, CAT_TAG_DEVICE_IDENTITIES) : NULL;

    if (devices == NULL || devices->length != 2 || devices->value[1] < 0x21 ||
        devices->value[1] > 0x20 + MAX_CHANNELS)
        return 0;
    return (guint8)(devices->value[1] - 0x20);
}

static void card_next(SimCard *card)
{
    g_autoptr(GBytes) command = NULL;
    g_autoptr(GError) error = NULL;

    if (card->busy || g_queue_is_empty(&card->commands))
        return;
    command = g_queue_pop_head(&card->commands);
    card->busy = TRUE;
    card->sent_channel = channel_of(command);
    if (!sim_send_proactive_full(card->sim, g_bytes_get_data(command, NULL),
                                 g_bytes_get_size(command), on_tr, card, &error)) {
        g_warning("dmsc-sim card: %s", error->message);
        card->busy = FALSE;
        return;
    }
    card->commands_sent++;
}

/* A proactive command: D0, length, Command Details, Device Identities (UICC → @dest), rest. */
static GBytes *command_new(guint8 type, guint8 qualifier, guint8 dest, const guint8 *objects,
                           gsize length)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    guint8 details[3] = { 1, type, qualifier };
    guint8 devices[2] = { CAT_DEVICE_UICC, dest };
    g_autoptr(GBytes) out = NULL;

    cat_builder_add(body, 0x80 | CAT_TAG_COMMAND_DETAILS, details, 3);
    cat_builder_add(body, 0x80 | CAT_TAG_DEVICE_IDENTITIES, devices, 2);
    g_byte_array_append(body, objects, (guint)length);
    out = cat_envelope_finish(0xd0, body, NULL);
    return g_steal_pointer(&out);
}

static void open_channel(SimCard *card)
{
    guint8 objects[] = {
        0xb9, 0x02, 0x05, 0x78, 0x3c, 0x03, 0x03, (guint8)(card->port >> 8), (guint8)card->port
    };
    guint8 events[] = { 0x99, 0x02, CAT_EVENT_DATA_AVAILABLE, CAT_EVENT_CHANNEL_STATUS };

    card_send(card, command_new(CAT_CMD_SET_UP_EVENT_LIST, 0, CAT_DEVICE_TERMINAL, events,
                                sizeof(events)));
    for (guint i = 0; i < card->channels; i++)
        card_send(card, command_new(CAT_CMD_OPEN_CHANNEL, 1, CAT_DEVICE_TERMINAL, objects,
                                    sizeof(objects)));
}

static void receive(SimCard *card, guint8 channel, gsize wanted)
{
    guint8 length[] = { 0xb7, 0x01, (guint8)MIN(wanted, CHUNK) };

    card_send(card, command_new(CAT_CMD_RECEIVE_DATA, 0, 0x20 + channel, length, sizeof(length)));
}

/* --- The card's web server --------------------------------------------------------------- */

static char *header_value(const char *headers, const char *name)
{
    g_auto(GStrv) lines = g_strsplit(headers, "\r\n", -1);
    gsize n = strlen(name);

    for (char **l = lines; *l != NULL; l++) {
        if (g_ascii_strncasecmp(*l, name, n) == 0 && (*l)[n] == ':')
            return g_strstrip(g_strdup(*l + n + 1));
    }
    return NULL;
}

static void deliver(SimCard *card, guint8 channel, const guint8 *data, gsize length);

static void send_response(SimCard *card, guint8 channel, const char *status, const char *type,
                          const char *extra, const guint8 *body, gsize length)
{
    g_autoptr(GString) head = g_string_new(NULL);
    g_autoptr(GByteArray) all = g_byte_array_new();

    g_string_printf(head, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
                    status, type, length, extra ? extra : "",
                    card->keep_alive || card->close_silently ? "" : "Connection: close\r\n");
    g_byte_array_append(all, (const guint8 *)head->str, (guint)head->len);
    g_byte_array_append(all, body, (guint)length);
    deliver(card, channel, all->data, all->len);
}

/* Raw BIP: SEND DATA pieces, buffered (qualifier 0) and sent (qualifier 1) before the
 * terminal's buffer would overflow and with the last piece, then CLOSE CHANNEL to listen
 * (unless the card keeps connections). */
static void deliver_bip(SimCard *card, guint8 channel, const guint8 *data, gsize length)
{
    gsize buffered = 0;

    for (gsize offset = 0; offset < length; offset += CHUNK) {
        gsize n = MIN(CHUNK, length - offset);
        g_autoptr(GByteArray) object = g_byte_array_new();
        gboolean now = offset + n >= length || buffered + n + CHUNK > SCWS_PIECE;
        cat_builder_add(object, 0x80 | CAT_TAG_CHANNEL_DATA, data + offset, n);
        card_send(card, command_new(CAT_CMD_SEND_DATA, now ? 1 : 0, 0x20 + channel, object->data,
                                    object->len));
        buffered = now ? 0 : buffered + n;
    }
    if (!card->keep_alive)
        card_send(card, command_new(CAT_CMD_CLOSE_CHANNEL, 1, 0x20 + channel, NULL, 0));
}

static void put_u32(guint8 *p, guint32 v)
{
    p[0] = (guint8)v;
    p[1] = (guint8)(v >> 8);
    p[2] = (guint8)(v >> 16);
    p[3] = (guint8)(v >> 24);
}

/* QMI SCWS: Send Data indications of at most 1000 bytes (total, current), then Close
 * Channel with state listen (unless the card keeps connections). */
static void deliver_qmi(SimCard *card, guint8 channel, const guint8 *data, gsize length)
{
    SimCid *cid = sim_find_cid(card->sim, SIM_SERVICE_CAT2);
    guint total = (guint)((length + SCWS_PIECE - 1) / SCWS_PIECE);
    guint8 close_value[5];

    if (cid == NULL)
        return;
    for (guint i = 0; i < total; i++) {
        gsize offset = (gsize)i * SCWS_PIECE, n = MIN((gsize)SCWS_PIECE, length - offset);
        g_autoptr(GByteArray) value = g_byte_array_new();
        guint8 head[8];
        put_u32(head, channel);
        head[4] = (guint8)total;
        head[5] = (guint8)(i + 1);
        head[6] = (guint8)n;
        head[7] = (guint8)(n >> 8);
        g_byte_array_append(value, head, sizeof(head));
        g_byte_array_append(value, data + offset, (guint)n);
        sim_client_indicate(cid->client, SIM_SERVICE_CAT2, cid->cid, 0x0029, 0x10, value->data,
                            value->len);
        card->scws_messages++;
    }
    if (card->keep_alive)
        return;
    put_u32(close_value, channel);
    close_value[4] = 1; /* listen */
    sim_client_indicate(cid->client, SIM_SERVICE_CAT2, cid->cid, 0x0028, 0x10, close_value,
                        sizeof(close_value));
    card->scws_messages++;
}

static void deliver(SimCard *card, guint8 channel, const guint8 *data, gsize length)
{
    /* One request a connection: the card closes it after its answer; a card that keeps
     * connections closes it when the client has left. */
    card->requests_served++;
    card->bytes_out += length;
    if (!card->keep_alive)
        card->connected[channel] = FALSE;
    if (card->raw_bip)
        deliver_bip(card, channel, data, length);
    else
        deliver_qmi(card, channel, data, length);
}

/* The connection back to listen without an answer: CLOSE CHANNEL, or Close Channel. */
static void close_connection(SimCard *card, guint8 channel)
{
    SimCid *cid;
    guint8 value[5] = { channel, 0, 0, 0, 1 /* listen */ };

    if (card->raw_bip) {
        card_send(card, command_new(CAT_CMD_CLOSE_CHANNEL, 1, 0x20 + channel, NULL, 0));
        return;
    }
    if ((cid = sim_find_cid(card->sim, SIM_SERVICE_CAT2)) != NULL)
        sim_client_indicate(cid->client, SIM_SERVICE_CAT2, cid->cid, 0x0028, 0x10, value,
                            sizeof(value));
}

/*
 * The terminal says a client came (established) or left (listen). A client that left before
 * its answer takes its half request with it, and the card closes the connection it had not
 * closed yet; one it closed already is not closed twice (that would cut the next client).
 */
static void client_status(SimCard *card, guint8 channel, CatTcpState state)
{
    g_byte_array_set_size(card->requests[channel], 0);
    if (state == CAT_TCP_ESTABLISHED) {
        card->connected[channel] = TRUE;
        card->connections++;
        return;
    }
    if (state == CAT_TCP_LISTEN && card->connected[channel]) {
        card->connected[channel] = FALSE;
        close_connection(card, channel);
    }
}

static void write_record(SimCard *card)
{
    GPtrArray *records;
    g_autoptr(GString) text = g_string_new(NULL);

    if (card->dm == NULL || card->record == NULL)
        return;
    records = script_server_get_records(card->dm);
    for (guint i = 0; i < records->len; i++)
        g_string_append_printf(text, "%s\n", (const char *)g_ptr_array_index(records, i));
    g_file_set_contents(card->record, text->str, (gssize)text->len, NULL);
}

/* TRUE when the whole request (headers and Content-Length bytes) is in. */
static gboolean serve_if_complete(SimCard *card, guint8 channel)
{
    GByteArray *request = card->requests[channel];
    const char *data = (const char *)request->data;
    const char *end = g_strstr_len(data, request->len, "\r\n\r\n");
    g_autofree char *headers = NULL, *length_text = NULL, *hmac = NULL;
    g_auto(GStrv) request_line = NULL;
    gsize body_offset, body_length = 0;

    if (end == NULL)
        return FALSE;
    body_offset = (gsize)(end - data) + 4;
    headers = g_strndup(data, body_offset);
    length_text = header_value(headers, "Content-Length");
    if (length_text != NULL)
        body_length = (gsize)g_ascii_strtoull(length_text, NULL, 10);
    if (request->len < body_offset + body_length)
        return FALSE;
    request_line = g_strsplit(headers, " ", 3);
    hmac = header_value(headers, "x-syncml-hmac");
    if (card->dm != NULL && request_line[1] != NULL && g_str_equal(request_line[0], "POST") &&
        g_str_equal(request_line[1], card->dm_path)) {
        g_autoptr(GBytes) body = g_bytes_new(data + body_offset, body_length);
        g_autofree char *response_hmac = NULL;
        g_autoptr(GBytes) reply = script_server_handle(card->dm, body, hmac, &response_hmac);
        g_autofree char *extra =
            response_hmac ? g_strdup_printf("x-syncml-hmac: %s\r\n", response_hmac) : NULL;
        write_record(card);
        if (reply == NULL)
            send_response(card, channel, "400 Bad Request", "text/plain", NULL, (const guint8 *)"",
                          0);
        else
            send_response(card, channel, "200 OK",
                          dm_message_detect(g_bytes_get_data(reply, NULL),
                                            g_bytes_get_size(reply)) == DM_ENCODING_WBXML
                              ? DM_MEDIA_TYPE_WBXML
                              : DM_MEDIA_TYPE_XML,
                          extra, g_bytes_get_data(reply, NULL), g_bytes_get_size(reply));
    } else {
        const char *page = "<html><body>dmsc-sim SCWS</body></html>\n";
        send_response(card, channel, "200 OK", "text/html", NULL, (const guint8 *)page,
                      strlen(page));
    }
    g_byte_array_set_size(request, 0);
    return TRUE;
}

/* --- Terminal responses and envelopes ---------------------------------------------------- */

static void on_tr(Sim *sim, const guint8 *tr, gsize length, gpointer user_data)
{
    SimCard *card = user_data;
    g_autoptr(CatMessage) response = cat_message_parse(tr, length, NULL);
    CatCommandDetails details;
    const CatTlv *data, *left;

    card->busy = FALSE;
    if (response != NULL && cat_message_get_command(response, &details) &&
        details.type == CAT_CMD_RECEIVE_DATA && card->sent_channel != 0) {
        guint8 channel = card->sent_channel;
        data = cat_message_find(response, CAT_TAG_CHANNEL_DATA);
        left = cat_message_find(response, CAT_TAG_CHANNEL_DATA_LENGTH);
        if (data != NULL) {
            g_byte_array_append(card->requests[channel], data->value, (guint)data->length);
            card->bytes_in += data->length;
        }
        if (left != NULL && left->length == 1 && left->value[0] > 0)
            receive(card, channel, left->value[0]);
        else
            serve_if_complete(card, channel);
    }
    g_idle_add(card_next_idle, card);
}

void sim_card_envelope(SimCard *card, const guint8 *envelope, gsize length)
{
    g_autoptr(CatMessage) message = cat_message_parse(envelope, length, NULL);
    const CatTlv *events, *left, *status;
    guint8 channel;

    if (message == NULL || message->ber_tag != CAT_ENVELOPE_EVENT_DOWNLOAD)
        return;
    events = cat_message_find(message, CAT_TAG_EVENT_LIST);
    status = cat_message_find(message, CAT_TAG_CHANNEL_STATUS);
    if (!card->raw_bip || events == NULL || events->length < 1 || status == NULL ||
        status->length < 1)
        return;
    /* Channel Status: the channel identifier in the low three bits of its first byte, the
     * TCP state in its top two. */
    channel = status->value[0] & 0x07;
    if (channel == 0 || channel > card->channels)
        return;
    if (events->value[0] == CAT_EVENT_CHANNEL_STATUS) {
        client_status(card, channel, (CatTcpState)(status->value[0] >> 6));
        return;
    }
    /* Data for a connection the card has closed already (its CLOSE CHANNEL still to run): no
     * client to read it for. */
    if (events->value[0] != CAT_EVENT_DATA_AVAILABLE || !card->connected[channel])
        return;
    left = cat_message_find(message, CAT_TAG_CHANNEL_DATA_LENGTH);
    receive(card, channel, left != NULL && left->length == 1 ? left->value[0] : CHUNK);
}

/* SEND SHORT MESSAGE: an SMS-SUBMIT to port 2948 whose user data is a WSP push of package #0
 * signed with the server's credentials and the zero nonce. */
void sim_card_trigger(SimCard *card)
{
    /* Signed with the server nonce as it stands now: the one the device gave last. */
    GBytes *nonce =
        card->dm != NULL ? script_server_get_server_nonce(card->dm) : card->server_nonce;
    static const guint8 udh[] = { 0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0 };
    static const guint8 wsp[] = { 0x01, 0x06, 0x03, 0xc4, 0xaf, 0x87 };
    g_autoptr(GBytes) package0 = dm_notification_build(
        card->server_id, card->server_password, g_bytes_get_data(nonce, NULL),
        g_bytes_get_size(nonce), card->session_id, card->ui_mode, TRUE, NULL, 0, NULL);
    g_autoptr(GByteArray) tpdu = g_byte_array_new();
    g_autoptr(GByteArray) objects = g_byte_array_new();
    guint8 header[] = { 0x41, 0x00, 0x04, 0x81, 0x21, 0x43, 0x00, 0x04, 0 };

    if (package0 == NULL)
        return;
    header[8] = (guint8)(sizeof(udh) + sizeof(wsp) + g_bytes_get_size(package0));
    g_byte_array_append(tpdu, header, sizeof(header));
    g_byte_array_append(tpdu, udh, sizeof(udh));
    g_byte_array_append(tpdu, wsp, sizeof(wsp));
    g_byte_array_append(tpdu, g_bytes_get_data(package0, NULL), (guint)g_bytes_get_size(package0));
    cat_builder_add(objects, 0x80 | CAT_TAG_SMS_TPDU, tpdu->data, tpdu->len);
    card_send(card, command_new(CAT_CMD_SEND_SHORT_MESSAGE, 0, CAT_DEVICE_NETWORK, objects->data,
                                objects->len));
}

static gboolean on_trigger_timer(gpointer user_data)
{
    sim_card_trigger(user_data);
    return G_SOURCE_REMOVE;
}

void sim_card_registered(SimCard *card, guint32 decoded_mask)
{
    guint64 seconds;

    if (card->raw_bip && !card->opened) {
        card->opened = TRUE;
        open_channel(card);
    } else if (card->qmi_scws && (decoded_mask & (1u << 23))) {
        /* QMI SCWS: the modem announces the card's channels; again after each registration,
         * as a modem does after it was reset. */
        SimCid *cid = sim_find_cid(card->sim, SIM_SERVICE_CAT2);
        for (guint8 channel = 1; channel <= card->channels; channel++) {
            guint8 value[8];
            put_u32(value, channel);
            value[4] = (guint8)card->port;
            value[5] = (guint8)(card->port >> 8);
            value[6] = 0x78;
            value[7] = 0x05; /* buffer 1400 */
            g_byte_array_set_size(card->requests[channel], 0);
            if (cid != NULL)
                sim_client_indicate(cid->client, SIM_SERVICE_CAT2, cid->cid, 0x0027, 0x10, value,
                                    sizeof(value));
        }
    }
    if (g_strcmp0(card->trigger_when, "start") == 0)
        sim_card_trigger(card);
    else if (card->trigger_when != NULL &&
             g_ascii_string_to_unsigned(card->trigger_when, 10, 1, 86400, &seconds, NULL))
        g_timeout_add_seconds((guint)seconds, on_trigger_timer, card);
    /* Once: a later registration (the modem came back) does not trigger again. */
    g_clear_pointer(&card->trigger_when, g_free);
}

/* --- Lifecycle ---------------------------------------------------------------------------- */

static char *profile_path(GKeyFile *profile, const char *dir, const char *group, const char *key)
{
    g_autofree char *value = g_key_file_get_string(profile, group, key, NULL);

    if (value == NULL)
        return NULL;
    return g_path_is_absolute(value) ? g_steal_pointer(&value) : g_build_filename(dir, value, NULL);
}

/* A nonce of the profile ([server] server-nonce=, client-nonce=, base64): four zero bytes, as
 * a bootstrap's AAuthData "AAAAAA==" holds, when not given. */
static GBytes *profile_nonce(GKeyFile *profile, const char *key)
{
    g_autofree char *b64 = g_key_file_get_string(profile, "server", key, NULL);
    gsize length = 0;
    guchar *bytes;

    if (b64 == NULL)
        return g_bytes_new(zero_nonce, sizeof(zero_nonce));
    bytes = g_base64_decode(b64, &length);
    return g_bytes_new_take(bytes, length);
}

/* The card's DM server from [server]: its script, credentials, nonces and misbehaviour. */
static gboolean card_server_new(SimCard *card, GKeyFile *profile, const char *script_path,
                                GError **error)
{
    g_autofree char *script = NULL;
    g_autofree char *server_id = g_key_file_get_string(profile, "server", "server-id", NULL);
    g_autofree char *server_password =
        g_key_file_get_string(profile, "server", "server-password", NULL);
    g_autofree char *client_name = g_key_file_get_string(profile, "server", "client-name", NULL);
    g_autofree char *client_password =
        g_key_file_get_string(profile, "server", "client-password", NULL);
    g_autofree char *auth = g_key_file_get_string(profile, "server", "auth", NULL);
    g_autofree char *encoding = g_key_file_get_string(profile, "server", "encoding", NULL);
    g_auto(GStrv) misbehave =
        g_key_file_get_string_list(profile, "server", "misbehave", NULL, NULL);
    g_autoptr(GBytes) client_nonce = profile_nonce(profile, "client-nonce");
    ScriptServerConfig config = {
        .server_id = server_id ? server_id : "card.dm",
        .server_name = server_id ? server_id : "card.dm",
        .server_password = server_password ? server_password : "",
        .client_name = client_name ? client_name : "",
        .client_password = client_password ? client_password : "",
        .client_nonce = client_nonce,
        .server_nonce = card->server_nonce,
        .encoding = g_strcmp0(encoding, "wbxml") == 0 ? DM_ENCODING_WBXML : DM_ENCODING_XML,
    };

    if (auth != NULL && !dm_auth_type_parse(auth, &config.auth)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "[server] auth=%s", auth);
        return FALSE;
    }
    for (char **m = misbehave; m != NULL && *m != NULL; m++) {
        if (g_str_equal(*m, "wrong-secret"))
            config.wrong_secret = TRUE;
        else if (g_str_equal(*m, "no-retry"))
            config.no_retry = TRUE;
        else if (g_str_equal(*m, "oversized"))
            config.oversized = TRUE;
        else {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "[server] misbehave=%s", *m);
            return FALSE;
        }
    }
    if (!g_file_get_contents(script_path, &script, NULL, error))
        return FALSE;
    card->dm = script_server_new(&config, script, error);
    return card->dm != NULL;
}

SimCard *sim_card_new(Sim *sim, GKeyFile *profile, const char *dir, GError **error)
{
    SimCard *card = g_new0(SimCard, 1);
    g_autofree char *mode = g_key_file_get_string(profile, "modem", "scws-mode", NULL);
    g_autofree char *script_path = profile_path(profile, dir, "server", "script");
    int port = g_key_file_get_integer(profile, "scws", "port", NULL);
    int channels = g_key_file_get_integer(profile, "scws", "channels", NULL);

    card->sim = sim;
    card->raw_bip = g_strcmp0(mode, "raw-bip") == 0;
    card->qmi_scws = g_strcmp0(mode, "qmi") == 0;
    card->trigger_when = g_key_file_get_string(profile, "trigger", "when", NULL);
    card->server_id = g_key_file_get_string(profile, "server", "server-id", NULL);
    if (card->server_id == NULL)
        card->server_id = g_strdup("card.dm");
    card->server_password = g_key_file_get_string(profile, "server", "server-password", NULL);
    if (card->server_password == NULL)
        card->server_password = g_strdup("");
    card->session_id = (guint16)g_key_file_get_integer(profile, "trigger", "session-id", NULL);
    {
        g_autofree char *ui = g_key_file_get_string(profile, "trigger", "ui-mode", NULL);
        if (ui != NULL && !dm_ui_mode_from_name(ui, &card->ui_mode)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "[trigger] ui-mode=%s", ui);
            sim_card_free(card);
            return NULL;
        }
    }
    card->port = (guint16)(port > 0 && port < 65536 ? port : 3516);
    card->channels = channels >= 1 && channels <= MAX_CHANNELS ? (guint)channels : 1;
    card->keep_alive = g_key_file_get_boolean(profile, "scws", "keep-alive", NULL);
    card->close_silently = g_key_file_get_boolean(profile, "scws", "close-silently", NULL);
    for (guint i = 1; i <= MAX_CHANNELS; i++)
        card->requests[i] = g_byte_array_new();
    card->record = profile_path(profile, dir, "server", "record");
    card->dm_path = g_key_file_get_string(profile, "server", "path", NULL);
    if (card->dm_path == NULL)
        card->dm_path = g_strdup("/dm");
    card->server_nonce = profile_nonce(profile, "server-nonce");
    if (script_path != NULL && !card_server_new(card, profile, script_path, error)) {
        sim_card_free(card);
        return NULL;
    }
    return card;
}

void sim_card_free(SimCard *card)
{
    if (card == NULL)
        return;
    g_queue_clear_full(&card->commands, (GDestroyNotify)g_bytes_unref);
    for (guint i = 1; i <= MAX_CHANNELS; i++)
        g_clear_pointer(&card->requests[i], g_byte_array_unref);
    g_clear_pointer(&card->dm, script_server_free);
    g_clear_pointer(&card->server_nonce, g_bytes_unref);
    g_free(card->dm_path);
    g_free(card->record);
    g_free(card->trigger_when);
    g_free(card->server_id);
    g_free(card->server_password);
    g_free(card);
}

/* QMI SCWS requests from dmscd; Data Available carries a client's bytes {ch_id u32, len, …}. */
void sim_card_scws_request(SimCard *card, guint16 message, const guint8 *value, gsize length)
{
    guint32 channel;
    gsize n;

    card->scws_messages++;
    if (message == 0x0029 && length >= 5) {
        guint32 acked = (guint32)value[0] | (guint32)value[1] << 8 | (guint32)value[2] << 16 |
                        (guint32)value[3] << 24;
        g_ptr_array_add(card->sim->scws_acks, g_strdup_printf("%u %u", acked, value[4]));
        return;
    }
    if (length < 5)
        return;
    channel = (guint32)value[0] | (guint32)value[1] << 8 | (guint32)value[2] << 16 |
              (guint32)value[3] << 24;
    if (message == 0x002b && channel >= 1 && channel <= card->channels) {
        client_status(card, (guint8)channel, (CatTcpState)value[4]);
        return;
    }
    if (message != 0x002a || length < 6)
        return;
    n = (gsize)(value[4] | value[5] << 8);
    if (channel == 0 || channel > card->channels || n > length - 6)
        return;
    /* Bytes for a connection the card has closed (they crossed its Close Channel) have no
     * client to go to: dropped, as the connection they came on is gone. */
    if (!card->connected[channel])
        return;
    g_byte_array_append(card->requests[channel], value + 6, (guint)n);
    card->bytes_in += n;
    serve_if_complete(card, (guint8)channel);
}

gboolean sim_card_busy(SimCard *card)
{
    return card->busy || !g_queue_is_empty(&card->commands);
}

void sim_card_reset(SimCard *card)
{
    card->opened = FALSE;
    card->busy = FALSE;
    g_queue_clear_full(&card->commands, (GDestroyNotify)g_bytes_unref);
    for (guint i = 1; i <= MAX_CHANNELS; i++) {
        g_byte_array_set_size(card->requests[i], 0);
        card->connected[i] = FALSE;
    }
}

void sim_card_scws_counts(SimCard *card, guint *connections, guint *requests)
{
    *connections = card->connections;
    *requests = card->requests_served;
}

void sim_card_channel_counts(SimCard *card, guint *commands, guint *scws_messages,
                             guint64 *bytes_in, guint64 *bytes_out)
{
    *commands = card->commands_sent;
    *scws_messages = card->scws_messages;
    *bytes_in = card->bytes_in;
    *bytes_out = card->bytes_out;
}
