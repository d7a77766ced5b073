/* The traced workload of the PT end-to-end tests and its output buffers. */
#ifndef GUEST_PTWORK_H
#define GUEST_PTWORK_H

#include "types.h"

/* Output buffers, well above either image (ptwork at 1 MiB, ptwork-hi at 6 MiB). */
#define PTW_TOPA         0xa00000u   /* first ToPA table (4 KiB) */
#define PTW_TOPA2        0xa01000u   /* second ToPA table, reached through an END entry */
#define PTW_REGION_A     0xa10000u   /* 4 KiB, INT: its filling raises the PMI */
#define PTW_REGION_B     0xa11000u   /* 4 KiB */
#define PTW_REGION_C     0xa12000u   /* 8 KiB (aligned to its size), in the second table */
#define PTW_CANARY       0xa14000u   /* must never be written */
#define PTW_DUMP         0xb00000u   /* the regions copied out in order, for the dump */
#define PTW_OUTSIDE      0x7fff0000u /* beyond the guest's RAM */
#define PTW_CANARY_VALUE 0x5a5aa5a5u
#define PTW_PML4         0xa20000u /* identity page tables for the 64-bit excursion */
#define PTW_INT80_OUT    0xc00000u /* single-range output of the int80 case, aligned to its size */
#define PTW_INT80_SIZE   0x80000u  /* 512 KiB */
#define PTW_INT80_VECTOR 0x80u
#define PTW_PATTERN      0xd00000u /* pattern=on: 1 MiB checked at the end */
#define PTW_PATTERN_SIZE 0x100000u

/* Set from the command line (longmode=on): the workload also runs 64-bit code. */
extern bool ptw_long_mode;
/* #DB traps the guest's own TF produced inside the traced workload. */
extern uint32_t ptw_traced_tf_steps;
void ptw_long_mode_trip(uint32_t pml4);
/* The int80 case: its handler (an IDT entry of its own) counts frames and those showing TF. */
extern volatile uint32_t ptw_int80_frames, ptw_int80_tf;
void ptw_int80_entry(void);
/* Executes INT 0x80 `count` times in a loop. */
void ptwork_int80(uint32_t count);
/* The smc case: code rewritten just ahead of itself while traced; returns the iterations that ran a CMC. */
uint32_t ptwork_smc(uint32_t count);
/* The retmod case (ptwork_ret.c): returns to addresses no CALL pushed; the sum and what it must be. */
uint32_t ptwork_retmod(uint32_t count);
uint32_t ptwork_retmod_expected(uint32_t count);

/* Runs the workload: conditional branches, direct and indirect calls and jumps, returns, recursion,
   INT3 and #UD handled by the guest's IDT, a CR3 write. Returns a checksum. */
uint32_t ptwork_run(uint32_t iterations);
/* Single-steps six instructions with the guest's own RFLAGS.TF; returns the #DB traps taken (6). */
uint32_t ptwork_own_tf(void);

#endif
