/* RDMSR/WRMSR exits (exit_msr.c) on the CPU model: each emulated MSR, its #GP rules, and the PT backend's MSRs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vcpu_env.h"
#include "../fixtures/cpu_fixtures.h"
#include "msr.h"
#include "vmx/exit.h"
#include "vmx/exit_reason.h"
#include "vmx/pt_backend.h"
#include "vmx/guest_cpuid.h"
#include "vmx/vlapic_vmx.h"

#define NONCANONICAL 0x0000800000000000ULL
#define CANONICAL_HI 0xffff800000001000ULL

static struct vcpu v;

/* A 64-bit CPU (SYSCALL, NX, LM) with RDTSCP, so IA32_TSC_AUX exists and moves with the vCPU. */
static void with_rdtscp(struct cpu_model *m)
{
	const struct cpuid_regs r = { 0, 0, 0, BIT(11) | BIT(20) | BIT(27) | BIT(29) };

	cpu_model_set_cpuid(m, 0x80000001, 0, &r);
	cpu_model_set_msr(m, MSR_IA32_TSC_AUX, 0, false);
}

static int setup(void **state)
{
	(void)state;
	vcpu_env_setup(&v, &cpu_fixture_bochs_tigerlake, ENV_XCOMP_AVX512, with_rdtscp);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vcpu_env_teardown(&v);
	return 0;
}

/* RCX's upper half is ignored; RAX/RDX get the value's halves, their upper halves cleared. */
static enum exit_action rdmsr(uint32_t msr)
{
	v.regs.rcx = 0xffffffff00000000ULL | msr;
	v.regs.rax = v.regs.rdx = ~0ULL;
	env_exit(&v, EXIT_REASON_MSR_READ, 0, 2);
	return handle_msr_read(&v);
}

static uint64_t rd_ok_at(uint32_t msr, const char *file, int line)
{
	_assert_int_equal(rdmsr(msr), EXIT_RESUME, file, line);
	env_expect_retired(2, file, line);
	_assert_int_equal((v.regs.rax | v.regs.rdx) >> 32, 0, file, line);
	return v.regs.rdx << 32 | v.regs.rax;
}

/* WRMSR takes EDX:EAX; the upper halves of RAX and RDX are garbage. */
static enum exit_action wrmsr(uint32_t msr, uint64_t val)
{
	v.regs.rcx = 0xffffffff00000000ULL | msr;
	v.regs.rax = 0xaaaaaaaa00000000ULL | (uint32_t)val;
	v.regs.rdx = 0x5555555500000000ULL | (val >> 32);
	env_exit(&v, EXIT_REASON_MSR_WRITE, 0, 2);
	return handle_msr_write(&v);
}

#define rd_ok(msr) rd_ok_at((msr), __FILE__, __LINE__)
#define rd_gp(msr)                                         \
	do {                                               \
		assert_int_equal(rdmsr(msr), EXIT_RESUME); \
		expect_gp();                               \
	} while (0)
#define wr_ok(msr, val)                                             \
	do {                                                        \
		assert_int_equal(wrmsr((msr), (val)), EXIT_RESUME); \
		expect_retired(2);                                  \
	} while (0)
#define wr_gp(msr, val)                                             \
	do {                                                        \
		assert_int_equal(wrmsr((msr), (val)), EXIT_RESUME); \
		expect_gp();                                        \
	} while (0)

static void test_unknown(void **state)
{
	static const uint32_t unknown[] = { 0,     0x48 /* SPEC_CTRL */, 0xc3 /* PMC2 */, 0x391,
					    0x480, 0x40000000,           0xc0000104,      0xffffffff };

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(unknown); i++) {
		rd_gp(unknown[i]);
		wr_gp(unknown[i], 0);
	}
	/* In real mode the #GP carries no error code (SDM 27.2.1.3) and the frame has no RF. */
	env_guest16(&v);
	assert_int_equal(rdmsr(0x48), EXIT_RESUME);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | X86_VEC_GP);
	assert_int_equal(vmr(GUEST_RFLAGS) & RFLAGS_RF, 0);
}

/* The #GP of a refused RDMSR is a fault: RF is set for its frame (SDM 18.3.1.1), and cleared by the next retirement. */
static void test_gp_sets_rf(void **state)
{
	(void)state;
	rd_gp(0x48);
	assert_int_equal(vmr(GUEST_RFLAGS), RFLAGS_FIXED1 | RFLAGS_RF);
	rd_ok(MSR_IA32_PAT);
	assert_int_equal(vmr(GUEST_RFLAGS), RFLAGS_FIXED1);
}

static void test_fixed_value_msrs(void **state)
{
	(void)state;
	/* xAPIC enabled at FEE00000H, BSP; it can be neither moved nor switched to x2APIC (hidden). */
	assert_int_equal(rd_ok(MSR_IA32_APIC_BASE), 0xfee00900);
	wr_ok(MSR_IA32_APIC_BASE, 0xfee00900);
	wr_gp(MSR_IA32_APIC_BASE, 0xfee00d00);
	wr_gp(MSR_IA32_APIC_BASE, 0xfed00900);
	wr_gp(MSR_IA32_APIC_BASE, 0xfee00a00);
	wr_gp(MSR_IA32_APIC_BASE, 0xfee00901);
	wr_gp(MSR_IA32_APIC_BASE, 0x1fee00900ULL << 20);
	assert_int_equal(rd_ok(MSR_IA32_APIC_BASE), 0xfee00900);
	/* IA32_FEATURE_CONTROL: VMX, SMX and SGX are hidden, so nothing enumerates it. */
	rd_gp(MSR_IA32_FEATURE_CONTROL);
	wr_gp(MSR_IA32_FEATURE_CONTROL, FEATURE_CONTROL_LOCKED);
	/* MISC_ENABLE: fast strings is the guest's; perfmon available, BTS/PEBS unavailable stay set. */
	assert_int_equal(rd_ok(MSR_IA32_MISC_ENABLE), 0x1881);
	wr_ok(MSR_IA32_MISC_ENABLE, 0x1880);
	wr_ok(MSR_IA32_MISC_ENABLE, 0x1881);
	wr_gp(MSR_IA32_MISC_ENABLE, 0x1081);
	wr_gp(MSR_IA32_MISC_ENABLE, 0x1801);
	wr_gp(MSR_IA32_MISC_ENABLE, 0x1881 | BIT(16));
	wr_gp(MSR_IA32_MISC_ENABLE, 0x1881 | BIT(34));
	/* IA32_BIOS_SIGN_ID: no microcode revision; the latch write is accepted. */
	assert_int_equal(rd_ok(MSR_IA32_BIOS_SIGN_ID), 0);
	wr_ok(MSR_IA32_BIOS_SIGN_ID, 0);
	assert_int_equal(rd_ok(MSR_IA32_BIOS_SIGN_ID), 0);
	/* MSR_PLATFORM_INFO is read-only. */
	rd_ok(MSR_PLATFORM_INFO);
	wr_gp(MSR_PLATFORM_INFO, 0);
}

/* Disabling through IA32_APIC_BASE resets the APIC, hides CPUID.1:EDX[9] and unmaps its page (SDM 11.4.3). */
static void test_apic_disable(void **state)
{
	(void)state;
	v.lapic.svr = 0x1ff;
	v.lapic.tpr = 0x20;
	wr_ok(MSR_IA32_APIC_BASE, 0xfee00100);
	assert_int_equal(rd_ok(MSR_IA32_APIC_BASE), 0xfee00100);
	assert_false(vlapic_hw_enabled(&v.lapic));
	assert_int_equal(vcpu_cpuid(&v, 1, 0).edx & BIT(9), 0);
	assert_int_equal(vlapic_mmio_read(&v, 0xfee00020, 4), 0xffffffff);
	vlapic_mmio_write(&v, 0xfee00080, 4, 0x30);
	wr_ok(MSR_IA32_APIC_BASE, 0xfee00900);
	assert_true(vcpu_cpuid(&v, 1, 0).edx & BIT(9) || !(cpu_cpuid(1, 0).edx & BIT(9)));
	/* Back in the power-up state, ID kept: software disabled, TPR 0. */
	assert_int_equal(vlapic_mmio_read(&v, 0xfee000f0, 4), 0xff);
	assert_int_equal(vlapic_mmio_read(&v, 0xfee00080, 4), 0);
	assert_int_equal(vlapic_mmio_read(&v, 0xfee00020, 4), 0);
}

/* WRMSR to the TSC moves TSC_ADJUST by the same amount, and the other way round (SDM 18.17.3). */
static void test_tsc_and_adjust(void **state)
{
	(void)state;
	env.m->tsc = 1000000;
	assert_int_equal(rd_ok(MSR_IA32_TSC_ADJUST), 0);
	wr_ok(MSR_IA32_TIME_STAMP_COUNTER, 5000000);
	/* The write saw host TSC 1001000: the guest runs 3999000 ahead of it. */
	assert_int_equal(v.tsc_offset, 3999000);
	assert_int_equal(vmr(TSC_OFFSET), 3999000);
	assert_int_equal(rd_ok(MSR_IA32_TSC_ADJUST), 3999000);
	assert_int_equal(rd_ok(MSR_IA32_TIME_STAMP_COUNTER), 5001000);
	wr_ok(MSR_IA32_TSC_ADJUST, 3999000 - 500);
	assert_int_equal(vmr(TSC_OFFSET), 3999000 - 500);
	assert_int_equal(rd_ok(MSR_IA32_TIME_STAMP_COUNTER), 5001500);
	/* Backwards too: the offset wraps as a 64-bit value. */
	wr_ok(MSR_IA32_TIME_STAMP_COUNTER, 0);
	assert_int_equal(rd_ok(MSR_IA32_TIME_STAMP_COUNTER), 1000);
	assert_int_equal(v.tsc_offset + env.m->tsc, 1000);
}

/* IA32_TSC_DEADLINE (SDM 11.5.4.1): present with the guest's clock; inert outside TSC-deadline mode. */
static void test_tsc_deadline(void **state)
{
	(void)state;
	rd_gp(MSR_IA32_TSC_DEADLINE); /* no clock measured: CPUID.1:ECX[24] is 0 */
	vlapic_timer_set_clock(&v.lapic, 50000, 25000);
	vlapic_write(&v.lapic, APIC_SVR, 0x1ff);
	vlapic_write(&v.lapic, APIC_LVT_TIMER, 0x40);
	wr_ok(MSR_IA32_TSC_DEADLINE, 123456789);
	assert_int_equal(rd_ok(MSR_IA32_TSC_DEADLINE), 0);
	vlapic_write(&v.lapic, APIC_LVT_TIMER, 0x40 | APIC_TIMER_TSC_DEADLINE);
	env.m->tsc = 1000000;
	wr_ok(MSR_IA32_TSC_DEADLINE, 5000000);
	assert_int_equal(rd_ok(MSR_IA32_TSC_DEADLINE), 5000000);
	/* A TSC write moves the guest's time, not the deadline: it is now due. */
	wr_ok(MSR_IA32_TIME_STAMP_COUNTER, 6000000);
	assert_int_equal(rd_ok(MSR_IA32_TSC_DEADLINE), 0);
	assert_int_equal(vlapic_pending_vector(&v.lapic), 0x40);
}

static void test_vmcs_msrs(void **state)
{
	static const struct {
		uint32_t msr;
		unsigned field;
	} nat[] = {
		{ MSR_IA32_SYSENTER_ESP, GUEST_SYSENTER_ESP },
		{ MSR_IA32_SYSENTER_EIP, GUEST_SYSENTER_EIP },
		{ MSR_IA32_FS_BASE, GUEST_FS_BASE },
		{ MSR_IA32_GS_BASE, GUEST_GS_BASE },
	};

	(void)state;
	wr_ok(MSR_IA32_SYSENTER_CS, 0x10);
	assert_int_equal(vmr(GUEST_SYSENTER_CS), 0x10);
	assert_int_equal(rd_ok(MSR_IA32_SYSENTER_CS), 0x10);
	for (unsigned i = 0; i < ARRAY_SIZE(nat); i++) {
		wr_ok(nat[i].msr, CANONICAL_HI + i);
		assert_int_equal(vmr(nat[i].field), CANONICAL_HI + i);
		assert_int_equal(rd_ok(nat[i].msr), CANONICAL_HI + i);
		wr_gp(nat[i].msr, NONCANONICAL);
		wr_gp(nat[i].msr, 0x7fff800000000000ULL);
		assert_int_equal(vmr(nat[i].field), CANONICAL_HI + i);
	}
}

static void test_efer(void **state)
{
	static const uint64_t reserved[] = { BIT(1), BIT(9), BIT(12), BIT(14), BIT(32), BIT(63) };

	(void)state;
	/* Paging off: SCE, LME, NXE are the guest's; LMA is read-only (0 stays 0). */
	wr_ok(MSR_IA32_EFER, EFER_SCE | EFER_LME | EFER_NXE);
	assert_int_equal(vmr(GUEST_IA32_EFER), 0x901);
	assert_int_equal(rd_ok(MSR_IA32_EFER), 0x901);
	wr_ok(MSR_IA32_EFER, EFER_LME | EFER_LMA);
	assert_int_equal(vmr(GUEST_IA32_EFER), EFER_LME);
	for (unsigned i = 0; i < ARRAY_SIZE(reserved); i++)
		wr_gp(MSR_IA32_EFER, EFER_LME | reserved[i]);
	assert_int_equal(vmr(GUEST_IA32_EFER), EFER_LME);
	/* Paging on, in long mode: LME cannot change (SDM 10.8.5), LMA stays 1 whatever is written. */
	env_guest64(&v);
	wr_ok(MSR_IA32_EFER, EFER_LME);
	assert_int_equal(vmr(GUEST_IA32_EFER), EFER_LME | EFER_LMA);
	wr_gp(MSR_IA32_EFER, EFER_SCE);
	assert_int_equal(vmr(GUEST_IA32_EFER), EFER_LME | EFER_LMA);
}

/* SCE, LME and NXE are reserved when the guest's CPUID hides SYSCALL, LM or NX: #GP, nothing loaded. */
static void test_efer_hidden_features(void **state)
{
	static const struct {
		uint64_t bit;
		unsigned edx_bit;
	} dep[] = { { EFER_SCE, 11 }, { EFER_NXE, 20 }, { EFER_LME, 29 } };

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(dep); i++) {
		struct cpuid_regs r = cpu_model_cpuid(env.m, 0x80000001, 0), saved = r;
		r.edx &= ~BIT(dep[i].edx_bit);
		cpu_model_set_cpuid(env.m, 0x80000001, 0, &r);
		wr_gp(MSR_IA32_EFER, dep[i].bit);
		assert_int_equal(vmr(GUEST_IA32_EFER), 0);
		cpu_model_set_cpuid(env.m, 0x80000001, 0, &saved);
		wr_ok(MSR_IA32_EFER, dep[i].bit);
		assert_int_equal(vmr(GUEST_IA32_EFER), dep[i].bit);
		wr_ok(MSR_IA32_EFER, 0);
	}
}

static void test_pat(void **state)
{
	static const unsigned bad[] = { 2, 3, 8, 0x10, 0xff };

	(void)state;
	wr_ok(MSR_IA32_PAT, 0x0001050400070406ULL); /* UC WC WT WP WB UC- */
	assert_int_equal(vmr(GUEST_IA32_PAT), 0x0001050400070406ULL);
	assert_int_equal(rd_ok(MSR_IA32_PAT), 0x0001050400070406ULL);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		for (unsigned byte = 0; byte < 8; byte += 7)
			wr_gp(MSR_IA32_PAT,
			      (0x0001050400070406ULL & ~(0xffULL << (8 * byte))) | ((uint64_t)bad[i] << (8 * byte)));
	assert_int_equal(vmr(GUEST_IA32_PAT), 0x0001050400070406ULL);
}

static void test_debugctl(void **state)
{
	(void)state;
	vmw(GUEST_IA32_DEBUGCTL, 0);
	wr_ok(MSR_IA32_DEBUGCTL, 0);
	/* LBR is accepted and dropped (no LBR virtualization): it reads back 0. */
	wr_ok(MSR_IA32_DEBUGCTL, BIT(0));
	assert_int_equal(vmr(GUEST_IA32_DEBUGCTL), 0);
	assert_int_equal(rd_ok(MSR_IA32_DEBUGCTL), 0);
	wr_gp(MSR_IA32_DEBUGCTL, BIT(1));  /* BTF */
	wr_gp(MSR_IA32_DEBUGCTL, BIT(6));  /* TR */
	wr_gp(MSR_IA32_DEBUGCTL, BIT(14)); /* FREEZE_WHILE_SMM */
	wr_gp(MSR_IA32_DEBUGCTL, BIT(32));
}

static void test_syscall_msrs(void **state)
{
	static const uint32_t addr_msrs[] = { MSR_IA32_LSTAR, MSR_IA32_CSTAR, MSR_IA32_KERNEL_GS_BASE };
	uint64_t *slot[] = { &v.msrs.lstar, &v.msrs.cstar, &v.msrs.kernel_gs_base };

	(void)state;
	/* Written through to the CPU (the guest is on it) and into the vCPU. */
	wr_ok(MSR_IA32_STAR, 0x0023001000000000ULL);
	assert_int_equal(v.msrs.star, 0x0023001000000000ULL);
	assert_int_equal(cpu_model_msr_value(env.m, MSR_IA32_STAR, 0), 0x0023001000000000ULL);
	wr_ok(MSR_IA32_FMASK, 0x47700);
	assert_int_equal(cpu_model_msr_value(env.m, MSR_IA32_FMASK, 0), 0x47700);
	for (unsigned i = 0; i < ARRAY_SIZE(addr_msrs); i++) {
		wr_ok(addr_msrs[i], CANONICAL_HI + i);
		assert_int_equal(*slot[i], CANONICAL_HI + i);
		assert_int_equal(cpu_model_msr_value(env.m, addr_msrs[i], 0), CANONICAL_HI + i);
		wr_gp(addr_msrs[i], NONCANONICAL);
		assert_int_equal(*slot[i], CANONICAL_HI + i);
		assert_int_equal(cpu_model_msr_value(env.m, addr_msrs[i], 0), CANONICAL_HI + i);
	}
	wr_ok(MSR_IA32_TSC_AUX, 0xfedcba98);
	assert_int_equal(v.msrs.tsc_aux, 0xfedcba98);
	wr_gp(MSR_IA32_TSC_AUX, BIT(32));
	assert_int_equal(cpu_model_msr_value(env.m, MSR_IA32_TSC_AUX, 0), 0xfedcba98);
	/* Reads come from the CPU. */
	cpu_model_set_msr(env.m, MSR_IA32_LSTAR, 0xffffffff81000000ULL, false);
	assert_int_equal(rd_ok(MSR_IA32_LSTAR), 0xffffffff81000000ULL);
	assert_int_equal(rd_ok(MSR_IA32_TSC_AUX), 0xfedcba98);
}

static const uint32_t pt_msrs[] = {
	MSR_IA32_RTIT_OUTPUT_BASE, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, MSR_IA32_RTIT_CTL,     MSR_IA32_RTIT_STATUS,
	MSR_IA32_RTIT_CR3_MATCH,   MSR_IA32_RTIT_ADDR0_A,          MSR_IA32_RTIT_ADDR1_B, MSR_IA32_RTIT_ADDR3_B,
};

static void test_pt_msrs_without_pt(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(pt_msrs); i++) {
		rd_gp(pt_msrs[i]);
		wr_gp(pt_msrs[i], 0);
	}
}

/* A PT backend that records what reaches it and answers msr * 100000001H. */
static unsigned pt_reads, pt_writes;
static uint32_t pt_last_msr;
static uint64_t pt_last_val;
static bool pt_accept = true;

static bool pt_rdmsr(struct vcpu *vc, uint32_t msr, uint64_t *val)
{
	assert_ptr_equal(vc, &v);
	pt_reads++;
	pt_last_msr = msr;
	*val = msr * 0x100000001ULL;
	return pt_accept;
}

static bool pt_wrmsr(struct vcpu *vc, uint32_t msr, uint64_t val)
{
	assert_ptr_equal(vc, &v);
	pt_writes++;
	pt_last_msr = msr;
	pt_last_val = val;
	return pt_accept;
}

/* It shows Intel PT in CPUID, as a backend with PT for the guest does: the MSRs exist then. */
static void pt_cpuid(struct vcpu *vc, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	(void)vc;
	if (leaf == 7 && sub == 0)
		r->ebx |= BIT(25);
}

static const struct pt_backend_ops pt_fake = {
	.name = "fake", .cpuid = pt_cpuid, .rdmsr = pt_rdmsr, .wrmsr = pt_wrmsr
};

static void test_pt_msrs_routed(void **state)
{
	static const uint32_t neighbours[] = { 0x55f, 0x562, 0x56f, 0x573, 0x57f, 0x588 };

	(void)state;
	v.pt_ops = &pt_fake;
	for (unsigned i = 0; i < ARRAY_SIZE(pt_msrs); i++) {
		assert_int_equal(rd_ok(pt_msrs[i]), pt_msrs[i] * 0x100000001ULL);
		assert_int_equal(pt_last_msr, pt_msrs[i]);
		wr_ok(pt_msrs[i], 0x123456789abcdef0ULL + i);
		assert_int_equal(pt_last_msr, pt_msrs[i]);
		assert_int_equal(pt_last_val, 0x123456789abcdef0ULL + i);
	}
	assert_int_equal(pt_reads, ARRAY_SIZE(pt_msrs));
	assert_int_equal(pt_writes, ARRAY_SIZE(pt_msrs));
	for (unsigned i = 0; i < ARRAY_SIZE(neighbours); i++) {
		rd_gp(neighbours[i]);
		wr_gp(neighbours[i], 0);
	}
	assert_int_equal(pt_reads + pt_writes, 2 * ARRAY_SIZE(pt_msrs));
	/* The PMU's MSRs are the vPMU's, not the backend's; with PT, _STATUS_RESET[55] exists. */
	wr_ok(MSR_IA32_PERF_GLOBAL_STATUS_RESET, PERF_GLOBAL_STATUS_TOPA_PMI);
	assert_int_equal(rd_ok(MSR_IA32_PERF_GLOBAL_STATUS), 0);
	assert_int_equal(pt_reads + pt_writes, 2 * ARRAY_SIZE(pt_msrs));
	/* The backend's refusal is the guest's #GP. */
	pt_accept = false;
	rd_gp(MSR_IA32_RTIT_CTL);
	wr_gp(MSR_IA32_RTIT_CTL, 1);
	pt_accept = true;
	v.pt_ops = &pt_backend_none;
}

/* The vPMU's MSRs through the exits: what Linux's check_hw_exists and its PMI handler do. */
static void test_pmu_msrs(void **state)
{
	(void)state;
	/* Counters read back what was written: EAX sign-extended to 48 bits (no full-width writes). */
	assert_int_equal(rd_ok(MSR_IA32_PMC0), 0);
	wr_ok(MSR_IA32_PMC0, 0xffff);
	assert_int_equal(rd_ok(MSR_IA32_PMC0), 0xffff);
	wr_ok(MSR_IA32_PMC0 + 1, 0x1234580000000ULL);
	assert_int_equal(rd_ok(MSR_IA32_PMC0 + 1), 0xffff80000000ULL);
	rd_gp(MSR_IA32_PMC0 + 2);
	wr_ok(MSR_IA32_PERFEVTSEL0 + 1, 0x53003c);
	assert_int_equal(rd_ok(MSR_IA32_PERFEVTSEL0 + 1), 0x53003c);
	wr_gp(MSR_IA32_PERFEVTSEL0, BIT(32));
	wr_gp(MSR_IA32_PERFEVTSEL0, BIT(21)); /* AnyThread is version 3's */
	rd_gp(MSR_IA32_PERFEVTSEL0 + 2);
	/* Two enable bits in GLOBAL_CTRL, no fixed counters. */
	wr_ok(MSR_IA32_PERF_GLOBAL_CTRL, 3);
	assert_int_equal(rd_ok(MSR_IA32_PERF_GLOBAL_CTRL), 3);
	wr_gp(MSR_IA32_PERF_GLOBAL_CTRL, BIT(32));
	assert_int_equal(rd_ok(MSR_IA32_FIXED_CTR_CTRL), 0);
	wr_ok(MSR_IA32_FIXED_CTR_CTRL, 0);
	wr_gp(MSR_IA32_FIXED_CTR_CTRL, BIT(0));
	/* GLOBAL_STATUS is read-only; without PT, _STATUS_RESET[55] is reserved. */
	v.pmu.global_status = PERF_GLOBAL_STATUS_TOPA_PMI | BIT(1);
	assert_int_equal(rd_ok(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_STATUS_TOPA_PMI | BIT(1));
	wr_gp(MSR_IA32_PERF_GLOBAL_STATUS, 0);
	wr_gp(MSR_IA32_PERF_GLOBAL_STATUS_RESET, PERF_GLOBAL_STATUS_TOPA_PMI);
	wr_ok(MSR_IA32_PERF_GLOBAL_STATUS_RESET, BIT(1) | PERF_GLOBAL_STATUS_COND_CHGD);
	assert_int_equal(rd_ok(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_STATUS_TOPA_PMI);
	assert_int_equal(rd_ok(MSR_IA32_PERF_GLOBAL_STATUS_RESET), 0);
	/* With PT in CPUID it clears the ToPA bit. */
	v.pt_ops = &pt_fake;
	wr_ok(MSR_IA32_PERF_GLOBAL_STATUS_RESET, PERF_GLOBAL_STATUS_TOPA_PMI);
	assert_int_equal(rd_ok(MSR_IA32_PERF_GLOBAL_STATUS), 0);
	v.pt_ops = &pt_backend_none;
	/* Linux's probe bit: performance monitoring available in IA32_MISC_ENABLE. */
	assert_true(rd_ok(MSR_IA32_MISC_ENABLE) & BIT(7));
}

/* MTRRs as a guest's firmware leaves them, with the SDM's reserved bits (SDM 12.11). */
static void test_mtrr_msrs(void **state)
{
	(void)state;
	assert_true(vcpu_has(&v, FEAT_MTRR));
	assert_int_equal(rd_ok(MSR_IA32_MTRRCAP), 0x508); /* 8 variable, fixed, WC */
	wr_gp(MSR_IA32_MTRRCAP, 0x508);
	assert_int_equal(rd_ok(MSR_IA32_MTRR_DEF_TYPE), 0x806);
	/* Linux's prepare_set: E and FE off, type UC; then back. */
	wr_ok(MSR_IA32_MTRR_DEF_TYPE, 0);
	assert_int_equal(rd_ok(MSR_IA32_MTRR_DEF_TYPE), 0);
	wr_ok(MSR_IA32_MTRR_DEF_TYPE, 0xc06);
	wr_gp(MSR_IA32_MTRR_DEF_TYPE, 0x807 /* type 7 */);
	wr_gp(MSR_IA32_MTRR_DEF_TYPE, 0x806 | BIT(12));
	wr_gp(MSR_IA32_MTRR_DEF_TYPE, 0x806 | BIT(8));
	assert_int_equal(rd_ok(MSR_IA32_MTRR_DEF_TYPE), 0xc06);
	/* Fixed ranges: eight type bytes each. */
	assert_int_equal(rd_ok(MSR_IA32_MTRR_FIX64K_00000), 0x0606060606060606ULL);
	wr_ok(MSR_IA32_MTRR_FIX16K_A0000, 0x0000000001010101ULL);
	assert_int_equal(rd_ok(MSR_IA32_MTRR_FIX16K_A0000), 0x0000000001010101ULL);
	wr_ok(MSR_IA32_MTRR_FIX4K_F8000, 0x0504060100050406ULL);
	wr_gp(MSR_IA32_MTRR_FIX4K_C0000, 0x0200000000000000ULL);
	rd_gp(0x251);
	rd_gp(0x267);
	rd_gp(0x270);
	/* Variable ranges: PHYSBASE type and reserved 11:8, PHYSMASK reserved 10:0, above MAXPHYADDR (40). */
	wr_ok(MSR_IA32_MTRR_PHYSBASE0 + 14, 0xff00000006ULL);
	assert_int_equal(rd_ok(MSR_IA32_MTRR_PHYSBASE0 + 14), 0xff00000006ULL);
	wr_ok(MSR_IA32_MTRR_PHYSBASE0 + 15, 0xff00000800ULL);
	wr_gp(MSR_IA32_MTRR_PHYSBASE0, 0x100);
	wr_gp(MSR_IA32_MTRR_PHYSBASE0, 3);
	wr_gp(MSR_IA32_MTRR_PHYSBASE0, BIT(40) | 6);
	wr_gp(MSR_IA32_MTRR_PHYSBASE0 + 1, 0x801);
	rd_gp(MSR_IA32_MTRR_PHYSBASE0 + 16);
}

/*
 * MSR_PLATFORM_INFO[15:8] follows the guest's CPUID: leaf 16H's base MHz, which is ptvisor's measured
 * TSC (vcpu_time), never the host's leaf; with no measurement 15H/16H are 0 and so is the ratio.
 */
static void test_platform_info(void **state)
{
	const struct cpuid_regs base = { 2100, 3500, 100, 0 };

	(void)state;
	cpu_model_set_cpuid(env.m, 0x16, 0, &base);
	assert_int_equal(rd_ok(MSR_PLATFORM_INFO), 0);
	vlapic_timer_set_clock(&v.lapic, 2345678, 25000);
	assert_int_equal(vcpu_cpuid(&v, 0x16, 0).eax, 2345);
	assert_int_equal(rd_ok(MSR_PLATFORM_INFO), 23ull << 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gp_sets_rf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed_value_msrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apic_disable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsc_and_adjust, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsc_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmcs_msrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_efer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_efer_hidden_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debugctl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syscall_msrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pt_msrs_without_pt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pt_msrs_routed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pmu_msrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mtrr_msrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_platform_info, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
