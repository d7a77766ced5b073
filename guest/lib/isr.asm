; Interrupt stubs for all 256 vectors: a uniform frame (vector, error code, PUSHAD) for trap_dispatch().
; Which exceptions push an error code: SDM Vol. 3A 6.15 "Exception and Interrupt Reference".

bits 32

global isr_stub_table
extern trap_dispatch

%macro STUB 1
isr_stub_%1:
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30
	; the CPU pushed an error code already
%else
	push dword 0
%endif
	push dword %1
	jmp isr_common
%endmacro

section .text
%assign v 0
%rep 256
	STUB v
%assign v v + 1
%endrep

isr_common:
	pushad
	cld                             ; the C ABI assumes DF = 0
	push esp                        ; struct trap_frame *
	call trap_dispatch
	add esp, 4
	popad
	add esp, 8                      ; vector and error code
	iretd

section .rodata
align 4
isr_stub_table:
%assign v 0
%rep 256
	dd isr_stub_ %+ v
%assign v v + 1
%endrep
