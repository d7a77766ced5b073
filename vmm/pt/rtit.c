/*
 * Virtual IA32_RTIT_* MSRs: which exist for a capability set and what a
 * WRMSR may change (SDM 33.2.8 "Trace Configuration MSRs"). "Any MSR write
 * that attempts to change bits marked reserved, or utilize encodings marked
 * reserved, will cause a #GP fault", and while TraceEn=1 every MSR but
 * IA32_RTIT_CTL is read-only to software (SDM 33.2.8.1 "General Considerations").
 */
#include "pt/rtit.h"

bool rtit_is_rtit_msr(uint32_t msr)
{
	return (msr >= MSR_IA32_RTIT_OUTPUT_BASE && msr <= MSR_IA32_RTIT_OUTPUT_MASK_PTRS) ||
	       (msr >= MSR_IA32_RTIT_CTL && msr <= MSR_IA32_RTIT_CR3_MATCH) ||
	       (msr >= MSR_IA32_RTIT_ADDR0_A && msr <= MSR_IA32_RTIT_ADDR3_B);
}

/* The slot holding msr's value, or NULL when the capabilities do not implement it. */
static uint64_t *rtit_slot(struct pt_vctx *x, const struct pt_vcaps *c, uint32_t msr)
{
	unsigned n;

	if (!c->enabled)
		return NULL;
	switch (msr) {
	case MSR_IA32_RTIT_CTL:
		return &x->ctl;
	case MSR_IA32_RTIT_STATUS:
		return &x->status;
	case MSR_IA32_RTIT_OUTPUT_BASE:
		return pt_vcaps_has_output(c) ? &x->output_base : NULL;
	case MSR_IA32_RTIT_OUTPUT_MASK_PTRS:
		return pt_vcaps_has_output(c) ? &x->output_mask_ptrs : NULL;
	case MSR_IA32_RTIT_CR3_MATCH:
		return pt_vcaps_has_ebx(c, CPUID_14_0_EBX_CR3_FILTER) ? &x->cr3_match : NULL;
	default:
		if (msr < MSR_IA32_RTIT_ADDR0_A || msr > MSR_IA32_RTIT_ADDR3_B)
			return NULL;
		n = (msr - MSR_IA32_RTIT_ADDR0_A) / 2;
		if (n >= pt_vcaps_ranges(c))
			return NULL;
		return (msr & 1) ? &x->addr_b[n] : &x->addr_a[n];
	}
}

enum rtit_result rtit_read(const struct pt_vctx *x, const struct pt_vcaps *c, uint32_t msr, uint64_t *val)
{
	/* rtit_slot only computes an address; nothing is written through it here. */
	const uint64_t *slot = rtit_slot((struct pt_vctx *)x, c, msr);

	*val = 0;
	if (!slot)
		return RTIT_GP;
	*val = *slot;
	return RTIT_OK;
}

/* Canonical in `bits`: bits 63:bits-1 all equal (SDM Vol. 1, 3.3.7.1 "Canonical Addressing"). */
static bool rtit_canonical(uint64_t a, unsigned bits)
{
	return (uint64_t)((int64_t)(a << (64 - bits)) >> (64 - bits)) == a;
}

/* The value to store for a write to an MSR other than IA32_RTIT_CTL; RTIT_GP if refused. */
static enum rtit_result rtit_check_other(const struct pt_vcaps *c, uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case MSR_IA32_RTIT_STATUS:
		return (*val & ~RTIT_STATUS_WRITABLE) ? RTIT_GP : RTIT_OK;
	case MSR_IA32_RTIT_OUTPUT_BASE:
		if (*val & RTIT_OUTPUT_BASE_RESERVED)
			return RTIT_GP;
		return (c->maxphyaddr < 64 && (*val >> c->maxphyaddr)) ? RTIT_GP : RTIT_OK;
	case MSR_IA32_RTIT_OUTPUT_MASK_PTRS:
		*val |= RTIT_MASK_PTRS_LOWER; /* forced to 1, writes ignored (SDM 33.2.8.8) */
		return RTIT_OK;
	case MSR_IA32_RTIT_CR3_MATCH:
		return (*val & RTIT_CR3_MATCH_RESERVED) ? RTIT_GP : RTIT_OK;
	default:
		/* ADDRn_A/B hold linear addresses and must be canonical (SDM 33.2.8.5 "IA32_RTIT_ADDRn_A and
		 * IA32_RTIT_ADDRn_B MSRs"). */
		return rtit_canonical(*val, pt_vcaps_linear_bits(c)) ? RTIT_OK : RTIT_GP;
	}
}

enum rtit_result rtit_write(struct pt_vctx *x, const struct pt_vcaps *c, uint32_t msr, uint64_t val)
{
	uint64_t *slot = rtit_slot(x, c, msr);

	if (!slot)
		return RTIT_GP;
	if (msr == MSR_IA32_RTIT_CTL) {
		if (rtit_ctl_check(x->ctl, c, val) != RTIT_OK)
			return RTIT_GP;
		x->ctl = val;
		return RTIT_OK;
	}
	if ((x->ctl & RTIT_CTL_TRACEEN) || rtit_check_other(c, msr, &val) != RTIT_OK)
		return RTIT_GP;
	*slot = val;
	return RTIT_OK;
}
