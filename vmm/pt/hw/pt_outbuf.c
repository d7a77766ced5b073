/*
 * The PT output-buffer EPT-violation handler. With "Intel PT uses guest
 * physical addresses" (secondary control 24) the ToPA table reads and the
 * trace writes of a guest go through EPT (SDM 33.5.2.4 "Virtualization of Guest Output
 * Packet Streams"), so a
 * missing or read-only EPT entry under the guest's buffer exits with an
 * asynchronous EPT violation. Nothing outside the guest's own RAM is ever
 * mapped for it: such output is refused the way the CPU refuses a bad
 * output address, by an operational error (SDM 33.3.9 "Operational Errors").
 */
#include "pt/hw/pt_outbuf.h"
#include "log.h"

bool pt_outbuf_is_trace_access(const struct ept_violation *v)
{
	return v->async && !v->gla_valid;
}

enum ept_fault_result pt_outbuf_handle(struct pt_hw_cpu *cpu, struct pt_guest *g, const struct pt_outbuf_mem *mem,
				       const struct ept_violation *v)
{
	uint64_t page = ALIGN_DOWN(v->gpa, PAGE_SIZE);

	if (!g || g->backend != PT_BACKEND_HW || !pt_outbuf_is_trace_access(v)) {
		if (g)
			g->outbuf.not_trace++;
		return EPT_FAULT_UNHANDLED;
	}
	if (v->gpa >= mem->mem_size) {
		g->outbuf.outside++;
		pt_hw_guest_error(cpu, g);
		if (!g->error_reported) {
			g->error_reported = true;
			pr_warn("guest %s: Intel PT output to GPA 0x%lx outside its RAM (0x%lx bytes): "
				"trace stopped, IA32_RTIT_STATUS.Error set\n",
				mem->name, v->gpa, mem->mem_size);
		}
		return EPT_FAULT_RETRY;
	}
	if (ept_map(mem->ept, page, mem->ram_hpa + page, PAGE_SIZE, EPT_RWX, EPT_MT_WB) < 0 ||
	    ept_invalidate(mem->ept) < 0) {
		g->outbuf.failed++;
		pr_err("guest %s: cannot map back GPA 0x%lx for Intel PT output\n", mem->name, page);
		return EPT_FAULT_STOP_GUEST;
	}
	g->outbuf.resolved++;
	return EPT_FAULT_RETRY;
}
