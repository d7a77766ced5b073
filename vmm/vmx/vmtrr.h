/*
 * The guest's MTRRs (SDM 12.11 "Memory Type Range Registers"): IA32_MTRRCAP, the fixed ranges, eight
 * variable ranges and IA32_MTRR_DEF_TYPE, as registers that hold what the guest writes under the SDM's
 * rules. They do not set memory types: under EPT the processor ignores the guest's MTRRs and takes the
 * type from the EPT entries (SDM 29.3.7.2). An OS still reads them to learn how memory is cached
 * (Linux's mtrr and PAT set-up), so they start as firmware leaves them: enabled, write-back default,
 * fixed ranges write-back but disabled, variable ranges invalid.
 */
#ifndef PTV_VMX_VMTRR_H
#define PTV_VMX_VMTRR_H

#include "types.h"

#define VMTRR_VAR_RANGES 8
#define VMTRR_FIXED      11 /* FIX64K_00000, FIX16K_80000/A0000, FIX4K_C0000...F8000 (SDM 12.11.2.2) */

struct vmtrr {
	uint64_t def_type;
	uint64_t fixed[VMTRR_FIXED];
	uint64_t var[2 * VMTRR_VAR_RANGES]; /* PHYSBASEn, PHYSMASKn */
};

void vmtrr_reset(struct vmtrr *m);
/* IA32_MTRRCAP (read-only), the range registers and IA32_MTRR_DEF_TYPE; false = #GP. */
bool vmtrr_rdmsr(const struct vmtrr *m, uint32_t msr, uint64_t *val);
/* maxphyaddr: the guest's physical-address width (CPUID 80000008H); bits above it are reserved. */
bool vmtrr_wrmsr(struct vmtrr *m, uint32_t msr, uint64_t val, unsigned maxphyaddr);

#endif
