/*
 * Emulated Intel PT (issue: PT where the CPU cannot trace in VMX operation).
 *
 * While a guest's TraceEn=1 ptvisor single-steps it with RFLAGS.TF and #DB
 * intercepted: before an instruction runs it is decoded (vmm/pt/insn.c), after
 * it retires the #DB exit shows where execution went, and the packet generator
 * (pt_gen.c) turns that into TNT/TIP/FUP/PIP/MODE packets, written to the
 * guest's ToPA or single-range output as guest-physical addresses (pt_emul_out.c).
 *
 * Instructions ptvisor emulates (CPUID, I/O, ...) retire in the VMM: the
 * skip sets the pending single-step (BS) so the next entry exits at once and
 * the step is accounted like any other. Event delivery clears TF (SDM 6.12.1),
 * so for exceptions (intercepted while tracing) and INT n an execute
 * breakpoint in DR0 on the handler catches its first instruction, and
 * stepping resumes there. The guest's own TF is kept virtual (POPF/IRET load
 * it, PUSHF and event frames show it, its single-step traps are delivered).
 * Differences from hardware (documented in README): instructions that read
 * RFLAGS other than PUSHF (e.g. SYSCALL, a task switch) see TF=1, and DR0/DR7
 * hold ptvisor's breakpoint while an event is being delivered.
 */
#include "pt/emul/pt_emul.h"
#include "pt/pt_guest.h"
#include "pt/rtit.h"
#include "guest/guest.h"
#include "vmx/gva.h"
#include "vmx/exit.h"
#include "vmx/vmcs_ops.h"
#include "vmx/vlapic_vmx.h"
#include "lib/string.h"
#include "lib/format.h"
#include "log.h"
#include "msr.h"

#define RFLAGS_TF BIT(8)
#define RFLAGS_RF BIT(16)
#define DR6_B0    BIT(0)
#define DR6_BS    BIT(14)
#define DR7_L0    BIT(0)
#define DR7_RW0_LEN0 GENMASK(19, 16)
/* While tracing every exception exits so its event packets can be made, except #BP and #OF: INT3 and
   INTO deliver through the guest IDT like INT n and are caught at their handler. */
#define TRACE_EXC_BITMAP (0xffffffffu & ~(BIT(3) | BIT(4)))

static struct pt_emul emuls[GUEST_MAX];
enum pt_step_mech pt_step_mech = PT_STEP_TF;

const char *pt_step_mech_name(enum pt_step_mech m)
{
	return m == PT_STEP_MTF ? "monitor trap flag" : "RFLAGS.TF with #DB intercepted";
}

struct pt_emul *pt_emul_of(struct vcpu *v)
{
	return &emuls[v->guest->id];
}

void pt_emul_reset(struct vcpu *v, bool riplog)
{
	struct pt_emul *e = pt_emul_of(v);

	memset(e, 0, sizeof(*e));
	e->riplog = riplog;
	e->out.ept = &v->guest->ept;
}

static void stage_emit(void *ctx, const uint8_t *p, size_t n)
{
	struct pt_emul *e = ctx;

	if (e->stage_len + n > sizeof(e->stage)) {
		/* A step never produces this much; losing bytes here would corrupt the trace silently. */
		panic("PT emulation staging buffer overflow (%lu + %lu bytes)", e->stage_len, n);
	}
	memcpy(e->stage + e->stage_len, p, n);
	e->stage_len += n;
}

static enum pt_cpu_mode guest_cpu_mode(const struct vcpu *v)
{
	uint32_t ar = vmcs_read32(GUEST_CS_AR_BYTES);

	if (v->efer_lma && (ar & BIT(13)))
		return PT_MODE_64;
	return (ar & BIT(14)) ? PT_MODE_32 : PT_MODE_16;
}

static uint64_t guest_lip(void)
{
	return vmcs_readnat(GUEST_CS_BASE) + vmcs_readnat(GUEST_RIP);
}

/* SDM 33.2.4 "Trace Filtering": CPL (OS/User), CR3 match, and IP filter ranges (ADDRn_CFG = 1). */
static bool filters_pass(const struct pt_guest *pg, uint64_t ip)
{
	uint64_t ctl = pg->ctx.ctl;
	unsigned cpl = vcpu_cpl();
	bool any_range = false;

	if (cpl == 0 ? !(ctl & RTIT_CTL_OS) : !(ctl & RTIT_CTL_USER))
		return false;
	if ((ctl & RTIT_CTL_CR3FILTER) &&
	    ((vmcs_readnat(GUEST_CR3) ^ pg->ctx.cr3_match) & ~(uint64_t)0x1f))
		return false;
	for (unsigned n = 0; n < PT_ADDR_RANGES_MAX; n++) {
		uint64_t cfg = (ctl >> RTIT_CTL_ADDR_CFG_SHIFT(n)) & 0xf;
		if (cfg != 1)
			continue;
		any_range = true;
		if (ip >= pg->ctx.addr_a[n] && ip <= pg->ctx.addr_b[n])
			return true;
	}
	return !any_range;
}

static bool trace_stop_hit(const struct pt_guest *pg, uint64_t ip)
{
	for (unsigned n = 0; n < PT_ADDR_RANGES_MAX; n++)
		if (((pg->ctx.ctl >> RTIT_CTL_ADDR_CFG_SHIFT(n)) & 0xf) == 2 &&
		    ip >= pg->ctx.addr_a[n] && ip <= pg->ctx.addr_b[n])
			return true;
	return false;
}

/*
 * With MTF the exit comes after each instruction and after each event delivery, before the handler's
 * first instruction (SDM 26.5.2 "Monitor Trap Flag"), so neither TF nor a handler breakpoint is needed;
 * exceptions are still intercepted so their packets name the faulting IP.
 */
static void stepping_arm(struct vcpu *v, struct pt_emul *e)
{
	e->saved_exc_bitmap = vmcs_read32(EXCEPTION_BITMAP);
	vmcs_write32(EXCEPTION_BITMAP, e->saved_exc_bitmap | TRACE_EXC_BITMAP);
	v->pt_step_mtf = pt_step_mech == PT_STEP_MTF;
	e->vtf = vmcs_readnat(GUEST_RFLAGS) & RFLAGS_TF;
	if (v->pt_step_mtf)
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) | CPU_MONITOR_TRAP_FLAG);
	else
		vmcs_writenat(GUEST_RFLAGS, vmcs_readnat(GUEST_RFLAGS) | RFLAGS_TF);
	v->pt_stepping = true;
}

static void bp_disarm(struct pt_emul *e)
{
	if (!e->bp_armed)
		return;
	cpu_write_dr0(e->saved_dr0);
	vmcs_writenat(GUEST_DR7, e->saved_dr7);
	e->bp_armed = false;
}

static void stepping_disarm(struct vcpu *v, struct pt_emul *e)
{
	bp_disarm(e);
	vmcs_write32(EXCEPTION_BITMAP, e->saved_exc_bitmap);
	if (v->pt_step_mtf) {
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL,
			     vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) & ~CPU_MONITOR_TRAP_FLAG);
		/* Drop a pending-MTF event queued by the WRMSR that ended tracing. */
		if ((vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & (INTR_INFO_VALID | (7u << 8))) ==
		    (INTR_INFO_VALID | (7u << 8)))
			vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	} else {
		/* The guest gets its own TF back. */
		vmcs_writenat(GUEST_RFLAGS, (vmcs_readnat(GUEST_RFLAGS) & ~RFLAGS_TF) | (e->vtf ? RFLAGS_TF : 0));
		/* A single-step queued by an emulated instruction must not reach the guest (Bochs delivers it). */
		vmcs_writenat(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	}
	v->pt_stepping = false;
	v->pt_step_mtf = false;
	e->have_prev = false;
}

/* The handler of `vector` from the guest IDT (SDM 6.10-6.14): 8-byte gates, 16 in IA-32e mode. */
static bool idt_handler(struct vcpu *v, unsigned vector, uint64_t *ip)
{
	uint64_t base = vmcs_readnat(GUEST_IDTR_BASE);
	uint32_t limit = vmcs_read32(GUEST_IDTR_LIMIT);
	unsigned size = v->efer_lma ? 16 : 8;
	uint32_t gate[4] = { 0 };

	if ((vector + 1) * size - 1 > limit || guest_fetch(v->guest, base + vector * size, gate, size) != size)
		return false;
	if (!(vmcs_readnat(GUEST_CR0) & 1)) {
		/* Real mode: IVT entries are segment:offset (SDM 20.1.4). */
		uint32_t ent;
		if (guest_fetch(v->guest, vector * 4, &ent, 4) != 4)
			return false;
		*ip = ((ent >> 16) << 4) + (ent & 0xffff);
		return true;
	}
	*ip = (gate[0] & 0xffff) | (gate[1] & 0xffff0000u);
	if (size == 16)
		*ip |= (uint64_t)gate[2] << 32;
	return true;
}

static void bp_arm(struct pt_emul *e, uint64_t ip)
{
	if (!e->bp_armed) {
		e->saved_dr0 = cpu_read_dr0();
		e->saved_dr7 = vmcs_readnat(GUEST_DR7);
	}
	cpu_write_dr0(ip);
	vmcs_writenat(GUEST_DR7, (e->saved_dr7 & ~DR7_RW0_LEN0) | DR7_L0 | BIT(10));
	e->bp_armed = true;
	e->bp_ip = ip;
}

static enum pt_cofi cofi_of(enum insn_class c)
{
	switch (c) {
	case INSN_JCC:           return PT_COFI_JCC;
	case INSN_JMP_REL:       return PT_COFI_JMP_DIRECT;
	case INSN_JMP_INDIRECT:  return PT_COFI_JMP_INDIRECT;
	case INSN_CALL_REL:      return PT_COFI_CALL_DIRECT;
	case INSN_CALL_INDIRECT: return PT_COFI_CALL_INDIRECT;
	case INSN_RET:           return PT_COFI_RET;
	case INSN_FAR_JMP:
	case INSN_FAR_CALL:
	case INSN_FAR_RET:
	case INSN_IRET:
	case INSN_INT:
	case INSN_SYSCALL:
	case INSN_SYSRET:
	case INSN_SYSENTER:
	case INSN_SYSEXIT:       return PT_COFI_FAR;
	case INSN_MOV_CR3:       return PT_COFI_MOV_CR3;
	default:                 return PT_COFI_NONE;
	}
}

static enum insn_mode insn_mode_of(enum pt_cpu_mode m)
{
	return m == PT_MODE_64 ? INSN_MODE64 : m == PT_MODE_32 ? INSN_MODE32 : INSN_MODE16;
}

#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME  0x100000001b3ULL

static void riplog_add(struct pt_emul *e, uint64_t ip)
{
	if (!e->riplog)
		return;
	if (!e->rip_count) {
		e->rip_fnv = FNV64_OFFSET;
		e->rip_first = ip;
	}
	for (unsigned i = 0; i < 8; i++)
		e->rip_fnv = (e->rip_fnv ^ ((ip >> (8 * i)) & 0xff)) * FNV64_PRIME;
	e->rip_count++;
	e->rip_last = ip;
}

static void riplog_print(struct vcpu *v, struct pt_emul *e)
{
	if (!e->riplog)
		return;
	log_raw(LOG_ERR, "ptvisor: pt-riplog %s count=%lu fnv=%016lx first=%lx last=%lx\n", v->guest->cfg.name,
		e->rip_count, e->rip_count ? e->rip_fnv : 0, e->rip_first, e->rip_last);
	e->rip_count = 0;
}

static void trace_off(struct vcpu *v, struct pt_emul *e, const char *why);

/* Writes what this step produced; a STOP region or an error ends tracing as on hardware. */
static void stage_flush(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e)
{
	enum pt_out_result r;

	if (!e->stage_len)
		return;
	r = pt_out_write(&e->out, &pg->ctx, e->stage, e->stage_len);
	e->stage_len = 0;
	if (e->out.pmi) {
		/* Trace_ToPA_PMI (IA32_PERF_GLOBAL_STATUS[55]): pending for the guest's LVT (SDM 33.2.7.2). */
		e->out.pmi = false;
		pg->perf_global_status |= BIT(55);
		pg->pmi_pending = true;
		vlapic_pmi(v);
	}
	if (r == PT_OUT_STOPPED) {
		trace_off(v, e, "a ToPA STOP region filled (IA32_RTIT_STATUS.Stopped set)");
	} else if (r == PT_OUT_ERROR) {
		pr_warn("guest %s: PT output error at GPA 0x%lx: %s; IA32_RTIT_STATUS.Error set, trace stopped\n",
			v->guest->cfg.name, e->out.error_gpa, e->out.error_what);
		trace_off(v, e, "operational error");
	}
}

static void trace_off(struct vcpu *v, struct pt_emul *e, const char *why)
{
	if (!e->active)
		return;
	e->active = false;
	e->in_ctx = false;
	stepping_disarm(v, e);
	pr_info("guest %s: PT tracing stopped: %s (%lu bytes written, %lu dropped, %lu instructions stepped)\n",
		v->guest->cfg.name, why, e->out.st.bytes, e->out.st.dropped, e->st.steps);
	/* Cost of this tracing period, for make bench (on Bochs the TSC counts instructions). */
	log_raw(LOG_INFO, "ptvisor: pt-stats %s steps=%lu traced=%lu exits=%lu tsc=%lu bytes=%lu\n",
		v->guest->cfg.name, e->st.steps, e->st.traced, v->stats.exits - e->st.exits_at_enable,
		cpu_rdtsc() - e->st.tsc_at_enable, e->out.st.bytes - e->st.bytes_at_enable);
	riplog_print(v, e);
}

static struct pt_gen_cfg gen_cfg(const struct pt_guest *pg)
{
	uint64_t ctl = pg->ctx.ctl;

	return (struct pt_gen_cfg){
		.branch_en = ctl & RTIT_CTL_BRANCHEN,
		.tsc_en = ctl & RTIT_CTL_TSCEN,
		.dis_retc = ctl & RTIT_CTL_DISRETC,
		.os = ctl & RTIT_CTL_OS,
		.psb_freq = (unsigned)((ctl & RTIT_CTL_PSBFREQ) >> RTIT_CTL_PSBFREQ_SHIFT),
	};
}

/* The guest's stack at byte offset `off` (SS base + RSP, wrapping at 4 GiB outside 64-bit mode). */
static uint64_t stack_lin(const struct vcpu *v, uint64_t off)
{
	uint64_t lin = vmcs_readnat(GUEST_SS_BASE) + vmcs_readnat(GUEST_RSP) + off;

	return v->efer_lma ? lin : (uint32_t)lin;
}

static bool stack_read32(struct vcpu *v, uint64_t off, uint32_t *val)
{
	return guest_fetch(v->guest, stack_lin(v, off), val, 4) == 4;
}

/* Rewrites the TF bit of a flags image on the guest's stack. */
static void stack_fix_tf(struct vcpu *v, uint64_t off, bool tf)
{
	uint64_t gpa;
	uint32_t flags;

	if (!stack_read32(v, off, &flags) || !guest_linear_to_phys(v->guest, stack_lin(v, off), &gpa))
		return;
	flags = (flags & ~(uint32_t)RFLAGS_TF) | (tf ? (uint32_t)RFLAGS_TF : 0);
	ept_write_guest(&v->guest->ept, gpa, &flags, 4);
}

/* Before the instruction runs: does it load TF (POPF, IRET) or push the flags (PUSHF)? */
static void note_tf_effects(struct vcpu *v, struct pt_emul *e)
{
	uint32_t flags;

	e->prev_sets_tf = e->prev_pushes_flags = false;
	if (v->pt_step_mtf || !e->have_prev || e->prev.map != INSN_MAP_1BYTE)
		return;
	if (e->prev.opcode == 0x9d && stack_read32(v, 0, &flags)) {
		e->prev_sets_tf = true;
		e->prev_new_tf = flags & RFLAGS_TF;
	} else if (e->prev.cls == INSN_IRET && stack_read32(v, 2 * (e->prev.opsize / 8), &flags)) {
		e->prev_sets_tf = true;
		e->prev_new_tf = flags & RFLAGS_TF;
	} else if (e->prev.opcode == 0x9c) {
		e->prev_pushes_flags = true;
	}
}

/* After it retired: the guest sees its own TF; true when its single-step trap is due (TF was set). */
static bool apply_tf_effects(struct vcpu *v, struct pt_emul *e)
{
	bool due = !v->pt_step_mtf && e->vtf && e->prev.cls != INSN_INT;

	if (e->prev_pushes_flags)
		stack_fix_tf(v, 0, e->vtf);
	if (e->prev_sets_tf)
		e->vtf = e->prev_new_tf;
	e->prev_sets_tf = e->prev_pushes_flags = false;
	return due;
}

/*
 * Instruction bytes at `ip`: straight from the cached code page when paging is off and the EPT is the
 * one it was translated under (the bytes themselves are read afresh, so code the guest rewrites is
 * seen), else through the full walk. With paging on every fetch walks the guest's tables: a guest may
 * change a PTE and INVLPG without an exit, and this cache has no way to hear of it.
 */
static size_t fetch_code(struct vcpu *v, struct pt_emul *e, uint64_t ip, uint8_t *buf)
{
	struct guest *g = v->guest;
	uint64_t page = ip & ~(PAGE_SIZE - 1), off = ip & (PAGE_SIZE - 1);
	uint64_t cr0 = vmcs_readnat(GUEST_CR0), cr3 = vmcs_readnat(GUEST_CR3), cr4 = vmcs_readnat(GUEST_CR4);
	uint64_t gpa;

	if (!(e->code.valid && e->code.lin_page == page && e->code.cr0 == cr0 && e->code.cr3 == cr3 &&
	      e->code.cr4 == cr4 && e->code.ept_gen == g->ept.gen)) {
		e->code.valid = false;
		if (!(cr0 & BIT(31)) && guest_linear_to_phys(g, page, &gpa) &&
		    (e->code.host = ept_guest_ptr(&g->ept, gpa, PAGE_SIZE, EPT_R)) != NULL) {
			e->code.valid = true;
			e->code.lin_page = page;
			e->code.cr0 = cr0;
			e->code.cr3 = cr3;
			e->code.cr4 = cr4;
			e->code.ept_gen = g->ept.gen;
		}
	}
	if (e->code.valid && off + INSN_MAX_LEN <= PAGE_SIZE) {
		memcpy(buf, e->code.host + off, INSN_MAX_LEN);
		return INSN_MAX_LEN;
	}
	return guest_fetch(g, ip, buf, INSN_MAX_LEN);
}

/* Decodes the instruction at the current IP, so the next #DB can account for it. */
static bool decode_next(struct vcpu *v, struct pt_emul *e, uint64_t ip)
{
	uint8_t code[INSN_MAX_LEN];
	size_t n = fetch_code(v, e, ip, code);

	e->have_prev = n && insn_decode(code, n, insn_mode_of(guest_cpu_mode(v)), &e->prev) == 0;
	e->prev_ip = ip;
	note_tf_effects(v, e);
	if (!v->pt_step_mtf && e->have_prev && e->prev.cls == INSN_INT && e->prev.has_imm) {
		uint64_t h;
		if (idt_handler(v, (unsigned)e->prev.imm, &h)) {
			bp_arm(e, h);
			e->bp_frame = true;
			e->bp_frame_err = false;
		}
	}
	return e->have_prev;
}

/* Context changes between instructions: TIP.PGE / TIP.PGD (SDM 33.2.5 "Packet Generation Enable"). */
static void update_context(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e, uint64_t ip)
{
	bool ctx = filters_pass(pg, ip);

	if (ctx == e->in_ctx)
		return;
	e->in_ctx = ctx;
	if (ctx)
		pt_gen_resume(&e->gen, ip, guest_cpu_mode(v));
	else
		pt_gen_stop(&e->gen, ip);
}

/* The instruction in `prev` retired and execution went on at next_ip; true if the guest's own
   single-step trap is now due. */
static bool account(struct vcpu *v, struct pt_emul *e, uint64_t next_ip)
{
	bool due = apply_tf_effects(v, e);
	struct pt_step s = {
		.ip = e->prev_ip,
		.next_ip = next_ip,
		.cofi = cofi_of(e->prev.cls),
		.len = (uint8_t)e->prev.len,
		.mode = guest_cpu_mode(v),
		.cr3 = vmcs_readnat(GUEST_CR3),
		.tsc = cpu_rdtsc(),
	};

	e->st.steps++;
	if (!e->in_ctx)
		return due;
	e->st.traced++;
	riplog_add(e, e->prev_ip);
	if (s.cofi == PT_COFI_JCC)
		s.taken = next_ip != e->prev_ip + e->prev.len;
	if (s.cofi == PT_COFI_NONE && next_ip != e->prev_ip + e->prev.len && e->prev.cls != INSN_HLT) {
		/* Flow changed without a branch: an event we did not intercept (SDM 33.4.2.4). */
		pt_gen_insn(&e->gen, &s);
		pt_gen_event(&e->gen, e->prev_ip + e->prev.len, next_ip, s.mode);
		e->st.events++;
		return due;
	}
	pt_gen_insn(&e->gen, &s);
	return due;
}

/* The TF the guest set traps after this instruction: deliver its #DB (DR6.BS) as hardware would. */
static void deliver_guest_step(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e, uint64_t ip)
{
	uint64_t handler;

	cpu_write_dr6(cpu_read_dr6() | DR6_BS);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | 1);
	e->have_prev = false;
	e->st.events++;
	if (!idt_handler(v, 1, &handler))
		return;
	if (e->in_ctx)
		pt_gen_event(&e->gen, ip, handler, guest_cpu_mode(v));
	stage_flush(v, pg, e);
	if (e->active) {
		bp_arm(e, handler);
		e->bp_frame = true;
		e->bp_frame_err = false;
	}
}

/* At the handler of an event: the flags image in its frame shows the guest's TF, not ours (SDM 6.12.1). */
static void fix_event_frame(struct vcpu *v, struct pt_emul *e)
{
	unsigned slot = v->efer_lma ? 8 : 4;

	if (e->bp_frame) {
		stack_fix_tf(v, (e->bp_frame_err ? slot : 0) + 2 * slot, e->vtf);
		e->vtf = false;   /* delivery cleared the guest's TF; its IRET restores it from the frame */
	}
	e->bp_frame = false;
}

/* #DB exit: a single step retired, or the breakpoint on an event handler was reached. */
static void on_debug(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e, uint64_t dr6)
{
	uint64_t ip = guest_lip();
	bool due = false;

	e->st.step_exits++;
	if ((dr6 & DR6_B0) && e->bp_armed && ip == e->bp_ip) {
		bp_disarm(e);
		vmcs_writenat(GUEST_RFLAGS, vmcs_readnat(GUEST_RFLAGS) | RFLAGS_RF);
		if (e->have_prev)
			account(v, e, ip);      /* the INT n that delivered to this handler */
		fix_event_frame(v, e);
	} else if (e->have_prev) {
		due = account(v, e, ip);
	}
	if (trace_stop_hit(pg, ip)) {
		pt_gen_stop(&e->gen, ip);
		pg->ctx.status |= RTIT_STATUS_STOPPED;
		stage_flush(v, pg, e);
		trace_off(v, e, "TraceStop address range reached (IA32_RTIT_STATUS.Stopped set)");
		return;
	}
	update_context(v, pg, e, ip);
	stage_flush(v, pg, e);
	if (!e->active)
		return;
	if (due) {
		deliver_guest_step(v, pg, e, ip);
		return;
	}
	if (!v->pt_step_mtf)
		vmcs_writenat(GUEST_RFLAGS, vmcs_readnat(GUEST_RFLAGS) | RFLAGS_TF);
	if (!decode_next(v, e, ip))
		trace_off(v, e, "cannot fetch or decode the next instruction");
}

/* An exception in traced code: FUP(faulting IP) TIP(handler), then re-deliver it (SDM 33.4.2.4). */
static void on_exception(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e, uint32_t info)
{
	unsigned vector = info & 0xff;
	uint64_t ip = guest_lip(), handler = 0;

	e->st.events++;
	e->have_prev = false;    /* the faulting instruction did not retire */
	bool have_handler = idt_handler(v, vector, &handler);
	if (e->in_ctx && have_handler)
		pt_gen_event(&e->gen, ip, handler, guest_cpu_mode(v));
	stage_flush(v, pg, e);
	uint32_t inject = (info & (0xff | (7u << 8) | INTR_INFO_DELIVER_CODE)) | INTR_INFO_VALID;
	if (info & INTR_INFO_DELIVER_CODE)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read32(VM_EXIT_INTR_ERROR_CODE));
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, inject);
	if (e->active && have_handler && !v->pt_step_mtf) {
		bp_arm(e, handler);
		e->bp_frame = true;
		e->bp_frame_err = info & INTR_INFO_DELIVER_CODE;
	}
}

/*
 * ptvisor is about to inject an external interrupt (the virtual APIC): like hardware, the trace gets
 * FUP(the interrupted IP) TIP(the handler), and the handler is traced (SDM 33.4.2.4 "interrupts").
 */
void pt_emul_event_injected(struct vcpu *v, unsigned vector)
{
	struct pt_emul *e = pt_emul_of(v);
	struct pt_guest *pg = pt_guest_of(v);
	uint64_t ip = guest_lip(), handler;

	if (!v->pt_stepping || !e->active)
		return;
	/* A step still due for an instruction that retired in the VMM is accounted first. */
	if (!v->pt_step_mtf && (vmcs_readnat(GUEST_PENDING_DBG_EXCEPTIONS) & DR6_BS)) {
		if (e->have_prev)
			(void)account(v, e, ip);   /* its own trap, if TF was set, yields to the interrupt */
		vmcs_writenat(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	}
	e->have_prev = false;   /* the instruction at ip runs after the handler returns */
	if (!idt_handler(v, vector, &handler))
		return;
	if (e->in_ctx) {
		pt_gen_event(&e->gen, ip, handler, guest_cpu_mode(v));
		e->st.events++;
	}
	stage_flush(v, pg, e);
	if (e->active && !v->pt_step_mtf) {
		bp_arm(e, handler);
		e->bp_frame = true;
		e->bp_frame_err = false;
	}
}

bool pt_emul_mtf(struct vcpu *v)
{
	struct pt_emul *e = pt_emul_of(v);

	if (!v->pt_stepping || !v->pt_step_mtf)
		return false;
	/* Same accounting as a TF single-step: the instruction (or event delivery) before this boundary. */
	on_debug(v, pt_guest_of(v), e, DR6_BS);
	return true;
}

bool pt_emul_exception(struct vcpu *v, uint32_t info)
{
	struct pt_emul *e = pt_emul_of(v);
	struct pt_guest *pg = pt_guest_of(v);

	if (!v->pt_stepping && !e->bp_armed)
		return false;
	if ((info & 0xff) == 1 && !v->pt_step_mtf) {
		uint64_t dr6 = vmcs_readnat(EXIT_QUALIFICATION);
		if (dr6 & (DR6_BS | DR6_B0)) {
			on_debug(v, pg, e, dr6);
			return true;
		}
	}
	on_exception(v, pg, e, info);
	return true;
}

void pt_emul_ctl_written(struct vcpu *v, struct pt_guest *pg, uint64_t old_ctl)
{
	struct pt_emul *e = pt_emul_of(v);
	uint64_t ctl = pg->ctx.ctl;
	/* Tracing starts or ends at the instruction after the WRMSR. */
	uint64_t next = guest_lip() + vmcs_read32(VM_EXIT_INSTRUCTION_LEN);

	if ((old_ctl & RTIT_CTL_TRACEEN) && !(ctl & RTIT_CTL_TRACEEN)) {
		if (e->active && e->have_prev)
			(void)account(v, e, next);     /* the WRMSR itself retired while traced */
		if (e->in_ctx)
			pt_gen_stop(&e->gen, next);
		/* The last packets go where the output was configured while tracing, not per the new CTL
		   (a write of 0 also clears ToPA). */
		pg->ctx.ctl = old_ctl;
		stage_flush(v, pg, e);
		pg->ctx.ctl = ctl;
		e->st.disables++;
		trace_off(v, e, "TraceEn cleared by the guest");
		return;
	}
	if ((old_ctl & RTIT_CTL_TRACEEN) || !(ctl & RTIT_CTL_TRACEEN))
		return;
	e->st.enables++;
	e->st.steps = e->st.traced = 0;
	e->st.exits_at_enable = v->stats.exits;
	e->st.tsc_at_enable = cpu_rdtsc();
	e->st.bytes_at_enable = e->out.st.bytes;
	e->out.ept = &v->guest->ept;
	e->out.maxphyaddr = pg->caps.maxphyaddr ? pg->caps.maxphyaddr : 36;
	if (pg->ctx.status & (RTIT_STATUS_ERROR | RTIT_STATUS_STOPPED)) {
		pr_info("guest %s: TraceEn set with IA32_RTIT_STATUS.%s set: no packets until it is cleared\n",
			v->guest->cfg.name, (pg->ctx.status & RTIT_STATUS_ERROR) ? "Error" : "Stopped");
		return;
	}
	struct pt_gen_cfg cfg = gen_cfg(pg);
	pt_gen_init(&e->gen, &cfg, stage_emit, e);
	e->active = true;
	e->have_prev = false;
	e->in_ctx = filters_pass(pg, next);
	if (e->in_ctx)
		pt_gen_start(&e->gen, next, guest_cpu_mode(v), vmcs_readnat(GUEST_CR3), cpu_rdtsc());
	stage_flush(v, pg, e);
	if (e->active)
		stepping_arm(v, e);
}

void pt_emul_guest_stopped(struct vcpu *v)
{
	struct pt_emul *e = pt_emul_of(v);

	if (!e->active)
		return;
	pt_gen_flush(&e->gen);
	stage_flush(v, pt_guest_of(v), e);
	trace_off(v, e, "the guest stopped");
}
