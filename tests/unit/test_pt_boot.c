/* The PT boot report on every capability fixture, the host ToPA buffer, the VMX bits and the dump frame. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "phys_arena.h"
#include "pt_hw_rig.h"
#include "msr.h"
#include "mem/frame.h"
#include "pt/pt_boot.h"
#include "pt/pt_hc.h"
#include "ept/ept_walk.h"
#include "hypercall_abi.h"
#include "lib/string.h"
#include "pt/pt_guest.h"
#include "pt/hw/pt_hw.h"
#include "pt/emul/pt_emul.h"
#include "vmx/pt_backend.h"
#include "../fixtures/cpu_fixtures.h"

#define MiB (1024ULL * 1024)

static struct vmx_caps caps;
static struct pt_decision d;
static struct cpu_model *m;

/* Firmware's RTIT MSRs at hand-over (test_firmware_tracing); ctl 0 = none. */
static struct {
	uint64_t ctl, base, mask, status;
} fw;

static void boot(const struct cpu_fixture *f, enum pt_mode mode, enum pt_backend backend)
{
	const struct mem_range map[] = { { 1 * MiB, 31 * MiB, MEM_USABLE } };

	host_env_reset();
	phys_arena_init(32 * MiB);
	frame_init(map, 1, NULL, 0);
	m = rig_load(f);
	/* ptvisor boots before VMXON: the firmware's state is written outside VMX operation. */
	m->vmx_operation = false;
	if (fw.ctl && cpu_model_msr(m, MSR_IA32_RTIT_CTL)) {
		assert_true(cpu_wrmsr_safe(MSR_IA32_RTIT_OUTPUT_BASE, fw.base));
		assert_true(cpu_wrmsr_safe(MSR_IA32_RTIT_OUTPUT_MASK_PTRS, fw.mask));
		assert_true(cpu_wrmsr_safe(MSR_IA32_RTIT_STATUS, fw.status));
		assert_true(cpu_wrmsr_safe(MSR_IA32_RTIT_CTL, fw.ctl));
	}
	m->log_len = 0;
	vmx_caps_read(&caps);
	pt_decide(&caps, mode, backend, &d);
	pt_decision_print(&d);
	pt_boot_init(&caps, &d); /* as kmain: before VMXON */
	m->vmx_operation = true;
}

static int teardown(void **state)
{
	(void)state;
	phys_arena_free();
	return 0;
}

static void test_bochs(void **state)
{
	(void)state;
	boot(&cpu_fixture_bochs_tigerlake, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
	assert_true(host_console_contains("pt_mode in force: host-guest (requested host-guest); host "
					  "tracing off; guest PT backend emulated"));
	assert_true(host_console_contains("PT: hardware path idle (no host tracing, no hardware guest "
					  "PT); RTIT MSR accesses per exit: 0"));
	assert_false(pt_rt.hw_active);
	assert_int_equal(pt_rt.vmx.cpu2 | pt_rt.vmx.exit | pt_rt.vmx.entry, 0);
	assert_int_equal(rig_rtit_ops(m, 0), 0);
	/* system mode falls back, and still nothing touches PT */
	boot(&cpu_fixture_bochs_tigerlake, PT_MODE_SYSTEM, PT_BACKEND_AUTO);
	assert_true(host_console_contains("pt_mode=system requested but this CPU has no Intel PT"));
	assert_false(pt_rt.hw_active);
}

static void test_icelake(void **state)
{
	uint64_t *t;
	(void)state;
	boot(&cpu_fixture_icelake_i7_1065g7, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
	assert_true(host_console_contains("guest PT backend hw"));
	assert_true(host_console_contains("PT: host trace into 1024 KiB at 0x"));
	assert_true(host_console_contains("IA32_RTIT_CTL 0x2505"));
	assert_true(host_console_contains("PT: VMX controls + secondary 01080000 exit 03000000 entry "
					  "00060000; RTIT MSR accesses per exit: 2 with the guest not "
					  "tracing, 14 with it tracing"));
	assert_true(host_console_contains("PT for guest (default): 14H.0 00000001 0000000f 00000007"));
	assert_true(pt_rt.hw_active);
	/* the host trace runs: ToPA table with one INT|STOP region of 2^8 pages, then END to itself */
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0), pt_host_ctl(PT_MODE_HOST_GUEST));
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_OUTPUT_BASE, 0), pt_rt.buf.table);
	t = (uint64_t *)phys_arena_at(pt_rt.buf.table);
	assert_int_equal(t[0], pt_rt.buf.region | (8 << TOPA_SIZE_SHIFT) | TOPA_INT | TOPA_STOP);
	assert_int_equal(t[1], pt_rt.buf.table | TOPA_END);
	assert_true(IS_ALIGNED(pt_rt.buf.region, MiB));
	/* pt_backend=emulated: conceal only, no RTIT_CTL controls */
	boot(&cpu_fixture_icelake_i7_1065g7, PT_MODE_HOST_GUEST, PT_BACKEND_EMULATED);
	assert_int_equal(pt_rt.vmx.cpu2, CPU2_CONCEAL_VMX_FROM_PT);
	assert_int_equal(pt_rt.vmx.entry, ENTRY_CONCEAL_VMX_FROM_PT);
	assert_true(host_console_contains("RTIT MSR accesses per exit: 2 with the guest not tracing, "
					  "2 with it tracing"));
}

/* The guest hardware path conceals VMX from PT even with the host not tracing (SDM 33.5.1). */
static void test_hw_guests_conceal(void **state)
{
	struct pt_vmx_bits bits;
	(void)state;
	boot(&cpu_fixture_icelake_i7_1065g7, PT_MODE_HOST_GUEST, PT_BACKEND_HW);
	d.host_trace = false;
	pt_vmx_bits(&d, &caps, &bits);
	assert_int_equal(bits.cpu2, CPU2_CONCEAL_VMX_FROM_PT | CPU2_PT_USE_GPA);
	assert_int_equal(bits.exit, EXIT_CONCEAL_VMX_FROM_PT | EXIT_CLEAR_RTIT_CTL);
	assert_int_equal(bits.entry, ENTRY_CONCEAL_VMX_FROM_PT | ENTRY_LOAD_RTIT_CTL);
}

/*
 * Firmware hands over with Intel PT tracing into a buffer of its own, inside
 * memory the frame allocator hands out (MISC[14]=1, so VMXON keeps it on).
 * ptvisor reads IA32_RTIT_CTL before any other RTIT MSR, clears TraceEn
 * before writing any other (the model #GPs those writes while TraceEn=1),
 * reports what was there, and traces the host into its own buffer: the
 * firmware's OUTPUT_BASE is never live again with TraceEn=1.
 */
static void test_firmware_tracing(void **state)
{
	long first_wr;
	(void)state;
	fw.ctl = RTIT_CTL_TRACEEN | RTIT_CTL_TOPA | RTIT_CTL_BRANCHEN | RTIT_CTL_OS | RTIT_CTL_USER;
	fw.base = 0x01e00000, fw.mask = 0x0000012300000000ULL | 0x7f, fw.status = 0;
	boot(&cpu_fixture_icelake_i7_1065g7, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
	fw.ctl = 0;
	/* the first RTIT access reads CTL: nothing was written before it was known */
	for (size_t i = 0; i < m->log_len; i++)
		if ((m->log[i].op == CPU_OP_RDMSR || m->log[i].op == CPU_OP_WRMSR) &&
		    cpu_model_is_rtit_msr((uint32_t)m->log[i].index)) {
			assert_int_equal(m->log[i].op, CPU_OP_RDMSR);
			assert_int_equal(m->log[i].index, MSR_IA32_RTIT_CTL);
			break;
		}
	first_wr = cpu_model_find(m, CPU_OP_WRMSR, MSR_IA32_RTIT_CTL, 0);
	assert_true(first_wr >= 0);
	assert_int_equal(m->log[first_wr].value & RTIT_CTL_TRACEEN, 0);
	assert_true(cpu_model_find(m, CPU_OP_WRMSR, MSR_IA32_RTIT_OUTPUT_BASE, 0) > first_wr);
	assert_int_equal(cpu_model_msr(m, MSR_IA32_RTIT_OUTPUT_BASE)->faults, 0);
	assert_int_equal(cpu_model_msr(m, MSR_IA32_RTIT_CTL)->faults, 0);
	assert_true(host_console_contains("PT: firmware left Intel PT tracing on: IA32_RTIT_CTL 0x210d, "
					  "OUTPUT_BASE 0x1e00000, OUTPUT_MASK_PTRS 0x1230000007f, STATUS 0x0; "
					  "stopped, its buffer is never used"));
	/* the host traces into its own buffer */
	assert_true(pt_rt.cpu.host_trace);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_OUTPUT_BASE, 0), pt_rt.buf.table);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0), pt_host_ctl(PT_MODE_HOST_GUEST));
	boot(&cpu_fixture_skylake_i7_6700k, PT_MODE_HOST_GUEST, PT_BACKEND_OFF);
	assert_false(host_console_contains("firmware left")); /* CTL 0: nothing to report */
	/* CTL left configured but not tracing: cleared and said */
	fw.ctl = RTIT_CTL_TOPA | RTIT_CTL_BRANCHEN, fw.base = 0x01e00000, fw.mask = 0x7f;
	boot(&cpu_fixture_nested_l1, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO); /* no PT: nothing read */
	assert_int_equal(rig_rtit_ops(m, 0), 0);
	boot(&cpu_fixture_broadwell_i7_5600u, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
	fw.ctl = 0;
	assert_true(host_console_contains("PT: firmware left IA32_RTIT_CTL 0x2100 (TraceEn=0), OUTPUT_BASE "
					  "0x1e00000; cleared"));
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 1), 0);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_OUTPUT_BASE, 1), 0);
}

static void test_skylake_modes(void **state)
{
	(void)state;
	boot(&cpu_fixture_skylake_i7_6700k, PT_MODE_SYSTEM, PT_BACKEND_AUTO);
	assert_true(host_console_contains("pt_mode in force: system"));
	assert_int_equal(pt_rt.vmx.cpu2 | pt_rt.vmx.exit | pt_rt.vmx.entry, 0); /* nothing concealed */
	assert_int_equal(pt_rt.cpu.host_ctl & RTIT_CTL_USER, RTIT_CTL_USER);
	assert_true(host_console_contains("RTIT MSR accesses per exit: 0 with the guest not tracing, 0"));
	boot(&cpu_fixture_skylake_i7_6700k, PT_MODE_HOST, PT_BACKEND_AUTO);
	assert_int_equal(pt_rt.vmx.exit, EXIT_CONCEAL_VMX_FROM_PT);
	assert_true(host_console_contains("RTIT MSR accesses per exit: 2 with the guest not tracing, 2"));
	boot(&cpu_fixture_skylake_i7_6700k, PT_MODE_HOST_GUEST, PT_BACKEND_HW);
	assert_true(host_console_contains("pt_backend=hw unavailable (missing secondary[24] entry[18] "
					  "exit[25])"));
	boot(&cpu_fixture_skylake_i7_6700k, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
	assert_true(host_console_contains("guest hardware PT refused (missing secondary[24] entry[18] exit[25])"));
	assert_int_equal(pt_rt.vmx.entry & ENTRY_LOAD_RTIT_CTL, 0);
}

static void test_broadwell_and_nested(void **state)
{
	(void)state;
	boot(&cpu_fixture_broadwell_i7_5600u, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
	assert_true(host_console_contains("IA32_VMX_MISC[14]=0"));
	assert_false(pt_rt.hw_active);
	/* the fixture's firmware left CTL 0x2100 (TraceEn=0): read, outputs read, all four reset (pt_fw.c) */
	assert_true(host_console_contains("PT: firmware left IA32_RTIT_CTL 0x2100 (TraceEn=0)"));
	assert_int_equal(rig_rtit_ops(m, 0), 8);
	boot(&cpu_fixture_nested_l1, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
	assert_true(host_console_contains("PT: hardware path idle"));
	assert_false(pt_rt.hw_active);
	boot(&cpu_fixture_amd_ryzen_1800x, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
	assert_true(host_console_contains("guest PT backend off"));
	assert_true(host_console_contains("PT: hardware path idle"));
	assert_int_equal(rig_rtit_ops(m, 0), 0);
}

/* The measured per-exit counts (test_pt_hw_switch) match what the boot report promises. */
static void test_expected_matches_rig(void **state)
{
	static const enum pt_mode modes[] = { PT_MODE_SYSTEM, PT_MODE_HOST, PT_MODE_HOST_GUEST };
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		for (unsigned host = 0; host < 2; host++)
			for (unsigned tracing = 0; tracing < 2; tracing++) {
				struct pt_hw_cpu cpu;
				struct pt_guest g;
				struct vcpu_stats st = { 0 };
				bool hw = modes[i] == PT_MODE_HOST_GUEST;

				boot(&cpu_fixture_icelake_i7_1065g7, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
				m = rig_load(&cpu_fixture_icelake_i7_1065g7);
				rig_controls(hw, hw, hw);
				pt_hw_cpu_init(&cpu, modes[i], host, pt_host_ctl(modes[i]));
				pt_hw_guest_init(&g, hw ? PT_BACKEND_HW : PT_BACKEND_OFF, &pt_rt.guest_caps);
				if (host)
					pt_hw_host_start(&cpu, 0x200000);
				if (tracing && hw)
					rig_guest_start(&cpu, &g, 0x3000);
				assert_int_equal(rig_run(&cpu, &g, hw, 3, &st), 0);
				assert_int_equal(st.rtit_msr_last_exit,
						 pt_expected_accesses(modes[i], host, tracing && hw));
			}
}

/* The host trace as a PTV-TRACE v1 frame: header, base64 lines, trailer. */
static void test_dump(void **state)
{
	(void)state;
	assert_int_equal(pt_crc32(0, "123456789", 9), 0xcbf43926);
	boot(&cpu_fixture_icelake_i7_1065g7, PT_MODE_HOST, PT_BACKEND_AUTO);
	memcpy(phys_arena_at(pt_rt.buf.region), "hello", 5);
	/* the CPU advanced the output offset by 5 bytes */
	cpu_model_msr(m, MSR_IA32_RTIT_CTL)->value = 0;
	cpu_model_msr(m, MSR_IA32_RTIT_OUTPUT_MASK_PTRS)->value = (5ULL << 32) | 0x7f;
	cpu_model_msr(m, MSR_IA32_RTIT_CTL)->value = pt_rt.cpu.host_ctl;
	host_env_reset();
	pt_boot_finish(true);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 1), 0);
	assert_true(host_console_contains("PT: host trace stopped: 5 bytes"));
	assert_true(host_console_contains("PTV-TRACE-BEGIN v1 name=host bytes=5 crc32=3610a686\n"
					  "D 0 aGVsbG8=\nPTV-TRACE-END name=host lines=1\n"));
}

/* PTV_HC_PT_HOST_READ: privileged guests only, tracing paused for the copy and resumed. */
static void test_hypercall_read(void **state)
{
	static struct vcpu v;
	static struct ept ept;
	const struct ept_caps ec = { .pages_2m = true, .wb = true };
	paddr_t ram;
	(void)state;
	boot(&cpu_fixture_icelake_i7_1065g7, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
	memcpy(phys_arena_at(pt_rt.buf.region), "0123456789", 10);
	cpu_model_msr(m, MSR_IA32_RTIT_CTL)->value = 0;
	cpu_model_msr(m, MSR_IA32_RTIT_OUTPUT_MASK_PTRS)->value = (10ULL << 32) | 0x7f;
	cpu_model_msr(m, MSR_IA32_RTIT_CTL)->value = pt_rt.cpu.host_ctl;
	memset(&v, 0, sizeof(v));
	ram = frame_alloc_contig(512, 512);
	assert_int_not_equal(ram, 0);
	assert_int_equal(ept_init(&ept, &ec), 0);
	assert_int_equal(ept_map(&ept, 0, ram, 2 * MiB, EPT_RWX, EPT_MT_WB), 0);
	v.mem = (struct vcpu_mem){ &ept, NULL, ram, 2 * MiB };
	assert_int_equal(pt_hc_host_read(&v, 0x1000, 100, 0), PTV_HC_EPERM);
	v.privileged = true;
	assert_int_equal(pt_hc_host_read(&v, 0x1000, 4, 3), 4);
	assert_memory_equal(phys_arena_at(ram + 0x1000), "3456", 4);
	assert_int_equal(pt_hc_host_read(&v, 0x2000, 100, 0), 10);
	assert_int_equal(pt_hc_host_read(&v, 0x2000, 100, 10), 0);
	assert_int_equal(pt_hc_host_read(&v, 2 * MiB - 4, 10, 0), PTV_HC_EFAULT);
	assert_int_equal(cpu_model_msr_value(m, MSR_IA32_RTIT_CTL, 0), pt_rt.cpu.host_ctl);
	assert_int_equal(m->fault_count, 0);
	ept_destroy(&ept);
	/* no host trace (Bochs): nothing to read */
	boot(&cpu_fixture_bochs_tigerlake, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
	assert_int_equal(pt_hc_host_read(&v, 0x1000, 4, 0), PTV_HC_ENOSYS);
}

static struct vcpu vs[3];
static struct pt_guest pgs[3];

static void attach(unsigned i, const char *name, bool pt, const char *spec)
{
	struct pt_guest_config c = { .pt = pt, .pt_caps = spec };

	memset(&vs[i], 0, sizeof(vs[i]));
	vs[i].id = i;
	vs[i].name = name;
	vs[i].pt_ops = &pt_backend_none;
	pt_guest_attach(&pgs[i], &vs[i], &c);
}

/* What the VMX core reaches through the hooks: backend per guest from boot, pt=off, pt_caps=, CPUID, MSRs. */
static void test_guest_glue(void **state)
{
	struct cpuid_regs r;
	uint64_t v;
	(void)state;
	boot(&cpu_fixture_icelake_i7_1065g7, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
	attach(0, "full", true, "");
	attach(1, "nopt", false, "");
	attach(2, "small", true, "topa,cr3");
	/* host tracing runs, so every guest gets the hardware path's entry/exit pair */
	for (unsigned i = 0; i < 3; i++)
		assert_ptr_equal(vs[i].pt_ops, &pt_hw_ops);
	assert_ptr_equal(vs[0].pt, &pgs[0]);
	r = (struct cpuid_regs){ 0, 0, 0, 0 };
	vcpu_pt_cpuid(&vs[0], 7, 0, &r);
	assert_true(r.ebx & BIT(25));
	assert_true(host_console_contains("PT for guest full: 14H.0 00000001 0000000f 00000007"));
	vcpu_pt_cpuid(&vs[2], 0x14, 0, &r);
	assert_int_equal(r.ebx, 0x1);
	assert_int_equal(r.ecx, 0x1);
	assert_true(host_console_contains("PT for guest small: 14H.0 00000001 00000001 00000001"));
	r = (struct cpuid_regs){ 0, BIT(25), 0, 0 };
	vcpu_pt_cpuid(&vs[1], 7, 0, &r);
	assert_int_equal(r.ebx, BIT(25)); /* not the hw path's: left as the filter made it */
	assert_int_equal(pgs[1].backend, PT_BACKEND_OFF);
	assert_false(vcpu_pt_rdmsr(&vs[1], MSR_IA32_RTIT_CTL, &v));
	assert_false(vcpu_pt_rdmsr(&vs[1], MSR_IA32_PERF_GLOBAL_STATUS, &v));
	/* MSRs through the rules; a refused one #GPs */
	assert_true(vcpu_pt_wrmsr(&vs[0], MSR_IA32_RTIT_OUTPUT_BASE, 0x5000));
	assert_true(vcpu_pt_rdmsr(&vs[0], MSR_IA32_RTIT_OUTPUT_BASE, &v));
	assert_int_equal(v, 0x5000);
	assert_false(vcpu_pt_wrmsr(&vs[2], MSR_IA32_RTIT_ADDR0_A, 0x1000));
	assert_false(vcpu_pt_rdmsr(&vs[0], 0x573, &v));
	/* The ToPA PMI's status MSRs are the vCPU's PMU's (vpmu.c), which the backend points at. */
	assert_false(vcpu_pt_rdmsr(&vs[0], MSR_IA32_PERF_GLOBAL_STATUS, &v));
	assert_false(vcpu_pt_wrmsr(&vs[0], MSR_IA32_PERF_GLOBAL_STATUS_RESET, PERF_GLOBAL_STATUS_TOPA_PMI));
	assert_ptr_equal(pgs[0].pmu, &vs[0].pmu);
	assert_false(pgs[0].pmi_pending);
	/* a bad pt_caps= leaves that guest without PT */
	vcpu_pt_release(&vs[2]);
	attach(2, "small", true, "topa,ptwrite");
	r = (struct cpuid_regs){ 0, BIT(25), 0, 0 };
	vcpu_pt_cpuid(&vs[2], 7, 0, &r);
	assert_int_equal(r.ebx, 0);
	assert_true(host_console_contains("guest small: pt_caps=topa,ptwrite refused"));
	assert_false(vcpu_pt_rdmsr(&vs[2], MSR_IA32_RTIT_CTL, &v));
	for (unsigned i = 0; i < 3; i++)
		vcpu_pt_release(&vs[i]);
	/* Bochs: emulated guests, no hardware hooks; pt=off guests see a CPU without PT */
	boot(&cpu_fixture_bochs_tigerlake, PT_MODE_HOST_GUEST, PT_BACKEND_AUTO);
	attach(0, "emu", true, "");
	attach(1, "off", false, "");
	assert_ptr_equal(vs[0].pt_ops, &pt_emul_ops);
	assert_null(vs[0].pt_ops->before_entry);
	assert_ptr_equal(vs[1].pt_ops, &pt_backend_none);
	assert_true(host_console_contains("PT for guest emu: 14H.0 00000001 00000007 00000007"));
	/* host tracing with emulated guests: both halves */
	boot(&cpu_fixture_icelake_i7_1065g7, PT_MODE_HOST_GUEST, PT_BACKEND_EMULATED);
	attach(0, "emu", true, "");
	assert_ptr_equal(vs[0].pt_ops, &pt_emul_ops_host_traced);
	assert_ptr_equal(vs[0].pt_ops->before_entry, pt_hw_vcpu_before_entry);
	vcpu_pt_release(&vs[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bochs, teardown),
		cmocka_unit_test_teardown(test_icelake, teardown),
		cmocka_unit_test_teardown(test_hw_guests_conceal, teardown),
		cmocka_unit_test_teardown(test_firmware_tracing, teardown),
		cmocka_unit_test_teardown(test_skylake_modes, teardown),
		cmocka_unit_test_teardown(test_broadwell_and_nested, teardown),
		cmocka_unit_test_teardown(test_expected_matches_rig, teardown),
		cmocka_unit_test_teardown(test_dump, teardown),
		cmocka_unit_test_teardown(test_hypercall_read, teardown),
		cmocka_unit_test_teardown(test_guest_glue, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
