/* hostile: the fuzzing guest's shared pieces (random numbers, per-class counts, guarded generated code). */
#ifndef GUEST_HOSTILE_H
#define GUEST_HOSTILE_H

#include "types.h"

/* Guest RAM the fuzzer may hand to ptvisor as a target: [8 MiB, 16 MiB); its code and data are below. */
#define HOSTILE_SCRATCH      0x800000u
#define HOSTILE_SCRATCH_SIZE 0x800000u
#define HOSTILE_OUTSIDE      0x40000000u /* beyond RAM (mem=16M): EPT-unbacked */

enum hostile_class {
	HC_CPUID,
	HC_MSR,
	HC_IO,
	HC_STRIO,
	HC_STRIO16,
	HC_MMIO,
	HC_HCALL,
	HC_TOPA,
	HC_XSETBV,
	HC_CR,
	HC_CLASSES
};

struct hostile_count {
	uint32_t inputs, faults, arch_mismatch;
};

extern struct hostile_count hostile_counts[HC_CLASSES];
extern uint32_t hostile_mem; /* the guest's RAM size, from PTV_HC_INFO */

uint32_t rnd32(void);
uint64_t rnd64(void);
/* A value in [0, n), n > 0. */
uint32_t rnd_below(uint32_t n);
void rnd_seed(uint64_t seed);

/* Counts one input of class c whose outcome was vector `fault` (FAULT_NONE when none). */
void hostile_count(enum hostile_class c, int fault);

/*
 * Runs the instruction bytes `insn` (len <= 15) with EAX/ECX/EDX/ESI/EDI from and back into regs[0..4],
 * DF set first when df; any fault is recovered. Returns the vector taken, or FAULT_NONE.
 */
int hostile_exec(const uint8_t *insn, unsigned len, uint32_t regs[5], bool df);

void hostile_io(uint32_t n);
void hostile_strio(uint32_t n, bool addr16);
void hostile_mmio(uint32_t n);
void hostile_hcall(uint32_t n);
void hostile_topa(uint32_t n);

#endif
