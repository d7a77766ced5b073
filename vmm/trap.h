/* CPU exceptions taken by the VMM itself: a fault here is our bug unless an __ex_table fixup claims it. */
#ifndef PTV_TRAP_H
#define PTV_TRAP_H

#include "types.h"

/* Laid out by boot/isr.asm: GPRs pushed last come first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap frame layout is fixed by boot/isr.asm");

void trap_init(void);
void trap_dispatch(struct trap_frame *f);
const char *trap_vector_name(unsigned vector);
/*
 * selftest=trap: a #GP from RDMSR of a missing MSR must be fixed up and reported as a fault, then a #UD
 * must reach the report path (vector, error code, registers) and power off with status 3.
 */
void trap_selftest(void) __noreturn;

#endif
