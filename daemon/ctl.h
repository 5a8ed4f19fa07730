/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dmscctl's commands and the helpers they share. */
#pragma once

#include <gio/gio.h>
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
    CTL_EXIT_NOINPUT = 66,
    CTL_EXIT_UNAVAILABLE = 69,
    CTL_EXIT_NOPERM = 77,
};

/* What every command may be given, before or after its name. */
typedef struct {
    gboolean system_bus;
    gboolean session_bus;
    gboolean json;
} CtlOptions;

/*
 * Parses a command's options (@entries, and --system, --session and, with @json, --json);
 * leaves the command's words in @argc/@argv (argv[0] the command). Returns -1 to go on, or
 * the exit status: a usage error when the words are fewer than @min or more than @max.
 */
int ctl_parse(CtlOptions *options, int *argc, char ***argv, const char *parameters,
              const char *summary, const GOptionEntry *entries, gboolean json, int min, int max);

/* Commands over the bus; @argv[0] is the command's own name. */
int ctl_status(CtlOptions *options, int argc, char **argv);
int ctl_cards(CtlOptions *options, int argc, char **argv);
int ctl_card(CtlOptions *options, int argc, char **argv);
int ctl_sessions(CtlOptions *options, int argc, char **argv);
int ctl_session(CtlOptions *options, int argc, char **argv);
int ctl_trigger(CtlOptions *options, int argc, char **argv);
int ctl_tree(CtlOptions *options, int argc, char **argv);
int ctl_monitor(CtlOptions *options, int argc, char **argv);
int ctl_agent(CtlOptions *options, int argc, char **argv);

/* --- The bus (ctl-bus.c) -----------------------------------------------------------------------
 */

typedef struct CtlBus CtlBus;

/* Connects to the system bus or, with @session_bus, the session bus: an exit status. */
int ctl_bus_open(gboolean session_bus, CtlBus **out);
void ctl_bus_free(CtlBus *bus);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CtlBus, ctl_bus_free)
GDBusConnection *ctl_bus_peek_connection(CtlBus *bus);

/* Prints "dmscctl: WHAT: MESSAGE" for a failed call; the exit status its D-Bus error means. */
int ctl_bus_fail(CtlBus *bus, const char *what, const GError *error);
/* A method of dmscd's: an exit status; on success @reply (if not NULL) is the reply. */
int ctl_bus_call(CtlBus *bus, const char *path, const char *interface, const char *method,
                 GVariant *parameters, const GVariantType *reply_type, GVariant **reply);
/* GetManagedObjects: a{oa{sa{sv}}}. */
int ctl_bus_get_objects(CtlBus *bus, GVariant **objects);
/* Properties.GetAll of @path's @interface: a{sv}. */
int ctl_bus_get_properties(CtlBus *bus, const char *path, const char *interface,
                           GVariant **properties);

typedef struct {
    char *path;
    GVariant *properties; /* a{sv} */
} CtlObject;

/* The objects in @objects that have @interface (CtlObject), by their numbers. */
GArray *ctl_objects_with(GVariant *objects, const char *interface);
guint ctl_object_number(const char *path);
/* "N" or an object path under @prefix: the object path, or a usage error. */
int ctl_resolve(const char *prefix, const char *what, const char *argument, char **path);

const char *ctl_prop_string(GVariant *properties, const char *name);
guint64 ctl_prop_uint64(GVariant *properties, const char *name);
guint32 ctl_prop_uint32(GVariant *properties, const char *name);
/* ScwsPorts as "3516,3517". */
char *ctl_format_ports(GVariant *properties);

/* --- Output (ctl-output.c) ---------------------------------------------------------------------
 */

typedef struct CtlTable CtlTable;

/* A table with these column headers (NULL-terminated; ">NAME" aligns the column right). */
CtlTable *ctl_table_new(const char *const *headers);
void ctl_table_free(CtlTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CtlTable, ctl_table_free)
/* One row of as many cells as headers; empty or NULL cells print as "-". */
void ctl_table_add(CtlTable *table, const char *const *cells);
guint ctl_table_rows(const CtlTable *table);
void ctl_table_print(const CtlTable *table);

/* "          Name: value", the names aligned on the colon. */
void ctl_print_field(const char *name, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* Local time, or "-" for 0 (µs since the epoch). */
char *ctl_format_time(guint64 usec);
char *ctl_format_duration(guint64 start, guint64 end);

void ctl_json_add_time(JsonBuilder *builder, const char *name, guint64 usec);
void ctl_json_add_string(JsonBuilder *builder, const char *name, const char *value);
void ctl_json_add_int(JsonBuilder *builder, const char *name, gint64 value);
/* @node as one line of JSON, flushed (for monitor). */
void ctl_print_json_line(JsonNode *node);

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
