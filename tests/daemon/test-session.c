/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sessions the daemon runs for verified notifications, against a scripted DM server. */
#include "session.h"
#include "tests/check-run.h"
#include "tests/dm-server/script-server.h"
#include "tests/test-util.h"

#include <glib/gstdio.h>

static char *directory;
static DmscdTree tree;
static DmscdSessions *sessions;
static DmNotification *notification;
/* Conflicts the daemon logs, captured from its structured log. */
/* The journal's lines, "MESSAGE_ID MESSAGE" each ("-" for none). */
static GPtrArray *journal_lines;

static void leaf(const char *uri, const char *format, const char *value)
{
    ck_assert_int_eq(
        dm_tree_add(tree.tree, NULL, uri, format, NULL, (const guint8 *)value, strlen(value)), 200);
}

static void node(const char *uri)
{
    ck_assert_int_eq(dm_tree_add(tree.tree, NULL, uri, "node", NULL, NULL, 0), 200);
}

/* The account of "srv" at @address, both sides with MD5 digests. */
static void account(const char *address)
{
    node("./DMAcc/S");
    leaf("./DMAcc/S/ServerID", "chr", "srv");
    node("./DMAcc/S/AppAddr");
    node("./DMAcc/S/AppAddr/1");
    leaf("./DMAcc/S/AppAddr/1/Addr", "chr", address);
    node("./DMAcc/S/AppAuth");
    node("./DMAcc/S/AppAuth/C");
    leaf("./DMAcc/S/AppAuth/C/AAuthLevel", "chr", "CLCRED");
    leaf("./DMAcc/S/AppAuth/C/AAuthType", "chr", "DIGEST");
    leaf("./DMAcc/S/AppAuth/C/AAuthName", "chr", "dev");
    leaf("./DMAcc/S/AppAuth/C/AAuthSecret", "chr", "cpw");
    leaf("./DMAcc/S/AppAuth/C/AAuthData", "b64", "Y24="); /* "cn" */
    node("./DMAcc/S/AppAuth/S");
    leaf("./DMAcc/S/AppAuth/S/AAuthLevel", "chr", "SRVCRED");
    leaf("./DMAcc/S/AppAuth/S/AAuthType", "chr", "DIGEST");
    leaf("./DMAcc/S/AppAuth/S/AAuthName", "chr", "srv");
    leaf("./DMAcc/S/AppAuth/S/AAuthSecret", "chr", "spw");
    leaf("./DMAcc/S/AppAuth/S/AAuthData", "b64", "c24="); /* "sn" */
}

/* A server "srv" that speaks MD5 both ways with the nonces the account() holds. */
static ScriptServerConfig md5_server(void)
{
    static GBytes *cn, *sn;
    ScriptServerConfig config = {
        .server_id = "srv",
        .auth = DM_AUTH_MD5,
        .server_name = "srv",
        .server_password = "spw",
        .client_name = "dev",
        .client_password = "cpw",
        .encoding = DM_ENCODING_XML,
    };

    if (cn == NULL) {
        cn = g_bytes_new_static("cn", 2);
        sn = g_bytes_new_static("sn", 2);
    }
    config.client_nonce = cn;
    config.server_nonce = sn;
    return config;
}

static const DmscdSessionOptions session_options = { .timeout = 10, .max_msg_size = 16384 };

static void setup(void)
{
    DmDeviceInfo info = { .dev_id = "IMEI:490154203237518" };
    g_autoptr(GBytes) package0 = NULL;
    gsize length;

    directory = g_dir_make_tmp("dmscd-session-XXXXXX", NULL);
    tree.path = g_build_filename(directory, "tree", NULL);
    tree.tree = dm_tree_new();
    dm_tree_add_standard_objects(tree.tree, &info);
    sessions = dmscd_sessions_new(&tree, &session_options, NULL);
    package0 = dm_notification_build("srv", "spw", NULL, 0, 0x1a, DM_UI_MODE_BACKGROUND, TRUE, NULL,
                                     0, NULL);
    notification = dm_notification_parse(g_bytes_get_data(package0, &length),
                                         g_bytes_get_size(package0), NULL);
    ck_assert_ptr_nonnull(notification);
}

static void teardown(void)
{
    g_clear_pointer(&sessions, dmscd_sessions_free);
    g_clear_pointer(&notification, dm_notification_free);
    test_remove_tree(directory);
    g_clear_pointer(&tree.tree, dm_tree_unref);
    g_clear_pointer(&tree.path, g_free);
    g_clear_pointer(&tree.dev_id_modem, g_free);
    g_clear_pointer(&journal_lines, g_ptr_array_unref);
    g_clear_pointer(&directory, g_free);
}

static void run_until_idle(void)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (!dmscd_sessions_idle(sessions)) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "the session did not end");
        g_main_context_iteration(NULL, TRUE);
    }
}

static char *saved(const char *uri)
{
    g_autoptr(DmTree) loaded = dm_tree_load(tree.path, NULL, NULL);
    DmNodeInfo info;

    if (loaded == NULL || !dm_tree_get(loaded, uri, &info))
        return NULL;
    return g_strndup((const char *)info.value, info.value_length);
}

START_TEST(a_session_that_ends_well_saves_the_servers_changes)
{
    ScriptServerConfig config = md5_server();
    g_autoptr(ScriptServer) server =
        script_server_new(&config, "ADD ./Vendor/Value chr from-server\n", NULL);
    guint16 port = script_server_listen(server, "/dm", 0, NULL);
    g_autofree char *address = g_strdup_printf("http://127.0.0.1:%u/dm", port);
    g_autofree char *value = NULL;
    g_autofree char *nonce = NULL;
    gsize nonce_length = 0;

    ck_assert_uint_ne(port, 0);
    account(address);
    dmscd_sessions_queue(sessions, notification, "card");
    /* The same notification again while the session runs is not a second session. */
    dmscd_sessions_queue(sessions, notification, "card");
    run_until_idle();
    ck_assert(script_server_is_finished(server));
    value = saved("./Vendor/Value");
    ck_assert_str_eq(value, "from-server");
    ck_assert(dm_tree_exists(tree.tree, "./Vendor/Value"));
    /* The session start, the header and Add statuses, the end. */
    ck_assert_uint_eq(script_server_get_records(server)->len, 4);
    /* The server proved itself and got a new nonce for next time: it is saved as b64. */
    nonce = saved("./DMAcc/S/AppAuth/S/AAuthData");
    ck_assert_ptr_nonnull(nonce);
    ck_assert_str_ne(nonce, "c24=");
    g_free(g_base64_decode(nonce, &nonce_length));
    ck_assert_uint_gt(nonce_length, 0);
}
END_TEST

START_TEST(a_server_that_cannot_be_reached_leaves_the_tree_as_it_was)
{
    /* Nobody listens there: the connection is refused. */
    g_autofree char *address = g_strdup_printf("http://127.0.0.1:%u/dm", free_port());

    account(address);
    ck_assert(dm_tree_save(tree.tree, tree.path, NULL));
    dmscd_sessions_queue(sessions, notification, "network");
    run_until_idle();
    ck_assert(!dm_tree_exists(tree.tree, "./Vendor"));
    ck_assert_ptr_null(saved("./Vendor/Value"));
}
END_TEST

START_TEST(no_account_or_no_address_starts_nothing)
{
    dmscd_sessions_queue(sessions, notification, "card");
    ck_assert(dmscd_sessions_idle(sessions));
    node("./DMAcc/S");
    leaf("./DMAcc/S/ServerID", "chr", "srv");
    dmscd_sessions_queue(sessions, notification, "card");
    ck_assert(dmscd_sessions_idle(sessions));
}
END_TEST

/* --- Attempts and the store ------------------------------------------------------------------ */

static DmscdSessions *sessions_with(guint retries, const char *store)
{
    DmscdSessionOptions options = session_options;

    options.retries = retries;
    options.retry_delay = 1;
    options.store = store;
    return dmscd_sessions_new(&tree, &options, NULL);
}

static void run_until(gboolean (*done)(void), const char *what)
{
    gint64 deadline = g_get_monotonic_time() + 15 * G_USEC_PER_SEC;

    while (!done()) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "timed out waiting for %s", what);
        g_main_context_iteration(NULL, TRUE);
    }
}

/* The journal's lines as the default writer gets them, "MESSAGE_ID MESSAGE" each ("-" for
 * none), from keep_journal() on. */
static GLogWriterOutput keep_lines(GLogLevelFlags level, const GLogField *fields, gsize n,
                                   gpointer user_data)
{
    const char *id = "-", *message = "";

    for (gsize i = 0; i < n; i++) {
        if (g_str_equal(fields[i].key, "MESSAGE_ID"))
            id = fields[i].value;
        else if (g_str_equal(fields[i].key, "MESSAGE"))
            message = fields[i].value;
    }
    g_ptr_array_add(journal_lines, g_strdup_printf("%s %s", id, message));
    return g_log_writer_default(level, fields, n, user_data);
}

static void keep_journal(void)
{
    journal_lines = g_ptr_array_new_with_free_func(g_free);
    g_log_set_writer_func(keep_lines, NULL, NULL);
}

/* Lines with @id (any when NULL) whose message holds @text. */
static guint journal_lines_of(const char *id, const char *text)
{
    guint n = 0;

    for (guint i = 0; i < journal_lines->len; i++) {
        const char *line = g_ptr_array_index(journal_lines, i);
        const char *message = strchr(line, ' ') + 1;

        if (id != NULL && !(g_str_has_prefix(line, id) && line[strlen(id)] == ' '))
            continue;
        n += strstr(message, text) != NULL;
    }
    return n;
}

static guint journal_lines_with(const char *text)
{
    return journal_lines_of(NULL, text);
}

static gboolean one_attempt_failed(void)
{
    return journal_lines_with("trying again in") >= 1;
}

static gboolean sessions_idle(void)
{
    return dmscd_sessions_idle(sessions);
}

START_TEST(a_server_out_of_reach_is_tried_again_until_it_answers)
{
    ScriptServerConfig config = md5_server();
    guint16 port = free_port();
    g_autofree char *address = g_strdup_printf("http://127.0.0.1:%u/dm", port);
    g_autoptr(ScriptServer) server = NULL;
    g_autofree char *value = NULL;

    keep_journal();
    g_clear_pointer(&sessions, dmscd_sessions_free);
    sessions = sessions_with(2, NULL);
    account(address);
    dmscd_sessions_queue(sessions, notification, "network");
    run_until(one_attempt_failed, "the first attempt to fail");
    /* It waits to be tried again: not idle, and the server comes up meanwhile. */
    ck_assert(!dmscd_sessions_idle(sessions));
    server = script_server_new(&config, "ADD ./Vendor/Later chr yes\n", NULL);
    ck_assert_uint_eq(script_server_listen(server, "/dm", port, NULL), port);
    run_until(sessions_idle, "the second attempt");
    value = saved("./Vendor/Later");
    ck_assert_str_eq(value, "yes");
    ck_assert_uint_eq(journal_lines_with("trying again in"), 1);
}
END_TEST

START_TEST(an_authentication_failure_is_not_tried_again)
{
    ScriptServerConfig config = md5_server();
    g_autoptr(ScriptServer) server = NULL;
    guint16 port;
    g_autofree char *address = NULL;

    config.server_password = "not-spw";
    server = script_server_new(&config, "ADD ./Vendor/X chr x\n", NULL);
    port = script_server_listen(server, "/dm", 0, NULL);
    address = g_strdup_printf("http://127.0.0.1:%u/dm", port);
    g_clear_pointer(&sessions, dmscd_sessions_free);
    sessions = sessions_with(3, NULL);
    account(address);
    ck_assert(dm_tree_save(tree.tree, tree.path, NULL));
    dmscd_sessions_queue(sessions, notification, "card");
    /* Ended at once, for good: nothing waits for another attempt. */
    run_until(sessions_idle, "the session to end");
    ck_assert_uint_eq(script_server_get_sessions(server), 1);
    ck_assert_ptr_null(saved("./Vendor/X"));
}
END_TEST

START_TEST(sessions_asked_for_at_a_stop_are_asked_for_again_at_the_next_start)
{
    g_autofree char *store = g_build_filename(directory, "sessions", NULL);
    g_autofree char *address = g_strdup_printf("http://127.0.0.1:%u/dm", free_port());
    g_autoptr(GPtrArray) kept = NULL;
    DmscdSessionRequest *request;

    g_clear_pointer(&sessions, dmscd_sessions_free);
    sessions = sessions_with(3, store);
    account(address);
    dmscd_sessions_queue(sessions, notification, "network");
    /* Stopped while it waits for another attempt: it is kept, attempts and all. */
    keep_journal();
    run_until(one_attempt_failed, "the first attempt to fail");
    g_clear_pointer(&sessions, dmscd_sessions_free);
    kept = dmscd_session_store_load(store, NULL, NULL);
    ck_assert_ptr_nonnull(kept);
    ck_assert_uint_eq(kept->len, 1);
    request = g_ptr_array_index(kept, 0);
    ck_assert_str_eq(request->server_id, "srv");
    ck_assert_str_eq(request->session_id, "1A");
    ck_assert_str_eq(request->origin, "network");
    ck_assert_uint_eq(request->attempts, 1);
    /* The next start queues it again and tries it. */
    sessions = sessions_with(0, store);
    dmscd_sessions_restore(sessions);
    run_until(sessions_idle, "the restored session");
    g_clear_pointer(&kept, g_ptr_array_unref);
    kept = dmscd_session_store_load(store, NULL, NULL);
    ck_assert_uint_eq(kept->len, 0);
    g_unlink(store);
}
END_TEST

START_TEST(the_queue_is_bounded_and_what_it_refuses_is_an_error)
{
    DmscdSessionOptions options = session_options;
    g_autofree char *address = g_strdup_printf("http://127.0.0.1:%u/dm", free_port());
    g_autoptr(GError) error = NULL;

    g_clear_pointer(&sessions, dmscd_sessions_free);
    options.queue_size = 2;
    sessions = dmscd_sessions_new(&tree, &options, NULL);
    account(address);
    /* One runs, two wait: a fourth is refused. */
    for (int i = 0; i < 3; i++) {
        g_autofree char *path = dmscd_sessions_trigger(sessions, "srv", NULL, NULL);
        ck_assert_ptr_nonnull(path);
    }
    ck_assert_ptr_null(dmscd_sessions_trigger(sessions, "srv", NULL, &error));
    ck_assert(g_error_matches(error, DM_ERROR, DM_ERROR_BUSY));
}
END_TEST

/* The one file beside @store that a corrupt store was moved to; its contents. */
static char *moved_aside_contents(const char *store)
{
    g_autofree char *base = g_path_get_basename(store);
    g_autofree char *prefix = g_strconcat(base, ".corrupt-", NULL);
    g_autoptr(GDir) dir = g_dir_open(directory, 0, NULL);
    g_autofree char *found = NULL;
    const char *name;
    char *contents = NULL;

    while ((name = g_dir_read_name(dir)) != NULL) {
        if (!g_str_has_prefix(name, prefix))
            continue;
        ck_assert_msg(found == NULL, "two files moved aside: %s, %s", found, name);
        found = g_build_filename(directory, name, NULL);
    }
    ck_assert_msg(found != NULL, "nothing moved aside");
    ck_assert(g_file_get_contents(found, &contents, NULL, NULL));
    ck_assert_uint_ge(journal_lines_with(found), 1);
    return contents;
}

static const char not_a_key_file[] = "[session 0\nserver-id=srv\n";

START_TEST(a_store_that_is_not_a_key_file_is_kept_aside_and_queues_nothing)
{
    g_autofree char *store = g_build_filename(directory, "sessions", NULL);
    g_autofree char *aside = NULL;
    g_autoptr(GError) error = NULL;

    ck_assert(g_file_set_contents(store, not_a_key_file, -1, NULL));
    ck_assert_ptr_null(dmscd_session_store_load(store, NULL, &error));
    ck_assert(error->domain == G_KEY_FILE_ERROR);
    keep_journal();
    g_clear_pointer(&sessions, dmscd_sessions_free);
    sessions = sessions_with(0, store);
    dmscd_sessions_restore(sessions);

    ck_assert(dmscd_sessions_idle(sessions));
    ck_assert_uint_eq(journal_lines_of(DMSCD_MESSAGE_SESSIONS_CORRUPT, ""), 1);
    ck_assert_uint_eq(journal_lines_with("queued again"), 0);
    ck_assert(!g_file_test(store, G_FILE_TEST_EXISTS));
    aside = moved_aside_contents(store);
    ck_assert_str_eq(aside, not_a_key_file);
}
END_TEST

/* Session 1's ui-mode does not read; sessions 0 and 2 do. */
static const char one_bad_session[] =
    "[session 0]\nserver-id=gone\nsession-id=1\norigin=card\nui-mode=background\n"
    "client-initiated=false\nencoding=xml\nattempts=0\n"
    "[session 1]\nserver-id=gone\nsession-id=2\norigin=card\nui-mode=loud\n"
    "client-initiated=false\nencoding=xml\nattempts=0\n"
    "[session 2]\nserver-id=gone\nsession-id=3\norigin=network\nui-mode=informative\n"
    "client-initiated=false\nencoding=wbxml\nattempts=1\n";

#define GROUP(n, server, id, origin, ui, encoding)                                             \
    "[session " n "]\nserver-id=" server "\nsession-id=" id "\norigin=" origin "\nui-mode=" ui \
    "\nclient-initiated=false\nencoding=" encoding "\nattempts=0\n"

START_TEST(values_dmscd_would_not_have_written_are_refused)
{
    static const char store[] = GROUP("0", "srv", "FFFF", "local", "not-specified", "wbxml")
        GROUP("1", "", "1A", "card", "background", "xml")
            GROUP("2", "srv", "1a", "card", "background", "xml")
                GROUP("3", "srv", "12345", "card", "background", "xml")
                    GROUP("4", "srv", "G1", "card", "background", "xml")
                        GROUP("5", "srv", "", "card", "background", "xml")
                            GROUP("6", "srv", "1A", "elsewhere", "background", "xml")
                                GROUP("7", "srv", "1A", "card", "background", "json")
                                    GROUP("8", "srv", "0", "network", "user-interaction", "xml");
    static const char *const refused[] = {
        "[session 1]: server-id \"\"",       "[session 2]: session-id \"1a\"",
        "[session 3]: session-id \"12345\"", "[session 4]: session-id \"G1\"",
        "[session 5]: session-id \"\"",      "[session 6]: origin \"elsewhere\"",
        "[session 7]: encoding \"json\"",
    };
    g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) kept = dmscd_session_store_parse(store, strlen(store), skipped, NULL);

    ck_assert_uint_eq(kept->len, 2);
    ck_assert_str_eq(((DmscdSessionRequest *)g_ptr_array_index(kept, 0))->session_id, "FFFF");
    ck_assert_str_eq(((DmscdSessionRequest *)g_ptr_array_index(kept, 1))->session_id, "0");
    ck_assert_uint_eq(skipped->len, G_N_ELEMENTS(refused));
    for (guint i = 0; i < G_N_ELEMENTS(refused); i++)
        ck_assert_str_eq(g_ptr_array_index(skipped, i), refused[i]);
}
END_TEST

/* Accepted once, a session is not refused at the next start because the queue became
 * shorter meanwhile ([session] queue-size lowered): it would be lost. */
START_TEST(sessions_restored_are_queued_however_short_the_queue_became)
{
    static const char saved[] = GROUP("0", "gone", "1", "card", "background", "xml")
        GROUP("1", "gone", "2", "card", "background", "xml")
            GROUP("2", "gone", "3", "network", "background", "xml");
    g_autofree char *store = g_build_filename(directory, "sessions", NULL);
    DmscdSessionOptions options = session_options;

    ck_assert(g_file_set_contents(store, saved, -1, NULL));
    keep_journal();
    g_clear_pointer(&sessions, dmscd_sessions_free);
    options.store = store;
    options.queue_size = 1;
    sessions = dmscd_sessions_new(&tree, &options, NULL);
    dmscd_sessions_restore(sessions);
    run_until(sessions_idle, "the restored sessions");

    ck_assert_uint_eq(journal_lines_with("queued again"), 3);
    ck_assert_uint_eq(journal_lines_with("refused"), 0);
    /* All three ran (and failed: "gone" has no account). */
    ck_assert_uint_eq(journal_lines_with("not started: no account"), 3);
}
END_TEST

START_TEST(a_session_that_does_not_read_costs_that_session_only)
{
    g_autofree char *store = g_build_filename(directory, "sessions", NULL);
    g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) kept = NULL;
    g_autofree char *aside = NULL;

    ck_assert(g_file_set_contents(store, one_bad_session, -1, NULL));
    kept = dmscd_session_store_load(store, skipped, NULL);
    ck_assert_uint_eq(kept->len, 2);
    ck_assert_str_eq(((DmscdSessionRequest *)g_ptr_array_index(kept, 0))->session_id, "1");
    ck_assert_str_eq(((DmscdSessionRequest *)g_ptr_array_index(kept, 1))->session_id, "3");
    ck_assert_uint_eq(skipped->len, 1);
    ck_assert_str_eq(g_ptr_array_index(skipped, 0), "[session 1]: ui-mode \"loud\"");

    /* Restored: the two that read are queued again (and fail: "gone" has no account), and
     * the file as it was is kept aside before a save replaces it. */
    keep_journal();
    g_clear_pointer(&sessions, dmscd_sessions_free);
    sessions = sessions_with(0, store);
    dmscd_sessions_restore(sessions);
    run_until(sessions_idle, "the restored sessions");

    ck_assert_uint_eq(journal_lines_with("queued again"), 2);
    ck_assert_uint_eq(journal_lines_with("DM session 1 with \"gone\" (card): queued again"), 1);
    ck_assert_uint_eq(journal_lines_with("DM session 3 with \"gone\" (network): queued again"), 1);
    ck_assert_uint_eq(journal_lines_of(DMSCD_MESSAGE_SESSIONS_CORRUPT, ""), 1);
    ck_assert_uint_eq(journal_lines_with("[session 1]: ui-mode \"loud\""), 1);
    aside = moved_aside_contents(store);
    ck_assert_str_eq(aside, one_bad_session);
}
END_TEST

/* --- Writes to the tree while a session runs ------------------------------------------------- */

#define CARD "card:8949000000000000001"

static const char card_bootstrap[] =
    "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>"
    "<SessionID>0</SessionID><MsgID>1</MsgID><Target><LocURI>dev</LocURI></Target>"
    "<Source><LocURI>card</LocURI></Source></SyncHdr><SyncBody>"
    "<Add><CmdID>1</CmdID><Meta><Format xmlns='syncml:metinf'>chr</Format></Meta>"
    "<Item><Target><LocURI>./DMAcc/Card/ServerID</LocURI></Target><Data>card.example</Data>"
    "</Item></Add>"
    "<Add><CmdID>2</CmdID><Meta><Format xmlns='syncml:metinf'>chr</Format></Meta>"
    "<Item><Target><LocURI>./Vendor/Shared</LocURI></Target><Data>from-card</Data>"
    "</Item></Add><Final/></SyncBody></SyncML>";

/* A two-package session with "srv" (MD5 both ways, nonces rotated): ./Vendor/A, then
 * ./Vendor/B and ./Vendor/Shared. Returns once the server has the client's first answer: the
 * session runs and waits for the second package. @origin: who created the session's account
 * (NULL: the device). */
static ScriptServer *start_two_package_session_of(const char *origin)
{
    ScriptServerConfig config = md5_server();
    ScriptServer *server = script_server_new(&config,
                                             "ADD ./Vendor/A chr a\n"
                                             "PACKAGE\n"
                                             "ADD ./Vendor/B chr b\n"
                                             "ADD ./Vendor/Shared chr from-server\n",
                                             NULL);
    guint16 port = script_server_listen(server, "/dm", 0, NULL);
    g_autofree char *address = g_strdup_printf("http://127.0.0.1:%u/dm", port);
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    ck_assert_uint_ne(port, 0);
    keep_journal();
    account(address);
    if (origin != NULL)
        dm_tree_set_origin(tree.tree, "./DMAcc/S", origin);
    ck_assert(dm_tree_save(tree.tree, tree.path, NULL));
    dmscd_sessions_queue(sessions, notification, "card");
    while (script_server_get_records(server)->len == 0) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "the first package was not answered");
        g_main_context_iteration(NULL, TRUE);
    }
    ck_assert(!dmscd_sessions_idle(sessions));
    return server;
}

static ScriptServer *start_two_package_session(void)
{
    return start_two_package_session_of(NULL);
}

static gboolean saved_has_origin(const char *uri, const char *origin)
{
    g_autoptr(DmTree) loaded = dm_tree_load(tree.path, NULL, NULL);
    DmNodeInfo info;

    return loaded != NULL && dm_tree_get(loaded, uri, &info) && g_str_equal(info.origin, origin);
}

static void assert_servers_changes_saved(void)
{
    g_autofree char *a = saved("./Vendor/A");
    g_autofree char *b = saved("./Vendor/B");

    ck_assert_str_eq(a, "a");
    ck_assert_str_eq(b, "b");
}

START_TEST(a_bootstrap_applied_during_a_session_stays_and_wins_its_nodes)
{
    g_autoptr(ScriptServer) server = start_two_package_session();
    g_autoptr(GBytes) data = g_bytes_new_static(card_bootstrap, strlen(card_bootstrap));
    g_autoptr(GError) error = NULL;
    g_autofree char *card_server = NULL;
    g_autofree char *shared = NULL;

    ck_assert_msg(dmscd_tree_apply_bootstrap(&tree, NULL, CARD, data, NULL, &error), "%s",
                  error ? error->message : "");
    run_until_idle();
    ck_assert(script_server_is_finished(server));
    assert_servers_changes_saved();
    card_server = saved("./DMAcc/Card/ServerID");
    ck_assert_str_eq(card_server, "card.example");
    /* Both added ./Vendor and ./Vendor/Shared: the card's stay, the server's other nodes join
     * them, and what the card's kept out is logged as conflicts. */
    shared = saved("./Vendor/Shared");
    ck_assert_str_eq(shared, "from-card");
    ck_assert(saved_has_origin("./Vendor", CARD));
    ck_assert_uint_eq(journal_lines_of(DMSCD_MESSAGE_SESSION_CONFLICT, ""), 2);
    ck_assert_uint_eq(journal_lines_of(DMSCD_MESSAGE_SESSION_CONFLICT, "Add of ./Vendor "), 1);
    ck_assert_uint_eq(journal_lines_of(DMSCD_MESSAGE_SESSION_CONFLICT, "Add of ./Vendor/Shared"),
                      1);
    /* The live tree is the saved one. */
    ck_assert(dm_tree_exists(tree.tree, "./DMAcc/Card/ServerID"));
    ck_assert(dm_tree_exists(tree.tree, "./Vendor/B"));
}
END_TEST

START_TEST(a_card_removed_during_its_servers_session_takes_its_secrets_for_good)
{
    g_autoptr(ScriptServer) server = NULL;
    g_autoptr(GError) error = NULL;
    guint removed = 0;

    /* The session's own account is the card's. */
    server = start_two_package_session_of(CARD);
    ck_assert(dmscd_tree_remove_card(&tree, CARD, &removed, &error));
    ck_assert_uint_gt(removed, 0);
    run_until_idle();
    ck_assert(script_server_is_finished(server));
    assert_servers_changes_saved();
    /* Neither the session's commit nor its new nonces bring any of the account back. */
    ck_assert_ptr_null(saved("./DMAcc/S/AppAuth/C/AAuthSecret"));
    ck_assert_ptr_null(saved("./DMAcc/S/AppAuth/S/AAuthData"));
    ck_assert_ptr_null(saved("./DMAcc/S"));
    ck_assert(!dm_tree_exists(tree.tree, "./DMAcc/S"));
}
END_TEST

START_TEST(a_devid_set_during_a_session_stays)
{
    g_autoptr(ScriptServer) server = start_two_package_session();
    g_autoptr(GError) error = NULL;
    g_autofree char *dev_id = NULL;
    g_autofree char *nonce = NULL;
    gboolean changed = FALSE;

    ck_assert(dmscd_tree_set_dev_id(&tree, "/modem/1", "IMEI:356938035643809", &changed, &error));
    ck_assert(changed);
    run_until_idle();
    ck_assert(script_server_is_finished(server));
    assert_servers_changes_saved();
    dev_id = saved("./DevInfo/DevId");
    ck_assert_str_eq(dev_id, "IMEI:356938035643809");
    /* The nonces the session learnt are saved with its changes. */
    nonce = saved("./DMAcc/S/AppAuth/S/AAuthData");
    ck_assert_str_ne(nonce, "c24=");
    ck_assert_uint_eq(journal_lines_of(DMSCD_MESSAGE_SESSION_CONFLICT, ""), 0);
}
END_TEST

static Suite *session_suite(void)
{
    Suite *suite = suite_create("session");
    TCase *tc = tcase_create("session");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, a_session_that_ends_well_saves_the_servers_changes);
    tcase_add_test(tc, a_server_that_cannot_be_reached_leaves_the_tree_as_it_was);
    tcase_add_test(tc, no_account_or_no_address_starts_nothing);
    tcase_add_test(tc, a_server_out_of_reach_is_tried_again_until_it_answers);
    tcase_add_test(tc, an_authentication_failure_is_not_tried_again);
    tcase_add_test(tc, sessions_asked_for_at_a_stop_are_asked_for_again_at_the_next_start);
    tcase_add_test(tc, a_store_that_is_not_a_key_file_is_kept_aside_and_queues_nothing);
    tcase_add_test(tc, a_session_that_does_not_read_costs_that_session_only);
    tcase_add_test(tc, values_dmscd_would_not_have_written_are_refused);
    tcase_add_test(tc, sessions_restored_are_queued_however_short_the_queue_became);
    tcase_add_test(tc, the_queue_is_bounded_and_what_it_refuses_is_an_error);
    tcase_add_test(tc, a_bootstrap_applied_during_a_session_stays_and_wins_its_nodes);
    tcase_add_test(tc, a_card_removed_during_its_servers_session_takes_its_secrets_for_good);
    tcase_add_test(tc, a_devid_set_during_a_session_stays);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(session_suite());
}
