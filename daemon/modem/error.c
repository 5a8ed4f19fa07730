/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "modem.h"

GQuark modem_error_quark(void)
{
    return g_quark_from_static_string("modem-error-quark");
}
