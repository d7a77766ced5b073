/* The guest-state checker that names the field behind a failed VM entry (SDM 27.3.1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "caps_env.h"
#include "cpu_model.h"
#include "vmx/vmcs.h"
#include "vmx/vmcs_check.h"
#include "vmx/vmcs_init.h"
#include "vmx/vmxon.h"

static struct vmx_controls ctls;
static uint8_t region[4096] __attribute__((aligned(4096)));

/* The multiboot entry state vmcs_setup() gives a guest: 32-bit protected mode, paging off. */
static void write_valid_state(void)
{
	cpu_vmwrite(VM_ENTRY_CONTROLS, ctls.entry);
	cpu_vmwrite(GUEST_CR0, 0x31);   /* PE, ET, NE */
	cpu_vmwrite(GUEST_CR4, 0x2000); /* VMXE */
	cpu_vmwrite(GUEST_DR7, 0x400);
	cpu_vmwrite(GUEST_IA32_EFER, 0);
	cpu_vmwrite(GUEST_TR_AR_BYTES, 0x8b);
	cpu_vmwrite(GUEST_TR_SELECTOR, 0);
	cpu_vmwrite(GUEST_LDTR_AR_BYTES, 0x10000);
	cpu_vmwrite(GUEST_CS_AR_BYTES, 0xc09b);
	cpu_vmwrite(GUEST_RIP, 0x100018);
	cpu_vmwrite(GUEST_RFLAGS, 0x2);
	cpu_vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	cpu_vmwrite(GUEST_ACTIVITY_STATE, 0);
	cpu_vmwrite(VMCS_LINK_POINTER, ~0ULL);
}

static int setup(void **state)
{
	static uint8_t vmcs[4096] __attribute__((aligned(4096)));
	struct vmx_caps c = caps_env_read(&cpu_fixture_bochs_tigerlake);
	struct vmxon_report r;

	(void)state;
	host_env_reset();
	cpu_model_map_phys(cpu_model_current, 0x100000, region, sizeof(region));
	cpu_model_map_phys(cpu_model_current, 0x101000, vmcs, sizeof(vmcs));
	assert_int_equal(vmx_enter(&c, region, 0x100000, &r), 0);
	*(uint32_t *)vmcs = vmx_caps_revision_id(&c);
	assert_int_equal(cpu_vmptrld(0x101000), VMX_OK);
	/* The controls vmx_controls_decide() picks on this CPU, for the rules that depend on them. */
	ctls = (struct vmx_controls){
		.cpu2 = CPU2_ENABLE_EPT | CPU2_UNRESTRICTED_GUEST,
		.entry = ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_DEBUG_CONTROLS,
		.cr0_fixed0 = c.cr0_fixed0,
		.cr0_fixed1 = c.cr0_fixed1,
		.cr4_fixed0 = c.cr4_fixed0,
		.cr4_fixed1 = c.cr4_fixed1,
	};
	write_valid_state();
	host_env_reset();
	return 0;
}

/* Breaks one field and expects the named rule. */
static void expect_problem(unsigned field, uint64_t value, const char *fragment)
{
	char buf[160];

	write_valid_state();
	cpu_vmwrite(field, value);
	assert_true(vmcs_guest_state_problem(&ctls, buf, sizeof(buf)));
	if (!strstr(buf, fragment))
		fail_msg("field 0x%x = 0x%llx: got \"%s\", expected \"%s\"", field, (unsigned long long)value, buf,
			 fragment);
}

static void test_valid_state_passes(void **state)
{
	char buf[160] = "";

	(void)state;
	assert_false(vmcs_guest_state_problem(&ctls, buf, sizeof(buf)));
}

static void test_each_rule_names_its_field(void **state)
{
	(void)state;
	expect_problem(GUEST_CR0, 0x11, "GUEST_CR0 0x11 breaks IA32_VMX_CR0_FIXED0/1"); /* NE clear */
	expect_problem(GUEST_CR0, 0x80000030, "PG set without PE");
	expect_problem(GUEST_CR0, 0x20000031, "NW set without CD");
	expect_problem(GUEST_CR4, 0, "GUEST_CR4 0x0 breaks IA32_VMX_CR4_FIXED0/1"); /* VMXE clear */
	expect_problem(GUEST_DR7, 1ULL << 40, "GUEST_DR7");
	expect_problem(GUEST_IA32_EFER, 1ULL << 10, "LMA differs from \"IA-32e mode guest\"");
	expect_problem(GUEST_TR_AR_BYTES, 0x10000, "TR must be a usable, present, busy TSS");
	expect_problem(GUEST_TR_AR_BYTES, 0x89, "TR must be a usable, present, busy TSS"); /* not busy */
	expect_problem(GUEST_TR_SELECTOR, 4, "TI must be 0");
	expect_problem(GUEST_LDTR_AR_BYTES, 0x82 & ~0x80, "a usable LDTR must be a present LDT");
	expect_problem(GUEST_CS_AR_BYTES, 0xc01b, "CS not present");
	expect_problem(GUEST_RIP, 0x100000000ULL, "GUEST_RIP 0x100000000: bits 63:32 must be 0");
	expect_problem(GUEST_RFLAGS, 0, "bit 1 must be 1");
	expect_problem(GUEST_RFLAGS, 0x8002, "reserved bits 0");
	expect_problem(GUEST_INTERRUPTIBILITY_INFO, 1, "blocking by STI with RFLAGS.IF=0");
	expect_problem(GUEST_ACTIVITY_STATE, 7, "GUEST_ACTIVITY_STATE 7");
	expect_problem(VMCS_LINK_POINTER, 0, "VMCS_LINK_POINTER 0x0 must be all ones");
}

static void test_ia32e_rules(void **state)
{
	char buf[160];

	(void)state;
	write_valid_state();
	cpu_vmwrite(VM_ENTRY_CONTROLS, ctls.entry | ENTRY_IA32E_MODE_GUEST);
	assert_true(vmcs_guest_state_problem(&ctls, buf, sizeof(buf)));
	assert_non_null(strstr(buf, "\"IA-32e mode guest\" needs CR0.PG and CR4.PAE"));
	/* A consistent 64-bit state passes; then a non-canonical RIP and L+D are named. */
	cpu_vmwrite(GUEST_CR0, 0x80000031);
	cpu_vmwrite(GUEST_CR4, 0x2020);
	cpu_vmwrite(GUEST_IA32_EFER, (1ULL << 10) | (1ULL << 8));
	cpu_vmwrite(GUEST_CS_AR_BYTES, 0xa09b);
	cpu_vmwrite(GUEST_RIP, 0xffffffff80001000ULL);
	assert_false(vmcs_guest_state_problem(&ctls, buf, sizeof(buf)));
	cpu_vmwrite(GUEST_RIP, 0x0000800000000000ULL);
	assert_true(vmcs_guest_state_problem(&ctls, buf, sizeof(buf)));
	assert_non_null(strstr(buf, "is not canonical"));
	cpu_vmwrite(GUEST_RIP, 0x1000);
	cpu_vmwrite(GUEST_CS_AR_BYTES, 0xe09b);
	assert_true(vmcs_guest_state_problem(&ctls, buf, sizeof(buf)));
	assert_non_null(strstr(buf, "L and D/B both set"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_valid_state_passes, setup),
		cmocka_unit_test_setup(test_each_rule_names_its_field, setup),
		cmocka_unit_test_setup(test_ia32e_rules, setup),
	};
	return cmocka_run_group_tests_name("vmcs_check", tests, NULL, NULL);
}
