; Multiboot2 header (Multiboot2 spec 3.1): GRUB finds it in the first 32 KiB.
; No framebuffer tag: under BIOS GRUB then keeps VGA text mode; under UEFI, which has no text
; mode, it sets a GOP mode anyway (grub.cfg loads the video drivers) and passes it to us.

MB2_MAGIC        equ 0xe85250d6
MB2_ARCH_I386    equ 0

section .multiboot2 align=8
mb2_header:
	dd MB2_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header
	dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

	; Information request (type 1), optional flag set: we parse what comes.
	align 8
	dw 1, 1
	dd 8 + 4 * 6
	dd 1, 6, 14, 15, 17, 3          ; cmdline, mmap, ACPI old, ACPI new, EFI mmap, modules

	; Module alignment (type 6): guests are loaded from page-aligned modules.
	align 8
	dw 6, 0
	dd 8

	; End tag.
	align 8
	dw 0, 0
	dd 8
mb2_header_end:

section .note.GNU-stack noalloc noexec nowrite progbits
