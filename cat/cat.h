/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cat/: Card Application Toolkit (ETSI TS 102 223) for dmscd: the proactive command,
 * terminal response and envelope codec, the BIP engine and the modem transport.
 */
#pragma once

#include <glib.h>

#define CAT_ERROR (cat_error_quark())
GQuark cat_error_quark(void);

typedef enum {
    CAT_ERROR_MALFORMED, /* bytes that do not follow the encoding rules */
    CAT_ERROR_TRUNCATED, /* a length that runs past the end of the data */
    CAT_ERROR_MISSING,   /* a mandatory object is absent */
    CAT_ERROR_UNSUPPORTED,
} CatError;
