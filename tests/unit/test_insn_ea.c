/*
 * Effective addresses and their segment (vmm/x86/insn_ea.c) for the 16-, 32- and 64-bit ModRM/SIB forms,
 * RIP-relative and moffs operands, and the segment checks of a data access (vmm/x86/seg.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include "x86/arch.h"
#include "x86/insn_ea.h"
#include "x86/seg.h"

/* Registers RAX..R15 = 0x1000 * (n + 1) + n, with some upper bits to see truncation. */
static uint64_t gpr[16];

static void init_regs(void)
{
	for (unsigned i = 0; i < 16; i++)
		gpr[i] = 0xab00000000000000ull | (0x1000ull * (i + 1) + i);
}

struct ea_case {
	enum insn_mode m;
	const char *b;
	unsigned n;
	uint64_t ea;
	enum insn_seg seg;
};

#define M16  INSN_MODE16
#define M32  INSN_MODE32
#define M64  INSN_MODE64
#define R(n) (0x1000ull * ((n) + 1) + (n)) /* low 32 bits of register n */
#define IP   0x7000100ull                  /* RIP of every case; next_ip = IP + length */
/* clang-format off */
#define C(md, s, e, sg) { md, s, sizeof(s) - 1, e, INSN_SEG_##sg }
/* clang-format on */

static const struct ea_case cases[] = {
	/* 16-bit: Table 2-1, every r/m, wrapping at 64 KiB */
	C(M16, "\x8b\x00", (R(3) + R(6)) & 0xffff, DS),
	C(M16, "\x8b\x01", (R(3) + R(7)) & 0xffff, DS),
	C(M16, "\x8b\x02", (R(5) + R(6)) & 0xffff, SS),
	C(M16, "\x8b\x03", (R(5) + R(7)) & 0xffff, SS),
	C(M16, "\x8b\x04", R(6) & 0xffff, DS),
	C(M16, "\x8b\x05", R(7) & 0xffff, DS),
	C(M16, "\x8b\x06\x34\x12", 0x1234, DS),
	C(M16, "\x8b\x46\xfe", (R(5) - 2) & 0xffff, SS),
	C(M16, "\x8b\x87\x00\xf0", (R(3) + 0xf000) & 0xffff, DS),
	C(M16, "\x26\x8b\x46\x02", (R(5) + 2) & 0xffff, ES),
	C(M16, "\x67\x8b\x04\x24", R(4) & 0xffffffff, SS),
	C(M16, "\xa1\x00\x10", 0x1000, DS),
	/* 32-bit */
	C(M32, "\x8b\x00", R(0), DS),
	C(M32, "\x8b\x45\x08", R(5) + 8, SS),
	C(M32, "\x8b\x44\x24\x04", R(4) + 4, SS),
	C(M32, "\x8b\x04\x8b", R(3) + R(1) * 4, DS),
	C(M32, "\x8b\x04\xcd\x00\x10\x00\x00", R(1) * 8 + 0x1000, DS), /* SIB base 101, mod 00: no base */
	C(M32, "\x8b\x44\x25\x10", R(5) + 0x10, SS),                   /* SIB base EBP with disp8 */
	C(M32, "\x8b\x04\x20", R(0), DS),                              /* index 100: none */
	C(M32, "\x8b\x05\x00\x00\xe0\xfe", 0xfee00000, DS),            /* disp32, not EIP-relative */
	C(M32, "\x8b\x80\x00\x00\x00\xf0", (R(0) + 0xf0000000) & 0xffffffff, DS),
	C(M32, "\x64\x8b\x45\x00", R(5), FS),
	C(M32, "\x67\x8b\x07", R(3), DS), /* 16-bit addressing: [bx] */
	C(M32, "\xa1\x78\x56\x34\x12", 0x12345678, DS),
	C(M32, "\x36\xa1\x78\x56\x34\x12", 0x12345678, SS),
	/* 64-bit */
	C(M64, "\x8b\x00", 0xab00000000000000ull | R(0), DS),
	C(M64, "\x41\x8b\x00", 0xab00000000000000ull | R(8), DS),
	C(M64, "\x41\x8b\x45\x00", 0xab00000000000000ull | R(13), DS), /* R13 is not RBP */
	C(M64, "\x41\x8b\x04\x24", 0xab00000000000000ull | R(12), DS), /* R12 base needs a SIB; not RSP */
	C(M64, "\x42\x8b\x04\x20", 2 * (0xab00000000000000ull) + R(0) + R(4 + 8), DS), /* REX.X: R12 index */
	C(M64, "\x8b\x05\x10\x00\x00\x00", IP + 6 + 0x10, DS),                         /* RIP-relative */
	C(M64, "\x8b\x05\xf0\xff\xff\xff", IP + 6 - 0x10, DS),
	C(M64, "\x67\x8b\x05\x00\x00\x00\x80", (IP + 7 + 0xffffffff80000000ull) & 0xffffffff, DS), /* EIP */
	C(M64, "\x8b\x04\x25\x00\x00\xe0\xfe", 0xfffffffffee00000ull, DS), /* disp32 sign-extended */
	C(M64, "\x67\x8b\x04\x25\x00\x00\xe0\xfe", 0xfee00000, DS),
	C(M64, "\x67\x8b\x00", R(0), DS),
	C(M64, "\x48\x8b\x44\x24\x08", 0xab00000000000000ull + R(4) + 8, SS),
	C(M64, "\x65\x48\x8b\x04\x25\x28\x00\x00\x00", 0x28, GS),
	C(M64, "\x48\xa1\x88\x77\x66\x55\x44\x33\x22\x11", 0x1122334455667788ull, DS),
	C(M64, "\x67\xa1\x88\x77\x66\x55", 0x55667788, DS),
};

static void test_effective_address(void **state)
{
	(void)state;
	init_regs();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct ea_case *c = &cases[i];
		struct insn in;
		printf("  case %zu\n", i);
		assert_int_equal(insn_decode((const uint8_t *)c->b, c->n, c->m, &in), 0);
		assert_int_equal(in.len, c->n);
		assert_int_equal(insn_ea(&in, c->m, gpr, IP + in.len), c->ea);
		assert_int_equal(insn_ea_seg(&in), c->seg);
	}
}

static const struct seg_cache flat_data = { 0, 0xffffffff, 0xc093 }, flat_code = { 0, 0xffffffff, 0xc09b };

static int lin(const struct seg_cache *s, enum insn_seg seg, enum seg_mode m, uint64_t off, unsigned size, bool w,
	       uint64_t *la)
{
	*la = 0x5a5a;
	return seg_linear(s, seg, m, off, size, w, la);
}

static void test_segments(void **state)
{
	struct seg_cache s;
	uint64_t la;

	(void)state;
	/* Flat: base + offset, wrapping at 4 GiB. */
	s = flat_data;
	s.base = 0x10000;
	assert_int_equal(lin(&s, INSN_SEG_DS, SEG_PROTECTED, 0xfffffff0, 4, true, &la), 0);
	assert_int_equal(la, 0xfff0);
	/* Limit: the last byte must be within it. */
	s.limit = 0xfff;
	assert_int_equal(lin(&s, INSN_SEG_DS, SEG_PROTECTED, 0xffc, 4, false, &la), 0);
	assert_int_equal(lin(&s, INSN_SEG_DS, SEG_PROTECTED, 0xffd, 4, false, &la), X86_VEC_GP);
	assert_int_equal(lin(&s, INSN_SEG_SS, SEG_PROTECTED, 0x1000, 1, false, &la), X86_VEC_SS);
	assert_int_equal(lin(&s, INSN_SEG_ES, SEG_REAL, 0x1000, 1, false, &la), X86_VEC_GP);
	/* Expand-down: offsets above the limit up to FFFFH, or FFFFFFFFH with B. */
	s = (struct seg_cache){ 0, 0xfff, 0x4097 };
	assert_int_equal(lin(&s, INSN_SEG_SS, SEG_PROTECTED, 0xfff, 1, true, &la), X86_VEC_SS);
	assert_int_equal(lin(&s, INSN_SEG_SS, SEG_PROTECTED, 0x1000, 4, true, &la), 0);
	assert_int_equal(lin(&s, INSN_SEG_SS, SEG_PROTECTED, 0xfffffffc, 4, true, &la), 0);
	s.ar = 0x97;
	assert_int_equal(lin(&s, INSN_SEG_DS, SEG_PROTECTED, 0xfffc, 4, true, &la), 0);
	assert_int_equal(lin(&s, INSN_SEG_DS, SEG_PROTECTED, 0xfffd, 4, true, &la), X86_VEC_GP);
	/* Types: read-only data, execute-only and readable code; a null selector. */
	s = flat_data;
	s.ar = 0xc091;
	assert_int_equal(lin(&s, INSN_SEG_DS, SEG_PROTECTED, 0, 1, false, &la), 0);
	assert_int_equal(lin(&s, INSN_SEG_DS, SEG_PROTECTED, 0, 1, true, &la), X86_VEC_GP);
	assert_int_equal(lin(&flat_code, INSN_SEG_CS, SEG_PROTECTED, 0, 1, false, &la), 0);
	assert_int_equal(lin(&flat_code, INSN_SEG_CS, SEG_PROTECTED, 0, 1, true, &la), X86_VEC_GP);
	s = flat_code;
	s.ar = 0xc099;
	assert_int_equal(lin(&s, INSN_SEG_CS, SEG_PROTECTED, 0, 1, false, &la), X86_VEC_GP);
	s = flat_data;
	s.ar |= SEG_AR_UNUSABLE;
	assert_int_equal(lin(&s, INSN_SEG_ES, SEG_PROTECTED, 0, 1, false, &la), X86_VEC_GP);
	/* Real mode: no type checks (a CS: write works), limits still apply. */
	s = (struct seg_cache){ 0xf0000, 0xffff, 0x9b };
	assert_int_equal(lin(&s, INSN_SEG_CS, SEG_REAL, 0xfffe, 2, true, &la), 0);
	assert_int_equal(la, 0xffffe);
	assert_int_equal(lin(&s, INSN_SEG_CS, SEG_REAL, 0xffff, 2, true, &la), X86_VEC_GP);
	/* 64-bit mode: bases only for FS and GS, no limits, canonical addresses only. */
	s = (struct seg_cache){ 0x100000, 0, SEG_AR_UNUSABLE };
	assert_int_equal(lin(&s, INSN_SEG_DS, SEG_LONG64, 0x7ffffffffff8ull, 8, true, &la), 0);
	assert_int_equal(la, 0x7ffffffffff8ull);
	assert_int_equal(lin(&s, INSN_SEG_DS, SEG_LONG64, 0x7ffffffffff9ull, 8, true, &la), X86_VEC_GP);
	assert_int_equal(lin(&s, INSN_SEG_SS, SEG_LONG64, 0x800000000000ull, 1, true, &la), X86_VEC_SS);
	assert_int_equal(lin(&s, INSN_SEG_GS, SEG_LONG64, 0x10, 8, false, &la), 0);
	assert_int_equal(la, 0x100010);
	assert_int_equal(lin(&s, INSN_SEG_FS, SEG_LONG64, 0xffff800000000000ull - 0x100000, 8, false, &la), 0);
	assert_int_equal(la, 0xffff800000000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_effective_address),
		cmocka_unit_test(test_segments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
