/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cat.h"

GQuark cat_error_quark(void)
{
    return g_quark_from_static_string("cat-error-quark");
}
