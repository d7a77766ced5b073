/*
 * libFuzzer harness: the x86 decoder (vmm/x86/insn*.c) on its own and against Capstone. Input:
 * byte 0 the mode (16/32/64-bit), bytes 1-4 the IP, then up to 15 instruction bytes in a heap
 * buffer of exactly that size (ASan sees any read past them).
 * Our decoder alone: a decode is 1-15 bytes within what it was given, repeatable, the same with
 * exactly its own bytes, refused with one byte fewer, and only direct branches carry a rel.
 * Against Capstone, where both decode (tests/model/insn_corpus.c, corpus_check): the length, the
 * change-of-flow class (the kinds emulated PT and the exit handlers use), a direct branch's target
 * at that IP, and ModRM/SIB/displacement must agree, except the documented allow-list of places
 * where Capstone 4 departs from the SDM (corpus_quirk: 66-prefixed near branches in 64-bit mode,
 * targets wrapped at 64 KiB in 16-bit mode or with a 16-bit address size, UD0/UD1 ModRM, ENDBR
 * ModRM, EVEX rounding length, EVEX disp8*N).
 * Bytes only one decoder accepts are not compared: Capstone takes some #UD forms (LOCK on
 * non-RMW, prefixes before VEX) and refuses valid VEX/EVEX forms with reserved operand fields.
 */
#include <stdlib.h>
#include <string.h>
#include "env.h"
#include "insn_corpus.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static csh cs[3];
static cs_insn *ci[3];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const cs_mode cm[] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };

	(void)argc;
	(void)argv;
	fuzz_env_init();
	for (unsigned m = 0; m < 3; m++) {
		FUZZ_CHECK(cs_open(CS_ARCH_X86, cm[m], &cs[m]) == CS_ERR_OK);
		FUZZ_CHECK(cs_option(cs[m], CS_OPT_DETAIL, CS_OPT_ON) == CS_ERR_OK);
		ci[m] = cs_malloc(cs[m]);
	}
	return 0;
}

static void check_alone(const uint8_t *code, size_t n, enum insn_mode mode, const struct insn *in)
{
	struct insn again;
	uint8_t *exact;

	FUZZ_CHECK(in->len >= 1 && in->len <= INSN_MAX_LEN && in->len <= n);
	FUZZ_CHECK(!in->has_rel || in->cls == INSN_JCC || in->cls == INSN_JMP_REL || in->cls == INSN_CALL_REL);
	FUZZ_CHECK(in->opsize == 16 || in->opsize == 32 || in->opsize == 64);
	FUZZ_CHECK(in->addrsize == 16 || in->addrsize == 32 || in->addrsize == 64);
	FUZZ_CHECK(insn_class_name(in->cls) != NULL);
	FUZZ_CHECK(insn_decode(code, n, mode, &again) == 0 && memcmp(in, &again, sizeof(again)) == 0);
	exact = malloc(in->len);
	memcpy(exact, code, in->len);
	FUZZ_CHECK(insn_decode(exact, in->len, mode, &again) == 0 && memcmp(in, &again, sizeof(again)) == 0);
	FUZZ_CHECK(insn_decode(exact, in->len - 1, mode, &again) == -1);
	free(exact);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in fin = { data, size, 0 };
	enum insn_mode mode;
	struct corpus_tally t = { 0 };
	struct insn in;
	uint64_t ip, addr;
	size_t n, left;
	uint8_t *code;
	const uint8_t *cp;

	if (size < 6)
		return 0;
	mode = (enum insn_mode)(fuzz_u8(&fin) % 3);
	ip = fuzz_u32(&fin);
	if (mode == INSN_MODE16)
		ip &= 0xffff;
	n = MIN(fuzz_left(&fin), (size_t)INSN_MAX_LEN);
	code = malloc(n);
	memcpy(code, data + fin.at, n);
	memset(&in, 0, sizeof(in));
	if (insn_decode(code, n, mode, &in) == 0)
		check_alone(code, n, mode, &in);
	cp = code;
	left = n;
	addr = ip;
	bool cs_ok = cs_disasm_iter(cs[mode], &cp, &left, &addr, ci[mode]);
	corpus_check(code, n, ip, mode, cs_ok ? ci[mode] : NULL, &t);
	if (t.len_mismatch || t.cls_mismatch || t.target_mismatch || t.operand_mismatch)
		fuzz_fail(__FILE__, __LINE__,
			  "decoders differ (mode %d, ip %#llx): len %lu cls %lu target %lu operands %lu", (int)mode,
			  (unsigned long long)ip, t.len_mismatch, t.cls_mismatch, t.target_mismatch,
			  t.operand_mismatch);
	free(code);
	return 0;
}
