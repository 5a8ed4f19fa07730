/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dmscctl's commands and the helpers they share. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "cat/cat.h"
#include "dm/dm.h"

/* sysexits.h values, spelled out so that the numbers in the docs are visible here. */
enum {
    CTL_EXIT_OK = 0,
    CTL_EXIT_FAILURE = 1,
    CTL_EXIT_USAGE = 64,
    CTL_EXIT_DATAERR = 65,
    CTL_EXIT_UNAVAILABLE = 69,
};

/* Offline codec commands; @argv[0] is the command's own name ("cat", …). */
int ctl_cat(int argc, char **argv);
int ctl_notification(int argc, char **argv);
int ctl_syncml(int argc, char **argv);

/* Prints "dmscctl: MESSAGE" on stderr and returns @status. */
int ctl_fail(int status, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* Reads FILE, or standard input for "-" or NULL. */
gboolean ctl_read_input(const char *path, GBytes **out, GError **error);
/* Prints @node as indented JSON and a newline on standard output. */
void ctl_print_json(JsonNode *node);

/* The JSON of `dmscctl notification decode`; @digest_valid < 0 means "not checked". */
JsonNode *ctl_notification_to_json(const DmNotification *notification, int digest_valid);
