/*
 * Test model for the emulated PT backend, the CPU half: runs the designed
 * program one instruction at a time and raises the exits a CPU would under
 * the stepping the engine armed: MTF (SDM 26.5.2 "Monitor Trap Flag"), #DB
 * with DR6.BS for RFLAGS.TF, #DB for the DR0 breakpoint, intercepted
 * exceptions, and the VM exits of instructions the VMM emulates. Event
 * injection and pending debug exceptions are played at each VM entry.
 */
#include <stdio.h>
#include <string.h>
#include "pt_emul_rig.h"
#include "cpu_model.h"
#include "pt/pt_guest.h"
#include "vmx/exit.h"
#include "ept/ept_walk.h"
#include "ept/ept_violation.h"
#include "msr.h"

#define RFLAGS_TF        BIT(8)
#define RFLAGS_RF        BIT(16)
#define RFLAGS_ZF        BIT(6)
#define DR6_BS           BIT(14)
#define INTR_TYPE_HW_EXC (3u << 8)
#define INTR_TYPE_OTHER  (7u << 8) /* vector 0: a pending MTF VM exit */

static bool mtf_on(void)
{
	return per_vmcs(CPU_BASED_VM_EXEC_CONTROL) & CPU_MONITOR_TRAP_FLAG;
}

/* Every VM exit clears the valid bit of the VM-entry interruption-information field
   (SDM 28.2 "Recording VM-Exit Information and Updating VM-Entry Control Fields"). */
static void exit_begin(void)
{
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & ~INTR_INFO_VALID);
}

static bool exit_end(struct per_rig *r, bool handled, enum per_exit why, const struct per_insn *in)
{
	if (!handled)
		return false;
	r->exits[why]++;
	if (r->hook)
		r->hook(r, why, in);
	return true;
}

static bool exc_exit(struct per_rig *r, unsigned vector, uint64_t qual, enum per_exit why, const struct per_insn *in)
{
	uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXC | vector;

	if (!(per_vmcs(EXCEPTION_BITMAP) & BIT(vector)))
		return false; /* the guest would take it: not what a traced program does */
	exit_begin();
	vmcs_write32(VM_EXIT_INTR_INFO, info);
	vmcs_writenat(EXIT_QUALIFICATION, qual);
	return exit_end(r, pt_emul_exception(r->v, info), why, in);
}

static bool mtf_exit(struct per_rig *r, const struct per_insn *in)
{
	exit_begin();
	return exit_end(r, pt_emul_mtf(r->v), PER_EXIT_MTF, in);
}

static void retire(struct per_rig *r, const struct per_insn *in)
{
	if (r->tracing && r->nref < PER_MAX_IPS)
		r->ref[r->nref++] = in->ip;
}

/* Delivery through a 32-bit interrupt gate: push EIP, CS, EFLAGS on the stack (the frame's image is
   what a handler and IRET see), clear TF and RF, go to CPL 0 (SDM 6.12.1 "Exception- or Interrupt-
   Handler Procedures"; the rig keeps one stack whatever the CPL). */
static bool deliver(struct per_rig *r, unsigned vector, uint32_t ret_ip)
{
	const uint32_t *gate = (const uint32_t *)per_gpa(PER_IDT + vector * 8u);
	uint64_t rflags = per_vmcs(GUEST_RFLAGS);
	uint32_t esp = (uint32_t)per_vmcs(GUEST_RSP) - 12;
	uint32_t image[3] = { ret_ip, 0x08, (uint32_t)rflags };

	if (!(gate[1] & BIT(15)) || r->nframes == ARRAY_SIZE(r->frames))
		return false;
	r->frames[r->nframes].ip = ret_ip;
	r->frames[r->nframes].cpl = (per_vmcs(GUEST_SS_AR_BYTES) >> 5) & 3;
	r->frames[r->nframes++].rflags = rflags;
	memcpy(per_gpa(esp), image, sizeof(image));
	vmcs_writenat(GUEST_RSP, esp);
	per_set_cpl(0);
	vmcs_writenat(GUEST_RFLAGS, rflags & ~(RFLAGS_TF | RFLAGS_RF));
	vmcs_writenat(GUEST_RIP, (gate[0] & 0xffff) | (gate[1] & 0xffff0000u));
	return true;
}

/*
 * What VM entry does before the first guest instruction: inject an event (an MTF VM exit follows
 * a delivered injection, SDM 26.5.2 "Monitor Trap Flag"), take a pending MTF exit (SDM 27.6.2
 * "Injection of Pending MTF VM Exits") or deliver a pending single-step #DB (SDM 27.7.3 "Delivery
 * of Pending Debug Exceptions after VM Entry"). 1: an exit was handled, 0: go on, -1: failure.
 */
static int entry_events(struct per_rig *r)
{
	uint32_t info = vmcs_read32(VM_ENTRY_INTR_INFO_FIELD);

	if (info & INTR_INFO_VALID) {
		if ((info & (7u << 8)) == INTR_TYPE_OTHER)
			return mtf_exit(r, NULL) ? 1 : -1;
		if ((info & (7u << 8)) != INTR_TYPE_HW_EXC)
			return -1;
		/* Consumed by this entry; the next exit would clear the bit anyway. */
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info & ~INTR_INFO_VALID);
		if (!deliver(r, info & 0xff, (uint32_t)per_vmcs(GUEST_RIP)))
			return -1;
		return mtf_on() ? (mtf_exit(r, NULL) ? 1 : -1) : 0;
	}
	if (per_vmcs(GUEST_PENDING_DBG_EXCEPTIONS) & DR6_BS) {
		vmcs_writenat(GUEST_PENDING_DBG_EXCEPTIONS, 0);
		return exc_exit(r, 1, DR6_BS, PER_EXIT_DB_BS, NULL) ? 1 : -1;
	}
	return 0;
}

/* Execute breakpoints in DR0-DR3 (Ln or Gn, R/Wn = LENn = 0) fault before the instruction unless RF is
   set (SDM 18.3.1.1 "Instruction-Breakpoint Exception Condition"); DR6.Bn of each that matched. */
static uint64_t bp_hits(uint64_t ip)
{
	uint64_t dr7 = per_vmcs(GUEST_DR7), hits = 0;

	if (per_vmcs(GUEST_RFLAGS) & RFLAGS_RF)
		return 0;
	for (unsigned n = 0; n < 4; n++)
		if ((dr7 & (3ull << (2 * n))) && !((dr7 >> (16 + 4 * n)) & 0xf) && cpu_model_get()->dr[n] == ip)
			hits |= BIT(n);
	return hits;
}

/* WRMSR and CPUID: VM exit, the VMM emulates and skips (exit_msr.c / exit_cpuid.c order). */
static bool emulated(struct per_rig *r, const struct per_insn *in)
{
	bool ok = true;
	bool was = r->tracing;

	vmcs_write32(VM_EXIT_INSTRUCTION_LEN, in->len);
	exit_begin();
	if (in->kind == PER_WRMSR) {
		if (was)
			retire(r, in); /* the WRMSR that clears TraceEn retires traced */
		ok = vcpu_pt_wrmsr(r->v, MSR_IA32_RTIT_CTL, in->value);
		r->tracing = in->value & RTIT_CTL_TRACEEN;
	} else {
		retire(r, in);
	}
	if (ok)
		vcpu_skip_instruction(r->v);
	return exit_end(r, ok, in->kind == PER_WRMSR ? PER_EXIT_WRMSR : PER_EXIT_CPUID, in);
}

static bool execute(struct per_rig *r, struct per_insn *in)
{
	uint64_t rflags = per_vmcs(GUEST_RFLAGS);
	bool tf = rflags & RFLAGS_TF;
	uint32_t next = in->ip + in->len;

	in->count++;
	switch (in->kind) {
	case PER_WRMSR:
	case PER_CPUID:
		return emulated(r, in);
	case PER_UD:
		return exc_exit(r, 6, 0, PER_EXIT_EXCEPTION, in);
	case PER_MOVCR3:
		/* The exit comes before the load (SDM 26.1.3); the backend leaves RIP at the MOV. */
		if (per_vmcs(CPU_BASED_VM_EXEC_CONTROL) & CPU_CR3_LOAD_EXITING) {
			in->count--;
			exit_begin();
			return exit_end(r, vcpu_pt_cr3_load(r->v), PER_EXIT_CR3, in);
		}
		vmcs_writenat(GUEST_CR3, in->value);
		break;
	case PER_INT:
		/* No single-step trap, delivery clears TF (SDM 18.3.1.4 "Single-Step Exception Condition");
		   MTF exits at the handler. */
		retire(r, in);
		if (!deliver(r, in->vector, next))
			return false;
		return !mtf_on() || mtf_exit(r, in);
	case PER_JCC:
		if (in->count <= in->taken)
			next = in->target;
		break;
	case PER_JMP:
		next = in->target;
		break;
	case PER_CALL:
		if (r->depth == ARRAY_SIZE(r->stack))
			return false;
		r->stack[r->depth++] = next;
		/* The return address on the guest's stack too, where a RET's target is read from. */
		vmcs_writenat(GUEST_RSP, per_vmcs(GUEST_RSP) - 4);
		memcpy(per_gpa((uint32_t)per_vmcs(GUEST_RSP)), &next, 4);
		next = in->target;
		break;
	case PER_RET:
		if (!r->depth)
			return false;
		next = r->stack[--r->depth];
		vmcs_writenat(GUEST_RSP, per_vmcs(GUEST_RSP) + 4);
		break;
	case PER_IRET:
		if (!r->nframes)
			return false;
		r->nframes--;
		next = in->target ? in->target : r->frames[r->nframes].ip;
		/* TF as the frame's image has it (the engine rewrites ours there); value: bits the handler
		   set in the image. */
		uint32_t image[3];
		memcpy(image, per_gpa((uint32_t)per_vmcs(GUEST_RSP)), sizeof(image));
		rflags = (r->frames[r->nframes].rflags & ~RFLAGS_TF) | (image[2] & RFLAGS_TF) | in->value;
		vmcs_writenat(GUEST_RSP, per_vmcs(GUEST_RSP) + 12);
		per_set_cpl(r->frames[r->nframes].cpl);
		break;
	default:
		break;
	}
	retire(r, in);
	/* RF clears once an instruction completes, except that IRET loads it (SDM 17.3.1.1). */
	vmcs_writenat(GUEST_RFLAGS, in->kind == PER_IRET ? rflags : rflags & ~RFLAGS_RF);
	vmcs_writenat(GUEST_RIP, next);
	if (mtf_on())
		return mtf_exit(r, in);
	/* A PER_SEQ's value: DR6 bits of data breakpoints it hit, reported with the step (SDM 17.3.1.2). */
	return !tf || exc_exit(r, 1, DR6_BS | (in->kind == PER_SEQ ? in->value : 0), PER_EXIT_DB_BS, in);
}

/*
 * The fetch of the instruction at lip (paging off: its GPA) under the EPT the EPTP names: an EPT
 * violation when that EPT does not let it execute (SDM 29.3.3.2), handled by the PT backend's hook.
 * 1: an exit was handled, 0: go on, -1: failure.
 */
static int fetch_check(struct per_rig *r, uint64_t lip)
{
	const struct ept *e = r->v->mem.ept;
	struct ept_violation ev;
	struct ept_xlate x = { 0 };

	if (r->pg->emul.view.base && per_vmcs(EPT_POINTER) == ept_eptp(&r->pg->emul.view.ept))
		e = &r->pg->emul.view.ept;
	else if (per_vmcs(EPT_POINTER) != ept_eptp(r->v->mem.ept))
		return -1;
	if (ept_translate(e, lip, &x) && (x.perms & EPT_X))
		return 0;
	exit_begin();
	ept_violation_decode(EPT_VQ_FETCH | ((uint64_t)x.perms << EPT_VQ_PERM_SHIFT), lip, 0, &ev);
	if (!r->v->pt_ops->ept_violation || r->v->pt_ops->ept_violation(r->v, &ev) != EPT_FAULT_RETRY)
		return -1;
	return exit_end(r, true, PER_EXIT_EPT, NULL) ? 1 : -1;
}

static struct per_insn *find(struct per_rig *r, uint64_t ip)
{
	for (unsigned i = 0; i < r->ninsns; i++)
		if (r->insns[i].ip == ip)
			return &r->insns[i];
	return NULL;
}

/* Why a run went off the program's description, for the test log. */
static bool stop(const char *why)
{
	fprintf(stderr, "pt_emul_rig: %s at RIP %#llx\n", why, (unsigned long long)per_vmcs(GUEST_RIP));
	return false;
}

bool per_run(struct per_rig *r, uint32_t ip, unsigned max)
{
	vmcs_writenat(GUEST_RIP, ip);
	for (; r->steps < max; r->steps++) {
		int ev = entry_events(r);
		if (ev < 0)
			return stop("an event at VM entry was not handled");
		if (ev > 0)
			continue;
		uint64_t lip = per_vmcs(GUEST_CS_BASE) + per_vmcs(GUEST_RIP);
		struct per_insn *jcc = find(r, lip);
		/* The program's conditional jumps are JNZ: ZF as the instruction before left it (taken: 0). */
		if (jcc && jcc->kind == PER_JCC)
			vmcs_writenat(GUEST_RFLAGS, (per_vmcs(GUEST_RFLAGS) & ~RFLAGS_ZF) |
							    (jcc->count < jcc->taken ? 0 : RFLAGS_ZF));
		uint64_t hits = bp_hits(lip);
		if (hits) {
			if (!exc_exit(r, 1, hits, PER_EXIT_DB_BP, NULL))
				return stop("the breakpoint #DB was not handled");
			continue;
		}
		int fetch = fetch_check(r, lip);
		if (fetch < 0)
			return stop("an instruction fetch failed under the EPT in use");
		if (fetch > 0)
			continue;
		struct per_insn *in = find(r, lip);
		if (!in)
			return stop("no instruction described");
		if (in->kind == PER_HLT)
			return true;
		if (!execute(r, in))
			return stop("the instruction's exit was not handled");
	}
	return stop("out of steps");
}
