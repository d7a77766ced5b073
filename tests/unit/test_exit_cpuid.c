/* CPUID exits (exit_cpuid.c) on the CPU model: what a guest sees of each leaf, and the retirement of CPUID. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vcpu_env.h"
#include "../fixtures/cpu_fixtures.h"
#include "vmx/exit.h"
#include "vmx/exit_reason.h"
#include "vmx/pt_backend.h"

static struct vcpu v;

static int setup_xcomp(uint64_t xcomp)
{
	vcpu_env_setup(&v, &cpu_fixture_bochs_tigerlake, xcomp, NULL);
	v.id = 3;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_xcomp(ENV_XCOMP_AVX512);
}
static int setup_amx(void **state)
{
	(void)state;
	return setup_xcomp(ENV_XCOMP_AMX);
}
static int teardown(void **state)
{
	(void)state;
	vcpu_env_teardown(&v);
	return 0;
}

static void host_leaf(uint32_t leaf, uint32_t sub, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	const struct cpuid_regs r = { a, b, c, d };

	cpu_model_set_cpuid(env.m, leaf, sub, &r);
}

/* CPUID with garbage in the upper halves of RAX/RCX (ignored) and of RBX/RDX (cleared). */
static struct cpuid_regs guest_cpuid(uint32_t leaf, uint32_t sub)
{
	v.regs.rax = 0xdead000000000000ULL | leaf;
	v.regs.rcx = 0xbeef000000000000ULL | sub;
	v.regs.rbx = v.regs.rdx = ~0ULL;
	env_exit(&v, EXIT_REASON_CPUID, 0, 2);
	assert_int_equal(handle_cpuid(&v), EXIT_RESUME);
	expect_retired(2);
	assert_int_equal((v.regs.rax | v.regs.rbx | v.regs.rcx | v.regs.rdx) >> 32, 0);
	return (struct cpuid_regs){ (uint32_t)v.regs.rax, (uint32_t)v.regs.rbx, (uint32_t)v.regs.rcx,
				    (uint32_t)v.regs.rdx };
}

#define assert_regs(r, a, b, c, d)             \
	do {                                   \
		struct cpuid_regs r_ = (r);    \
		assert_int_equal(r_.eax, (a)); \
		assert_int_equal(r_.ebx, (b)); \
		assert_int_equal(r_.ecx, (c)); \
		assert_int_equal(r_.edx, (d)); \
	} while (0)

static void test_hypervisor_leaves(void **state)
{
	(void)state;
	assert_regs(guest_cpuid(0x40000000, 0), 0x40000001, 0x69767470, 0x00726f73, 0); /* "ptvisor" */
	assert_regs(guest_cpuid(0x40000001, 0), 0x00010000, 0, 0, 0);                   /* ABI 1.0 */
	assert_regs(guest_cpuid(0x40000002, 0), 0, 0, 0, 0);
	assert_regs(guest_cpuid(0x400000ff, 7), 0, 0, 0, 0);
	/* Answered by ptvisor: the host's hypervisor leaves (a nested L1's) are never asked. */
	assert_int_equal(cpu_model_count(env.m, CPU_OP_CPUID, 0x40000000), 0);
	host_leaf(0x40000100, 0, 1, 2, 3, 4);
	assert_regs(guest_cpuid(0x40000100, 0), 1, 2, 3, 4);
}

static void test_leaf1(void **state)
{
	const uint32_t ecx_hidden =
		BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(11) | BIT(15) | BIT(21) | BIT(24) | BIT(27);
	const uint32_t edx_hidden = BIT(7) | BIT(14) | BIT(21) | BIT(22) | BIT(29) | BIT(31); /* MTRR (12) shown */

	(void)state;
	host_leaf(1, 0, 0x000806c1, 0x12345678, ~0u, ~0u);
	/* The guest's CR4.OSXSAVE is 1: OSXSAVE reads 1; VMX, SMX, MONITOR, x2APIC ... read 0. */
	assert_regs(guest_cpuid(1, 0), 0x000806c1, 0x03015678, ~ecx_hidden | BIT(27), ~edx_hidden);
	vmw(GUEST_CR4, CR4_VMXE);
	assert_regs(guest_cpuid(1, 0), 0x000806c1, 0x03015678, ~ecx_hidden, ~edx_hidden);
	/* The recorded Bochs CPU has VMX (ECX[5]); the guest never sees it, but does see a hypervisor. */
	host_leaf(1, 0, 0x000806c1, 0x00010800, 0x77faf3bf | BIT(26), 0xbfebfbff);
	v.id = 0;
	struct cpuid_regs r = guest_cpuid(1, 0);
	assert_int_equal(r.ecx & (BIT(5) | BIT(31)), BIT(31));
	assert_int_equal(r.ebx, 0x00010800);
}

static void test_leaf7(void **state)
{
	const uint32_t ebx_hidden = BIT(2) | BIT(12) | BIT(14) | BIT(15) | BIT(25);

	(void)state;
	host_leaf(7, 0, 2, ~0u, ~0u, ~0u);
	host_leaf(7, 1, 1, 2, 3, 4);
	/* No INVPCID without "enable INVPCID"; SGX, MPX, RDT and Intel PT hidden; EDX all 0. */
	struct cpuid_regs r = guest_cpuid(7, 0);
	assert_int_equal(r.eax, 2);
	assert_int_equal(r.ebx, (uint32_t) ~(ebx_hidden | BIT(10)));
	/* WAITPKG, CET_SS, KL, SGX_LC, PKS hidden; OSPKE: test_exit_sdm_cases */
	assert_int_equal(r.ecx & ~BIT(4), (uint32_t) ~(BIT(4) | BIT(5) | BIT(7) | BIT(23) | BIT(30) | BIT(31)));
	assert_int_equal(r.edx, 0);
	v.cpu2_controls = BIT(12);
	assert_int_equal(guest_cpuid(7, 0).ebx, ~ebx_hidden);
	assert_regs(guest_cpuid(7, 1), 0, 0, 0, 0);
	assert_regs(guest_cpuid(7, 0xffffffff), 0, 0, 0, 0);
}

/* RDTSCP and RDPID are #UD without "enable RDTSCP" (SDM 26.3): CPUID shows them only with it. */
static void test_rdtscp_follows_control(void **state)
{
	(void)state;
	host_leaf(0x80000000, 0, 0x80000008, 0, 0, 0);
	host_leaf(0x80000001, 0, 0, 0, 0x121, 0x2c100800);
	host_leaf(7, 0, 0, 0, BIT(22), 0);
	v.cpu2_controls = CPU2_ENABLE_RDTSCP;
	assert_int_equal(guest_cpuid(0x80000001, 0).edx, 0x2c100800);
	assert_int_equal(guest_cpuid(7, 0).ecx, BIT(22));
	v.cpu2_controls = 0;
	assert_int_equal(guest_cpuid(0x80000001, 0).edx, 0x2c100800 & ~BIT(27));
	assert_int_equal(guest_cpuid(7, 0).ecx, 0);
	assert_int_equal(guest_cpuid(0x80000001, 0).ecx, 0x121);
}

/* The APIC flag follows IA32_APIC_BASE[11] (SDM 11.4.3). */
static void test_apic_flag_follows_enable(void **state)
{
	(void)state;
	host_leaf(1, 0, 0x806c1, 0x800, 0, BIT(9) | BIT(4));
	assert_int_equal(guest_cpuid(1, 0).edx, BIT(9) | BIT(4));
	v.lapic.base &= ~(uint64_t)APIC_BASE_ENABLE;
	assert_int_equal(guest_cpuid(1, 0).edx, BIT(4));
}

/* A PT backend that decides the PT bits of leaves 7 and 14H: it gets the host's answer with PT removed. */
static unsigned pt_calls;
static void pt_cpuid(struct vcpu *vc, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	assert_ptr_equal(vc, &v);
	pt_calls++;
	if (leaf == 7 && sub == 0) {
		assert_int_equal(r->ebx & BIT(25), 0);
		r->ebx |= BIT(25);
	} else if (leaf == 0x14) {
		assert_int_equal(r->eax | r->ebx | r->ecx | r->edx, 0);
		r->eax = sub == 0 ? 1 : 0;
		r->ebx = 0x4f;
	}
}
static const struct pt_backend_ops pt_fake = { .name = "fake", .cpuid = pt_cpuid };

static void test_pt_leaves(void **state)
{
	(void)state;
	host_leaf(7, 0, 0, ~0u, 0, 0);
	host_leaf(0x14, 0, 1, 0x1ff, 7, 0);
	/* No PT backend: the guest sees a CPU without Intel PT. */
	assert_int_equal(guest_cpuid(7, 0).ebx & BIT(25), 0);
	assert_regs(guest_cpuid(0x14, 0), 0, 0, 0, 0);
	/* The backend's answer is the guest's, for leaves 7 and 14H only. */
	v.pt_ops = &pt_fake;
	assert_int_equal(guest_cpuid(7, 0).ebx & BIT(25), BIT(25));
	assert_regs(guest_cpuid(0x14, 0), 1, 0x4f, 0, 0);
	assert_regs(guest_cpuid(0x14, 1), 0, 0x4f, 0, 0);
	assert_int_equal(pt_calls, 3);
	guest_cpuid(1, 0);
	guest_cpuid(0xd, 0);
	assert_int_equal(pt_calls, 3);
	v.pt_ops = &pt_backend_none;
}

static void test_zeroed_leaves(void **state)
{
	static const uint32_t leaves[][2] = { { 5, 0 },    { 6, 0 },    { 0xf, 0 }, { 0xf, 1 },
					      { 0x10, 1 }, { 0x12, 0 }, { 0x14, 0 } };

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(leaves); i++) {
		host_leaf(leaves[i][0], leaves[i][1], 0x11, 0x22, 0x33, 0x44);
		assert_regs(guest_cpuid(leaves[i][0], leaves[i][1]), 0, 0, 0, 0);
	}
	/* Leaf 0AH is the vPMU's, whatever the host has: v2, 2 counters of 48 bits, 7 events all unavailable. */
	host_leaf(0xa, 0, 0x11, 0x22, 0x33, 0x44);
	assert_regs(guest_cpuid(0xa, 0), 0x07300202, 0x7f, 0, 0);
}

static void test_topology_and_passthrough(void **state)
{
	(void)state;
	host_leaf(0xb, 0, 1, 2, 0x100, 6);
	host_leaf(0x1f, 1, 4, 8, 0x201, 6);
	host_leaf(4, 0, 0x1c004121, 0x01c0003f, 0x3f, 0);
	assert_regs(guest_cpuid(0xb, 0), 1, 2, 0x100, 3); /* x2APIC ID = the vCPU's id */
	assert_regs(guest_cpuid(0x1f, 1), 4, 8, 0x201, 3);
	assert_regs(guest_cpuid(4, 0), 0x1c004121, 0x01c0003f, 0x3f, 0);
	assert_regs(guest_cpuid(0, 0), 0x1b, 0x756e6547, 0x6c65746e, 0x49656e69);
	assert_regs(guest_cpuid(0x80000008, 0), 0x3028, 0, 0, 0);
}

/* Leaf 0DH reports what ptvisor saves for guests: x87, SSE, AVX, AVX-512, PKRU; never MPX or AMX. */
static void check_xsave_leaf(uint32_t host_max)
{
	assert_int_equal(cpu_model_cpuid(env.m, 0xd, 0).ecx, host_max);
	assert_regs(guest_cpuid(0xd, 0), ENV_GUEST_XCR0, 576, ENV_GUEST_AREA, 0);
	assert_regs(guest_cpuid(0xd, 1), 0x7, 576, 0, 0); /* XSAVES and IA32_XSS hidden */
	assert_regs(guest_cpuid(0xd, 2), 256, 576, 0, 0);
	assert_regs(guest_cpuid(0xd, 3), 0, 0, 0, 0); /* MPX: supported by the host, not offered */
	assert_regs(guest_cpuid(0xd, 4), 0, 0, 0, 0);
	assert_regs(guest_cpuid(0xd, 5), 64, 1088, 0, 0);
	assert_regs(guest_cpuid(0xd, 6), 512, 1152, 0, 0);
	assert_regs(guest_cpuid(0xd, 7), 1024, 1664, 0, 0);
	assert_regs(guest_cpuid(0xd, 8), 0, 0, 0, 0);
	assert_regs(guest_cpuid(0xd, 9), 8, 2688, 0, 0);
	assert_regs(guest_cpuid(0xd, 17), 0, 0, 0, 0);
	assert_regs(guest_cpuid(0xd, 18), 0, 0, 0, 0);
	assert_regs(guest_cpuid(0xd, 63), 0, 0, 0, 0);
	assert_regs(guest_cpuid(0xd, 64), 0, 0, 0, 0);
}

static void test_xsave_leaf(void **state)
{
	(void)state;
	check_xsave_leaf(2696);
}

static void test_xsave_leaf_amx(void **state)
{
	(void)state;
	check_xsave_leaf(11008);
}

static void test_rip_advance(void **state)
{
	(void)state;
	/* Outside 64-bit mode EIP wraps at 4 GiB; in 64-bit mode RIP does not. */
	v.regs.rax = 0;
	env_exit(&v, EXIT_REASON_CPUID, 0, 2);
	vmw(GUEST_RIP, 0xffffffffULL);
	handle_cpuid(&v);
	assert_int_equal(vmr(GUEST_RIP), 1);
	env_guest64(&v);
	v.regs.rax = 0;
	env_exit(&v, EXIT_REASON_CPUID, 0, 3);
	vmw(GUEST_RIP, 0xffffffffULL);
	handle_cpuid(&v);
	assert_int_equal(vmr(GUEST_RIP), 0x100000002ULL);
	/* Retired while the PT backend single-steps: the step's MTF exit or #DB is still due. */
	v.pt_stepping = v.pt_step_mtf = true;
	v.regs.rax = 0;
	env_exit(&v, EXIT_REASON_CPUID, 0, 2);
	handle_cpuid(&v);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | (7u << 8));
	v.pt_step_mtf = false;
	v.regs.rax = 0;
	env_exit(&v, EXIT_REASON_CPUID, 0, 2);
	handle_cpuid(&v);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), 0);
	assert_int_equal(vmr(GUEST_PENDING_DBG_EXCEPTIONS), DR6_BS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hypervisor_leaves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaf1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaf7, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rdtscp_follows_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apic_flag_follows_enable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pt_leaves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zeroed_leaves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_topology_and_passthrough, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xsave_leaf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xsave_leaf_amx, setup_amx, teardown),
		cmocka_unit_test_setup_teardown(test_rip_advance, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
