/* The guest's MTRRs as registers (see vmtrr.h): the SDM's layout and reserved-bit rules, no memory typing. */
#include "vmx/vmtrr.h"
#include "msr.h"

#define TYPE_WB        6
#define DEF_TYPE_RESET (MTRR_DEF_TYPE_E | TYPE_WB)
#define DEF_TYPE_BITS  (MTRR_DEF_TYPE_E | MTRR_DEF_TYPE_FE | 0xffULL)
#define FIXED_ALL_WB   0x0606060606060606ULL

/* UC, WC, WT, WP, WB; 2, 3 and 7 and above are reserved (SDM 12.11.2, Table 12-8). WC is in MTRRCAP. */
static bool type_valid(unsigned t)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static bool fixed_valid(uint64_t val)
{
	for (unsigned i = 0; i < 8; i++)
		if (!type_valid((val >> (8 * i)) & 0xff))
			return false;
	return true;
}

/* fixed[] index of a fixed-range MTRR, or -1. */
static int fixed_index(uint32_t msr)
{
	if (msr == MSR_IA32_MTRR_FIX64K_00000)
		return 0;
	if (msr == MSR_IA32_MTRR_FIX16K_80000 || msr == MSR_IA32_MTRR_FIX16K_A0000)
		return 1 + (int)(msr - MSR_IA32_MTRR_FIX16K_80000);
	if (msr >= MSR_IA32_MTRR_FIX4K_C0000 && msr <= MSR_IA32_MTRR_FIX4K_F8000)
		return 3 + (int)(msr - MSR_IA32_MTRR_FIX4K_C0000);
	return -1;
}

/* var[] index of IA32_MTRR_PHYSBASEn (even) / PHYSMASKn (odd), or -1. */
static int var_index(uint32_t msr)
{
	return msr - MSR_IA32_MTRR_PHYSBASE0 < 2 * VMTRR_VAR_RANGES ? (int)(msr - MSR_IA32_MTRR_PHYSBASE0) : -1;
}

void vmtrr_reset(struct vmtrr *m)
{
	m->def_type = DEF_TYPE_RESET;
	for (unsigned i = 0; i < VMTRR_FIXED; i++)
		m->fixed[i] = FIXED_ALL_WB;
	for (unsigned i = 0; i < 2 * VMTRR_VAR_RANGES; i++)
		m->var[i] = 0;
}

bool vmtrr_rdmsr(const struct vmtrr *m, uint32_t msr, uint64_t *val)
{
	int i;

	*val = 0;
	if (msr == MSR_IA32_MTRRCAP) {
		/* VCNT, fixed ranges, WC; no SMRR (SDM 12.11.1, Figure 12-5). */
		*val = VMTRR_VAR_RANGES | MTRRCAP_FIX | MTRRCAP_WC;
		return true;
	}
	if (msr == MSR_IA32_MTRR_DEF_TYPE) {
		*val = m->def_type;
		return true;
	}
	if ((i = fixed_index(msr)) >= 0) {
		*val = m->fixed[i];
		return true;
	}
	if ((i = var_index(msr)) >= 0) {
		*val = m->var[i];
		return true;
	}
	return false;
}

bool vmtrr_wrmsr(struct vmtrr *m, uint32_t msr, uint64_t val, unsigned maxphyaddr)
{
	uint64_t above = maxphyaddr < 64 ? ~0ULL << maxphyaddr : 0;
	int i;

	if (msr == MSR_IA32_MTRR_DEF_TYPE) {
		/* Bits 9:8 and 63:12 reserved (SDM 12.11.2.1, Figure 12-6). */
		if ((val & ~DEF_TYPE_BITS) || !type_valid(val & 0xff))
			return false;
		m->def_type = val;
		return true;
	}
	if ((i = fixed_index(msr)) >= 0) {
		if (!fixed_valid(val))
			return false;
		m->fixed[i] = val;
		return true;
	}
	if ((i = var_index(msr)) >= 0) {
		/* PHYSBASE: type in 7:0, 11:8 reserved; PHYSMASK: 10:0 reserved, V in 11 (SDM 12.11.2.3, Figure 12-7). */
		bool base = !(i & 1);
		uint64_t rsvd = above | (base ? GENMASK(11, 8) : GENMASK(10, 0));

		if ((val & rsvd) || (base && !type_valid(val & 0xff)))
			return false;
		m->var[i] = val;
		return true;
	}
	return false; /* IA32_MTRRCAP is read-only */
}
