; elf64: an ELF64 multiboot2 kernel, as a 64-bit OS ships one. GRUB (and ptvisor) enter it in 32-bit
; protected mode at its physical entry; it builds identity page tables, enables PAE and EFER.LME, turns
; paging on (IA-32e mode), far-jumps to 64-bit code, and reports over COM1 from 64-bit mode before
; ending with isa-debug-exit status 0 (SDM 10.8.5 "Initializing IA-32e Mode").

MB2_MAGIC equ 0xe85250d6
COM1      equ 0x3f8
EFER      equ 0xc0000080

section .multiboot align=8
mb2:
	dd MB2_MAGIC, 0, mb2_end - mb2, -(MB2_MAGIC + (mb2_end - mb2))
	align 8
	dw 0, 0
	dd 8
mb2_end:

section .text
bits 32
global _start
_start:
	mov esp, stack_top
	cmp eax, 0x36d76289             ; multiboot2 magic from the loader
	jne fail32
	; PML4[0] -> PDPT, PDPT[0] -> PD, PD[0..7] -> 2 MiB pages (first 16 MiB, identity).
	mov dword [pml4], pdpt + 3
	mov dword [pdpt], pd + 3
	xor ecx, ecx
.pd:
	mov eax, ecx
	shl eax, 21
	or eax, 0x83
	mov [pd + ecx * 8], eax
	inc ecx
	cmp ecx, 8
	jb .pd
	lgdt [gdt_desc]
	mov eax, cr4
	or eax, 1 << 5                  ; PAE
	mov cr4, eax
	mov eax, pml4
	mov cr3, eax
	mov ecx, EFER
	rdmsr
	or eax, 1 << 8                  ; LME
	wrmsr
	mov eax, cr0
	or eax, 1 << 31                 ; PG: IA-32e mode
	mov cr0, eax
	jmp 0x18:long64
fail32:
	mov dx, 0xf4
	mov eax, 1
	out dx, eax
	hlt

bits 64
long64:
	mov ecx, EFER
	rdmsr
	test eax, 1 << 10               ; LMA
	jz .fail
	lea rsi, [rel msg]
.next:
	lodsb
	test al, al
	jz .done
	mov dx, COM1
	out dx, al
	jmp .next
.done:
	mov dx, 0xf4
	xor eax, eax
	out dx, eax
	hlt
.fail:
	mov dx, 0xf4
	mov eax, 2
	out dx, eax
	hlt

section .rodata
msg: db "elf64: running in 64-bit mode (EFER.LMA=1)", 10, 0
align 8
gdt:
	dq 0
	dq 0x00cf9a000000ffff           ; 0x08: 32-bit code
	dq 0x00cf92000000ffff           ; 0x10: data
	dq 0x00af9a000000ffff           ; 0x18: 64-bit code
gdt_end:
gdt_desc:
	dw gdt_end - gdt - 1
	dd gdt

section .bss
align 4096
pml4: resb 4096
pdpt: resb 4096
pd:   resb 4096
stack: resb 4096
stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
