/* The invariants of a parsed multiboot2 info block, shared by the unit test's mutations and the fuzzer. */
#ifndef PTV_BOOT_INFO_CHECK_H
#define PTV_BOOT_INFO_CHECK_H

#include "boot_info.h"

/* NULL when boot_info_parse()'s return rc and result bi are sane, else the broken rule. */
const char *boot_info_insane(int rc, const struct boot_info *bi);

#endif
