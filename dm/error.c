/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dm.h"

GQuark dm_error_quark(void)
{
    return g_quark_from_static_string("dm-error-quark");
}
