/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DM sessions the daemon runs (design §4.1, §5): a verified notification queues a
 * server-initiated session with the account of the server it names; one session runs at a
 * time, over HTTP to the account's address (the card's own server through the SCWS gateway,
 * on dmscd's own socket beside the card's port on 127.0.0.1). A session that ends well has its tree
 * changes and the nonces it learnt saved in one step; any other end leaves the tree as it was.
 */
#include "session.h"

#include "modem/modem.h"

#include <errno.h>
#include <string.h>

#define USER_AGENT "dmscd/" DMSCD_VERSION
/* How long an informative notification's message may hold its session back. */
#define INFORM_SECONDS 30

typedef DmscdSessionRequest Request;

/* The queue's state: what its current request is doing. */
typedef enum {
    SESSIONS_IDLE,    /* no current request */
    SESSIONS_ASKING,  /* the user is asked (or told) before the current one runs */
    SESSIONS_RUNNING, /* the current one talks to its server */
} SessionsState;

/* A question to the agent about the current request; outlives the queue if it must. */
typedef struct {
    DmscdSessions *sessions; /* NULL once the queue is gone */
} Ask;

struct DmscdSessions {
    DmscdTree *tree;
    DbusApiServer *bus; /* not owned; NULL: sessions are not published */
    DmscdSessionOptions options;
    GQueue queue;     /* Request *, waiting their turn */
    GPtrArray *later; /* Request *, waiting to be tried again */
    SessionsState state;
    Request *current;   /* asking or running */
    Ask *ask;           /* while asking */
    DmAccount *account; /* of the running session */
    DmSession *session;
    DmSessionRunner *runner;
    GCancellable *cancellable;
    guint idle_id;
    guint next_local_id; /* the SessionID of the next client-initiated session, 1-FFFF */
    GArray *scws_ports;  /* guint16: where the card's web server listens on 127.0.0.1 */
    gboolean freed;      /* freed while a session ran: its end frees the rest */
};

gboolean dmscd_sessions_idle(DmscdSessions *sessions)
{
    return sessions->state == SESSIONS_IDLE && g_queue_is_empty(&sessions->queue) &&
           sessions->later->len == 0 && sessions->idle_id == 0;
}

static void request_free(Request *request)
{
    dmscd_session_request_free(request);
}

DmscdSessions *dmscd_sessions_new(DmscdTree *tree, const DmscdSessionOptions *options,
                                  DbusApiServer *bus)
{
    DmscdSessions *sessions = g_new0(DmscdSessions, 1);

    sessions->tree = tree;
    sessions->bus = bus;
    sessions->options = *options;
    sessions->options.store = g_strdup(options->store);
    if (sessions->options.queue_size == 0)
        sessions->options.queue_size = DMSCD_SESSIONS_QUEUE_SIZE;
    if (options->trust != NULL)
        g_object_ref(options->trust);
    sessions->later = g_ptr_array_new();
    sessions->scws_ports = g_array_new(FALSE, FALSE, sizeof(guint16));
    sessions->cancellable = g_cancellable_new();
    g_queue_init(&sessions->queue);
    return sessions;
}

static const char *state_name(SessionsState state)
{
    static const char *const names[] = { "idle", "asking", "running" };
    return names[state];
}

/* The one place the queue changes state. */
static void set_state(DmscdSessions *sessions, SessionsState state)
{
    if (sessions->state == state)
        return;
    g_debug("DM sessions: %s -> %s", state_name(sessions->state), state_name(state));
    sessions->state = state;
}

/* The current request is over, however it ended. */
static void end_current(DmscdSessions *sessions)
{
    g_clear_pointer(&sessions->runner, dm_session_runner_free);
    g_clear_pointer(&sessions->session, dm_session_free);
    g_clear_pointer(&sessions->account, dm_account_free);
    g_clear_pointer(&sessions->current, request_free);
    if (sessions->ask != NULL)
        sessions->ask->sessions = NULL; /* its answer finds nobody */
    sessions->ask = NULL;
    set_state(sessions, SESSIONS_IDLE);
}

static void sessions_destroy(DmscdSessions *sessions)
{
    end_current(sessions);
    g_queue_clear_full(&sessions->queue, (GDestroyNotify)request_free);
    g_ptr_array_set_free_func(sessions->later, (GDestroyNotify)request_free);
    g_ptr_array_unref(sessions->later);
    g_free((char *)sessions->options.store);
    g_clear_object(&sessions->options.trust);
    g_object_unref(sessions->cancellable);
    g_array_unref(sessions->scws_ports);
    g_free(sessions);
}

void dmscd_sessions_set_scws_ports(DmscdSessions *sessions, const guint16 *ports, gsize n)
{
    g_array_set_size(sessions->scws_ports, 0);
    g_array_append_vals(sessions->scws_ports, ports, (guint)n);
}

/* A server on the card's web server is reached on dmscd's own socket, which takes the channel
 * kept for it, rather than over TCP like any local client; the port when @uri is one. */
static guint16 scws_port_of(DmscdSessions *sessions, const char *uri)
{
    g_autoptr(GUri) parsed = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);
    const char *host = parsed ? g_uri_get_host(parsed) : NULL;

    if (host == NULL || g_strcmp0(g_uri_get_scheme(parsed), "http") != 0 ||
        (strcmp(host, "127.0.0.1") != 0 && g_ascii_strcasecmp(host, "localhost") != 0))
        return 0;
    for (guint i = 0; i < sessions->scws_ports->len; i++) {
        guint16 port = g_array_index(sessions->scws_ports, guint16, i);
        if (port == g_uri_get_port(parsed))
            return port;
    }
    return 0;
}

/*
 * Every session asked for and not ended (the current one too) goes to the store at each
 * change, so that neither a stop nor a crash loses one.
 */
static void save_pending(DmscdSessions *sessions)
{
    g_autoptr(GPtrArray) pending = g_ptr_array_new();
    g_autoptr(GError) error = NULL;

    if (sessions->options.store == NULL)
        return;
    if (sessions->current != NULL)
        g_ptr_array_add(pending, sessions->current);
    for (GList *l = sessions->queue.head; l != NULL; l = l->next)
        g_ptr_array_add(pending, l->data);
    for (guint i = 0; i < sessions->later->len; i++)
        g_ptr_array_add(pending, g_ptr_array_index(sessions->later, i));
    if (!dmscd_session_store_save(sessions->options.store, pending, &error))
        g_warning("DM sessions: the sessions asked for are not saved: %s", error->message);
}

/* The current request has ended for good: it leaves the store too. */
static void finish_current(DmscdSessions *sessions)
{
    end_current(sessions);
    save_pending(sessions);
}

void dmscd_sessions_free(DmscdSessions *sessions)
{
    if (sessions == NULL)
        return;
    /* A session cut by the stop runs again, from its start, at the next. */
    save_pending(sessions);
    if (sessions->idle_id != 0)
        g_source_remove(sessions->idle_id);
    sessions->idle_id = 0;
    g_cancellable_cancel(sessions->cancellable);
    /* A session in flight is cut; its runner answers once more, and then all goes. */
    if (sessions->runner != NULL) {
        sessions->freed = TRUE;
        return;
    }
    sessions_destroy(sessions);
}

static void log_session(GLogLevelFlags level, const char *message_id, const Request *request,
                        const char *text)
{
    g_log_structured(G_LOG_DOMAIN, level, "MESSAGE_ID", message_id, "DMSCD_SERVER_ID",
                     request->server_id, "DMSCD_SESSION_ID", request->session_id, "DMSCD_ORIGIN",
                     request->origin, "MESSAGE", "DM session %s with \"%s\" (%s): %s",
                     request->session_id, request->server_id, request->origin, text);
}

/* The session's object says how it ended, with the changes it made when it ended well. */
static void publish_end(DmscdSessions *sessions, const char *state, const char *result,
                        const char *error_text, GPtrArray *rows)
{
    g_autoptr(GPtrArray) changes = g_ptr_array_new();

    if (sessions->bus == NULL || sessions->current->path == NULL)
        return;
    for (guint i = 0; rows != NULL && i < rows->len; i++) {
        char **row = g_ptr_array_index(rows, i);
        for (guint j = 0; j < 3; j++)
            g_ptr_array_add(changes, row[j] != NULL ? row[j] : (char *)"");
    }
    g_ptr_array_add(changes, NULL);
    dbus_api_server_finish_session(sessions->bus, sessions->current->path, state, result,
                                   error_text, (const char *const *)changes->pdata);
}

static const char *result_name(DmSessionResult result)
{
    switch (result) {
    case DM_SESSION_RESULT_OK:
        return "ok";
    case DM_SESSION_RESULT_AUTH_FAILED:
        return "auth-failed";
    case DM_SESSION_RESULT_ABORTED:
        return "aborted";
    case DM_SESSION_RESULT_FAILED:
    case DM_SESSION_RESULT_NONE:
    default:
        return "failed";
    }
}

/* --- Saving what a session did ----------------------------------------------------------- */

/* The session's changes and nonces go onto the live tree, which may have moved on meanwhile:
 * what the live tree kept instead is logged and published with the changes. */
static gboolean commit(DmscdSessions *sessions, GPtrArray *conflicts, GError **error)
{
    g_autoptr(DmTreeDelta) delta = dm_session_get_delta(sessions->session);

    if (!dmscd_tree_commit_session(sessions->tree, delta, sessions->account,
                                   dm_session_get_client_nonce(sessions->session),
                                   dm_session_get_server_nonce(sessions->session), conflicts,
                                   error))
        return FALSE;
    for (guint i = 0; i < conflicts->len; i++) {
        char **row = g_ptr_array_index(conflicts, i);
        g_autofree char *text = g_strdup_printf("%s of %s %s", row[1], row[0], row[2]);
        log_session(G_LOG_LEVEL_WARNING, DMSCD_MESSAGE_SESSION_CONFLICT, sessions->current, text);
    }
    return TRUE;
}

/* --- Running one -------------------------------------------------------------------------- */

static void run_next(DmscdSessions *sessions);

static gboolean on_idle_next(gpointer user_data)
{
    DmscdSessions *sessions = user_data;

    sessions->idle_id = 0;
    run_next(sessions);
    return G_SOURCE_REMOVE;
}

static void enqueue_tail(DmscdSessions *sessions, Request *request)
{
    g_queue_push_tail(&sessions->queue, request);
    run_next(sessions);
}

static gboolean on_retry(gpointer user_data)
{
    Request *request = user_data;
    DmscdSessions *sessions = request->retry_sessions;

    request->retry_id = 0;
    g_ptr_array_remove(sessions->later, request);
    enqueue_tail(sessions, request);
    return G_SOURCE_REMOVE;
}

/*
 * The server could not be reached, or the connection broke before it answered: the session
 * is queued again after a delay that doubles with each attempt. Nothing of it was saved.
 */
static void try_later(DmscdSessions *sessions, const char *why)
{
    Request *request = g_steal_pointer(&sessions->current);
    guint delay = sessions->options.retry_delay << MIN(request->attempts - 1, 16u);
    g_autofree char *text = g_strdup_printf("attempt %u failed: %s; trying again in %u s",
                                            request->attempts, why, delay);

    log_session(G_LOG_LEVEL_WARNING, DMSCD_MESSAGE_SESSION_FAILED, request, text);
    if (sessions->bus != NULL && request->path != NULL)
        dbus_api_server_set_session_queued(sessions->bus, request->path, request->attempts);
    request->retry_sessions = sessions;
    request->retry_id = g_timeout_add_seconds(MAX(delay, 1u), on_retry, request);
    g_ptr_array_add(sessions->later, request);
    end_current(sessions);
    save_pending(sessions);
    sessions->idle_id = g_idle_add(on_idle_next, sessions);
}

static void on_finished(GObject *source, GAsyncResult *result, gpointer user_data)
{
    DmscdSessions *sessions = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    gboolean ran = dm_session_runner_run_finish(NULL, result, &error);
    DmSessionResult outcome;

    if (sessions->freed) {
        sessions_destroy(sessions);
        return;
    }
    outcome = dm_session_get_result(sessions->session);
    if (ran && outcome == DM_SESSION_RESULT_OK) {
        g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
        g_autoptr(GPtrArray) conflicts = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
        g_autoptr(GError) save_error = NULL;
        GPtrArray *changes = dm_session_get_changes(sessions->session);
        if (commit(sessions, conflicts, &save_error)) {
            text = g_strdup_printf("finished, %u changes saved%s", changes ? changes->len : 0,
                                   conflicts->len > 0 ? ", some not applied (conflicts)" : "");
            log_session(G_LOG_LEVEL_MESSAGE, DMSCD_MESSAGE_SESSION_FINISHED, sessions->current,
                        text);
            for (guint i = 0; changes != NULL && i < changes->len; i++)
                g_ptr_array_add(rows, g_strdupv(g_ptr_array_index(changes, i)));
            for (guint i = 0; i < conflicts->len; i++)
                g_ptr_array_add(rows, g_strdupv(g_ptr_array_index(conflicts, i)));
            publish_end(sessions, "finished", "ok", NULL, rows);
        } else {
            text =
                g_strdup_printf("finished, but its changes are not saved: %s", save_error->message);
            log_session(G_LOG_LEVEL_WARNING, DMSCD_MESSAGE_SESSION_FAILED, sessions->current, text);
            publish_end(sessions, "failed", "failed", save_error->message, NULL);
        }
    } else if (g_error_matches(error, DM_ERROR, DM_ERROR_TRANSPORT) &&
               sessions->current->attempts <= sessions->options.retries) {
        try_later(sessions, error->message);
        return;
    } else {
        const char *why = error != NULL ? error->message : dm_session_get_error(sessions->session);
        text = g_strdup_printf("failed, the tree is left as it was: %s", why ? why : "no reason");
        log_session(G_LOG_LEVEL_WARNING, DMSCD_MESSAGE_SESSION_FAILED, sessions->current, text);
        publish_end(sessions, "failed", result_name(outcome), why, NULL);
    }
    finish_current(sessions);
    sessions->idle_id = g_idle_add(on_idle_next, sessions);
}

/* No agent speaks for a user yet: the server hears that nobody answered (408). */
static void on_agent_answer(int status, const char *const *items, gpointer user_data)
{
    DmscdSessions *sessions = user_data;

    /* The session may have been cut while the agent thought. */
    if (sessions->runner != NULL && !sessions->freed)
        dm_session_runner_answer_alert(sessions->runner, status, items);
}

/* The agent speaks for the user; without one the server hears that nobody answered (408). */
static void on_alert(DmSessionRunner *runner, const DmAlertRequest *alert, gpointer user_data)
{
    DmscdSessions *sessions = user_data;
    g_autoptr(GPtrArray) choices = g_ptr_array_new();
    DbusApiAlert question = {
        .code = alert->code,
        .text = alert->text,
        .min_seconds = alert->min_seconds,
        .max_length = alert->max_length,
        .default_response = alert->default_response,
        /* MAXDT when the server gives one, else the session's own bound. */
        .timeout_seconds = alert->max_seconds > 0 ? alert->max_seconds : sessions->options.timeout,
    };

    for (guint i = 0; alert->choices != NULL && i < alert->choices->len; i++)
        g_ptr_array_add(choices, g_ptr_array_index(alert->choices, i));
    g_ptr_array_add(choices, NULL);
    question.choices = (const char *const *)choices->pdata;
    if (sessions->bus != NULL &&
        dbus_api_server_ask_agent(sessions->bus, &question, on_agent_answer, sessions))
        return;
    /* A headless device shows a display the only way it can: in its journal. A question
     * nobody can answer is 408. */
    if (alert->code == 1100) {
        log_session(G_LOG_LEVEL_MESSAGE, DMSCD_MESSAGE_SESSION_DISPLAY, sessions->current,
                    alert->text ? alert->text : "");
        dm_session_runner_answer_alert(runner, 200, NULL);
        return;
    }
    g_message("DM session: alert %d (\"%s\") answered 408: no agent to ask", alert->code,
              alert->text ? alert->text : "");
    dm_session_runner_answer_alert(runner, 408, NULL);
}

static gboolean start(DmscdSessions *sessions, GError **error)
{
    const Request *request = sessions->current;
    const DmAccountCredential *client, *server;
    g_autofree char *dev_id = dm_tree_dup_dev_id(sessions->tree->tree);
    DmSessionConfig config = { 0 };
    guint16 port;

    sessions->account = dm_account_find(sessions->tree->tree, request->server_id);
    if (sessions->account == NULL || sessions->account->server_uri == NULL) {
        g_set_error(error, DM_ERROR, DM_ERROR_UNSUPPORTED, "%s",
                    sessions->account == NULL ? "no account for the server"
                                              : "the account has no address (AppAddr)");
        return FALSE;
    }
    client = &sessions->account->client;
    server = &sessions->account->server;
    config.server_id = sessions->account->server_id;
    config.server_uri = sessions->account->server_uri;
    config.client_id = dev_id;
    config.session_id = request->session_id;
    config.server_initiated = !request->client_initiated;
    config.client_auth = client->type_known ? client->type : DM_AUTH_NONE;
    config.client_name = client->name;
    config.client_password = client->secret;
    config.client_nonce = client->nonce;
    config.server_auth = server->type_known ? server->type : DM_AUTH_NONE;
    config.server_name = server->name;
    config.server_password = server->secret;
    config.server_nonce = server->nonce;
    config.encoding = request->encoding;
    config.max_msg_size = sessions->options.max_msg_size;
    config.max_obj_size = DM_TREE_MAX_VALUE;
    sessions->session = dm_session_new(sessions->tree->tree, &config);
    sessions->runner = dm_session_runner_new(sessions->session, sessions->options.timeout,
                                             USER_AGENT, on_alert, sessions);
    port = scws_port_of(sessions, config.server_uri);
    if (port != 0) {
        g_autoptr(GSocketAddress) own = modem_scws_own_address_new(port);
        dm_session_runner_set_route(sessions->runner, G_SOCKET_CONNECTABLE(own));
    }
    if (sessions->options.trust != NULL)
        dm_session_runner_set_trust(sessions->runner, sessions->options.trust);
    dm_session_runner_set_deadline(sessions->runner, sessions->options.max_duration);
    dm_session_runner_run_async(sessions->runner, sessions->cancellable, on_finished, sessions);
    return TRUE;
}

/* The current request talks to its server now. */
static void run_current(DmscdSessions *sessions)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;

    set_state(sessions, SESSIONS_RUNNING);
    sessions->current->attempts++;
    log_session(G_LOG_LEVEL_MESSAGE, DMSCD_MESSAGE_SESSION_STARTED, sessions->current, "started");
    if (sessions->bus != NULL && sessions->current->path != NULL)
        dbus_api_server_set_session_running(sessions->bus, sessions->current->path,
                                            sessions->current->attempts);
    if (start(sessions, &error))
        return;
    text = g_strdup_printf("not started: %s", error->message);
    log_session(G_LOG_LEVEL_WARNING, DMSCD_MESSAGE_SESSION_FAILED, sessions->current, text);
    publish_end(sessions, "failed", "failed", error->message, NULL);
    finish_current(sessions);
}

/* The current request is not run: the server is never contacted. */
static void decline(DmscdSessions *sessions, const char *result, const char *why)
{
    g_autofree char *text = g_strdup_printf("not run: %s", why);

    log_session(G_LOG_LEVEL_WARNING, DMSCD_MESSAGE_SESSION_FAILED, sessions->current, text);
    publish_end(sessions, "failed", result, why, NULL);
    finish_current(sessions);
}

static void on_user_answer(int status, const char *const *items, gpointer user_data)
{
    Ask *ask = user_data;
    DmscdSessions *sessions = ask->sessions;

    g_free(ask);
    if (sessions == NULL)
        return; /* the queue went, or the request with it */
    sessions->ask = NULL;
    if (sessions->current->ui_mode == DM_UI_MODE_INFORMATIVE || status == DM_STATUS_OK)
        run_current(sessions);
    else if (status == DM_STATUS_NOT_MODIFIED)
        decline(sessions, "declined", "the user declined");
    else
        decline(sessions, "declined", "the user did not answer in time");
    if (sessions->state == SESSIONS_IDLE && sessions->idle_id == 0)
        sessions->idle_id = g_idle_add(on_idle_next, sessions);
}

/*
 * The notification's UI mode (OMA DM Notification 1.2): not specified and background run
 * silently; informative tells the user first, when an agent speaks for one; user interaction
 * asks first, and without an agent (or a yes in time) the session does not run.
 */
static void ask_user(DmscdSessions *sessions)
{
    const Request *request = sessions->current;
    gboolean confirm = request->ui_mode == DM_UI_MODE_USER_INTERACTION;
    g_autofree char *text = NULL;
    DbusApiAlert question = { 0 };
    Ask *ask;

    if (request->ui_mode != DM_UI_MODE_INFORMATIVE && !confirm) {
        run_current(sessions);
        return;
    }
    text = g_strdup_printf(confirm ? "The DM server \"%s\" asks to manage this device. Allow it?"
                                   : "The DM server \"%s\" manages this device now.",
                           request->server_id);
    question.code = confirm ? 1101 : 1100;
    question.text = text;
    question.timeout_seconds =
        confirm ? sessions->options.timeout : MIN(sessions->options.timeout, INFORM_SECONDS);
    ask = g_new0(Ask, 1);
    ask->sessions = sessions;
    if (sessions->bus != NULL &&
        dbus_api_server_ask_agent(sessions->bus, &question, on_user_answer, ask)) {
        sessions->ask = ask;
        set_state(sessions, SESSIONS_ASKING);
        return;
    }
    g_free(ask);
    if (confirm)
        decline(sessions, "no-agent", "no agent to ask the user");
    else
        run_current(sessions);
}

static void run_next(DmscdSessions *sessions)
{
    while (sessions->state == SESSIONS_IDLE && !g_queue_is_empty(&sessions->queue)) {
        sessions->current = g_queue_pop_head(&sessions->queue);
        ask_user(sessions);
    }
}

static gboolean same(const Request *a, const Request *b)
{
    return a != NULL && g_str_equal(a->server_id, b->server_id) &&
           g_str_equal(a->session_id, b->session_id);
}

static int compare(gconstpointer a, gconstpointer b)
{
    return same(a, b) ? 0 : 1;
}

/* Queues @request (taken) unless the same session is asked for already; its object path.
 * NULL with @error when the queue is full: the request is refused and logged. A request
 * restored from the store is never refused: it was accepted once (queue-size may have been
 * lowered since), and refusing it now would lose it. */
static const char *enqueue(DmscdSessions *sessions, Request *request, gboolean restored,
                           GError **error)
{
    GList *queued = NULL;

    /* A notification repeated (SMS are resent) asks for the session already asked for. */
    for (guint i = 0; i < sessions->later->len; i++) {
        if (same(g_ptr_array_index(sessions->later, i), request)) {
            const char *path = ((Request *)g_ptr_array_index(sessions->later, i))->path;
            request_free(request);
            return path;
        }
    }
    if (same(sessions->current, request) ||
        (queued = g_queue_find_custom(&sessions->queue, request, compare)) != NULL) {
        const Request *there = queued != NULL ? queued->data : sessions->current;
        g_debug("DM session %s with \"%s\" is asked for already", request->session_id,
                request->server_id);
        request_free(request);
        return there->path;
    }
    /* Bounded: a flood of notifications (or of Trigger calls) cannot grow it without end. */
    if (!restored && g_queue_get_length(&sessions->queue) + sessions->later->len >=
                         sessions->options.queue_size) {
        log_session(G_LOG_LEVEL_WARNING, DMSCD_MESSAGE_SESSION_FAILED, request,
                    "refused: too many sessions are asked for already");
        g_set_error(error, DM_ERROR, DM_ERROR_BUSY, "%u sessions wait already",
                    sessions->options.queue_size);
        request_free(request);
        return NULL;
    }
    if (sessions->bus != NULL)
        request->path = g_strdup(dbus_api_server_add_session(sessions->bus, request->server_id,
                                                             request->session_id, request->origin));
    g_queue_push_tail(&sessions->queue, request);
    save_pending(sessions);
    return request->path;
}

/*
 * A store that does not read, whole or in part, is moved aside before the next save replaces
 * it: what it held is kept for whoever looks into it. One that cannot be read at all (a
 * permission, a disk error) stays where it is.
 */
static void report_store(const char *store, const GError *error, GPtrArray *skipped)
{
    g_autofree char *why = NULL;
    g_autofree char *aside = NULL;
    int move_errno;

    if (error != NULL && error->domain != G_KEY_FILE_ERROR) {
        g_warning("DM sessions: none queued again: %s", error->message);
        return;
    }
    if (error != NULL) {
        why = g_strdup(error->message);
    } else {
        g_autofree char *groups = NULL;

        g_ptr_array_add(skipped, NULL);
        groups = g_strjoinv("; ", (char **)skipped->pdata);
        why = g_strconcat("sessions that do not read: ", groups, NULL);
    }
    aside = dm_file_move_aside(store);
    move_errno = errno;
    if (aside != NULL)
        g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE_ID",
                         DMSCD_MESSAGE_SESSIONS_CORRUPT, "MESSAGE",
                         "%s is corrupt (%s); moved to %s", store, why, aside);
    else
        g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE_ID",
                         DMSCD_MESSAGE_SESSIONS_CORRUPT, "MESSAGE",
                         "%s is corrupt (%s) and cannot be moved aside: %s", store, why,
                         g_strerror(move_errno));
}

void dmscd_sessions_restore(DmscdSessions *sessions)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) saved = NULL;

    if (sessions->options.store == NULL)
        return;
    saved = dmscd_session_store_load(sessions->options.store, skipped, &error);
    if (saved == NULL || skipped->len > 0)
        report_store(sessions->options.store, error, skipped);
    if (saved == NULL)
        return;
    for (guint i = 0; i < saved->len; i++) {
        Request *request = g_ptr_array_steal_index(saved, i--);
        g_message("DM session %s with \"%s\" (%s): queued again, asked for before the last stop",
                  request->session_id, request->server_id, request->origin);
        (void)enqueue(sessions, request, TRUE, NULL);
    }
    run_next(sessions);
}

void dmscd_sessions_queue(DmscdSessions *sessions, const DmNotification *notification,
                          const char *origin)
{
    Request *request = g_new0(Request, 1);

    request->server_id = g_strdup(notification->server_id);
    request->session_id = dm_notification_session_id(notification);
    request->origin = g_strdup(origin);
    request->ui_mode = notification->ui_mode;
    request->encoding = sessions->options.encoding;
    (void)enqueue(sessions, request, FALSE, NULL);
    run_next(sessions);
}

char *dmscd_sessions_trigger(DmscdSessions *sessions, const char *server_id,
                             const DmEncoding *encoding, GError **error)
{
    g_autoptr(DmAccount) account = dm_account_find(sessions->tree->tree, server_id);
    GError *local = NULL;
    Request *request;
    char *path;

    if (account == NULL) {
        g_set_error(error, DM_ERROR, DM_ERROR_NOT_FOUND, "no account for server \"%s\"", server_id);
        return NULL;
    }
    request = g_new0(Request, 1);
    request->server_id = g_strdup(server_id);
    /* A client-initiated session picks its own id, as package #0 would have given one: from a
     * random start, one after the other, so that two asked for together never share one. */
    if (sessions->next_local_id == 0)
        sessions->next_local_id = (guint)g_random_int_range(1, 0x10000);
    request->session_id = g_strdup_printf("%X", sessions->next_local_id);
    sessions->next_local_id = sessions->next_local_id % 0xffff + 1;
    request->origin = g_strdup("local");
    request->client_initiated = TRUE;
    request->encoding = encoding != NULL ? *encoding : sessions->options.encoding;
    /* Copied first: run_next() may start the session, and even end it, before returning. */
    path = g_strdup(enqueue(sessions, request, FALSE, &local));
    if (local != NULL) {
        g_propagate_error(error, local);
        return NULL;
    }
    run_next(sessions);
    return path != NULL ? path : g_strdup("/");
}
