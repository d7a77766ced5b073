; The multiboot2 header of a test guest (Multiboot2 spec 3.1 "OS image format").
; No address tag: the loader takes the load address from the ELF program headers.

global guest_boot_protocol

MB2_MAGIC     equ 0xE85250D6
MB2_ARCH_I386 equ 0              ; 32-bit protected mode i386
MB2_LENGTH    equ mb2_end - mb2_start

section .multiboot
align 8
mb2_start:
	dd MB2_MAGIC
	dd MB2_ARCH_I386
	dd MB2_LENGTH
	dd -(MB2_MAGIC + MB2_ARCH_I386 + MB2_LENGTH)
	; end tag: type 0, flags 0, size 8
	dw 0
	dw 0
	dd 8
mb2_end:

section .rodata
align 4
; Which header this image carries, so that one source can check either boot protocol.
guest_boot_protocol:
	dd 2
