/* The exits guest: one check file per kind of VM exit (CPUID, MSR, I/O, VMCALL, unbacked memory, the rest). */
#ifndef GUEST_EXITS_H
#define GUEST_EXITS_H

#include "hypercall.h"

void exits_check_msr(const struct ptv_hc_info *info);
void exits_check_io(void);
void exits_check_hypercalls(const struct ptv_hc_info *info);
void exits_check_misc(void);
void exits_check_mem(void);

#endif
