/* PASS/FAIL reporting for test guests and the way out of a guest (isa-debug-exit, then SHUTDOWN). */
#ifndef GUEST_TEST_H
#define GUEST_TEST_H

#include "types.h"

#define GUEST_EXIT_PORT 0xf4 /* QEMU isa-debug-exit convention: a 32-bit OUT of the status */

/* Each guest defines it; its return value becomes the exit status. */
int guest_main(uint32_t magic, uint32_t info);

/* Prints "PASS: <what>" or "FAIL: <what>"; returns cond. */
bool check(bool cond, const char *fmt, ...) __printf(2, 3);
/* As check(got == want), adding "(got 0x.., expected 0x..)" on failure. */
bool check_eq(uint64_t got, uint64_t want, const char *fmt, ...) __printf(3, 4);
/* The same in decimal, for counts. */
bool check_eq_dec(uint64_t got, uint64_t want, const char *fmt, ...) __printf(3, 4);
/* Compares fault vectors (FAULT_NONE or 0-31) and names them, e.g. "(got none, expected #GP)". */
bool check_fault(int got, int want, const char *fmt, ...) __printf(3, 4);

uint32_t test_passes(void);
uint32_t test_failures(void);
/* Prints the summary line; returns the exit status: 0 when nothing failed, else 1. */
int test_finish(void);

/* OUT of `status` to port 0xf4, then PTV_HC_SHUTDOWN under ptvisor, then halts forever. */
void guest_exit(uint32_t status) __noreturn;

#endif
