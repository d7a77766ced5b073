/* The Intel PT capabilities one guest sees: its CPUID leaf 14H and physical-address width. */
#ifndef PTV_PT_VCAPS_H
#define PTV_PT_VCAPS_H

#include "types.h"
#include "cpu.h"
#include "vmx/caps.h"

/*
 * leaf0/leaf1 are CPUID.(EAX=14H,ECX=0/1) as the guest reads them; `enabled`
 * is CPUID.(EAX=07H,ECX=0):EBX[25]. With enabled false the guest has no PT:
 * leaf 14H reads as zeros and every IA32_RTIT_* access #GPs.
 */
struct pt_vcaps {
	struct cpuid_regs leaf0, leaf1;
	uint8_t maxphyaddr;
	bool enabled;
	bool la57; /* the guest sees CPUID.7.0:ECX[16] LA57: linear addresses are 57-bit canonical */
};

/*
 * The emulated backend's documented set (SDM Vol. 2A, CPUID leaf 14H):
 * leaf0 EAX=1, EBX = CR3 filtering | configurable PSB and CYC | IP filtering,
 * ECX = ToPA | ToPA multiple entries | single-range output; leaf1 EAX = 2
 * address ranges, MTC bitmap 0 (MTC is not offered); EBX = cycle thresholds
 * 0x0001, PSB frequencies 0x003f.
 */
void pt_vcaps_emulated(struct pt_vcaps *c, uint8_t maxphyaddr);

/*
 * The hardware path's set: the host's leaf 14H restricted to what ptvisor
 * virtualizes, then to `spec`. spec is NULL or "all" (everything), "none"
 * (PT hidden), or a comma-separated list of features:
 *   cr3 psb ip mtc ptwrite power topa multi single ranges=N
 * (CPUID.14H.0:EBX bits 0-5, ECX bits 0-2, leaf 1 EAX[2:0]). Returns -1 and
 * prints why when spec names something unknown or the host lacks, or when no
 * output scheme is left; c is then disabled. CPUID.14H.0:ECX[31] (the IP
 * payload format) is always the host's: it cannot be virtualized.
 */
int pt_vcaps_from_host(struct pt_vcaps *c, const struct vmx_caps *host, const char *spec);

/* One line per guest: "PT for guest NAME: off" or the exposed leaf 14H and feature names. */
void pt_vcaps_print(const char *guest, const struct pt_vcaps *c);

/*
 * Applies the set to a CPUID answer: leaf 07H.0 EBX[25] = enabled; leaf 14H
 * subleaves 0 and 1 = leaf0/leaf1 (zero when disabled), other subleaves 0.
 */
void pt_vcaps_cpuid(const struct pt_vcaps *c, uint32_t leaf, uint32_t sub, struct cpuid_regs *r);

/*
 * The canonical width of the linear addresses in IA32_RTIT_ADDRn_A/B: 57 bits
 * where the guest is offered 5-level paging (CPUID.7.0:ECX[16], passed through
 * by guest_cpuid.c), whatever its CR4.LA57, else 48 (SDM Vol. 1, 3.3.7.1
 * "Canonical Addressing").
 */
static inline unsigned pt_vcaps_linear_bits(const struct pt_vcaps *c)
{
	return c->la57 ? 57 : 48;
}

/* Named facts of the set (all false when disabled). */
static inline bool pt_vcaps_has_ebx(const struct pt_vcaps *c, uint32_t bit)
{
	return c->enabled && (c->leaf0.ebx & bit);
}
static inline bool pt_vcaps_has_ecx(const struct pt_vcaps *c, uint32_t bit)
{
	return c->enabled && (c->leaf0.ecx & bit);
}
static inline unsigned pt_vcaps_ranges(const struct pt_vcaps *c)
{
	return c->enabled ? (c->leaf1.eax & 0x7) : 0;
}
/* An output scheme exists: IA32_RTIT_OUTPUT_BASE/MASK_PTRS are implemented. */
static inline bool pt_vcaps_has_output(const struct pt_vcaps *c)
{
	return pt_vcaps_has_ecx(c, CPUID_14_0_ECX_TOPA) || pt_vcaps_has_ecx(c, CPUID_14_0_ECX_SINGLE_RANGE);
}

#endif
