; Guest entry: the multiboot handoff (32-bit protected mode, paging off, EAX = magic,
; EBX = info address; Multiboot2 spec 3.3 "I386 machine state") to guest_main() and back out.

bits 32

global _start
global guest_boot_magic
global guest_boot_info
extern __bss_start
extern __bss_end
extern trap_init
extern guest_main
extern guest_exit

STACK_SIZE equ 64 * 1024
SEL_CODE   equ 0x08
SEL_DATA   equ 0x10

section .text.entry
_start:
	; The loader leaves IF clear but ESP and the GDT undefined: nothing may touch memory
	; through the stack or reload a segment register until both are ours.
	cli
	cld
	mov esi, eax                    ; magic, kept across the bss clear
	mov ebp, ebx                    ; info address

	lgdt [gdt_desc]
	jmp SEL_CODE:.flat
.flat:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov esp, stack_top

	; The loader zeroes bss as the ELF says, but a VMM under test may not: clear it ourselves.
	mov edi, __bss_start
	mov ecx, __bss_end
	sub ecx, edi
	xor eax, eax
	rep stosb

	mov [guest_boot_magic], esi
	mov [guest_boot_info], ebp

	call trap_init

	push ebp
	push esi
	call guest_main
	add esp, 8

	push eax
	call guest_exit                 ; does not return
.halt:
	cli
	hlt
	jmp .halt

section .rodata
align 8
; Flat 4 GiB segments (SDM Vol. 3A 3.4.5 "Segment Descriptors"): G=1, D/B=1, present, DPL 0.
gdt:
	dq 0                            ; null descriptor
	dq 0x00CF9A000000FFFF           ; 0x08: code, execute/read
	dq 0x00CF92000000FFFF           ; 0x10: data, read/write
gdt_end:

gdt_desc:
	dw gdt_end - gdt - 1
	dd gdt

section .data
align 4
guest_boot_magic: dd 0
guest_boot_info:  dd 0

section .bss
align 16
stack_bottom:
	resb STACK_SIZE
stack_top:
