/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dm/: the OMA DM 1.2 client of dmscd: package #0, SyncML DM (XML and WBXML), the session
 * engine, authentication and the DM tree.
 */
#pragma once

#include <glib.h>

#define DM_ERROR (dm_error_quark())
GQuark dm_error_quark(void);

typedef enum {
    DM_ERROR_MALFORMED, /* a message or notification that does not follow its encoding */
    DM_ERROR_TRUNCATED, /* a length that runs past the end of the data */
    DM_ERROR_AUTH,      /* a digest or credential that does not verify */
    DM_ERROR_UNSUPPORTED,
} DmError;
