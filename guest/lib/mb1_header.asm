; The multiboot1 header of a test guest (Multiboot spec 0.6.96 section 3.1.1 "The layout of Multiboot header").
; Flag 16 (a.out kludge) stays clear: the loader takes load addresses from the ELF program headers.

global guest_boot_protocol

MB1_MAGIC         equ 0x1BADB002
MB1_PAGE_ALIGN    equ 1 << 0     ; modules page aligned
MB1_MEMORY_INFO   equ 1 << 1     ; ask for mem_lower/mem_upper and the memory map
MB1_FLAGS         equ MB1_PAGE_ALIGN | MB1_MEMORY_INFO

section .multiboot
align 4
	dd MB1_MAGIC
	dd MB1_FLAGS
	dd -(MB1_MAGIC + MB1_FLAGS)

section .rodata
align 4
; Which header this image carries, so that one source can check either boot protocol.
guest_boot_protocol:
	dd 1
