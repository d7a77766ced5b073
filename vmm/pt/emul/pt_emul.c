/*
 * Emulated Intel PT, for CPUs that cannot trace in VMX operation.
 *
 * While a guest's TraceEn=1 ptvisor single-steps it (RFLAGS.TF with #DB
 * intercepted, or the monitor trap flag where its exit is delivered) and each
 * step becomes packets (pt_emul_step.c) written to the guest's ToPA or
 * single-range output as guest-physical addresses (pt_emul_out.c).
 * Where nothing can be traced until a CR3 load (CR3 filtering, another
 * CR3) the guest runs natively instead (pt_emul_outside.c).
 *
 * Instructions ptvisor emulates (CPUID, I/O, ...) retire in the VMM: the skip
 * sets the pending single-step (BS) so the next entry exits at once and the
 * step is accounted like any other. Exceptions are intercepted while tracing
 * so their FUP/TIP name the faulting IP; for every event an execute
 * breakpoint catches its handler's first instruction (pt_emul_dr.c).
 * Differences from hardware (documented in README): instructions that read
 * RFLAGS other than PUSHF (e.g. SYSCALL, a task switch) see TF=1.
 */
#include "pt/emul/pt_emul_int.h"
#include "pt/emul/pt_emul_outside.h"
#include "pt/emul/pt_emul_cpl.h"
#include "pt/rtit.h"
#include "vmx/vpmu.h"
#include "lib/format.h"
#include "lib/string.h"
#include "log.h"

/* While tracing every exception exits so its event packets can be made, except #BP and #OF: INT3 and
   INTO deliver through the guest IDT like INT n and are caught at their handler. */
#define TRACE_EXC_BITMAP (0xffffffffu & ~(BIT(X86_VEC_BP) | BIT(X86_VEC_OF)))

enum pt_step_mech pt_step_mech = PT_STEP_TF;

const char *pt_step_mech_name(enum pt_step_mech m)
{
	return m == PT_STEP_MTF ? "monitor trap flag" : "RFLAGS.TF with #DB intercepted";
}

void pt_emul_init(struct vcpu *v, const struct pt_guest_config *c)
{
	struct pt_emul *e = &v->pt->emul;

	memset(e, 0, sizeof(*e));
	e->riplog = c->riplog;
	e->outside_on = c->outside;
	e->cpl_on = c->cpl;
	e->blk.enabled = !c->step_engine;
	e->blk.fork_on = c->fork;
	e->out.ept = v->mem.ept;
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

/* The block engine's code pages stay write-protected: the outside view keeps them so (pt_emul_cpl.c). */
static void stepping_disarm(struct vcpu *v, struct pt_emul *e)
{
	pt_emul_bp_disarm(e);
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

static void riplog_print(struct vcpu *v, struct pt_emul *e)
{
	if (!e->riplog)
		return;
	log_raw(LOG_ERR, "ptvisor: pt-riplog %s count=%lu fnv=%016lx first=%lx last=%lx\n", v->name, e->rip_count,
		e->rip_count ? e->rip_fnv : 0, e->rip_first, e->rip_last);
}

static void trace_off(struct vcpu *v, struct pt_emul *e, const char *why)
{
	/* The period's cost ends here, before ptvisor's own lines about it go out on the console. */
	uint64_t tsc = cpu_rdtsc() - e->st.tsc_at_enable, exits = v->stats.exits - e->st.exits_at_enable;

	if (!e->active)
		return;
	e->active = false;
	e->in_ctx = false;
	if (v->pt_stepping)
		stepping_disarm(v, e);
	pt_emul_block_off(v, e);
	pt_emul_outside_leave(v, v->pt);
	pt_emul_cpl_leave(v, v->pt);
	pr_info("guest %s: PT tracing stopped: %s (%lu bytes written, %lu dropped, %lu instructions stepped)\n",
		v->name, why, e->out.st.bytes, e->out.st.dropped, e->st.steps);
	/* Cost of this tracing period, for make bench (on Bochs the TSC counts instructions). */
	log_raw(LOG_INFO,
		"ptvisor: pt-stats %s steps=%lu traced=%lu exits=%lu tsc=%lu bytes=%lu outside=%lu outside_exits=%lu "
		"engine=%s blocks=%lu continued=%lu handed=%lu smc=%lu decoded=%lu rets=%lu forks=%lu cpl=%lu cpl_exits=%lu "
		"learned=%lu unlearned=%lu\n",
		v->name, e->st.steps, e->st.traced, exits, tsc, e->out.st.bytes - e->st.bytes_at_enable, e->st.outside,
		e->st.outside_exits, e->blk.enabled ? "block" : "step", e->blk.st.blocks, e->blk.st.continued,
		e->blk.st.handed, e->blk.st.smc, e->blk.st.decoded, e->blk.st.rets, e->blk.st.forks, e->st.cpl,
		e->st.cpl_exits, e->view.st.learned, e->view.st.unlearned);
	riplog_print(v, e);
}

/* Writes what this step produced; a STOP region or an error ends tracing as on hardware. */
void pt_emul_flush(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e)
{
	enum pt_out_result r;

	if (!e->stage_len)
		return;
	r = pt_out_write(&e->out, &pg->ctx, e->stage, e->stage_len);
	e->stage_len = 0;
	/* The guest reads its progress towards the next PSB (SDM 33.2.8.4 "IA32_RTIT_STATUS MSR"). */
	pg->ctx.status = (pg->ctx.status & ~RTIT_STATUS_BYTECNT) | ((uint64_t)pt_gen_byte_cnt(&e->gen) << 32);
	if (e->out.pmi) {
		e->out.pmi = false;
		vpmu_pmi(v, PERF_GLOBAL_STATUS_TOPA_PMI);
	}
	if (r == PT_OUT_STOPPED) {
		trace_off(v, e, "a ToPA STOP region filled (IA32_RTIT_STATUS.Stopped set)");
	} else if (r == PT_OUT_ERROR) {
		pr_warn("guest %s: PT output error at GPA 0x%lx: %s; IA32_RTIT_STATUS.Error set, trace stopped\n",
			v->name, e->out.error_gpa, e->out.error_what);
		trace_off(v, e, "operational error");
	}
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

/* The guest's #DB with `bits` in DR6, queued for the next entry as hardware would deliver it. */
static void queue_guest_db(uint64_t bits)
{
	pt_emul_dr6_report(bits);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | X86_VEC_DB);
}

/*
 * The guest's own #DB is due at ip: its TF trapped after an instruction (DR6.BS), or its breakpoints
 * matched (B0-B3). DR6 shows the conditions, the #DB is injected as hardware would deliver it, and,
 * as for every event, FUP/TIP go to the trace and the handler is caught.
 */
static void deliver_guest_db(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e, uint64_t ip, uint64_t bits)
{
	uint64_t handler;
	unsigned cpl;

	queue_guest_db(bits);
	e->have_prev = false;
	e->st.events++;
	if (!pt_emul_idt_gate(v, X86_VEC_DB, &handler, &cpl))
		return;
	pt_emul_event_packets(v, e, ip, handler, cpl);
	pt_emul_flush(v, pg, e);
	if (e->active && !v->pt_step_mtf)
		pt_emul_bp_arm(e, handler, false);
}

/* A step exit: a single step retired (#DB with BS, or MTF), or the handler breakpoint was reached. */
static void on_step(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e, uint64_t dr6)
{
	uint64_t ip = vcpu_lip();
	uint64_t guest_bits = pt_emul_guest_db_bits(e, dr6, ip);
	bool due = false;

	e->st.step_exits++;
	if (e->bp.armed && (dr6 & DR6_B(e->bp.slot)) && ip == e->bp.ip) {
		pt_emul_bp_disarm(e);
		/* Resume past the breakpoint, unless the guest's own at this IP must fault first. */
		if (!guest_bits)
			vmcs_writenat(GUEST_RFLAGS, vmcs_readnat(GUEST_RFLAGS) | RFLAGS_RF);
		if (e->have_prev)
			pt_emul_account(v, e, ip); /* the INT n that delivered to this handler */
		pt_emul_fix_event_frame(v, e);
	} else if (e->have_prev) {
		due = pt_emul_account(v, e, ip);
		/* A CPU that traps after SYSCALL reaches its target before the breakpoint there fires. */
		if (e->bp.armed && ip == e->bp.ip && !e->bp_frame) {
			pt_emul_bp_disarm(e);
			if (!guest_bits)
				vmcs_writenat(GUEST_RFLAGS, vmcs_readnat(GUEST_RFLAGS) | RFLAGS_RF);
		}
	}
	if (pt_emul_trace_stop_hit(pg, ip)) {
		pt_gen_stop(&e->gen, ip);
		pg->ctx.status |= RTIT_STATUS_STOPPED;
		pt_emul_flush(v, pg, e);
		trace_off(v, e, "TraceStop address range reached (IA32_RTIT_STATUS.Stopped set)");
		if (due || guest_bits) /* no longer traced: the guest's #DB goes to it as it is */
			queue_guest_db(guest_bits | (due ? DR6_BS : 0));
		return;
	}
	pt_emul_update_context(v, pg, e, ip);
	pt_emul_flush(v, pg, e);
	if (!e->active)
		return;
	if (due || guest_bits) {
		deliver_guest_db(v, pg, e, ip, guest_bits | (due ? DR6_BS : 0));
		return;
	}
	if (!e->in_ctx && !e->bp.armed && pt_emul_outside_wanted(pg)) {
		stepping_disarm(v, e);
		pt_emul_block_off(v, e);
		pt_emul_outside_enter(v, pg);
		return;
	}
	if (!e->in_ctx && !e->bp.armed && pt_emul_cpl_wanted(pg)) {
		stepping_disarm(v, e);
		if (pt_emul_cpl_enter(v, pg))
			return;
		stepping_arm(v, e);
	}
	if (!v->pt_step_mtf)
		vmcs_writenat(GUEST_RFLAGS, vmcs_readnat(GUEST_RFLAGS) | RFLAGS_TF);
	if (!pt_emul_decode_next(v, e, ip)) {
		char why[64];
		ptv_snprintf(why, sizeof(why), "cannot decode the instruction at 0x%lx", ip);
		trace_off(v, e, why);
		return;
	}
	pt_emul_block_try(v, pg, e, ip);
}

/* An exception in traced code: FUP(faulting IP) TIP(handler), then re-deliver it (SDM 33.4.2.4). */
static void on_exception(struct vcpu *v, struct pt_guest *pg, struct pt_emul *e, uint32_t info)
{
	unsigned vector = info & 0xff, cpl = 0;
	uint64_t ip = vcpu_lip(), handler = 0;

	e->st.events++;
	e->have_prev = false; /* the faulting instruction did not retire */
	bool have_handler = pt_emul_idt_gate(v, vector, &handler, &cpl);
	if (have_handler)
		pt_emul_event_packets(v, e, ip, handler, cpl);
	pt_emul_flush(v, pg, e);
	/* A #PF that exits leaves CR2 unwritten (SDM 27.1 "Architectural State before a VM Exit"):
	   the guest's handler must find the faulting address there. */
	if (vector == X86_VEC_PF)
		v->regs.cr2 = vmcs_readnat(EXIT_QUALIFICATION);
	/* An intercepted #DB left DR6 alone (SDM 27.1): the guest's conditions are in the qualification. */
	if (vector == X86_VEC_DB)
		pt_emul_dr6_report(vmcs_readnat(EXIT_QUALIFICATION) & (DR6_TRAP_BITS | DR6_BD | DR6_BS | DR6_BT));
	uint32_t inject = (info & (0xff | (7u << 8) | INTR_INFO_DELIVER_CODE)) | INTR_INFO_VALID;
	if (info & INTR_INFO_DELIVER_CODE)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read32(VM_EXIT_INTR_ERROR_CODE));
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, inject);
	if (e->active && have_handler && !v->pt_step_mtf)
		pt_emul_bp_arm(e, handler, info & INTR_INFO_DELIVER_CODE);
}

/*
 * ptvisor is about to inject an external interrupt (the virtual APIC): like hardware, the trace gets
 * FUP(the interrupted IP) TIP(the handler), and the handler is traced (SDM 33.4.2.4 "interrupts").
 */
void pt_emul_event_injected(struct vcpu *v, unsigned vector)
{
	struct pt_guest *pg = v->pt;
	struct pt_emul *e = &pg->emul;
	uint64_t ip = vcpu_lip(), handler;
	unsigned cpl;

	pt_emul_cpl_boundary(v);
	if (!v->pt_stepping || !e->active)
		return;
	pt_emul_block_leave(v, pg, e);
	/* A step still due for an instruction that retired in the VMM is accounted first. */
	if (!v->pt_step_mtf && (vmcs_readnat(GUEST_PENDING_DBG_EXCEPTIONS) & DR6_BS)) {
		if (e->have_prev)
			(void)pt_emul_account(v, e, ip); /* its own trap, if TF was set, yields to the interrupt */
		vmcs_writenat(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	}
	e->have_prev = false; /* the instruction at ip runs after the handler returns */
	if (!pt_emul_idt_gate(v, vector, &handler, &cpl))
		return;
	if (e->in_ctx)
		e->st.events++;
	pt_emul_event_packets(v, e, ip, handler, cpl);
	pt_emul_flush(v, pg, e);
	if (e->active && !v->pt_step_mtf)
		pt_emul_bp_arm(e, handler, false);
}

bool pt_emul_mtf(struct vcpu *v)
{
	if (!v->pt_stepping || !v->pt_step_mtf)
		return false;
	/* Same accounting as a TF single-step: the instruction (or event delivery) before this boundary. */
	on_step(v, v->pt, &v->pt->emul, DR6_BS);
	v->hide_exit_time = true;
	return true;
}

bool pt_emul_exception(struct vcpu *v, uint32_t info)
{
	struct pt_guest *pg = v->pt;
	struct pt_emul *e = &pg->emul;

	if (!v->pt_stepping && !e->bp.armed)
		return false;
	/* Stepping is ptvisor's work, not the guest's: its time stays out of the guest's clock (vcpu_time.h). */
	v->hide_exit_time = true;
	if (e->blk.on) {
		if ((info & 0xff) == X86_VEC_DB && pt_emul_block_db(v, pg, e, vmcs_readnat(EXIT_QUALIFICATION)))
			return true;
		pt_emul_block_leave(v, pg, e);
	}
	if ((info & 0xff) == X86_VEC_DB && !v->pt_step_mtf) {
		uint64_t dr6 = vmcs_readnat(EXIT_QUALIFICATION);
		if ((dr6 & DR6_BS) || (e->bp.armed && (dr6 & DR6_B(e->bp.slot)))) {
			on_step(v, pg, e, dr6);
			return true;
		}
	}
	on_exception(v, pg, e, info);
	return true;
}

void pt_emul_ctl_written(struct vcpu *v, struct pt_guest *pg, uint64_t old_ctl)
{
	struct pt_emul *e = &pg->emul;
	uint64_t ctl = pg->ctx.ctl;
	/* Tracing starts or ends at the instruction after the WRMSR. */
	uint64_t next = vcpu_lip() + vmcs_read32(VM_EXIT_INSTRUCTION_LEN);

	pt_emul_block_leave(v, pg, e);

	if ((old_ctl & RTIT_CTL_TRACEEN) && !(ctl & RTIT_CTL_TRACEEN)) {
		if (e->active && e->have_prev)
			(void)pt_emul_account(v, e, next); /* the WRMSR itself retired while traced */
		if (e->in_ctx)
			pt_gen_stop(&e->gen, next);
		/* The last packets go where the output was configured while tracing, not per the new CTL
		   (a write of 0 also clears ToPA). */
		pg->ctx.ctl = old_ctl;
		pt_emul_flush(v, pg, e);
		pg->ctx.ctl = ctl;
		e->st.disables++;
		trace_off(v, e, "TraceEn cleared by the guest");
		return;
	}
	if ((old_ctl & RTIT_CTL_TRACEEN) || !(ctl & RTIT_CTL_TRACEEN))
		return;
	e->st.enables++;
	e->st.steps = e->st.traced = e->st.outside = e->st.outside_exits = e->st.cpl = e->st.cpl_exits = 0;
	e->st.exits_at_enable = v->stats.exits;
	e->st.tsc_at_enable = cpu_rdtsc();
	e->st.bytes_at_enable = e->out.st.bytes;
	e->out.ept = v->mem.ept;
	e->out.maxphyaddr = pg->caps.maxphyaddr ? pg->caps.maxphyaddr : 36;
	if (pg->ctx.status & (RTIT_STATUS_ERROR | RTIT_STATUS_STOPPED)) {
		pr_info("guest %s: TraceEn set with IA32_RTIT_STATUS.%s set: no packets until it is cleared\n", v->name,
			(pg->ctx.status & RTIT_STATUS_ERROR) ? "Error" : "Stopped");
		return;
	}
	struct pt_gen_cfg cfg = gen_cfg(pg);
	pt_gen_init(&e->gen, &cfg, stage_emit, e);
	pt_emul_ranges_init(pg);
	e->active = true;
	e->have_prev = false;
	e->in_ctx = pt_emul_filters_pass(pg, next);
	uint32_t byte_cnt = (uint32_t)((pg->ctx.status & RTIT_STATUS_BYTECNT) >> 32);
	/* The ground truth covers one decodable trace: from the enable that starts with a PSB on. */
	if (byte_cnt == 0)
		e->rip_count = 0;
	/* Linux clears PacketByteCnt only on a trace's first start and keeps it across sched-out/in,
	   so later enables carry on without a PSB, as hardware does. */
	pt_gen_enable(&e->gen, &(struct pt_gen_enable){
				       .ip = next,
				       .mode = pt_emul_cpu_mode(v),
				       .cr3 = vmcs_readnat(GUEST_CR3),
				       .tsc = vcpu_guest_tsc(v),
				       .in_ctx = e->in_ctx,
				       .byte_cnt = byte_cnt,
			       });
	pt_emul_flush(v, pg, e);
	if (!e->active)
		return;
	if (!e->in_ctx && pt_emul_outside_wanted(pg))
		pt_emul_outside_enter(v, pg);
	else if (e->in_ctx || !pt_emul_cpl_wanted(pg) || !pt_emul_cpl_enter(v, pg))
		stepping_arm(v, e);
}

/*
 * The guest fetched code at a traced CPL under the outside view (pt_emul_cpl.c): nothing of the
 * excluded level before it was traced, so stepping starts here as a step exit at this IP would go on.
 */
void pt_emul_cpl_resume(struct vcpu *v, struct pt_guest *pg)
{
	struct pt_emul *e = &pg->emul;

	e->have_prev = false;
	/* The kernel may have remapped code natively (page tables, INVLPG): cached paths are used again only
	   where their pages still translate as they did, and translations are walked afresh. */
	pt_emul_block_kernel_ran(e);
	stepping_arm(v, e);
	on_step(v, pg, e, 0);
}

/*
 * A MOV to CR3 while the guest runs outside (pt_emul_outside.c): the step engine takes over at that
 * instruction, so the CR3 load is stepped and accounted as it would have been without the native run.
 */
bool pt_emul_cr3_load(struct vcpu *v)
{
	struct pt_guest *pg = v->pt;
	struct pt_emul *e = &pg->emul;

	if (!e->outside)
		return false;
	v->hide_exit_time = true;
	e->st.outside_exits++;
	pt_emul_outside_leave(v, pg);
	stepping_arm(v, e);
	if (!pt_emul_decode_next(v, e, vcpu_lip()))
		trace_off(v, e, "cannot decode the MOV to CR3");
	return true;
}

/*
 * Another guest's turn: a running block goes back to the step engine first. Its execute breakpoints,
 * switched out and back with the guest's debug registers, were seen to be missed in Bochs 2.7 after a
 * guest switch (the guest ran past a terminator unseen); stepping does not depend on them.
 */
void pt_emul_descheduled(struct vcpu *v)
{
	struct pt_emul *e = &v->pt->emul;

	if (e->blk.on)
		pt_emul_block_leave(v, v->pt, e);
}

void pt_emul_stopped(struct vcpu *v)
{
	struct pt_emul *e = &v->pt->emul;

	if (!e->active)
		return;
	pt_emul_block_leave(v, v->pt, e);
	pt_gen_flush(&e->gen);
	pt_emul_flush(v, v->pt, e);
	trace_off(v, e, "the guest stopped");
}
