/*
 * Host tracing: ptvisor traces itself into a ToPA buffer of its own (SDM
 * 33.2.7.2 "Table of Physical Addresses (ToPA)"), with IA32_RTIT_CTL and the
 * VMX controls chosen by the pt_mode in force.
 */
#include "pt/pt_host.h"
#include "pt/rtit.h"
#include "mem/frame.h"
#include "mem/phys.h"
#include "lib/string.h"
#include "log.h"

int pt_topa_build(uint64_t *table, paddr_t table_pa, paddr_t region, unsigned size_code, bool stop_when_full)
{
	/* A region is naturally aligned to its size; the table to 4K (SDM 33.2.7.2). */
	if (size_code > TOPA_SIZE_MAX || !IS_ALIGNED(region, PAGE_SIZE << size_code) ||
	    !IS_ALIGNED(table_pa, PAGE_SIZE))
		return -1;
	table[0] = (region & TOPA_BASE_MASK) | ((uint64_t)size_code << TOPA_SIZE_SHIFT) | TOPA_INT |
		   (stop_when_full ? TOPA_STOP : 0);
	table[1] = (table_pa & TOPA_BASE_MASK) | TOPA_END;
	return 0;
}

int pt_host_buf_alloc(struct pt_host_buf *b, unsigned size_code, bool stop_when_full)
{
	uint64_t pages = 1ULL << size_code;
	uint64_t *t;

	*b = (struct pt_host_buf){ .size_code = size_code, .stop_when_full = stop_when_full };
	if (size_code > TOPA_SIZE_MAX)
		return -1;
	b->table = frame_alloc();
	b->region = frame_alloc_contig(pages, pages);
	t = b->table ? phys_map(b->table, PAGE_SIZE) : NULL;
	if (!t || !b->region) {
		if (b->table)
			frame_free(b->table);
		if (b->region)
			frame_free_contig(b->region, pages);
		*b = (struct pt_host_buf){ 0 };
		pr_err("PT: no memory for a %lu KiB host trace buffer\n", (PAGE_SIZE << size_code) >> 10);
		return -1;
	}
	memset(t, 0, PAGE_SIZE);
	return pt_topa_build(t, b->table, b->region, size_code, stop_when_full);
}

uint64_t pt_host_ctl(enum pt_mode mode)
{
	uint64_t ctl = RTIT_CTL_TRACEEN | RTIT_CTL_TOPA | RTIT_CTL_BRANCHEN | RTIT_CTL_TSCEN | RTIT_CTL_OS;

	return mode == PT_MODE_SYSTEM ? ctl | RTIT_CTL_USER : ctl;
}

void pt_vmx_bits(const struct pt_decision *d, const struct vmx_caps *c, struct pt_vmx_bits *out)
{
	bool hw_guests = d->mode == PT_MODE_HOST_GUEST && d->guest_backend == PT_BACKEND_HW && pt_guest_hw_possible(c);

	*out = (struct pt_vmx_bits){ 0 };
	/* Concealed for the host's trace, and always for a guest's own (pt_policy.c: required). */
	if (((d->host_trace && d->mode != PT_MODE_SYSTEM) || hw_guests) && vmx_caps_has_conceal_pt(c)) {
		out->cpu2 |= CPU2_CONCEAL_VMX_FROM_PT;
		out->exit |= EXIT_CONCEAL_VMX_FROM_PT;
		out->entry |= ENTRY_CONCEAL_VMX_FROM_PT;
	}
	if (hw_guests) {
		out->cpu2 |= CPU2_PT_USE_GPA;
		out->exit |= EXIT_CLEAR_RTIT_CTL;
		out->entry |= ENTRY_LOAD_RTIT_CTL;
	}
}

uint64_t pt_host_buf_used(const struct pt_host_buf *b, const struct pt_hw_cpu *cpu)
{
	uint64_t off = cpu->host_mask >> RTIT_MASK_PTRS_OFFSET_SHIFT;

	if (!b->region)
		return 0;
	if (cpu->host_status & RTIT_STATUS_STOPPED)
		return pt_host_buf_size(b);
	return MIN(off, pt_host_buf_size(b));
}
