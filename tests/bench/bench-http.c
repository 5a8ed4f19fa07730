/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One SyncML message's HTTP exchange as dmscd has it with a card's web server: a POST on a new
 * connection to the SCWS gateway's local socket, answered, the connection closed. dmscd's
 * binding (dm/http.c) against libsoup alone doing the same exchange with the same session
 * settings and request headers: the floor under dmscd's HTTP side. The server is a child
 * process (executed, so callgrind counts only this side). Prints microseconds per POST for
 * both and their ratio, and what a POST costs when the server keeps the connection open (as a
 * network DM server may; a card's does not). Instructions per POST (libsoup, GIO and the main
 * loop included):
 *   tests/bench/instructions.sh build/tests/bench/bench-http post_with_dmscd 300
 *   tests/bench/instructions.sh build/tests/bench/bench-http post_with_libsoup 300
 *   tests/bench/instructions.sh build/tests/bench/bench-http post_on_a_kept_connection 300
 * Run: meson test -C build --benchmark -v dm-http   (or bench-http [N])
 */
#include "dm/dm-private.h"

#include <libsoup/soup.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MEDIA       "application/vnd.syncml.dm+xml"
#define REQUEST     1200 /* bytes of a client's package 1 with its DevInfo */
#define ANSWER      1500 /* bytes of a server's package 2 */
#define LISTEN_FD   3
#define HEADERS_MAX 4096

/* --- The server: blocking, one exchange a connection, in its own process ------------------ */

static gboolean read_request(int fd)
{
    char buffer[HEADERS_MAX + REQUEST];
    size_t have = 0;
    const char *end = NULL;
    const char *length;

    while (end == NULL || have < (size_t)(end + 4 - buffer) + REQUEST) {
        ssize_t n = read(fd, buffer + have, sizeof(buffer) - 1 - have);
        if (n <= 0)
            return FALSE;
        have += (size_t)n;
        buffer[have] = '\0';
        if (end == NULL && (end = strstr(buffer, "\r\n\r\n")) != NULL) {
            length = strstr(buffer, "Content-Length: ");
            if (length == NULL || atoi(length + 16) != REQUEST)
                return FALSE;
        }
        if (have == sizeof(buffer) - 1)
            return FALSE;
    }
    return TRUE;
}

/* One connection's exchanges: one, or (@keep) as many as the client sends. */
static void exchange(int fd, const char *answer, gboolean keep)
{
    size_t length = strlen(answer);

    while (read_request(fd)) {
        if (write(fd, answer, length) != (ssize_t)length) {
            fprintf(stderr, "bench-http server: short write\n");
            return;
        }
        if (!keep)
            return;
    }
}

/* @keep: connections stay open for more exchanges, each served by a process of its own (a
 * client that opened another meanwhile is served too); otherwise one exchange a connection. */
static int serve(gboolean keep)
{
    g_autofree char *answer = NULL;
    char body[ANSWER];

    memset(body, 'a', sizeof(body));
    answer = g_strdup_printf("HTTP/1.1 200 OK\r\nContent-Type: " MEDIA
                             "\r\nContent-Length: %d\r\n%s\r\n%.*s",
                             ANSWER, keep ? "" : "Connection: close\r\n", ANSWER, body);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_IGN); /* connection processes reaped as they end */
    /* Gone with the bench, however it ends. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        return 0;
    /* GSocket made the listener non-blocking; this side waits in accept(). */
    fcntl(LISTEN_FD, F_SETFL, fcntl(LISTEN_FD, F_GETFL) & ~O_NONBLOCK);
    for (;;) {
        int fd = accept(LISTEN_FD, NULL, NULL);

        if (fd < 0 && errno == EINTR)
            continue;
        if (fd < 0)
            return 0;
        if (keep && fork() == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            close(LISTEN_FD);
            exchange(fd, answer, TRUE);
            _exit(0);
        }
        if (!keep)
            exchange(fd, answer, FALSE);
        close(fd);
    }
}

/* --- The client side, measured ------------------------------------------------------------ */

static void on_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    *(GAsyncResult **)user_data = g_object_ref(result);
}

static GAsyncResult *wait_for(GAsyncResult **result)
{
    while (*result == NULL)
        g_main_context_iteration(NULL, TRUE);
    return *result;
}

static void check_answer(GBytes *answer, const GError *error)
{
    if (answer == NULL) {
        fprintf(stderr, "bench-http: %s\n", error->message);
        exit(1);
    }
    if (g_bytes_get_size(answer) != ANSWER)
        abort();
}

static void post(DmHttp *http, const char *uri, GBytes *body)
{
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) answer = NULL;

    dm_http_post_async(http, uri, MEDIA, body, NULL, NULL, on_done, &result);
    answer = dm_http_post_finish(http, wait_for(&result), NULL, &error);
    check_answer(answer, error);
}

/* Two names for one POST, so that callgrind counts each case apart: GCC would fold the two
 * into one (noipa stops it); clang does not fold functions. */
#if defined(__clang__)
#define NOT_FOLDED __attribute__((noinline))
#else
#define NOT_FOLDED __attribute__((noipa))
#endif

static NOT_FOLDED void post_with_dmscd(DmHttp *http, const char *uri, GBytes *body)
{
    post(http, uri, body);
}

static NOT_FOLDED void post_on_a_kept_connection(DmHttp *http, const char *uri, GBytes *body)
{
    post(http, uri, body);
}

static void post_with_libsoup(SoupSession *soup, const char *uri, GBytes *body)
{
    g_autoptr(SoupMessage) message = soup_message_new("POST", uri);
    SoupMessageHeaders *headers = soup_message_get_request_headers(message);
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) answer = NULL;

    soup_message_headers_replace(headers, "Accept", MEDIA);
    soup_message_headers_replace(headers, "Accept-Charset", "utf-8");
    soup_message_headers_replace(headers, "Cache-Control", "no-store");
    soup_message_set_request_body_from_bytes(message, MEDIA, body);
    soup_session_send_and_read_async(soup, message, G_PRIORITY_DEFAULT, NULL, on_done, &result);
    answer = soup_session_send_and_read_finish(soup, wait_for(&result), &error);
    check_answer(answer, error);
    if (soup_message_get_status(message) != SOUP_STATUS_OK)
        abort();
}

/* As dm/http.c sets its session up for the card's server: every connection to @route. */
static SoupSession *plain_session(GSocketAddress *route)
{
    SoupSession *soup =
        soup_session_new_with_options("timeout", 30, "idle-timeout", 30, "user-agent", "dmscd",
                                      "remote-connectable", route, NULL);

    soup_session_set_proxy_resolver(soup, NULL);
    soup_session_remove_feature_by_type(soup, SOUP_TYPE_CONTENT_DECODER);
    soup_session_remove_feature_by_type(soup, SOUP_TYPE_AUTH_MANAGER);
    return soup;
}

/* The server on an abstract Unix socket, as dmscd reaches a card's web server (its SCWS
 * gateway listens there for dmscd's own sessions). */
static GSubprocess *server_new(const char *self, gboolean keep, GSocketAddress **route)
{
    g_autofree char *name =
        g_strdup_printf("dmscd-bench-http-%d-%s", (int)getpid(), keep ? "keep" : "close");
    g_autoptr(GSocket) listener =
        g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL);
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
    g_autoptr(GError) error = NULL;
    GSubprocess *server;

    *route = g_unix_socket_address_new_with_type(name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
    if (listener == NULL || !g_socket_bind(listener, *route, TRUE, NULL) ||
        !g_socket_listen(listener, NULL))
        abort();
    g_subprocess_launcher_take_fd(launcher, dup(g_socket_get_fd(listener)), LISTEN_FD);
    server = g_subprocess_launcher_spawn(launcher, &error, self, "--serve", keep ? "keep" : "close",
                                         NULL);
    if (server == NULL) {
        fprintf(stderr, "bench-http: %s\n", error->message);
        exit(1);
    }
    return server;
}

static double microseconds_each(gint64 start, int rounds)
{
    return (double)(g_get_monotonic_time() - start) / rounds;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 2000;
    g_autoptr(GSubprocess) server = NULL, keeping = NULL;
    g_autoptr(SoupSession) soup = NULL;
    g_autoptr(GBytes) body = NULL;
    g_autoptr(GSocketAddress) route = NULL, kept_route = NULL;
    /* Its host and port are the route's business. Made at run time, so that the compiler
     * does not specialise the measured functions under other names. */
    g_autofree char *uri = g_strdup("http://127.0.0.1:3516/dm");
    g_autofree char *request = NULL;
    DmHttp *http, *kept;
    double dmscd, floor, reused;
    gint64 start;

    if (argc > 2 && g_str_equal(argv[1], "--serve"))
        return serve(g_str_equal(argv[2], "keep"));
    if (rounds <= 0)
        rounds = 2000;
    /* Not /proc/self/exe: under valgrind that is valgrind's own program. */
    server = server_new(argv[0], FALSE, &route);
    keeping = server_new(argv[0], TRUE, &kept_route);
    request = g_strnfill(REQUEST, 'r');
    body = g_bytes_new_static(request, REQUEST);
    http = dm_http_new(30, "dmscd");
    dm_http_set_route(http, G_SOCKET_CONNECTABLE(route));
    soup = plain_session(route);
    kept = dm_http_new(30, "dmscd");
    dm_http_set_route(kept, G_SOCKET_CONNECTABLE(kept_route));

    /* Both warmed up first: type registration and the first connection are not per POST. */
    post_with_dmscd(http, uri, body);
    post_with_libsoup(soup, uri, body);
    post_on_a_kept_connection(kept, uri, body);

    start = g_get_monotonic_time();
    for (int i = 0; i < rounds; i++)
        post_with_libsoup(soup, uri, body);
    floor = microseconds_each(start, rounds);
    start = g_get_monotonic_time();
    for (int i = 0; i < rounds; i++)
        post_with_dmscd(http, uri, body);
    dmscd = microseconds_each(start, rounds);
    start = g_get_monotonic_time();
    for (int i = 0; i < rounds; i++)
        post_on_a_kept_connection(kept, uri, body);
    reused = microseconds_each(start, rounds);

    printf("HTTP exchange on a new local connection (%d B up, %d B down), %d rounds:\n", REQUEST,
           ANSWER, rounds);
    printf("  libsoup alone (floor): %.1f us per POST\n", floor);
    printf("  dmscd (dm/http.c):     %.1f us per POST = %.2fx the floor\n", dmscd, dmscd / floor);
    printf("  dmscd, the server keeping its connection: %.1f us per POST = %.2fx a new one\n",
           reused, reused / dmscd);
    dm_http_free(http);
    dm_http_free(kept);
    g_subprocess_force_exit(server);
    g_subprocess_force_exit(keeping);
    return 0;
}
