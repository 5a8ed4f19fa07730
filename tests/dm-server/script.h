/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scripted DM server's script: one operation a line (script-server.h says which). */
#pragma once

#include "dm/dm.h"

typedef struct {
    GPtrArray *packages; /* GPtrArray of DmCommand * */
} Script;

/* Reads @text into @script's packages; FALSE, with the line, for one it does not know. */
gboolean script_parse(Script *script, const char *text, GError **error);
