/* 64-bit division for the 32-bit guests, which link no libgcc (GCC calls __udivdi3 & co. for u64 / %). */
#ifndef GUEST_DIV64_H
#define GUEST_DIV64_H

#include "types.h"

/* Returns n / d and stores n % d in *rem; d == 0 gives quotient and remainder all ones. */
uint64_t div64_u64_rem(uint64_t n, uint64_t d, uint64_t *rem);

/* The libgcc entry points GCC emits calls to on i386. */
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);
int64_t __divdi3(int64_t n, int64_t d);
int64_t __moddi3(int64_t n, int64_t d);

#endif
