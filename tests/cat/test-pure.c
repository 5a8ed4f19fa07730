/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cat/ is pure: this program links every object of the library (link_whole) with GLib and
 * json-glib alone, so a socket, a libqmi call or a GTask in cat/ would fail its link; and it
 * checks that no source of cat/ names them.
 */
#include "cat/cat.h"
#include "tests/check-run.h"

START_TEST(the_whole_library_links_without_sockets_or_libqmi)
{
    static const guint8 more_time[] = { 0xd0, 0x09, 0x81, 0x03, 0x01, 0x02,
                                        0x00, 0x82, 0x02, 0x81, 0x82 };
    g_autoptr(CatMessage) message = cat_message_parse(more_time, sizeof(more_time), NULL);
    g_autoptr(GBytes) response = NULL;

    ck_assert_ptr_nonnull(message);
    response = cat_default_response(message);
    ck_assert_ptr_nonnull(response);
}
END_TEST

START_TEST(no_source_of_cat_names_gio_sockets_libqmi_or_gtask)
{
    static const char *const forbidden[] = { "GSocket",    "GTask",     "GCancellable",
                                             "libqmi",     "Qmi",       "qmi_",
                                             "gio-unix",   "GMainLoop", "g_idle_",
                                             "g_timeout_", NULL };
    g_autoptr(GDir) dir = g_dir_open(CAT_SOURCE_DIR, 0, NULL);
    const char *name;
    guint files = 0;

    ck_assert_ptr_nonnull(dir);
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(CAT_SOURCE_DIR, name, NULL);
        g_autofree char *text = NULL;

        if (!g_str_has_suffix(name, ".c") && !g_str_has_suffix(name, ".h"))
            continue;
        ck_assert(g_file_get_contents(path, &text, NULL, NULL));
        for (const char *const *f = forbidden; *f != NULL; f++)
            ck_assert_msg(strstr(text, *f) == NULL, "cat/%s names %s", name, *f);
        files++;
    }
    ck_assert_uint_gt(files, 10);
}
END_TEST

static Suite *pure_suite(void)
{
    Suite *suite = suite_create("pure");
    TCase *tc = tcase_create("pure");

    tcase_add_test(tc, the_whole_library_links_without_sockets_or_libqmi);
    tcase_add_test(tc, no_source_of_cat_names_gio_sockets_libqmi_or_gtask);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(pure_suite());
}
