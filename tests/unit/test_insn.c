/* Hand-written expectations for the x86 decoder (vmm/x86/insn.c): every branch class in 16/32/64-bit mode. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "x86/insn.h"

struct tc {
	enum insn_mode m;
	const char *b;
	unsigned n;
	int rc;
	unsigned len;
	enum insn_class cls;
	bool rel; /* check has_rel, rel and the target from ip */
	int64_t relv;
	uint64_t ip, target;
	unsigned opsize; /* 0: not checked */
	bool imm;        /* check has_imm and imm */
	uint64_t immv;
};

#define M16 INSN_MODE16
#define M32 INSN_MODE32
#define M64 INSN_MODE64
/* clang-format off */
#define OK(md, s, l, c)  { .m = md, .b = s, .n = sizeof(s) - 1, .len = l, .cls = c }
#define OS(md, s, l, c, os) { .m = md, .b = s, .n = sizeof(s) - 1, .len = l, .cls = c, .opsize = os }
#define REL(md, s, l, c, r, i, t, os) { .m = md, .b = s, .n = sizeof(s) - 1, .len = l, .cls = c, \
		.rel = true, .relv = r, .ip = i, .target = t, .opsize = os }
#define IMM(md, s, l, c, v) { .m = md, .b = s, .n = sizeof(s) - 1, .len = l, .cls = c, \
		.imm = true, .immv = v }
#define BAD(md, s) { .m = md, .b = s, .n = sizeof(s) - 1, .rc = -1 }
/* clang-format on */

static const struct tc cases[] = {
	/* ---- 64-bit ---- */
	REL(M64, "\x74\x05", 2, INSN_JCC, 5, 0x1000, 0x1007, 64),
	REL(M64, "\x0f\x84\x00\x01\x00\x00", 6, INSN_JCC, 0x100, 0x1000, 0x1106, 64),
	REL(M64, "\xe3\xfe", 2, INSN_JCC, -2, 0x1000, 0x1000, 64),     /* JRCXZ */
	REL(M64, "\x67\xe3\xfd", 3, INSN_JCC, -3, 0x1000, 0x1000, 64), /* JECXZ */
	REL(M64, "\xe2\xf0", 2, INSN_JCC, -16, 0x1000, 0xff2, 64),     /* LOOP */
	REL(M64, "\xe1\x00", 2, INSN_JCC, 0, 0x1000, 0x1002, 64),      /* LOOPE */
	REL(M64, "\xe0\x7f", 2, INSN_JCC, 127, 0x1000, 0x1081, 64),    /* LOOPNE */
	REL(M64, "\xeb\xfe", 2, INSN_JMP_REL, -2, 0x1000, 0x1000, 64),
	REL(M64, "\xe9\xfb\xff\xff\xff", 5, INSN_JMP_REL, -5, 0x1000, 0x1000, 64),
	REL(M64, "\x66\xe9\x00\x00\x00\x80", 6, INSN_JMP_REL, -0x80000000ll, 0x100000000ull, 0x80000006ull,
	    64), /* Intel: 66 ignored */
	REL(M64, "\xe8\x10\x00\x00\x00", 5, INSN_CALL_REL, 0x10, 0xffffffffffff0000ull, 0xffffffffffff0015ull, 64),
	REL(M64, "\xf2\xe8\x00\x00\x00\x00", 6, INSN_CALL_REL, 0, 0x1000, 0x1006, 64), /* BND CALL */
	OS(M64, "\xff\xd0", 2, INSN_CALL_INDIRECT, 64),
	OK(M64, "\xff\x15\x10\x20\x00\x00", 6, INSN_CALL_INDIRECT), /* [rip+disp32] */
	OK(M64, "\x41\xff\xd3", 3, INSN_CALL_INDIRECT), OK(M64, "\xff\xe0", 2, INSN_JMP_INDIRECT),
	OK(M64, "\xff\x24\xc5\x00\x00\x00\x00", 7, INSN_JMP_INDIRECT), /* SIB, no base */
	OK(M64, "\x3e\xff\xe0", 3, INSN_JMP_INDIRECT),                 /* NOTRACK */
	OK(M64, "\x42\xff\x64\x24\x08", 5, INSN_JMP_INDIRECT), OK(M64, "\xc3", 1, INSN_RET),
	OK(M64, "\xf3\xc3", 2, INSN_RET), IMM(M64, "\xc2\x08\x00", 3, INSN_RET, 8), OK(M64, "\xcb", 1, INSN_FAR_RET),
	OK(M64, "\x48\xcb", 2, INSN_FAR_RET), IMM(M64, "\xca\x04\x00", 3, INSN_FAR_RET, 4),
	OK(M64, "\xff\x1c\x24", 3, INSN_FAR_CALL), OK(M64, "\xff\x2c\x24", 3, INSN_FAR_JMP),
	OK(M64, "\x48\xff\x2c\x24", 4, INSN_FAR_JMP), BAD(M64, "\xff\xd8"), /* far CALL needs memory */
	BAD(M64, "\xff\xf8"),                                               /* FF /7 */
	BAD(M64, "\x9a\x00\x00\x00\x00\x08\x00"), /* CALL ptr16:32 is invalid in 64-bit mode */
	BAD(M64, "\xea\x00\x00\x00\x00\x08\x00"), OK(M64, "\xcf", 1, INSN_IRET), OK(M64, "\x48\xcf", 2, INSN_IRET),
	IMM(M64, "\xcc", 1, INSN_INT, 3), IMM(M64, "\xcd\x80", 2, INSN_INT, 0x80), IMM(M64, "\xf1", 1, INSN_INT, 1),
	BAD(M64, "\xce"), /* INTO */
	OK(M64, "\x0f\x05", 2, INSN_SYSCALL), OK(M64, "\x0f\x07", 2, INSN_SYSRET),
	OK(M64, "\x48\x0f\x07", 3, INSN_SYSRET), OK(M64, "\x0f\x34", 2, INSN_SYSENTER),
	OK(M64, "\x48\x0f\x35", 3, INSN_SYSEXIT), OK(M64, "\x0f\x22\xd8", 3, INSN_MOV_CR3),
	OK(M64, "\x0f\x22\x18", 3, INSN_MOV_CR3), /* mod is ignored: still a register, no disp */
	OK(M64, "\x0f\x22\xc0", 3, INSN_MOV_CR), OK(M64, "\x0f\x22\xe7", 3, INSN_MOV_CR),
	OK(M64, "\x44\x0f\x22\xc0", 4, INSN_OTHER),                                      /* CR8 */
	OK(M64, "\x0f\x22\xd0", 3, INSN_OTHER),                                          /* CR2 */
	OK(M64, "\x0f\x20\xd8", 3, INSN_OTHER),                                          /* read of CR3 */
	BAD(M64, "\x0f\x22\xc8"),                                                        /* CR1 */
	BAD(M64, "\x44\x0f\x22\xd8"),                                                    /* CR11 */
	OK(M64, "\x0f\x01\xc1", 3, INSN_VMCALL), OK(M64, "\x0f\x01\xc2", 3, INSN_OTHER), /* VMLAUNCH */
	OK(M64, "\xf4", 1, INSN_HLT), OK(M64, "\x0f\x0b", 2, INSN_UD), OK(M64, "\x0f\xb9\xc0", 3, INSN_UD),
	OK(M64, "\x0f\xff\x40\x10", 4, INSN_UD), OK(M64, "\xf3\x0f\xae\xe0", 4, INSN_PTWRITE),
	OK(M64, "\xf3\x48\x0f\xae\x60\x08", 6, INSN_PTWRITE), OK(M64, "\x0f\xae\x20", 3, INSN_OTHER), /* XSAVE */
	/* lengths of non-branches */
	IMM(M64, "\x48\xb8\x88\x77\x66\x55\x44\x33\x22\x11", 10, INSN_OTHER, 0x1122334455667788ull),
	OK(M64, "\xb8\x01\x00\x00\x00", 5, INSN_OTHER),
	OK(M64, "\xa1\x00\x00\x00\x00\x00\x00\x00\x00", 9, INSN_OTHER), /* moffs64 */
	OK(M64, "\x67\xa1\x00\x00\x00\x00", 6, INSN_OTHER),
	IMM(M64, "\xc8\x10\x00\x01", 4, INSN_OTHER, 0x10010), /* ENTER 16, 1 */
	OS(M64, "\x66\x68\x34\x12", 4, INSN_OTHER, 16), OS(M64, "\x68\x34\x12\x00\x00", 5, INSN_OTHER, 64),
	OK(M64, "\xf6\xc0\x01", 3, INSN_OTHER), OK(M64, "\xf6\xd0", 2, INSN_OTHER),
	OK(M64, "\xf7\xc0\x01\x00\x00\x00", 6, INSN_OTHER), OK(M64, "\x66\xf7\xc0\x01\x00", 5, INSN_OTHER),
	OK(M64, "\x48\x81\x84\x24\x00\x01\x00\x00\x78\x56\x34\x12", 12, INSN_OTHER),
	OK(M64, "\x66\x66\x2e\x0f\x1f\x84\x00\x00\x00\x00\x00", 11, INSN_OTHER),
	OK(M64, "\xf3\x0f\x1e\xfa", 4, INSN_OTHER),                       /* ENDBR64 */
	OK(M64, "\xc4\xe2\x79\x18\x05\x00\x00\x00\x00", 9, INSN_OTHER),   /* VBROADCASTSS */
	OK(M64, "\xc5\xf8\x77", 3, INSN_OTHER),                           /* VZEROUPPER */
	OK(M64, "\xc4\xe3\x7d\x18\xc1\x01", 6, INSN_OTHER),               /* VINSERTF128 */
	OK(M64, "\x62\xf1\x7c\x48\x10\x40\x01", 7, INSN_OTHER),           /* VMOVUPS zmm, disp8*N */
	OK(M64, "\x62\xf3\x7d\x48\x39\xc1\x01", 7, INSN_OTHER),           /* VEXTRACTI32X4 */
	OK(M64, "\x8f\xe8\x78\xc2\xec\x0e", 6, INSN_OTHER),               /* XOP VPROTD */
	OK(M64, "\x66\x0f\x3a\x0f\xc1\x08", 6, INSN_OTHER),               /* PALIGNR */
	OK(M64, "\x66\x0f\x38\x00\x04\x24", 6, INSN_OTHER),               /* PSHUFB */
	OK(M64, "\xf0\x48\x0f\xc7\x0f", 5, INSN_OTHER),                   /* LOCK CMPXCHG16B */
	OK(M64, "\xf0\x01\x00", 3, INSN_OTHER), BAD(M64, "\xf0\x01\xc0"), /* LOCK on a register */
	BAD(M64, "\xf0\x39\x00"),                                         /* LOCK CMP */
	BAD(M64, "\x0f\x0f\xc1\xb4"),                                     /* 3DNow! */
	BAD(M64, "\x66\xc5\xf8\x77"),                                     /* 66 before VEX */
	BAD(M64, "\x62\xf1\x7c\x48"),                                     /* truncated EVEX */
	BAD(M64, "\xe8\x00\x00"),                                         /* truncated rel32 */
	OK(M64, "\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x90", 15, INSN_OTHER),
	/* ---- 32-bit ---- */
	REL(M32, "\x74\x05", 2, INSN_JCC, 5, 0x1000, 0x1007, 32),
	REL(M32, "\x0f\x85\xfa\xff\xff\xff", 6, INSN_JCC, -6, 0x1000, 0x1000, 32),
	REL(M32, "\x66\x0f\x85\x00\x00", 5, INSN_JCC, 0, 0x12340, 0x2345, 16), /* rel16: IP wraps */
	REL(M32, "\xe3\x02", 2, INSN_JCC, 2, 0x1000, 0x1004, 32),              /* JECXZ */
	REL(M32, "\x67\xe3\x02", 3, INSN_JCC, 2, 0x1000, 0x1005, 32),          /* JCXZ */
	REL(M32, "\xe2\xfe", 2, INSN_JCC, -2, 0x1000, 0x1000, 32),
	REL(M32, "\xe9\x00\x00\x00\x80", 5, INSN_JMP_REL, -0x80000000ll, 0x80000000, 0x5, 32),
	REL(M32, "\x66\xeb\x00", 3, INSN_JMP_REL, 0, 0x12340, 0x2343, 16),
	REL(M32, "\x66\xe9\x00\x10", 4, INSN_JMP_REL, 0x1000, 0xfff0, 0xff4, 16),
	REL(M32, "\xe8\x00\x00\x00\x00", 5, INSN_CALL_REL, 0, 0x1000, 0x1005, 32),
	REL(M32, "\x66\xe8\xfc\xff", 4, INSN_CALL_REL, -4, 0x1000, 0x1000, 16),
	OK(M32, "\xff\xd0", 2, INSN_CALL_INDIRECT), OK(M32, "\xff\x15\x00\x10\x00\x00", 6, INSN_CALL_INDIRECT),
	OK(M32, "\x67\xff\x17", 3, INSN_CALL_INDIRECT),         /* [bx] */
	OK(M32, "\x67\xff\x16\x34\x12", 5, INSN_CALL_INDIRECT), /* [disp16] */
	OK(M32, "\xff\x64\x24\x04", 4, INSN_JMP_INDIRECT), OK(M32, "\xff\x1d\x00\x10\x00\x00", 6, INSN_FAR_CALL),
	OK(M32, "\xff\x28", 2, INSN_FAR_JMP), IMM(M32, "\x9a\x78\x56\x34\x12\x08\x00", 7, INSN_FAR_CALL, 0x12345678),
	IMM(M32, "\x66\x9a\x34\x12\x08\x00", 6, INSN_FAR_CALL, 0x1234),
	IMM(M32, "\xea\x00\x00\x10\x00\x10\x00", 7, INSN_FAR_JMP, 0x100000), OK(M32, "\xc3", 1, INSN_RET),
	IMM(M32, "\xc2\x0c\x00", 3, INSN_RET, 12), OK(M32, "\xcb", 1, INSN_FAR_RET), OK(M32, "\xcf", 1, INSN_IRET),
	IMM(M32, "\xcd\x21", 2, INSN_INT, 0x21), IMM(M32, "\xce", 1, INSN_INT, 4), /* INTO */
	OK(M32, "\x0f\x34", 2, INSN_SYSENTER), OK(M32, "\x0f\x35", 2, INSN_SYSEXIT),
	OK(M32, "\x0f\x05", 2, INSN_SYSCALL), OK(M32, "\x0f\x22\xd8", 3, INSN_MOV_CR3),
	OK(M32, "\x0f\x22\xc0", 3, INSN_MOV_CR), OK(M32, "\x0f\x01\xc1", 3, INSN_VMCALL), OK(M32, "\xf4", 1, INSN_HLT),
	OK(M32, "\x0f\x0b", 2, INSN_UD), OK(M32, "\xa1\x00\x10\x00\x00", 5, INSN_OTHER),
	OK(M32, "\x67\xa1\x00\x10", 4, INSN_OTHER), OK(M32, "\x40", 1, INSN_OTHER), /* INC, not REX */
	OK(M32, "\xc4\x00", 2, INSN_OTHER),                                         /* LES */
	OK(M32, "\xc5\xf8\x77", 3, INSN_OTHER),                                     /* VEX */
	OK(M32, "\x62\x00", 2, INSN_OTHER),                                         /* BOUND */
	OK(M32, "\x62\xf1\x7c\x48\x10\x40\x01", 7, INSN_OTHER),                     /* EVEX */
	OK(M32, "\xd6", 1, INSN_OTHER),                                             /* SALC */
	OK(M32, "\x8f\xc0", 2, INSN_OTHER),                                         /* POP eax, not XOP */
	/* ---- 16-bit ---- */
	REL(M16, "\x74\x05", 2, INSN_JCC, 5, 0x1000, 0x1007, 16),
	REL(M16, "\x0f\x84\x00\x01", 4, INSN_JCC, 0x100, 0xff00, 0x4, 16),
	REL(M16, "\x66\x0f\x84\x00\x00\x01\x00", 7, INSN_JCC, 0x10000, 0xff00, 0x1ff07, 32),
	REL(M16, "\xe3\xfe", 2, INSN_JCC, -2, 0x1000, 0x1000, 16),
	REL(M16, "\xe9\xfd\xff", 3, INSN_JMP_REL, -3, 0x1000, 0x1000, 16),
	REL(M16, "\xeb\x10", 2, INSN_JMP_REL, 0x10, 0xfff0, 0x2, 16),
	REL(M16, "\xe8\x00\x00", 3, INSN_CALL_REL, 0, 0x1000, 0x1003, 16),
	REL(M16, "\x66\xe8\x00\x00\x01\x00", 6, INSN_CALL_REL, 0x10000, 0x1000, 0x11006, 32),
	OK(M16, "\xff\xd0", 2, INSN_CALL_INDIRECT), OK(M16, "\xff\x16\x34\x12", 4, INSN_CALL_INDIRECT), /* [disp16] */
	OK(M16, "\xff\x17", 2, INSN_CALL_INDIRECT),                                                     /* [bx] */
	OK(M16, "\xff\x57\x02", 3, INSN_CALL_INDIRECT),                                                 /* [bx+disp8] */
	OK(M16, "\x67\xff\x15\x00\x10\x00\x00", 7, INSN_CALL_INDIRECT), OK(M16, "\xff\xe3", 2, INSN_JMP_INDIRECT),
	OK(M16, "\xff\x1f", 2, INSN_FAR_CALL), OK(M16, "\xff\x2e\x00\x10", 4, INSN_FAR_JMP),
	IMM(M16, "\x9a\x34\x12\x00\xf0", 5, INSN_FAR_CALL, 0x1234),
	IMM(M16, "\xea\x5b\xe0\x00\xf0", 5, INSN_FAR_JMP, 0xe05b),
	IMM(M16, "\x66\xea\x00\x00\x10\x00\x08\x00", 8, INSN_FAR_JMP, 0x100000), OK(M16, "\xc3", 1, INSN_RET),
	IMM(M16, "\xc2\x02\x00", 3, INSN_RET, 2), OK(M16, "\xcb", 1, INSN_FAR_RET), OK(M16, "\xcf", 1, INSN_IRET),
	IMM(M16, "\xcd\x10", 2, INSN_INT, 0x10), IMM(M16, "\xcc", 1, INSN_INT, 3),
	OK(M16, "\x0f\x22\xd8", 3, INSN_MOV_CR3), OK(M16, "\x0f\x22\xc0", 3, INSN_MOV_CR),
	OK(M16, "\x0f\x01\xc1", 3, INSN_VMCALL), OK(M16, "\xf4", 1, INSN_HLT), OK(M16, "\x0f\x0b", 2, INSN_UD),
	OK(M16, "\x0f\x34", 2, INSN_SYSENTER), OK(M16, "\xa1\x00\x10", 3, INSN_OTHER),
	OK(M16, "\xb8\x00\x10", 3, INSN_OTHER), OK(M16, "\x66\xb8\x00\x10\x00\x00", 6, INSN_OTHER),
	OK(M16, "\x8b\x46\xfe", 3, INSN_OTHER),             /* [bp-2] */
	OK(M16, "\x8b\x86\x00\x01", 4, INSN_OTHER),         /* [bp+disp16] */
	OK(M16, "\x81\x3e\x00\x10\x34\x12", 6, INSN_OTHER), /* cmp [disp16], imm16 */
};

static void check_case(const struct tc *c, size_t idx)
{
	struct insn in;
	int rc = insn_decode((const uint8_t *)c->b, c->n, c->m, &in);

	if (rc != c->rc || (!rc && (in.len != c->len || in.cls != c->cls || in.has_rel != c->rel)))
		printf("case %zu (mode %d, first byte %02x): rc %d len %u cls %s\n", idx, (int)c->m, (uint8_t)c->b[0],
		       rc, in.len, insn_class_name(in.cls));
	assert_int_equal(rc, c->rc);
	if (rc)
		return;
	assert_int_equal(in.len, c->len);
	assert_string_equal(insn_class_name(in.cls), insn_class_name(c->cls));
	if (c->rel) {
		assert_true(in.has_rel);
		assert_int_equal(in.rel, c->relv);
		assert_int_equal(insn_branch_target(&in, c->ip), c->target);
	} else {
		assert_false(in.has_rel);
	}
	if (c->opsize)
		assert_int_equal(in.opsize, c->opsize);
	if (c->imm) {
		assert_true(in.has_imm);
		assert_int_equal(in.imm, c->immv);
	}
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i], i);
}

/* Every prefix of a valid instruction is truncated; 15 bytes is the limit (SDM Vol. 2 2.3.11). */
static void test_truncation_and_limit(void **state)
{
	static const uint8_t call[] = { 0x48, 0x81, 0x84, 0x24, 0, 1, 0, 0, 0x78, 0x56, 0x34, 0x12 };
	uint8_t longest[16] = {
		0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84
	};
	struct insn in;
	(void)state;

	for (size_t n = 0; n < sizeof(call); n++)
		assert_int_equal(insn_decode(call, n, INSN_MODE64, &in), -1);
	assert_int_equal(insn_decode(call, sizeof(call), INSN_MODE64, &in), 0);
	/* 11 prefixes + 0F 1F 84 + SIB + disp32 = 19 bytes: too long even with the bytes present */
	assert_int_equal(insn_decode(longest, sizeof(longest), INSN_MODE64, &in), -1);
	/* 12 prefixes + 90 + ... : 13 bytes is fine */
	memset(longest, 0x66, 12);
	longest[12] = 0x90;
	assert_int_equal(insn_decode(longest, sizeof(longest), INSN_MODE64, &in), 0);
	assert_int_equal(in.len, 13);
	memset(longest, 0x66, 15);
	assert_int_equal(insn_decode(longest, sizeof(longest), INSN_MODE64, &in), -1);
	assert_string_equal(insn_class_name(INSN_PTWRITE), "ptwrite");
	assert_string_equal(insn_class_name((enum insn_class)99), "?");
}

static void decode_ok(const char *b, size_t n, enum insn_mode m, struct insn *in)
{
	assert_int_equal(insn_decode((const uint8_t *)b, n, m, in), 0);
	assert_int_equal(in->len, n);
}

/* The side fields the PT engine reads: far pointers, maps, prefixes, REX. */
static void test_fields(void **state)
{
	struct insn in;
	(void)state;

	decode_ok("\x9a\x78\x56\x34\x12\x08\x00", 7, INSN_MODE32, &in);
	assert_int_equal(in.far_sel, 8);
	assert_int_equal(in.imm, 0x12345678);
	decode_ok("\xea\x5b\xe0\x00\xf0", 5, INSN_MODE16, &in);
	assert_int_equal(in.far_sel, 0xf000);
	assert_int_equal(in.imm, 0xe05b);
	decode_ok("\xc5\xf8\x77", 3, INSN_MODE64, &in);
	assert_true(in.prefixes & INSN_PFX_VEX);
	assert_int_equal(in.map, INSN_MAP_0F);
	assert_int_equal(in.opcode, 0x77);
	assert_false(in.has_modrm);
	decode_ok("\x62\xf1\x7c\x48\x10\x40\x01", 7, INSN_MODE64, &in);
	assert_true(in.prefixes & INSN_PFX_EVEX);
	assert_int_equal(in.opcode, 0x10);
	assert_int_equal(in.modrm, 0x40);
	decode_ok("\x8f\xe8\x78\xc2\xec\x0e", 6, INSN_MODE64, &in);
	assert_true(in.prefixes & INSN_PFX_XOP);
	assert_int_equal(in.map, INSN_MAP_XOP8);
	decode_ok("\xf3\x48\x0f\xae\x60\x08", 6, INSN_MODE64, &in);
	assert_int_equal(in.rex, 0x48);
	assert_int_equal(in.prefixes, INSN_PFX_REP);
	assert_int_equal(in.opsize, 64);
	decode_ok("\x66\x0f\x3a\x0f\xc1\x08", 6, INSN_MODE64, &in);
	assert_int_equal(in.map, INSN_MAP_0F3A);
	assert_int_equal(in.imm, 8);
	decode_ok("\x41\x66\x90", 3, INSN_MODE64, &in); /* a legacy prefix after REX voids it */
	assert_int_equal(in.rex, 0);
	assert_int_equal(in.opsize, 16);
	decode_ok("\x66\x48\x90", 3, INSN_MODE64, &in); /* REX.W beats 66 */
	assert_int_equal(in.rex, 0x48);
	assert_int_equal(in.opsize, 64);
	decode_ok("\x67\x8b\x00", 3, INSN_MODE32, &in);
	assert_int_equal(in.addrsize, 16);
	assert_int_equal(in.prefixes, INSN_PFX_ADSZ);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_truncation_and_limit),
		cmocka_unit_test(test_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
