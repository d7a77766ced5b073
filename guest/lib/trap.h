/* The guest's 32-bit IDT and its "expected fault" mechanism for probing instructions that may fault. */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include "types.h"

/* Exception vectors (SDM Vol. 3A 6.3.1 "External Interrupts" / Table 6-1 "Protected-Mode Exceptions"). */
#define VEC_DE 0
#define VEC_DB 1
#define VEC_BP 3
#define VEC_UD 6
#define VEC_NM 7
#define VEC_DF 8
#define VEC_TS 10
#define VEC_NP 11
#define VEC_SS 12
#define VEC_GP 13
#define VEC_PF 14
#define VEC_MF 16
#define VEC_AC 17
#define VEC_MC 18
#define VEC_XM 19
#define VEC_VE 20

#define FAULT_NONE (-1) /* guest_fault_taken(): nothing happened */
#define FAULT_ANY  (-2) /* guest_expect_fault(): any exception is recoverable */

/* What isr.asm pushes: PUSHAD order, then vector and error code, then the CPU's IRET frame. */
struct trap_frame {
	uint32_t edi, esi, ebp, esp_pushad, ebx, edx, ecx, eax;
	uint32_t vector, error;
	uint32_t eip, cs, eflags;
};

/*
 * Recovery point of the next guarded instruction. TRAP_GUARD("insn") stores the
 * address just after the instruction here, so an armed fault resumes there with
 * the registers as they were before the instruction (faults do not commit).
 */
extern volatile uint32_t trap_recover_eip;
#define TRAP_GUARD(insn) "movl $1f, trap_recover_eip\n\t" insn "\n1:\n\t"

/* Builds and loads the IDT (all 256 vectors); called once from start.asm. */
void trap_init(void);
/* Points every gate back at its stub, present, and loads the IDT with its full limit. */
void trap_idt_reset(void);
/* Loads IDTR with the library's IDT and `limit` (bytes minus one): a smaller limit makes vectors past it #GP. */
void trap_idt_load(uint16_t limit);
/* Sets or clears the present flag of one gate: delivery through a not-present gate raises #NP. */
void trap_gate_present(unsigned vector, bool present);
/* Points IDT entry `vector` at `handler` (an interrupt gate, DPL 0), bypassing trap_dispatch(). */
void trap_set_gate(unsigned vector, uint32_t handler);
/* Called by isr.asm for every vector. */
void trap_dispatch(struct trap_frame *f);

/*
 * Arms recovery for the next guarded instruction. `vector` documents what the
 * caller expects (or FAULT_ANY); any exception is recovered while armed, so a
 * wrong vector becomes a FAIL line in the caller instead of a dead guest.
 */
void guest_expect_fault(int vector);
/* Disarms; returns the vector taken since guest_expect_fault(), or FAULT_NONE. */
int guest_fault_taken(void);
/* The error code of the last recovered fault (0 for vectors without one). */
uint32_t guest_fault_error(void);
/* External interrupts (vectors 32-255) seen so far. */
uint32_t trap_interrupt_count(void);
/* While set, #DB traps (the guest's own RFLAGS.TF single-steps) are counted and execution goes on. */
extern volatile bool trap_count_db;
extern volatile uint32_t trap_db_steps;
/* When set, sees every vector first; returning true means it handled the event (IRET to the frame). */
extern bool (*volatile trap_hook)(struct trap_frame *f);

#endif
