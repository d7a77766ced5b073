/* Cross-checks the x86 decoder (vmm/x86/insn.c) against Capstone on real binaries and random bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <capstone/capstone.h>
#include "x86/insn.h"
#include "elf_text.h"
#include "insn_corpus.h"

#define TEXT_SAMPLE_MAX (4096u * 1024u) /* bytes of .text walked per binary, to stay fast */
#define RANDOM_PER_MODE 300000u

static csh cs_open_mode(enum insn_mode mode)
{
	static const cs_mode cm[] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };
	csh h;

	assert_int_equal(cs_open(CS_ARCH_X86, cm[mode], &h), CS_ERR_OK);
	assert_int_equal(cs_option(h, CS_OPT_DETAIL, CS_OPT_ON), CS_ERR_OK);
	return h;
}

/* Walks one .text linearly with Capstone (skipping a byte where it fails) and checks each instruction. */
static void walk_text(const uint8_t *text, size_t size, uint64_t addr, enum insn_mode mode, struct corpus_tally *t)
{
	csh h = cs_open_mode(mode);
	cs_insn *ci = cs_malloc(h);
	size_t off = 0;

	if (size > TEXT_SAMPLE_MAX)
		size = TEXT_SAMPLE_MAX;
	t->show_refused = true;
	while (off < size) {
		const uint8_t *code = text + off;
		size_t left = size - off;
		uint64_t a = addr + off;

		if (!cs_disasm_iter(h, &code, &left, &a, ci)) {
			t->cs_skipped++;
			off++;
			continue;
		}
		corpus_check(text + off, size - off, addr + off, mode, ci, t);
		off += ci->size;
	}
	cs_free(ci, 1);
	cs_close(&h);
}

static void print_line(const char *label, unsigned files, const struct corpus_tally *t)
{
	printf("  %-40s %3u file(s): %7lu compared, %5lu bytes skipped by capstone, "
	       "%lu mismatches, %lu allow-listed\n",
	       label, files, t->compared, t->cs_skipped, corpus_mismatches(t), t->quirks);
}

/* Walks the .text of every file matching 'pattern' (at most max_files) and prints one line. */
static void walk_glob(const char *pattern, const char *label, size_t max_files, enum insn_mode mode,
		      struct corpus_tally *total)
{
	struct corpus_tally t = { 0 };
	unsigned files = 0;
	glob_t g;

	if (glob(pattern, 0, NULL, &g) != 0) {
		printf("  %-40s (absent: skipped)\n", label);
		return;
	}
	for (size_t i = 0; i < g.gl_pathc && i < max_files; i++) {
		struct elf_text et;

		if (elf_text_load(g.gl_pathv[i], &et))
			continue;
		walk_text(et.text, et.text_size, et.text_addr, mode, &t);
		elf_text_free(&et);
		files++;
	}
	globfree(&g);
	print_line(label, files, &t);
	corpus_tally_add(total, &t);
}

static void test_corpus_64(void **state)
{
	struct corpus_tally total = { 0 };
	(void)state;

	printf("64-bit binaries (first %u KiB of .text each):\n", TEXT_SAMPLE_MAX / 1024);
	walk_glob("/bin/ls", "/bin/ls", 1, INSN_MODE64, &total);
	walk_glob("/usr/bin/gcc", "/usr/bin/gcc", 1, INSN_MODE64, &total);
	walk_glob("/lib/x86_64-linux-gnu/libc.so.6", "libc.so.6", 1, INSN_MODE64, &total);
	walk_glob("/usr/lib/x86_64-linux-gnu/libcrypto.so.*", "libcrypto.so.*", 1, INSN_MODE64, &total);
	corpus_tally_print("64-bit total", &total);
	assert_true(total.compared > 100000);
	assert_int_equal(corpus_mismatches(&total), 0);
}

static void test_corpus_32(void **state)
{
	struct corpus_tally total = { 0 };
	(void)state;

	printf("32-bit GRUB modules and ptvisor guests (first %u KiB of .text each):\n", TEXT_SAMPLE_MAX / 1024);
	walk_glob("/usr/lib/grub/i386-pc/*.mod", "grub i386-pc/*.mod", 1000, INSN_MODE32, &total);
	walk_glob("build/guest/*.elf", "build/guest/*.elf", 64, INSN_MODE32, &total);
	corpus_tally_print("32-bit total", &total);
	assert_true(total.compared > 10000);
	assert_int_equal(corpus_mismatches(&total), 0);
}

/*
 * Capstone refuses most random VEX/EVEX bytes for operand-field constraints (VEX.vvvv must be 1111,
 * L must be 0, W fixed, no masking...) that do not change the length. Rewrite those fields (and
 * the implied prefix pp) through a few legal combinations and, once Capstone accepts, compare its
 * length with ours on the original bytes. Returns 1 compared, 0 not retried, -1 mismatch.
 */
static int vex_retry(csh h, cs_insn *ci, const uint8_t *buf, size_t n, enum insn_mode mode, const struct insn *ours)
{
	uint8_t b[16];
	size_t at = 0;

	if (!(ours->prefixes & (INSN_PFX_VEX | INSN_PFX_EVEX)) || n > sizeof(b))
		return 0;
	while (buf[at] != 0xc4 && buf[at] != 0xc5 && buf[at] != 0x62)
		at++;
	for (unsigned k = 0; k < 24; k++) {
		const uint8_t *code = b;
		size_t left = n;
		uint64_t a = 0x1000;
		unsigned v = k % 6, pp = k / 6;
		uint8_t wl = (uint8_t)(((v & 1) << 7) | ((v >> 1) << 2) | pp); /* W, L, pp */

		memcpy(b, buf, n);
		if (buf[at] == 0xc5) {
			b[at + 1] = (uint8_t)((b[at + 1] & 0x80) | 0x78 | (wl & 0x07));
		} else if (buf[at] == 0xc4) {
			b[at + 2] = (uint8_t)(0x78 | (wl & 0x87));
		} else {
			b[at + 2] = (uint8_t)(0x7c | (wl & 0x83));
			b[at + 3] = (uint8_t)(0x08 | ((v >> 1) << 5)); /* V'=1, aaa=0, L'L=v/2 */
		}
		if (cs_disasm_iter(h, &code, &left, &a, ci))
			return ci->size == ours->len ? 1 : -1;
	}
	(void)mode;
	return 0;
}

static void random_mode(enum insn_mode mode)
{
	struct corpus_tally t = { 0 };
	csh h = cs_open_mode(mode);
	cs_insn *ci = cs_malloc(h);
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)mode;
	uint8_t buf[16];
	unsigned long vex_cmp = 0, vex_bad = 0;

	for (unsigned i = 0; i < RANDOM_PER_MODE; i++) {
		const uint8_t *code = buf;
		size_t left = sizeof(buf);
		uint64_t a = 0x1000;

		corpus_random_bytes(&seed, mode, buf, sizeof(buf));
		struct insn in;

		if (cs_disasm_iter(h, &code, &left, &a, ci)) {
			corpus_check(buf, sizeof(buf), 0x1000, mode, ci, &t);
			continue;
		}
		corpus_check(buf, sizeof(buf), 0x1000, mode, NULL, &t);
		if (insn_decode(buf, sizeof(buf), mode, &in) == 0) {
			int r = vex_retry(h, ci, buf, sizeof(buf), mode, &in);

			vex_cmp += r != 0;
			vex_bad += r < 0;
			if (r < 0 && vex_bad <= 10)
				printf("    vex retry: %02x %02x %02x %02x %02x: capstone %u, ours %u\n", buf[0],
				       buf[1], buf[2], buf[3], buf[4], ci->size, in.len);
		}
	}
	corpus_tally_print(mode == INSN_MODE64   ? "random 64-bit"
			   : mode == INSN_MODE32 ? "random 32-bit"
						 : "random 16-bit",
			   &t);
	corpus_print_categories(&t);
	printf("    VEX/EVEX refused by capstone, retried with neutral vvvv/L/W/mask fields: "
	       "%lu compared, %lu length mismatches\n",
	       vex_cmp, vex_bad);
	cs_free(ci, 1);
	cs_close(&h);
	/* Where both decoders accept the bytes, lengths, classes, targets and operands must agree. */
	assert_true(t.compared > RANDOM_PER_MODE / 2);
	assert_int_equal(t.len_mismatch, 0);
	assert_int_equal(t.cls_mismatch, 0);
	assert_int_equal(t.target_mismatch, 0);
	assert_int_equal(t.operand_mismatch, 0);
	assert_int_equal(vex_bad, 0);
}

static void test_random_16(void **state)
{
	(void)state;
	random_mode(INSN_MODE16);
}
static void test_random_32(void **state)
{
	(void)state;
	random_mode(INSN_MODE32);
}
static void test_random_64(void **state)
{
	(void)state;
	random_mode(INSN_MODE64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_64), cmocka_unit_test(test_corpus_32), cmocka_unit_test(test_random_16),
		cmocka_unit_test(test_random_32), cmocka_unit_test(test_random_64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
