/*
 * The block engine's stack model (vmm/pt/emul/pt_emul_stack.c): a RET is predicted only where nothing on
 * the path can have changed its return address: pushed by a CALL on the path, or in memory and not
 * written since. Each case decodes real instruction bytes and asks where a RET after them returns from.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "pt/emul/pt_emul_stack.h"

#define PUSHED  PT_STK_RET_PUSHED
#define MEMORY  PT_STK_RET_MEMORY
#define UNKNOWN PT_STK_RET_UNKNOWN
#define RET_OFF 0x1234u /* what every CALL of a case pushes */

struct stk_case {
	const char *what;
	enum insn_mode mode;
	const char *hex; /* instructions, space-separated hex strings */
	enum pt_stk_ret want;
	int64_t off; /* MEMORY: where */
};

/* Runs each instruction of c->hex through the model and asks about a RET (C3) after them. */
static enum pt_stk_ret run(const struct stk_case *c, int64_t *off, uint64_t *val)
{
	struct pt_stk s;
	struct insn in, ret;
	char buf[256];
	uint8_t code[16];

	pt_stk_start(&s, c->mode == INSN_MODE64 ? 8 : c->mode == INSN_MODE32 ? 4 : 0);
	strcpy(buf, c->hex);
	for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
		size_t n = strlen(tok) / 2;
		for (size_t i = 0; i < n; i++) {
			unsigned b;
			sscanf(tok + 2 * i, "%2x", &b);
			code[i] = (uint8_t)b;
		}
		assert_int_equal(insn_decode(code, n, c->mode, &in), 0);
		assert_int_equal(in.len, n);
		pt_stk_insn(&s, &in, c->mode, RET_OFF);
	}
	code[0] = 0xc3;
	assert_int_equal(insn_decode(code, 1, c->mode, &ret), 0);
	return pt_stk_ret(&s, &ret, off, val);
}

/* clang-format off */
static const struct stk_case cases[] = {
	{ "nothing: the return address is in memory at RSP", INSN_MODE32, "", MEMORY, 0 },
	{ "CALL then RET: the pushed return offset", INSN_MODE32, "e800000000", PUSHED, 0 },
	{ "CALL; SUB/ADD ESP; RET", INSN_MODE32, "e800000000 83ec10 83c410", PUSHED, 0 },
	{ "ADD ESP, 4 drops a frame", INSN_MODE32, "83c404", MEMORY, 4 },
	{ "LEA ESP, [ESP+8]", INSN_MODE32, "8d642408", MEMORY, 8 },
	{ "RET 4 then RET", INSN_MODE32, "c20400", MEMORY, 8 },
	{ "PUSH; POP: the slot below is not the return address", INSN_MODE32, "50 58", MEMORY, 0 },
	{ "PUSH [ESP]; POP EBX", INSN_MODE32, "ff3424 5b", MEMORY, 0 },
	{ "a store above the slot", INSN_MODE32, "89442404", MEMORY, 0 },
	{ "loads through ESP", INSN_MODE32, "8b0424 0fb60424 3b0424 850424 8d0424", MEMORY, 0 },
	{ "MOV [ESP], imm: the slot rewritten", INSN_MODE32, "c7042478563412", UNKNOWN, 0 },
	{ "a store just below reaching into the slot (8-byte span)", INSN_MODE32, "894424fc", UNKNOWN, 0 },
	{ "CALL, then a store over part of what it pushed", INSN_MODE32, "e800000000 890424", UNKNOWN, 0 },
	{ "a store through another register", INSN_MODE32, "8903", UNKNOWN, 0 },
	{ "XCHG with the slot", INSN_MODE32, "870424", UNKNOWN, 0 },
	{ "STOSD", INSN_MODE32, "ab", UNKNOWN, 0 },
	{ "MOVSB", INSN_MODE32, "a4", UNKNOWN, 0 },
	{ "PUSH imm; RET: the value is not followed", INSN_MODE32, "6878563412", UNKNOWN, 0 },
	{ "MOV ESP, EBX", INSN_MODE32, "89dc", UNKNOWN, 0 },
	{ "MOV ESP, [EBX]", INSN_MODE32, "8b23", UNKNOWN, 0 },
	{ "AND ESP, -16", INSN_MODE32, "83e4f0", UNKNOWN, 0 },
	{ "LEAVE", INSN_MODE32, "c9", UNKNOWN, 0 },
	{ "POP ESP", INSN_MODE32, "5c", UNKNOWN, 0 },
	{ "INC ESP", INSN_MODE32, "44", UNKNOWN, 0 },
	{ "XCHG EAX, ESP", INSN_MODE32, "94", UNKNOWN, 0 },
	{ "POP [ESP]", INSN_MODE32, "8f0424", UNKNOWN, 0 },
	{ "PUSHAD", INSN_MODE32, "60", UNKNOWN, 0 },
	{ "ENTER", INSN_MODE32, "c8080000", UNKNOWN, 0 },
	{ "a store to FS:[ESP] (not the stack segment)", INSN_MODE32, "64890424", UNKNOWN, 0 },
	{ "an SSE store", INSN_MODE32, "0f110424", UNKNOWN, 0 },
	{ "an SSE load", INSN_MODE32, "0f100424", MEMORY, 0 },
	{ "an x87 store", INSN_MODE32, "d91c24", UNKNOWN, 0 },
	{ "BTS with a register bit offset (reaches past its operand)", INSN_MODE32, "0fab0424", UNKNOWN, 0 },
	{ "more stack writes than slots", INSN_MODE32, "50 50 50 50 50 50 50 50 50 50 50 50 50 58 58 58 58 58 58 58 58 58 58 58 58 58", UNKNOWN, 0 },
	{ "64-bit: CALL; SUB/ADD RSP; RET", INSN_MODE64, "e800000000 4883ec08 4883c408", PUSHED, 0 },
	{ "64-bit: PUSH R12; POP R12", INSN_MODE64, "4154 415c", MEMORY, 0 },
	{ "64-bit: MOV EAX, R8D (REX.R: not ESP)", INSN_MODE64, "4489c0", MEMORY, 0 },
	{ "64-bit: MOV R12, [RSP] (REX.R: not RSP)", INSN_MODE64, "4c8b2424", MEMORY, 0 },
	{ "64-bit: MOV RSP, R12", INSN_MODE64, "4c89e4", UNKNOWN, 0 },
	{ "64-bit: SS-overridden store below is still a stack slot", INSN_MODE64, "36894424f0", MEMORY, 0 },
	{ "64-bit: a store into the slot through R12 as base", INSN_MODE64, "41890424", UNKNOWN, 0 },
	{ "64-bit: BLSR (VEX.vvvv names a general register)", INSN_MODE64, "c4e278f3cb", UNKNOWN, 0 },
	{ "64-bit: a VEX load (not modelled: memory unknown)", INSN_MODE64, "c5fe6f06", UNKNOWN, 0 },
	{ "64-bit: VZEROUPPER", INSN_MODE64, "c5f877", MEMORY, 0 },
	{ "64-bit: RDFSBASE RSP", INSN_MODE64, "f3480faec4", UNKNOWN, 0 },
	{ "16-bit stack: not modelled", INSN_MODE16, "", UNKNOWN, 0 },
};
/* clang-format on */

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t off = -999;
		uint64_t val = 0;
		enum pt_stk_ret r = run(&cases[i], &off, &val);
		if (r != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].what, r, cases[i].want);
		if (r == MEMORY && off != cases[i].off)
			fail_msg("%s: offset %lld, want %lld", cases[i].what, (long long)off, (long long)cases[i].off);
		if (r == PUSHED && val != RET_OFF)
			fail_msg("%s: value 0x%llx", cases[i].what, (unsigned long long)val);
	}
}

/* An indirect CALL pushes its return offset like a direct one; nested CALL/RET pairs unwind in order. */
static void test_nested(void **state)
{
	struct pt_stk s;
	struct insn call, ret;
	const uint8_t call_rel[] = { 0xe8, 0, 0, 0, 0 }, call_ind[] = { 0xff, 0xd0 }, c3[] = { 0xc3 };
	int64_t off;
	uint64_t val;

	(void)state;
	pt_stk_start(&s, 8);
	assert_int_equal(insn_decode(call_rel, sizeof(call_rel), INSN_MODE64, &call), 0);
	pt_stk_insn(&s, &call, INSN_MODE64, 0x111);
	assert_int_equal(insn_decode(call_ind, sizeof(call_ind), INSN_MODE64, &call), 0);
	pt_stk_insn(&s, &call, INSN_MODE64, 0x222);
	assert_int_equal(insn_decode(c3, 1, INSN_MODE64, &ret), 0);
	assert_int_equal(pt_stk_ret(&s, &ret, &off, &val), PUSHED);
	assert_int_equal(val, 0x222);
	pt_stk_insn(&s, &ret, INSN_MODE64, 0);
	assert_int_equal(pt_stk_ret(&s, &ret, &off, &val), PUSHED);
	assert_int_equal(val, 0x111);
	pt_stk_insn(&s, &ret, INSN_MODE64, 0);
	assert_int_equal(pt_stk_ret(&s, &ret, &off, &val), MEMORY);
	assert_int_equal(off, 0);
	pt_stk_insn(&s, &ret, INSN_MODE64, 0);
	assert_int_equal(pt_stk_ret(&s, &ret, &off, &val), MEMORY);
	assert_int_equal(off, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_nested),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
