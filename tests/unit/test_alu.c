/*
 * The emulation ALU (vmm/x86/alu.c) against its oracle, the host CPU: every operation at every size on
 * edge values and pseudo-random ones, with CF and the other flags both ways on entry, must give the
 * result and the status flags the host's own instruction gives. Flags the SDM leaves undefined are
 * compared only with ptvisor's documented choice.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include "x86/alu.h"
#include "x86/arch.h"

typedef uint64_t (*host_fn)(uint64_t dst, uint64_t src, uint64_t *rflags);

/* The host instruction on registers, RFLAGS loaded before and saved after; the red zone is stepped over. */
#define HOST_ASM(body, ...)                                                                                         \
	asm volatile("sub $128, %%rsp\n\tpush %[fl]\n\tpopfq\n\t" body "\n\tpushfq\n\tpop %[fl]\n\tadd $128, %%rsp" \
		     : __VA_ARGS__)
#define HOST_BIN(fn, insn, T, C)                                                             \
	static uint64_t fn(uint64_t a, uint64_t b, uint64_t *f)                              \
	{                                                                                    \
		T d = (T)a, s = (T)b;                                                        \
		uint64_t fl = *f;                                                            \
		HOST_ASM(insn " %[s], %[d]", [d] "+" C(d), [fl] "+r"(fl) : [s] C(s) : "cc"); \
		*f = fl;                                                                     \
		return d;                                                                    \
	}
#define HOST_UN(fn, insn, T, C)                                               \
	static uint64_t fn(uint64_t a, uint64_t b, uint64_t *f)               \
	{                                                                     \
		T d = (T)a;                                                   \
		uint64_t fl = *f;                                             \
		(void)b;                                                      \
		HOST_ASM(insn " %[d]", [d] "+" C(d), [fl] "+r"(fl) : : "cc"); \
		*f = fl;                                                      \
		return d;                                                     \
	}
/* A shift or rotate by CL. */
#define HOST_SHIFT(fn, insn, T, C)                                                         \
	static uint64_t fn(uint64_t a, uint64_t b, uint64_t *f)                            \
	{                                                                                  \
		T d = (T)a;                                                                \
		uint8_t c = (uint8_t)b;                                                    \
		uint64_t fl = *f;                                                          \
		HOST_ASM(insn " %%cl, %[d]", [d] "+" C(d), [fl] "+r"(fl) : "c"(c) : "cc"); \
		*f = fl;                                                                   \
		return d;                                                                  \
	}
#define HOST_4(KIND, name, mn)                \
	KIND(name##_1, mn "b", uint8_t, "q")  \
	KIND(name##_2, mn "w", uint16_t, "r") \
	KIND(name##_4, mn "l", uint32_t, "r") \
	KIND(name##_8, mn "q", uint64_t, "r")
#define HOST_3(KIND, name, mn)                \
	KIND(name##_2, mn "w", uint16_t, "r") \
	KIND(name##_4, mn "l", uint32_t, "r") \
	KIND(name##_8, mn "q", uint64_t, "r")

HOST_4(HOST_BIN, h_add, "add")
HOST_4(HOST_BIN, h_or, "or")
HOST_4(HOST_BIN, h_adc, "adc")
HOST_4(HOST_BIN, h_sbb, "sbb")
HOST_4(HOST_BIN, h_and, "and")
HOST_4(HOST_BIN, h_sub, "sub")
HOST_4(HOST_BIN, h_xor, "xor")
HOST_4(HOST_BIN, h_cmp, "cmp")
HOST_4(HOST_BIN, h_test, "test")
HOST_4(HOST_UN, h_inc, "inc")
HOST_4(HOST_UN, h_dec, "dec")
HOST_4(HOST_UN, h_not, "not")
HOST_4(HOST_UN, h_neg, "neg")
HOST_3(HOST_BIN, h_bt, "bt")
HOST_3(HOST_BIN, h_bts, "bts")
HOST_3(HOST_BIN, h_btr, "btr")
HOST_3(HOST_BIN, h_btc, "btc")
HOST_4(HOST_SHIFT, h_rol, "rol")
HOST_4(HOST_SHIFT, h_ror, "ror")
HOST_4(HOST_SHIFT, h_rcl, "rcl")
HOST_4(HOST_SHIFT, h_rcr, "rcr")
HOST_4(HOST_SHIFT, h_shl, "shl")
HOST_4(HOST_SHIFT, h_shr, "shr")
HOST_4(HOST_SHIFT, h_sal, "sal")
HOST_4(HOST_SHIFT, h_sar, "sar")

#define ROW4(name)                                     \
	{                                              \
		name##_1, name##_2, name##_4, name##_8 \
	}
#define ROW3(name)                                 \
	{                                          \
		NULL, name##_2, name##_4, name##_8 \
	}
static const host_fn host[ALU_OP_COUNT][4] = {
	[ALU_ADD] = ROW4(h_add),   [ALU_OR] = ROW4(h_or),   [ALU_ADC] = ROW4(h_adc), [ALU_SBB] = ROW4(h_sbb),
	[ALU_AND] = ROW4(h_and),   [ALU_SUB] = ROW4(h_sub), [ALU_XOR] = ROW4(h_xor), [ALU_CMP] = ROW4(h_cmp),
	[ALU_TEST] = ROW4(h_test), [ALU_INC] = ROW4(h_inc), [ALU_DEC] = ROW4(h_dec), [ALU_NOT] = ROW4(h_not),
	[ALU_NEG] = ROW4(h_neg),   [ALU_BT] = ROW3(h_bt),   [ALU_BTS] = ROW3(h_bts), [ALU_BTR] = ROW3(h_btr),
	[ALU_BTC] = ROW3(h_btc),   [ALU_ROL] = ROW4(h_rol), [ALU_ROR] = ROW4(h_ror), [ALU_RCL] = ROW4(h_rcl),
	[ALU_RCR] = ROW4(h_rcr),   [ALU_SHL] = ROW4(h_shl), [ALU_SHR] = ROW4(h_shr), [ALU_SAL] = ROW4(h_sal),
	[ALU_SAR] = ROW4(h_sar),
};

/* Flags each operation leaves undefined (SDM Vol. 2 "Flags Affected"): not compared with the host. */
static uint64_t undefined_flags(enum alu_op op)
{
	switch (op) {
	case ALU_AND:
	case ALU_OR:
	case ALU_XOR:
	case ALU_TEST:
		return RFLAGS_AF;
	case ALU_BT:
	case ALU_BTS:
	case ALU_BTR:
	case ALU_BTC:
		return RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF | RFLAGS_ZF; /* AMD's manual: ZF too */
	default:
		return 0;
	}
}

static const uint64_t edges[] = {
	0,
	1,
	2,
	0x0f,
	0x10,
	0x3f,
	0x7f,
	0x80,
	0x81,
	0xff,
	0x100,
	0x7fff,
	0x8000,
	0xffff,
	0x10000,
	0x7fffffff,
	0x80000000,
	0xffffffff,
	0x100000000ull,
	0x7fffffffffffffffull,
	0x8000000000000000ull,
	0xfffffffffffffffeull,
	0xffffffffffffffffull,
	0x5555555555555555ull,
	0xaaaaaaaaaaaaaaaaull,
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned compared;

/* One case, with the entry flags `in` (status flags only, bit 1 set). */
static void one(enum alu_op op, unsigned si, uint64_t a, uint64_t b, uint64_t in)
{
	static const unsigned sizes[4] = { 1, 2, 4, 8 };
	unsigned size = sizes[si];
	uint64_t hf = in, ef = in, mask = RFLAGS_STATUS & ~undefined_flags(op);
	uint64_t m = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
	uint64_t hr = host[op][si](a, b, &hf) & m;
	uint64_t er = alu_exec(op, size, a, b, &ef);
	bool bad = er != (alu_writes_dst(op) ? hr : a & m) || (ef & mask) != (hf & mask) ||
		   (ef & ~RFLAGS_STATUS) != (in & ~RFLAGS_STATUS);

	/* ptvisor's choices for what the SDM leaves undefined: AF 0 after logic, the rest unchanged by BT*. */
	if (undefined_flags(op) == RFLAGS_AF)
		bad |= (ef & RFLAGS_AF) != 0;
	else if (undefined_flags(op))
		bad |= (ef & ~RFLAGS_CF) != (in & ~RFLAGS_CF);
	compared++;
	if (bad) {
		print_error("%s size %u: dst 0x%lx src 0x%lx flags in 0x%lx: host 0x%lx flags 0x%lx, alu 0x%lx "
			    "flags 0x%lx (compared 0x%lx)\n",
			    alu_op_name(op), size, a, b, in, hr, hf & RFLAGS_STATUS, er, ef & RFLAGS_STATUS, mask);
		fail();
	}
}

static void pair(uint64_t a, uint64_t b)
{
	uint64_t other = next_random() & (RFLAGS_STATUS & ~RFLAGS_CF);

	for (unsigned op = 0; op < ALU_OP_COUNT; op++)
		for (unsigned si = 0; si < 4; si++) {
			if (!host[op][si] || alu_is_shift(op))
				continue;
			one(op, si, a, b, RFLAGS_FIXED1 | other);
			one(op, si, a, b, RFLAGS_FIXED1 | other | RFLAGS_CF);
			one(op, si, a, b, RFLAGS_FIXED1 | (~other & RFLAGS_STATUS));
		}
}

static void test_edges(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(edges); i++)
		for (unsigned j = 0; j < ARRAY_SIZE(edges); j++)
			pair(edges[i], edges[j]);
	/* Near-equal operands make the carries and borrows at every width. */
	for (unsigned i = 0; i < ARRAY_SIZE(edges); i++) {
		pair(edges[i], edges[i] + 1);
		pair(edges[i] + 1, edges[i]);
	}
}

static void test_random(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 20000; i++) {
		uint64_t a = next_random(), b = next_random();
		/* Narrow values too, so the upper bytes are often 0 or all ones. */
		if (i & 1)
			b = (uint64_t)(int64_t)(int8_t)b;
		pair(a, b);
	}
	assert_true(compared > 1000000);
}

/* Hand-checked cases: SDM Vol. 2 examples of what each flag means, independent of the host. */
static void test_known(void **state)
{
	uint64_t f = RFLAGS_FIXED1;

	(void)state;
	assert_int_equal(alu_exec(ALU_ADD, 1, 0x7f, 1, &f), 0x80);
	assert_int_equal(f & RFLAGS_STATUS, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF);
	f = RFLAGS_FIXED1;
	assert_int_equal(alu_exec(ALU_SUB, 4, 0, 1, &f), 0xffffffff);
	assert_int_equal(f & RFLAGS_STATUS, RFLAGS_CF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF);
	f = RFLAGS_FIXED1 | RFLAGS_CF;
	assert_int_equal(alu_exec(ALU_INC, 2, 0xffff, 0, &f), 0);
	assert_int_equal(f & RFLAGS_STATUS, RFLAGS_CF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF); /* CF kept */
	f = RFLAGS_FIXED1;
	assert_int_equal(alu_exec(ALU_NEG, 8, 0x8000000000000000ull, 0, &f), 0x8000000000000000ull);
	assert_int_equal(f & RFLAGS_STATUS, RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_PF);
	f = RFLAGS_FIXED1 | RFLAGS_ZF;
	assert_int_equal(alu_exec(ALU_BTS, 4, 0, 37, &f), 0x20); /* offset modulo 32 */
	assert_int_equal(f & RFLAGS_STATUS, RFLAGS_ZF);
	assert_int_equal(alu_exec(ALU_NOT, 1, 0x0f, 0, &f), 0xf0);
	assert_int_equal(f & RFLAGS_STATUS, RFLAGS_ZF);
	assert_false(alu_writes_dst(ALU_CMP));
	assert_true(alu_writes_dst(ALU_BTC));
	assert_string_equal(alu_op_name(ALU_SBB), "sbb");
}

/*
 * Flags a shift or rotate by `count` leaves undefined (SDM Vol. 2 "Flags Affected"): OF unless the
 * masked count is 1, AF for a shift by a non-zero count, CF for SHL/SHR by the width or more.
 */
static uint64_t shift_undefined(enum alu_op op, unsigned size, unsigned count)
{
	unsigned n = count & (size == 8 ? 0x3f : 0x1f);
	bool shift = op >= ALU_SHL;
	uint64_t u = 0;

	if (!n)
		return 0;
	if (n != 1)
		u |= RFLAGS_OF;
	if (shift)
		u |= RFLAGS_AF;
	if (shift && op != ALU_SAR && n >= 8 * size)
		u |= RFLAGS_CF;
	return u;
}

static void one_shift(enum alu_op op, unsigned si, uint64_t a, unsigned count, uint64_t in)
{
	static const unsigned sizes[4] = { 1, 2, 4, 8 };
	unsigned size = sizes[si];
	uint64_t hf = in, ef = in, undef = shift_undefined(op, size, count), mask = RFLAGS_STATUS & ~undef;
	uint64_t m = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
	uint64_t hr = host[op][si](a, count, &hf) & m;
	uint64_t er = alu_exec(op, size, a, count, &ef);
	bool bad = er != hr || (ef & mask) != (hf & mask) || (ef & ~RFLAGS_STATUS) != (in & ~RFLAGS_STATUS);

	/* ptvisor's (Bochs's) choice: a shift clears AF. */
	if (undef & RFLAGS_AF)
		bad |= (ef & RFLAGS_AF) != 0;
	compared++;
	if (bad) {
		print_error("%s size %u: dst 0x%lx count %u flags in 0x%lx: host 0x%lx flags 0x%lx, alu 0x%lx flags "
			    "0x%lx (compared 0x%lx)\n",
			    alu_op_name(op), size, a, count, in, hr, hf & RFLAGS_STATUS, er, ef & RFLAGS_STATUS, mask);
		fail();
	}
}

/* Every shift and rotate at every size, every count 0-255 (the masking included), CF both ways. */
static void test_shifts_oracle(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(edges) + 300; i++) {
		uint64_t a = i < ARRAY_SIZE(edges) ? edges[i] : next_random() >> (next_random() & 63);
		uint64_t other = next_random() & (RFLAGS_STATUS & ~RFLAGS_CF);
		for (unsigned op = ALU_ROL; op <= ALU_SAR; op++)
			for (unsigned si = 0; si < 4; si++)
				for (unsigned count = 0; count < 256; count += (i < ARRAY_SIZE(edges) ? 1 : 7)) {
					one_shift(op, si, a, count, RFLAGS_FIXED1 | other);
					one_shift(op, si, a, count, RFLAGS_FIXED1 | (~other & RFLAGS_STATUS));
				}
	}
	assert_true(compared > 500000);
}

/* Shift cases worked by hand: the defined flags, then ptvisor's (Bochs 2.7's) undefined ones. */
static void shift_known(enum alu_op op, unsigned size, uint64_t dst, unsigned count, uint64_t in, uint64_t res,
			uint64_t out)
{
	uint64_t f = RFLAGS_FIXED1 | in;

	assert_int_equal(alu_exec(op, size, dst, count, &f), res);
	if ((f & RFLAGS_STATUS) != out) {
		print_error("%s size %u 0x%lx by %u: flags 0x%lx, expected 0x%lx\n", alu_op_name(op), size, dst, count,
			    f & RFLAGS_STATUS, out);
		fail();
	}
}

static void test_shifts_known(void **state)
{
	const uint64_t CF = RFLAGS_CF, PF = RFLAGS_PF, AF = RFLAGS_AF, ZF = RFLAGS_ZF, SF = RFLAGS_SF, OF = RFLAGS_OF;

	(void)state;
	/* shl dword all-ones, 1: FFFFFFFEH, CF and SF (0x81), as bare Bochs gives on an unbacked address. */
	shift_known(ALU_SHL, 4, 0xffffffff, 1, AF | ZF | PF | OF, 0xfffffffe, CF | SF);
	shift_known(ALU_SAL, 4, 0xffffffff, 1, 0, 0xfffffffe, CF | SF);
	/* Count 0, or masked to 0 (32 for a dword, 64 for a qword, not for a byte): nothing changes. */
	shift_known(ALU_SHL, 4, 0x12345678, 0, CF | AF | OF, 0x12345678, CF | AF | OF);
	shift_known(ALU_SHR, 4, 0x12345678, 32, ZF, 0x12345678, ZF);
	shift_known(ALU_ROL, 8, 0x8000000000000001ull, 64, 0, 0x8000000000000001ull, 0);
	shift_known(ALU_SHR, 8, 0x8000000000000000ull, 63, 0, 1, 0);
	/* Undefined OF for counts other than 1: SHL CF ^ MSB(result), SHR MSB ^ next bit, SAR 0. */
	shift_known(ALU_SHL, 4, 0x40000000, 2, 0, 0, CF | OF | ZF | PF);
	shift_known(ALU_SHR, 1, 0xc0, 2, OF, 0x30, PF);
	shift_known(ALU_SAR, 1, 0x80, 3, OF, 0xf0, SF | PF);
	/* Byte shifts by the width or more: SHL by 8 keeps bit 0 in CF, by 9 clears CF and OF. */
	shift_known(ALU_SHL, 1, 0x81, 8, 0, 0, CF | OF | ZF | PF);
	shift_known(ALU_SHL, 1, 0x81, 9, CF | OF, 0, ZF | PF);
	shift_known(ALU_SHR, 1, 0x80, 8, 0, 0, CF | ZF | PF);
	shift_known(ALU_SHR, 2, 0x8000, 17, CF, 0, ZF | PF);
	shift_known(ALU_SAR, 1, 0x80, 31, 0, 0xff, CF | SF | PF);
	/* Rotates touch CF and OF alone; a byte ROL by 8 sets them from the unchanged value. */
	shift_known(ALU_ROL, 1, 0x81, 8, ZF | SF, 0x81, CF | ZF | SF);
	shift_known(ALU_ROR, 1, 0x81, 1, 0, 0xc0, CF);
	shift_known(ALU_ROR, 1, 0x01, 1, 0, 0x80, CF | OF);
	/* RCL/RCR through CF: 9 bits for a byte, so a count of 9 changes nothing. */
	shift_known(ALU_RCL, 1, 0x80, 1, CF, 0x01, CF | OF);
	shift_known(ALU_RCL, 1, 0x80, 9, 0, 0x80, 0);
	shift_known(ALU_RCR, 2, 0x0001, 1, CF, 0x8000, CF | OF);
	shift_known(ALU_RCR, 4, 0x00000001, 2, 0, 0x80000000, OF);
	assert_true(alu_is_shift(ALU_SAR));
	assert_false(alu_is_shift(ALU_BTC));
	assert_true(alu_writes_dst(ALU_RCR));
	assert_string_equal(alu_op_name(ALU_SAL), "sal");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known),         cmocka_unit_test(test_edges),
		cmocka_unit_test(test_random),        cmocka_unit_test(test_shifts_known),
		cmocka_unit_test(test_shifts_oracle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
