/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dmscd's configuration: /etc/dmscd/dmscd.conf plus the drop-ins of dmscd.conf.d/, applied
 * in lexical order, later keys winning. Every key is described in the table of config.c and
 * in dmscd.conf(5).
 */
#pragma once

#include <glib.h>

#define DMSCD_CONFIG_ERROR (dmscd_config_error_quark())
GQuark dmscd_config_error_quark(void);

typedef enum {
    DMSCD_CONFIG_ERROR_NOT_FOUND, /* an explicitly named file does not exist */
    DMSCD_CONFIG_ERROR_READ,      /* a file or drop-in directory cannot be read */
    DMSCD_CONFIG_ERROR_SYNTAX,    /* not a key file */
    DMSCD_CONFIG_ERROR_VALUE,     /* a known key with a value of the wrong form */
} DmscdConfigError;

typedef enum {
    DMSCD_RESYNC_NONCE_ZERO_BYTES,   /* four 0x00 bytes */
    DMSCD_RESYNC_NONCE_BASE64_ZEROS, /* the text "AAAAAA==" */
    DMSCD_RESYNC_NONCE_TEXT_ZEROS,   /* the text "0x00000000" */
} DmscdResyncNonce;

typedef struct {
    gboolean debug;
    char *state_directory;
    char *modem_device;
    char *modem_proxy_path;
    gboolean card_bootstrap;
    int resync_nonce; /* DmscdResyncNonce */
    int scws_client_wait;
    int scws_client_idle;
    int session_timeout;
    int session_max_msg_size;
    int session_encoding; /* DmEncoding: of sessions that do not ask for one */
    int session_retries;
    int session_queue_size;
    int session_max_duration;
    char *session_ca_file; /* PEM CAs trusted beside the system's, or NULL */
    int session_retry_delay;
    char *dbus_admin_group;

    /* "FILE: [group] key: unknown key" lines for the caller to log. */
    GPtrArray *warnings;
} DmscdConfig;

/* "group/key" of every key dmscd knows, in the order of its table. */
char **dmscd_config_list_keys(void);

/* A configuration holding the documented defaults. */
DmscdConfig *dmscd_config_new(void);
void dmscd_config_free(DmscdConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmscdConfig, dmscd_config_free)

/*
 * Applies one key file held in memory; @name is what messages call it. On error nothing of
 * @data has been applied to @config.
 */
gboolean dmscd_config_apply_data(DmscdConfig *config, const char *name, const char *data,
                                 gsize length, GError **error);

/*
 * Reads @path and then every PATH.d/ *.conf in lexical order. A missing @path is an error
 * only when @must_exist. Returns a new configuration, or NULL and nothing else on error.
 */
DmscdConfig *dmscd_config_load(const char *path, gboolean must_exist, GError **error);

/* The effective configuration as a key file, for `dmscd --check-config`. */
char *dmscd_config_to_data(const DmscdConfig *config);

/*
 * g_key_file_get_string() for dmscd's key files, without GLib 2.74's error set twice on a
 * value with a bad escape and a backslash at its end. NULL with @error (G_KEY_FILE_ERROR) for
 * a missing key or a value that does not read.
 */
char *dmscd_key_file_get_string(GKeyFile *file, const char *group, const char *key, GError **error);
