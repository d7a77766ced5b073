/* The small exit handlers (exit_misc.c) on the CPU model: HLT, XSETBV, cache flushes, refused instructions, stops. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vcpu_env.h"
#include "host_env.h"
#include "../fixtures/cpu_fixtures.h"
#include "vmx/exit.h"
#include "vmx/exit_reason.h"
#include "vmx/pt_backend.h"
#include "vmx/vlapic_vmx.h"
#include "vmx/vcpu_time.h"
#include "vmx/vmcs_init.h"
#include "nmi.h"

static struct vcpu v;

static int setup(void **state)
{
	(void)state;
	vcpu_env_setup(&v, &cpu_fixture_bochs_tigerlake, ENV_XCOMP_AMX, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vcpu_env_teardown(&v);
	return 0;
}

static enum exit_action hlt(uint64_t rflags, uint32_t interruptibility)
{
	env_exit(&v, EXIT_REASON_HLT, 0, 1);
	vmw(GUEST_RFLAGS, rflags);
	vmw(GUEST_INTERRUPTIBILITY_INFO, interruptibility);
	return handle_hlt(&v);
}

static void test_hlt(void **state)
{
	(void)state;
	/* IF=0: nothing can wake the vCPU (its only interrupt sources are its own). */
	assert_int_equal(hlt(RFLAGS_FIXED1, 0), EXIT_STOPPED);
	expect_stop(&v, 0, "HLT with IF=0");
	memset(&v.stop, 0, sizeof(v.stop));
	/* IF=1 after STI, nothing pending: HLT retires, the STI shadow ends, the CPU goes to other guests. */
	assert_int_equal(hlt(RFLAGS_FIXED1 | RFLAGS_IF, GUEST_INTR_STATE_STI), EXIT_YIELD);
	expect_retired(1);
	assert_false(v.stop.requested);
}

static void test_hlt_with_interrupt(void **state)
{
	(void)state;
	v.window_exiting = true;
	vmw(CPU_BASED_VM_EXEC_CONTROL, CPU_HLT_EXITING);
	vlapic_mmio_write(&v, VLAPIC_BASE_GPA + APIC_SVR, 4, 0x1ff);
	/* A self-IPI held back by TPR is not deliverable: HLT still yields. */
	vlapic_mmio_write(&v, VLAPIC_BASE_GPA + APIC_TPR, 4, 0x60);
	vlapic_mmio_write(&v, VLAPIC_BASE_GPA + APIC_ICR_LO, 4, (1u << 18) | 0x55);
	assert_int_equal(hlt(RFLAGS_FIXED1 | RFLAGS_IF, 0), EXIT_YIELD);
	expect_retired(1);
	/* Once it can be taken, HLT completes at once and the guest resumes to take it. */
	vlapic_mmio_write(&v, VLAPIC_BASE_GPA + APIC_TPR, 4, 0);
	assert_int_equal(hlt(RFLAGS_FIXED1 | RFLAGS_IF, GUEST_INTR_STATE_STI), EXIT_RESUME);
	expect_retired(1);
	assert_int_equal(vmr(CPU_BASED_VM_EXEC_CONTROL) & CPU_INTR_WINDOW_EXITING, CPU_INTR_WINDOW_EXITING);
	/* IF=0 with an interrupt pending: still the end. */
	assert_int_equal(hlt(RFLAGS_FIXED1, 0), EXIT_STOPPED);
}

/* STI;HLT with the APIC timer armed sleeps the vCPU until the timer, which wakes it with its vector. */
static void test_hlt_sleeps_until_timer(void **state)
{
	(void)state;
	v.window_exiting = true;
	vmx_ctls.preemption_timer = true;
	vmx_ctls.preemption_rate = 0;
	vmw(CPU_BASED_VM_EXEC_CONTROL, CPU_HLT_EXITING);
	vlapic_timer_set_clock(&v.lapic, 50000, 25000); /* one count at divide-by-1 = 2 TSC ticks */
	v.tsc_offset = 0x100000;                        /* the deadline is in guest TSC units */
	vlapic_mmio_write(&v, VLAPIC_BASE_GPA + APIC_SVR, 4, 0x1ff);
	vlapic_mmio_write(&v, VLAPIC_BASE_GPA + APIC_TIMER_DCR, 4, 0xb);
	vlapic_mmio_write(&v, VLAPIC_BASE_GPA + APIC_LVT_TIMER, 4, 0x40);

	/* Nothing armed: nothing could wake it, so HLT only yields (the vCPU stays runnable). */
	assert_int_equal(hlt(RFLAGS_FIXED1 | RFLAGS_IF, GUEST_INTR_STATE_STI), EXIT_YIELD);
	assert_false(v.halted);

	vlapic_mmio_write(&v, VLAPIC_BASE_GPA + APIC_TIMER_ICR, 4, 1000000);
	uint64_t due = vcpu_timer_next_host(&v);
	assert_int_not_equal(due, VCPU_WAKE_NEVER);
	assert_int_equal(hlt(RFLAGS_FIXED1 | RFLAGS_IF, GUEST_INTR_STATE_STI), EXIT_YIELD);
	assert_true(v.halted);
	assert_int_equal(vcpu_wake_tsc(&v, due - 5000), due);
	assert_false(vcpu_wake_check(&v, due - 1));
	assert_true(v.halted);
	assert_true(vcpu_wake_check(&v, due));
	assert_false(v.halted);
	assert_int_equal(vlapic_pending_vector(&v.lapic), 0x40);

	/* On entry the pending vector asks for its window; the preemption timer ends the slice. */
	v.slice_end = due + 777;
	vcpu_time_before_entry(&v, due + 1);
	assert_int_equal(vmr(CPU_BASED_VM_EXEC_CONTROL) & CPU_INTR_WINDOW_EXITING, CPU_INTR_WINDOW_EXITING);
	assert_int_equal(vmr(VMX_PREEMPTION_TIMER_VALUE), 776);
	/* A timer due before the slice ends sets the preemption timer for it. */
	vlapic_mmio_write(&v, VLAPIC_BASE_GPA + APIC_TIMER_ICR, 4, 100);
	due = vcpu_timer_next_host(&v);
	v.slice_end = due + 100000;
	vcpu_time_before_entry(&v, due - 300);
	assert_int_equal(vmr(VMX_PREEMPTION_TIMER_VALUE), 300);
	/* The preemption timer's exit yields only at the end of the slice. */
	env_exit(&v, EXIT_REASON_PREEMPTION_TIMER, 0, 0);
	v.slice_end = ~0ull;
	assert_int_equal(handle_preemption_timer(&v), EXIT_RESUME);
	v.slice_end = 0;
	assert_int_equal(handle_preemption_timer(&v), EXIT_YIELD);

	/* A kick wakes a sleeper whatever its timer says. */
	v.halted = true;
	vcpu_kick(&v);
	assert_false(v.halted);
}

static void test_probe_exits(void **state)
{
	(void)state;
	v.probe = true;
	assert_int_equal(hlt(RFLAGS_FIXED1, 0), EXIT_STOPPED);
	assert_int_equal(v.probe_exit, EXIT_REASON_HLT);
	env_exit(&v, EXIT_REASON_MONITOR_TRAP_FLAG, 0, 0);
	assert_int_equal(handle_mtf(&v), EXIT_STOPPED);
	assert_int_equal(v.probe_exit, EXIT_REASON_MONITOR_TRAP_FLAG);
	assert_false(v.stop.requested);
	assert_int_equal(vmr(GUEST_RIP), ENV_RIP);
}

/* XSETBV with EDX:EAX = val and ECX = xcr; the upper halves of RAX, RCX, RDX are garbage. */
static enum exit_action xsetbv(uint32_t xcr, uint64_t val)
{
	v.regs.rax = 0xdead000000000000ULL | (uint32_t)val;
	v.regs.rdx = 0xbeef000000000000ULL | (val >> 32);
	v.regs.rcx = 0xffffffff00000000ULL | xcr;
	env_exit(&v, EXIT_REASON_XSETBV, 0, 3);
	return handle_xsetbv(&v);
}

static void test_xsetbv_valid(void **state)
{
	static const uint64_t ok[] = { XCR0_X87, XCR0_X87 | XCR0_SSE, XCR0_X87 | XCR0_PKRU, ENV_XCOMP_AVX,
				       ENV_GUEST_XCR0 };
	/* vcpu_switch_init_cpu() has set XCR0 once, to the guests' set, to ask the CPU its XSAVE size */
	size_t before = cpu_model_count(env.m, CPU_OP_XSETBV, 0);

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_int_equal(xsetbv(0, ok[i]), EXIT_RESUME);
		expect_retired(3);
		assert_int_equal(env.m->xcr0, ok[i]);
		assert_int_equal(v.fpu.xcr0, ok[i]);
		assert_int_equal(cpu_model_count(env.m, CPU_OP_XSETBV, 0), before + i + 1);
	}
}

static void test_xsetbv_refused(void **state)
{
	static const uint64_t bad[] = {
		0,
		XCR0_SSE,
		XCR0_SSE | XCR0_AVX,         /* bit 0 clear */
		XCR0_X87 | XCR0_AVX,         /* AVX without SSE */
		ENV_XCOMP_AVX | XCR0_OPMASK, /* AVX-512 in part */
		ENV_XCOMP_AVX | XCR0_OPMASK | XCR0_ZMM_HI256,
		ENV_XCOMP_AVX | XCR0_HI16_ZMM,
		XCR0_X87 | XCR0_SSE | XCR0_AVX512, /* AVX-512 without AVX */
		XCR0_X87 | XCR0_MPX,
		XCR0_X87 | XCR0_BNDREGS, /* MPX: the CPU's, hidden from guests */
		XCR0_X87 | BIT(8),
		XCR0_X87 | BIT(10),
		XCR0_X87 | BIT(32),
		XCR0_X87 | BIT(63),
		ENV_GUEST_XCR0 | XCR0_XTILECFG, /* one AMX component alone */
		ENV_GUEST_XCR0 | XCR0_XTILEDATA,
		ENV_GUEST_XCR0 | XCR0_AMX, /* AMX: the CPU's, not offered */
	};
	size_t before = cpu_model_count(env.m, CPU_OP_XSETBV, CPU_MODEL_ANY);
	uint64_t xcr0 = env.m->xcr0;

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(xsetbv(0, bad[i]), EXIT_RESUME);
		expect_gp();
	}
	/* Only XCR0 exists; XSETBV is CPL 0 only. */
	assert_int_equal(xsetbv(1, XCR0_X87), EXIT_RESUME);
	expect_gp();
	env_cpl(3);
	assert_int_equal(xsetbv(0, XCR0_X87 | XCR0_SSE), EXIT_RESUME);
	expect_gp();
	env_cpl(0);
	/* CR4.OSXSAVE=0: #UD, even for a value that would be valid. */
	vmw(GUEST_CR4, CR4_VMXE | CR4_OSFXSR);
	assert_int_equal(xsetbv(0, XCR0_X87 | XCR0_SSE), EXIT_RESUME);
	expect_ud();
	/* Nothing reached the CPU or the vCPU. */
	assert_int_equal(cpu_model_count(env.m, CPU_OP_XSETBV, CPU_MODEL_ANY), before);
	assert_int_equal(env.m->xcr0, xcr0);
	assert_int_equal(v.fpu.xcr0, XCR0_X87);
}

static void test_cache_flush_cpl3(void **state)
{
	(void)state;
	/* At CPL 0 the handler executes WBINVD itself, which a host test cannot run. */
	env_cpl(3);
	env_exit(&v, EXIT_REASON_WBINVD, 0, 2);
	assert_int_equal(handle_cache_flush(&v), EXIT_RESUME);
	expect_gp();
	env_exit(&v, EXIT_REASON_INVD, 0, 2);
	assert_int_equal(handle_cache_flush(&v), EXIT_RESUME);
	expect_gp();
}

static void test_refused_instructions(void **state)
{
	static const uint32_t vmx[] = { EXIT_REASON_VMCLEAR, EXIT_REASON_VMLAUNCH, EXIT_REASON_VMPTRLD,
					EXIT_REASON_VMPTRST, EXIT_REASON_VMREAD,   EXIT_REASON_VMRESUME,
					EXIT_REASON_VMWRITE, EXIT_REASON_VMXOFF,   EXIT_REASON_VMXON,
					EXIT_REASON_INVEPT,  EXIT_REASON_INVVPID };
	static const uint32_t hidden[] = { EXIT_REASON_GETSEC, EXIT_REASON_MWAIT, EXIT_REASON_MONITOR,
					   EXIT_REASON_VMFUNC, EXIT_REASON_ENCLS };

	(void)state;
	/* VMX is hidden from CPUID: its instructions are invalid opcodes. */
	for (unsigned i = 0; i < ARRAY_SIZE(vmx); i++) {
		env_exit(&v, vmx[i], 0, 3);
		assert_int_equal(handle_vmx_instruction(&v), EXIT_RESUME);
		expect_ud();
	}
	for (unsigned i = 0; i < ARRAY_SIZE(hidden); i++) {
		env_exit(&v, hidden[i], 0, 3);
		assert_int_equal(handle_ud_instruction(&v), EXIT_RESUME);
		expect_ud();
	}
}

static enum exit_action rdpmc(uint32_t ecx)
{
	v.regs.rcx = 0xffffffff00000000ULL | ecx;
	v.regs.rax = v.regs.rdx = ~0ULL;
	env_exit(&v, EXIT_REASON_RDPMC, 0, 2);
	return handle_rdpmc(&v);
}

/* RDPMC reads the vPMU's counters; fixed counters (none), other indices and CPL 3 without CR4.PCE: #GP. */
static void test_rdpmc(void **state)
{
	(void)state;
	v.pmu.pmc[1] = 0xffff80001234ULL;
	assert_int_equal(rdpmc(1), EXIT_RESUME);
	expect_retired(2);
	assert_int_equal(v.regs.rax, 0x80001234);
	assert_int_equal(v.regs.rdx, 0xffff);
	assert_int_equal(rdpmc(0), EXIT_RESUME);
	expect_retired(2);
	assert_int_equal(v.regs.rax | v.regs.rdx, 0);
	for (unsigned i = 0; i < 3; i++) {
		static const uint32_t bad[] = { 2, BIT(30), BIT(30) | 1 };
		assert_int_equal(rdpmc(bad[i]), EXIT_RESUME);
		expect_gp();
	}
	/* CPL 3: only with CR4.PCE. */
	vmw(GUEST_SS_AR_BYTES, vmr(GUEST_SS_AR_BYTES) | (3u << 5));
	assert_int_equal(rdpmc(1), EXIT_RESUME);
	expect_gp();
	vmw(GUEST_CR4, vmr(GUEST_CR4) | CR4_PCE);
	assert_int_equal(rdpmc(1), EXIT_RESUME);
	expect_retired(2);
	assert_int_equal(v.regs.rax, 0x80001234);
}

static void test_stops_and_yields(void **state)
{
	(void)state;
	env_exit(&v, EXIT_REASON_TRIPLE_FAULT, 0, 0);
	assert_int_equal(handle_triple_fault(&v), EXIT_STOPPED);
	expect_stop(&v, -1, "triple fault at RIP 0x10000");
	/* The first reason stays. */
	env_exit(&v, EXIT_REASON_INIT_SIGNAL, 0, 0);
	assert_int_equal(handle_init_signal(&v), EXIT_STOPPED);
	expect_stop(&v, -1, "triple fault");
	memset(&v.stop, 0, sizeof(v.stop));
	assert_int_equal(handle_init_signal(&v), EXIT_STOPPED);
	expect_stop(&v, -1, "INIT signal");
	memset(&v.stop, 0, sizeof(v.stop));
	/* Timer and stray interrupts only end the slice. */
	env_exit(&v, EXIT_REASON_PREEMPTION_TIMER, 0, 0);
	assert_int_equal(handle_preemption_timer(&v), EXIT_YIELD);
	env_exit(&v, EXIT_REASON_EXTERNAL_INTERRUPT, 0, 0);
	vmw(VM_EXIT_INTR_INFO, 0x80000020);
	assert_int_equal(handle_external_interrupt(&v), EXIT_YIELD);
	assert_true(host_console_contains("external-interrupt exit (info 0x80000020)"));
	assert_int_equal(vmr(GUEST_RIP), ENV_RIP);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), 0);
	assert_false(v.stop.requested);
}

/* A PT backend that claims intercepted exceptions and MTF exits. */
static unsigned pt_exceptions, pt_mtfs;
static bool pt_exception(struct vcpu *vc, uint32_t info)
{
	assert_ptr_equal(vc, &v);
	assert_int_equal(info, 0x80000301);
	pt_exceptions++;
	return true;
}
static bool pt_mtf(struct vcpu *vc)
{
	assert_ptr_equal(vc, &v);
	pt_mtfs++;
	return true;
}
static const struct pt_backend_ops pt_fake = { .name = "fake", .exception = pt_exception, .mtf = pt_mtf };

static void test_exception_and_mtf(void **state)
{
	(void)state;
	v.pt_ops = &pt_fake;
	env_exit(&v, EXIT_REASON_EXCEPTION_NMI, 0, 0);
	vmw(VM_EXIT_INTR_INFO, 0x80000301); /* #DB */
	assert_int_equal(handle_exception(&v), EXIT_RESUME);
	env_exit(&v, EXIT_REASON_MONITOR_TRAP_FLAG, 0, 0);
	assert_int_equal(handle_mtf(&v), EXIT_RESUME);
	assert_int_equal(pt_exceptions + pt_mtfs, 2);
	assert_false(v.stop.requested);
	/* Nobody's: the guest stops. */
	v.pt_ops = &pt_backend_none;
	env_exit(&v, EXIT_REASON_EXCEPTION_NMI, 0, 0);
	vmw(VM_EXIT_INTR_INFO, 0x80000b0e);
	assert_int_equal(handle_exception(&v), EXIT_STOPPED);
	expect_stop(&v, -1, "unexpected exception 14 intercepted");
	memset(&v.stop, 0, sizeof(v.stop));
	env_exit(&v, EXIT_REASON_MONITOR_TRAP_FLAG, 0, 0);
	assert_int_equal(handle_mtf(&v), EXIT_STOPPED);
	expect_stop(&v, -1, "monitor trap flag");
}

static unsigned nmi_claims;
static bool nmi_claim_pt(bool in_guest)
{
	assert_true(in_guest);
	nmi_claims++;
	return nmi_claims == 1; /* the first is a ToPA PMI, the second not */
}

/* An NMI exit goes to the NMI claimant (PT's PMI handler); one it does not claim is reported, never injected. */
static void test_nmi_exit(void **state)
{
	(void)state;
	nmi_set_claimant(nmi_claim_pt);
	for (unsigned i = 0; i < 2; i++) {
		env_exit(&v, EXIT_REASON_EXCEPTION_NMI, 0, 0);
		vmw(VM_EXIT_INTR_INFO, 0x80000202); /* NMI, vector 2 */
		assert_int_equal(handle_exception(&v), EXIT_RESUME);
		assert_false(vmr(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID);
	}
	nmi_set_claimant(NULL);
	assert_int_equal(nmi_claims, 2);
	assert_int_equal(env.m->nmi_unblocks, 2); /* no NMI left blocked in root after either exit */
	assert_int_equal(env_console_count("host NMI while the guest ran (not a ToPA PMI); ignored"), 1);
	assert_false(v.stop.requested);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hlt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rdpmc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hlt_with_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hlt_sleeps_until_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_exits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xsetbv_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xsetbv_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_flush_cpl3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_instructions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stops_and_yields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exception_and_mtf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nmi_exit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
