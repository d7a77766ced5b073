/*
 * The x86 decoder's operand fields (vmm/x86/insn.c): ModRM/SIB with REX and VEX extension, displacement,
 * immediate and segment override, every field checked exactly (expected values from the SDM's tables,
 * the operands in each name as objdump prints them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include "x86/insn.h"

struct op_case {
	enum insn_mode m;
	const char *b;
	unsigned n;
	const char *what;
	bool modrm; /* has_modrm; then mod, reg, rm below */
	uint8_t mod, reg, rm;
	bool mem, sib;
	uint8_t base, index; /* with sib */
	unsigned disp_size;
	int64_t disp;
	unsigned imm_size;
	uint64_t imm;
	bool has_seg;
	enum insn_seg seg; /* with has_seg, else INSN_SEG_NONE */
};

#define M16             INSN_MODE16
#define M32             INSN_MODE32
#define M64             INSN_MODE64
#define BYTES(md, s, w) .m = md, .b = s, .n = sizeof(s) - 1, .what = w
#define RM(md_, r_, m_) .modrm = true, .mod = md_, .reg = r_, .rm = m_
#define SIB(b_, i_)     .sib = true, .base = b_, .index = i_
#define DISP(sz, v)     .disp_size = sz, .disp = v
#define IMM(sz, v)      .imm_size = sz, .imm = v
#define SEG(s)          .has_seg = true, .seg = s

static const struct op_case cases[] = {
	/* ---- 64-bit: REX.R/X/B extend reg, index and base; REX.B goes to the base with a SIB ---- */
	{ BYTES(M64, "\x48\x8b\x84\x8b\x78\x56\x34\x12", "mov rax,[rbx+rcx*4+0x12345678]"), RM(2, 0, 4), .mem = true,
	  SIB(3, 1), DISP(4, 0x12345678) },
	{ BYTES(M64, "\x4f\x8b\x44\xa5\xf0", "mov r8,[r13+r12*4-0x10]"), RM(1, 8, 12), .mem = true, SIB(13, 12),
	  DISP(1, -0x10) },
	{ BYTES(M64, "\x8b\x05\xf0\xff\xff\xff", "mov eax,[rip-0x10]"), RM(0, 0, 5), .mem = true, DISP(4, -0x10) },
	{ BYTES(M64, "\x41\x8b\x45\x00", "mov eax,[r13+0]: r13 needs a disp8"), RM(1, 0, 13), .mem = true, DISP(1, 0) },
	{ BYTES(M64, "\x8b\x04\x25\x00\x10\x00\x00", "mov eax,[0x1000]: SIB without base or index"), RM(0, 0, 4),
	  .mem = true, SIB(5, 4), DISP(4, 0x1000) },
	{ BYTES(M64, "\x41\x89\xc8", "mov r8d,ecx"), RM(3, 1, 8) },
	{ BYTES(M64, "\x65\x48\x8b\x04\x25\x28\x00\x00\x00", "mov rax,gs:[0x28]"), RM(0, 0, 4), .mem = true, SIB(5, 4),
	  DISP(4, 0x28), SEG(INSN_SEG_GS) },
	{ BYTES(M64, "\x48\xc7\xc0\xff\xff\xff\xff", "mov rax,-1: id sign-extended by the CPU, not here"), RM(3, 0, 0),
	  IMM(4, 0xffffffff) },
	{ BYTES(M64, "\x48\xb8\x88\x77\x66\x55\x44\x33\x22\x11", "mov rax,imm64"), IMM(8, 0x1122334455667788ull) },
	{ BYTES(M64, "\x48\xa1\x08\x07\x06\x05\x04\x03\x02\x01", "mov rax,moffs64"), .mem = true,
	  IMM(8, 0x0102030405060708ull) },
	{ BYTES(M64, "\x67\xa0\x00\x10\x00\x00", "mov al,moffs32"), .mem = true, IMM(4, 0x1000) },
	{ BYTES(M64, "\x44\x0f\x20\xc0", "mov rax,cr8"), RM(3, 8, 0) },
	{ BYTES(M64, "\xc4\x62\x7d\x18\x4c\x24\x08", "vbroadcastss ymm9,[rsp+8]: VEX.R"), RM(1, 9, 4), .mem = true,
	  SIB(4, 4), DISP(1, 8) },
	{ BYTES(M64, "\xc5\x78\x28\xc1", "vmovaps xmm8,xmm1: 2-byte VEX.R"), RM(3, 8, 1) },
	{ BYTES(M64, "\xc4\x41\x78\x28\xc1", "vmovaps xmm8,xmm9: VEX.R and VEX.B"), RM(3, 8, 9) },
	{ BYTES(M64, "\xc4\xc2\x7d\x18\x00", "vbroadcastss ymm0,[r8]: VEX.B"), RM(0, 0, 8), .mem = true },
	{ BYTES(M64, "\x62\x71\x7c\x48\x10\x40\x01", "vmovups zmm8,[rax+0x40]: disp8*N stays raw"), RM(1, 8, 0),
	  .mem = true, DISP(1, 1) },
	{ BYTES(M64, "\x8f\xe8\x78\xc2\xec\x0e", "vprotd xmm5,xmm4,0xe (XOP)"), RM(3, 5, 4), IMM(1, 0xe) },
	/* ---- 32-bit ---- */
	{ BYTES(M32, "\x2e\x3e\x8b\x00", "mov eax,ds:[eax]: the last override counts"), RM(0, 0, 0), .mem = true,
	  SEG(INSN_SEG_DS) },
	{ BYTES(M32, "\x64\x8b\x0d\x30\x00\x00\x00", "mov ecx,fs:[0x30]"), RM(0, 1, 5), .mem = true, DISP(4, 0x30),
	  SEG(INSN_SEG_FS) },
	{ BYTES(M32, "\x26\x36\x8b\x00", "ss:"), RM(0, 0, 0), .mem = true, SEG(INSN_SEG_SS) },
	{ BYTES(M32, "\x26\x8b\x00", "es:"), RM(0, 0, 0), .mem = true, SEG(INSN_SEG_ES) },
	{ BYTES(M32, "\x36\x2e\x8b\x00", "cs:"), RM(0, 0, 0), .mem = true, SEG(INSN_SEG_CS) },
	{ BYTES(M32, "\xc4\xc2\x7d\x18\x00", "vbroadcastss ymm0,[eax]: VEX.B ignored"), RM(0, 0, 0), .mem = true },
	{ BYTES(M32, "\x0f\x20\x00", "mov eax,cr0: mod is ignored, never memory"), RM(3, 0, 0) },
	{ BYTES(M32, "\x67\x8b\x04", "mov eax,[si]: 16-bit addressing has no SIB"), RM(0, 0, 4), .mem = true },
	{ BYTES(M32, "\x67\x8b\x47\x02", "mov eax,[bx+2]"), RM(1, 0, 7), .mem = true, DISP(1, 2) },
	{ BYTES(M32, "\x8b\x44\x24\x80", "mov eax,[esp-0x80]"), RM(1, 0, 4), .mem = true, SIB(4, 4), DISP(1, -0x80) },
	{ BYTES(M32, "\xc7\x00\xff\xff\xff\xff", "mov dword [eax],-1"), RM(0, 0, 0), .mem = true, IMM(4, 0xffffffff) },
	{ BYTES(M32, "\x66\xc7\x00\x34\x12", "mov word [eax],0x1234"), RM(0, 0, 0), .mem = true, IMM(2, 0x1234) },
	{ BYTES(M32, "\xc6\x00\x80", "mov byte [eax],0x80"), RM(0, 0, 0), .mem = true, IMM(1, 0x80) },
	{ BYTES(M32, "\x83\xc0\xff", "add eax,-1"), RM(3, 0, 0), IMM(1, 0xff) },
	{ BYTES(M32, "\xc8\x10\x00\x01", "enter 0x10,1"), IMM(3, 0x010010) },
	{ BYTES(M32, "\xcc", "int3: implied vector"), IMM(0, 3) },
	{ BYTES(M32, "\xe9\xfb\xff\xff\xff", "jmp -5"), IMM(4, 0xfffffffb) },
	/* ---- 16-bit ---- */
	{ BYTES(M16, "\x8b\x46\xfe", "mov ax,[bp-2]"), RM(1, 0, 6), .mem = true, DISP(1, -2) },
	{ BYTES(M16, "\x8b\x86\x00\x81", "mov ax,[bp-0x7f00]"), RM(2, 0, 6), .mem = true, DISP(2, -0x7f00) },
	{ BYTES(M16, "\x8b\x36\x34\x12", "mov si,[0x1234]"), RM(0, 6, 6), .mem = true, DISP(2, 0x1234) },
	{ BYTES(M16, "\xa1\x00\x10", "mov ax,[0x1000]"), .mem = true, IMM(2, 0x1000) },
	{ BYTES(M16, "\x66\x67\x8b\x44\x24\x04", "mov eax,[esp+4]: 67 gives SIB"), RM(1, 0, 4), .mem = true, SIB(4, 4),
	  DISP(1, 4) },
	{ BYTES(M16, "\xea\x5b\xe0\x00\xf0", "jmp f000:e05b"), IMM(2, 0xe05b) },
	{ BYTES(M16, "\x90", "nop") },
};

static void check(const struct op_case *c)
{
	struct insn in;

	printf("  %s\n", c->what);
	assert_int_equal(insn_decode((const uint8_t *)c->b, c->n, c->m, &in), 0);
	assert_int_equal(in.len, c->n);
	assert_int_equal(in.has_modrm, c->modrm);
	assert_int_equal(in.modrm_mod, c->mod);
	assert_int_equal(in.modrm_reg, c->reg);
	assert_int_equal(in.modrm_rm, c->rm);
	assert_int_equal(in.has_mem, c->mem);
	assert_int_equal(in.has_sib, c->sib);
	assert_int_equal(in.sib_base, c->base);
	assert_int_equal(in.sib_index, c->index);
	assert_int_equal(in.disp_size, c->disp_size);
	assert_int_equal(in.disp, c->disp);
	assert_int_equal(in.imm_size, c->imm_size);
	assert_int_equal(in.has_imm, c->imm_size || c->imm);
	assert_int_equal(in.imm, c->imm);
	assert_int_equal(in.seg, c->has_seg ? c->seg : INSN_SEG_NONE);
	assert_int_equal(!!(in.prefixes & INSN_PFX_SEG), c->has_seg);
}

static void test_operands(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(&cases[i]);
}

static int64_t imm_signed(enum insn_mode m, const char *b, size_t n)
{
	struct insn in;

	assert_int_equal(insn_decode((const uint8_t *)b, n, m, &in), 0);
	return insn_imm_signed(&in);
}

/* The immediate sign-extended from its own size; an implied one as it is. */
static void test_imm_signed(void **state)
{
	(void)state;
	assert_int_equal(imm_signed(M64, "\x48\xc7\xc0\xff\xff\xff\xff", 7), -1);
	assert_int_equal(imm_signed(M64, "\xc7\x00\x00\x00\x00\x80", 6), -0x80000000ll);
	assert_int_equal(imm_signed(M32, "\x83\xc0\x80", 3), -0x80);
	assert_int_equal(imm_signed(M32, "\x83\xc0\x7f", 3), 0x7f);
	assert_int_equal(imm_signed(M32, "\x66\xc7\x00\x00\x80", 5), -0x8000);
	assert_int_equal(imm_signed(M64, "\x48\xb8\x00\x00\x00\x00\x00\x00\x00\x80", 10), INT64_MIN);
	assert_int_equal(imm_signed(M32, "\xcc", 1), 3);
	assert_int_equal(imm_signed(M32, "\x90", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operands),
		cmocka_unit_test(test_imm_signed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
