/* Runs the guests: one CPU, round-robin time slices ended by the VMX-preemption timer. */
#ifndef PTV_SCHED_H
#define PTV_SCHED_H

#include "types.h"

/* Runs until every guest has stopped; returns how many ended with status 0. */
unsigned sched_run(void);

#endif
