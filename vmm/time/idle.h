/* The host CPU waiting for a time while every guest sleeps. */
#ifndef PTV_IDLE_H
#define PTV_IDLE_H

#include "types.h"

enum idle_mode {
	IDLE_SPIN, /* PAUSE in a loop reading the TSC */
};

extern enum idle_mode idle_mode;

/* Returns at or soon after host TSC `tsc`. */
void time_idle_until(uint64_t tsc);

#endif
