; 32-bit multiboot2 entry (EAX = magic, EBX = info, paging off) -> 64-bit long mode.
; Identity-maps the first 4 GiB with 2 MiB pages; C extends the map when needed.

bits 32

extern kmain
global _start
global boot_pml4
global boot_pdpt
global boot_pd
global boot_stack_top

COM1 equ 0x3f8

section .boot.text progbits alloc exec nowrite
_start:
	cli
	cld
	mov esp, boot_stack_top
	mov edi, eax                    ; magic, kept for kmain
	mov esi, ebx                    ; multiboot info

	; Long mode needs CPUID leaf 0x80000001 EDX[29] (SDM 10.8.5).
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_long_mode
	mov eax, 0x80000001
	cpuid
	test edx, 1 << 29
	jz .no_long_mode

	; PML4[0] -> PDPT, PDPT[0..3] -> PD[0..3], each PD maps 1 GiB with 2 MiB pages.
	; EDI/ESI (magic, info) survive: only EAX-EDX are used below.
	mov eax, boot_pdpt
	or eax, 0x3
	mov [boot_pml4], eax
	mov dword [boot_pml4 + 4], 0
	xor ecx, ecx
.pdpt:
	mov eax, ecx
	shl eax, 12
	add eax, boot_pd
	or eax, 0x3
	mov [boot_pdpt + ecx * 8], eax
	mov dword [boot_pdpt + ecx * 8 + 4], 0
	inc ecx
	cmp ecx, 4
	jb .pdpt
	xor ecx, ecx
.pd:
	mov eax, ecx
	shl eax, 21
	or eax, 0x83                    ; present, writable, 2 MiB page
	mov [boot_pd + ecx * 8], eax
	mov eax, ecx
	shr eax, 11                     ; bits 32+ of (ecx << 21)
	mov [boot_pd + ecx * 8 + 4], eax
	inc ecx
	cmp ecx, 2048
	jb .pd

	mov eax, boot_pml4
	mov cr3, eax
	mov eax, cr4
	or eax, 1 << 5                  ; CR4.PAE
	mov cr4, eax
	mov ecx, 0xc0000080             ; IA32_EFER
	rdmsr
	or eax, (1 << 8) | (1 << 11)    ; LME, NXE
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16) | 1 ; PG, WP, PE
	mov cr0, eax

	lgdt [boot_gdt_ptr]
	jmp 0x08:long_mode_entry

.no_long_mode:
	mov esi, no_lm_msg
.putc:
	lodsb
	test al, al
	jz .halt
	mov dx, COM1
	out dx, al
	jmp .putc
.halt:
	hlt
	jmp .halt

bits 64
long_mode_entry:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rsp, boot_stack_top
	; kmain(uint32_t magic, uint32_t info): EDI and ESI already hold them.
	mov edi, edi
	mov esi, esi
	call kmain
.hang:
	cli
	hlt
	jmp .hang

section .boot.data progbits alloc noexec write
align 8
no_lm_msg: db "ptvisor: error: this CPU has no long mode (CPUID 80000001h EDX[29]); cannot boot", 13, 10, 0

align 16
boot_gdt:
	dq 0
	dq 0x00af9a000000ffff           ; 0x08: 64-bit code
	dq 0x00cf92000000ffff           ; 0x10: data
boot_gdt_end:
boot_gdt_ptr:
	dw boot_gdt_end - boot_gdt - 1
	dd boot_gdt

section .bss
align 4096
boot_pml4: resb 4096
boot_pdpt: resb 4096
boot_pd:   resb 4096 * 4
boot_stack: resb 16384
boot_stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
