/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PKCS#15 path to the DM bootstrap file: EF.DIR, EF.ODF, EF.DODF (ISO 7816-15); the
 * modem's identifiers read with it (IMEI). */
#include "cat/cat.h"
#include "tests/check-run.h"
#include "tests/test-util.h"

static const guint8 pkcs15_aid[] = { 0xa0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                     0x4b, 0x43, 0x53, 0x2d, 0x31, 0x35 };

#define DIR_RECORD "611c4f0ca000000063504b43532d31355006504b4353313551043f007f50ffffffff"
#define ODF        "a006300404025201a706300404025207ffffff"
#define DODF                                                     \
    "a11b30070c056c6162656c3000a10e300c0604672b0702300404025300" \
    "a11f30070c056c6162656c3000a11230100604672b0701300804063f007f505301ffff"

START_TEST(ef_dir_gives_the_pkcs15_application_path)
{
    g_autoptr(GByteArray) record = hex(DIR_RECORD);
    CatPath path;

    ck_assert(cat_pkcs15_dir_record(record->data, record->len, pkcs15_aid, sizeof(pkcs15_aid),
                                    &path, NULL));
    ck_assert_uint_eq(path.length, 4);
    ck_assert_mem_eq(path.bytes, "\x3f\x00\x7f\x50", 4);
}
END_TEST

START_TEST(ef_dir_of_another_application_is_missing)
{
    g_autoptr(GByteArray) record = hex(DIR_RECORD);
    static const guint8 usim[] = { 0xa0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02 };
    g_autoptr(GError) error = NULL;
    CatPath path;

    ck_assert(!cat_pkcs15_dir_record(record->data, record->len, usim, sizeof(usim), &path, &error));
    ck_assert(g_error_matches(error, CAT_ERROR, CAT_ERROR_MISSING));
}
END_TEST

START_TEST(odf_gives_the_dodf_path)
{
    g_autoptr(GByteArray) odf = hex(ODF);
    CatPath path;

    ck_assert(cat_pkcs15_odf_dodf(odf->data, odf->len, &path, NULL));
    ck_assert_uint_eq(path.length, 2);
    ck_assert_mem_eq(path.bytes, "\x52\x07", 2);
}
END_TEST

START_TEST(dodf_gives_the_bootstrap_path_of_its_oid)
{
    g_autoptr(GByteArray) dodf = hex(DODF);
    g_autoptr(GError) error = NULL;
    CatPath path;

    ck_assert(cat_pkcs15_dodf_oid(dodf->data, dodf->len, CAT_OID_DM_BOOTSTRAP, &path, NULL));
    ck_assert_uint_eq(path.length, 6);
    ck_assert_mem_eq(path.bytes, "\x3f\x00\x7f\x50\x53\x01", 6);
    ck_assert(!cat_pkcs15_dodf_oid(dodf->data, dodf->len, "2.23.43.7.9", &path, &error));
    ck_assert(g_error_matches(error, CAT_ERROR, CAT_ERROR_MISSING));
}
END_TEST

START_TEST(truncated_structures_are_errors_without_overread)
{
    g_autoptr(GByteArray) dodf = hex(DODF);
    g_autoptr(GByteArray) record = hex(DIR_RECORD);

    for (guint n = 0; n < dodf->len; n++) {
        g_autofree guint8 *copy = g_memdup2(dodf->data, n);
        CatPath path;
        GError *error = NULL;
        if (!cat_pkcs15_dodf_oid(copy, n, CAT_OID_DM_BOOTSTRAP, &path, &error))
            ck_assert_ptr_nonnull(error);
        g_clear_error(&error);
    }
    for (guint n = 0; n < record->len - 4; n++) {
        g_autofree guint8 *copy = g_memdup2(record->data, n);
        CatPath path;
        GError *error = NULL;
        ck_assert(!cat_pkcs15_dir_record(copy, n, pkcs15_aid, sizeof(pkcs15_aid), &path, &error));
        ck_assert_ptr_nonnull(error);
        g_clear_error(&error);
    }
}
END_TEST

START_TEST(odd_or_overlong_paths_are_malformed)
{
    g_autoptr(GByteArray) odd = hex("a7073005040352070000");
    g_autoptr(GError) error = NULL;
    CatPath path;

    ck_assert(!cat_pkcs15_odf_dodf(odd->data, odd->len, &path, &error));
    ck_assert(g_error_matches(error, CAT_ERROR, CAT_ERROR_MALFORMED));
}
END_TEST

static Suite *pkcs15_suite(void)
{
    Suite *suite = suite_create("pkcs15");
    TCase *tc = tcase_create("pkcs15");

    tcase_add_test(tc, ef_dir_gives_the_pkcs15_application_path);
    tcase_add_test(tc, ef_dir_of_another_application_is_missing);
    tcase_add_test(tc, odf_gives_the_dodf_path);
    tcase_add_test(tc, dodf_gives_the_bootstrap_path_of_its_oid);
    tcase_add_test(tc, truncated_structures_are_errors_without_overread);
    tcase_add_test(tc, odd_or_overlong_paths_are_malformed);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return check_run(pkcs15_suite());
}
