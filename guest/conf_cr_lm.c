/*
 * Area "cr", IA-32e part: conf_lm.asm runs the probes in 64-bit and compatibility mode; this prints them.
 * Paging is 4-level over an identity map of the low 4 GiB (conf_paging.c).
 */
#include "conf.h"
#include "conf_cr.h"
#include "conf_paging.h"

#define NOT_RUN     (-2)
#define LM_PROBES   14
#define V_EFER_IN   0
#define V_CR8       1
#define V_TPR       2
#define V_EFER_OUT  3
#define V_CR4_PCIDE 4

struct lm_result {
	int32_t vector;
	uint32_t error;
};

extern struct lm_result conf_lm_results[LM_PROBES];
extern uint32_t conf_lm_values[8];
uint32_t conf_lm_trip(uint32_t pml4, uint32_t cr3_reserved_hi, uint32_t flags);
void conf_lm_idt_init(void);

/* In conf_lm.asm's order. */
static const char *const probe_names[LM_PROBES] = {
	"64-bit mode: clear CR0.PG",
	"64-bit mode: clear CR4.PAE",
	"64-bit mode: mov to CR3 with the bit at MAXPHYADDR",
	"64-bit mode: mov 5 to CR8",
	"64-bit mode: mov 0x10 to CR8 (reserved bit 4)",
	"64-bit mode: read of non-canonical 0x8000000000000000",
	"64-bit mode: clear EFER.LME with paging on",
	"64-bit mode: toggle CR4.LA57",
	"64-bit mode: set DR7 bit 32",
	"64-bit mode: set DR6 bit 32",
	"64-bit mode: set CR4.PCIDE with CR3[11:0]=1",
	"64-bit mode: set CR4.PCIDE with CR3[11:0]=0",
	"compatibility mode with CR4.PCIDE=1: clear CR0.PG",
	"compatibility mode: clear CR0.PG (leave IA-32e mode)",
};

static const struct conf_feature f_pcid = { "CPUID.1:ECX[17] (PCID)", CONF_BIT(1, 0, CPUID_ECX, 17), CONF_NONE };

static const char *lm_outcome(unsigned i)
{
	struct conf_event e = { .vector = conf_lm_results[i].vector < 0 ? FAULT_NONE : conf_lm_results[i].vector,
				.error = conf_lm_results[i].error };

	return conf_lm_results[i].vector == NOT_RUN ? "not run" : conf_vector(&e);
}

void conf_cr_long_mode(bool pcid)
{
	unsigned m = conf_cpuid_reg(0x80000008u, 0, CPUID_EAX) & 0xff;
	uint32_t pml4 = conf_lm_build();

	conf_lm_idt_init();
	conf_lm_trip(pml4, (uint32_t)BIT((m ? m : 36) - 32), pcid ? 1 : 0);
	conf_idt_restore();

	conf_verdict("PAE, EFER.LME, CR0.PG: EFER.LMA reads %u", (conf_lm_values[V_EFER_IN] >> 10) & 1);
	for (unsigned i = 0; i < LM_PROBES; i++) {
		if (i == 11 || i == 12) {
			/* These two need PCID: they run where CPUID says so, and "not run" agrees otherwise. */
			bool ok = pcid ? conf_lm_results[i].vector == (i == 11 ? -1 : VEC_GP)
				       : conf_lm_results[i].vector == NOT_RUN;

			conf_agree(probe_names[i], &f_pcid, ok, lm_outcome(i));
			continue;
		}
		conf_verdict("%s: %s", probe_names[i], lm_outcome(i));
	}
	conf_verdict("CR8 5 reads back %u, APIC TPR 0x%x", conf_lm_values[V_CR8], conf_lm_values[V_TPR]);
	conf_verdict("after leaving: EFER.LMA reads %u", (conf_lm_values[V_EFER_OUT] >> 10) & 1);
}
