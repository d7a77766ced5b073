/*
 * No stepping where nothing can be traced. With IA32_RTIT_CTL.CR3Filter set
 * and CR3 not IA32_RTIT_CR3_MATCH no instruction is traced whatever its CPL
 * or IP (SDM 33.2.4.2 "CR3 Filtering"), and only a CR3 load can change that.
 * So instead of single-stepping the guest (one exit per instruction) the
 * step engine hands it over here: the guest runs natively with CR3-load
 * exiting on (SDM 26.1.3), and each MOV to CR3 exits before it runs; the
 * step engine takes over again at that instruction and steps it, so the
 * CR3 load and whatever follows (TIP.PGE if the filters now pass, or a
 * return here if CR3 still does not match) are produced by the same code as
 * without this mode: the traces are the step engine's byte for byte, at the
 * cost of two exits per CR3 load instead of one per instruction.
 *
 * Why CR3 and not the CPL or IP filters: a return to traced code from an
 * excluded privilege level (SYSRET, IRET) or IP range does not exit, so
 * those still step (README, limits). TraceStop ranges are looked for at
 * every stepped IP, traced or not: with one configured the guest steps.
 * The other CR3 loads, task switches, always exit (SDM 26.1.2) and ptvisor
 * does not run them.
 */
#include "pt/emul/pt_emul_outside.h"
#include "pt/emul/pt_emul_int.h"
#include "pt/rtit.h"

bool pt_outside_cr3_exiting;

bool pt_emul_outside_wanted(const struct pt_guest *pg)
{
	const struct pt_emul *e = &pg->emul;

	if (!e->outside_on || e->stop_ranges || !pt_outside_cr3_exiting)
		return false;
	/* CR3[4:0] are ignored by the comparison (SDM 33.2.8.6 "IA32_RTIT_CR3_MATCH MSR"). */
	return (pg->ctx.ctl & RTIT_CTL_CR3FILTER) && ((vmcs_readnat(GUEST_CR3) ^ pg->ctx.cr3_match) & ~(uint64_t)0x1f);
}

void pt_emul_outside_enter(struct vcpu *v, struct pt_guest *pg)
{
	(void)v;
	pg->emul.outside = true;
	pg->emul.st.outside++;
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) | CPU_CR3_LOAD_EXITING);
}

void pt_emul_outside_leave(struct vcpu *v, struct pt_guest *pg)
{
	(void)v;
	if (!pg->emul.outside)
		return;
	pg->emul.outside = false;
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) & ~CPU_CR3_LOAD_EXITING);
}
