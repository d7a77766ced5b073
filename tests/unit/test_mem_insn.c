/*
 * The memory-operand forms the unbacked-GPA emulation accepts (vmm/x86/mem_insn.c), in 16/32/64-bit
 * mode: every field exact, every shorter prefix of an accepted instruction refused, everything else
 * refused, and the length always the one insn_decode() gives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "x86/mem_insn.h"

struct mc {
	enum insn_mode m;
	const char *b;
	unsigned n; /* bytes of the instruction, all of them its own */
	const char *what;
	enum mem_kind kind;
	enum alu_op op; /* MEM_ALU, MEM_STRING */
	bool mem_dst;   /* MEM_ALU */
	unsigned size;
	int reg;
	bool high8;
	bool has_imm;
	uint64_t imm;
	unsigned dst; /* reg_size; 0: the same as size */
	bool sx;
	bool btreg;
	enum mem_string str;
	enum mem_rep rep;
	const char *name; /* mem_insn_name() */
};

#define M16             INSN_MODE16
#define M32             INSN_MODE32
#define M64             INSN_MODE64
#define NEG1            0xffffffffffffffffull
#define BYTES(md, s, w) .m = md, .b = s, .n = sizeof(s) - 1, .what = w
/* clang-format off */
/* Store and load of a register, store of an immediate, MOVZX/MOVSX load. */
#define ST(md, s, w, sz, r) { BYTES(md, s, w), .kind = MEM_STORE, .size = sz, .reg = r, .name = "mov" }
#define LD(md, s, w, sz, r) { BYTES(md, s, w), .kind = MEM_LOAD, .size = sz, .reg = r, .name = "mov" }
#define ST8H(md, s, w, r) { BYTES(md, s, w), .kind = MEM_STORE, .size = 1, .reg = r, .high8 = true, .name = "mov" }
#define LD8H(md, s, w, r) { BYTES(md, s, w), .kind = MEM_LOAD, .size = 1, .reg = r, .high8 = true, .name = "mov" }
#define IMM(md, s, w, sz, v) { BYTES(md, s, w), .kind = MEM_STORE, .size = sz, .reg = -1, .has_imm = true, .imm = v, \
		.name = "mov" }
#define WIDEN(md, s, w, sz, r, d, x) { BYTES(md, s, w), .kind = MEM_LOAD, .size = sz, .reg = r, .dst = d, .sx = x, \
		.name = x ? "movsx" : "movzx" }
#define SXD(md, s, w, sz, r, d) { BYTES(md, s, w), .kind = MEM_LOAD, .size = sz, .reg = r, .dst = d, .sx = true, \
		.name = "movsxd" }
/* ALU with a register (memory the destination or not), with an immediate, on memory alone. */
#define AR(md, s, w, o, md_, sz, r, h) { BYTES(md, s, w), .kind = MEM_ALU, .op = o, .mem_dst = md_, .size = sz, \
		.reg = r, .high8 = h, .name = #o }
#define AI(md, s, w, o, sz, v) { BYTES(md, s, w), .kind = MEM_ALU, .op = o, .mem_dst = true, .size = sz, .reg = -1, \
		.has_imm = true, .imm = v, .name = #o }
#define AU(md, s, w, o, sz) { BYTES(md, s, w), .kind = MEM_ALU, .op = o, .mem_dst = true, .size = sz, .reg = -1, \
		.name = #o }
#define XC(md, s, w, sz, r, h) { BYTES(md, s, w), .kind = MEM_XCHG, .size = sz, .reg = r, .high8 = h, .name = "xchg" }
#define BTR_(md, s, w, o, sz, r) { BYTES(md, s, w), .kind = MEM_ALU, .op = o, .mem_dst = true, .size = sz, .reg = r, \
		.btreg = true, .name = #o }
#define STR(md, s, w, k, sz, rp, nm) { BYTES(md, s, w), .kind = MEM_STRING, .op = ALU_CMP, .size = sz, .reg = 0, \
		.str = k, .rep = rp, .name = nm }
/* Shifts by an immediate or 1, by CL; the other kinds with their register operand and name. */
#define SHI(md, s, w, o, sz, v) { BYTES(md, s, w), .kind = MEM_ALU, .op = o, .mem_dst = true, .size = sz, .reg = -1, \
		.has_imm = true, .imm = v, .name = #o }
#define SHC(md, s, w, o, sz) { BYTES(md, s, w), .kind = MEM_ALU, .op = o, .mem_dst = true, .size = sz, .reg = 1, \
		.dst = 1, .name = #o }
#define KR(md, s, w, k, sz, r, h, nm) { BYTES(md, s, w), .kind = k, .size = sz, .reg = r, .high8 = h, .name = nm }
#define KS(md, s, w, k, sz, nm) { BYTES(md, s, w), .kind = k, .size = sz, .reg = -1, .name = nm }
/* clang-format on */

static const struct mc good[] = {
	/* ---- group 2 shifts and rotates, every /digit, 8/16/32/64-bit ---- */
	SHI(M64, "\xd1\x20", "shl dword [rax],1", ALU_SHL, 4, 1),
	SHI(M64, "\xd0\x00", "rol byte [rax],1", ALU_ROL, 1, 1),
	SHI(M64, "\x66\xd1\x08", "ror word [rax],1", ALU_ROR, 2, 1),
	SHI(M64, "\x48\xd1\x10", "rcl qword [rax],1", ALU_RCL, 8, 1),
	SHI(M64, "\xc0\x18\x03", "rcr byte [rax],3", ALU_RCR, 1, 3),
	SHI(M64, "\xc1\x28\xff", "shr dword [rax],255: unsigned", ALU_SHR, 4, 0xff),
	SHI(M64, "\xc1\x30\x04", "sal dword [rax],4 (/6)", ALU_SAL, 4, 4),
	SHI(M64, "\x48\xc1\x38\x3f", "sar qword [rax],63", ALU_SAR, 8, 63),
	SHI(M64, "\x66\xc1\x60\x10\x01", "shl word [rax+0x10],1 (C1)", ALU_SHL, 2, 1),
	SHC(M64, "\xd3\x20", "shl dword [rax],cl", ALU_SHL, 4),
	SHC(M64, "\xd2\x38", "sar byte [rax],cl", ALU_SAR, 1),
	SHC(M64, "\x49\xd3\x00", "rol qword [r8],cl", ALU_ROL, 8),
	SHC(M64, "\x66\xd3\x18", "rcr word [rax],cl", ALU_RCR, 2),
	SHI(M32, "\xd1\x25\x00\x00\x00\xc0", "shl dword [0xc0000000],1", ALU_SHL, 4, 1),
	SHC(M32, "\xd3\x2b", "shr dword [ebx],cl", ALU_SHR, 4),
	SHI(M16, "\xd1\x27", "shl word [bx],1", ALU_SHL, 2, 1),
	SHI(M16, "\x66\xc1\x3f\x05", "sar dword [bx],5", ALU_SAR, 4, 5),
	/* ---- XADD, CMPXCHG, CMPXCHG8B/16B ---- */
	KR(M64, "\x0f\xc1\x08", "xadd [rax],ecx", MEM_XADD, 4, 1, false, "xadd"),
	KR(M64, "\xf0\x0f\xc1\x08", "lock xadd [rax],ecx", MEM_XADD, 4, 1, false, "xadd"),
	KR(M64, "\x0f\xc0\x20", "xadd [rax],ah", MEM_XADD, 1, 0, true, "xadd"),
	KR(M64, "\xf0\x4c\x0f\xc1\x00", "lock xadd [rax],r8", MEM_XADD, 8, 8, false, "xadd"),
	KR(M64, "\x66\x0f\xc1\x10", "xadd [rax],dx", MEM_XADD, 2, 2, false, "xadd"),
	KR(M64, "\x0f\xb1\x0b", "cmpxchg [rbx],ecx", MEM_CMPXCHG, 4, 1, false, "cmpxchg"),
	KR(M64, "\xf0\x0f\xb1\x0b", "lock cmpxchg [rbx],ecx", MEM_CMPXCHG, 4, 1, false, "cmpxchg"),
	KR(M64, "\xf2\xf0\x48\x0f\xb1\x0b", "xacquire lock cmpxchg [rbx],rcx", MEM_CMPXCHG, 8, 1, false, "cmpxchg"),
	KR(M64, "\x40\x0f\xb0\x33", "cmpxchg [rbx],sil", MEM_CMPXCHG, 1, 6, false, "cmpxchg"),
	KS(M64, "\x0f\xc7\x0b", "cmpxchg8b [rbx]", MEM_CMPXCHG8B, 8, "cmpxchg8b"),
	KS(M64, "\xf0\x48\x0f\xc7\x0b", "lock cmpxchg16b [rbx]", MEM_CMPXCHG8B, 16, "cmpxchg16b"),
	KR(M32, "\xf0\x0f\xc1\x0d\x00\x00\x00\xc0", "lock xadd [0xc0000000],ecx", MEM_XADD, 4, 1, false, "xadd"),
	KS(M32, "\xf0\x0f\xc7\x0b", "lock cmpxchg8b [ebx]", MEM_CMPXCHG8B, 8, "cmpxchg8b"),
	KR(M16, "\x0f\xb1\x07", "cmpxchg [bx],ax", MEM_CMPXCHG, 2, 0, false, "cmpxchg"),
	/* ---- PUSH r/m, POP r/m: 64-bit by default in 64-bit mode, 66 for 16 ---- */
	KS(M64, "\xff\x30", "push qword [rax]", MEM_PUSH, 8, "push"),
	KS(M64, "\x48\xff\x30", "push qword [rax] with REX.W", MEM_PUSH, 8, "push"),
	KS(M64, "\x67\xff\x30", "push qword [eax]", MEM_PUSH, 8, "push"),
	KS(M64, "\x66\xff\x30", "push word [rax]", MEM_PUSH, 2, "push"),
	KS(M64, "\x66\x48\xff\x30", "push qword [rax]: REX.W beats 66", MEM_PUSH, 8, "push"),
	KS(M64, "\x8f\x00", "pop qword [rax]", MEM_POP, 8, "pop"),
	KS(M64, "\x66\x8f\x44\x24\x08", "pop word [rsp+8]", MEM_POP, 2, "pop"),
	KS(M32, "\xff\x35\x00\x00\x00\xc0", "push dword [0xc0000000]", MEM_PUSH, 4, "push"),
	KS(M32, "\x66\xff\x30", "push word [eax]", MEM_PUSH, 2, "push"),
	KS(M32, "\x8f\x05\x00\x00\x00\xc0", "pop dword [0xc0000000]", MEM_POP, 4, "pop"),
	KS(M16, "\xff\x37", "push word [bx]", MEM_PUSH, 2, "push"),
	KS(M16, "\x66\x8f\x07", "pop dword [bx]", MEM_POP, 4, "pop"),
	/* ---- 64-bit ---- */
	ST(M64, "\x89\x00", "mov [rax],eax", 4, 0),
	ST(M64, "\x48\x89\x08", "mov [rax],rcx: REX.W", 8, 1),
	ST(M64, "\x4c\x89\x00", "mov [rax],r8: REX.R", 8, 8),
	ST(M64, "\x41\x89\x00", "mov [r8],eax: REX.B is not the register", 4, 0),
	ST(M64, "\x66\x89\x10", "mov [rax],dx", 2, 2),
	ST(M64, "\x66\x48\x89\x10", "mov [rax],rdx: REX.W beats 66", 8, 2),
	ST8H(M64, "\x88\x20", "mov [rax],ah", 0),
	ST(M64, "\x40\x88\x20", "mov [rax],spl: any REX turns AH into SPL", 1, 4),
	ST(M64, "\x44\x88\x20", "mov [rax],r12b", 1, 12),
	ST(M64, "\x40\x88\x38", "mov [rax],dil", 1, 7),
	LD8H(M64, "\x8a\x3d\x00\x00\x00\x00", "mov bh,[rip]", 3),
	LD(M64, "\x8a\x0d\x00\x00\x00\x00", "mov cl,[rip]", 1, 1),
	LD(M64, "\x8b\x04\x25\x00\x00\xe0\xfe", "mov eax,[0xfee00000]", 4, 0),
	LD(M64, "\x48\x8b\x84\x8b\x78\x56\x34\x12", "mov rax,[rbx+rcx*4+0x12345678]", 8, 0),
	LD(M64, "\x4f\x8b\x44\xa5\xf0", "mov r8,[r13+r12*4-0x10]", 8, 8),
	LD(M64, "\x65\x8b\x04\x25\x28\x00\x00\x00", "mov eax,gs:[0x28]", 4, 0),
	LD(M64, "\x2e\x3e\x26\x36\x64\x8b\x00", "mov eax,fs:[rax] after ignored overrides", 4, 0),
	LD(M64, "\x67\x8b\x00", "mov eax,[eax]: 67", 4, 0),
	LD(M64, "\x67\x44\x8b\x3c\x24", "mov r15d,[esp]", 4, 15),
	LD(M64, "\x66\x8b\x60\x10", "mov sp,[rax+0x10]", 2, 4),
	IMM(M64, "\xc6\x00\x80", "mov byte [rax],0x80", 1, 0xffffffffffffff80ull),
	IMM(M64, "\xc6\x00\x7f", "mov byte [rax],0x7f", 1, 0x7f),
	IMM(M64, "\x66\xc7\x00\x00\x80", "mov word [rax],0x8000", 2, 0xffffffffffff8000ull),
	IMM(M64, "\xc7\x00\xff\xff\xff\x7f", "mov dword [rax],0x7fffffff", 4, 0x7fffffff),
	IMM(M64, "\xc7\x00\x00\x00\x00\x80", "mov dword [rax],0x80000000", 4, 0xffffffff80000000ull),
	IMM(M64, "\x48\xc7\x00\x00\x00\x00\x80", "mov qword [rax],imm32 sign-extended", 8, 0xffffffff80000000ull),
	IMM(M64, "\x48\xc7\x80\x00\x01\x00\x00\xff\xff\xff\xff", "mov qword [rax+0x100],-1", 8, NEG1),
	IMM(M64, "\x4c\xc7\x00\x01\x00\x00\x00", "mov qword [rax],1: REX.R on /0 is ignored", 8, 1),
	IMM(M64, "\x41\xc6\x44\x24\x08\x5a", "mov byte [r12+8],0x5a", 1, 0x5a),
	LD(M64, "\xa0\x00\x00\xe0\xfe\x00\x00\x00\x00", "mov al,[moffs64]", 1, 0),
	LD(M64, "\xa1\x00\x00\xe0\xfe\x00\x00\x00\x00", "mov eax,[moffs64]", 4, 0),
	LD(M64, "\x66\xa1\x00\x00\xe0\xfe\x00\x00\x00\x00", "mov ax,[moffs64]", 2, 0),
	ST(M64, "\x48\xa3\x00\x00\xe0\xfe\x00\x00\x00\x00", "mov [moffs64],rax", 8, 0),
	ST(M64, "\x67\xa2\x00\x00\xe0\xfe", "mov [moffs32],al", 1, 0),
	WIDEN(M64, "\x0f\xb6\x00", "movzx eax,byte [rax]", 1, 0, 4, false),
	WIDEN(M64, "\x0f\xb7\x08", "movzx ecx,word [rax]", 2, 1, 4, false),
	WIDEN(M64, "\x48\x0f\xbe\x10", "movsx rdx,byte [rax]", 1, 2, 8, true),
	WIDEN(M64, "\x66\x0f\xbe\x10", "movsx dx,byte [rax]", 1, 2, 2, true),
	WIDEN(M64, "\x4c\x0f\xbf\x00", "movsx r8,word [rax]", 2, 8, 8, true),
	WIDEN(M64, "\x0f\xb6\x20", "movzx esp,byte [rax]: no high byte", 1, 4, 4, false),
	WIDEN(M64, "\x66\x0f\xb7\x04\x25\x00\x00\xe0\xfe", "movzx ax,word [0xfee00000]", 2, 0, 2, false),
	/* REX only counts right before the opcode (SDM Vol. 2 2.2.1): an earlier one is ignored */
	ST8H(M64, "\x40\x66\x88\x20", "mov [rax],ah: REX voided by 66", 0),
	ST(M64, "\x44\x48\x89\x08", "mov [rax],rcx: the last REX counts", 8, 1),
	/* ALU, r/m,r and r,r/m, every operation */
	AR(M64, "\x01\x00", "add [rax],eax", ALU_ADD, true, 4, 0, false),
	AR(M64, "\x09\x18", "or [rax],ebx", ALU_OR, true, 4, 3, false),
	AR(M64, "\x10\x20", "adc [rax],ah", ALU_ADC, true, 1, 0, true),
	AR(M64, "\x40\x18\x20", "sbb [rax],spl", ALU_SBB, true, 1, 4, false),
	AR(M64, "\x48\x21\x08", "and [rax],rcx", ALU_AND, true, 8, 1, false),
	AR(M64, "\x66\x29\x10", "sub [rax],dx", ALU_SUB, true, 2, 2, false),
	AR(M64, "\x4c\x31\x38", "xor [rax],r15", ALU_XOR, true, 8, 15, false),
	AR(M64, "\x39\x00", "cmp [rax],eax", ALU_CMP, true, 4, 0, false),
	AR(M64, "\x03\x00", "add eax,[rax]", ALU_ADD, false, 4, 0, false),
	AR(M64, "\x0a\x38", "or bh,[rax]", ALU_OR, false, 1, 3, true),
	AR(M64, "\x44\x2a\x00", "sub r8b,[rax]", ALU_SUB, false, 1, 8, false),
	AR(M64, "\x48\x3b\x08", "cmp rcx,[rax]", ALU_CMP, false, 8, 1, false),
	AR(M64, "\x66\x33\x00", "xor ax,[rax]", ALU_XOR, false, 2, 0, false),
	AR(M64, "\x13\x00", "adc eax,[rax]", ALU_ADC, false, 4, 0, false),
	AR(M64, "\x1b\x00", "sbb eax,[rax]", ALU_SBB, false, 4, 0, false),
	AR(M64, "\x23\x00", "and eax,[rax]", ALU_AND, false, 4, 0, false),
	AR(M64, "\xf0\x09\x00", "lock or [rax],eax", ALU_OR, true, 4, 0, false),
	AR(M64, "\xf2\xf0\x01\x00", "xacquire lock add", ALU_ADD, true, 4, 0, false),
	AR(M64, "\x85\x00", "test [rax],eax", ALU_TEST, true, 4, 0, false),
	AR(M64, "\x84\x38", "test [rax],bh", ALU_TEST, true, 1, 3, true),
	/* group 1 with an immediate: 80 ib, 81 iz, 83 ib sign-extended */
	AI(M64, "\x80\x08\x01", "or byte [rax],1", ALU_OR, 1, 1),
	AI(M64, "\x80\x38\xff", "cmp byte [rax],0xff", ALU_CMP, 1, NEG1),
	AI(M64, "\x81\x0c\x25\xf0\x00\xe0\xfe\x00\x01\x00\x00", "or dword [0xfee000f0],0x100", ALU_OR, 4, 0x100),
	AI(M64, "\x48\x81\x20\x00\x00\x00\x80", "and qword [rax],imm32 sign-extended", ALU_AND, 8,
	   0xffffffff80000000ull),
	AI(M64, "\x66\x81\x30\x34\x12", "xor word [rax],0x1234", ALU_XOR, 2, 0x1234),
	AI(M64, "\x83\x00\xff", "add dword [rax],-1", ALU_ADD, 4, NEG1),
	AI(M64, "\x48\x83\x28\x7f", "sub qword [rax],0x7f", ALU_SUB, 8, 0x7f),
	AI(M64, "\x83\x10\x01", "adc dword [rax],1", ALU_ADC, 4, 1),
	AI(M64, "\x83\x18\x01", "sbb dword [rax],1", ALU_SBB, 4, 1),
	AI(M64, "\xf0\x83\x20\xfe", "lock and dword [rax],-2", ALU_AND, 4, 0xfffffffffffffffeull),
	AI(M64, "\x4c\x83\x38\x00", "cmp qword [rax],0: REX.R ignored by the group", ALU_CMP, 8, 0),
	AI(M64, "\xf6\x00\x80", "test byte [rax],0x80", ALU_TEST, 1, 0xffffffffffffff80ull),
	AI(M64, "\xf6\x08\x01", "test byte [rax],1 (F6 /1 alias)", ALU_TEST, 1, 1),
	AI(M64, "\xf7\x00\x00\x00\x00\x80", "test dword [rax],0x80000000", ALU_TEST, 4, 0xffffffff80000000ull),
	AI(M64, "\x66\xf7\x00\xff\x00", "test word [rax],0xff", ALU_TEST, 2, 0xff),
	/* unary */
	AU(M64, "\xf6\x10", "not byte [rax]", ALU_NOT, 1),
	AU(M64, "\x48\xf7\x18", "neg qword [rax]", ALU_NEG, 8),
	AU(M64, "\xfe\x00", "inc byte [rax]", ALU_INC, 1),
	AU(M64, "\xfe\x08", "dec byte [rax]", ALU_DEC, 1),
	AU(M64, "\xff\x00", "inc dword [rax]", ALU_INC, 4),
	AU(M64, "\x66\xff\x08", "dec word [rax]", ALU_DEC, 2),
	AU(M64, "\xf0\x48\xff\x00", "lock inc qword [rax]", ALU_INC, 8),
	AU(M64, "\xf0\xf7\x10", "lock not dword [rax]", ALU_NOT, 4),
	/* XCHG, implicitly locked: XACQUIRE without LOCK */
	XC(M64, "\x87\x00", "xchg [rax],eax", 4, 0, false),
	XC(M64, "\x86\x20", "xchg [rax],ah", 1, 0, true),
	XC(M64, "\x4c\x87\x18", "xchg [rax],r11", 8, 11, false),
	XC(M64, "\xf2\x87\x00", "xacquire xchg", 4, 0, false),
	XC(M64, "\xf0\x66\x87\x08", "lock xchg [rax],cx", 2, 1, false),
	/* MOVSXD, 63 in 64-bit mode */
	SXD(M64, "\x48\x63\x00", "movsxd rax,dword [rax]", 4, 0, 8),
	SXD(M64, "\x63\x08", "movsxd ecx,dword [rax]: a plain load", 4, 1, 4),
	SXD(M64, "\x66\x63\x08", "movsxd cx,word [rax]", 2, 1, 2),
	SXD(M64, "\x4c\x63\x00", "movsxd r8,dword [rax]", 4, 8, 8),
	/* BT family */
	BTR_(M64, "\x0f\xa3\x08", "bt [rax],ecx", ALU_BT, 4, 1),
	BTR_(M64, "\x48\x0f\xab\x08", "bts [rax],rcx", ALU_BTS, 8, 1),
	BTR_(M64, "\x66\x0f\xb3\x08", "btr [rax],cx", ALU_BTR, 2, 1),
	BTR_(M64, "\xf0\x0f\xbb\x08", "lock btc [rax],ecx", ALU_BTC, 4, 1),
	AI(M64, "\x0f\xba\x20\x05", "bt dword [rax],5", ALU_BT, 4, 5),
	AI(M64, "\x0f\xba\x28\x85", "bts dword [rax],0x85: unsigned", ALU_BTS, 4, 0x85),
	AI(M64, "\x48\x0f\xba\x30\x3f", "btr qword [rax],63", ALU_BTR, 8, 63),
	AI(M64, "\xf0\x66\x0f\xba\x38\x0f", "lock btc word [rax],15", ALU_BTC, 2, 15),
	/* strings */
	STR(M64, "\xa4", "movsb", STR_MOVS, 1, REP_NONE, "movs"),
	STR(M64, "\xf3\x48\xa5", "rep movsq", STR_MOVS, 8, REP_E, "rep movs"),
	STR(M64, "\xf2\xa5", "F2 movsd repeats", STR_MOVS, 4, REP_E, "rep movs"),
	STR(M64, "\xf3\xaa", "rep stosb", STR_STOS, 1, REP_E, "rep stos"),
	STR(M64, "\x66\xab", "stosw", STR_STOS, 2, REP_NONE, "stos"),
	STR(M64, "\xac", "lodsb", STR_LODS, 1, REP_NONE, "lods"),
	STR(M64, "\xf3\x67\xad", "rep lodsd with 32-bit addresses", STR_LODS, 4, REP_E, "rep lods"),
	STR(M64, "\xf3\xa6", "repe cmpsb", STR_CMPS, 1, REP_E, "repe cmps"),
	STR(M64, "\xf2\xa7", "repne cmpsd", STR_CMPS, 4, REP_NE, "repne cmps"),
	STR(M64, "\xf2\x48\xaf", "repne scasq", STR_SCAS, 8, REP_NE, "repne scas"),
	STR(M64, "\xae", "scasb", STR_SCAS, 1, REP_NONE, "scas"),
	STR(M64, "\x64\xa4", "movsb fs:", STR_MOVS, 1, REP_NONE, "movs"),
	/* XRELEASE MOV store (F3) */
	ST(M64, "\xf3\x89\x00", "xrelease mov [rax],eax", 4, 0),
	IMM(M64, "\xf3\xc6\x00\x00", "xrelease mov byte [rax],0", 1, 0),
	/* ---- 32-bit ---- */
	ST(M32, "\x89\x00", "mov [eax],eax", 4, 0),
	ST(M32, "\x66\x89\x00", "mov [eax],ax", 2, 0),
	ST8H(M32, "\x88\x38", "mov [eax],bh", 3),
	ST(M32, "\x88\x18", "mov [eax],bl", 1, 3),
	LD(M32, "\x8b\x44\x24\x04", "mov eax,[esp+4]", 4, 0),
	LD(M32, "\x67\x8b\x47\x02", "mov eax,[bx+2]", 4, 0),
	LD(M32, "\x67\x8b\x06\x34\x12", "mov eax,[0x1234]: 16-bit addressing", 4, 0),
	LD(M32, "\x3e\x8b\x35\x00\x00\xe0\xfe", "mov esi,ds:[0xfee00000]", 4, 6),
	LD(M32, "\xa1\x00\x00\xe0\xfe", "mov eax,[moffs32]", 4, 0),
	LD(M32, "\x67\xa1\x00\x10", "mov eax,[moffs16]", 4, 0),
	ST(M32, "\x66\xa3\x00\x00\xe0\xfe", "mov [moffs32],ax", 2, 0),
	IMM(M32, "\xc7\x05\x00\x00\xe0\xfe\x01\x00\x00\x00", "mov dword [0xfee00000],1", 4, 1),
	IMM(M32, "\x66\xc7\x05\x00\x00\xe0\xfe\xff\xff", "mov word [0xfee00000],-1", 2, NEG1),
	IMM(M32, "\xc6\x40\x10\x90", "mov byte [eax+0x10],0x90", 1, 0xffffffffffffff90ull),
	WIDEN(M32, "\x0f\xb7\x05\x00\x00\xe0\xfe", "movzx eax,word [0xfee00000]", 2, 0, 4, false),
	WIDEN(M32, "\x66\x0f\xb6\x00", "movzx ax,byte [eax]", 1, 0, 2, false),
	WIDEN(M32, "\x0f\xbf\x3b", "movsx edi,word [ebx]", 2, 7, 4, true),
	AR(M32, "\x01\x00", "add [eax],eax", ALU_ADD, true, 4, 0, false),
	AI(M32, "\x82\x08\x01", "or byte [eax],1 (82)", ALU_OR, 1, 1),
	AI(M32, "\x81\x0d\xf0\x00\xe0\xfe\x00\x01\x00\x00", "or dword [0xfee000f0],0x100", ALU_OR, 4, 0x100),
	STR(M32, "\xa5", "movsd", STR_MOVS, 4, REP_NONE, "movs"),
	STR(M32, "\x66\xf3\xab", "rep stosw", STR_STOS, 2, REP_E, "rep stos"),
	/* ---- 16-bit ---- */
	AR(M16, "\x09\x07", "or [bx],ax", ALU_OR, true, 2, 0, false),
	AR(M16, "\x66\x0b\x07", "or eax,[bx]", ALU_OR, false, 4, 0, false),
	STR(M16, "\xab", "stosw", STR_STOS, 2, REP_NONE, "stos"),
	STR(M16, "\x66\xab", "stosd", STR_STOS, 4, REP_NONE, "stos"),
	ST(M16, "\x89\x07", "mov [bx],ax", 2, 0),
	ST(M16, "\x66\x89\x07", "mov [bx],eax", 4, 0),
	ST8H(M16, "\x88\x26\x00\x10", "mov [0x1000],ah", 0),
	LD(M16, "\x8b\x46\xfe", "mov ax,[bp-2]", 2, 0),
	LD(M16, "\x26\x8b\x1e\x00\x10", "mov bx,es:[0x1000]", 2, 3),
	LD(M16, "\xa1\x00\x10", "mov ax,[moffs16]", 2, 0),
	LD(M16, "\xa0\x00\x10", "mov al,[moffs16]", 1, 0),
	LD(M16, "\x67\xa1\x00\x00\xe0\xfe", "mov ax,[moffs32]", 2, 0),
	LD(M16, "\x67\x8b\x04\x24", "mov ax,[esp]: 67 gives a SIB", 2, 0),
	LD(M16, "\x66\x67\x8b\x04\x25\x00\x00\xe0\xfe", "mov eax,[0xfee00000]", 4, 0),
	IMM(M16, "\xc7\x06\x00\x10\x34\x12", "mov word [0x1000],0x1234", 2, 0x1234),
	IMM(M16, "\xc6\x06\x00\x10\xff", "mov byte [0x1000],0xff", 1, NEG1),
	IMM(M16, "\x66\xc7\x06\x00\x10\xff\xff\xff\xff", "mov dword [0x1000],-1", 4, NEG1),
	WIDEN(M16, "\x0f\xb6\x07", "movzx ax,byte [bx]", 1, 0, 2, false),
	WIDEN(M16, "\x66\x0f\xbf\x07", "movsx eax,word [bx]", 2, 0, 4, true),
};

/* "ALU_ADD" -> "add": the case tables name operations by their enum. */
static void expect_name(const struct mc *c, const char *got)
{
	char want[16];
	const char *n = c->name;
	size_t i;

	if (!strncmp(n, "ALU_", 4))
		n += 4;
	for (i = 0; n[i] && i + 1 < sizeof(want); i++)
		want[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] - 'A' + 'a' : n[i]);
	want[i] = '\0';
	assert_string_equal(got, want);
}

static void check_good(const struct mc *c)
{
	uint8_t buf[32];
	struct mem_insn o;
	struct insn in;
	unsigned dst = c->dst ? c->dst : c->size;

	printf("  %s\n", c->what);
	/* Trailing bytes past the instruction must not change anything. */
	memset(buf, 0xcc, sizeof(buf));
	memcpy(buf, c->b, c->n);
	memset(&o, 0x5a, sizeof(o));
	assert_int_equal(mem_insn_decode(buf, sizeof(buf), c->m, &o), 0);
	assert_int_equal(o.in.len, c->n);
	assert_int_equal(o.kind, c->kind);
	if (c->kind == MEM_ALU || c->kind == MEM_STRING)
		assert_int_equal(o.op, c->op);
	if (c->kind == MEM_ALU)
		assert_int_equal(o.mem_is_dst, c->mem_dst);
	assert_int_equal(o.size, c->size);
	assert_int_equal(o.reg, c->reg);
	assert_int_equal(o.high8, c->high8);
	assert_int_equal(o.has_imm, c->has_imm);
	assert_int_equal(o.imm, c->imm);
	if (c->reg >= 0)
		assert_int_equal(o.reg_size, dst);
	assert_int_equal(o.sign_extend, c->sx);
	assert_int_equal(o.bit_offset_reg, c->btreg);
	if (c->kind == MEM_STRING) {
		assert_int_equal(o.str, c->str);
		assert_int_equal(o.rep, c->rep);
	} else {
		assert_true(o.in.has_mem);
	}
	expect_name(c, mem_insn_name(&o));
	assert_int_equal(insn_decode(buf, sizeof(buf), (enum insn_mode)c->m, &in), 0);
	assert_int_equal(in.len, o.in.len);
	/* Exactly the bytes decode; every shorter prefix of them is truncated. */
	assert_int_equal(mem_insn_decode((const uint8_t *)c->b, c->n, c->m, &o), 0);
	for (unsigned n = 0; n < c->n; n++)
		assert_int_equal(mem_insn_decode((const uint8_t *)c->b, n, c->m, &o), -1);
}

static void test_accepted(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		check_good(&good[i]);
}

struct bad {
	enum insn_mode m;
	const char *b;
	unsigned n;
	const char *what;
};

/* clang-format off */
#define BAD(md, s, w) { BYTES(md, s, w) }
/* clang-format on */

static const struct bad bad[] = {
	BAD(M64, "\x89\xc0", "mov eax,eax: no memory operand"),
	BAD(M64, "\x8b\xc0", "mov eax,eax (8B)"),
	BAD(M64, "\x88\xe0", "mov al,ah"),
	BAD(M64, "\xc7\xc0\x01\x00\x00\x00", "mov eax,1 (C7 /0, mod 3)"),
	BAD(M64, "\x48\xb8\x01\x00\x00\x00\x00\x00\x00\x00", "mov rax,imm64"),
	BAD(M64, "\x0f\xb6\xc0", "movzx eax,al"),
	BAD(M64, "\x8d\x00", "lea eax,[rax]: no access"),
	BAD(M64, "\x8c\x00", "mov [rax],es"),
	BAD(M64, "\x8e\x18", "mov ds,[rax]"),
	BAD(M64, "\xff\xf0", "push rax (FF /6, mod 3)"),
	BAD(M64, "\x8f\xc0", "pop rax (8F /0, mod 3)"),
	BAD(M64, "\xf0\xff\x30", "lock push: #UD"),
	BAD(M64, "\xff\x38", "FF /7 undefined"),
	BAD(M64, "\xf0\xd1\x20", "lock shl: #UD"),
	BAD(M64, "\xd1\xe0", "shl eax,1"),
	BAD(M64, "\xd3\xe0", "shl eax,cl"),
	BAD(M64, "\x0f\xc1\xc8", "xadd eax,ecx"),
	BAD(M64, "\x0f\xb1\xc8", "cmpxchg eax,ecx"),
	BAD(M64, "\x0f\xc7\xc8", "0F C7 /1 mod 3"),
	BAD(M64, "\x0f\xc7\x30", "vmptrld [rax]"),
	BAD(M64, "\xf3\x0f\xc1\x08", "F3 xadd without LOCK"),
	BAD(M64, "\xc7\x08\x00\x00\x00\x00", "C7 /1 is undefined"),
	BAD(M64, "\xc6\xf8\x00", "xabort"),
	BAD(M64, "\xf0\x89\x00", "lock mov: #UD"),
	BAD(M64, "\xf2\x89\x00", "F2 mov"),
	BAD(M64, "\xf3\x8b\x00", "F3 on a MOV load"),
	BAD(M64, "\xf3\x01\x00", "F3 add without LOCK"),
	BAD(M64, "\xf2\x0f\xab\x00", "F2 bts without LOCK"),
	BAD(M64, "\xf2\xf3\xa4", "both F2 and F3 on movs"),
	BAD(M64, "\xf0\xa4", "lock movs"),
	BAD(M64, "\xf0\x39\x00", "lock cmp: #UD"),
	BAD(M64, "\xf0\x85\x00", "lock test: #UD"),
	BAD(M64, "\xf0\x0f\xa3\x00", "lock bt: #UD"),
	BAD(M64, "\x05\x01\x00\x00\x00", "add eax,imm32: no memory"),
	BAD(M64, "\x01\xc0", "add eax,eax"),
	BAD(M64, "\xf7\x20", "mul dword [rax]"),
	BAD(M64, "\xf7\x38", "idiv dword [rax]"),
	BAD(M64, "\xf6\x30", "div byte [rax]"),
	BAD(M64, "\xff\x10", "call [rax]"),
	BAD(M64, "\xff\x20", "jmp [rax]"),
	BAD(M64, "\xfe\x10", "FE /2 undefined"),
	BAD(M64, "\x0f\xba\x00\x01", "0F BA /0 undefined"),
	BAD(M64, "\xa8\x01", "test al,1: no memory"),
	BAD(M64, "\x6c", "insb"),
	BAD(M64, "\x6f", "outsd"),
	BAD(M64, "\x63\xc0", "movsxd eax,eax"),
	BAD(M32, "\x63\x00", "arpl [eax],ax"),
	BAD(M64, "\x82\x00\x01", "82 is invalid in 64-bit mode"),
	BAD(M64, "\xf3\x0f\xb6\x00", "F3 movzx"),
	BAD(M64, "\x0f\x10\x00", "movups xmm0,[rax]"),
	BAD(M64, "\x0f\xb8\x00", "0F B8 without F3"),
	BAD(M64, "\x0f\xaf\x00", "imul eax,[rax]"),
	BAD(M64, "\x0f\x38\xf0\x00", "movbe eax,[rax]"),
	BAD(M64, "\xc5\xf8\x10\x00", "vmovups xmm0,[rax]"),
	BAD(M64, "\x62\xf1\x7c\x48\x10\x40\x01", "vmovups zmm0,[rax+0x40]"),
	BAD(M64, "\x0f\x01\x10", "lgdt [rax]"),
	BAD(M32, "\x40\x89\x00", "inc eax outside 64-bit mode"),
	BAD(M32, "\x89\xc3", "mov ebx,eax"),
	BAD(M32, "\xc4\x00", "les eax,[eax]"),
	BAD(M16, "\x8b\xc0", "mov ax,ax"),
	BAD(M16, "\xf0\x88\x07", "lock mov"),
	BAD(M64, "", "nothing"),
	BAD(M64, "\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x89\x00", "16 bytes"),
	BAD(M64, "\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x89\x40\x00", "16 bytes with disp8"),
	BAD(M64, "\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\xc6\x00\x01", "16 bytes with imm8"),
};

static void test_refused(void **state)
{
	struct mem_insn o;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		printf("  %s\n", bad[i].what);
		assert_int_equal(mem_insn_decode((const uint8_t *)bad[i].b, bad[i].n, bad[i].m, &o), -1);
	}
	assert_int_equal(mem_insn_decode((const uint8_t *)"\x89\x00", 2, (enum insn_mode)3, &o), -1);
}

/* 15 bytes is the architectural limit (SDM Vol. 2 2.3.11), which the 16-byte cases above exceed. */
static void test_fifteen_bytes(void **state)
{
	static const uint8_t max[] = { 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e,
				       0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x89, 0x00 };
	struct mem_insn o;
	(void)state;

	assert_int_equal(mem_insn_decode(max, sizeof(max), INSN_MODE64, &o), 0);
	assert_int_equal(o.in.len, 15);
	assert_int_equal(o.kind, MEM_STORE);
	assert_int_equal(o.size, 4);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Random bytes shaped like the accepted forms (prefixes, then one of their opcodes or a near miss): whenever
 * mem_insn_decode accepts, insn_decode accepts with the same length and the memory operand the MOV needs.
 */
static void test_length_matches_insn_decode(void **state)
{
	static const uint8_t pfx[] = { 0x66, 0x67, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0xf0,
				       0xf2, 0xf3, 0x40, 0x41, 0x44, 0x48, 0x4c, 0x4f };
	static const uint8_t ops[] = { 0x88, 0x89, 0x8a, 0x8b, 0xc6, 0xc7, 0xa0, 0xa1, 0xa2, 0xa3, 0x0f, 0x0f, 0x01,
				       0x8d, 0xa4, 0x86, 0x80, 0x81, 0x83, 0x84, 0x85, 0xf6, 0xf7, 0xfe, 0xff, 0x63,
				       0x3b, 0x32, 0xab, 0xae, 0x07, 0x3f, 0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3, 0x8f };
	static const uint8_t ops0f[] = { 0xb6, 0xb7, 0xbe, 0xbf, 0xb8, 0x10, 0xa3, 0xab,
					 0xba, 0xbb, 0xb3, 0xb0, 0xb1, 0xc0, 0xc1, 0xc7 };
	uint64_t seed = 0x2545f4914f6cdd1dull;
	unsigned long accepted[3] = { 0 }, refused = 0;
	(void)state;

	for (unsigned i = 0; i < 400000; i++) {
		uint8_t b[20];
		size_t at = 0, avail;
		enum insn_mode m = (enum insn_mode)(i % 3);
		struct mem_insn o;
		struct insn in;

		for (size_t k = 0; k < sizeof(b); k++)
			b[k] = (uint8_t)xorshift(&seed);
		for (unsigned k = (unsigned)(xorshift(&seed) % 5); k; k--)
			b[at++] = pfx[xorshift(&seed) % sizeof(pfx)];
		b[at++] = ops[xorshift(&seed) % sizeof(ops)];
		if (b[at - 1] == 0x0f)
			b[at++] = ops0f[xorshift(&seed) % sizeof(ops0f)];
		avail = xorshift(&seed) % 4 ? sizeof(b) : xorshift(&seed) % 16;
		if (mem_insn_decode(b, avail, m, &o)) {
			refused++;
			continue;
		}
		accepted[m]++;
		assert_int_equal(insn_decode(b, avail, (enum insn_mode)m, &in), 0);
		assert_int_equal(o.in.len, in.len);
		assert_true(in.has_mem || o.kind == MEM_STRING);
		assert_true(o.size == 1 || o.size == 2 || o.size == 4 || o.size == 8 ||
			    (o.size == 16 && o.kind == MEM_CMPXCHG8B));
		assert_true(o.reg < 0 || o.reg_size >= o.size || o.in.opcode == 0x63 ||
			    (o.kind == MEM_ALU && alu_is_shift(o.op)));
	}
	printf("  accepted 16-bit %lu, 32-bit %lu, 64-bit %lu; refused %lu\n", accepted[0], accepted[1], accepted[2],
	       refused);
	for (int m = 0; m < 3; m++)
		assert_true(accepted[m] > 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_fifteen_bytes),
		cmocka_unit_test(test_length_matches_insn_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
