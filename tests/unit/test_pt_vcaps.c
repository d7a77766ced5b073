/* The guest's PT capability set: emulated, host-derived per spec, its CPUID view and its report line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "cpu_model.h"
#include "pt/pt_vcaps.h"
#include "pt/rtit.h"
#include "../fixtures/cpu_fixtures.h"

static struct vmx_caps host;

static void load(const struct cpu_fixture *f)
{
	host_env_reset();
	cpu_model_load(f);
	vmx_caps_read(&host);
}

static void assert_regs(struct cpuid_regs r, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	assert_int_equal(r.eax, a);
	assert_int_equal(r.ebx, b);
	assert_int_equal(r.ecx, c);
	assert_int_equal(r.edx, d);
}

static void test_emulated_set(void **state)
{
	struct pt_vcaps c;
	(void)state;
	pt_vcaps_emulated(&c, 36);
	assert_true(c.enabled);
	assert_int_equal(c.maxphyaddr, 36);
	assert_regs(c.leaf0, 1, 0x7, 0x7, 0);
	assert_regs(c.leaf1, 2, 0x003f0001, 0, 0);
	assert_int_equal(pt_vcaps_ranges(&c), 2);
	assert_true(pt_vcaps_has_output(&c));
}

static void test_cpuid_view(void **state)
{
	struct pt_vcaps c;
	struct cpuid_regs r;
	(void)state;
	pt_vcaps_emulated(&c, 39);
	r = (struct cpuid_regs){ 0, 0x1, 0, 0 };
	pt_vcaps_cpuid(&c, 7, 0, &r);
	assert_regs(r, 0, 0x1 | BIT(25), 0, 0);
	r = (struct cpuid_regs){ 9, 9, 9, 9 };
	pt_vcaps_cpuid(&c, 0x14, 0, &r);
	assert_regs(r, 1, 0x7, 0x7, 0);
	pt_vcaps_cpuid(&c, 0x14, 1, &r);
	assert_regs(r, 2, 0x003f0001, 0, 0);
	r = (struct cpuid_regs){ 9, 9, 9, 9 };
	pt_vcaps_cpuid(&c, 0x14, 2, &r);
	assert_regs(r, 0, 0, 0, 0);
	r = (struct cpuid_regs){ 9, 9, 9, 9 };
	pt_vcaps_cpuid(&c, 1, 0, &r); /* other leaves untouched */
	assert_regs(r, 9, 9, 9, 9);
	r = (struct cpuid_regs){ 0, 0xffffffff, 0, 0 };
	pt_vcaps_cpuid(&c, 7, 1, &r); /* leaf 7 subleaf 1 untouched */
	assert_int_equal(r.ebx, 0xffffffff);
	c.enabled = false;
	r = (struct cpuid_regs){ 0, 0xffffffff, 0, 0 };
	pt_vcaps_cpuid(&c, 7, 0, &r);
	assert_int_equal(r.ebx, 0xffffffff & ~BIT(25));
	r = (struct cpuid_regs){ 9, 9, 9, 9 };
	pt_vcaps_cpuid(&c, 0x14, 0, &r);
	assert_regs(r, 0, 0, 0, 0);
}

static void test_from_host_all(void **state)
{
	struct pt_vcaps c;
	(void)state;
	load(&cpu_fixture_icelake_i7_1065g7);
	assert_int_equal(pt_vcaps_from_host(&c, &host, NULL), 0);
	assert_regs(c.leaf0, 1, 0xf, 0x7, 0);
	assert_regs(c.leaf1, 0x02490002, 0x003f3fff, 0, 0);
	assert_int_equal(c.maxphyaddr, 39);
	assert_int_equal(pt_vcaps_from_host(&c, &host, "all"), 0);
	assert_regs(c.leaf0, 1, 0xf, 0x7, 0);
	/* Broadwell: ToPA and CR3 filtering only, no subleaf 1 */
	load(&cpu_fixture_broadwell_i7_5600u);
	assert_int_equal(pt_vcaps_from_host(&c, &host, NULL), 0);
	assert_regs(c.leaf0, 0, 0x1, 0x1, 0);
	assert_regs(c.leaf1, 0, 0, 0, 0);
}

static void test_from_host_spec(void **state)
{
	struct pt_vcaps c;
	(void)state;
	load(&cpu_fixture_icelake_i7_1065g7);
	assert_int_equal(pt_vcaps_from_host(&c, &host, "topa,cr3"), 0);
	assert_regs(c.leaf0, 1, 0x1, 0x1, 0);
	assert_regs(c.leaf1, 0, 0, 0, 0); /* no MTC, PSB or IP filter: bitmaps and ranges 0 */
	assert_int_equal(pt_vcaps_from_host(&c, &host, "single,ip,ranges=1,mtc"), 0);
	assert_regs(c.leaf0, 1, 0xc, 0x4, 0);
	assert_regs(c.leaf1, 0x02490001, 0, 0, 0);
	assert_int_equal(pt_vcaps_from_host(&c, &host, "ip,topa,multi"), 0);
	assert_int_equal(pt_vcaps_ranges(&c), 2); /* ip alone: the host's ranges */
	assert_int_equal(pt_vcaps_from_host(&c, &host, "psb,topa"), 0);
	assert_regs(c.leaf1, 0, 0x003f3fff, 0, 0);
	assert_int_equal(pt_vcaps_from_host(&c, &host, "none"), 0);
	assert_false(c.enabled);
	assert_regs(c.leaf0, 0, 0, 0, 0);
}

static void test_from_host_refused(void **state)
{
	struct pt_vcaps c;
	(void)state;
	load(&cpu_fixture_icelake_i7_1065g7);
	assert_int_equal(pt_vcaps_from_host(&c, &host, "topa,ptwrite"), -1);
	assert_true(host_console_contains("'ptwrite' requested but the host's Intel PT lacks it"));
	assert_false(c.enabled);
	assert_int_equal(pt_vcaps_from_host(&c, &host, "topa,fabric"), -1);
	assert_int_equal(pt_vcaps_from_host(&c, &host, "topa,bogus"), -1);
	assert_true(host_console_contains("unknown feature 'bogus'"));
	assert_int_equal(pt_vcaps_from_host(&c, &host, "topa,ip,ranges=3"), -1);
	assert_true(host_console_contains("'ranges=3': the host has 2 address ranges"));
	assert_int_equal(pt_vcaps_from_host(&c, &host, "cr3,mtc"), -1);
	assert_true(host_console_contains("no output scheme left"));
	load(&cpu_fixture_bochs_tigerlake);
	assert_int_equal(pt_vcaps_from_host(&c, &host, NULL), -1);
	assert_true(host_console_contains("the host has no Intel PT"));
	assert_false(c.enabled);
}

/*
 * A host whose Intel PT can write to the trace transport (CPUID.14H.0:ECX[3],
 * Trace Hub platforms): the guest never sees it, may not ask for it, and its
 * WRMSR of IA32_RTIT_CTL.FabricEn #GPs (output there bypasses ToPA and EPT).
 */
static void test_fabric_hidden(void **state)
{
	struct cpu_model *m;
	struct cpuid_regs l0, r = { 0, 0, 0, 0 };
	struct pt_vctx x;
	struct pt_vcaps c;
	(void)state;
	host_env_reset();
	m = cpu_model_load(&cpu_fixture_icelake_i7_1065g7);
	l0 = cpu_model_cpuid(m, 0x14, 0);
	l0.ecx |= CPUID_14_0_ECX_TRANSPORT;
	cpu_model_set_cpuid(m, 0x14, 0, &l0);
	vmx_caps_read(&host);
	assert_true(host.pt_leaf0.ecx & CPUID_14_0_ECX_TRANSPORT);
	assert_int_equal(pt_vcaps_from_host(&c, &host, NULL), 0);
	assert_int_equal(c.leaf0.ecx & CPUID_14_0_ECX_TRANSPORT, 0);
	pt_vcaps_cpuid(&c, 0x14, 0, &r);
	assert_int_equal(r.ecx & CPUID_14_0_ECX_TRANSPORT, 0);
	assert_int_equal(rtit_ctl_writable(&c) & RTIT_CTL_FABRICEN, 0);
	pt_vctx_reset(&x);
	assert_int_equal(rtit_write(&x, &c, MSR_IA32_RTIT_CTL, RTIT_CTL_FABRICEN), RTIT_GP);
	assert_int_equal(rtit_write(&x, &c, MSR_IA32_RTIT_CTL, RTIT_CTL_TRACEEN | RTIT_CTL_FABRICEN), RTIT_GP);
	assert_int_equal(x.ctl, 0);
	assert_int_equal(pt_vcaps_from_host(&c, &host, "topa,fabric"), -1);
	assert_true(host_console_contains("'fabric' is never offered to guests"));
	assert_false(c.enabled);
}

/* For every fixture with PT, every single-feature spec is a subset of the host's leaf 14H. */
static void test_subset_of_host(void **state)
{
	static const char *const specs[] = { NULL, "topa", "single", "topa,cr3,psb,ip,mtc", "topa,multi" };
	(void)state;
	for (size_t i = 0; i < cpu_fixtures_count; i++) {
		load(cpu_fixtures_all[i]);
		for (size_t s = 0; s < ARRAY_SIZE(specs); s++) {
			struct pt_vcaps c;
			if (pt_vcaps_from_host(&c, &host, specs[s]) < 0) {
				assert_false(c.enabled);
				continue;
			}
			assert_true(cpu_has_intel_pt(&host));
			assert_int_equal(c.leaf0.ebx & ~host.pt_leaf0.ebx, 0);
			assert_int_equal(c.leaf0.ecx & ~host.pt_leaf0.ecx, 0);
			assert_int_equal(c.leaf1.eax & ~host.pt_leaf1.eax, 0);
			assert_int_equal(c.leaf1.ebx & ~host.pt_leaf1.ebx, 0);
			assert_true(pt_vcaps_ranges(&c) <= pt_caps_addr_ranges(&host));
		}
	}
}

static void test_print(void **state)
{
	struct pt_vcaps c;
	(void)state;
	host_env_reset();
	pt_vcaps_emulated(&c, 39);
	pt_vcaps_print("g0", &c);
	assert_true(host_console_contains("PT for guest g0: 14H.0 00000001 00000007 00000007 "
					  "14H.1 00000002 003f0001, ranges 2, MAXPHYADDR 39; "
					  "cr3 psb ip topa multi single"));
	c.enabled = false;
	pt_vcaps_print("g1", &c);
	assert_true(host_console_contains("PT for guest g1: off (CPUID.7.EBX[25]=0)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emulated_set),      cmocka_unit_test(test_cpuid_view),
		cmocka_unit_test(test_from_host_all),     cmocka_unit_test(test_from_host_spec),
		cmocka_unit_test(test_from_host_refused), cmocka_unit_test(test_subset_of_host),
		cmocka_unit_test(test_fabric_hidden),     cmocka_unit_test(test_print),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
