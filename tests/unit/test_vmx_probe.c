/* The boot-time capability table: exact lines, alignment and width on every fixture CPU. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "caps_env.h"
#include "cpu_model.h"
#include "msr.h"
#include "vmx/caps.h"
#include "vmx/probe.h"
#include "../fixtures/cpu_fixtures.h"

static void test_probe_misc14_line_each_cpu(void **state)
{
	static const char *const expect[] = { "no", "yes", "yes", "no", "no", "no" };
	char want[96];

	(void)state;
	assert_int_equal(cpu_fixtures_count, ARRAY_SIZE(expect));
	for (size_t i = 0; i < cpu_fixtures_count; i++) {
		struct vmx_caps c = caps_env_read(cpu_fixtures_all[i]);

		host_env_reset();
		vmx_probe_print(&c);
		snprintf(want, sizeof(want), "IA32_VMX_MISC[14] (Intel PT in VMX operation): %s", expect[i]);
		assert_string_equal(caps_env_line("IA32_VMX_MISC[14]"), want);
	}
}

static void test_probe_lines_fit(void **state)
{
	(void)state;
	for (size_t i = 0; i < cpu_fixtures_count; i++) {
		struct vmx_caps c = caps_env_read(cpu_fixtures_all[i]);
		const char *p;
		size_t lines = 0;

		host_env_reset();
		vmx_probe_print(&c);
		for (p = host_console_text(); *p; lines++) {
			const char *nl = strchr(p, '\n');

			assert_non_null(nl);
			if ((size_t)(nl - p) > PROBE_LINE_MAX)
				fail_msg("%s: %zu columns: %.*s", cpu_fixtures_all[i]->name, (size_t)(nl - p),
					 (int)(nl - p), p);
			/* Table lines put the colon (a blank on continuations) in one column. */
			if (lines > 0 && !(p[2 + PROBE_LABEL_WIDTH] == ':' && p[1 + PROBE_LABEL_WIDTH] != ' ') &&
			    strspn(p, " ") != 3 + PROBE_LABEL_WIDTH + 1)
				fail_msg("%s: misaligned: %.*s", cpu_fixtures_all[i]->name, (int)(nl - p), p);
			p = nl + 1;
		}
		assert_true(lines >= 10);
	}
}

static void test_probe_pt_controls(void **state)
{
	struct vmx_caps c = caps_env_read(&cpu_fixture_skylake_i7_6700k);

	(void)state;
	vmx_probe_print(&c);
	assert_string_equal(caps_env_line("secondary[19]"), "secondary[19] conceal VMX from PT: allowed");
	assert_string_equal(caps_env_line("secondary[24]"),
			    "secondary[24] PT uses guest-physical addresses: not allowed");
	assert_string_equal(caps_env_line("exit[24]"), "exit[24] conceal VMX from PT: allowed");
	assert_string_equal(caps_env_line("exit[25]"), "exit[25] clear IA32_RTIT_CTL: not allowed");
	assert_string_equal(caps_env_line("entry[17]"), "entry[17] conceal VMX from PT: allowed");
	assert_string_equal(caps_env_line("entry[18]"), "entry[18] load IA32_RTIT_CTL: not allowed");
	assert_string_equal(caps_env_line("CPUID.7.0:EBX[25]"), "CPUID.7.0:EBX[25] Intel PT: yes");
	assert_string_equal(caps_env_line("CPUID.14H.0:EBX"),
			    "CPUID.14H.0:EBX: 0x0000000f CR3-filter PSB/CYC IP-filter MTC");
	assert_string_equal(caps_env_line("CPUID.14H.0:ECX"),
			    "CPUID.14H.0:ECX: 0x00000007 ToPA ToPA-multi-entry single-range");
	assert_string_equal(caps_env_line("address ranges"), "CPUID.14H.1:EAX[2:0] address ranges: 2");
	assert_string_equal(caps_env_line("MTC period"),
			    "CPUID.14H.1:EAX[31:16] MTC period encodings: 0x0249: 0 3 6 9");
	assert_string_equal(caps_env_line("PSB freq"), "CPUID.14H.1:EBX[31:16] PSB frequencies: 0x003f: 0 1 2 3 4 5");

	c = caps_env_read(&cpu_fixture_icelake_i7_1065g7);
	host_env_reset();
	vmx_probe_print(&c);
	assert_string_equal(caps_env_line("secondary[24]"), "secondary[24] PT uses guest-physical addresses: allowed");
	assert_string_equal(caps_env_line("exit[25]"), "exit[25] clear IA32_RTIT_CTL: allowed");
	assert_string_equal(caps_env_line("entry[18]"), "entry[18] load IA32_RTIT_CTL: allowed");
}

static void test_probe_wraps_pt_words(void **state)
{
	struct cpu_model *m = cpu_model_load(&cpu_fixture_icelake_i7_1065g7);
	struct cpuid_regs every = { 1, 0x1ff, 0x8000000f, 0 };
	struct vmx_caps c;

	(void)state;
	cpu_model_set_cpuid(m, 0x14, 0, &every);
	vmx_caps_read(&c);
	vmx_probe_print(&c);
	assert_string_equal(caps_env_line("CPUID.14H.0:EBX"),
			    "CPUID.14H.0:EBX: 0x000001ff CR3-filter PSB/CYC IP-filter MTC");
	assert_string_equal(caps_env_line("PTWRITE"), "PTWRITE power-event PSB/PMI-preserve event-trace");
	assert_string_equal(caps_env_line("TNT-disable"), "TNT-disable");
	assert_string_equal(caps_env_line("CPUID.14H.0:ECX"),
			    "CPUID.14H.0:ECX: 0x8000000f ToPA ToPA-multi-entry single-range");
	assert_string_equal(caps_env_line("trace-transport"), "trace-transport IP-is-LIP");
}

static void test_probe_vmx_lines(void **state)
{
	struct vmx_caps c = caps_env_read(&cpu_fixture_bochs_tigerlake);

	(void)state;
	vmx_probe_print(&c);
	assert_true(host_console_contains("ptvisor: CPU, VMX and Intel PT capabilities:\n"));
	assert_string_equal(caps_env_line("family /"),
			    "family / model / stepping: 0x6 / 0x8c / 1 (CPUID.1:EAX 0x000806c1)");
	assert_string_equal(caps_env_line("IA32_FEATURE_CONTROL:"),
			    "IA32_FEATURE_CONTROL: 0x5: lock yes, VMX outside SMX yes");
	assert_string_equal(caps_env_line("IA32_VMX_BASIC:"), "IA32_VMX_BASIC: 0x01d8100000000004");
	assert_string_equal(caps_env_line("revision id"), "BASIC[30:0] VMCS revision id: 0x00000004");
	assert_string_equal(caps_env_line("region size"), "BASIC[44:32] VMXON/VMCS region size: 4096 bytes");
	assert_string_equal(caps_env_line("memory type"), "BASIC[53:50] VMCS memory type: 6 (WB)");
	assert_string_equal(caps_env_line("BASIC[55]"), "BASIC[55] TRUE control MSRs: yes");
	assert_string_equal(caps_env_line("BASIC[48]"), "BASIC[48] pointers limited to 32 bits: no (width 40 bits)");
	assert_string_equal(caps_env_line("pin-based"), "pin-based IA32_VMX_TRUE_PINBASED_CTLS: "
							"allowed-0 0x00000016 allowed-1 0x0000007f");
	assert_string_equal(caps_env_line("secondary IA32"), "secondary IA32_VMX_PROCBASED_CTLS2: "
							     "allowed-0 0x00000000 allowed-1 0x02977fff");
	assert_string_equal(caps_env_line("VM-exit"), "VM-exit IA32_VMX_TRUE_EXIT_CTLS: "
						      "allowed-0 0x00036dfb allowed-1 0x107fffff");
	assert_string_equal(caps_env_line("EPT 4-level"), "EPT 4-level walk / WB / UC: yes / yes / yes");
	assert_string_equal(caps_env_line("INVEPT"), "INVEPT, single-context / all-context: yes, yes / yes");
	assert_string_equal(caps_env_line("INVVPID"), "INVVPID, address / single / all: yes, yes / yes / yes");
	assert_string_equal(caps_env_line("accessed/dirty"), "EPT accessed/dirty flags: yes");
	assert_string_equal(caps_env_line("IA32_VMX_MISC:"), "IA32_VMX_MISC: 0x00000000600401e0");
	assert_string_equal(caps_env_line("CPUID.7.0:EBX[25]"), "CPUID.7.0:EBX[25] Intel PT: no");
	assert_false(host_console_contains("CPUID.14H"));
}

static void test_probe_no_vmx(void **state)
{
	struct vmx_caps c = caps_env_read(&cpu_fixture_amd_ryzen_1800x);

	(void)state;
	vmx_probe_print(&c);
	assert_string_equal(caps_env_line("CPU vendor"), "CPU vendor: AuthenticAMD");
	assert_string_equal(caps_env_line("CPUID.1:ECX.VMX[5]"), "CPUID.1:ECX.VMX[5]: no");
	assert_string_equal(caps_env_line("VMX capability MSRs"), "VMX capability MSRs: not read (no VMX)");
	assert_string_equal(caps_env_line("exit[25]"), "exit[25] clear IA32_RTIT_CTL: not allowed");
	assert_false(host_console_contains("IA32_VMX_BASIC"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_probe_misc14_line_each_cpu, caps_env_setup),
		cmocka_unit_test_setup(test_probe_lines_fit, caps_env_setup),
		cmocka_unit_test_setup(test_probe_pt_controls, caps_env_setup),
		cmocka_unit_test_setup(test_probe_wraps_pt_words, caps_env_setup),
		cmocka_unit_test_setup(test_probe_vmx_lines, caps_env_setup),
		cmocka_unit_test_setup(test_probe_no_vmx, caps_env_setup),
	};
	return cmocka_run_group_tests_name("vmx_probe", tests, NULL, NULL);
}
