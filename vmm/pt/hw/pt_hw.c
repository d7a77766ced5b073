/*
 * The hardware path's RTIT MSR switching (SDM 33.5.2 "Managing Trace Packet
 * Generation Across VMX Transitions"). IA32_RTIT_CTL of a guest lives
 * in the VMCS (GUEST_IA32_RTIT_CTL, loaded by "load IA32_RTIT_CTL", saved on
 * every exit, cleared by "clear IA32_RTIT_CTL"); the other RTIT MSRs are
 * switched by software, lazily: nothing moves while the guest is not tracing,
 * and nothing moves either while it traces alone on this CPU. Only a tracing
 * VMM (pt_mode=host, or host-guest with host tracing) forces work on every
 * exit, in the order SDM 33.2.8.1 "General Considerations" requires: TraceEn off before any other RTIT
 * MSR is written, TraceEn on after all of them.
 */
#include "pt/hw/pt_hw.h"
#include "pt/rtit.h"
#include "vmx/vmcs_ops.h"
#include "msr.h"

static uint64_t hw_rd(struct pt_hw_cpu *cpu, uint32_t msr)
{
	uint64_t v = 0;

	cpu->accesses++;
	(void)cpu_rdmsr_safe(msr, &v);
	return v;
}

static bool hw_wr(struct pt_hw_cpu *cpu, uint32_t msr, uint64_t v)
{
	cpu->accesses++;
	if (cpu_wrmsr_safe(msr, v))
		return true;
	pr_err("PT: WRMSR 0x%x <- 0x%lx faulted\n", msr, v);
	return false;
}

void pt_hw_cpu_init(struct pt_hw_cpu *cpu, enum pt_mode mode, bool host_trace, uint64_t host_ctl)
{
	*cpu = (struct pt_hw_cpu){
		.mode = mode, .host_trace = host_trace, .host_ctl = host_ctl, .host_mask = RTIT_MASK_PTRS_LOWER
	};
}

int pt_hw_host_start(struct pt_hw_cpu *cpu, paddr_t topa_pa)
{
	if (!cpu->host_trace)
		return -1;
	if (cpu->traceen)
		hw_wr(cpu, MSR_IA32_RTIT_CTL, 0);
	cpu->host_base = topa_pa;
	cpu->host_mask = RTIT_MASK_PTRS_LOWER; /* table entry 0, offset 0 (SDM 33.2.8.8) */
	cpu->host_status = 0;
	/* TraceEn only over outputs that are ours: never over whatever the MSRs held before. */
	if (!hw_wr(cpu, MSR_IA32_RTIT_OUTPUT_BASE, cpu->host_base) ||
	    !hw_wr(cpu, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, cpu->host_mask) || !hw_wr(cpu, MSR_IA32_RTIT_STATUS, 0))
		return -1;
	cpu->outputs = NULL;
	if (!hw_wr(cpu, MSR_IA32_RTIT_CTL, cpu->host_ctl))
		return -1;
	cpu->traceen = cpu->host_ctl & RTIT_CTL_TRACEEN;
	return 0;
}

void pt_hw_host_stop(struct pt_hw_cpu *cpu)
{
	if (!cpu->host_trace)
		return;
	hw_wr(cpu, MSR_IA32_RTIT_CTL, 0);
	cpu->traceen = false;
	if (cpu->outputs)
		return; /* a guest's outputs are loaded: the host's are saved already */
	cpu->host_base = hw_rd(cpu, MSR_IA32_RTIT_OUTPUT_BASE);
	cpu->host_mask = hw_rd(cpu, MSR_IA32_RTIT_OUTPUT_MASK_PTRS);
	cpu->host_status = hw_rd(cpu, MSR_IA32_RTIT_STATUS);
}

void pt_hw_host_resume(struct pt_hw_cpu *cpu)
{
	if (!cpu->host_trace || cpu->traceen || cpu->outputs)
		return;
	hw_wr(cpu, MSR_IA32_RTIT_CTL, cpu->host_ctl);
	cpu->traceen = cpu->host_ctl & RTIT_CTL_TRACEEN;
}

void pt_hw_guest_init(struct pt_guest *g, enum pt_backend backend, const struct pt_vcaps *caps)
{
	*g = (struct pt_guest){ .backend = backend, .caps = *caps };
	pt_vctx_reset(&g->ctx);
}

/* The VMM's own trace is off while guests run in host and host-guest modes. */
static bool host_stops_at_entry(const struct pt_hw_cpu *cpu)
{
	return cpu->host_trace && cpu->mode != PT_MODE_SYSTEM;
}

static bool guest_tracing(const struct pt_guest *g)
{
	return g && g->backend == PT_BACKEND_HW && (g->ctx.ctl & RTIT_CTL_TRACEEN);
}

/* Saves whoever holds the output MSRs (they advance while tracing) and loads g's. */
static void outputs_switch(struct pt_hw_cpu *cpu, struct pt_guest *g)
{
	struct pt_guest *old = cpu->outputs;
	uint64_t base = hw_rd(cpu, MSR_IA32_RTIT_OUTPUT_BASE);
	uint64_t mask = hw_rd(cpu, MSR_IA32_RTIT_OUTPUT_MASK_PTRS);
	uint64_t status = hw_rd(cpu, MSR_IA32_RTIT_STATUS);

	if (old) {
		old->ctx.output_base = base, old->ctx.output_mask_ptrs = mask, old->ctx.status = status;
	} else {
		cpu->host_base = base, cpu->host_mask = mask, cpu->host_status = status;
	}
	if (g) {
		hw_wr(cpu, MSR_IA32_RTIT_OUTPUT_BASE, g->ctx.output_base);
		hw_wr(cpu, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, g->ctx.output_mask_ptrs);
		hw_wr(cpu, MSR_IA32_RTIT_STATUS, g->ctx.status);
	} else {
		hw_wr(cpu, MSR_IA32_RTIT_OUTPUT_BASE, cpu->host_base);
		hw_wr(cpu, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, cpu->host_mask);
		hw_wr(cpu, MSR_IA32_RTIT_STATUS, cpu->host_status);
	}
	cpu->outputs = g;
}

/* The filters never change under the CPU: loading g's is enough, nothing is saved. */
static void filters_load(struct pt_hw_cpu *cpu, struct pt_guest *g)
{
	if (pt_vcaps_has_ebx(&g->caps, CPUID_14_0_EBX_CR3_FILTER))
		hw_wr(cpu, MSR_IA32_RTIT_CR3_MATCH, g->ctx.cr3_match);
	for (unsigned n = 0; n < pt_vcaps_ranges(&g->caps) && n < PT_ADDR_RANGES_MAX; n++) {
		hw_wr(cpu, MSR_IA32_RTIT_ADDRn_A(n), g->ctx.addr_a[n]);
		hw_wr(cpu, MSR_IA32_RTIT_ADDRn_B(n), g->ctx.addr_b[n]);
	}
	cpu->filters = g;
}

int pt_hw_before_entry(struct pt_hw_cpu *cpu, struct pt_guest *g, bool load_rtit, struct vcpu_stats *st)
{
	uint64_t n;

	if (host_stops_at_entry(cpu) && cpu->traceen) {
		hw_wr(cpu, MSR_IA32_RTIT_CTL, 0);
		cpu->traceen = false;
	}
	if (guest_tracing(g) && !cpu->traceen) {
		if (cpu->outputs != g)
			outputs_switch(cpu, g);
		if (cpu->filters != g)
			filters_load(cpu, g);
	}
	n = cpu->accesses - cpu->window_start;
	cpu->window_start = cpu->accesses;
	if (st) {
		st->rtit_msr_accesses += n;
		st->rtit_msr_last_exit = n;
		st->rtit_exits_with_access += n != 0;
	}
	/* The invariant KVM lost (CVE-2024-53135): never "load IA32_RTIT_CTL" over TraceEn=1. */
	return (load_rtit && cpu->traceen) ? -1 : 0;
}

void pt_hw_after_exit(struct pt_hw_cpu *cpu, struct pt_guest *g)
{
	cpu->window_start = cpu->accesses;
	if (g && g->backend == PT_BACKEND_HW) {
		g->ctx.ctl = vmcs_read64(GUEST_IA32_RTIT_CTL);
		g->traced_exits += (g->ctx.ctl & RTIT_CTL_TRACEEN) != 0;
	}
	if (!host_stops_at_entry(cpu))
		return;
	if (cpu->outputs)
		outputs_switch(cpu, NULL);
	hw_wr(cpu, MSR_IA32_RTIT_CTL, cpu->host_ctl);
	cpu->traceen = cpu->host_ctl & RTIT_CTL_TRACEEN;
}

static uint64_t *output_slot(struct pt_guest *g, uint32_t msr)
{
	switch (msr) {
	case MSR_IA32_RTIT_OUTPUT_BASE:
		return &g->ctx.output_base;
	case MSR_IA32_RTIT_OUTPUT_MASK_PTRS:
		return &g->ctx.output_mask_ptrs;
	case MSR_IA32_RTIT_STATUS:
		return &g->ctx.status;
	default:
		return NULL;
	}
}

bool pt_hw_rdmsr(struct pt_hw_cpu *cpu, struct pt_guest *g, uint32_t msr, uint64_t *val)
{
	uint64_t *slot = output_slot(g, msr);

	/* The CPU advances the outputs of the guest that holds them. */
	if (slot && cpu->outputs == g && rtit_read(&g->ctx, &g->caps, msr, val) == RTIT_OK)
		*slot = hw_rd(cpu, msr);
	return rtit_read(&g->ctx, &g->caps, msr, val) == RTIT_OK;
}

bool pt_hw_wrmsr(struct pt_hw_cpu *cpu, struct pt_guest *g, uint32_t msr, uint64_t val)
{
	uint64_t *slot = output_slot(g, msr);
	uint64_t stored;

	if (rtit_write(&g->ctx, &g->caps, msr, val) != RTIT_OK)
		return false;
	if (msr == MSR_IA32_RTIT_CTL) {
		vmcs_write64(GUEST_IA32_RTIT_CTL, g->ctx.ctl);
		return true;
	}
	(void)rtit_read(&g->ctx, &g->caps, msr, &stored);
	if (slot) {
		if (cpu->outputs == g)
			hw_wr(cpu, msr, stored); /* CTL was cleared by the exit: writable */
	} else if (cpu->filters == g) {
		if (cpu->traceen)
			cpu->filters = NULL; /* host tracing: reload at the next entry */
		else
			hw_wr(cpu, msr, stored);
	}
	return true;
}

void pt_hw_guest_error(struct pt_hw_cpu *cpu, struct pt_guest *g)
{
	g->ctx.status |= RTIT_STATUS_ERROR;
	if (cpu->outputs == g && !cpu->traceen)
		hw_wr(cpu, MSR_IA32_RTIT_STATUS, g->ctx.status);
}

void pt_hw_guest_release(struct pt_hw_cpu *cpu, struct pt_guest *g)
{
	if (cpu->outputs == g) {
		if (!cpu->traceen && cpu->host_trace)
			outputs_switch(cpu, NULL);
		else
			cpu->outputs = NULL;
	}
	if (cpu->filters == g)
		cpu->filters = NULL;
}
