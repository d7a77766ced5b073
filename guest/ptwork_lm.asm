; ptwork's excursion into 64-bit mode while tracing: PAE paging with EFER.LME makes the CPU enter
; IA-32e mode (SDM 10.8.5 "Initializing IA-32e Mode"), a far jump to a 64-bit code segment runs some
; 64-bit code (a loop, a call, a return), and a far return to the 32-bit segment and paging off leave
; it again. In the trace this is MODE.Exec packets around far transfers.
; void ptw_long_mode_trip(uint32_t pml4)   (cdecl; identity-mapped page tables built by the caller)

bits 32
global ptw_long_mode_trip

CODE32 equ 0x08
DATA   equ 0x10
CODE64 equ 0x18
EFER   equ 0xc0000080

section .text
ptw_long_mode_trip:
	pushad
	pushfd
	cli                             ; the guest's IDT has 32-bit gates: no interrupts in 64-bit mode
	mov ebx, [esp + 40]             ; pml4 (8 pushad words + flags + return address)
	lgdt [lm_gdt_desc]              ; same 0x08/0x10 as the library's GDT, plus a 64-bit code segment
	mov eax, cr4
	or eax, 1 << 5                  ; PAE
	mov cr4, eax
	mov cr3, ebx
	mov ecx, EFER
	rdmsr
	or eax, 1 << 8                  ; LME
	wrmsr
	mov eax, cr0
	or eax, 1 << 31                 ; PG: IA-32e mode is active (compatibility mode)
	mov cr0, eax
	jmp CODE64:lm_entry

bits 64
lm_entry:
	mov ecx, 12
.spin:
	call lm_leaf
	dec ecx
	jnz .spin
	lea rax, [rel lm_back]
	push qword CODE32
	push rax
	o64 retf                        ; back to 32-bit code (compatibility mode)

lm_leaf:
	test ecx, 1
	jz .even
	add r8, rcx
.even:
	ret

bits 32
lm_back:
	mov ax, DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr0
	and eax, ~(1 << 31)             ; paging off: IA-32e mode ends
	mov cr0, eax
	mov ecx, EFER
	rdmsr
	and eax, ~(1 << 8)
	wrmsr
	mov eax, cr4
	and eax, ~(1 << 5)
	mov cr4, eax
	popfd
	popad
	ret

section .rodata
align 8
lm_gdt:
	dq 0
	dq 0x00cf9a000000ffff           ; 0x08: 32-bit code
	dq 0x00cf92000000ffff           ; 0x10: data
	dq 0x00af9a000000ffff           ; 0x18: 64-bit code (L=1)
lm_gdt_end:
lm_gdt_desc:
	dw lm_gdt_end - lm_gdt - 1
	dd lm_gdt

section .note.GNU-stack noalloc noexec nowrite progbits
