/*
 * Boot with whatever Intel PT state firmware left: a debug BIOS or a Trace Hub
 * setup may hand over with TraceEn=1 and OUTPUT_BASE pointing into memory that
 * ptvisor's frame allocator owns. Every other RTIT MSR write #GPs while
 * TraceEn=1 (SDM 33.2.8.1 "General Considerations"), so CTL is read and
 * TraceEn cleared before anything else.
 */
#include "pt/hw/pt_fw.h"
#include "pt/rtit.h"
#include "log.h"
#include "msr.h"

static bool fw_write(uint32_t msr, uint64_t v)
{
	if (cpu_wrmsr_safe(msr, v))
		return true;
	pr_err("PT: WRMSR 0x%x <- 0x%lx faulted while stopping the firmware's trace\n", msr, v);
	return false;
}

int pt_fw_takeover(struct pt_fw_state *fw)
{
	bool ok = true;

	*fw = (struct pt_fw_state){ 0 };
	if (!cpu_rdmsr_safe(MSR_IA32_RTIT_CTL, &fw->ctl)) {
		pr_err("PT: IA32_RTIT_CTL not readable (#GP) although CPUID reports Intel PT\n");
		return -1;
	}
	fw->readable = true;
	fw->cleared = true;
	if (!fw->ctl)
		return 0;
	fw->left_config = true;
	fw->was_tracing = fw->ctl & RTIT_CTL_TRACEEN;
	if (fw->was_tracing)
		ok = fw_write(MSR_IA32_RTIT_CTL, fw->ctl & ~RTIT_CTL_TRACEEN);
	(void)cpu_rdmsr_safe(MSR_IA32_RTIT_OUTPUT_BASE, &fw->output_base);
	(void)cpu_rdmsr_safe(MSR_IA32_RTIT_OUTPUT_MASK_PTRS, &fw->output_mask_ptrs);
	(void)cpu_rdmsr_safe(MSR_IA32_RTIT_STATUS, &fw->status);
	ok = ok && fw_write(MSR_IA32_RTIT_CTL, 0);
	ok = ok && fw_write(MSR_IA32_RTIT_OUTPUT_BASE, 0);
	ok = ok && fw_write(MSR_IA32_RTIT_OUTPUT_MASK_PTRS, RTIT_MASK_PTRS_LOWER);
	ok = ok && fw_write(MSR_IA32_RTIT_STATUS, 0);
	fw->cleared = ok;
	if (fw->was_tracing)
		pr_warn("PT: firmware left Intel PT tracing on: IA32_RTIT_CTL 0x%lx, OUTPUT_BASE 0x%lx, "
			"OUTPUT_MASK_PTRS 0x%lx, STATUS 0x%lx; %s, its buffer is never used\n",
			fw->ctl, fw->output_base, fw->output_mask_ptrs, fw->status,
			ok ? "stopped" : "stopping it failed");
	else
		pr_info("PT: firmware left IA32_RTIT_CTL 0x%lx (TraceEn=0), OUTPUT_BASE 0x%lx; cleared\n", fw->ctl,
			fw->output_base);
	return ok ? 0 : -1;
}
