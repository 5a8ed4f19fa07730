/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A raw CAT2 client on a libqmi QmiDevice. */
#include "libmodem-private.h"

#include <libqmi-glib.h>

#define CTL_ALLOCATE_CID      0x0022
#define CTL_RELEASE_CID       0x0023
#define CAT2_SET_EVENT_REPORT 0x0001
#define CAT2_SEND_TR          0x0021
#define CAT2_SEND_ENVELOPE    0x0022
#define CAT2_EVENT_CONFIRM    0x0026
#define CAT2_GET_CONFIG       0x002e
#define TIMEOUT_SECONDS       10

/* Raw mask bits (design §2.4): the commands dmscd takes. */
#define RAW_MASK                                                                         \
    ((1u << 0) | (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | \
     (1u << 7) | (1u << 8) | (1u << 11) | (1u << 12) | (1u << 20) | (1u << 21))
/* Decoded mask bit 23: the SCWS messages. */
#define DECODED_MASK (1u << 23)
/*
 * Full function mask (TLV 0x13) bit 0: dmscd runs SEND SHORT MESSAGE itself, so a DM trigger
 * is consumed rather than sent. Calls, DTMF, SS and USSD stay with the modem.
 */
#define FULL_FUNCTION_MASK (1u << 0)

struct ModemCat2 {
    QmiDevice *device;
    guint8 cid;
    guint16 next_txn;
    gulong indication_id;
    ModemCat2CommandFunc command;
    gpointer user_data;
    ModemCat2ScwsFunc scws;
    gpointer scws_data;
    ModemCat2RefreshFunc refresh;
    gpointer refresh_data;
    ModemLifetime life;    /* a start in flight stops touching us once we are freed */
    guint32 full_function; /* as granted: requested bits less the response's error mask */
    int config_mode;       /* Get Configuration's mode, or -1 when the modem did not say */
};

void modem_cat2_set_refresh_handler(ModemCat2 *qmi, ModemCat2RefreshFunc func, gpointer user_data)
{
    qmi->refresh = func;
    qmi->refresh_data = user_data;
}

static void report_refresh(ModemCat2 *qmi, QmiMessage *message)
{
    g_autoptr(GError) error = NULL;
    guint16 length = 0, mode;
    guint8 stage;

    if (qmi->refresh == NULL || qmi_message_get_raw_tlv(message, 0x19, &length) == NULL)
        return;
    if (!modem_cat2_parse_refresh(message, &mode, &stage, &error)) {
        g_warning("CAT2 event report TLV 0x19: %s", error->message);
        return;
    }
    qmi->refresh(qmi, mode, stage, qmi->refresh_data);
}

void modem_cat2_set_scws_handler(ModemCat2 *qmi, ModemCat2ScwsFunc func, gpointer user_data)
{
    qmi->scws = func;
    qmi->scws_data = user_data;
}

/* Event Report TLVs that carry a raw proactive command {ref u32, length u16, bytes}. */
static gboolean is_raw_command_tlv(guint8 type)
{
    return (type >= 0x10 && type <= 0x18 && type != 0x15 && type != 0x16) ||
           (type >= 0x47 && type <= 0x4f) || (type >= 0x51 && type <= 0x54);
}

/* The raw command TLVs present, as bits from 0x10: found in one walk of the message. */
static void note_raw_command_tlv(guint8 type, const guint8 *value, gsize length, gpointer user_data)
{
    guint32 *present = user_data;

    if (is_raw_command_tlv(type))
        present[(type - 0x10) / 32] |= 1u << ((type - 0x10) % 32);
}

static void on_indication(QmiDevice *device, GByteArray *raw, gpointer user_data)
{
    ModemCat2 *qmi = user_data;
    /* The signal's array is the QmiMessage itself. */
    QmiMessage *message = (QmiMessage *)raw;
    guint32 present[3] = { 0, 0, 0 }; /* types 0x10 … 0x6f */

    guint16 id = qmi_message_get_message_id(message);

    if (qmi_message_get_service(message) != MODEM_SERVICE_CAT2 ||
        qmi_message_get_client_id(message) != qmi->cid)
        return;
    if (id >= 0x0027 && id <= 0x0029) {
        if (qmi->scws != NULL)
            qmi->scws(qmi, id, message, qmi->scws_data);
        return;
    }
    if (id != CAT2_SET_EVENT_REPORT)
        return;
    report_refresh(qmi, message);
    qmi_message_foreach_raw_tlv(message, note_raw_command_tlv, present);
    /* In the order of their types, whatever the order the modem put them in. */
    for (guint word = 0; word < G_N_ELEMENTS(present); word++) {
        /* Lowest bit first, each cleared once taken (g_bit_nth_lsf walks all 64 bits). */
        for (guint32 bits = present[word]; bits != 0; bits &= bits - 1) {
            guint8 type = (guint8)(0x10 + word * 32 + (guint)__builtin_ctz(bits));
            g_autoptr(GError) error = NULL;
            ModemCat2RawCommand parsed;

            if (!modem_cat2_parse_raw_command(message, type, &parsed, &error)) {
                g_warning("CAT2 event report TLV 0x%02x: %s", type, error->message);
                continue;
            }
            qmi->command(qmi, parsed.ref, parsed.command, parsed.length, qmi->user_data);
        }
    }
}

ModemCat2 *modem_cat2_new(QmiDevice *device, ModemCat2CommandFunc command, gpointer user_data)
{
    ModemCat2 *qmi = g_new0(ModemCat2, 1);

    qmi->device = g_object_ref(QMI_DEVICE(device));
    qmi->command = command;
    qmi->user_data = user_data;
    qmi->next_txn = 0x100;
    qmi->config_mode = -1;
    modem_lifetime_init(&qmi->life);
    return qmi;
}

void modem_cat2_free(ModemCat2 *qmi)
{
    if (qmi == NULL)
        return;
    if (qmi->indication_id != 0)
        g_signal_handler_disconnect(qmi->device, qmi->indication_id);
    modem_lifetime_end(&qmi->life);
    g_object_unref(qmi->device);
    g_free(qmi);
}

guint8 modem_cat2_get_cid(ModemCat2 *qmi)
{
    return qmi->cid;
}

/* CTL transaction ids are one byte, never zero. */
static guint16 next_ctl_txn(ModemCat2 *qmi)
{
    guint16 txn = (guint16)(++qmi->next_txn & 0xff);
    return txn != 0 ? txn : 1;
}

/* Transaction ids of our own: non-zero, and away from the ones libqmi's clients use. */
static guint16 next_txn(ModemCat2 *qmi)
{
    if (++qmi->next_txn == 0)
        qmi->next_txn = 0x100;
    return qmi->next_txn;
}

static void send(ModemCat2 *qmi, QmiMessage *request, GCancellable *cancellable, GTask *task,
                 GAsyncReadyCallback callback)
{
    qmi_device_command_full(qmi->device, request, NULL, TIMEOUT_SECONDS, cancellable, callback,
                            task);
}

/* The response's result TLV: FALSE with @error when the modem refused. */
static gboolean response_ok(QmiMessage *response, const char *what, GError **error)
{
    return modem_qmi_response_ok(response, what, error);
}

/* TLVs of one integer, written with libqmi's TLV writer; they cannot overflow a message. */
static void add_u8(QmiMessage *request, guint8 type, guint8 value)
{
    gsize tlv = qmi_message_tlv_write_init(request, type, NULL);

    qmi_message_tlv_write_guint8(request, value, NULL);
    qmi_message_tlv_write_complete(request, tlv, NULL);
}

static void add_u32(QmiMessage *request, guint8 type, guint32 value)
{
    gsize tlv = qmi_message_tlv_write_init(request, type, NULL);

    qmi_message_tlv_write_guint32(request, QMI_ENDIAN_LITTLE, value, NULL);
    qmi_message_tlv_write_complete(request, tlv, NULL);
}

/* --- Start: allocate, register, check the mode --------------------------------------------- */

static void on_config(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    ModemCat2 *qmi = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(QmiMessage) response =
        qmi_device_command_full_finish(QMI_DEVICE(source), result, &error);
    guint16 length = 0;
    gsize tlv, offset = 0;
    guint8 mode;

    if (g_task_return_error_if_cancelled(task))
        return;
    qmi = g_task_get_task_data(task);
    /* An old modem may not know the request: that is worth a warning, not a failure. */
    if (response != NULL && response_ok(response, "CAT2 Get Configuration", NULL) &&
        (tlv = qmi_message_tlv_read_init(response, 0x10, &length, NULL)) != 0 &&
        qmi_message_tlv_read_guint8(response, tlv, &offset, &mode, NULL))
        qmi->config_mode = mode;
    if (qmi->config_mode >= 0 && qmi->config_mode != 2 && qmi->config_mode != 5)
        g_warning("CAT2: the modem's configuration mode is %u, not raw (2 or 5): proactive "
                  "commands may not reach dmscd; set it with the modem vendor's own tool",
                  qmi->config_mode);
    g_task_return_boolean(task, TRUE);
}

/*
 * A start step's answer with its result checked; NULL when the start is over (we were freed
 * meanwhile, or the modem refused @what): the task has then returned its error.
 */
static QmiMessage *step_response(GTask *task, GObject *source, GAsyncResult *result,
                                 const char *what)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QmiMessage) response =
        qmi_device_command_full_finish(QMI_DEVICE(source), result, &error);

    if (g_task_return_error_if_cancelled(task))
        return NULL;
    if (response == NULL || !response_ok(response, what, &error)) {
        g_task_return_error(task, g_steal_pointer(&error));
        return NULL;
    }
    return g_steal_pointer(&response);
}

static void on_event_report(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    g_autoptr(QmiMessage) response = step_response(task, source, result, "CAT2 Set Event Report");
    g_autoptr(QmiMessage) request = NULL;
    ModemCat2 *qmi = g_task_get_task_data(task);
    guint16 length = 0;
    gsize tlv, offset = 0;
    guint32 refused;

    if (response == NULL)
        return;
    /* A set bit in the error mask: another control point (or the modem) keeps the command. */
    qmi->full_function = FULL_FUNCTION_MASK;
    if ((tlv = qmi_message_tlv_read_init(response, 0x12, &length, NULL)) != 0 &&
        qmi_message_tlv_read_guint32(response, tlv, &offset, QMI_ENDIAN_LITTLE, &refused, NULL))
        qmi->full_function &= ~refused;
    if (!(qmi->full_function & 1u))
        g_message("CAT2: the modem sends the card's short messages itself; dmscd confirms them");
    request = qmi_message_new(MODEM_SERVICE_CAT2, qmi->cid, next_txn(qmi), CAT2_GET_CONFIG);
    send(qmi, request, qmi->life.own, g_steal_pointer(&task), on_config);
}

static void on_allocated(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    /* Freed meanwhile: a client id the modem gave stays with the device, which goes too. */
    g_autoptr(QmiMessage) response = step_response(task, source, result, "CTL Allocate CID (CAT2)");
    g_autoptr(QmiMessage) request = NULL;
    ModemCat2 *qmi = g_task_get_task_data(task);
    guint8 service = 0, cid = 0;
    guint16 length = 0;
    gsize tlv, offset = 0;

    if (response == NULL)
        return;
    if ((tlv = qmi_message_tlv_read_init(response, 0x01, &length, NULL)) == 0 ||
        !qmi_message_tlv_read_guint8(response, tlv, &offset, &service, NULL) ||
        !qmi_message_tlv_read_guint8(response, tlv, &offset, &cid, NULL) ||
        service != MODEM_SERVICE_CAT2) {
        g_task_return_new_error(task, MODEM_ERROR, MODEM_ERROR_MALFORMED,
                                "CTL Allocate CID: no CAT2 client id in the response");
        return;
    }
    qmi->cid = cid;
    qmi->indication_id =
        g_signal_connect(qmi->device, "indication", G_CALLBACK(on_indication), qmi);
    request = qmi_message_new(MODEM_SERVICE_CAT2, qmi->cid, next_txn(qmi), CAT2_SET_EVENT_REPORT);
    add_u32(request, 0x10, RAW_MASK);
    add_u32(request, 0x11, DECODED_MASK);
    add_u32(request, 0x13, FULL_FUNCTION_MASK);
    send(qmi, request, qmi->life.own, g_steal_pointer(&task), on_event_report);
}

void modem_cat2_start_async(ModemCat2 *qmi, GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
    /* Our own cancellable runs the start, so that freeing us ends it; the caller's cancels it. */
    GTask *task = g_task_new(NULL, qmi->life.own, callback, user_data);
    g_autoptr(QmiMessage) request = NULL;

    g_task_set_task_data(task, qmi, NULL);
    modem_lifetime_follow(&qmi->life, cancellable);
    request = qmi_message_new(QMI_SERVICE_CTL, 0, next_ctl_txn(qmi), CTL_ALLOCATE_CID);
    add_u8(request, 0x01, MODEM_SERVICE_CAT2);
    send(qmi, request, qmi->life.own, task, on_allocated);
}

gboolean modem_cat2_start_finish(ModemCat2 *qmi, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* --- Stop ---------------------------------------------------------------------------------- */

/* Completes a task named after its request: a QMI response with its result checked. */
static void on_simple_response(GObject *source, GAsyncResult *result, gpointer user_data);

void modem_cat2_stop_async(ModemCat2 *qmi, GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(NULL, NULL, callback, user_data);

    g_task_set_task_data(task, qmi, NULL);
    g_autoptr(QmiMessage) request = NULL;
    gsize tlv;

    if (qmi->indication_id != 0) {
        g_signal_handler_disconnect(qmi->device, qmi->indication_id);
        qmi->indication_id = 0;
    }
    if (qmi->cid == 0) {
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
        return;
    }
    request = qmi_message_new(QMI_SERVICE_CTL, 0, next_ctl_txn(qmi), CTL_RELEASE_CID);
    tlv = qmi_message_tlv_write_init(request, 0x01, NULL);
    qmi_message_tlv_write_guint8(request, MODEM_SERVICE_CAT2, NULL);
    qmi_message_tlv_write_guint8(request, qmi->cid, NULL);
    qmi_message_tlv_write_complete(request, tlv, NULL);
    qmi->cid = 0;
    g_task_set_name(task, "CTL Release CID (CAT2)");
    send(qmi, request, NULL, task, on_simple_response);
}

gboolean modem_cat2_stop_finish(ModemCat2 *qmi, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* --- TR and envelopes ---------------------------------------------------------------------- */

static void on_simple_response(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(QmiMessage) response =
        qmi_device_command_full_finish(QMI_DEVICE(source), result, &error);

    if (response == NULL || !response_ok(response, g_task_get_name(task), &error))
        g_task_return_error(task, g_steal_pointer(&error));
    else
        g_task_return_boolean(task, TRUE);
}

/*
 * TLV 0x01 {head (ref u32, or type u16 when @head_size is 2), length u16, bytes}, as Send TR and
 * Send Envelope carry it; FALSE when the bytes do not fit a QMI message.
 */
static gboolean add_payload_tlv(QmiMessage *request, guint32 head, guint head_size, GBytes *bytes,
                                GError **error)
{
    gsize length = g_bytes_get_size(bytes);
    gsize tlv = qmi_message_tlv_write_init(request, 0x01, error);

    return tlv != 0 &&
           qmi_message_tlv_write_sized_guint(request, head_size, QMI_ENDIAN_LITTLE, head, error) &&
           qmi_message_tlv_write_string(request, 2, g_bytes_get_data(bytes, NULL), (gssize)length,
                                        error) &&
           qmi_message_tlv_write_complete(request, tlv, error);
}

typedef struct {
    guint16 message;
    const char *name; /* of the request */
    const char *what; /* it carries, for the log */
} Payload;

static const Payload payload_tr = { CAT2_SEND_TR, "CAT2 Send TR", "terminal response" };
static const Payload payload_envelope = { CAT2_SEND_ENVELOPE, "CAT2 Send Envelope", "envelope" };

/* The answer to request @name, carrying @what, that nobody waits for: only a failure (no
 * answer, or a refusal) is worth a word. */
static void warn_unless_taken(GObject *source, GAsyncResult *result, const char *name,
                              const char *what)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QmiMessage) response =
        qmi_device_command_full_finish(QMI_DEVICE(source), result, &error);

    if (response == NULL || !response_ok(response, name, &error))
        g_warning("CAT: %s not delivered: %s", what, error->message);
}

static void on_unwatched_response(GObject *source, GAsyncResult *result, gpointer user_data)
{
    const Payload *kind = user_data;

    warn_unless_taken(source, result, kind->name, kind->what);
}

/*
 * A CAT2 request whose TLV 0x01 is {@head, length u16, @bytes}. Without @callback (as for
 * every TR and envelope of a BIP session) no task is made: a failure is logged here.
 */
static void send_payload(ModemCat2 *qmi, const Payload *kind, guint32 head, guint head_size,
                         GBytes *bytes, GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(QmiMessage) request =
        qmi_message_new(MODEM_SERVICE_CAT2, qmi->cid, next_txn(qmi), kind->message);
    GError *error = NULL;
    GTask *task;

    if (!add_payload_tlv(request, head, head_size, bytes, &error))
        g_prefix_error(&error, "%s: ", kind->name);
    if (callback == NULL) {
        if (error != NULL) {
            g_warning("CAT: %s not delivered: %s", kind->what, error->message);
            g_error_free(error);
            return;
        }
        qmi_device_command_full(qmi->device, request, NULL, TIMEOUT_SECONDS, NULL,
                                on_unwatched_response, (gpointer)kind);
        return;
    }
    task = g_task_new(NULL, NULL, callback, user_data);
    g_task_set_task_data(task, qmi, NULL);
    g_task_set_name(task, kind->name);
    if (error != NULL) {
        g_task_return_error(task, error);
        g_object_unref(task);
        return;
    }
    send(qmi, request, NULL, task, on_simple_response);
}

void modem_cat2_send_tr_async(ModemCat2 *qmi, guint32 ref, GBytes *response,
                              GAsyncReadyCallback callback, gpointer user_data)
{
    send_payload(qmi, &payload_tr, ref, 4, response, callback, user_data);
}

gboolean modem_cat2_send_tr_finish(ModemCat2 *qmi, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

void modem_cat2_send_envelope_async(ModemCat2 *qmi, guint16 type, GBytes *envelope,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
    send_payload(qmi, &payload_envelope, type, 2, envelope, callback, user_data);
}

gboolean modem_cat2_send_envelope_finish(ModemCat2 *qmi, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

QmiMessage *modem_cat2_request_new(ModemCat2 *qmi, guint16 message)
{
    return qmi_message_new(MODEM_SERVICE_CAT2, qmi->cid, next_txn(qmi), message);
}

/* @user_data: the request's name, which says what it carries as well. */
static void on_request_answered(GObject *source, GAsyncResult *result, gpointer user_data)
{
    warn_unless_taken(source, result, user_data, user_data);
}

void modem_cat2_send(ModemCat2 *qmi, QmiMessage *request, const char *name)
{
    qmi_device_command_full(qmi->device, request, NULL, TIMEOUT_SECONDS, NULL, on_request_answered,
                            (gpointer)name);
}

/* --- Commands the modem runs itself ---------------------------------------------------------- */

gboolean modem_cat2_modem_executes(ModemCat2 *qmi, guint8 type)
{
    switch (type) {
    case CAT_CMD_SEND_SHORT_MESSAGE: /* ours when the full function was granted */
        return !(qmi->full_function & 1u);
    case CAT_CMD_SET_UP_CALL:
    case CAT_CMD_SEND_SS:
    case CAT_CMD_SEND_USSD:
    case CAT_CMD_SEND_DTMF:
        return TRUE;
    case CAT_CMD_OPEN_CHANNEL:
    case CAT_CMD_CLOSE_CHANNEL:
    case CAT_CMD_RECEIVE_DATA:
    case CAT_CMD_SEND_DATA:
    case CAT_CMD_GET_CHANNEL_STATUS:
        /*
         * Custom raw mode runs on the host's terminal profile, so the host is the terminal
         * BIP speaks to; in the modem's own modes the modem runs BIP (and hands the SCWS
         * over in the SCWS messages). A modem that did not say is taken as custom raw.
         */
        return qmi->config_mode != 5 && qmi->config_mode != -1;
    default:
        return FALSE;
    }
}

void modem_cat2_send_event_confirmation_async(ModemCat2 *qmi, gboolean confirmed,
                                              gboolean icon_shown, GAsyncReadyCallback callback,
                                              gpointer user_data)
{
    GTask *task = g_task_new(NULL, NULL, callback, user_data);
    g_autoptr(QmiMessage) request =
        qmi_message_new(MODEM_SERVICE_CAT2, qmi->cid, next_txn(qmi), CAT2_EVENT_CONFIRM);

    g_task_set_task_data(task, qmi, NULL);
    g_task_set_name(task, "CAT2 Event Confirmation");
    add_u8(request, 0x10, confirmed ? 1 : 0);
    add_u8(request, 0x11, icon_shown ? 1 : 0);
    send(qmi, request, NULL, task, on_simple_response);
}

gboolean modem_cat2_send_event_confirmation_finish(ModemCat2 *qmi, GAsyncResult *result,
                                                   GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}
