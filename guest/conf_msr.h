/* Area "msr": the table of MSRs and their CPUID features (conf_msr.c), and the architectural MSRs checked by hand. */
#ifndef GUEST_CONF_MSR_H
#define GUEST_CONF_MSR_H

#include "conf.h"

#define MSR_READ        BIT(0) /* RDMSR works with the feature */
#define MSR_WRITE       BIT(1) /* `value` is written and must read back */
#define MSR_READ_ONLY   BIT(2) /* WRMSR of the value read is #GP */
#define MSR_WRITE_ONLY  BIT(3) /* RDMSR is #GP even with the feature; `value` is written */
#define MSR_ABSENT_ONLY BIT(4) /* only "without the feature, #GP" is checked (the reference lacks the MSR) */

struct msr_case {
	const char *name;
	uint32_t msr;
	const struct conf_feature *feature;
	uint32_t flags;
	uint64_t value;
	uint64_t reserved; /* bits ORed into the value read for a write that must be #GP(0) */
};

/* IA32_MISC_ENABLE, IA32_FEATURE_CONTROL, IA32_DEBUGCTL, IA32_EFER and unimplemented indices. */
void conf_msr_arch(void);
/* The PMU's MSRs and RDPMC, where IA32_PMC0 can be read (conf_msr_pmu.c). */
void conf_msr_pmu(void);

#endif
