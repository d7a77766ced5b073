/* Control-register exits (exit_cr.c) on the CPU model: CR0/CR4 rules, long-mode activation, PAE PDPTEs, LMSW. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vcpu_env.h"
#include "dev/vlapic.h"
#include "../fixtures/cpu_fixtures.h"
#include "msr.h"
#include "vmx/exit.h"
#include "vmx/exit_reason.h"
#include "vmx/vmcs_init.h"

/* Exit qualification for control-register accesses (SDM 28.2.1, Table 28-3). */
#define MOV_TO_CR(cr, reg)   ((uint64_t)(cr) | ((uint64_t)(reg) << 8))
#define MOV_FROM_CR(cr, reg) (MOV_TO_CR(cr, reg) | (1u << 4))
#define LMSW(src)            ((3u << 4) | ((uint64_t)(src) << 16))
#define REG_RBX              3
#define PDPT                 0x5020ULL /* PAE CR3 needs only 32-byte alignment */

static struct vcpu v;

static int setup(void **state)
{
	(void)state;
	vcpu_env_setup(&v, &cpu_fixture_bochs_tigerlake, ENV_XCOMP_AVX512, NULL);
	assert_int_equal(vmx_ctls.cr0_fixed0, CR0_PE | CR0_NE | CR0_PG);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vcpu_env_teardown(&v);
	return 0;
}

/* MOV to CRn from RBX (3 bytes: 0F 22 /r). */
static enum exit_action mov_to_cr(unsigned cr, uint64_t val)
{
	v.regs.rbx = val;
	env_exit(&v, EXIT_REASON_CR_ACCESS, MOV_TO_CR(cr, REG_RBX), 3);
	return handle_cr_access(&v);
}

#define cr_ok(cr, val)                                                 \
	do {                                                           \
		assert_int_equal(mov_to_cr((cr), (val)), EXIT_RESUME); \
		expect_retired(3);                                     \
	} while (0)
#define cr_gp(cr, val)                                                 \
	do {                                                           \
		assert_int_equal(mov_to_cr((cr), (val)), EXIT_RESUME); \
		expect_gp();                                           \
	} while (0)

static void test_cr0(void **state)
{
	(void)state;
	/* Outside 64-bit mode only EBX counts; ET is hardwired; the real CR0 adds NE (fixed to 1). */
	cr_ok(0, 0xffffffff00000000ULL | CR0_PE | CR0_MP | CR0_WP | CR0_AM);
	assert_int_equal(vmr(CR0_READ_SHADOW), CR0_PE | CR0_MP | CR0_ET | CR0_WP | CR0_AM);
	assert_int_equal(vmr(GUEST_CR0), CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM);
	/* Caching off (CD with NW) is valid; so is leaving protected mode (unrestricted guest). */
	cr_ok(0, CR0_PE | CR0_CD | CR0_NW);
	assert_int_equal(vmr(GUEST_CR0), CR0_PE | CR0_ET | CR0_NE | CR0_NW | CR0_CD);
	/* SDM Vol. 2B MOV to CR0: PG without PE, NW without CD. Nothing changes. */
	cr_gp(0, CR0_PG | CR0_ET);
	cr_gp(0, CR0_PE | CR0_NW);
	assert_int_equal(vmr(CR0_READ_SHADOW), CR0_PE | CR0_ET | CR0_CD | CR0_NW);
	cr_ok(0, 0);
	assert_int_equal(vmr(CR0_READ_SHADOW), CR0_ET);
	assert_int_equal(vmr(GUEST_CR0), CR0_ET | CR0_NE);
	/* In real mode the #GP has no error code (SDM 27.2.1.3). */
	assert_int_equal(mov_to_cr(0, CR0_PG), EXIT_RESUME);
	assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | X86_VEC_GP);
	assert_int_equal(vmr(CR0_READ_SHADOW), CR0_ET);
	/* In 64-bit mode bits 63:32 are reserved. */
	env_guest64(&v);
	cr_gp(0, BIT(32) | vmr(CR0_READ_SHADOW));
	cr_ok(0, vmr(CR0_READ_SHADOW) | CR0_MP);
	assert_int_equal(vmr(CR0_READ_SHADOW), CR0_PE | CR0_MP | CR0_ET | CR0_WP | CR0_PG);
}

static void test_long_mode(void **state)
{
	(void)state;
	env_guest64(&v); /* for its page tables; back to protected mode, paging off, LME and PAE set */
	env_guest32(&v);
	vmw(GUEST_CR3, ENV_PML4);
	vmw(GUEST_CR4, vmr(GUEST_CR4) | CR4_PAE);
	vmw(GUEST_IA32_EFER, EFER_LME);
	vmw(GUEST_PDPTE0, 0x5a5a);
	/* Long mode needs PAE first (SDM 10.8.5). */
	vmw(CR4_READ_SHADOW, CR4_OSFXSR);
	vmw(GUEST_CR4, CR4_VMXE | CR4_OSFXSR);
	cr_gp(0, CR0_PE | CR0_PG);
	assert_int_equal(vmr(GUEST_IA32_EFER), EFER_LME);
	vmw(CR4_READ_SHADOW, CR4_OSFXSR | CR4_PAE);
	vmw(GUEST_CR4, CR4_VMXE | CR4_OSFXSR | CR4_PAE);
	/* Paging on with LME: IA-32e mode, so EFER.LMA and the "IA-32e mode guest" control (SDM 27.3.1.1). */
	cr_ok(0, CR0_PE | CR0_WP | CR0_PG);
	assert_int_equal(vmr(GUEST_IA32_EFER), EFER_LME | EFER_LMA);
	assert_true(v.efer_lma);
	assert_int_equal(vmr(VM_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST, ENTRY_IA32E_MODE_GUEST);
	assert_int_equal(v.entry_controls, vmr(VM_ENTRY_CONTROLS));
	assert_int_equal(vmr(GUEST_CR0), CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG);
	assert_int_equal(vmr(GUEST_PDPTE0), 0x5a5a); /* IA-32e paging has no PDPTE registers */
	/* In IA-32e mode PAE cannot be cleared (SDM 10.8.5). */
	cr_gp(4, CR4_OSFXSR);
	assert_int_equal(vmr(CR4_READ_SHADOW), CR4_OSFXSR | CR4_PAE);
	/* From compatibility mode (CS.L=0) paging off leaves IA-32e mode. */
	cr_ok(0, CR0_PE);
	assert_int_equal(vmr(GUEST_IA32_EFER), EFER_LME);
	assert_false(v.efer_lma);
	assert_int_equal(vmr(VM_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST, 0);
	assert_int_equal(v.entry_controls, vmr(VM_ENTRY_CONTROLS));
}

static void test_cr4(void **state)
{
	const uint64_t ok = CR4_PSE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE | CR4_SMEP;
	static const uint64_t bad[] = { CR4_VMXE, CR4_SMXE, CR4_LA57, BIT(15), BIT(19), BIT(24), BIT(32) };

	(void)state;
	cr_ok(4, ok);
	assert_int_equal(vmr(CR4_READ_SHADOW), ok);
	assert_int_equal(vmr(GUEST_CR4), ok | CR4_VMXE); /* the real CR4 keeps VMXE (fixed to 1) */
	/* VMXE and SMXE belong to features the guest does not see; the others are reserved on this CPU. */
	env_guest64(&v);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		cr_gp(4, ok | CR4_PAE | bad[i]);
	assert_int_equal(vmr(CR4_READ_SHADOW), CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE);
	/* PKE needs CPUID.7.0:ECX[3], which this CPU's CPUID lacks though IA32_VMX_CR4_FIXED1 allows it. */
	cr_gp(4, ok | CR4_PAE | CR4_PKE);
	struct cpuid_regs l7 = cpu_model_cpuid(env.m, 7, 0);
	l7.ecx |= BIT(3);
	cpu_model_set_cpuid(env.m, 7, 0, &l7);
	cr_ok(4, ok | CR4_PAE | CR4_PKE);
	assert_int_equal(vmr(GUEST_CR4), ok | CR4_PAE | CR4_PKE | CR4_VMXE);
}

/* Features the guest's CPUID hides: their CR4 bits are reserved (SDM Vol. 2B MOV to CR4). */
static void test_cr4_hidden_features(void **state)
{
	static const uint64_t hidden[] = { CR4_MCE, CR4_KL, CR4_CET, CR4_PKS, CR4_UINTR, CR4_LAM_SUP };

	(void)state;
	uint64_t shadow = vmr(CR4_READ_SHADOW);
	for (unsigned i = 0; i < ARRAY_SIZE(hidden); i++)
		cr_gp(4, CR4_PSE | hidden[i]);
	assert_int_equal(vmr(CR4_READ_SHADOW), shadow);
}

/* PCIDE: only in IA-32e mode with CR3[11:0] = 0; then CR0.PG cannot be cleared (SDM 4.10.1, MOV to CR0). */
static void test_pcide(void **state)
{
	(void)state;
	cr_gp(4, CR4_PSE | CR4_PCIDE); /* outside IA-32e mode */
	env_guest64(&v);
	const uint64_t base = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	vmw(GUEST_CR3, ENV_PML4 | 0x5);
	cr_gp(4, base | CR4_PCIDE);
	vmw(GUEST_CR3, ENV_PML4);
	cr_ok(4, base | CR4_PCIDE);
	assert_int_equal(vmr(GUEST_CR4) & CR4_PCIDE, CR4_PCIDE);
	/* Compatibility mode may leave long mode by clearing PG, but not with PCIDE set. */
	vmw(GUEST_CS_AR_BYTES, 0xc09b);
	cr_gp(0, CR0_PE | CR0_ET | CR0_WP);
	assert_int_equal(vmr(VM_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST, ENTRY_IA32E_MODE_GUEST);
	/* LA57 cannot change in IA-32e mode. */
	cr_gp(4, base | CR4_PCIDE | CR4_LA57);
}

static uint64_t *pdpt_setup(void)
{
	uint64_t *p = env_gpa(PDPT);

	vmw(GUEST_CR3, PDPT);
	vmw(CR4_READ_SHADOW, CR4_PAE);
	vmw(GUEST_CR4, CR4_PAE | CR4_VMXE);
	p[0] = 0x6001;
	p[1] = 0x8000000000000006ULL;    /* not present: reserved bits do not matter */
	p[2] = 0x7001 | BIT(3) | BIT(4); /* PWT, PCD */
	p[3] = 0xfffffff001ULL;          /* the highest frame below MAXPHYADDR (40 bits) */
	return p;
}

static void test_pae_pdptes(void **state)
{
	static const uint64_t reserved[] = { BIT(1), BIT(2), BIT(5), BIT(6), BIT(7), BIT(8), BIT(52), BIT(63) };
	uint64_t *p = pdpt_setup();

	(void)state;
	/* PAE paging with EPT: MOV to CR0 that turns paging on loads the PDPTEs (SDM 29.3.2.1, 4.4.1). */
	cr_ok(0, CR0_PE | CR0_PG);
	assert_int_equal(vmr(GUEST_PDPTE0), 0x6001);
	assert_int_equal(vmr(GUEST_PDPTE1), 0x8000000000000006ULL);
	assert_int_equal(vmr(GUEST_PDPTE2), 0x7019);
	assert_int_equal(vmr(GUEST_PDPTE3), 0xfffffff001ULL);
	/* A present PDPTE with a reserved bit: #GP, nothing loaded (SDM 4.4.1, Table 4-8). */
	cr_ok(0, CR0_PE);
	for (unsigned i = 0; i < ARRAY_SIZE(reserved); i++) {
		p[i & 3] = (i & 3) == 1 ? 0x9001 | reserved[i] : p[i & 3] | reserved[i];
		cr_gp(0, CR0_PE | CR0_PG);
		assert_int_equal(vmr(CR0_READ_SHADOW), CR0_PE | CR0_ET);
		pdpt_setup();
	}
	assert_int_equal(vmr(GUEST_PDPTE0), 0x6001);
	/* The PDPT where no RAM is: reads all ones, so reserved bits: #GP. */
	vmw(GUEST_CR3, 0xd0000000);
	cr_gp(0, CR0_PE | CR0_PG);
	/* MOV to CR4 that sets PAE with paging on loads them too. */
	pdpt_setup();
	p[0] = 0x4001;
	vmw(CR0_READ_SHADOW, CR0_PE | CR0_ET | CR0_PG);
	vmw(CR4_READ_SHADOW, 0);
	cr_ok(4, CR4_PAE);
	assert_int_equal(vmr(GUEST_PDPTE0), 0x4001);
}

static void test_lmsw(void **state)
{
	(void)state;
	vmw(CR0_READ_SHADOW, CR0_PE | CR0_MP | CR0_ET | CR0_WP);
	env_exit(&v, EXIT_REASON_CR_ACCESS, LMSW(CR0_TS | CR0_EM), 3);
	assert_int_equal(handle_cr_access(&v), EXIT_RESUME);
	expect_retired(3);
	assert_int_equal(vmr(CR0_READ_SHADOW), CR0_PE | CR0_EM | CR0_TS | CR0_ET | CR0_WP);
	/* LMSW loads bits 3:0 but cannot clear PE (SDM Vol. 2A LMSW). */
	env_exit(&v, EXIT_REASON_CR_ACCESS, LMSW(0), 3);
	assert_int_equal(handle_cr_access(&v), EXIT_RESUME);
	assert_int_equal(vmr(CR0_READ_SHADOW), CR0_PE | CR0_ET | CR0_WP);
	/* ... but it can set it. */
	env_guest16(&v);
	env_exit(&v, EXIT_REASON_CR_ACCESS, LMSW(CR0_PE | CR0_MP), 3);
	assert_int_equal(handle_cr_access(&v), EXIT_RESUME);
	expect_retired(3);
	assert_int_equal(vmr(CR0_READ_SHADOW), CR0_PE | CR0_MP | CR0_ET);
}

static void test_other_crs(void **state)
{
	(void)state;
	/* CR3 never exits with ptvisor's controls: one that does stops the guest. */
	assert_int_equal(mov_to_cr(3, 0x1000), EXIT_STOPPED);
	expect_stop(&v, -1, "(CR3, type 0)");
	memset(&v.stop, 0, sizeof(v.stop));
	env_exit(&v, EXIT_REASON_CR_ACCESS, MOV_FROM_CR(3, REG_RBX), 3);
	assert_int_equal(handle_cr_access(&v), EXIT_STOPPED);
	expect_stop(&v, -1, "(CR3, type 1)");
}

/* CR8 is the virtual APIC's TPR class, never the host's (SDM 11.8.6): TPR[7:4] = CR8[3:0]. */
static void test_cr8(void **state)
{
	(void)state;
	env_guest64(&v);
	cr_ok(8, 5);
	assert_int_equal(v.lapic.tpr, 0x50);
	assert_int_equal(vlapic_ppr(&v.lapic), 0x50);
	cr_gp(8, 0x10); /* bits 63:4 reserved */
	assert_int_equal(v.lapic.tpr, 0x50);
	v.lapic.tpr = 0xa7;
	v.regs.rbx = ~0ULL;
	env_exit(&v, EXIT_REASON_CR_ACCESS, MOV_FROM_CR(8, REG_RBX), 3);
	assert_int_equal(handle_cr_access(&v), EXIT_RESUME);
	expect_retired(3);
	assert_int_equal(v.regs.rbx, 0xa);
	/* Lowering it lets a pending interrupt through: the window exit is armed. */
	v.window_exiting = true;
	vlapic_write(&v.lapic, APIC_SVR, 0x1ff);
	cr_ok(8, 0xf);
	vlapic_set_irr(&v.lapic, 0x80);
	cr_ok(8, 0);
	assert_true(vmr(CPU_BASED_VM_EXEC_CONTROL) & CPU_INTR_WINDOW_EXITING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cr0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cr4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cr4_hidden_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cr8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pae_pdptes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lmsw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_crs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
