/* Runs the guests: one CPU, round-robin time slices ended by the VMX-preemption timer. */
#ifndef PTV_SCHED_H
#define PTV_SCHED_H

#include "types.h"

/* Host CPU state guests rely on (FPU/SSE/XSAVE enabled so their state can be switched). */
void sched_init_cpu(void);
/* Runs until every guest has stopped; returns how many ended with status 0. */
unsigned sched_run(void);

#endif
