/* The traced workload: every kind of control flow Intel PT encodes, deterministic for a given count. */
#include "cpu.h"
#include "trap.h"
#include "ptwork.h"

typedef uint32_t (*ptw_op)(uint32_t);

static __attribute__((noinline)) uint32_t op_add(uint32_t x)
{
	return x + 3;
}
static __attribute__((noinline)) uint32_t op_mul(uint32_t x)
{
	return x * 5 + 1;
}
static __attribute__((noinline)) uint32_t op_xor(uint32_t x)
{
	return x ^ 0x55;
}

static ptw_op const ops[3] = { op_add, op_mul, op_xor };

bool ptw_long_mode;
uint32_t ptw_traced_tf_steps;
volatile uint32_t ptw_int80_frames, ptw_int80_tf;

/*
 * The vector 0x80 handler of the int80 case: counts the frame and, with BT/ADC, whether the EFLAGS
 * image the INT pushed (EIP, CS, EFLAGS from the top of the stack) has TF (bit 8) set. Four
 * instructions and an IRET straight from the IDT gate, so most of the loop is the INT itself.
 */
asm(".pushsection .text\n"
    ".globl ptw_int80_entry\n"
    ".type ptw_int80_entry, @function\n"
    "ptw_int80_entry:\n\t"
    "incl ptw_int80_frames\n\t"
    "btl $8, 8(%esp)\n\t"
    "adcl $0, ptw_int80_tf\n\t"
    "iretl\n"
    ".size ptw_int80_entry, . - ptw_int80_entry\n"
    ".popsection");

/* PML4 -> PDPT -> PD mapping the first 16 MiB 1:1 with 2 MiB pages (SDM 4.5 "4-Level Paging"). */
static void build_identity_tables(void)
{
	volatile uint64_t *pml4 = (volatile uint64_t *)PTW_PML4;
	volatile uint64_t *pdpt = (volatile uint64_t *)(PTW_PML4 + 0x1000);
	volatile uint64_t *pd = (volatile uint64_t *)(PTW_PML4 + 0x2000);

	for (unsigned i = 0; i < 512; i++)
		pml4[i] = pdpt[i] = pd[i] = 0;
	pml4[0] = (PTW_PML4 + 0x1000) | 3;
	pdpt[0] = (PTW_PML4 + 0x2000) | 3;
	for (unsigned i = 0; i < 8; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
}

/* Direct calls, returns and conditional branches, 2-3 levels deep per step. */
static __attribute__((noinline)) uint32_t fib(uint32_t n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/* An indirect JMP through a register to one of two targets. */
static __attribute__((noinline)) uint32_t jump_pick(uint32_t x)
{
	uint32_t r;

	asm volatile("testl $1, %1\n\t"
		     "movl $1f, %%eax\n\t"
		     "jz 3f\n\t"
		     "movl $2f, %%eax\n\t"
		     "3: jmp *%%eax\n\t"
		     "1: movl $10, %0\n\t"
		     "jmp 4f\n\t"
		     "2: movl $20, %0\n\t"
		     "4:\n\t"
		     : "=r"(r)
		     : "r"(x)
		     : "eax", "cc");
	return r;
}

uint32_t ptwork_own_tf(void)
{
	trap_db_steps = 0;
	trap_count_db = true;
	/* TF set by POPF traps after the next instruction; the POPF that clears it still traps (SDM 17.3.1.4). */
	asm volatile("pushfl\n\t"
		     "orl $0x100, (%%esp)\n\t"
		     "popfl\n\t"
		     "nop\n\t"
		     "nop\n\t"
		     "nop\n\t"
		     "pushfl\n\t"
		     "andl $~0x100, (%%esp)\n\t"
		     "popfl\n\t"
		     :
		     :
		     : "memory", "cc");
	trap_count_db = false;
	return trap_db_steps;
}

uint32_t ptwork_run(uint32_t iterations)
{
	uint32_t acc = 1;
	volatile ptw_op const *table = ops;

	for (uint32_t i = 0; i < iterations; i++) {
		if (i % 3 == 0)
			acc += op_add(acc);
		else
			acc = table[i % 3](acc);
		acc += jump_pick(i);
	}
	acc += fib(9);

	/* Software interrupt and exception, both recovered by the guest library's handlers via IRET. */
	guest_expect_fault(VEC_BP);
	asm volatile(TRAP_GUARD("int3") : : : "memory");
	acc += (uint32_t)guest_fault_taken();
	acc += (uint32_t)cpu_ud2_safe();

	/* 32 -> 64 -> 32-bit: MODE.Exec packets around the far transfers, 64-bit code in between. */
	if (ptw_long_mode) {
		build_identity_tables();
		ptw_long_mode_trip(PTW_PML4);
	}

	/* The guest's own single-stepping, while ptvisor steps it too. */
	ptw_traced_tf_steps = ptwork_own_tf();
	acc += ptw_traced_tf_steps;

	/* A CR3 write (paging is off, so only the trace notices: a PIP packet). */
	asm volatile("mov %0, %%cr3" : : "r"(PTW_TOPA) : "memory");
	return acc;
}

/*
 * The smc case: each iteration rewrites the displacement of a 2-byte JMP three instructions ahead (0, or
 * 1 to skip a CMC) and runs it, so code decoded before the store is stale by the time it runs. Returns how
 * many iterations ran the CMC (the even ones).
 */
uint32_t ptwork_smc(uint32_t count)
{
	uint32_t ran = 0;

	for (uint32_t i = 0; i < count; i++)
		asm volatile("movb %b1, 1f+1\n\t"
			     "clc\n"
			     "1: .byte 0xeb, 0x00\n\t"
			     "cmc\n\t"
			     "adcl $0, %0\n\t"
			     : "+r"(ran)
			     : "q"((uint8_t)(i & 1))
			     : "cc", "memory");
	return ran;
}

/*
 * The loop's length varies (a 16-bit Galois LFSR adds an XOR on about half the iterations), so the
 * ends of ptvisor's time slices, which come at whatever step the slice's TSC budget runs out, fall on
 * every instruction of it: Bochs is deterministic, and a loop of fixed length meets the slice end at
 * the same few instructions each time.
 */
void ptwork_int80(uint32_t count)
{
	uint32_t lfsr = 0xace1;

	if (!count)
		return;
	asm volatile("1: int $0x80\n\t"
		     "shrl $1, %1\n\t"
		     "jnc 2f\n\t"
		     "xorl $0xb400, %1\n"
		     "2: decl %0\n\t"
		     "jnz 1b"
		     : "+r"(count), "+r"(lfsr)
		     :
		     : "memory", "cc");
}
