/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The HTTP binding of OMA DM 1.2 (OMA-TS-DM_HTTP): one POST a message, with libsoup 3. */
#include "dm-private.h"

#include <libsoup/soup.h>

struct DmHttp {
    SoupSession *soup;         /* made for the first POST, when its host is known */
    GSocketConnectable *route; /* where every connection goes, or NULL */
    guint timeout_seconds;
    char *user_agent;
    GTlsDatabase *trust; /* beside the system's, or NULL */
    gsize max_size;      /* of an answer's body; 0: no bound */
};

/* What is read of an answer at a time. */
#define READ_SIZE (16 * 1024)

/* A host on this machine: no proxy stands between dmscd and it. */
static gboolean is_loopback(const char *uri)
{
    g_autoptr(GUri) parsed = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);
    const char *host = parsed ? g_uri_get_host(parsed) : NULL;
    g_autoptr(GInetAddress) address = NULL;

    if (host == NULL)
        return FALSE;
    if (g_ascii_strcasecmp(host, "localhost") == 0)
        return TRUE;
    address = g_inet_address_new_from_string(host);
    return address != NULL && g_inet_address_get_is_loopback(address);
}

/*
 * One SoupSession a DM session: its connection pool keeps the connection alive across the
 * session's messages, and the system's TLS database checks HTTPS servers. With a route (the
 * card's server, reached through dmscd's own socket), every connection goes there whatever
 * the URI's host (libsoup's remote-connectable). A route or a loopback host means no proxy:
 * libsoup then asks no proxy resolver for each connection.
 */
static SoupSession *soup_new(const DmHttp *http, const char *uri)
{
    SoupSession *soup = soup_session_new_with_options(
        "timeout", http->timeout_seconds, "idle-timeout", http->timeout_seconds, "user-agent",
        http->user_agent, "remote-connectable", http->route, NULL);

    if (http->route != NULL || is_loopback(uri))
        soup_session_set_proxy_resolver(soup, NULL);
    /* SyncML DM is not compressed: no Accept-Encoding, and no decoder to set up per message.
     * Its credentials travel in the SyncML header (and x-syncml-hmac), never as HTTP
     * authentication: no auth manager hooked into every message either. */
    soup_session_remove_feature_by_type(soup, SOUP_TYPE_CONTENT_DECODER);
    soup_session_remove_feature_by_type(soup, SOUP_TYPE_AUTH_MANAGER);
    return soup;
}

DmHttp *dm_http_new(guint timeout_seconds, const char *user_agent)
{
    DmHttp *http = g_new0(DmHttp, 1);

    http->timeout_seconds = timeout_seconds;
    http->user_agent = g_strdup(user_agent ? user_agent : "dmscd");
    return http;
}

void dm_http_set_route(DmHttp *http, GSocketConnectable *via)
{
    g_clear_object(&http->soup);
    g_set_object(&http->route, via);
}

void dm_http_set_max_size(DmHttp *http, gsize max_size)
{
    http->max_size = max_size;
}

void dm_http_set_trust(DmHttp *http, GTlsDatabase *trust)
{
    g_set_object(&http->trust, trust);
}

void dm_http_free(DmHttp *http)
{
    if (http == NULL)
        return;
    g_clear_object(&http->soup);
    g_clear_object(&http->route);
    g_clear_object(&http->trust);
    g_free(http->user_agent);
    g_free(http);
}

typedef struct {
    DmHttp *http;
    char *uri;
    char *media_type;
    GBytes *body;
    char *request_hmac;
    guint attempts;
    char *hmac;           /* the answer's x-syncml-hmac */
    SoupMessage *message; /* the one in flight */
    GInputStream *answer; /* its body, being read */
    GSource *readable;    /* while the body is read */
    GByteArray *received; /* what was read of it */
} Post;

/* The body's source goes (safe from within its own dispatch). */
static void stop_reading(Post *post)
{
    if (post->readable == NULL)
        return;
    g_source_destroy(post->readable);
    g_clear_pointer(&post->readable, g_source_unref);
}

static void post_free(Post *post)
{
    g_free(post->uri);
    g_free(post->media_type);
    g_bytes_unref(post->body);
    g_free(post->request_hmac);
    g_free(post->hmac);
    g_clear_object(&post->message);
    stop_reading(post);
    g_clear_object(&post->answer);
    g_clear_pointer(&post->received, g_byte_array_unref);
    g_free(post);
}

static void send_post(GTask *task);

/*
 * A connection that failed before any byte of the answer came back (a server that closed a
 * kept-alive connection as we used it, say) is tried once more on a new connection. A timeout
 * is not: the server had its whole time.
 */
static gboolean worth_again(Post *post, SoupMessage *message, const GError *error)
{
    return post->attempts == 1 && soup_message_get_status(message) == SOUP_STATUS_NONE &&
           error->domain != G_TLS_ERROR &&
           !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
           !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

/* An answer past the bound: the connection goes at once, the session with it. */
static void return_too_large(GTask *task, gsize size)
{
    Post *post = g_task_get_task_data(task);

    g_input_stream_close(post->answer, NULL, NULL);
    g_task_return_new_error(task, DM_ERROR, DM_ERROR_SERVER,
                            "%s: an answer of %zu bytes or more, past the %zu announced", post->uri,
                            size, post->http->max_size);
}

/* The body is done, one way or another: the task returns and its source goes. */
static gboolean read_done(GTask *task)
{
    stop_reading(g_task_get_task_data(task));
    g_object_unref(task);
    return G_SOURCE_REMOVE;
}

/*
 * Reads what the body has without blocking, each time it has some: one source for the whole
 * answer, rather than an asynchronous read (a task and its source) for every piece of it. The
 * card's answer and its close often come together: both are read in one go.
 */
static gboolean on_readable(GObject *stream, gpointer user_data)
{
    GTask *task = user_data;
    Post *post = g_task_get_task_data(task);

    for (;;) {
        g_autoptr(GError) error = NULL;
        guint have = post->received->len;
        gssize n;

        g_byte_array_set_size(post->received, have + READ_SIZE);
        n = g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(stream),
                                                     post->received->data + have, READ_SIZE,
                                                     g_task_get_cancellable(task), &error);
        g_byte_array_set_size(post->received, have + (guint)MAX(n, 0));
        if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return G_SOURCE_CONTINUE;
        if (n < 0) {
            g_task_return_new_error(task, DM_ERROR, DM_ERROR_TRANSPORT, "%s: %s", post->uri,
                                    error->message);
            return read_done(task);
        }
        if (n == 0) {
            g_input_stream_close(post->answer, NULL, NULL);
            g_task_return_pointer(task,
                                  g_byte_array_free_to_bytes(g_steal_pointer(&post->received)),
                                  (GDestroyNotify)g_bytes_unref);
            return read_done(task);
        }
        if (post->http->max_size > 0 && post->received->len > post->http->max_size) {
            return_too_large(task, post->received->len);
            return read_done(task);
        }
    }
}

static void read_answer(GTask *task)
{
    Post *post = g_task_get_task_data(task);

    post->received = g_byte_array_new();
    post->readable = g_pollable_input_stream_create_source(G_POLLABLE_INPUT_STREAM(post->answer),
                                                           g_task_get_cancellable(task));
    g_source_set_callback(post->readable, G_SOURCE_FUNC(on_readable), task, NULL);
    g_source_attach(post->readable, g_main_context_get_thread_default());
}

static void on_response(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    Post *post = g_task_get_task_data(task);
    SoupMessage *message = post->message;
    g_autoptr(GError) error = NULL;
    GInputStream *answer = soup_session_send_finish(SOUP_SESSION(source), result, &error);
    goffset announced;
    guint status;

    if (answer == NULL && worth_again(post, message, error)) {
        g_debug("%s: %s; sending again on a new connection", post->uri, error->message);
        send_post(task);
        return;
    }
    if (answer == NULL) {
        g_task_return_new_error(task, DM_ERROR,
                                error->domain == G_TLS_ERROR ? DM_ERROR_TLS : DM_ERROR_TRANSPORT,
                                "%s: %s", post->uri, error->message);
        g_object_unref(task);
        return;
    }
    post->answer = answer;
    status = soup_message_get_status(message);
    if (status != SOUP_STATUS_OK) {
        g_input_stream_close(answer, NULL, NULL);
        g_task_return_new_error(task, DM_ERROR, DM_ERROR_SERVER, "%s answered HTTP %u %s",
                                post->uri, status, soup_message_get_reason_phrase(message));
        g_object_unref(task);
        return;
    }
    post->hmac = g_strdup(
        soup_message_headers_get_one(soup_message_get_response_headers(message), "x-syncml-hmac"));
    announced = soup_message_headers_get_content_length(soup_message_get_response_headers(message));
    if (post->http->max_size > 0 && announced > 0 && (guint64)announced > post->http->max_size) {
        return_too_large(task, (gsize)announced);
        g_object_unref(task);
        return;
    }
    if (!G_IS_POLLABLE_INPUT_STREAM(answer) ||
        !g_pollable_input_stream_can_poll(G_POLLABLE_INPUT_STREAM(answer))) {
        g_input_stream_close(answer, NULL, NULL);
        g_task_return_new_error(task, DM_ERROR, DM_ERROR_TRANSPORT,
                                "%s: an answer that cannot be read without blocking", post->uri);
        g_object_unref(task);
        return;
    }
    read_answer(task);
}

/* A certificate the system does not vouch for: accepted when the configured trust does. */
static gboolean on_accept_certificate(SoupMessage *message, GTlsCertificate *certificate,
                                      GTlsCertificateFlags errors, gpointer user_data)
{
    DmHttp *http = user_data;
    GUri *uri = soup_message_get_uri(message);
    g_autoptr(GSocketConnectable) identity = NULL;
    g_autoptr(GError) error = NULL;
    GTlsCertificateFlags flags;

    if (http->trust == NULL)
        return FALSE;
    identity = g_network_address_new(g_uri_get_host(uri), (guint16)MAX(g_uri_get_port(uri), 0));
    flags = g_tls_database_verify_chain(http->trust, certificate,
                                        G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER, identity, NULL,
                                        G_TLS_DATABASE_VERIFY_NONE, NULL, &error);
    if (error != NULL || flags != 0)
        g_debug("%s: the configured trust does not vouch for the certificate either (0x%x)",
                g_uri_get_host(uri), flags);
    return error == NULL && flags == 0;
}

static void send_post(GTask *task)
{
    Post *post = g_task_get_task_data(task);
    g_autoptr(SoupMessage) message = soup_message_new("POST", post->uri);
    SoupMessageHeaders *headers;

    if (message == NULL) {
        g_task_return_new_error(task, DM_ERROR, DM_ERROR_TRANSPORT, "not an HTTP address: %s",
                                post->uri);
        g_object_unref(task);
        return;
    }
    /* libsoup gives a POST a new connection unless the message is marked as one that may be
     * sent again. The first attempt is: it goes on the connection a server kept open, and
     * should that turn out closed before any answer, worth_again() sends it once more on a new
     * one (a server tells a repeat by its MsgID). The card's server closes after each answer:
     * every POST to it is on a new connection anyway. */
    if (post->attempts++ > 0)
        soup_message_add_flags(message, SOUP_MESSAGE_NEW_CONNECTION);
    else
        soup_message_add_flags(message, SOUP_MESSAGE_IDEMPOTENT);
    g_signal_connect(message, "accept-certificate", G_CALLBACK(on_accept_certificate), post->http);
    headers = soup_message_get_request_headers(message);
    soup_message_headers_replace(headers, "Accept", post->media_type);
    soup_message_headers_replace(headers, "Accept-Charset", "utf-8");
    soup_message_headers_replace(headers, "Cache-Control", "no-store");
    if (post->request_hmac != NULL)
        soup_message_headers_replace(headers, "x-syncml-hmac", post->request_hmac);
    soup_message_set_request_body_from_bytes(message, post->media_type, post->body);
    g_set_object(&post->message, message);
    if (post->http->soup == NULL)
        post->http->soup = soup_new(post->http, post->uri);
    soup_session_send_async(post->http->soup, message, G_PRIORITY_DEFAULT,
                            g_task_get_cancellable(task), on_response, task);
}

void dm_http_post_async(DmHttp *http, const char *uri, const char *media_type, GBytes *body,
                        const char *hmac, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    Post *post = g_new0(Post, 1);

    post->http = http;
    post->uri = g_strdup(uri);
    post->media_type = g_strdup(media_type);
    post->body = g_bytes_ref(body);
    post->request_hmac = g_strdup(hmac);
    g_task_set_task_data(task, post, (GDestroyNotify)post_free);
    send_post(task);
}

GBytes *dm_http_post_finish(DmHttp *http, GAsyncResult *result, char **hmac, GError **error)
{
    Post *post = g_task_get_task_data(G_TASK(result));
    GBytes *body = g_task_propagate_pointer(G_TASK(result), error);

    if (hmac != NULL)
        *hmac = body != NULL ? g_steal_pointer(&post->hmac) : NULL;
    return body;
}
