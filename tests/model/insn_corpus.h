/* Comparison of the x86 decoder with Capstone, shared by the corpus test: tallies, classes, random bytes. */
#ifndef PTV_TEST_INSN_CORPUS_H
#define PTV_TEST_INSN_CORPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <capstone/capstone.h>
#include "x86/insn.h"

struct corpus_tally {
	unsigned long compared;   /* both decoded */
	unsigned long cs_skipped; /* linear walk: bytes Capstone could not decode */
	unsigned long len_mismatch, cls_mismatch, target_mismatch;
	unsigned long operand_mismatch; /* ModRM, SIB, displacement or memory operand differ */
	unsigned long ours_refused;     /* Capstone decoded, insn_decode refused */
	unsigned long cs_refused;       /* random: Capstone refused, insn_decode accepted */
	unsigned long both_refused;     /* random */
	unsigned long quirks;           /* differences on the documented Capstone allow-list */
	const char *quirk_name[16];     /* ... broken down by reason */
	unsigned long quirk_count[16];
	unsigned long printed;
	bool show_refused;            /* print refusals too (real binaries; random ones are only tallied) */
	unsigned long cat[2][6][256]; /* [ours_refused, cs_refused][map kind][opcode] */
};

/* Checks one instruction at 'p' (ip 'addr'); ci is Capstone's decode or NULL when it refused. */
void corpus_check(const uint8_t *p, size_t avail, uint64_t addr, enum insn_mode mode, const cs_insn *ci,
		  struct corpus_tally *t);
/* Real-binary mismatches: everything except the allow-listed quirks. */
unsigned long corpus_mismatches(const struct corpus_tally *t);
void corpus_tally_add(struct corpus_tally *sum, const struct corpus_tally *t);
void corpus_tally_print(const char *label, const struct corpus_tally *t);
/* The most frequent opcodes on which only one decoder accepted the bytes. */
void corpus_print_categories(const struct corpus_tally *t);
/* Fills buf with random bytes, half the time shaped to hit escapes, VEX/EVEX and branches. */
void corpus_random_bytes(uint64_t *seed, enum insn_mode mode, uint8_t *buf, size_t n);
/* Capstone's decode mapped onto enum insn_class. */
enum insn_class corpus_cs_class(const cs_insn *ci);

#endif
