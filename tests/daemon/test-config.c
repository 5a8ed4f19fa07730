/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"
#include "dmscd-build.h"
#include "tests/check-run.h"

#include <glib/gstdio.h>
#include <string.h>

static char *tmpdir;

static void setup(void)
{
    tmpdir = g_dir_make_tmp("dmscd-config-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
}

static void remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        if (g_file_test(child, G_FILE_TEST_IS_DIR))
            remove_tree(child);
        else
            g_unlink(child);
    }
    g_rmdir(path);
}

static void teardown(void)
{
    remove_tree(tmpdir);
    g_clear_pointer(&tmpdir, g_free);
}

/* Writes @text to @name under the temporary directory; returns the full path. */
static char *write_file(const char *name, const char *text)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    g_autofree char *dir = g_path_get_dirname(path);

    ck_assert_int_eq(g_mkdir_with_parents(dir, 0700), 0);
    ck_assert(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static DmscdConfig *load_expecting_error(const char *text, int code, GError **error)
{
    g_autofree char *path = write_file("dmscd.conf", text);
    DmscdConfig *config = dmscd_config_load(path, TRUE, error);

    ck_assert_ptr_null(config);
    ck_assert(g_error_matches(*error, DMSCD_CONFIG_ERROR, code));
    ck_assert_ptr_nonnull(strstr((*error)->message, path));
    return config;
}

START_TEST(missing_default_file_gives_documented_defaults)
{
    g_autofree char *path = g_build_filename(tmpdir, "absent.conf", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(DmscdConfig) config = dmscd_config_load(path, FALSE, &error);

    ck_assert_ptr_nonnull(config);
    ck_assert(!config->debug);
    ck_assert(config->card_bootstrap);
    ck_assert_int_eq(config->session_timeout, 300);
    ck_assert_int_eq(config->session_max_msg_size, 16384);
    ck_assert_int_eq(config->resync_nonce, DMSCD_RESYNC_NONCE_ZERO_BYTES);
    ck_assert_ptr_null(config->modem_device);
    ck_assert_ptr_null(config->modem_proxy_path);
    ck_assert(g_path_is_absolute(config->state_directory));
    ck_assert_uint_eq(config->warnings->len, 0);
}
END_TEST

START_TEST(missing_explicit_file_is_not_found)
{
    g_autofree char *path = g_build_filename(tmpdir, "absent.conf", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(DmscdConfig) config = dmscd_config_load(path, TRUE, &error);

    ck_assert_ptr_null(config);
    ck_assert(g_error_matches(error, DMSCD_CONFIG_ERROR, DMSCD_CONFIG_ERROR_NOT_FOUND));
    ck_assert_ptr_nonnull(strstr(error->message, path));
}
END_TEST

START_TEST(valid_file_sets_every_key)
{
    g_autofree char *path = write_file("dmscd.conf", "# comment\n"
                                                     "[daemon]\n"
                                                     "debug=true\n"
                                                     "state-directory=/srv/dmscd\n"
                                                     "[modem]\n"
                                                     "device=/dev/cdc-wdm1\n"
                                                     "proxy-path=dmsc-sim-1\n"
                                                     "[card]\n"
                                                     "bootstrap=false\n"
                                                     "[notification]\n"
                                                     "resync-nonce=text-zeros\n"
                                                     "[session]\n"
                                                     "timeout= 60 \n"
                                                     "max-msg-size=1048576\n"
                                                     "[dbus]\n"
                                                     "admin-group=netdev\n");
    g_autoptr(GError) error = NULL;
    g_autoptr(DmscdConfig) config = dmscd_config_load(path, TRUE, &error);

    ck_assert_ptr_nonnull(config);
    ck_assert(config->debug);
    ck_assert_str_eq(config->state_directory, "/srv/dmscd");
    ck_assert_str_eq(config->modem_device, "/dev/cdc-wdm1");
    ck_assert_str_eq(config->modem_proxy_path, "dmsc-sim-1");
    ck_assert(!config->card_bootstrap);
    ck_assert_int_eq(config->resync_nonce, DMSCD_RESYNC_NONCE_TEXT_ZEROS);
    ck_assert_int_eq(config->session_timeout, 60);
    ck_assert_int_eq(config->session_max_msg_size, 1048576);
    ck_assert_str_eq(config->dbus_admin_group, "netdev");
    ck_assert_uint_eq(config->warnings->len, 0);
}
END_TEST

START_TEST(wrong_type_names_file_group_key_and_form)
{
    g_autoptr(GError) error = NULL;

    load_expecting_error("[card]\nbootstrap=maybe\n", DMSCD_CONFIG_ERROR_VALUE, &error);
    ck_assert_ptr_nonnull(strstr(error->message, "[card] bootstrap"));
    ck_assert_ptr_nonnull(strstr(error->message, "\"maybe\""));
    ck_assert_ptr_nonnull(strstr(error->message, "expected true or false"));
}
END_TEST

START_TEST(integer_out_of_range_is_rejected_with_range)
{
    g_autoptr(GError) error = NULL;

    load_expecting_error("[session]\ntimeout=5\n", DMSCD_CONFIG_ERROR_VALUE, &error);
    ck_assert_ptr_nonnull(strstr(error->message, "[session] timeout"));
    ck_assert_ptr_nonnull(strstr(error->message, "an integer from 10 to 3600"));
}
END_TEST

START_TEST(integer_with_trailing_text_is_rejected)
{
    g_autoptr(GError) error = NULL;

    load_expecting_error("[session]\nmax-msg-size=4096k\n", DMSCD_CONFIG_ERROR_VALUE, &error);
    ck_assert_ptr_nonnull(strstr(error->message, "[session] max-msg-size"));
}
END_TEST

START_TEST(relative_path_is_rejected)
{
    g_autoptr(GError) error = NULL;

    load_expecting_error("[daemon]\nstate-directory=var/lib\n", DMSCD_CONFIG_ERROR_VALUE, &error);
    ck_assert_ptr_nonnull(strstr(error->message, "an absolute path"));
}
END_TEST

START_TEST(empty_path_or_name_is_its_default_again)
{
    g_autoptr(DmscdConfig) config = dmscd_config_new();
    g_autoptr(GError) error = NULL;
    const char *set = "[modem]\ndevice=/dev/cdc-wdm2\nproxy-path=x\n"
                      "[daemon]\nstate-directory=/srv/dmscd\n";
    const char *unset = "[modem]\ndevice=\nproxy-path=\n[daemon]\nstate-directory=\n";

    ck_assert(dmscd_config_apply_data(config, "test", set, strlen(set), &error));
    ck_assert_str_eq(config->modem_device, "/dev/cdc-wdm2");
    /* A later drop-in undoes it, as the commented default configuration shows. */
    ck_assert(dmscd_config_apply_data(config, "drop-in", unset, strlen(unset), &error));
    ck_assert_ptr_null(config->modem_device);
    ck_assert_ptr_null(config->modem_proxy_path);
    ck_assert_str_eq(config->state_directory, DMSCD_DEFAULT_STATE_DIRECTORY);
}
END_TEST

START_TEST(overlong_socket_name_is_rejected)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *name = g_strnfill(108, 'x');
    g_autofree char *text = g_strdup_printf("[modem]\nproxy-path=%s\n", name);

    load_expecting_error(text, DMSCD_CONFIG_ERROR_VALUE, &error);
    ck_assert_ptr_nonnull(strstr(error->message, "at most 107 bytes"));
}
END_TEST

START_TEST(unknown_enum_word_lists_choices)
{
    g_autoptr(GError) error = NULL;

    load_expecting_error("[notification]\nresync-nonce=zeros\n", DMSCD_CONFIG_ERROR_VALUE, &error);
    ck_assert_ptr_nonnull(strstr(error->message, "one of: zero-bytes, base64-zeros, text-zeros"));
}
END_TEST

START_TEST(invalid_escape_is_a_value_error)
{
    g_autoptr(GError) error = NULL;

    load_expecting_error("[dbus]\nadmin-group=a\\qb\n", DMSCD_CONFIG_ERROR_VALUE, &error);
    ck_assert_ptr_nonnull(strstr(error->message, "[dbus] admin-group"));
}
END_TEST

START_TEST(bad_escapes_and_text_not_utf8_are_value_errors_without_glib_warnings)
{
    /* Two bad escapes in one value made GLib's own reader set its error twice (a warning). */
    const char *values[] = { "a\\q\\", "a\\", "\\x\\y", "a\xff" };

    g_log_set_fatal_mask("GLib", G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
    for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *text = g_strdup_printf("[dbus]\nadmin-group=%s\n", values[i]);

        load_expecting_error(text, DMSCD_CONFIG_ERROR_VALUE, &error);
        ck_assert_ptr_nonnull(strstr(error->message, "[dbus] admin-group"));
    }
}
END_TEST

START_TEST(escapes_are_undone_as_glib_does)
{
    g_autofree char *path = write_file("dmscd.conf", "[dbus]\nadmin-group=\\sa\\\\b\\s\n");
    g_autoptr(GError) error = NULL;
    g_autoptr(DmscdConfig) config = dmscd_config_load(path, TRUE, &error);

    /* Leading and trailing blanks go, as they always did; the escaped backslash stays. */
    ck_assert_msg(config != NULL, "%s", error ? error->message : "");
    ck_assert_str_eq(config->dbus_admin_group, "a\\b");
}
END_TEST

START_TEST(syntax_error_names_the_file)
{
    g_autoptr(GError) error = NULL;

    load_expecting_error("[daemon\ndebug=true\n", DMSCD_CONFIG_ERROR_SYNTAX, &error);
}
END_TEST

START_TEST(unknown_group_and_key_warn_with_file_and_name)
{
    g_autofree char *path = write_file("dmscd.conf", "[daemon]\ndebgu=true\n[colour]\nx=1\n");
    g_autoptr(GError) error = NULL;
    g_autoptr(DmscdConfig) config = dmscd_config_load(path, TRUE, &error);
    const char *first, *second;

    ck_assert_ptr_nonnull(config);
    ck_assert_uint_eq(config->warnings->len, 2);
    first = g_ptr_array_index(config->warnings, 0);
    second = g_ptr_array_index(config->warnings, 1);
    ck_assert_ptr_nonnull(strstr(first, path));
    ck_assert_ptr_nonnull(strstr(first, "[daemon] debgu: unknown key"));
    ck_assert_ptr_nonnull(strstr(second, "[colour]: unknown group"));
}
END_TEST

START_TEST(drop_ins_apply_in_lexical_order_later_keys_win)
{
    g_autofree char *path = write_file("dmscd.conf", "[session]\ntimeout=20\nmax-msg-size=2048\n");
    g_autofree char *b = write_file("dmscd.conf.d/20-b.conf", "[session]\ntimeout=40\n");
    g_autofree char *a = write_file("dmscd.conf.d/10-a.conf", "[session]\ntimeout=30\n"
                                                              "[card]\nbootstrap=false\n");
    g_autofree char *ignored = write_file("dmscd.conf.d/99-z.conf.bak", "[session]\ntimeout=9\n");
    g_autoptr(GError) error = NULL;
    g_autoptr(DmscdConfig) config = dmscd_config_load(path, TRUE, &error);

    ck_assert_ptr_nonnull(config);
    ck_assert_int_eq(config->session_timeout, 40);
    ck_assert_int_eq(config->session_max_msg_size, 2048);
    ck_assert(!config->card_bootstrap);
}
END_TEST

START_TEST(drop_ins_apply_without_main_file)
{
    g_autofree char *path = g_build_filename(tmpdir, "dmscd.conf", NULL);
    g_autofree char *a = write_file("dmscd.conf.d/a.conf", "[session]\ntimeout=30\n");
    g_autoptr(GError) error = NULL;
    g_autoptr(DmscdConfig) config = dmscd_config_load(path, FALSE, &error);

    ck_assert_ptr_nonnull(config);
    ck_assert_int_eq(config->session_timeout, 30);
}
END_TEST

START_TEST(bad_drop_in_is_named_in_the_error)
{
    g_autofree char *path = write_file("dmscd.conf", "[session]\ntimeout=20\n");
    g_autofree char *bad = write_file("dmscd.conf.d/50-bad.conf", "[session]\ntimeout=x\n");
    g_autoptr(GError) error = NULL;
    g_autoptr(DmscdConfig) config = dmscd_config_load(path, TRUE, &error);

    ck_assert_ptr_null(config);
    ck_assert(g_error_matches(error, DMSCD_CONFIG_ERROR, DMSCD_CONFIG_ERROR_VALUE));
    ck_assert_ptr_nonnull(strstr(error->message, bad));
}
END_TEST

START_TEST(bad_value_leaves_configuration_unchanged)
{
    g_autoptr(DmscdConfig) config = dmscd_config_new();
    g_autoptr(GError) error = NULL;
    const char *text =
        "[session]\ntimeout=60\n[dbus]\nadmin-group=wheel\n[card]\nbootstrap=maybe\n";

    ck_assert(!dmscd_config_apply_data(config, "test", text, strlen(text), &error));
    ck_assert_int_eq(config->session_timeout, 300);
    ck_assert(config->card_bootstrap);
    ck_assert_ptr_null(config->dbus_admin_group);
}
END_TEST

START_TEST(effective_configuration_reads_back_the_same)
{
    g_autoptr(DmscdConfig) config = dmscd_config_new();
    g_autoptr(DmscdConfig) copy = dmscd_config_new();
    g_autoptr(GError) error = NULL;
    const char *text = "[session]\ntimeout=61\n[modem]\ndevice=/dev/cdc-wdm2\n"
                       "[notification]\nresync-nonce=base64-zeros\n";
    g_autofree char *data = NULL;

    ck_assert(dmscd_config_apply_data(config, "test", text, strlen(text), &error));
    data = dmscd_config_to_data(config);
    ck_assert(dmscd_config_apply_data(copy, "dump", data, strlen(data), &error));
    ck_assert_int_eq(copy->session_timeout, 61);
    ck_assert_str_eq(copy->modem_device, "/dev/cdc-wdm2");
    ck_assert_int_eq(copy->resync_nonce, DMSCD_RESYNC_NONCE_BASE64_ZEROS);
    ck_assert_uint_eq(copy->warnings->len, 0);
}
END_TEST

/* The part of the manual page from ".SS [group]" to the next heading. */
static char *man_section(const char *page, const char *group)
{
    g_autofree char *heading = g_strdup_printf(".SS [%s]\n", group);
    const char *start = strstr(page, heading), *end;

    if (start == NULL)
        return NULL;
    start += strlen(heading);
    end = strstr(start, "\n.S");
    return g_strndup(start, end ? (gsize)(end - start) : strlen(start));
}

START_TEST(every_key_is_documented_in_dmscd_conf_5)
{
    g_autofree char *page = NULL;
    g_auto(GStrv) keys = dmscd_config_list_keys();

    ck_assert(g_file_get_contents(DMSCD_CONF_MAN, &page, NULL, NULL));
    for (char **k = keys; *k != NULL; k++) {
        g_auto(GStrv) parts = g_strsplit(*k, "/", 2);
        g_autofree char *section = man_section(page, parts[0]);
        g_auto(GStrv) words = g_strsplit(parts[1], "-", -1);
        g_autofree char *escaped = g_strjoinv("\\-", words);
        g_autofree char *entry = g_strconcat(escaped, "=", NULL);

        ck_assert_msg(section != NULL, "dmscd.conf(5) has no [%s]", parts[0]);
        ck_assert_msg(strstr(section, entry) != NULL, "dmscd.conf(5) [%s] lacks %s", parts[0],
                      entry);
    }
}
END_TEST

static Suite *config_suite(void)
{
    Suite *suite = suite_create("config");
    TCase *tc = tcase_create("load");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, missing_default_file_gives_documented_defaults);
    tcase_add_test(tc, missing_explicit_file_is_not_found);
    tcase_add_test(tc, valid_file_sets_every_key);
    tcase_add_test(tc, wrong_type_names_file_group_key_and_form);
    tcase_add_test(tc, integer_out_of_range_is_rejected_with_range);
    tcase_add_test(tc, integer_with_trailing_text_is_rejected);
    tcase_add_test(tc, relative_path_is_rejected);
    tcase_add_test(tc, empty_path_or_name_is_its_default_again);
    tcase_add_test(tc, overlong_socket_name_is_rejected);
    tcase_add_test(tc, unknown_enum_word_lists_choices);
    tcase_add_test(tc, invalid_escape_is_a_value_error);
    tcase_add_test(tc, bad_escapes_and_text_not_utf8_are_value_errors_without_glib_warnings);
    tcase_add_test(tc, escapes_are_undone_as_glib_does);
    tcase_add_test(tc, syntax_error_names_the_file);
    tcase_add_test(tc, unknown_group_and_key_warn_with_file_and_name);
    tcase_add_test(tc, drop_ins_apply_in_lexical_order_later_keys_win);
    tcase_add_test(tc, drop_ins_apply_without_main_file);
    tcase_add_test(tc, bad_drop_in_is_named_in_the_error);
    tcase_add_test(tc, bad_value_leaves_configuration_unchanged);
    tcase_add_test(tc, effective_configuration_reads_back_the_same);
    tcase_add_test(tc, every_key_is_documented_in_dmscd_conf_5);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(config_suite());
}
