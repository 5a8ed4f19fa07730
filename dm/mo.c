/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The standard management objects: ./DevInfo, ./DevDetail and ./DMAcc (OMA-TS-DM_StdObj). */
#include "dm-private.h"

#include <string.h>

/* A device-owned leaf: servers may read it, nobody may change or delete it. */
static void leaf(DmTree *tree, const char *uri, const char *format, const char *value)
{
    DmNode *node = dm_tree_ensure(tree, uri, format);

    g_free(node->format);
    node->format = g_strdup(format);
    g_free(node->type);
    node->type = g_strdup("text/plain");
    node->access = DM_ACCESS_GET;
    dm_node_set_value(node, (const guint8 *)value, strlen(value));
}

static void interior(DmTree *tree, const char *uri, const char *acl, guint access)
{
    DmNode *node = dm_tree_ensure(tree, uri, "node");

    g_free(node->acl);
    node->acl = g_strdup(acl);
    node->access = access;
}

static const char *or_unknown(const char *value)
{
    return value != NULL && value[0] != '\0' ? value : "unknown";
}

gboolean dm_tree_set_dev_id(DmTree *tree, const char *dev_id)
{
    DmNodeInfo now;

    if (dm_tree_get(tree, "./DevInfo/DevId", &now) && now.value_length == strlen(dev_id) &&
        memcmp(now.value, dev_id, now.value_length) == 0)
        return FALSE;
    leaf(tree, "./DevInfo/DevId", "chr", dev_id);
    return TRUE;
}

char *dm_tree_dup_dev_id(const DmTree *tree)
{
    DmNodeInfo now;

    if (!dm_tree_get(tree, "./DevInfo/DevId", &now) || now.value_length == 0)
        return NULL;
    return g_strndup((const char *)now.value, now.value_length);
}

void dm_tree_add_standard_objects(DmTree *tree, const DmDeviceInfo *info)
{
    char number[16];

    interior(tree, "./DevInfo", "Get=*", DM_ACCESS_GET);
    leaf(tree, "./DevInfo/DevId", "chr", or_unknown(info->dev_id));
    leaf(tree, "./DevInfo/Man", "chr", or_unknown(info->manufacturer));
    leaf(tree, "./DevInfo/Mod", "chr", or_unknown(info->model));
    leaf(tree, "./DevInfo/DmV", "chr", "1.2");
    leaf(tree, "./DevInfo/Lang", "chr", info->language ? info->language : "en-US");
    interior(tree, "./DevInfo/Ext", NULL, DM_ACCESS_GET);

    interior(tree, "./DevDetail", "Get=*", DM_ACCESS_GET);
    leaf(tree, "./DevDetail/DevTyp", "chr", info->dev_type ? info->dev_type : "modem");
    leaf(tree, "./DevDetail/OEM", "chr", or_unknown(info->oem));
    leaf(tree, "./DevDetail/FwV", "chr", or_unknown(info->firmware_version));
    leaf(tree, "./DevDetail/SwV", "chr", or_unknown(info->software_version));
    leaf(tree, "./DevDetail/HwV", "chr", or_unknown(info->hardware_version));
    leaf(tree, "./DevDetail/LrgObj", "bool", "true");
    interior(tree, "./DevDetail/URI", NULL, DM_ACCESS_GET);
    g_snprintf(number, sizeof(number), "%d", DM_TREE_MAX_DEPTH);
    leaf(tree, "./DevDetail/URI/MaxDepth", "int", number);
    g_snprintf(number, sizeof(number), "%d", DM_TREE_MAX_TOTAL);
    leaf(tree, "./DevDetail/URI/MaxTotLen", "int", number);
    g_snprintf(number, sizeof(number), "%d", DM_TREE_MAX_SEGMENT);
    leaf(tree, "./DevDetail/URI/MaxSegLen", "int", number);

    /* Accounts come from the device (bootstrap, configuration), not from servers' Adds. */
    interior(tree, "./DMAcc", "Get=*", DM_ACCESS_GET | DM_ACCESS_ADD | DM_ACCESS_REPLACE);
}
