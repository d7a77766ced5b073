/* Area "mem": instructions on an address with nothing behind it (conf_mem.c, conf_mem_str.c). */
#ifndef GUEST_CONF_MEM_H
#define GUEST_CONF_MEM_H

#include "types.h"

/* 1 GiB: above the RAM of both runs (512 MiB bare, 16 MiB per guest), below the PCI hole and the APIC. */
#define CONF_UNBACKED 0x40000000u

void conf_mem_strings(uint32_t ua);
void conf_mem_stack(uint32_t ua);
void conf_mem_paged(uint32_t ua);
void conf_mem_sse(uint32_t ua);

#endif
