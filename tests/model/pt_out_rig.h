/* Test rig for the emulated PT output writer: guest RAM behind an EPT, a pt_out and a pt_vctx. */
#ifndef PTV_PT_OUT_RIG_H
#define PTV_PT_OUT_RIG_H

#include <stddef.h>
#include <stdint.h>
#include "ept/ept.h"
#include "pt/pt_ctx.h"
#include "pt/emul/pt_emul_out.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)

/* Guest RAM is GPA [0, 8 MiB) at HPA [32 MiB, 40 MiB) of a 64 MiB arena; EPT tables come from 1-16 MiB. */
#define RIG_RAM_HPA  (32 * MiB)
#define RIG_RAM_SIZE (8 * MiB)
#define RIG_ARENA    (64 * MiB)

/* Two guest pages that tests use as ToPA tables. */
#define TABLE_A 0x10000ULL
#define TABLE_B 0x11000ULL

extern struct ept rig_ept;
extern struct pt_out rig_out;  /* MAXPHYADDR 36 after setup */
extern struct pt_vctx rig_ctx; /* reset, TraceEn set */
extern uint8_t rig_buf[96 * 4096];

/* cmocka setup/teardown: a fresh arena, EPT and output; rig_restart does both inside one test. */
int rig_setup(void **state);
int rig_teardown(void **state);
void rig_restart(void **state);

/* Host byte behind a guest-physical address, through the EPT as the CPU would find it. */
uint8_t *rig_guest(uint64_t gpa);
void rig_assert_guest_equal(uint64_t gpa, const uint8_t *want, size_t n);
void rig_assert_guest_zero(uint64_t gpa, size_t n);
/* n recognisable, never-zero bytes in rig_buf; seed picks the series so that overwrites show. */
const uint8_t *rig_pattern(size_t n, unsigned seed);
/* A copy of the whole arena, and the check that nothing in it changed since. */
void rig_snapshot(void);
void rig_assert_unchanged(void);

/* IA32_RTIT_OUTPUT_MASK_PTRS with MaskOrTableOffset index_or_mask and OutputOffset off. */
uint64_t rig_ptrs(uint64_t index_or_mask, uint64_t off);
/* Single-range output of `size` bytes at base, starting at offset off. */
void rig_single(uint64_t base, uint64_t size, uint64_t off);
/* ToPA output from entry `index` of `table`, offset off into its region. */
void rig_topa(uint64_t table, uint64_t index, uint64_t off);
uint64_t rig_topa_region(uint64_t gpa, unsigned size_enc, uint64_t flags);
void rig_topa_set(uint64_t table, unsigned index, uint64_t entry);

/*
 * One write that must fail: PT_OUT_ERROR, STATUS.Error alone, the error at gpa for `what`,
 * n bytes dropped, the pointers and the whole arena unchanged.
 */
void rig_expect_error(const uint8_t *p, size_t n, uint64_t gpa, const char *what);

#endif
