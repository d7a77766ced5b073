/* Idling until a TSC value: the wait the scheduler makes when every guest sleeps in HLT. */
#include "time/idle.h"
#include "cpu.h"

enum idle_mode idle_mode = IDLE_SPIN;

void time_idle_until(uint64_t tsc)
{
	while (cpu_rdtsc() < tsc)
		cpu_pause();
}
