; ptring's 64-bit kernel and user program, traced the way Linux's perf traces a process (`intel_pt//u`):
; the kernel sets TraceEn at CPL 0 with only IA32_RTIT_CTL.User, enters ring 3 with IRETQ, and the
; user program makes SYSCALLs (returning with SYSRETQ), INT 0x80s (returning with IRETQ) and one page
; fault that the kernel fixes. One system call does what perf does at sched-out and sched-in: TraceEn
; cleared, IA32_RTIT_STATUS read and written back, the output MSRs rewritten, CR3 switched, TraceEn set.
; With compute=N the user program also runs N turns of ptwork's loop between system calls (direct and
; indirect calls, returns, Jcc, an indirect JMP: a program that mostly computes, as most traced ones do). Every eighth work call sends a self-IPI, taken in ring 3 once SYSRETQ sets IF again, and the ToPA PMI
; comes as an NMI through LVT PC, handled as perf's PMI handler does (TraceEn cleared, STATUS written
; back, IA32_PERF_GLOBAL_STATUS[55] reset, TraceEn set, LVT PC unmasked).
; The kernel counts every place where ptvisor's stepping could show: TF in R11 after SYSCALL, in an
; event frame, in PUSHFQ; and a CR2 that is not the faulting address.
;
; void ptr_run(uint32_t pml4_a, uint32_t ctl, uint32_t iterations)   (cdecl, from 32-bit protected mode)

bits 32
global ptr_run, ptr_user_acc, ptr_counts, ptr_bad_vector, ptr_compute, ptr_user_mix

CODE32      equ 0x08
DATA32      equ 0x10
KCODE       equ 0x18
KDATA       equ 0x20
USER32      equ 0x28                ; STAR[63:48]: SYSRET's base (SS = +8, 64-bit CS = +16)
UDATA       equ 0x30 | 3
UCODE       equ 0x38 | 3
TSS_SEL     equ 0x40
EFER        equ 0xc0000080
STAR        equ 0xc0000081
LSTAR       equ 0xc0000082
FMASK       equ 0xc0000084
RTIT_OUTPUT_BASE equ 0x560
RTIT_OUTPUT_MASK equ 0x561
RTIT_CTL    equ 0x570
RTIT_STATUS equ 0x571
PERF_GLOBAL_STATUS       equ 0x38e
PERF_GLOBAL_STATUS_RESET equ 0x390
APIC        equ 0xfee00000          ; mapped 1:1 by ptring.c
APIC_EOI    equ 0x0b0
APIC_SVR    equ 0x0f0
APIC_ICR_LO equ 0x300
APIC_LVT_PC equ 0x340
IPI_VECTOR  equ 0xe1
LVT_PC_NMI  equ 0x400               ; delivery mode NMI, unmasked: what Linux programs
; SYSCALL clears these RFLAGS bits, TF among them, as Linux's IA32_FMASK does: TF IF DF IOPL NT AC.
FMASK_BITS  equ 0x47700
RFLAGS_TF   equ 0x100
CTL_CR3FILTER equ 0x80              ; IA32_RTIT_CTL.CR3Filter

PTR_PML4_A  equ 0xa20000            ; must match ptring.h
PTR_PML4_B  equ 0xa23000
PTR_PD      equ 0xa22000
PTR_FAULT   equ 0xc00000            ; a 2 MiB page the PD leaves not present until the #PF maps it
PTR_KSTACK  equ 0xa40000            ; TSS.RSP0: stack of interrupts from ring 3
PTR_SSTACK  equ 0xa48000            ; the SYSCALL path's stack
PTR_USTACK  equ 0xa50000

; counters, ptr_counts[i] (64-bit each), read by ptring.c
C_R11_TF_K  equ 0                   ; SYSCALL's R11 (the user's RFLAGS) showed TF
C_R11_TF_U  equ 1                   ; R11 after SYSRETQ showed TF
C_PUSHF_TF  equ 2                   ; PUSHFQ in user code showed TF
C_FRAME_TF  equ 3                   ; an INT 0x80 or #PF frame showed TF
C_CR2_BAD   equ 4                   ; CR2 was not the faulting address
C_PF        equ 5
C_INT80     equ 6
C_SYSCALL   equ 7
C_SCHED     equ 8
C_BYTECNT0  equ 9                   ; PacketByteCnt read as 0 at a sched-out
C_KFLAGS_TF equ 10                  ; PUSHFQ in the SYSCALL path showed TF (FMASK cleared it)
C_IPI       equ 11                  ; self-IPIs taken
C_IPI_USER  equ 12                  ; ... of which interrupted ring 3
C_NMI       equ 13                  ; PMIs (NMIs) with IA32_PERF_GLOBAL_STATUS[55] set
C_NMI_OTHER equ 14                  ; NMIs without it

; The user program has a page to itself: no page holds both kernel and user code, as in every OS
; (ptvisor's outside view learns the pages the kernel runs, pt_emul_cpl.c).
section .text progbits alloc exec nowrite align=4096
ptr_run:
	pushad
	pushfd
	cli
	mov [saved_esp], esp
	sgdt [saved_gdt]
	sidt [saved_idt]
	mov eax, [esp + 40]
	mov [pml4_a], eax
	mov eax, [esp + 44]
	mov [trace_ctl], eax
	mov eax, [esp + 48]
	mov [iterations], eax
	call build_tss_desc
	call build_idt
	lgdt [gdt_desc]
	mov eax, cr4
	or eax, 1 << 5                  ; PAE
	mov cr4, eax
	mov eax, [pml4_a]
	mov cr3, eax
	mov ecx, EFER
	rdmsr
	or eax, (1 << 8) | 1            ; LME, SCE
	wrmsr
	mov eax, cr0
	or eax, 1 << 31
	mov cr0, eax
	jmp KCODE:k_entry

; TSS descriptor at 0x40 (16 bytes, SDM 8.2.3 "TSS Descriptor in 64-bit mode")
build_tss_desc:
	mov eax, tss
	mov edx, eax
	shl eax, 16
	or eax, tss_end - tss - 1
	mov [gdt + TSS_SEL], eax
	mov eax, edx
	shr eax, 16
	and eax, 0xff
	mov ecx, edx
	and ecx, 0xff000000
	or eax, ecx
	or eax, 0x8900                  ; present, type 9 (available 64-bit TSS)
	mov [gdt + TSS_SEL + 4], eax
	mov dword [gdt + TSS_SEL + 8], 0
	mov dword [gdt + TSS_SEL + 12], 0
	mov dword [tss + 4], PTR_KSTACK ; RSP0
	mov dword [tss + 8], 0
	mov word [tss + 102], tss_end - tss ; no I/O bitmap
	ret

; IDT: vectors 0-31 to stubs that abandon the run, #PF and INT 0x80 (DPL 3) to their handlers.
; eax = handler, ebx = vector, edx = type/attributes word
set_gate:
	mov ecx, ebx
	shl ecx, 4
	add ecx, idt
	mov [ecx], ax
	mov word [ecx + 2], KCODE
	mov [ecx + 4], dx
	shr eax, 16
	mov [ecx + 6], ax
	mov dword [ecx + 8], 0
	mov dword [ecx + 12], 0
	ret

build_idt:
	xor ebx, ebx
.stub:
	mov eax, ebx
	shl eax, 4
	add eax, exc_stubs
	mov edx, 0x8e00                 ; present, DPL 0, 64-bit interrupt gate
	call set_gate
	inc ebx
	cmp ebx, 32
	jb .stub
	mov eax, k_pf
	mov ebx, 14
	call set_gate
	mov eax, k_nmi
	mov ebx, 2
	call set_gate
	mov eax, k_ipi
	mov ebx, IPI_VECTOR
	call set_gate
	mov eax, k_int80
	mov ebx, 0x80
	mov edx, 0xee00                 ; DPL 3: INT 0x80 from user code
	call set_gate
	ret

bits 64
k_entry:
	mov ax, KDATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, PTR_KSTACK
	lidt [idt_desc]
	mov ax, TSS_SEL
	ltr ax
	mov ecx, STAR
	xor eax, eax
	mov edx, (USER32 << 16) | KCODE
	wrmsr
	mov ecx, LSTAR
	lea rax, [rel k_syscall]
	xor edx, edx
	wrmsr
	mov ecx, FMASK
	mov eax, FMASK_BITS
	xor edx, edx
	wrmsr
	mov rax, APIC                   ; above 2 GiB: not a 32-bit displacement
	mov dword [rax + APIC_SVR], 0x1ff
	mov dword [rax + APIC_LVT_PC], LVT_PC_NMI
	; perf's event start, at CPL 0: TraceEn with User only, outside the filter until IRETQ.
	mov ecx, RTIT_CTL
	mov eax, [rel trace_ctl]
	or eax, 1
	xor edx, edx
	wrmsr
	push UDATA
	push PTR_USTACK
	push 0x202                      ; RFLAGS: IF=1, TF=0
	push UCODE
	lea rax, [rel u_main]
	push rax
	iretq

; ---- ring 3 ----
align 4096
u_main:
	xor r14, r14
	mov rax, PTR_FAULT
	mov [rax], r14                  ; #PF: the kernel maps the page, the store runs again
	add r14, [rax]
	mov r15d, [rel iterations]
	xor r13, r13
.loop:
	call u_leaf
	test r15, 1
	jz .even
	add r14, 3
.even:
	mov ecx, [rel ptr_compute]      ; compute=N: N turns of ptwork's loop between system calls
	test ecx, ecx
	jz .computed
.compute:
	mov eax, ecx
	xor edx, edx
	mov r8d, 3
	div r8d                         ; edx = turn % 3
	mov eax, ecx
	test edx, edx
	jnz .c_table
	call u_add                      ; a direct call ...
	jmp .c_pick
.c_table:
	lea r8, [rel u_ops]
	call [r8 + rdx * 8]             ; ... or an indirect one through a table
.c_pick:
	add r13, rax
	mov eax, ecx
	call u_pick                     ; a Jcc and an indirect JMP inside
	add r13, rax
	dec ecx
	jnz .compute
.computed:
	mov eax, 1
	syscall                         ; work
	test r11, RFLAGS_TF
	jz .r11_ok
	inc qword [rel ptr_counts + 8 * C_R11_TF_U]
.r11_ok:
	pushfq
	pop rax
	test eax, RFLAGS_TF
	jz .flags_ok
	inc qword [rel ptr_counts + 8 * C_PUSHF_TF]
.flags_ok:
	test r15, 3
	jnz .no_int
	int 0x80
.no_int:
	mov eax, r15d
	and eax, 15
	cmp eax, 8
	jne .no_sched
	mov eax, 2
	syscall                         ; sched-out, sched-in
.no_sched:
	dec r15
	jnz .loop
	mov [rel ptr_user_acc], r14
	mov [rel ptr_user_mix], r13
	xor eax, eax
	syscall                         ; exit
	ud2

u_leaf:
	add r14, r15
	ret

u_add:
	lea eax, [rax + 3]
	ret
u_mul:
	lea eax, [rax + rax * 4 + 1]
	ret
u_xor:
	xor eax, 0x55
	ret
u_pick:
	test al, 1
	lea rdx, [rel .one]
	jz .go
	lea rdx, [rel .two]
.go:
	jmp rdx
.one:
	mov eax, 10
	ret
.two:
	mov eax, 20
	ret
align 8
u_ops: dd u_add, 0, u_mul, 0, u_xor, 0 ; 64-bit entries: the image lies below 4 GiB
align 4096

; ---- ring 0 ----
k_syscall:
	mov [rel user_rsp], rsp
	mov rsp, PTR_SSTACK
	inc qword [rel ptr_counts + 8 * C_SYSCALL]
	test r11, RFLAGS_TF
	jz .r11_ok
	inc qword [rel ptr_counts + 8 * C_R11_TF_K]
.r11_ok:
	pushfq
	test qword [rsp], RFLAGS_TF
	jz .kf_ok
	inc qword [rel ptr_counts + 8 * C_KFLAGS_TF]
.kf_ok:
	popfq
	test eax, eax
	jz k_exit
	cmp eax, 2
	je .sched
	mov r8d, 5                      ; a little untraced kernel work
.work:
	dec r8d
	jnz .work
	mov r8d, r15d
	and r8d, 7
	cmp r8d, 3
	jne .ret
	mov r8, APIC
	mov dword [r8 + APIC_ICR_LO], (1 << 18) | IPI_VECTOR ; self; taken after SYSRETQ sets IF
	jmp .ret
.sched:
	push rcx                        ; RCX and R11: SYSRETQ's RIP and RFLAGS
	push r11
	mov ecx, RTIT_CTL               ; sched-out: TraceEn cleared
	rdmsr
	and eax, ~1
	wrmsr
	mov ecx, RTIT_STATUS            ; pt_handle_status(): read, written back
	rdmsr
	test edx, 0x1ffff               ; PacketByteCnt, bits 48:32
	jnz .cnt_ok
	inc qword [rel ptr_counts + 8 * C_BYTECNT0]
.cnt_ok:
	wrmsr
	mov ecx, RTIT_OUTPUT_MASK       ; sched-in: the output pointers rewritten as read
	rdmsr
	wrmsr
	mov ecx, RTIT_OUTPUT_BASE
	rdmsr
	wrmsr
	mov rax, cr3                    ; another process's page tables
	xor rax, PTR_PML4_A ^ PTR_PML4_B
	mov cr3, rax
	mov ecx, RTIT_CTL
	rdmsr
	or eax, 1
	wrmsr
	test dword [rel trace_ctl], CTL_CR3FILTER
	jz .sched_done
	mov rax, cr3                    ; with CR3 filtering: the other process's CR3 for a moment, traced on
	mov rdx, rax
	xor rax, PTR_PML4_A ^ PTR_PML4_B
	mov cr3, rax
	mov cr3, rdx
.sched_done:
	inc qword [rel ptr_counts + 8 * C_SCHED]
	pop r11
	pop rcx
.ret:
	mov rsp, [rel user_rsp]
	o64 sysret

k_exit:
	mov ecx, RTIT_CTL               ; perf's event stop, at CPL 0
	rdmsr
	and eax, ~1
	wrmsr
	jmp k_leave

k_int80:
	test qword [rsp + 16], RFLAGS_TF ; RIP, CS, RFLAGS
	jz .ok
	inc qword [rel ptr_counts + 8 * C_FRAME_TF]
.ok:
	inc qword [rel ptr_counts + 8 * C_INT80]
	iretq

k_ipi:
	test qword [rsp + 16], RFLAGS_TF
	jz .tf_ok
	inc qword [rel ptr_counts + 8 * C_FRAME_TF]
.tf_ok:
	test qword [rsp + 8], 3         ; the interrupted CS: ring 3?
	jz .k
	inc qword [rel ptr_counts + 8 * C_IPI_USER]
.k:
	inc qword [rel ptr_counts + 8 * C_IPI]
	push rax
	mov rax, APIC
	mov dword [rax + APIC_EOI], 0
	pop rax
	iretq

; The PMI, as perf's handler treats it: tracing stopped, status taken, acknowledged, tracing restarted.
k_nmi:
	push rax
	push rcx
	push rdx
	test qword [rsp + 24 + 16], RFLAGS_TF
	jz .tf_ok
	inc qword [rel ptr_counts + 8 * C_FRAME_TF]
.tf_ok:
	mov ecx, RTIT_CTL
	rdmsr
	and eax, ~1
	wrmsr
	mov ecx, PERF_GLOBAL_STATUS
	rdmsr
	test edx, 1 << (55 - 32)
	jnz .pmi
	inc qword [rel ptr_counts + 8 * C_NMI_OTHER]
	jmp .restart
.pmi:
	inc qword [rel ptr_counts + 8 * C_NMI]
	mov ecx, PERF_GLOBAL_STATUS_RESET
	xor eax, eax
	mov edx, 1 << (55 - 32)
	wrmsr
.restart:
	mov ecx, RTIT_STATUS
	rdmsr
	wrmsr
	mov ecx, RTIT_CTL
	rdmsr
	or eax, 1
	wrmsr
	mov rax, APIC
	mov dword [rax + APIC_LVT_PC], LVT_PC_NMI ; the PMI masked it (SDM 11.5.1)
	pop rdx
	pop rcx
	pop rax
	iretq

k_pf:
	push rax
	mov rax, cr2
	cmp rax, PTR_FAULT
	je .cr2_ok
	inc qword [rel ptr_counts + 8 * C_CR2_BAD]
.cr2_ok:
	test qword [rsp + 32], RFLAGS_TF ; rax, error code, RIP, CS, RFLAGS
	jz .tf_ok
	inc qword [rel ptr_counts + 8 * C_FRAME_TF]
.tf_ok:
	mov rax, PTR_FAULT | 0x87       ; present, writable, user, 2 MiB
	mov [PTR_PD + 8 * (PTR_FAULT >> 21)], rax
	invlpg [PTR_FAULT]
	inc qword [rel ptr_counts + 8 * C_PF]
	pop rax
	add rsp, 8
	iretq

align 16
exc_stubs:
%assign vec 0
%rep 32
	align 16
	push vec
	jmp exc_common
%assign vec vec + 1
%endrep

exc_common:
	pop rax
	mov [rel ptr_bad_vector], eax
	mov ecx, RTIT_CTL
	rdmsr
	and eax, ~1
	wrmsr
	; fall through

; Back to the 32-bit caller: compatibility mode, paging and IA-32e mode off, its GDT and IDT again.
k_leave:
	mov rsp, PTR_KSTACK
	lea rax, [rel back32]
	push CODE32
	push rax
	o64 retf

bits 32
back32:
	mov ax, DATA32
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr0
	and eax, ~(1 << 31)
	mov cr0, eax
	mov ecx, EFER
	rdmsr
	and eax, ~((1 << 8) | 1)
	wrmsr
	mov eax, cr4
	and eax, ~(1 << 5)
	mov cr4, eax
	lgdt [saved_gdt]
	lidt [saved_idt]
	mov esp, [saved_esp]
	popfd
	popad
	ret

section .data
align 16
gdt:
	dq 0
	dq 0x00cf9a000000ffff           ; 0x08: 32-bit code (as the guest library's)
	dq 0x00cf92000000ffff           ; 0x10: data
	dq 0x00af9a000000ffff           ; 0x18: 64-bit kernel code
	dq 0x00cf92000000ffff           ; 0x20: kernel data
	dq 0x00cffa000000ffff           ; 0x28: 32-bit user code (unused; STAR's SYSRET base)
	dq 0x00cff2000000ffff           ; 0x30: user data
	dq 0x00affa000000ffff           ; 0x38: 64-bit user code
	dq 0, 0                         ; 0x40: TSS, filled by build_tss_desc
gdt_end:
gdt_desc:
	dw gdt_end - gdt - 1
	dd gdt, 0
idt_desc:
	dw 256 * 16 - 1
	dd idt, 0
align 8
ptr_bad_vector: dd 0xffffffff
saved_esp:  dd 0
pml4_a:     dd 0
trace_ctl:  dd 0
iterations: dd 0
saved_gdt:  dw 0
            dq 0
saved_idt:  dw 0
            dq 0
align 8
user_rsp:     dq 0
ptr_user_acc: dq 0
ptr_user_mix: dq 0
ptr_compute:  dd 0
ptr_counts:   times 16 dq 0

section .bss
alignb 16
tss:    resb 104
tss_end:
alignb 16
idt:    resb 256 * 16

section .note.GNU-stack noalloc noexec nowrite progbits
