/*
 * Which single-stepping works here is measured, not assumed: Bochs 2.7 allows
 * the monitor trap flag control but never delivers its VM exit, so a guest
 * `nop; nop; hlt` is run with MTF armed. An MTF exit first means MTF works
 * (SDM 26.5.2: the exit follows the first instruction); reaching HLT first
 * means it does not, and RFLAGS.TF with #DB intercepted is used instead.
 */
#include "guest/step_probe.h"
#include "pt/emul/pt_emul.h"
#include "pt/emul/pt_emul_outside.h"
#include "guest/guest.h"
#include "vmx/exit.h"
#include "vmx/exit_reason.h"
#include "vmx/vmcs_ops.h"
#include "vmx/vmcs_init.h"
#include "log.h"

#define PROBE_GPA 0x1000

void pt_step_probe(const struct vmx_caps *c)
{
	static const uint8_t code[] = { 0x90, 0x90, 0xf4 }; /* nop; nop; hlt */
	static struct guest probe;

	pt_step_mech = PT_STEP_TF;
	pt_outside_cr3_exiting = vmx_caps_has_cr3_load_exiting(c);
	pr_info("PT emulation: %s\n",
		pt_outside_cr3_exiting ? "native runs while CR3 filtering excludes the current CR3 (CR3-load exiting)"
				       : "CR3-load exiting not allowed: a CR3-filtered guest is stepped throughout");
	/* Needs only EPT rights without execute, which every EPT allows (SDM 29.3.3.1). */
	pr_info("PT emulation: native runs at a privilege level the CPL filter excludes (pt_cpl=on: an EPT view "
		"that exits on code not yet run at that level)\n");
	if (!vmx_caps_has_mtf(c)) {
		pr_info("PT stepping: %s (the monitor trap flag control is not allowed)\n",
			pt_step_mech_name(pt_step_mech));
		return;
	}
	if (guest_setup_raw(&probe, "mtf-probe", code, sizeof(code), PROBE_GPA) < 0) {
		pr_warn("PT stepping: MTF self-test could not be set up; using %s\n", pt_step_mech_name(pt_step_mech));
		return;
	}
	probe.vcpu.probe = true;
	if (vmx_ctls.preemption_timer) /* a zero timer would exit before the first instruction */
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, 0xffffffffu);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) | CPU_MONITOR_TRAP_FLAG);
	vmx_run_guest(&probe.vcpu, 0);
	uint32_t seen = probe.vcpu.probe_exit;
	uint64_t rip = vmcs_readnat(GUEST_RIP);
	guest_destroy(&probe);
	if (seen == EXIT_REASON_MONITOR_TRAP_FLAG && rip == PROBE_GPA + 1) {
		pt_step_mech = PT_STEP_MTF;
		pr_info("PT stepping: %s (self-test: MTF exit after the first instruction)\n",
			pt_step_mech_name(pt_step_mech));
	} else {
		pr_info("PT stepping: %s (self-test: MTF allowed but %s; the guest's own TF is kept "
			"virtual while it traces)\n",
			pt_step_mech_name(pt_step_mech),
			seen == EXIT_REASON_HLT ? "no MTF exit came before HLT" : "no MTF exit came");
		if (seen != EXIT_REASON_HLT && seen != EXIT_REASON_MONITOR_TRAP_FLAG)
			pr_warn("PT stepping: MTF self-test ended with exit reason %u at RIP 0x%lx\n", seen, rip);
	}
}
