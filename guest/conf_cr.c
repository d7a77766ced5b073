/*
 * Area "cr": control-register transitions (SDM Vol. 3A 2.5 "Control Registers", Vol. 2B "MOV—Move to/from
 * Control Registers"): CR0 combinations that fault, CR4 bits settable exactly as CPUID enumerates them, PAE
 * PDPTE checks (4.4.1), IA-32e mode entry and exit (conf_lm.asm), XCR0 (conf_cr_xcr.c).
 */
#include "conf.h"
#include "conf_cr.h"
#include "conf_paging.h"
#include "cpu.h"
#include "msr.h"
#include "lib/format.h"

#define CR0_RSVD_17      BIT(17)
#define PDPTE_RSVD_1     BIT(1) /* R/W position: reserved in a PAE PDPTE (Table 4-8) */
#define CPUID_1_ECX_PCID 17

struct cr4_bit {
	unsigned bit;
	struct conf_feature f;
};

/* clang-format off */
static const struct cr4_bit cr4_bits[] = {
	{ 0,  { "CPUID.1:EDX[1] (VME)", CONF_BIT(1, 0, CPUID_EDX, 1), CONF_NONE } },
	{ 1,  { "CPUID.1:EDX[1] (VME: PVI)", CONF_BIT(1, 0, CPUID_EDX, 1), CONF_NONE } },
	{ 2,  { "CPUID.1:EDX[4] (TSC: TSD)", CONF_BIT(1, 0, CPUID_EDX, 4), CONF_NONE } },
	{ 3,  { "CPUID.1:EDX[2] (DE)", CONF_BIT(1, 0, CPUID_EDX, 2), CONF_NONE } },
	{ 4,  { "CPUID.1:EDX[3] (PSE)", CONF_BIT(1, 0, CPUID_EDX, 3), CONF_NONE } },
	{ 5,  { "CPUID.1:EDX[6] (PAE)", CONF_BIT(1, 0, CPUID_EDX, 6), CONF_NONE } },
	{ 6,  { "CPUID.1:EDX[7] (MCE)", CONF_BIT(1, 0, CPUID_EDX, 7), CONF_NONE } },
	{ 7,  { "CPUID.1:EDX[13] (PGE)", CONF_BIT(1, 0, CPUID_EDX, 13), CONF_NONE } },
	{ 9,  { "CPUID.1:EDX[24] (FXSR: OSFXSR)", CONF_BIT(1, 0, CPUID_EDX, 24), CONF_NONE } },
	{ 10, { "CPUID.1:EDX[25] (SSE: OSXMMEXCPT)", CONF_BIT(1, 0, CPUID_EDX, 25), CONF_NONE } },
	{ 11, { "CPUID.7.0:ECX[2] (UMIP)", CONF_BIT(7, 0, CPUID_ECX, 2), CONF_NONE } },
	{ 12, { "CPUID.7.0:ECX[16] (LA57)", CONF_BIT(7, 0, CPUID_ECX, 16), CONF_NONE } },
	{ 13, { "CPUID.1:ECX[5] (VMX)", CONF_BIT(1, 0, CPUID_ECX, 5), CONF_NONE } },
	{ 14, { "CPUID.1:ECX[6] (SMX)", CONF_BIT(1, 0, CPUID_ECX, 6), CONF_NONE } },
	{ 16, { "CPUID.7.0:EBX[0] (FSGSBASE)", CONF_BIT(7, 0, CPUID_EBX, 0), CONF_NONE } },
	{ 18, { "CPUID.1:ECX[26] (XSAVE: OSXSAVE)", CONF_BIT(1, 0, CPUID_ECX, 26), CONF_NONE } },
	{ 19, { "CPUID.7.0:ECX[23] (KL)", CONF_BIT(7, 0, CPUID_ECX, 23), CONF_NONE } },
	{ 20, { "CPUID.7.0:EBX[7] (SMEP)", CONF_BIT(7, 0, CPUID_EBX, 7), CONF_NONE } },
	{ 21, { "CPUID.7.0:EBX[20] (SMAP)", CONF_BIT(7, 0, CPUID_EBX, 20), CONF_NONE } },
	{ 22, { "CPUID.7.0:ECX[3] (PKU: PKE)", CONF_BIT(7, 0, CPUID_ECX, 3), CONF_NONE } },
	{ 23, { "CPUID.7.0:ECX[7] or EDX[20] (CET)", CONF_BIT(7, 0, CPUID_ECX, 7), CONF_BIT(7, 0, CPUID_EDX, 20) } },
	{ 24, { "CPUID.7.0:ECX[31] (PKS)", CONF_BIT(7, 0, CPUID_ECX, 31), CONF_NONE } },
	{ 25, { "CPUID.7.0:EDX[5] (UINTR)", CONF_BIT(7, 0, CPUID_EDX, 5), CONF_NONE } },
	{ 27, { "CPUID.7.1:EAX[6] (LASS)", CONF_BIT(7, 1, CPUID_EAX, 6), CONF_NONE } },
	{ 28, { "CPUID.7.1:EAX[26] (LAM)", CONF_BIT(7, 1, CPUID_EAX, 26), CONF_NONE } },
};
/* clang-format on */

static const unsigned cr4_reserved[] = { 15, 26, 29, 31 };

static struct conf_event cr0_write(uint32_t v)
{
	return CONF_PROBE("mov %0, %%cr0", : : "r"(v) : "memory");
}

static struct conf_event cr4_write(uint32_t v)
{
	return CONF_PROBE("mov %0, %%cr4", : : "r"(v) : "memory");
}

static void cr0_checks(void)
{
	uint32_t cr0 = cpu_read_cr0();
	struct conf_event e;

	e = cr0_write(cr0 | (uint32_t)CR0_RSVD_17);
	conf_verdict("CR0 reserved bit 17 set: %s, reads %u (SDM: ignored)", conf_vector(&e),
		     (cpu_read_cr0() & CR0_RSVD_17) ? 1 : 0);
	cpu_write_cr0(cr0);
	e = cr0_write(cr0 & ~(uint32_t)CR0_ET);
	conf_verdict("CR0.ET cleared: %s, reads %u (SDM: fixed 1)", conf_vector(&e), (cpu_read_cr0() & CR0_ET) ? 1 : 0);
	cpu_write_cr0(cr0);
	e = cr0_write((cr0 | (uint32_t)CR0_NW) & ~(uint32_t)CR0_CD);
	conf_verdict("CR0.NW=1 with CD=0: %s", conf_outcome(&e));
	e = cr0_write(cr0 | (uint32_t)(CR0_NW | CR0_CD));
	conf_verdict("CR0.NW=1 with CD=1: %s, reads CD=%u NW=%u", conf_outcome(&e), (cpu_read_cr0() & CR0_CD) ? 1 : 0,
		     (cpu_read_cr0() & CR0_NW) ? 1 : 0);
	cpu_write_cr0(cr0);
	e = cr0_write((cr0 | (uint32_t)CR0_PG) & ~(uint32_t)CR0_PE);
	conf_verdict("CR0.PG=1 with PE=0: %s", conf_outcome(&e));
	cpu_write_cr0(cr0);
}

static void cr4_checks(void)
{
	uint32_t cr0 = cpu_read_cr0(), cr4 = cpu_read_cr4();
	char what[64];

	for (unsigned i = 0; i < ARRAY_SIZE(cr4_bits); i++) {
		const struct cr4_bit *b = &cr4_bits[i];
		uint32_t bit = 1u << b->bit, after;
		struct conf_event e;
		bool ok;

		if (cr4 & bit)
			continue; /* set by the loader already: nothing to learn (and the same either way) */
		if (b->bit == 23)
			cpu_write_cr0(cr0 | (uint32_t)CR0_WP); /* CR4.CET=1 needs CR0.WP=1 */
		e = cr4_write(cr4 | bit);
		after = cpu_read_cr4();
		ok = conf_feature_present(&b->f) ? e.vector == FAULT_NONE && (after & bit)
						 : e.vector == VEC_GP && e.error == 0 && !(after & bit);
		ptv_snprintf(what, sizeof(what), "CR4 bit %u settable", b->bit);
		conf_agree(what, &b->f, ok, conf_vector(&e));
		cpu_write_cr4(cr4);
		cpu_write_cr0(cr0);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(cr4_reserved); i++) {
		struct conf_event e = cr4_write(cr4 | 1u << cr4_reserved[i]);

		conf_verdict("CR4 reserved bit %u set: %s", cr4_reserved[i], conf_outcome(&e));
		cpu_write_cr4(cr4);
	}
	{
		struct conf_event e = cr4_write(cr4 | (uint32_t)CR4_PCIDE);

		conf_verdict("CR4.PCIDE set outside IA-32e mode: %s", conf_outcome(&e));
		cpu_write_cr4(cr4);
	}
}

/* PAE paging loads the four PDPTEs with CR3 (and when PG is set); a reserved bit in one is #GP(0) (4.4.1). */
static void pae_pdpte_checks(void)
{
	uint32_t cr0 = cpu_read_cr0(), cr4 = cpu_read_cr4(), pdpt = conf_pae_build();
	struct conf_event e;

	cpu_write_cr4(cr4 | (uint32_t)CR4_PAE);
	asm volatile("mov %0, %%cr3" : : "r"(pdpt) : "memory");
	*conf_pae_pdpte(3) |= PDPTE_RSVD_1;
	e = cr0_write(cr0 | (uint32_t)CR0_PG);
	conf_verdict("CR0.PG=1 with a reserved bit in PDPTE 3: %s, PG reads %u", conf_outcome(&e),
		     (cpu_read_cr0() & CR0_PG) ? 1 : 0);
	cpu_write_cr0(cr0);
	*conf_pae_pdpte(3) &= ~PDPTE_RSVD_1;
	conf_paging_on(pdpt, true);
	*conf_pae_pdpte(3) |= PDPTE_RSVD_1;
	e = CONF_PROBE("mov %0, %%cr3", : : "r"(pdpt) : "memory");
	conf_verdict("PAE paging on, mov to CR3 with a reserved bit in PDPTE 3: %s", conf_outcome(&e));
	*conf_pae_pdpte(3) &= ~PDPTE_RSVD_1;
	conf_paging_off();
	cpu_write_cr4(cr4);
}

/* EFER.LME with CR4.PAE=0: setting PG must fault rather than enter IA-32e mode (10.8.5). */
static void lme_without_pae(void)
{
	uint32_t cr0 = cpu_read_cr0(), cr4 = cpu_read_cr4();
	uint64_t efer = cpu_rdmsr(MSR_IA32_EFER);
	struct conf_event e;

	asm volatile("mov %0, %%cr3" : : "r"(conf_pg32_build()) : "memory");
	cpu_write_cr4((cr4 | (uint32_t)CR4_PSE) & ~(uint32_t)CR4_PAE);
	cpu_wrmsr(MSR_IA32_EFER, efer | EFER_LME);
	e = cr0_write(cr0 | (uint32_t)CR0_PG);
	conf_verdict("CR0.PG=1 with EFER.LME=1 and CR4.PAE=0: %s, EFER.LMA reads %u", conf_outcome(&e),
		     (cpu_rdmsr(MSR_IA32_EFER) & EFER_LMA) ? 1 : 0);
	cpu_write_cr0(cr0);
	cpu_wrmsr(MSR_IA32_EFER, efer);
	cpu_write_cr4(cr4);
}

/* Two parts: IA-32e mode entry can stop a guest at once, and should not take the other checks with it. */
void conf_area_cr(void)
{
	if (conf_part("regs")) {
		cr0_checks();
		cr4_checks();
		conf_cr_debug();
		conf_cr_xcr();
		pae_pdpte_checks();
		lme_without_pae();
	}
	if (conf_part("lm"))
		conf_cr_long_mode(conf_cpuid_bit(1, 0, CPUID_ECX, CPUID_1_ECX_PCID));
}
