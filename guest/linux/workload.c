/*
 * The program traced inside the Linux test image: 40 calls among alpha, beta, zeta and delta (not
 * gamma: the C library has one), chosen by a linear congruential generator from a fixed seed, so the
 * order is known before the run and a decoded Intel PT trace can be compared with it. Prints the
 * order it ran as one line (an argument replaces the seed):
 *   workload: calls alpha delta ...
 * Built static (no loader, no libraries in the trace) and with -fno-inline; the functions are noinline
 * and have side effects, so each one stays a real CALL that a PT decode shows by name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCALLS       40
#define DEFAULT_SEED 0x5eed1234u

static volatile uint32_t sink;

__attribute__((noinline)) void alpha(uint32_t x)
{
	sink += x;
}
__attribute__((noinline)) void beta(uint32_t x)
{
	sink ^= x;
}
__attribute__((noinline)) void zeta(uint32_t x)
{
	sink = sink * 3 + x;
}
__attribute__((noinline)) void delta(uint32_t x)
{
	sink -= x >> 1;
}

static const struct {
	const char *name;
	void (*fn)(uint32_t);
} funcs[] = { { "alpha", alpha }, { "beta", beta }, { "zeta", zeta }, { "delta", delta } };

int main(int argc, char **argv)
{
	uint32_t state = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : DEFAULT_SEED;
	unsigned order[NCALLS];

	/* `workload tsc`: the time stamp counter, for /init to say how far the boot got (in Bochs it
	 * counts instructions since reset). */
	if (argc > 1 && strcmp(argv[1], "tsc") == 0) {
		uint32_t lo, hi;
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		printf("%llu\n", (unsigned long long)hi << 32 | lo);
		return 0;
	}

	for (unsigned i = 0; i < NCALLS; i++) {
		state = state * 1664525u + 1013904223u; /* Numerical Recipes' LCG */
		order[i] = (state >> 24) % 4;
		funcs[order[i]].fn(state);
	}
	printf("workload: calls");
	for (unsigned i = 0; i < NCALLS; i++)
		printf(" %s", funcs[order[i]].name);
	printf("\n");
	return 0;
}
