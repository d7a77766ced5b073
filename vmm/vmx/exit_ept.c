/*
 * EPT violations and misconfigurations. A GPA claimed by a subsystem goes to
 * its handler (the PT output-buffer handler registers here). A GPA with no
 * guest RAM behind it behaves like an unclaimed bus: the instruction that
 * touched it is emulated (exit_mem.c), reads return all ones and writes are
 * dropped, so nothing outside the guest is ever read or written; the local
 * APIC page at 0xFEE00000 (vlapic_vmx.c) and the I/O APIC page at
 * 0xFEC00000 (vioapic_vmx.c) are the devices there. Anything
 * else stops the guest.
 */
#include "vmx/emul.h"
#include "vmx/exit.h"
#include "vmx/pt_backend.h"
#include "vmx/vmcs_ops.h"
#include "ept/ept_violation.h"
#include "log.h"

enum exit_action handle_ept_violation(struct vcpu *v)
{
	struct ept_violation ev;
	enum ept_fault_result r = EPT_FAULT_UNHANDLED;
	char what[160];

	v->stats.ept_violations++;
	v->exit_qual = vmcs_readnat(EXIT_QUALIFICATION);
	ept_violation_decode(v->exit_qual, vmcs_read64(GUEST_PHYSICAL_ADDRESS), vmcs_readnat(GUEST_LINEAR_ADDRESS),
			     &ev);
	/* PT output first: it is asynchronous and may hit any GPA (pt_outbuf.c). */
	if (v->pt_ops->ept_violation)
		r = (enum ept_fault_result)v->pt_ops->ept_violation(v, &ev);
	if (r == EPT_FAULT_UNHANDLED)
		r = ept_claims_dispatch(v->mem.claims, &ev);
	switch (r) {
	case EPT_FAULT_RETRY:
		return EXIT_RESUME;
	case EPT_FAULT_SKIP:
		vcpu_skip_instruction(v);
		return EXIT_RESUME;
	case EPT_FAULT_STOP_GUEST:
		ept_violation_format(&ev, what, sizeof(what));
		return vcpu_stop(v, -1, "EPT violation: %s", what);
	case EPT_FAULT_UNHANDLED:
	default:
		break;
	}
	if (ev.gpa >= v->mem.size && !ev.async)
		return emul_mem_exit(v, &ev);
	ept_violation_format(&ev, what, sizeof(what));
	pr_err("guest %s: EPT violation not expected: %s\n", v->name, what);
	return vcpu_stop(v, -1, "unexpected EPT violation: %s", what);
}

enum exit_action handle_ept_misconfig(struct vcpu *v)
{
	char what[160];
	uint64_t gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);

	ept_misconfig_describe(v->mem.ept, gpa, what, sizeof(what));
	pr_err("guest %s: EPT misconfiguration: %s\n", v->name, what);
	return vcpu_stop(v, -1, "EPT misconfiguration at GPA 0x%lx", gpa);
}
