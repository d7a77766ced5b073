/* pt_decide() for every fixture CPU x pt_mode x pt_backend, and the printed decision line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "caps_env.h"
#include "cpu_model.h"
#include "msr.h"
#include "pt/pt_policy.h"
#include "../fixtures/cpu_fixtures.h"

#define SYS  PT_MODE_SYSTEM
#define HOST PT_MODE_HOST
#define HG   PT_MODE_HOST_GUEST
#define AUTO PT_BACKEND_AUTO
#define HW   PT_BACKEND_HW
#define EMU  PT_BACKEND_EMULATED
#define OFF  PT_BACKEND_OFF

#define NO_PT               "this CPU has no Intel PT (CPUID.7.EBX[25]=0)"
#define NO_MISC             "Intel PT cannot be used in VMX operation (IA32_VMX_MISC[14]=0)"
#define FALLBACK(mode, why) "pt_mode=" mode " requested but " why "; host tracing off, guests see no PT"
#define HOST_OFF(why)       "host tracing off: " why
#define HW_MISSING(list)    "pt_backend=hw unavailable (missing " list "); guest PT off"
#define MISS_NO_PT                                                               \
	"CPUID.7.EBX[25] CPUID.14H:ECX[0]-ToPA IA32_VMX_MISC[14] secondary[24] " \
	"entry[18] exit[25] secondary[19]/exit[24]/entry[17]-conceal"
#define MISS_BDW "IA32_VMX_MISC[14] secondary[24] entry[18] exit[25] secondary[19]/exit[24]/entry[17]-conceal"
#define MISS_SKL "secondary[24] entry[18] exit[25]"
#define MISS_AMD                                                                     \
	"CPUID.7.EBX[25] CPUID.14H:ECX[0]-ToPA IA32_VMX_MISC[14] EPT secondary[24] " \
	"entry[18] exit[25] secondary[19]/exit[24]/entry[17]-conceal"
#define NO_EMU(b)        "pt_backend=" b ": emulated guest PT needs VMX with EPT; guest PT off"
#define IGNORED(b, mode) "pt_backend=" b " ignored: guests get no PT in pt_mode=" mode

struct expect {
	enum pt_mode mode;
	enum pt_backend backend;
	bool host;
	const char *frag1, *frag2; /* both must appear in the reason (frag2 may be NULL) */
};

/* expect[fixture][requested mode][requested backend], fixtures in cpu_fixtures_all order. */
static const struct expect expected[6][3][4] = {
	[0] = { /* Bochs tigerlake: VMX + EPT, no PT */
		[SYS] = { { SYS, OFF, false, FALLBACK("system", NO_PT), NULL },
			  { SYS, OFF, false, FALLBACK("system", NO_PT), NULL },
			  { SYS, OFF, false, FALLBACK("system", NO_PT), NULL },
			  { SYS, OFF, false, FALLBACK("system", NO_PT), NULL } },
		[HOST] = { { HOST, OFF, false, FALLBACK("host", NO_PT), NULL },
			   { HOST, OFF, false, FALLBACK("host", NO_PT), NULL },
			   { HOST, OFF, false, FALLBACK("host", NO_PT), NULL },
			   { HOST, OFF, false, FALLBACK("host", NO_PT), NULL } },
		[HG] = { { HG, EMU, false, HOST_OFF(NO_PT), NULL },
			 { HG, OFF, false, HOST_OFF(NO_PT), HW_MISSING(MISS_NO_PT) },
			 { HG, EMU, false, HOST_OFF(NO_PT), NULL },
			 { HG, OFF, false, HOST_OFF(NO_PT), NULL } },
	},
	[1] = { /* Skylake: host PT with conceal controls, no guest hardware PT */
		[SYS] = { { SYS, OFF, true, "as requested", NULL },
			  { SYS, OFF, true, IGNORED("hw", "system"), NULL },
			  { SYS, OFF, true, IGNORED("emulated", "system"), NULL },
			  { SYS, OFF, true, "as requested", NULL } },
		[HOST] = { { HOST, OFF, true, "as requested", NULL },
			   { HOST, OFF, true, IGNORED("hw", "host"), NULL },
			   { HOST, OFF, true, IGNORED("emulated", "host"), NULL },
			   { HOST, OFF, true, "as requested", NULL } },
		[HG] = { { HG, EMU, true, "guest hardware PT refused (missing " MISS_SKL ")", NULL },
			 { HG, OFF, true, HW_MISSING(MISS_SKL), NULL },
			 { HG, EMU, true, "as requested", NULL },
			 { HG, OFF, true, "as requested", NULL } },
	},
	[2] = { /* Ice Lake: everything */
		[SYS] = { { SYS, OFF, true, "as requested", NULL },
			  { SYS, OFF, true, IGNORED("hw", "system"), NULL },
			  { SYS, OFF, true, IGNORED("emulated", "system"), NULL },
			  { SYS, OFF, true, "as requested", NULL } },
		[HOST] = { { HOST, OFF, true, "as requested", NULL },
			   { HOST, OFF, true, IGNORED("hw", "host"), NULL },
			   { HOST, OFF, true, IGNORED("emulated", "host"), NULL },
			   { HOST, OFF, true, "as requested", NULL } },
		[HG] = { { HG, HW, true, "as requested", NULL },
			 { HG, HW, true, "as requested", NULL },
			 { HG, EMU, true, "as requested", NULL },
			 { HG, OFF, true, "as requested", NULL } },
	},
	[3] = { /* Broadwell: PT, but not in VMX operation */
		[SYS] = { { SYS, OFF, false, FALLBACK("system", NO_MISC), NULL },
			  { SYS, OFF, false, FALLBACK("system", NO_MISC), NULL },
			  { SYS, OFF, false, FALLBACK("system", NO_MISC), NULL },
			  { SYS, OFF, false, FALLBACK("system", NO_MISC), NULL } },
		[HOST] = { { HOST, OFF, false, FALLBACK("host", NO_MISC), NULL },
			   { HOST, OFF, false, FALLBACK("host", NO_MISC), NULL },
			   { HOST, OFF, false, FALLBACK("host", NO_MISC), NULL },
			   { HOST, OFF, false, FALLBACK("host", NO_MISC), NULL } },
		[HG] = { { HG, EMU, false, HOST_OFF(NO_MISC), NULL },
			 { HG, OFF, false, HOST_OFF(NO_MISC), HW_MISSING(MISS_BDW) },
			 { HG, EMU, false, HOST_OFF(NO_MISC), NULL },
			 { HG, OFF, false, HOST_OFF(NO_MISC), NULL } },
	},
	[4] = { /* nested L1: VMX + EPT, PT hidden */
		[SYS] = { { SYS, OFF, false, FALLBACK("system", NO_PT), NULL },
			  { SYS, OFF, false, FALLBACK("system", NO_PT), NULL },
			  { SYS, OFF, false, FALLBACK("system", NO_PT), NULL },
			  { SYS, OFF, false, FALLBACK("system", NO_PT), NULL } },
		[HOST] = { { HOST, OFF, false, FALLBACK("host", NO_PT), NULL },
			   { HOST, OFF, false, FALLBACK("host", NO_PT), NULL },
			   { HOST, OFF, false, FALLBACK("host", NO_PT), NULL },
			   { HOST, OFF, false, FALLBACK("host", NO_PT), NULL } },
		[HG] = { { HG, EMU, false, HOST_OFF(NO_PT), NULL },
			 { HG, OFF, false, HOST_OFF(NO_PT), HW_MISSING(MISS_NO_PT) },
			 { HG, EMU, false, HOST_OFF(NO_PT), NULL },
			 { HG, OFF, false, HOST_OFF(NO_PT), NULL } },
	},
	[5] = { /* AMD: no VMX at all */
		[SYS] = { { SYS, OFF, false, FALLBACK("system", NO_PT), NULL },
			  { SYS, OFF, false, FALLBACK("system", NO_PT), NULL },
			  { SYS, OFF, false, FALLBACK("system", NO_PT), NULL },
			  { SYS, OFF, false, FALLBACK("system", NO_PT), NULL } },
		[HOST] = { { HOST, OFF, false, FALLBACK("host", NO_PT), NULL },
			   { HOST, OFF, false, FALLBACK("host", NO_PT), NULL },
			   { HOST, OFF, false, FALLBACK("host", NO_PT), NULL },
			   { HOST, OFF, false, FALLBACK("host", NO_PT), NULL } },
		[HG] = { { HG, OFF, false, HOST_OFF(NO_PT), NO_EMU("auto") },
			 { HG, OFF, false, HOST_OFF(NO_PT), HW_MISSING(MISS_AMD) },
			 { HG, OFF, false, HOST_OFF(NO_PT), NO_EMU("emulated") },
			 { HG, OFF, false, HOST_OFF(NO_PT), NULL } },
	},
};

static const bool guest_hw_expected[6] = { false, false, true, false, false, false };

static void test_every_combination(void **state)
{
	(void)state;
	assert_int_equal(cpu_fixtures_count, ARRAY_SIZE(expected));
	for (size_t f = 0; f < cpu_fixtures_count; f++) {
		struct vmx_caps c = caps_env_read(cpu_fixtures_all[f]);

		for (unsigned mode = 0; mode < 3; mode++) {
			for (unsigned b = 0; b < 4; b++) {
				const struct expect *e = &expected[f][mode][b];
				struct pt_decision d;

				pt_decide(&c, (enum pt_mode)mode, (enum pt_backend)b, &d);
				if (d.mode != e->mode || d.guest_backend != e->backend || d.host_trace != e->host ||
				    !strstr(d.reason, e->frag1) || (e->frag2 && !strstr(d.reason, e->frag2)) ||
				    strlen(d.reason) >= sizeof(d.reason) - 1)
					fail_msg("%s %s/%s: got mode %s backend %s host %d reason \"%s\"",
						 cpu_fixtures_all[f]->name, pt_mode_name(mode), pt_backend_name(b),
						 pt_mode_name(d.mode), pt_backend_name(d.guest_backend), d.host_trace,
						 d.reason);
				assert_int_equal(d.requested, mode);
				assert_int_equal(d.backend_requested, b);
				assert_int_equal(d.guest_hw_possible, guest_hw_expected[f]);
			}
		}
	}
}

static void test_missing_predicates(void **state)
{
	char buf[192];
	struct vmx_caps c = caps_env_read(&cpu_fixture_skylake_i7_6700k);

	(void)state;
	assert_int_equal(pt_guest_hw_missing(&c, buf, sizeof(buf)), 3);
	assert_string_equal(buf, MISS_SKL);
	c = caps_env_read(&cpu_fixture_icelake_i7_1065g7);
	assert_int_equal(pt_guest_hw_missing(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_true(pt_guest_hw_possible(&c));
	c = caps_env_read(&cpu_fixture_amd_ryzen_1800x);
	assert_int_equal(pt_guest_hw_missing(&c, buf, sizeof(buf)), 8);
	assert_string_equal(buf, MISS_AMD);
	assert_false(pt_guest_emulated_possible(&c));
	/* A short buffer truncates but still counts. */
	assert_int_equal(pt_guest_hw_missing(&c, buf, 8), 8);
	assert_string_equal(buf, "CPUID.7");
}

static void test_no_topa(void **state)
{
	struct cpu_model *m = cpu_model_load(&cpu_fixture_icelake_i7_1065g7);
	struct cpuid_regs no_topa = { 1, 0xf, 0x6, 0 };
	struct vmx_caps c;
	struct pt_decision d;

	(void)state;
	cpu_model_set_cpuid(m, 0x14, 0, &no_topa);
	vmx_caps_read(&c);
	pt_decide(&c, PT_MODE_HOST, PT_BACKEND_HW, &d);
	assert_int_equal(d.mode, PT_MODE_HOST);
	assert_false(d.host_trace);
	assert_int_equal(d.guest_backend, PT_BACKEND_OFF);
	assert_non_null(strstr(d.reason, FALLBACK("host", "Intel PT has no ToPA output (CPUID.14H.0:ECX[0]=0)")));
	pt_decide(&c, PT_MODE_HOST_GUEST, PT_BACKEND_HW, &d);
	assert_non_null(strstr(d.reason, HW_MISSING("CPUID.14H:ECX[0]-ToPA")));
}

static void test_conceal_missing_reported(void **state)
{
	struct cpu_model *m = cpu_model_load(&cpu_fixture_skylake_i7_6700k);
	struct vmx_caps c;
	struct pt_decision d;

	(void)state;
	/* VM-exit allowed-1 without bit 24 "conceal VMX from PT". */
	cpu_model_set_msr(m, MSR_IA32_VMX_TRUE_EXIT_CTLS, 0x00ffffff00036dfbULL, true);
	vmx_caps_read(&c);
	assert_false(vmx_caps_has_conceal_pt(&c));
	pt_decide(&c, PT_MODE_HOST, PT_BACKEND_AUTO, &d);
	assert_int_equal(d.mode, PT_MODE_HOST);
	assert_true(d.host_trace);
	assert_string_equal(d.reason, "VMX transitions visible in host trace (conceal controls "
				      "secondary[19] exit[24] entry[17] not all allowed)");
	pt_decide(&c, PT_MODE_HOST_GUEST, PT_BACKEND_OFF, &d);
	assert_non_null(strstr(d.reason, "VMX transitions visible in host trace"));
	/* System-wide tracing wants the VMX packets: nothing to report. */
	pt_decide(&c, PT_MODE_SYSTEM, PT_BACKEND_AUTO, &d);
	assert_string_equal(d.reason, "as requested");
}

/*
 * Ice Lake without the "conceal VMX from PT" controls: the guest hardware path
 * is refused by name (a VM entry loading TraceEn=1 would write PIP.NR and a
 * VMCS packet into the guest's buffer, SDM 33.5.1) and auto falls back to the
 * emulated backend (test_pt_boot checks the hardware path sets all three).
 */
static void test_guest_hw_needs_conceal(void **state)
{
	struct cpu_model *m = cpu_model_load(&cpu_fixture_icelake_i7_1065g7);
	uint64_t sec = cpu_model_msr_value(m, MSR_IA32_VMX_PROCBASED_CTLS2, 0);
	struct vmx_caps c;
	struct pt_decision d;

	(void)state;
	/* Secondary allowed-1 without bit 19. */
	cpu_model_set_msr(m, MSR_IA32_VMX_PROCBASED_CTLS2, sec & ~((uint64_t)CPU2_CONCEAL_VMX_FROM_PT << 32), true);
	vmx_caps_read(&c);
	assert_false(pt_guest_hw_possible(&c));
	pt_decide(&c, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO, &d);
	assert_int_equal(d.guest_backend, PT_BACKEND_EMULATED);
	assert_non_null(
		strstr(d.reason, "guest hardware PT refused (missing secondary[19]/exit[24]/entry[17]-conceal)"));
	pt_decide(&c, PT_MODE_HOST_GUEST, PT_BACKEND_HW, &d);
	assert_int_equal(d.guest_backend, PT_BACKEND_OFF);
	assert_non_null(strstr(d.reason, HW_MISSING("secondary[19]/exit[24]/entry[17]-conceal")));
}

static void test_print_line(void **state)
{
	struct vmx_caps c = caps_env_read(&cpu_fixture_bochs_tigerlake);
	struct pt_decision d;

	(void)state;
	pt_decide(&c, PT_MODE_SYSTEM, PT_BACKEND_AUTO, &d);
	pt_decision_print(&d);
	assert_string_equal(host_console_text(),
			    "ptvisor: pt_mode in force: system (requested system); host tracing "
			    "off; guest PT backend off (requested auto); " FALLBACK("system", NO_PT) "\n");
	host_env_reset();
	c = caps_env_read(&cpu_fixture_icelake_i7_1065g7);
	pt_decide(&c, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO, &d);
	pt_decision_print(&d);
	assert_true(host_console_contains("pt_mode in force: host-guest (requested host-guest); "
					  "host tracing on; guest PT backend hw (requested auto); "
					  "as requested\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_every_combination, caps_env_setup),
		cmocka_unit_test_setup(test_missing_predicates, caps_env_setup),
		cmocka_unit_test_setup(test_no_topa, caps_env_setup),
		cmocka_unit_test_setup(test_conceal_missing_reported, caps_env_setup),
		cmocka_unit_test_setup(test_guest_hw_needs_conceal, caps_env_setup),
		cmocka_unit_test_setup(test_print_line, caps_env_setup),
	};
	return cmocka_run_group_tests_name("pt_policy", tests, NULL, NULL);
}
