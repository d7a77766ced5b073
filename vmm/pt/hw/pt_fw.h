/* Intel PT state left by firmware, found and stopped before ptvisor uses any RTIT MSR. */
#ifndef PTV_PT_FW_H
#define PTV_PT_FW_H

#include "types.h"

/* What IA32_RTIT_* held when ptvisor booted (all 0 when CTL was 0). */
struct pt_fw_state {
	bool readable;    /* RDMSR IA32_RTIT_CTL did not #GP */
	bool was_tracing; /* TraceEn was 1: firmware's trace was running, now stopped */
	bool left_config; /* CTL was not 0: cleared */
	bool cleared;     /* every write of the take-over succeeded: the MSRs are ptvisor's */
	uint64_t ctl, output_base, output_mask_ptrs, status;
};

/*
 * Reads IA32_RTIT_CTL before any other RTIT MSR. TraceEn=1 is cleared first,
 * alone, as SDM 33.2.8.1 requires before the other MSRs change; then the
 * outputs and status are read and recorded, CTL is zeroed and the output MSRs
 * are reset (OUTPUT_BASE 0, MASK_PTRS 7FH, STATUS 0), so that the firmware's
 * buffer can never receive trace: host tracing writes its own buffer, guests
 * theirs. Reports what was found. -1 when CTL is unreadable or a write #GPs.
 */
int pt_fw_takeover(struct pt_fw_state *fw);

#endif
