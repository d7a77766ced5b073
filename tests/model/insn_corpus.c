/* Comparison of the x86 decoder with Capstone: classes, operands, tallies, quirks and random bytes. */
#include "insn_corpus.h"

#include <stdio.h>
#include <string.h>

#define PRINT_MAX 25

enum insn_class corpus_cs_class(const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;
	bool imm = x->op_count >= 1 && x->operands[0].type == X86_OP_IMM;

	switch (ci->id) {
	case X86_INS_JAE:
	case X86_INS_JA:
	case X86_INS_JBE:
	case X86_INS_JB:
	case X86_INS_JE:
	case X86_INS_JGE:
	case X86_INS_JG:
	case X86_INS_JLE:
	case X86_INS_JL:
	case X86_INS_JNE:
	case X86_INS_JNO:
	case X86_INS_JNP:
	case X86_INS_JNS:
	case X86_INS_JO:
	case X86_INS_JP:
	case X86_INS_JS:
	case X86_INS_JCXZ:
	case X86_INS_JECXZ:
	case X86_INS_JRCXZ:
	case X86_INS_LOOP:
	case X86_INS_LOOPE:
	case X86_INS_LOOPNE:
		return INSN_JCC;
	case X86_INS_JMP:
		return imm ? INSN_JMP_REL : INSN_JMP_INDIRECT;
	case X86_INS_CALL:
		return imm ? INSN_CALL_REL : INSN_CALL_INDIRECT;
	case X86_INS_LJMP:
		return INSN_FAR_JMP;
	case X86_INS_LCALL:
		return INSN_FAR_CALL;
	case X86_INS_RET:
		return INSN_RET;
	case X86_INS_RETF:
	case X86_INS_RETFQ:
		return INSN_FAR_RET;
	case X86_INS_IRET:
	case X86_INS_IRETD:
	case X86_INS_IRETQ:
		return INSN_IRET;
	case X86_INS_INT:
	case X86_INS_INT1:
	case X86_INS_INT3:
	case X86_INS_INTO:
		return INSN_INT;
	case X86_INS_SYSCALL:
		return INSN_SYSCALL;
	case X86_INS_SYSRET:
		return INSN_SYSRET;
	case X86_INS_SYSENTER:
		return INSN_SYSENTER;
	case X86_INS_SYSEXIT:
		return INSN_SYSEXIT;
	case X86_INS_VMCALL:
		return INSN_VMCALL;
	case X86_INS_HLT:
		return INSN_HLT;
	case X86_INS_UD2:
	case X86_INS_UD2B:
	case X86_INS_UD0:
		return INSN_UD;
	case X86_INS_MOV:
		if (x->op_count == 2 && x->operands[0].type == X86_OP_REG) {
			if (x->operands[0].reg == X86_REG_CR3)
				return INSN_MOV_CR3;
			if (x->operands[0].reg == X86_REG_CR0 || x->operands[0].reg == X86_REG_CR4)
				return INSN_MOV_CR;
		}
		return INSN_OTHER;
	default:
		return INSN_OTHER;
	}
}

/* Map kind and opcode of raw bytes, to group refusals: 0 one-byte, 1 0F, 2 0F38, 3 0F3A, 4 VEX, 5 EVEX. */
static void corpus_key(const uint8_t *p, size_t n, enum insn_mode mode, unsigned *kind, unsigned *op)
{
	size_t i = 0;

	while (i < n && (p[i] == 0x66 || p[i] == 0x67 || p[i] == 0xf0 || p[i] == 0xf2 || p[i] == 0xf3 || p[i] == 0x26 ||
			 p[i] == 0x2e || p[i] == 0x36 || p[i] == 0x3e || p[i] == 0x64 || p[i] == 0x65 ||
			 (mode == INSN_MODE64 && (p[i] & 0xf0) == 0x40)))
		i++;
	*kind = 0;
	*op = i < n ? p[i] : 0;
	if (i + 2 < n && p[i] == 0x0f) {
		*kind = p[i + 1] == 0x38 ? 2 : p[i + 1] == 0x3a ? 3 : 1;
		*op = *kind == 1 ? p[i + 1] : p[i + 2];
	} else if (i + 1 < n && (p[i] == 0xc4 || p[i] == 0xc5 || p[i] == 0x62) &&
		   (mode == INSN_MODE64 || (p[i + 1] & 0xc0) == 0xc0)) {
		*kind = p[i] == 0x62 ? 5 : 4;
	}
}

static void corpus_show(const char *what, const uint8_t *p, size_t avail, const cs_insn *ci, const struct insn *in,
			struct corpus_tally *t)
{
	if (t->printed++ >= PRINT_MAX)
		return;
	printf("    %-10s", what);
	for (size_t i = 0; i < 15 && i < avail; i++)
		printf(" %02x", p[i]);
	printf(" | cs: %s %s len %u cls %s", ci ? ci->mnemonic : "-", ci ? ci->op_str : "", ci ? ci->size : 0,
	       ci ? insn_class_name(corpus_cs_class(ci)) : "-");
	printf(" | ours: len %u cls %s\n", in ? in->len : 0, in ? insn_class_name(in->cls) : "-");
}

/*
 * The allow-list: documented places where Capstone 4.0.2 departs from the Intel SDM (checked against
 * binutils objdump), or bytes we refuse on purpose. Returns a short reason, or NULL.
 */
static const char *corpus_quirk(const uint8_t *p, size_t avail, enum insn_mode mode, const cs_insn *ci,
				const struct insn *in, uint64_t target)
{
	unsigned kind, op;

	if (!in) {
		/* 3DNow!/FEMMS (0F 0F, 0F 0E): AMD-only, refused by design (also data bytes in libcrypto's .text). */
		corpus_key(p, avail, mode, &kind, &op);
		if (kind == 1 && (op == 0x0e || op == 0x0f))
			return "3dnow";
		/* SDM Vol. 2 2.3.2/2.3.3 and 2.7: 66, F2, F3, LOCK or REX before VEX/EVEX is #UD; Capstone
		 * ignores the prefix (seen where a linear walk runs from data into code in libcrypto). */
		if ((kind == 4 || kind == 5) && (p[0] == 0x66 || p[0] == 0xf2 || p[0] == 0xf3 || p[0] == 0xf0 ||
						 (mode == INSN_MODE64 && (p[0] & 0xf0) == 0x40)))
			return "prefix before vex";
		/* SDM Vol. 2 "MOV": loading CS is #UD; "MOV (Control/Debug Registers)": CR1, CR5-CR7,
		 * CR9-CR15 and DR8-DR15 are #UD. Capstone decodes them (libcrypto's .text holds data). */
		if (kind == 0 && op == 0x8e && strstr(ci->op_str, "cs,") == ci->op_str)
			return "mov cs";
		if (kind == 1 && op >= 0x20 && op <= 0x23)
			return "undefined cr/dr";
		/* SDM Vol. 2 "LOCK": a locked non-RMW or register-destination form is #UD. */
		if (memchr(p, 0xf0, MIN(avail, (size_t)15))) {
			uint8_t rest[16];
			size_t i = 0, n = 0, dropped = 0;
			bool in_prefixes = true;
			struct insn r;

			for (; i < avail && n < sizeof(rest); i++) {
				bool prefix =
					in_prefixes && i < 14 &&
					(p[i] == 0xf0 || p[i] == 0x66 || p[i] == 0x67 || p[i] == 0xf2 || p[i] == 0xf3 ||
					 p[i] == 0x2e || p[i] == 0x3e || p[i] == 0x26 || p[i] == 0x36 || p[i] == 0x64 ||
					 p[i] == 0x65 || (mode == INSN_MODE64 && (p[i] & 0xf0) == 0x40));

				in_prefixes = prefix;
				if (prefix && p[i] == 0xf0)
					dropped++;
				else
					rest[n++] = p[i];
			}
			if (dropped && insn_decode(rest, n, mode, &r) == 0 && r.len + dropped == ci->size)
				return "lock on non-lockable";
		}
		return NULL;
	}
	/* 66 together with F2/F3 on a one-byte opcode: Capstone 4 lets the F2/F3 cancel the 66 and reads a
	 * 32-bit immediate or rel; objdump and the SDM keep the 16-bit operand size (66 68 iw: PUSH imm16). */
	if (in->map == INSN_MAP_1BYTE && (in->prefixes & INSN_PFX_OPSZ) &&
	    (in->prefixes & (INSN_PFX_REP | INSN_PFX_REPNE)) && (unsigned)ci->size == in->len + 2)
		return "66 cancelled by f2/f3";
	/* XOP map 0Ah (BEXTR, LWPINS, LWPVAL) always takes an id (AMD APM Vol. 3 "BEXTR (immediate form)");
	 * Capstone 4 reads an iw in 16-bit code, objdump the id. */
	if ((in->prefixes & INSN_PFX_XOP) && in->map == INSN_MAP_XOPA && mode == INSN_MODE16 &&
	    (unsigned)ci->size + 2 == in->len)
		return "xop map a imm in 16-bit";
	/* PTWRITE (F3 [REX.W] 0F AE /4, SDM Vol. 2 "PTWRITE") is newer than Capstone 4, which shows XSAVE. */
	if ((ci->id == X86_INS_XSAVE || ci->id == X86_INS_XSAVE64) && in->cls == INSN_PTWRITE && in->len == ci->size)
		return "ptwrite as xsave";
	/* SDM Vol. 2 "UD": UD0 (0F FF) and UD1 (0F B9) take a ModRM; Capstone stops after the opcode. */
	if ((ci->id == X86_INS_UD0 || ci->id == X86_INS_UD2B) && in->cls == INSN_UD && (unsigned)ci->size < in->len)
		return "ud0/ud1 modrm";
	/* Intel ignores 66 on near JMP/CALL/Jcc rel in 64-bit mode (rel32 stays; objdump -Mintel64 agrees);
	 * Capstone takes AMD's rel16. */
	if (mode == INSN_MODE64 && in->has_rel && (in->prefixes & INSN_PFX_OPSZ) && (unsigned)ci->size + 2 == in->len)
		return "66 rel16 in 64-bit";
	/* ... and with REX.W as well, Capstone reads RET's iw as 4 bytes (objdump: 66 4a c2 ed 86, 5 bytes). */
	if (mode == INSN_MODE64 && ci->id == X86_INS_RET && (in->prefixes & INSN_PFX_OPSZ) && (in->rex & 0x08) &&
	    (unsigned)ci->size == in->len + 2)
		return "66 rex.w ret imm16";
	/* ... and it wraps a 66-prefixed near-branch target at 64 KiB, though the branch is 64-bit. */
	if (mode == INSN_MODE64 && in->has_rel && (in->prefixes & INSN_PFX_OPSZ) && in->len == ci->size &&
	    ((uint64_t)ci->detail->x86.operands[0].imm & 0xffff) == (target & 0xffff))
		return "66 rel target in 64-bit";
	/* ENDBR32/64 (F3 0F 1E FB/FA) has a register-form ModRM; Capstone reports that ModRM as 0. */
	if ((ci->id == X86_INS_ENDBR32 || ci->id == X86_INS_ENDBR64) && in->len == ci->size &&
	    in->modrm != ci->detail->x86.modrm)
		return "endbr modrm";
	/* EVEX register form with EVEX.b (embedded rounding): Capstone 4 counts one byte too many. */
	if ((in->prefixes & INSN_PFX_EVEX) && (in->modrm >> 6) == 3 && (unsigned)ci->size == in->len + 1)
		return "evex rounding length";
	/* Capstone wraps direct-branch targets at 64 KiB whenever the address size is 16 bits, and in
	 * 16-bit mode even with 66 (32-bit operand size); the IP width follows the operand size (SDM
	 * Vol. 2 "JMP": EIP is masked to 16 bits only when OperandSize = 16). */
	if (in->has_rel && in->len == ci->size && (in->addrsize == 16 || mode == INSN_MODE16) &&
	    ((uint64_t)ci->detail->x86.operands[0].imm & 0xffff) == (target & 0xffff))
		return "16-bit address-size or mode target";
	/* ... and it keeps EIP's upper half where a 16-bit operand size clears it (SDM Vol. 2 "Jcc": "IF
	 * OperandSize = 16 THEN EIP := EIP AND 0000FFFFH"), seen only away from IPs below 64 KiB. */
	if (in->has_rel && in->len == ci->size && in->opsize == 16 && mode != INSN_MODE64 &&
	    ((uint64_t)ci->detail->x86.operands[0].imm & 0xffff) == (target & 0xffff))
		return "16-bit operand-size target";
	return NULL;
}

static void corpus_count_quirk(struct corpus_tally *t, const char *why)
{
	t->quirks++;
	for (size_t i = 0; i < sizeof(t->quirk_name) / sizeof(t->quirk_name[0]); i++) {
		if (!t->quirk_name[i] || strcmp(t->quirk_name[i], why) == 0) {
			t->quirk_name[i] = why;
			t->quirk_count[i]++;
			return;
		}
	}
}

/*
 * The operand fields Capstone also reports: ModRM, SIB, the displacement, and that a memory operand
 * exists (Capstone adds the implicit ones of string instructions, so only this direction). EVEX disp8
 * is compared nowhere: we keep it raw, Capstone scales it by N (SDM Vol. 2 2.7.5 "Compressed Displacement").
 */
static bool corpus_operands_agree(const struct insn *in, const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;
	bool mem = false;

	for (unsigned i = 0; i < x->op_count; i++)
		mem |= x->operands[i].type == X86_OP_MEM;
	if ((in->has_modrm && in->modrm != x->modrm) || (in->has_sib && in->sib != x->sib) || (in->has_mem && !mem))
		return false;
	if ((in->prefixes & INSN_PFX_EVEX) && in->disp_size == 1)
		return true;
	return !in->disp_size || in->disp == x->disp;
}

void corpus_check(const uint8_t *p, size_t avail, uint64_t addr, enum insn_mode mode, const cs_insn *ci,
		  struct corpus_tally *t)
{
	struct insn in;
	int rc = insn_decode(p, avail, mode, &in);
	unsigned kind, op;
	uint64_t target;
	const char *why;

	if (!ci || rc) {
		if (!ci && rc) {
			t->both_refused++;
			return;
		}
		if (ci && (why = corpus_quirk(p, avail, mode, ci, NULL, 0))) {
			corpus_count_quirk(t, why);
			return;
		}
		corpus_key(p, avail, mode, &kind, &op);
		t->cat[ci ? 0 : 1][kind][op]++;
		if (ci) {
			t->ours_refused++;
			if (t->show_refused)
				corpus_show("refused", p, avail, ci, NULL, t);
		} else {
			t->cs_refused++;
		}
		return;
	}
	t->compared++;
	target = in.has_rel ? insn_branch_target(&in, addr) : 0;
	if ((in.len != ci->size || in.cls != corpus_cs_class(ci) ||
	     (in.has_rel && (uint64_t)ci->detail->x86.operands[0].imm != target) || !corpus_operands_agree(&in, ci)) &&
	    (why = corpus_quirk(p, avail, mode, ci, &in, target))) {
		corpus_count_quirk(t, why);
	} else if (in.len != ci->size) {
		t->len_mismatch++;
		corpus_show("length", p, avail, ci, &in, t);
	} else if (in.cls != corpus_cs_class(ci)) {
		t->cls_mismatch++;
		corpus_show("class", p, avail, ci, &in, t);
	} else if (in.has_rel && (uint64_t)ci->detail->x86.operands[0].imm != target) {
		t->target_mismatch++;
		corpus_show("target", p, avail, ci, &in, t);
	} else if (!corpus_operands_agree(&in, ci)) {
		t->operand_mismatch++;
		corpus_show("operands", p, avail, ci, &in, t);
	}
}

unsigned long corpus_mismatches(const struct corpus_tally *t)
{
	return t->len_mismatch + t->cls_mismatch + t->target_mismatch + t->operand_mismatch + t->ours_refused;
}

void corpus_tally_add(struct corpus_tally *sum, const struct corpus_tally *t)
{
	sum->compared += t->compared;
	sum->cs_skipped += t->cs_skipped;
	sum->len_mismatch += t->len_mismatch;
	sum->cls_mismatch += t->cls_mismatch;
	sum->target_mismatch += t->target_mismatch;
	sum->operand_mismatch += t->operand_mismatch;
	sum->ours_refused += t->ours_refused;
	sum->cs_refused += t->cs_refused;
	sum->both_refused += t->both_refused;
	for (size_t i = 0; i < sizeof(t->quirk_name) / sizeof(t->quirk_name[0]) && t->quirk_name[i]; i++) {
		for (unsigned long k = 0; k < t->quirk_count[i]; k++)
			corpus_count_quirk(sum, t->quirk_name[i]);
	}
}

void corpus_tally_print(const char *label, const struct corpus_tally *t)
{
	printf("  %s: %lu compared; mismatches: length %lu, class %lu, target %lu, operands %lu; "
	       "only capstone decodes %lu, only ours decodes %lu, both refuse %lu; quirks %lu\n",
	       label, t->compared, t->len_mismatch, t->cls_mismatch, t->target_mismatch, t->operand_mismatch,
	       t->ours_refused, t->cs_refused, t->both_refused, t->quirks);
	if (t->quirks) {
		printf("    allow-listed:");
		for (size_t i = 0; i < sizeof(t->quirk_name) / sizeof(t->quirk_name[0]) && t->quirk_name[i]; i++)
			printf(" %s %lu;", t->quirk_name[i], t->quirk_count[i]);
		printf("\n");
	}
}

void corpus_print_categories(const struct corpus_tally *t)
{
	static const char *const kinds[] = { "", "0f ", "0f38 ", "0f3a ", "vex ", "evex " };

	for (int who = 0; who < 2; who++) {
		unsigned long seen[6][256] = { { 0 } };

		printf("    top opcodes decoded only by %s:", who ? "ours" : "capstone");
		for (int k = 0; k < 10; k++) {
			unsigned long best = 0;
			unsigned bk = 0, bo = 0;

			for (unsigned m = 0; m < 6; m++)
				for (unsigned o = 0; o < 256; o++)
					if (!seen[m][o] && t->cat[who][m][o] > best)
						best = t->cat[who][m][o], bk = m, bo = o;
			if (!best)
				break;
			seen[bk][bo] = 1;
			printf(" %s%02x:%lu", kinds[bk], bo, best);
		}
		printf("\n");
	}
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

void corpus_random_bytes(uint64_t *seed, enum insn_mode mode, uint8_t *buf, size_t n)
{
	static const uint8_t flow[] = { 0xe8, 0xe9, 0xeb, 0x70, 0x7f, 0xff, 0xc2, 0xc3, 0xca, 0xcb,
					0xcd, 0xcf, 0x9a, 0xea, 0xe0, 0xe3, 0xcc, 0xf1, 0xf4, 0xce };
	static const uint8_t pfx[] = { 0x66, 0x67, 0xf2, 0xf3, 0x48, 0x41, 0x2e, 0xf0 };
	size_t i = 0;
	bool top11 = mode != INSN_MODE64;

	for (size_t j = 0; j < n; j++)
		buf[j] = (uint8_t)rnd(seed);
	switch (rnd(seed) % 16) {
	case 0:
		buf[i++] = 0x0f;
		break;
	case 1:
		buf[i++] = 0x0f;
		buf[i++] = 0x38;
		break;
	case 2:
		buf[i++] = 0x0f;
		buf[i++] = 0x3a;
		break;
	case 3:
		buf[i++] = 0xc5;
		if (top11)
			buf[i] |= 0xc0;
		break;
	case 4:
		buf[i++] = 0xc4;
		buf[i] = (uint8_t)((buf[i] & 0xe0) | (1 + rnd(seed) % 3) | (top11 ? 0xc0 : 0));
		break;
	case 5:
		buf[i++] = 0x62;
		buf[i] = (uint8_t)((buf[i] & 0xf0) | (1 + rnd(seed) % 3) | (top11 ? 0xc0 : 0));
		buf[i + 1] |= 0x04;
		break;
	case 6:
	case 7:
		if (rnd(seed) & 1)
			buf[i++] = pfx[rnd(seed) % sizeof(pfx)];
		buf[i++] = flow[rnd(seed) % sizeof(flow)];
		break;
	case 8:
		buf[i++] = 0x0f;
		buf[i++] = (uint8_t)(0x80 + rnd(seed) % 16);
		break;
	case 9:
		buf[i++] = pfx[rnd(seed) % sizeof(pfx)];
		break;
	default:
		break;
	}
}
