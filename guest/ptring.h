/* ptring: a traced ring-3 program under a 64-bit kernel, the way Linux's perf traces a process. */
#ifndef GUEST_PTRING_H
#define GUEST_PTRING_H

#include "types.h"

/* Output: two ToPA tables, four regions contiguous in memory (A 4 KiB with INT, B 4 KiB, C 8 KiB,
   D 16 KiB), so the trace is read straight from PTR_REGION_A. */
#define PTR_TOPA       0xa00000u
#define PTR_TOPA2      0xa01000u
#define PTR_REGION_A   0xa10000u
#define PTR_REGION_B   0xa11000u
#define PTR_REGION_C   0xa12000u
#define PTR_REGION_D   0xa14000u
#define PTR_OUT_END    0xa18000u
#define PTR_CANARY     0xa18000u /* must never be written */
#define PTR_CANARY_VAL 0x5a5aa5a5u
/* Page tables (4-level, 2 MiB pages, user-accessible): two PML4s sharing one PDPT and PD, so the
   sched-in can switch CR3 (these match ptring_lm.asm). */
#define PTR_PML4_A 0xa20000u
#define PTR_PDPT   0xa21000u
#define PTR_PD     0xa22000u
#define PTR_PML4_B 0xa23000u
#define PTR_FAULT  0xc00000u /* not present until the user program's #PF is handled */
#define PTR_PD_HI  0xa24000u /* 3-4 GiB: the local APIC's page */
#define PTR_APIC   0xfee00000u

enum ptr_count {
	PTR_R11_TF_K,  /* SYSCALL's R11 showed TF */
	PTR_R11_TF_U,  /* R11 after SYSRETQ showed TF */
	PTR_PUSHF_TF,  /* PUSHFQ in user code showed TF */
	PTR_FRAME_TF,  /* an INT 0x80 or #PF frame showed TF */
	PTR_CR2_BAD,   /* CR2 in the #PF handler was not the faulting address */
	PTR_PF,        /* page faults handled */
	PTR_INT80,     /* INT 0x80s handled */
	PTR_SYSCALL,   /* SYSCALLs */
	PTR_SCHED,     /* sched-out/in system calls */
	PTR_BYTECNT0,  /* IA32_RTIT_STATUS.PacketByteCnt read as 0 at a sched-out */
	PTR_KFLAGS_TF, /* PUSHFQ right after SYSCALL showed TF */
	PTR_IPI,       /* self-IPIs taken */
	PTR_IPI_USER,  /* ... in ring 3 */
	PTR_NMI,       /* PMIs: NMIs with IA32_PERF_GLOBAL_STATUS[55] */
	PTR_NMI_OTHER, /* NMIs without it */
	PTR_NCOUNTS
};

extern uint64_t ptr_counts[16];
extern uint64_t ptr_user_acc;
/* compute=N: turns of ptwork's loop in the user program per loop, and what they summed. */
extern uint32_t ptr_compute;
extern uint64_t ptr_user_mix;
extern uint32_t ptr_bad_vector; /* an unexpected exception ended the run: its vector, else ~0 */
/* Enters the 64-bit kernel, traces the user program for `iterations` loops, returns in 32-bit mode. */
void ptr_run(uint32_t pml4, uint32_t ctl, uint32_t iterations);

#endif
