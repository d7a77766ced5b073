/* EPT violations caused by Intel PT output (ToPA reads, trace writes) of a guest on the hardware path. */
#ifndef PTV_PT_OUTBUF_H
#define PTV_PT_OUTBUF_H

#include "types.h"
#include "ept/ept.h"
#include "ept/ept_violation.h"
#include "pt/hw/pt_hw.h"

/* The guest memory the handler may map back: GPA [0, mem_size) = HPA [ram_hpa, ...). */
struct pt_outbuf_mem {
	struct ept *ept;
	paddr_t ram_hpa;
	uint64_t mem_size;
	const char *name;
};

/*
 * A trace-output access: asynchronous to instruction execution (exit
 * qualification bit 16) with no guest-linear address (bit 7 = 0), as PT
 * output and trace-address pre-translation report them (SDM 28.2.1, Table
 * 28-7), including trace-address pre-translation at WRMSR of TraceEn, at
 * an output-region switch and at VM entry (SDM 33.5.2.4).
 */
bool pt_outbuf_is_trace_access(const struct ept_violation *v);

/*
 * The handler: for a guest on the hardware path and a trace access, a GPA
 * in the guest's RAM is mapped back present and writable (INVEPT) and the
 * guest resumes, the CPU retrying the output (EPT_FAULT_RETRY); a GPA outside
 * stops the guest's trace with IA32_RTIT_STATUS.Error, as an operational
 * error would, is reported once, and the guest resumes (EPT_FAULT_RETRY);
 * nothing outside the guest is mapped. EPT_FAULT_STOP_GUEST if mapping back
 * failed; EPT_FAULT_UNHANDLED for anything else. Counted in g->outbuf.
 */
enum ept_fault_result pt_outbuf_handle(struct pt_hw_cpu *cpu, struct pt_guest *g, const struct pt_outbuf_mem *mem,
				       const struct ept_violation *v);

#endif
