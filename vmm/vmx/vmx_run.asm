; The world switch. vmx_run(struct guest_regs *regs, int launched) enters the guest and stays in a
; loop: at each VM exit it saves the guest GPRs, calls vmx_exit_dispatch(regs) and, while that
; returns nonzero, resumes the guest without unwinding. It returns 0 once the dispatcher says stop,
; 1 on VMfailInvalid and 2 on VMfailValid (SDM 31.2 conventions). Host callee-saved registers are
; saved once per call, not once per exit; HOST_RSP points just below them, HOST_RIP at vmx_exit.

bits 64
global vmx_run
global vmx_exit
extern vmx_exit_dispatch

; R_* (struct guest_regs offsets) and VMCS_HOST_RSP, generated from vmx/asm_offsets.c by the Makefile.
%include "asm_offsets.inc"

section .text
vmx_run:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdi                        ; regs pointer, found at [rsp] after each exit; rsp is now 16-aligned

	; HOST_RSP only changes with the caller's stack depth; HOST_RIP is constant (vmcs_setup).
	cmp rsp, [rdi + R_HOST_RSP]
	je .enter
	mov [rdi + R_HOST_RSP], rsp
	mov rax, VMCS_HOST_RSP
	vmwrite rax, rsp
	jbe .fail

.enter:
	mov rax, [rdi + R_CR2]
	mov cr2, rax
	test esi, esi                   ; launched?
	mov rax, [rdi + R_RAX]
	mov rcx, [rdi + R_RCX]
	mov rdx, [rdi + R_RDX]
	mov rbx, [rdi + R_RBX]
	mov rbp, [rdi + R_RBP]
	mov rsi, [rdi + R_RSI]
	mov r8,  [rdi + R_R8]
	mov r9,  [rdi + R_R9]
	mov r10, [rdi + R_R10]
	mov r11, [rdi + R_R11]
	mov r12, [rdi + R_R12]
	mov r13, [rdi + R_R13]
	mov r14, [rdi + R_R14]
	mov r15, [rdi + R_R15]
	mov rdi, [rdi + R_RDI]          ; last: it held the pointer (flags from 'test' survive the movs)
	jnz .resume
	vmlaunch
	jmp .fail
.resume:
	vmresume
.fail:
	mov eax, 1
	jc .out
	mov eax, 2
.out:
	pop rdi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

vmx_exit:
	push rdi                        ; guest RDI
	mov rdi, [rsp + 8]              ; regs pointer
	mov [rdi + R_RAX], rax
	mov [rdi + R_RCX], rcx
	mov [rdi + R_RDX], rdx
	mov [rdi + R_RBX], rbx
	mov [rdi + R_RBP], rbp
	mov [rdi + R_RSI], rsi
	mov [rdi + R_R8],  r8
	mov [rdi + R_R9],  r9
	mov [rdi + R_R10], r10
	mov [rdi + R_R11], r11
	mov [rdi + R_R12], r12
	mov [rdi + R_R13], r13
	mov [rdi + R_R14], r14
	mov [rdi + R_R15], r15
	pop rax
	mov [rdi + R_RDI], rax
	mov rax, cr2
	mov [rdi + R_CR2], rax
	call vmx_exit_dispatch          ; rsp is HOST_RSP: 16-aligned, as the C ABI wants
	mov rdi, [rsp]
	mov esi, 1                      ; launched from now on
	test eax, eax
	jnz .enter_again
	xor eax, eax
	jmp vmx_run.out
.enter_again:
	jmp vmx_run.enter

section .note.GNU-stack noalloc noexec nowrite progbits
