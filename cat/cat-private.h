/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the files of cat/, not part of its interface. */
#pragma once

#include "cat.h"

#define CAT_LABEL_SIZE 48

/* "device-identities (0x02)" for error messages; writes into @buf and returns it. */
const char *cat_tag_label(guint16 tag, char buf[CAT_LABEL_SIZE]);

/* Swapped-nibble BCD digits (TS 102 223 address, TS 23.040 addresses) to text, F ends it. */
void cat_bcd_to_digits(const guint8 *data, gsize length, char *out, gsize out_size);
/* Digits (0-9 * # a b c) to swapped-nibble BCD, F-padded; FALSE for another character. */
gboolean cat_digits_to_bcd(const char *digits, GByteArray *out);
