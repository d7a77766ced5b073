; Area "cr", IA-32e part: enters IA-32e mode (SDM Vol. 3A 10.8.5 "Initializing IA-32e Mode": PAE, LME, then
; PG), runs probes in 64-bit mode and compatibility mode with a 64-bit IDT that records the vector and error
; code of each fault and resumes after the probe, then leaves again (10.8.5.4: compatibility mode, PG=0).
; Results go to conf_lm_results[probe] = { vector or -1, error } and conf_lm_values[]; conf_cr.c prints them.
;
; uint32_t conf_lm_trip(uint32_t pml4, uint32_t cr3_reserved_hi, uint32_t flags)   (cdecl)
;   cr3_reserved_hi: a bit pattern for CR3[63:32] at MAXPHYADDR (reserved, must fault)
;   flags bit 0: CPUID says PCID, so the CR4.PCIDE probes that need it run

bits 32
global conf_lm_trip
global conf_lm_results
global conf_lm_values

CODE32   equ 0x08
DATA     equ 0x10
CODE64   equ 0x18
EFER     equ 0xc0000080
APIC_TPR equ 0xfee00080
CR0_PG   equ 1 << 31
CR4_PAE  equ 1 << 5
CR4_LA57 equ 1 << 12
CR4_PCIDE equ 1 << 17
EFER_LME equ 1 << 8

; Probe indices (conf_cr.c names them in the same order).
P_CLEAR_PG     equ 0
P_CLEAR_PAE    equ 1
P_CR3_RSVD     equ 2
P_CR8_WRITE    equ 3
P_CR8_RSVD     equ 4
P_NONCANON     equ 5
P_EFER_LME     equ 6
P_LA57         equ 7
P_DR7_HIGH     equ 8
P_DR6_HIGH     equ 9
P_PCIDE_CR3    equ 10
P_PCIDE        equ 11
P_COMPAT_PG    equ 12
P_EXIT         equ 13
P_COUNT        equ 14
; Values: EFER after entry, CR8 read back, APIC TPR after CR8=5, EFER after exit, CR4 after PCIDE set.
V_EFER_IN      equ 0
V_CR8          equ 1
V_TPR          equ 2
V_EFER_OUT     equ 3
V_CR4_PCIDE    equ 4

; Each probe: the handler resumes at the probe's end with the vector recorded (-1: none).
%macro PROBE_BEGIN 0
%push probe
	mov dword [lm_vec], -1
	mov dword [lm_err], 0
	mov dword [lm_resume], %$done
	mov dword [lm_resume + 4], 0
%endmacro
%macro PROBE_END 1
%$done:
	mov eax, [lm_vec]
	mov [conf_lm_results + %1 * 8], eax
	mov eax, [lm_err]
	mov [conf_lm_results + %1 * 8 + 4], eax
	mov dword [lm_resume], 0        ; a fault outside a probe stops (lm_common)
%pop
%endmacro

section .text
conf_lm_trip:
	pushad
	mov ebx, [esp + 36]             ; pml4
	mov esi, [esp + 40]             ; cr3_reserved_hi
	mov edi, [esp + 44]             ; flags
	mov [lm_esp], esp
	mov ecx, P_COUNT
	mov eax, conf_lm_results
.clear:
	mov dword [eax], -2             ; "not run"
	mov dword [eax + 4], 0
	add eax, 8
	loop .clear

	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov cr3, ebx
	mov ecx, EFER
	rdmsr
	or eax, EFER_LME
	wrmsr
	lidt [idt64_desc]               ; IA-32e mode delivers through 16-byte gates, compatibility mode too
	mov eax, cr0
	or eax, CR0_PG
	mov cr0, eax                    ; IA-32e mode active, in compatibility mode
	jmp CODE64:lm64

bits 64
lm64:
	mov ecx, EFER
	rdmsr
	mov [conf_lm_values + V_EFER_IN * 4], eax

	PROBE_BEGIN                     ; clearing PG in 64-bit mode: #GP(0) (Vol. 2B "MOV CR")
	mov rax, cr0
	btr rax, 31
	mov cr0, rax
	PROBE_END P_CLEAR_PG

	PROBE_BEGIN                     ; clearing PAE while IA-32e mode is active: #GP(0)
	mov rax, cr4
	btr rax, 5
	mov cr4, rax
	PROBE_END P_CLEAR_PAE

	PROBE_BEGIN                     ; a CR3 bit at MAXPHYADDR or above: #GP(0)
	mov rax, rsi
	shl rax, 32
	or rax, rbx
	mov cr3, rax
	PROBE_END P_CR3_RSVD
	mov cr3, rbx

	PROBE_BEGIN                     ; CR8 is TPR[7:4] (10.8.6.1 "Task-Priority Register and CR8")
	mov eax, 5
	mov cr8, rax
	mov rax, cr8
	mov [conf_lm_values + V_CR8 * 4], eax
	mov eax, APIC_TPR               ; above 2 GiB: a 32-bit displacement would sign-extend
	mov eax, [rax]
	mov [conf_lm_values + V_TPR * 4], eax
	xor eax, eax
	mov cr8, rax
	PROBE_END P_CR8_WRITE

	PROBE_BEGIN                     ; CR8 bits 63:4 are reserved: #GP(0)
	mov eax, 0x10
	mov cr8, rax
	PROBE_END P_CR8_RSVD
	xor eax, eax
	mov cr8, rax

	PROBE_BEGIN                     ; a non-canonical data address: #GP(0) (3.3.7.1)
	mov rax, 0x8000000000000000
	mov rax, [rax]
	PROBE_END P_NONCANON

	PROBE_BEGIN                     ; EFER.LME cannot change while paging is on: #GP(0) (10.8.5)
	mov ecx, EFER
	rdmsr
	btr eax, 8
	wrmsr
	PROBE_END P_EFER_LME

	PROBE_BEGIN                     ; CR4.LA57 cannot change in IA-32e mode: #GP(0) (Vol. 2B "MOV CR")
	mov rax, cr4
	btc rax, 12
	mov cr4, rax
	PROBE_END P_LA57

	PROBE_BEGIN                     ; DR7[63:32] must be 0 in 64-bit mode: #GP(0) (17.2.6)
	mov rax, dr7
	bts rax, 32
	mov dr7, rax
	PROBE_END P_DR7_HIGH

	PROBE_BEGIN                     ; DR6[63:32] likewise
	mov rax, dr6
	bts rax, 32
	mov dr6, rax
	PROBE_END P_DR6_HIGH

	PROBE_BEGIN                     ; CR4.PCIDE with CR3[11:0] != 0: #GP(0) (4.10.1)
	mov rax, rbx
	or rax, 1
	mov cr3, rax                    ; with PCIDE=0 these bits are ignored
	mov rax, cr4
	bts rax, 17
	mov cr4, rax
	PROBE_END P_PCIDE_CR3
	mov cr3, rbx

	test edi, 1
	jz .no_pcid
	PROBE_BEGIN                     ; CR4.PCIDE with CR3[11:0] = 0 in IA-32e mode: allowed with PCID
	mov rax, cr4
	bts rax, 17
	mov cr4, rax
	PROBE_END P_PCIDE
	mov rax, cr4
	mov [conf_lm_values + V_CR4_PCIDE * 4], eax
.no_pcid:
	push CODE32
	lea rax, [rel compat]
	push rax
	o64 retf

bits 32
compat:
	test edi, 1
	jz .leave
	PROBE_BEGIN                     ; with CR4.PCIDE=1, clearing PG faults even in compatibility mode
	mov eax, cr0
	and eax, ~CR0_PG
	mov cr0, eax
	PROBE_END P_COMPAT_PG
	mov eax, cr4
	and eax, ~CR4_PCIDE
	mov cr4, eax
.leave:
	PROBE_BEGIN                     ; compatibility mode, PCIDE=0: PG=0 leaves IA-32e mode (LMA=0)
	mov eax, cr0
	and eax, ~CR0_PG
	mov cr0, eax
	PROBE_END P_EXIT
	mov ecx, EFER
	rdmsr
	mov [conf_lm_values + V_EFER_OUT * 4], eax
	and eax, ~EFER_LME
	wrmsr
	mov eax, cr4
	and eax, ~(CR4_PAE | CR4_PCIDE)
	mov cr4, eax
	mov esp, [lm_esp]
	popad
	xor eax, eax
	ret

; The 64-bit handlers: vector and error code (0 when the CPU pushes none) recorded, then IRETQ to
; the probe's end (compatibility-mode code segment selectors and offsets are kept as the frame says).
bits 64
%macro LM_STUB 1
lm_stub_%1:
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21
%else
	push 0
%endif
	push %1
	jmp lm_common
%endmacro

%assign v 0
%rep 32
	LM_STUB v
%assign v v + 1
%endrep

lm_common:
	push rax
	mov rax, [rsp + 8]
	mov [lm_vec], eax
	mov rax, [rsp + 16]
	mov [lm_err], eax
	mov rax, [lm_resume]
	test rax, rax
	jz .stuck                       ; no probe armed: nothing sane to return to; the run times out
	mov [rsp + 24], rax             ; RIP of the IRETQ frame
	pop rax
	add rsp, 16
	iretq
.stuck:
	cli
	hlt
	jmp .stuck

section .data
align 16
; 32 interrupt gates (16 bytes each: SDM Vol. 3A 6.14.1 "64-Bit Mode IDT"), filled in by conf_lm_idt_init.
idt64:
%assign v 0
%rep 32
	dw 0                            ; offset 15:0 (filled at run time)
	dw CODE64
	db 0, 0x8e                      ; IST 0; present, DPL 0, 64-bit interrupt gate
	dw 0                            ; offset 31:16
	dd 0                            ; offset 63:32
	dd 0
%assign v v + 1
%endrep
idt64_end:
idt64_desc:
	dw idt64_end - idt64 - 1
	dd idt64                        ; LIDT runs in 32-bit code: a 32-bit base

align 8
lm_stubs:
%assign v 0
%rep 32
	dd lm_stub_ %+ v
%assign v v + 1
%endrep

section .bss
align 8
lm_resume: resq 1
lm_vec:    resd 1
lm_err:    resd 1
lm_esp:    resd 1
conf_lm_results: resd 2 * P_COUNT
conf_lm_values:  resd 8

; void conf_lm_idt_init(void): the gates' offsets, which NASM cannot split at assembly time.
section .text
bits 32
global conf_lm_idt_init
conf_lm_idt_init:
	push ebx
	xor ecx, ecx
.gate:
	mov eax, [lm_stubs + ecx * 4]
	mov ebx, ecx
	shl ebx, 4
	mov [idt64 + ebx], ax
	shr eax, 16
	mov [idt64 + ebx + 6], ax
	inc ecx
	cmp ecx, 32
	jb .gate
	pop ebx
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
