/* The host TSC's frequency, measured once at boot against the PIT, and the crystal clock guests are told of. */
#ifndef PTV_TSC_H
#define PTV_TSC_H

#include "types.h"

/* The crystal (core crystal clock, CPUID 15H:ECX) guests are given: 25 MHz, or the TSC itself below that. */
#define TSC_CRYSTAL_KHZ_MAX 25000u

/* The TSC in kHz as measured at boot; 0 when it could not be measured (guests then get no 15H/16H). */
extern uint32_t tsc_khz;

/* Measures the TSC against the PIT (channel 2, about 10 ms) and prints the figure. */
void tsc_init(void);

/* The crystal clock advertised for a TSC of `khz`: CPUID 15H says TSC = crystal * khz / crystal. */
static inline uint32_t tsc_crystal_khz_for(uint32_t khz)
{
	return khz < TSC_CRYSTAL_KHZ_MAX ? khz : TSC_CRYSTAL_KHZ_MAX;
}

#endif
