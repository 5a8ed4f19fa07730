/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs a Check suite. Under meson (CK_TAP_LOG_FILE_NAME=-) TAP is the only thing on stdout;
 * run by hand, the usual Check report is printed instead.
 */
#pragma once

#include <check.h>
#include <stdlib.h>
#include <string.h>

static inline int check_run(Suite *suite)
{
    const char *tap = getenv("CK_TAP_LOG_FILE_NAME");
    SRunner *runner = srunner_create(suite);
    int failed;

    srunner_run_all(runner, tap != NULL && strcmp(tap, "-") == 0 ? CK_SILENT : CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
