/*
 * EPT violations and misconfigurations. A GPA claimed by a subsystem goes to
 * its handler (the PT output-buffer handler registers here). A GPA with no
 * guest RAM behind it behaves like an unclaimed bus: the MOV that touched it
 * is emulated, reads return all ones and writes are dropped, so nothing
 * outside the guest is ever read or written; the local APIC page at
 * 0xFEE00000 is the one device there (vlapic_vmx.c). Anything else stops the guest.
 */
#include "vmx/exit.h"
#include "vmx/gva.h"
#include "vmx/pt_backend.h"
#include "vmx/vlapic_vmx.h"
#include "vmx/vmcs_ops.h"
#include "ept/ept_violation.h"
#include "x86/mmio_decode.h"
#include "log.h"

#define UNBACKED_REPORTS_MAX 8

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * size)) - 1;
}

/* Completes a load: `val` holds the in->size bytes read; MOVZX/MOVSX widen them. */
static void load_value(struct vcpu *v, const struct mmio_insn *in, uint64_t val)
{
	uint64_t rsp = vmcs_readnat(GUEST_RSP);
	uint64_t *r = vcpu_gpr(v, (unsigned)in->reg, &rsp);

	val &= size_mask(in->size);
	if (in->sign_extend && (val >> (8 * in->size - 1)) & 1)
		val |= ~size_mask(in->size);
	val &= size_mask(in->dst_size);
	if (in->high8)
		*r = (*r & ~(uint64_t)0xff00) | ((val & 0xff) << 8);
	else if (in->dst_size >= 4)
		*r = val; /* 32-bit destinations zero-extend (SDM 3.4.1.1) */
	else
		*r = (*r & ~size_mask(in->dst_size)) | val;
	if (in->reg == 4)
		vmcs_writenat(GUEST_RSP, rsp);
}

/* The value a store writes: its register (AH-BH for high8) or its immediate. */
static uint64_t store_value(struct vcpu *v, const struct mmio_insn *in)
{
	uint64_t rsp = vmcs_readnat(GUEST_RSP), val;

	if (in->reg < 0)
		val = in->imm;
	else if (in->high8)
		val = *vcpu_gpr(v, (unsigned)in->reg, &rsp) >> 8;
	else
		val = *vcpu_gpr(v, (unsigned)in->reg, &rsp);
	return val & size_mask(in->size);
}

static enum exit_action emulate_unbacked(struct vcpu *v, const struct ept_violation *ev)
{
	uint8_t code[15];
	struct mmio_insn in;
	size_t n = vcpu_fetch(v, vcpu_lip(), code, sizeof(code));

	if (ev->fetch || mmio_decode(code, n, vcpu_insn_mode(v), &in) < 0)
		return vcpu_stop(v, -1,
				 "%s at GPA 0x%lx (no RAM there) by an instruction ptvisor does not "
				 "emulate (RIP 0x%lx)",
				 ev->fetch ? "instruction fetch" : "access", ev->gpa, vmcs_readnat(GUEST_RIP));
	if (vlapic_claims(ev->gpa)) {
		if (in.store)
			vlapic_mmio_write(v, ev->gpa, in.size, store_value(v, &in));
		else
			load_value(v, &in, vlapic_mmio_read(v, ev->gpa, in.size));
	} else if (v->io.unbacked_reports < UNBACKED_REPORTS_MAX && (ev->gpa >> 12) != v->io.unbacked_logged_page) {
		v->io.unbacked_reports++;
		v->io.unbacked_logged_page = ev->gpa >> 12;
		pr_info("guest %s: %u-byte %s at GPA 0x%lx outside its RAM: %s\n", v->name, in.size,
			in.store ? "write" : "read", ev->gpa, in.store ? "dropped" : "reads all ones");
	}
	if (!in.store && !vlapic_claims(ev->gpa))
		load_value(v, &in, ~(uint64_t)0);
	vcpu_advance(v, in.len);
	return EXIT_RESUME;
}

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
		return emulate_unbacked(v, &ev);
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
