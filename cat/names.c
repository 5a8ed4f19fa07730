/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The names of cat-json.md, both ways. */
#include "cat-private.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    guint16 code;
    const char *name;
} Name;

static const Name command_names[] = {
    { 0x01, "refresh" },
    { 0x02, "more-time" },
    { 0x03, "poll-interval" },
    { 0x04, "polling-off" },
    { 0x05, "set-up-event-list" },
    { 0x10, "set-up-call" },
    { 0x11, "send-ss" },
    { 0x12, "send-ussd" },
    { 0x13, "send-short-message" },
    { 0x14, "send-dtmf" },
    { 0x15, "launch-browser" },
    { 0x16, "geographical-location-request" },
    { 0x20, "play-tone" },
    { 0x21, "display-text" },
    { 0x22, "get-inkey" },
    { 0x23, "get-input" },
    { 0x24, "select-item" },
    { 0x25, "set-up-menu" },
    { 0x26, "provide-local-information" },
    { 0x27, "timer-management" },
    { 0x28, "set-up-idle-mode-text" },
    { 0x30, "perform-card-apdu" },
    { 0x31, "power-on-card" },
    { 0x32, "power-off-card" },
    { 0x33, "get-reader-status" },
    { 0x34, "run-at-command" },
    { 0x35, "language-notification" },
    { 0x40, "open-channel" },
    { 0x41, "close-channel" },
    { 0x42, "receive-data" },
    { 0x43, "send-data" },
    { 0x44, "get-channel-status" },
    { 0x45, "service-search" },
    { 0x46, "get-service-information" },
    { 0x47, "declare-service" },
    { 0x50, "set-frames" },
    { 0x51, "get-frames-status" },
    { 0x60, "retrieve-multimedia-message" },
    { 0x61, "submit-multimedia-message" },
    { 0x62, "display-multimedia-message" },
    { 0x70, "activate" },
    { 0x71, "contactless-state-changed" },
    { 0x72, "command-container" },
    { 0x73, "encapsulated-session-control" },
    { 0x81, "end-of-proactive-session" },
};

static const Name envelope_names[] = {
    { 0xd1, "sms-pp-download" },          { 0xd2, "cell-broadcast-download" },
    { 0xd3, "menu-selection" },           { 0xd4, "call-control" },
    { 0xd5, "mo-short-message-control" }, { 0xd6, "event-download" },
    { 0xd7, "timer-expiration" },         { 0xd9, "ussd-download" },
    { 0xda, "mms-transfer-status" },      { 0xdb, "mms-notification-download" },
    { 0xdc, "terminal-applications" },    { 0xdd, "geographical-location-reporting" },
    { 0xde, "envelope-container" },
};

static const Name event_names[] = {
    { 0x00, "mt-call" },
    { 0x01, "call-connected" },
    { 0x02, "call-disconnected" },
    { 0x03, "location-status" },
    { 0x04, "user-activity" },
    { 0x05, "idle-screen-available" },
    { 0x06, "card-reader-status" },
    { 0x07, "language-selection" },
    { 0x08, "browser-termination" },
    { 0x09, "data-available" },
    { 0x0a, "channel-status" },
    { 0x0b, "access-technology-change" },
    { 0x0c, "display-parameters-changed" },
    { 0x0d, "local-connection" },
    { 0x0e, "network-search-mode-change" },
    { 0x0f, "browsing-status" },
    { 0x10, "frames-information-change" },
};

static const Name tag_names[] = {
    { 0x01, "command-details" },
    { 0x02, "device-identities" },
    { 0x03, "result" },
    { 0x04, "duration" },
    { 0x05, "alpha-identifier" },
    { 0x06, "address" },
    { 0x07, "capability-configuration-parameters" },
    { 0x08, "subaddress" },
    { 0x09, "ss-string" },
    { 0x0a, "ussd-string" },
    { 0x0b, "sms-tpdu" },
    { 0x0c, "cell-broadcast-page" },
    { 0x0d, "text-string" },
    { 0x0e, "tone" },
    { 0x0f, "item" },
    { 0x10, "item-identifier" },
    { 0x11, "response-length" },
    { 0x12, "file-list" },
    { 0x13, "location-information" },
    { 0x14, "imei" },
    { 0x15, "help-request" },
    { 0x16, "network-measurement-results" },
    { 0x17, "default-text" },
    { 0x18, "items-next-action-indicator" },
    { 0x19, "event-list" },
    { 0x1a, "cause" },
    { 0x1b, "location-status" },
    { 0x1c, "transaction-identifier" },
    { 0x1d, "bcch-channel-list" },
    { 0x1e, "icon-identifier" },
    { 0x1f, "item-icon-identifier-list" },
    { 0x20, "card-reader-status" },
    { 0x21, "card-atr" },
    { 0x22, "c-apdu" },
    { 0x23, "r-apdu" },
    { 0x24, "timer-identifier" },
    { 0x25, "timer-value" },
    { 0x26, "date-time-and-time-zone" },
    { 0x27, "call-control-requested-action" },
    { 0x28, "at-command" },
    { 0x29, "at-response" },
    { 0x2a, "bc-repeat-indicator" },
    { 0x2b, "immediate-response" },
    { 0x2c, "dtmf-string" },
    { 0x2d, "language" },
    { 0x2e, "timing-advance" },
    { 0x2f, "aid" },
    { 0x30, "browser-identity" },
    { 0x31, "url" },
    { 0x32, "bearer" },
    { 0x33, "provisioning-reference-file" },
    { 0x34, "browser-termination-cause" },
    { 0x35, "bearer-description" },
    { 0x36, "channel-data" },
    { 0x37, "channel-data-length" },
    { 0x38, "channel-status" },
    { 0x39, "buffer-size" },
    { 0x3a, "card-reader-identifier" },
    { 0x3b, "file-update-information" },
    { 0x3c, "uicc-terminal-interface-transport-level" },
    { 0x3e, "other-address" },
    { 0x3f, "access-technology" },
    { 0x40, "display-parameters" },
    { 0x41, "service-record" },
    { 0x42, "device-filter" },
    { 0x43, "service-search" },
    { 0x44, "attribute-information" },
    { 0x45, "service-availability" },
    { 0x47, "network-access-name" },
    { 0x50, "text-attribute" },
    { 0x51, "item-text-attribute-list" },
    { 0x62, "imeisv" },
    { 0x63, "battery-state" },
    { 0x64, "browsing-status" },
    { 0x65, "network-search-mode" },
};

static const Name device_names[] = {
    { 0x01, "keypad" },        { 0x02, "display" },       { 0x03, "earpiece" },
    { 0x10, "card-reader-0" }, { 0x11, "card-reader-1" }, { 0x12, "card-reader-2" },
    { 0x13, "card-reader-3" }, { 0x14, "card-reader-4" }, { 0x15, "card-reader-5" },
    { 0x16, "card-reader-6" }, { 0x17, "card-reader-7" }, { 0x21, "channel-1" },
    { 0x22, "channel-2" },     { 0x23, "channel-3" },     { 0x24, "channel-4" },
    { 0x25, "channel-5" },     { 0x26, "channel-6" },     { 0x27, "channel-7" },
    { 0x81, "uicc" },          { 0x82, "terminal" },      { 0x83, "network" },
};

/* A kind of name: its table, and the generic "PREFIX-XX" form for codes up to @max. */
typedef struct {
    const Name *names;
    gsize n;
    const char *prefix;
    guint min, max;
} NameTable;

#define TABLE(table, prefix, min, max)               \
    {                                                \
        table, G_N_ELEMENTS(table), prefix, min, max \
    }

static const NameTable commands = TABLE(command_names, "command", 0, 0xff);
static const NameTable tags = TABLE(tag_names, "tag", 1, 0x7fff);
static const NameTable envelopes = TABLE(envelope_names, "envelope", 0, 0xff);
static const NameTable events = TABLE(event_names, "event", 0, 0xff);
static const NameTable devices = TABLE(device_names, "device", 0, 0xff);

static const char *name_of(const NameTable *table, guint code)
{
    for (gsize i = 0; i < table->n; i++) {
        if (table->names[i].code == code)
            return table->names[i].name;
    }
    return NULL;
}

/* Accepts a table name or "PREFIX-XX" (lowercase or uppercase hex, from min to max). */
static gboolean code_of(const NameTable *table, const char *name, guint *code)
{
    gsize prefix_length = strlen(table->prefix);
    guint64 value;

    for (gsize i = 0; i < table->n; i++) {
        if (g_str_equal(table->names[i].name, name)) {
            *code = table->names[i].code;
            return TRUE;
        }
    }
    if (strncmp(name, table->prefix, prefix_length) != 0 || name[prefix_length] != '-' ||
        !g_ascii_string_to_unsigned(name + prefix_length + 1, 16, table->min, table->max, &value,
                                    NULL))
        return FALSE;
    *code = (guint)value;
    return TRUE;
}

const char *cat_command_name(guint8 type)
{
    return name_of(&commands, type);
}

const char *cat_tag_name(guint16 tag)
{
    return name_of(&tags, tag);
}

const char *cat_envelope_name(guint8 ber_tag)
{
    return name_of(&envelopes, ber_tag);
}

const char *cat_event_name(guint8 event)
{
    return name_of(&events, event);
}

const char *cat_device_name(guint8 device)
{
    return name_of(&devices, device);
}

/* The 8-bit kinds share one reverse look-up. */
static gboolean byte_of(const NameTable *table, const char *name, guint8 *out)
{
    guint code;

    if (!code_of(table, name, &code))
        return FALSE;
    *out = (guint8)code;
    return TRUE;
}

gboolean cat_command_from_name(const char *name, guint8 *type)
{
    return byte_of(&commands, name, type);
}

gboolean cat_envelope_from_name(const char *name, guint8 *ber_tag)
{
    return byte_of(&envelopes, name, ber_tag);
}

gboolean cat_event_from_name(const char *name, guint8 *event)
{
    return byte_of(&events, name, event);
}

gboolean cat_device_from_name(const char *name, guint8 *device)
{
    return byte_of(&devices, name, device);
}

gboolean cat_tag_from_name(const char *name, guint16 *tag)
{
    guint code;

    if (!code_of(&tags, name, &code))
        return FALSE;
    *tag = (guint16)code;
    return TRUE;
}

const char *cat_tag_label(guint16 tag, char buf[CAT_LABEL_SIZE])
{
    const char *name = cat_tag_name(tag);

    if (name != NULL)
        snprintf(buf, CAT_LABEL_SIZE, "%s (0x%02x)", name, tag);
    else
        snprintf(buf, CAT_LABEL_SIZE, "tag 0x%02x", tag);
    return buf;
}

char *cat_hex_encode(const guint8 *data, gsize length)
{
    static const char digits[] = "0123456789abcdef";
    char *out = g_malloc(length * 2 + 1);

    for (gsize i = 0; i < length; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0xf];
    }
    out[length * 2] = '\0';
    return out;
}

gboolean cat_hex_decode(const char *hex, GByteArray *out)
{
    guint start = out->len;
    int high = -1;

    for (const char *p = hex; *p != '\0'; p++) {
        int digit = g_ascii_xdigit_value(*p);
        guint8 byte;

        if (high < 0 && g_ascii_isspace(*p))
            continue;
        if (digit < 0) {
            high = -2; /* not hex, or a space inside a byte */
            break;
        }
        if (high < 0) {
            high = digit;
            continue;
        }
        byte = (guint8)(high << 4 | digit);
        g_byte_array_append(out, &byte, 1);
        high = -1;
    }
    if (high != -1) {
        g_byte_array_set_size(out, start);
        return FALSE;
    }
    return TRUE;
}

static const char bcd_digits[] = "0123456789*#abc";

void cat_bcd_to_digits(const guint8 *data, gsize length, char *out, gsize out_size)
{
    gsize n = 0;

    for (gsize i = 0; i < length; i++) {
        guint8 nibbles[2] = { data[i] & 0x0f, data[i] >> 4 };
        for (int k = 0; k < 2; k++) {
            if (nibbles[k] == 0x0f || n + 1 >= out_size)
                goto done;
            out[n++] = bcd_digits[nibbles[k]];
        }
    }
done:
    out[n] = '\0';
}

gboolean cat_digits_to_bcd(const char *digits, GByteArray *out)
{
    gsize length = strlen(digits);

    for (gsize i = 0; i < length; i += 2) {
        const char *low = strchr(bcd_digits, g_ascii_tolower(digits[i]));
        const char *high =
            i + 1 < length ? strchr(bcd_digits, g_ascii_tolower(digits[i + 1])) : NULL;
        guint8 byte;

        if (digits[i] == '\0' || low == NULL || (i + 1 < length && high == NULL))
            return FALSE;
        byte = (guint8)((low - bcd_digits) | ((high ? high - bcd_digits : 0x0f) << 4));
        g_byte_array_append(out, &byte, 1);
    }
    return TRUE;
}

char *cat_iccid_from_bcd(const guint8 *data, gsize length)
{
    char digits[2 * 20 + 1];

    cat_bcd_to_digits(data, MIN(length, (gsize)20), digits, sizeof(digits));
    return g_strdup(digits);
}
