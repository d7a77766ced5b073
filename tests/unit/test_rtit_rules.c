/* Every IA32_RTIT_* rule of SDM 33.2.8, one table row each, allowed and refused, on several capability sets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "cpu_model.h"
#include "pt/rtit.h"
#include "../fixtures/cpu_fixtures.h"

/* Capability sets: emulated, Ice Lake host (all), Broadwell host (ToPA only, no subleaf 1),
 * Ice Lake restricted to "topa", PT disabled, PT without any output scheme. */
enum set { EMU, ICL, BDW, TOPA_ONLY, DISABLED, NO_OUTPUT, SET_COUNT };
static struct pt_vcaps sets[SET_COUNT];

#define TE        RTIT_CTL_TRACEEN
#define CTL       MSR_IA32_RTIT_CTL
#define STS       MSR_IA32_RTIT_STATUS
#define BASE      MSR_IA32_RTIT_OUTPUT_BASE
#define MASK      MSR_IA32_RTIT_OUTPUT_MASK_PTRS
#define CR3M      MSR_IA32_RTIT_CR3_MATCH
#define A(n)      MSR_IA32_RTIT_ADDRn_A(n)
#define B(n)      MSR_IA32_RTIT_ADDRn_B(n)
#define MTC(e)    ((uint64_t)(e) << RTIT_CTL_MTCFREQ_SHIFT)
#define CYC(e)    ((uint64_t)(e) << RTIT_CTL_CYCTHRESH_SHIFT)
#define PSB(e)    ((uint64_t)(e) << RTIT_CTL_PSBFREQ_SHIFT)
#define CFG(n, e) ((uint64_t)(e) << RTIT_CTL_ADDR_CFG_SHIFT(n))
#define SAME      (~0ULL) /* stored value equals the value written */

struct row {
	const char *rule;
	enum set set;
	uint32_t msr;
	uint64_t pre_ctl; /* IA32_RTIT_CTL before the write */
	uint64_t val;
	enum rtit_result want;
	uint64_t stored; /* SAME, or what a read returns after an allowed write */
};

static const struct row rows[] = {
	/* IA32_RTIT_CTL reserved bits follow the exposed capabilities. */
	{ "basic ToPA trace", EMU, CTL, 0, TE | RTIT_CTL_OS | RTIT_CTL_TOPA | RTIT_CTL_BRANCHEN, RTIT_OK, SAME },
	{ "bit 18 reserved", EMU, CTL, 0, BIT(18), RTIT_GP, 0 },
	{ "bit 63 reserved", ICL, CTL, 0, BIT(63), RTIT_GP, 0 },
	{ "CR3Filter with CR3 filtering", EMU, CTL, 0, RTIT_CTL_CR3FILTER, RTIT_OK, SAME },
	{ "CR3Filter without", TOPA_ONLY, CTL, 0, RTIT_CTL_CR3FILTER, RTIT_GP, 0 },
	{ "CYCEn with PSB/CYC", EMU, CTL, 0, RTIT_CTL_CYCEN, RTIT_OK, SAME },
	{ "CYCEn without", TOPA_ONLY, CTL, 0, RTIT_CTL_CYCEN, RTIT_GP, 0 },
	{ "PSBFreq without PSB/CYC", BDW, CTL, 0, PSB(1), RTIT_GP, 0 },
	{ "MTCEn with MTC", ICL, CTL, 0, RTIT_CTL_MTCEN, RTIT_OK, SAME },
	{ "MTCEn without MTC", EMU, CTL, 0, RTIT_CTL_MTCEN, RTIT_GP, 0 },
	{ "PTWEn without PTWRITE", ICL, CTL, 0, RTIT_CTL_PTWEN, RTIT_GP, 0 },
	{ "FUPonPTW without PTWRITE", EMU, CTL, 0, RTIT_CTL_FUPONPTW, RTIT_GP, 0 },
	{ "PwrEvtEn without power events", EMU, CTL, 0, RTIT_CTL_PWREVTEN, RTIT_GP, 0 },
	{ "FabricEn without trace transport", ICL, CTL, 0, RTIT_CTL_FABRICEN, RTIT_GP, 0 },
	{ "ToPA with ToPA", BDW, CTL, 0, RTIT_CTL_TOPA, RTIT_OK, SAME },
	{ "ADDR0_CFG with 2 ranges", EMU, CTL, 0, CFG(0, 1), RTIT_OK, SAME },
	{ "ADDR1_CFG=2 TraceStop", ICL, CTL, 0, CFG(1, 2), RTIT_OK, SAME },
	{ "ADDR2_CFG beyond 2 ranges", EMU, CTL, 0, CFG(2, 1), RTIT_GP, 0 },
	{ "ADDR0_CFG without ranges", BDW, CTL, 0, CFG(0, 1), RTIT_GP, 0 },
	{ "ADDR0_CFG=3 reserved encoding", EMU, CTL, 0, CFG(0, 3), RTIT_GP, 0 },
	{ "ADDR1_CFG=15 reserved encoding", ICL, CTL, 0, CFG(1, 15), RTIT_GP, 0 },
	/* No change while TraceEn=1 except clearing TraceEn. */
	{ "TraceEn=1: change OS", EMU, CTL, TE | RTIT_CTL_TOPA | RTIT_CTL_OS, TE | RTIT_CTL_TOPA, RTIT_GP, 0 },
	{ "TraceEn=1: same value", EMU, CTL, TE | RTIT_CTL_TOPA, TE | RTIT_CTL_TOPA, RTIT_OK, SAME },
	{ "TraceEn=1: clear TraceEn and more", EMU, CTL, TE | RTIT_CTL_TOPA, RTIT_CTL_USER, RTIT_OK, SAME },
	{ "TraceEn=1: clear TraceEn, bad bits", EMU, CTL, TE | RTIT_CTL_TOPA, BIT(18), RTIT_GP, 0 },
	/* Single-range output vs ToPA. */
	{ "single-range output exposed", EMU, CTL, 0, TE | RTIT_CTL_OS, RTIT_OK, SAME },
	{ "no single-range output", BDW, CTL, 0, TE | RTIT_CTL_OS, RTIT_GP, 0 },
	{ "no single-range, ToPA restricted", TOPA_ONLY, CTL, 0, TE | RTIT_CTL_OS, RTIT_GP, 0 },
	{ "single-range bits but TraceEn=0", BDW, CTL, 0, RTIT_CTL_OS, RTIT_OK, SAME },
	/* MTCFreq / CycThresh / PSBFreq against the CPUID.14H.1 bitmaps. */
	{ "MTCFreq 3 in 0x0249", ICL, CTL, 0, RTIT_CTL_MTCEN | MTC(3), RTIT_OK, SAME },
	{ "MTCFreq 1 not in 0x0249", ICL, CTL, 0, RTIT_CTL_MTCEN | MTC(1), RTIT_GP, 0 },
	{ "MTCFreq without MTC", EMU, CTL, 0, MTC(3), RTIT_GP, 0 },
	{ "CycThresh 0 in 0x0001", EMU, CTL, 0, RTIT_CTL_CYCEN | CYC(0), RTIT_OK, SAME },
	{ "CycThresh 1 not in 0x0001", EMU, CTL, 0, RTIT_CTL_CYCEN | CYC(1), RTIT_GP, 0 },
	{ "CycThresh 13 in 0x3fff", ICL, CTL, 0, CYC(13), RTIT_OK, SAME },
	{ "CycThresh 14 not in 0x3fff", ICL, CTL, 0, CYC(14), RTIT_GP, 0 },
	{ "PSBFreq 5 in 0x003f", EMU, CTL, 0, PSB(5), RTIT_OK, SAME },
	{ "PSBFreq 6 not in 0x003f", EMU, CTL, 0, PSB(6), RTIT_GP, 0 },
	/* IA32_RTIT_STATUS writable bits, and read-only while tracing. */
	{ "STATUS Error|Stopped|bytes", EMU, STS, 0, RTIT_STATUS_ERROR | RTIT_STATUS_STOPPED | (5ULL << 32), RTIT_OK,
	  SAME },
	{ "STATUS Filter|Context|Trigger", EMU, STS, 0, 7, RTIT_OK, SAME },
	{ "STATUS bit 3 reserved", EMU, STS, 0, BIT(3), RTIT_GP, 0 },
	{ "STATUS bit 6 PendPSB reserved", ICL, STS, 0, BIT(6), RTIT_GP, 0 },
	{ "STATUS bit 49 reserved", EMU, STS, 0, BIT(49), RTIT_GP, 0 },
	{ "STATUS while TraceEn=1", EMU, STS, TE | RTIT_CTL_TOPA, RTIT_STATUS_ERROR, RTIT_GP, 0 },
	/* OUTPUT_BASE alignment and MAXPHYADDR (39 for the emulated set, 39 on Ice Lake). */
	{ "OUTPUT_BASE 4K", EMU, BASE, 0, 0x100000, RTIT_OK, SAME },
	{ "OUTPUT_BASE 128-byte", EMU, BASE, 0, 0x100080, RTIT_OK, SAME },
	{ "OUTPUT_BASE bit 6", EMU, BASE, 0, 0x100040, RTIT_GP, 0 },
	{ "OUTPUT_BASE bit 0", ICL, BASE, 0, 0x100001, RTIT_GP, 0 },
	{ "OUTPUT_BASE below MAXPHYADDR", ICL, BASE, 0, BIT(38), RTIT_OK, SAME },
	{ "OUTPUT_BASE at MAXPHYADDR", ICL, BASE, 0, BIT(39), RTIT_GP, 0 },
	{ "OUTPUT_BASE while TraceEn=1", EMU, BASE, TE | RTIT_CTL_TOPA, 0x2000, RTIT_GP, 0 },
	{ "OUTPUT_BASE without output", NO_OUTPUT, BASE, 0, 0x2000, RTIT_GP, 0 },
	{ "MASK_PTRS LowerMask forced", EMU, MASK, 0, 0, RTIT_OK, 0x7f },
	{ "MASK_PTRS offsets", ICL, MASK, 0, 0x1234500000080ULL, RTIT_OK, 0x12345000000ffULL },
	{ "MASK_PTRS while TraceEn=1", EMU, MASK, TE | RTIT_CTL_TOPA, 0, RTIT_GP, 0 },
	{ "MASK_PTRS without output", NO_OUTPUT, MASK, 0, 0, RTIT_GP, 0 },
	/* CR3_MATCH: exists with CR3 filtering; bits 4:0 reserved. */
	{ "CR3_MATCH", EMU, CR3M, 0, 0x12345000, RTIT_OK, SAME },
	{ "CR3_MATCH PAE 32-byte", ICL, CR3M, 0, 0x12345020, RTIT_OK, SAME },
	{ "CR3_MATCH bit 0", EMU, CR3M, 0, 0x12345001, RTIT_GP, 0 },
	{ "CR3_MATCH without CR3 filtering", TOPA_ONLY, CR3M, 0, 0x1000, RTIT_GP, 0 },
	{ "CR3_MATCH while TraceEn=1", EMU, CR3M, TE | RTIT_CTL_TOPA, 0x1000, RTIT_GP, 0 },
	/* ADDRn_A/B: canonical, only n < ranges. */
	{ "ADDR0_A low canonical", EMU, A(0), 0, 0x00007fffffffffffULL, RTIT_OK, SAME },
	{ "ADDR1_B high canonical", ICL, B(1), 0, 0xffff800000000000ULL, RTIT_OK, SAME },
	{ "ADDR0_B non-canonical", EMU, B(0), 0, 0x0000800000000000ULL, RTIT_GP, 0 },
	{ "ADDR1_A non-canonical", ICL, A(1), 0, 0x8000000000000000ULL, RTIT_GP, 0 },
	{ "ADDR2_A beyond 2 ranges", EMU, A(2), 0, 0x1000, RTIT_GP, 0 },
	{ "ADDR3_B beyond 2 ranges", ICL, B(3), 0, 0x1000, RTIT_GP, 0 },
	{ "ADDR0_A without ranges", BDW, A(0), 0, 0x1000, RTIT_GP, 0 },
	{ "ADDR0_A while TraceEn=1", EMU, A(0), TE | RTIT_CTL_TOPA, 0x1000, RTIT_GP, 0 },
	/* No PT at all. */
	{ "disabled: CTL", DISABLED, CTL, 0, 0, RTIT_GP, 0 },
	{ "disabled: STATUS", DISABLED, STS, 0, 0, RTIT_GP, 0 },
	{ "disabled: ADDR0_A", DISABLED, A(0), 0, 0, RTIT_GP, 0 },
};

static struct pt_vcaps from_fixture(const struct cpu_fixture *f, const char *spec)
{
	struct vmx_caps caps;
	struct pt_vcaps c;

	cpu_model_load(f);
	vmx_caps_read(&caps);
	assert_int_equal(pt_vcaps_from_host(&c, &caps, spec), 0);
	return c;
}

static int setup(void **state)
{
	(void)state;
	host_env_reset();
	pt_vcaps_emulated(&sets[EMU], 39);
	sets[ICL] = from_fixture(&cpu_fixture_icelake_i7_1065g7, NULL);
	sets[BDW] = from_fixture(&cpu_fixture_broadwell_i7_5600u, "all");
	sets[TOPA_ONLY] = from_fixture(&cpu_fixture_icelake_i7_1065g7, "topa");
	sets[DISABLED] = (struct pt_vcaps){ .maxphyaddr = 39 };
	sets[NO_OUTPUT] = sets[EMU];
	sets[NO_OUTPUT].leaf0.ecx = 0;
	return 0;
}

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];
		struct pt_vctx x, before;
		uint64_t got = 0;

		pt_vctx_reset(&x);
		x.ctl = r->pre_ctl;
		x.status = RTIT_STATUS_CONTEXTEN;
		before = x;
		enum rtit_result res = rtit_write(&x, &sets[r->set], r->msr, r->val);
		if (res != r->want)
			fail_msg("row %zu '%s': got %d want %d", i, r->rule, res, r->want);
		if (res == RTIT_GP) {
			if (memcmp(&x, &before, sizeof(x)))
				fail_msg("row %zu '%s': a refused write changed state", i, r->rule);
			continue;
		}
		assert_int_equal(rtit_read(&x, &sets[r->set], r->msr, &got), RTIT_OK);
		if (got != (r->stored == SAME ? r->val : r->stored))
			fail_msg("row %zu '%s': reads 0x%lx", i, r->rule, (unsigned long)got);
	}
}

/* Reads of MSRs the set does not implement #GP; implemented ones return their reset values. */
static void test_reads(void **state)
{
	struct pt_vctx x;
	uint64_t v = 1;

	(void)state;
	pt_vctx_reset(&x);
	assert_int_equal(rtit_read(&x, &sets[EMU], MASK, &v), RTIT_OK);
	assert_int_equal(v, 0x7f);
	assert_int_equal(rtit_read(&x, &sets[EMU], A(2), &v), RTIT_GP);
	assert_int_equal(v, 0);
	assert_int_equal(rtit_read(&x, &sets[EMU], B(1), &v), RTIT_OK);
	assert_int_equal(rtit_read(&x, &sets[TOPA_ONLY], CR3M, &v), RTIT_GP);
	assert_int_equal(rtit_read(&x, &sets[TOPA_ONLY], A(0), &v), RTIT_GP);
	assert_int_equal(rtit_read(&x, &sets[NO_OUTPUT], BASE, &v), RTIT_GP);
	assert_int_equal(rtit_read(&x, &sets[DISABLED], CTL, &v), RTIT_GP);
	assert_int_equal(rtit_read(&x, &sets[BDW], CTL, &v), RTIT_OK);
	assert_int_equal(rtit_read(&x, &sets[EMU], 0x573, &v), RTIT_GP);
}

static void test_writable_masks(void **state)
{
	(void)state;
	/* TraceEn OS User CYCEn CR3Filter ToPA TSCEn DisRETC BranchEn CycThresh PSBFreq ADDR0/1_CFG */
	assert_int_equal(rtit_ctl_writable(&sets[EMU]), 0x000000ff0f782d8fULL);
	/* ... plus MTCEn and MTCFreq on Ice Lake */
	assert_int_equal(rtit_ctl_writable(&sets[ICL]), 0x000000ff0f7bef8fULL);
	assert_int_equal(rtit_ctl_writable(&sets[BDW]), 0x0000000000002d8dULL | RTIT_CTL_CR3FILTER);
	assert_int_equal(rtit_ctl_writable(&sets[DISABLED]), 0);
}

static void test_is_rtit_msr(void **state)
{
	(void)state;
	static const uint32_t yes[] = { 0x560, 0x561, 0x570, 0x571, 0x572, 0x580, 0x587 };
	static const uint32_t no[] = { 0x55f, 0x562, 0x56f, 0x573, 0x57f, 0x588, 0x38e };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		assert_true(rtit_is_rtit_msr(yes[i]));
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		assert_false(rtit_is_rtit_msr(no[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_rows, setup),
		cmocka_unit_test_setup(test_reads, setup),
		cmocka_unit_test_setup(test_writable_masks, setup),
		cmocka_unit_test(test_is_rtit_msr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
