/* A guest's virtual Intel PT configuration MSRs (SDM 33.2.8 "Trace Configuration MSRs"). */
#ifndef PTV_PT_CTX_H
#define PTV_PT_CTX_H

#include "types.h"

#define PT_ADDR_RANGES_MAX 4 /* IA32_RTIT_ADDR0..3_A/B (SDM 33.2.8.5) */

/*
 * The guest-visible values of IA32_RTIT_*. On the hardware path `ctl` mirrors
 * the VMCS guest field GUEST_IA32_RTIT_CTL; the others are switched lazily by
 * pt_hw.c and are only authoritative here while the guest's values are not
 * loaded in the CPU (see pt_hw_sync_vctx()).
 */
struct pt_vctx {
	uint64_t ctl, status, output_base, output_mask_ptrs, cr3_match;
	uint64_t addr_a[PT_ADDR_RANGES_MAX], addr_b[PT_ADDR_RANGES_MAX];
};

/* IA32_RTIT_OUTPUT_MASK_PTRS[6:0] "LowerMask" reads as 7FH: forced to 1 (SDM 33.2.8.8 "IA32_RTIT_OUTPUT_MASK_PTRS MSR"). */
#define RTIT_MASK_PTRS_LOWER 0x7fULL

/* The reset state: everything 0 except the forced LowerMask bits. */
static inline void pt_vctx_reset(struct pt_vctx *x)
{
	*x = (struct pt_vctx){ .output_mask_ptrs = RTIT_MASK_PTRS_LOWER };
}

#endif
