/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PKCS#15 readers (EF.DIR record, ODF, DODF), fed arbitrary bytes. */
#include "cat/cat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const guint8 aid[] = { 0xa0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                  0x4b, 0x43, 0x53, 0x2d, 0x31, 0x35 };
    CatPath path;

    if (cat_pkcs15_dir_record(data, size, aid, sizeof(aid), &path, NULL))
        g_assert(path.length <= CAT_PKCS15_MAX_PATH);
    (void)cat_pkcs15_odf_dodf(data, size, &path, NULL);
    (void)cat_pkcs15_dodf_oid(data, size, CAT_OID_DM_BOOTSTRAP, &path, NULL);
    return 0;
}
