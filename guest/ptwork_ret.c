/*
 * The retmod case: returns whose return address is not the one a CALL pushed. The block engine predicts
 * a RET from what the path pushed or from the stack as it is when the path is decoded (pt_emul_stack.c);
 * each sequence here changes the return address or the stack pointer in a way that prediction must
 * notice, so a wrong guess shows as a trace different from the step engine's (test_pt_engines.sh).
 * Each sequence adds its own constant to the result; a RET that went anywhere else hits a UD2.
 */
#include "ptwork.h"

/* Per call: 1 + 2 + 4 + 8 + 16 + 32 + 64 + 128 + 256 + 512 + 1024 + 2048 = 4095. */
#define RETMOD_SUM 4095u

static uint32_t alt_stack[64] __attribute__((aligned(16)));

static __attribute__((noinline)) uint32_t retmod_once(uint32_t acc)
{
	asm volatile(
		/* The return slot overwritten by a store addressed through ESP. */
		"call 1f\n\t"
		"ud2\n"
		"1: movl $2f, (%%esp)\n\t"
		"ret\n"
		"2: addl $1, %0\n\t"
		/* ... through another register: the model loses track of memory. */
		"call 1f\n\t"
		"ud2\n"
		"1: movl %%esp, %%ebx\n\t"
		"movl $2f, (%%ebx)\n\t"
		"ret\n"
		"2: addl $2, %0\n\t"
		/* A frame dropped by ADD ESP: the RET returns to the outer caller's site. */
		"call 1f\n\t"
		"addl $4, %0\n\t"
		"jmp 3f\n"
		"1: call 2f\n\t"
		"ud2\n"
		"2: addl $4, %%esp\n\t"
		"ret\n"
		/* RET imm16 takes the pushed argument with it. */
		"3: pushl $0x1234\n\t"
		"call 1f\n\t"
		"addl $8, %0\n\t"
		"jmp 2f\n"
		"1: ret $4\n"
		/* PUSH imm; RET: a jump through the stack. */
		"2: pushl $1f\n\t"
		"ret\n\t"
		"ud2\n"
		"1: addl $16, %0\n\t"
		/* XCHG with the return slot. */
		"call 1f\n\t"
		"ud2\n"
		"1: movl $2f, %%ebx\n\t"
		"xchgl %%ebx, (%%esp)\n\t"
		"ret\n"
		"2: addl $32, %0\n\t"
		/* STOSD onto the return slot. */
		"call 1f\n\t"
		"ud2\n"
		"1: movl %%esp, %%edi\n\t"
		"movl $2f, %%eax\n\t"
		"cld\n\t"
		"stosl\n\t"
		"ret\n"
		"2: addl $64, %0\n\t"
		/* A switch to another stack by MOV ESP. */
		"movl %%esp, %%esi\n\t"
		"movl %1, %%esp\n\t"
		"pushl $1f\n\t"
		"ret\n\t"
		"ud2\n"
		"1: movl %%esi, %%esp\n\t"
		"addl $128, %0\n\t"
		/* A frame with EBP, left by LEAVE. */
		"call 1f\n\t"
		"addl $256, %0\n\t"
		"jmp 2f\n"
		"1: pushl %%ebp\n\t"
		"movl %%esp, %%ebp\n\t"
		"subl $16, %%esp\n\t"
		"movl $0, -4(%%ebp)\n\t"
		"leave\n\t"
		"ret\n"
		/* The outer return slot rewritten at [ESP+4] from an inner frame, then two RETs. */
		"2: call 1f\n\t"
		"ud2\n"
		"1: call 2f\n\t"
		"addl $512, %0\n\t"
		"ret\n"
		"2: movl $3f, 4(%%esp)\n\t"
		"ret\n"
		"3: \n\t"
		/* SUB ESP and a store below the return address, which stays predicted. */
		"call 1f\n\t"
		"addl $1024, %0\n\t"
		"jmp 2f\n"
		"1: subl $8, %%esp\n\t"
		"movl $0x55, (%%esp)\n\t"
		"movl $0x66, 4(%%esp)\n\t"
		"addl $8, %%esp\n\t"
		"ret\n"
		/* POP and PUSH of another value before the RET. */
		"2: call 1f\n\t"
		"ud2\n"
		"1: popl %%ebx\n\t"
		"pushl $2f\n\t"
		"ret\n"
		"2: addl $2048, %0\n\t"
		: "+r"(acc)
		: "r"(&alt_stack[63])
		: "eax", "ebx", "esi", "edi", "cc", "memory");
	return acc;
}

uint32_t ptwork_retmod(uint32_t count)
{
	uint32_t acc = 0;

	for (uint32_t i = 0; i < count; i++)
		acc = retmod_once(acc);
	return acc;
}

uint32_t ptwork_retmod_expected(uint32_t count)
{
	return count * RETMOD_SUM;
}
