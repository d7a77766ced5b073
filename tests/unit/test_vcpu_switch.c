/* vcpu_create/vcpu_load/vcpu_put on the CPU model: the XSAVE area's size, and two vCPUs that never share state. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vcpu_env.h"
#include "host_env.h"
#include "phys_arena.h"
#include "../fixtures/cpu_fixtures.h"
#include "mem/frame.h"
#include "msr.h"
#include "vmx/vcpu_switch.h"

static struct vcpu a, b;

static void with_rdtscp(struct cpu_model *m)
{
	const struct cpuid_regs r = { 0, 0, 0, BIT(27) };

	cpu_model_set_cpuid(m, 0x80000001, 0, &r);
	cpu_model_set_msr(m, MSR_IA32_TSC_AUX, 0, false);
}

static void without_xsave(struct cpu_model *m)
{
	struct cpuid_regs r = cpu_model_cpuid(m, 1, 0);

	r.ecx &= ~(uint32_t)BIT(26);
	cpu_model_set_cpuid(m, 1, 0, &r);
}

static int setup_with(uint64_t xcomp, void (*prepare)(struct cpu_model *m))
{
	vcpu_env_setup(&a, &cpu_fixture_bochs_tigerlake, xcomp, prepare);
	env_vcpu_create(&b, 1, "g1");
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_with(ENV_XCOMP_AVX512, with_rdtscp);
}
static int setup_amx(void **state)
{
	(void)state;
	return setup_with(ENV_XCOMP_AMX, NULL);
}
static int setup_avx(void **state)
{
	(void)state;
	return setup_with(ENV_XCOMP_AVX, NULL);
}
static int setup_fxsave(void **state)
{
	(void)state;
	return setup_with(0, without_xsave);
}

static int teardown(void **state)
{
	(void)state;
	vcpu_destroy(&b);
	vcpu_env_teardown(&a);
	return 0;
}

/* A freshly created vCPU: power-up x87/SSE state (FCW 37FH, MXCSR 1F80H), XCR0 = 1, DR6 = FFFF0FF0H. */
static void check_reset_state(const struct vcpu *v, uint32_t size)
{
	const uint8_t *area = v->fpu.area;

	assert_int_equal(v->fpu.pages, (size + PAGE_SIZE - 1) / PAGE_SIZE);
	assert_int_equal((uintptr_t)area % 64, 0);
	assert_int_equal(area[0] | area[1] << 8, 0x037f);
	assert_int_equal(area[24] | area[25] << 8, 0x1f80);
	for (uint32_t i = 2; i < v->fpu.pages * PAGE_SIZE; i++)
		if (i != 24 && i != 25)
			assert_int_equal(area[i], 0);
	assert_int_equal(v->fpu.xcr0, XCR0_X87);
	assert_int_equal(v->dregs.dr6, DR6_RESET);
	assert_int_equal(v->dregs.dr[0] | v->dregs.dr[1] | v->dregs.dr[2] | v->dregs.dr[3], 0);
}

static void test_size_avx512(void **state)
{
	(void)state;
	assert_true(vcpu_host.xsave && vcpu_host.rdtscp);
	assert_int_equal(vcpu_host.xcr0_allowed, ENV_GUEST_XCR0); /* MPX left out */
	assert_int_equal(vcpu_host.area_size, ENV_GUEST_AREA);
	check_reset_state(&a, ENV_GUEST_AREA);
	check_reset_state(&b, ENV_GUEST_AREA);
	assert_int_equal(b.lapic.id, 1u << 24);
}

static void test_size_amx(void **state)
{
	(void)state;
	/* The CPU's area would be 11008 bytes; AMX is not offered, so a guest's needs 2752. */
	assert_int_equal(cpu_model_cpuid(env.m, 0xd, 0).ecx, 11008);
	assert_int_equal(vcpu_host.xcr0_allowed, ENV_GUEST_XCR0);
	assert_int_equal(vcpu_host.area_size, ENV_GUEST_AREA);
	check_reset_state(&a, ENV_GUEST_AREA);
	/* Whatever XCR0 the guest holds, XSAVE/XRSTOR stay inside the area. */
	a.fpu.xcr0 = ENV_GUEST_XCR0;
	vcpu_load(&a);
	vcpu_put(&a);
	assert_int_equal(env.m->xsave_bytes, 2696);
	assert_true(env.m->xsave_bytes <= a.fpu.pages * PAGE_SIZE);
	assert_int_equal(env.m->log[cpu_model_find(env.m, CPU_OP_XSAVE, 0, 0)].value, ENV_GUEST_XCR0);
}

/* Where the CPU's own size for the guests' set (sub-leaf 0 EBX with it in XCR0) is larger than the
   components' offsets and sizes add up to, the area follows the CPU. */
static void test_size_cpu_figure(void **state)
{
	struct cpuid_regs r = cpu_model_cpuid(env.m, 0xd, 0);
	(void)state;
	r.ebx = 3008;
	cpu_model_set_cpuid(env.m, 0xd, 0, &r);
	vcpu_switch_init_cpu();
	assert_int_equal(env.m->xcr0, ENV_GUEST_XCR0); /* set to ask the CPU */
	assert_int_equal(vcpu_host.area_size, 3008);
	assert_true(host_console_contains("3008-byte save area per guest"));
}

static void test_size_avx(void **state)
{
	(void)state;
	assert_int_equal(vcpu_host.xcr0_allowed, XCR0_X87 | XCR0_SSE | XCR0_AVX);
	assert_int_equal(vcpu_host.area_size, 832);
	assert_false(vcpu_host.rdtscp);
	check_reset_state(&a, 832);
}

static void test_fxsave_host(void **state)
{
	(void)state;
	assert_false(vcpu_host.xsave);
	assert_int_equal(vcpu_host.xcr0_allowed, XCR0_X87 | XCR0_SSE);
	assert_int_equal(vcpu_host.area_size, 512);
	check_reset_state(&a, 512);
	memset(env.m->xstate, 0x5a, 512);
	vcpu_put(&a);
	vcpu_load(&b);
	assert_int_equal(env.m->xsave_bytes, 512);
	assert_int_equal(cpu_model_count(env.m, CPU_OP_XSETBV, CPU_MODEL_ANY), 0);
	assert_int_equal(cpu_model_count(env.m, CPU_OP_XSAVE, 1), 1);  /* FXSAVE */
	assert_int_equal(cpu_model_count(env.m, CPU_OP_XRSTOR, 1), 1); /* FXRSTOR */
	assert_int_equal(env.m->xstate[0] | env.m->xstate[1] << 8, 0x037f);
	assert_int_equal(env.m->xstate[100], 0);
	assert_int_equal(((uint8_t *)a.fpu.area)[100], 0x5a);
}

static void test_debug_registers(void **state)
{
	(void)state;
	vcpu_load(&a);
	for (unsigned i = 0; i < 4; i++)
		env.m->dr[i] = 0x1000 + i;
	env.m->dr6 = 0xffff0ff1;
	vcpu_put(&a);
	assert_int_equal(a.dregs.dr[3], 0x1003);
	assert_int_equal(a.dregs.dr6, 0xffff0ff1);
	/* b gets its own (reset) registers, and its VMCS is current. */
	vcpu_load(&b);
	assert_int_equal(env.m->current_vmcs, b.vmcs_pa);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(env.m->dr[i], 0);
	assert_int_equal(env.m->dr6, DR6_RESET);
	for (unsigned i = 0; i < 4; i++)
		env.m->dr[i] = 0x2000 + i;
	env.m->dr6 = 0xffff4ff0;
	vcpu_put(&b);
	vcpu_load(&a);
	assert_int_equal(env.m->current_vmcs, a.vmcs_pa);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(env.m->dr[i], 0x1000 + i);
	assert_int_equal(env.m->dr6, 0xffff0ff1);
	assert_int_equal(b.dregs.dr[0], 0x2000);
	assert_int_equal(b.dregs.dr6, 0xffff4ff0);
}

static const uint32_t syscall_msrs[] = { MSR_IA32_STAR,  MSR_IA32_LSTAR,          MSR_IA32_CSTAR,
					 MSR_IA32_FMASK, MSR_IA32_KERNEL_GS_BASE, MSR_IA32_TSC_AUX };

static void set_msrs(uint64_t base)
{
	for (unsigned i = 0; i < ARRAY_SIZE(syscall_msrs); i++)
		cpu_model_set_msr(env.m, syscall_msrs[i], base + i, false);
}

static void check_msrs(uint64_t base)
{
	for (unsigned i = 0; i < ARRAY_SIZE(syscall_msrs); i++)
		assert_int_equal(cpu_model_msr_value(env.m, syscall_msrs[i], 0xbad), base ? base + i : 0);
}

static void test_syscall_msrs(void **state)
{
	(void)state;
	vcpu_load(&a);
	set_msrs(0xffffffff81000000ULL);
	vcpu_put(&a);
	assert_int_equal(a.msrs.lstar, 0xffffffff81000001ULL);
	assert_int_equal(a.msrs.tsc_aux, 0xffffffff81000005ULL);
	vcpu_load(&b);
	check_msrs(0);
	set_msrs(0x2000);
	vcpu_put(&b);
	vcpu_load(&a);
	check_msrs(0xffffffff81000000ULL);
	assert_int_equal(b.msrs.star, 0x2000);
	assert_int_equal(b.msrs.kernel_gs_base, 0x2004);
}

static void test_xsave_state(void **state)
{
	(void)state;
	a.fpu.xcr0 = ENV_GUEST_XCR0;
	b.fpu.xcr0 = ENV_GUEST_XCR0;
	vcpu_load(&a);
	assert_int_equal(env.m->xcr0, ENV_GUEST_XCR0);
	memset(env.m->xstate, 0xaa, ENV_GUEST_AREA); /* a's registers, all components */
	vcpu_put(&a);
	assert_int_equal(((uint8_t *)a.fpu.area)[2695], 0xaa);
	/* b finds its own power-up state in every component, not a's. */
	vcpu_load(&b);
	assert_int_equal(env.m->xstate[0] | env.m->xstate[1] << 8, 0x037f);
	assert_int_equal(env.m->xstate[24] | env.m->xstate[25] << 8, 0x1f80);
	for (unsigned i = 26; i < 2696; i++)
		assert_int_equal(env.m->xstate[i], 0);
	assert_memory_equal(env.m->xstate, b.fpu.area, 2696);
	memset(env.m->xstate, 0xbb, ENV_GUEST_AREA);
	vcpu_put(&b);
	vcpu_load(&a);
	for (unsigned i = 0; i < 2696; i++)
		assert_int_equal(env.m->xstate[i], 0xaa);
	assert_int_equal(((uint8_t *)b.fpu.area)[0], 0xbb);
	assert_int_equal(((uint8_t *)b.fpu.area)[2695], 0xbb);
}

static void test_xcr0(void **state)
{
	(void)state;
	/* Each vCPU runs with its own XCR0, and its enabled components come back with it. */
	a.fpu.xcr0 = ENV_GUEST_XCR0;
	b.fpu.xcr0 = XCR0_X87 | XCR0_SSE | XCR0_AVX;
	vcpu_load(&b);
	assert_int_equal(env.m->xcr0, XCR0_X87 | XCR0_SSE | XCR0_AVX);
	memset(env.m->xstate, 0xbb, 832); /* b's x87, SSE and AVX registers */
	vcpu_put(&b);
	assert_int_equal(((uint8_t *)b.fpu.area)[831], 0xbb);
	vcpu_load(&a);
	assert_int_equal(env.m->xcr0, ENV_GUEST_XCR0);
	assert_true(env.m->xsave_bytes <= a.fpu.pages * PAGE_SIZE);
	memset(env.m->xstate, 0xaa, ENV_GUEST_AREA);
	vcpu_put(&a);
	vcpu_load(&b);
	assert_int_equal(env.m->xcr0, XCR0_X87 | XCR0_SSE | XCR0_AVX);
	for (unsigned i = 0; i < 832; i++)
		assert_int_equal(env.m->xstate[i], 0xbb);
	assert_int_equal(b.fpu.xcr0, XCR0_X87 | XCR0_SSE | XCR0_AVX);
	assert_int_equal(a.fpu.xcr0, ENV_GUEST_XCR0);
}

static void test_destroy(void **state)
{
	struct frame_stats before, after;
	struct vcpu c;

	(void)state;
	frame_get_stats(&before);
	env_vcpu_create(&c, 2, "g2");
	paddr_t area = c.fpu.area_pa;
	memset(c.fpu.area, 0xcc, ENV_GUEST_AREA);
	vcpu_destroy(&c);
	frame_get_stats(&after);
	assert_int_equal(after.free_frames, before.free_frames);
	/* The next owner of the frames finds nothing of the guest's registers. */
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(phys_arena_at(area)[i], 0);
	assert_null(c.fpu.area);
	assert_int_equal(c.vmcs_pa, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_size_avx512, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_amx, setup_amx, teardown),
		cmocka_unit_test_setup_teardown(test_size_cpu_figure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_avx, setup_avx, teardown),
		cmocka_unit_test_setup_teardown(test_fxsave_host, setup_fxsave, teardown),
		cmocka_unit_test_setup_teardown(test_debug_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syscall_msrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xsave_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xcr0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
