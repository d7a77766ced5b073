/*
 * Not linked: compiled to assembly by the Makefile, which turns each "->NAME value" line into a NASM
 * `NAME equ value` in build/gen/asm_offsets.inc, so vmx_run.asm takes its structure offsets and
 * VMCS encodings from the C definitions instead of keeping copies.
 */
#include <stddef.h>
#include "vmx/vcpu.h"
#include "vmx/vmcs.h"

#define ASM_CONST(name, value) asm volatile("\n.ascii \"->" #name " %c0\\n\"" : : "i"(value))
#define ASM_REG(name, member)  ASM_CONST(name, offsetof(struct guest_regs, member))

void asm_offsets(void);
void asm_offsets(void)
{
	ASM_REG(R_RAX, rax);
	ASM_REG(R_RCX, rcx);
	ASM_REG(R_RDX, rdx);
	ASM_REG(R_RBX, rbx);
	ASM_REG(R_RBP, rbp);
	ASM_REG(R_RSI, rsi);
	ASM_REG(R_RDI, rdi);
	ASM_REG(R_R8, r8);
	ASM_REG(R_R9, r9);
	ASM_REG(R_R10, r10);
	ASM_REG(R_R11, r11);
	ASM_REG(R_R12, r12);
	ASM_REG(R_R13, r13);
	ASM_REG(R_R14, r14);
	ASM_REG(R_R15, r15);
	ASM_REG(R_CR2, cr2);
	ASM_REG(R_HOST_RSP, host_rsp);
	ASM_CONST(VMCS_HOST_RSP, HOST_RSP);
}
