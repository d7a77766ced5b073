/* The IA32_RTIT_CTL write rules for the capabilities a guest sees (SDM 33.2.8.2 "IA32_RTIT_CTL MSR"). */
#include "pt/rtit.h"

uint64_t rtit_ctl_writable(const struct pt_vcaps *c)
{
	uint64_t ok;

	if (!c->enabled)
		return 0;
	/* Always implemented with Intel PT (SDM 33.2.8.2). */
	ok = RTIT_CTL_TRACEEN | RTIT_CTL_OS | RTIT_CTL_USER | RTIT_CTL_TSCEN | RTIT_CTL_DISRETC | RTIT_CTL_BRANCHEN;
	if (pt_vcaps_has_ebx(c, CPUID_14_0_EBX_CR3_FILTER))
		ok |= RTIT_CTL_CR3FILTER;
	if (pt_vcaps_has_ebx(c, CPUID_14_0_EBX_PSB_CYC))
		ok |= RTIT_CTL_CYCEN | RTIT_CTL_CYCTHRESH | RTIT_CTL_PSBFREQ;
	if (pt_vcaps_has_ebx(c, CPUID_14_0_EBX_MTC))
		ok |= RTIT_CTL_MTCEN | RTIT_CTL_MTCFREQ;
	if (pt_vcaps_has_ebx(c, CPUID_14_0_EBX_PTWRITE))
		ok |= RTIT_CTL_PTWEN | RTIT_CTL_FUPONPTW;
	if (pt_vcaps_has_ebx(c, CPUID_14_0_EBX_POWER_EVENT))
		ok |= RTIT_CTL_PWREVTEN;
	if (pt_vcaps_has_ecx(c, CPUID_14_0_ECX_TOPA))
		ok |= RTIT_CTL_TOPA;
	/* FabricEn stays reserved (#GP) for guests: pt_vcaps never offers trace transport output. */
	for (unsigned n = 0; n < pt_vcaps_ranges(c) && n < PT_ADDR_RANGES_MAX; n++)
		ok |= RTIT_CTL_ADDR_CFG(n);
	return ok;
}

/* An encoding is allowed when its bit is set in the CPUID bitmap (SDM Vol. 2A, leaf 14H.1). */
static bool rtit_encoding_ok(uint64_t val, uint64_t field, unsigned shift, uint32_t bitmap)
{
	unsigned enc = (unsigned)((val & field) >> shift);

	return bitmap & (1u << enc);
}

enum rtit_result rtit_ctl_check(uint64_t cur, const struct pt_vcaps *c, uint64_t val)
{
	if (val & ~rtit_ctl_writable(c))
		return RTIT_GP;
	/* While TraceEn=1 the only change allowed is a write that also clears TraceEn; the
	 * same value may be written back (SDM 33.2.8.1). */
	if ((cur & RTIT_CTL_TRACEEN) && (val & RTIT_CTL_TRACEEN) && val != cur)
		return RTIT_GP;
	/* Single-range output is used when ToPA and FabricEn are both 0 (SDM 33.2.8.2 ToPA). */
	if ((val & RTIT_CTL_TRACEEN) && !(val & RTIT_CTL_TOPA) && !pt_vcaps_has_ecx(c, CPUID_14_0_ECX_SINGLE_RANGE))
		return RTIT_GP;
	if (pt_vcaps_has_ebx(c, CPUID_14_0_EBX_MTC) &&
	    !rtit_encoding_ok(val, RTIT_CTL_MTCFREQ, RTIT_CTL_MTCFREQ_SHIFT, c->leaf1.eax >> 16))
		return RTIT_GP;
	if (pt_vcaps_has_ebx(c, CPUID_14_0_EBX_PSB_CYC) &&
	    (!rtit_encoding_ok(val, RTIT_CTL_CYCTHRESH, RTIT_CTL_CYCTHRESH_SHIFT, c->leaf1.ebx & 0xffff) ||
	     !rtit_encoding_ok(val, RTIT_CTL_PSBFREQ, RTIT_CTL_PSBFREQ_SHIFT, c->leaf1.ebx >> 16)))
		return RTIT_GP;
	/* ADDRn_CFG: 0 off, 1 filter, 2 TraceStop; other encodings reserved (SDM 33.2.8.2). */
	for (unsigned n = 0; n < pt_vcaps_ranges(c) && n < PT_ADDR_RANGES_MAX; n++)
		if (((val & RTIT_CTL_ADDR_CFG(n)) >> RTIT_CTL_ADDR_CFG_SHIFT(n)) > 2)
			return RTIT_GP;
	return RTIT_OK;
}
