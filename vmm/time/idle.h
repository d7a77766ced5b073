/* The host CPU waiting for a time while every guest sleeps. */
#ifndef PTV_IDLE_H
#define PTV_IDLE_H

#include "types.h"

enum idle_mode {
	IDLE_HLT,  /* HLT, woken by the local APIC's TSC-deadline timer (spin where the CPU has none) */
	IDLE_SPIN, /* PAUSE in a loop reading the TSC */
};

extern enum idle_mode idle_mode;

/* Prepares the chosen mode once at boot (the host APIC for IDLE_HLT) and says which one is used. */
void idle_init(void);
/* Returns at or soon after host TSC `tsc`. */
void time_idle_until(uint64_t tsc);

#endif
