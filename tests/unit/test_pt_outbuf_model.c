/*
 * The trace-output EPT handler against the CPU model's PT output: a guest on
 * the hardware path traces through ToPA while an output page or its ToPA
 * table page is write-protected, unmapped, or outside its RAM. The model
 * raises the EPT violation the SDM defines; the handler's outcome is checked
 * in memory, in the guest's RTIT MSRs and in its counters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "phys_arena.h"
#include "pt_hw_rig.h"
#include "pt_out_model.h"
#include "msr.h"
#include "mem/frame.h"
#include "ept/ept_walk.h"
#include "pt/rtit.h"
#include "pt/hw/pt_outbuf.h"
#include "vmx/vmcs.h"
#include "vmx/vmcs_ops.h"
#include "../fixtures/cpu_fixtures.h"

#define MiB       (1024ULL * 1024)
#define GUEST_HPA (8 * MiB)
#define GUEST_RAM (4 * MiB)
#define TOPA      0x10000ULL /* the guest's ToPA table */
#define OUTPUT    0x20000ULL /* its one 4 KiB output region */
#define TRACE_LEN 200

static struct cpu_model *m;
static struct pt_hw_cpu cpu;
static struct pt_guest g;
static struct ept ept;
static struct pt_outbuf_mem gmem;
static uint8_t trace[TRACE_LEN];

/* The guest's ToPA: one 4 KiB region at `region`, then END back to the table. */
static void guest_topa(uint64_t region)
{
	uint64_t *t = (uint64_t *)phys_arena_at(GUEST_HPA + TOPA);

	t[0] = region; /* size code 0: 4 KiB */
	t[1] = TOPA | TOPA_END;
}

static int setup(void **state)
{
	const struct mem_range map[] = { { 1 * MiB, 7 * MiB, MEM_USABLE } };
	struct ept_caps ec;
	struct vmx_caps vc;
	struct pt_vcaps pc;

	(void)state;
	host_env_reset();
	phys_arena_init(16 * MiB);
	frame_init(map, 1, NULL, 0);
	m = rig_load(&cpu_fixture_icelake_i7_1065g7);
	vmx_caps_read(&vc);
	ept_caps_from_msr(vc.ept_vpid_cap, &ec);
	assert_int_equal(pt_vcaps_from_host(&pc, &vc, NULL), 0);
	pt_hw_cpu_init(&cpu, PT_MODE_HOST_GUEST, false, 0);
	pt_hw_guest_init(&g, PT_BACKEND_HW, &pc);
	assert_int_equal(ept_init(&ept, &ec), 0);
	assert_int_equal(ept_map(&ept, 0, GUEST_HPA, GUEST_RAM, EPT_RWX, EPT_MT_WB), 0);
	gmem = (struct pt_outbuf_mem){ &ept, GUEST_HPA, GUEST_RAM, "g0" };
	rig_controls(true, true, true);
	cpu_vmwrite(EPT_POINTER, ept_eptp(&ept));
	guest_topa(OUTPUT);
	rig_guest_start(&cpu, &g, TOPA);
	for (size_t i = 0; i < TRACE_LEN; i++)
		trace[i] = (uint8_t)(i * 7 + 3);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ept_destroy(&ept);
	phys_arena_free();
	return 0;
}

/*
 * Runs the guest until its trace is out or nothing more is written: entry,
 * the model's output, and at each EPT violation exit the VMM's order of
 * things (pt_hw_after_exit, the handler). Returns the bytes written; the
 * violations' exit information goes to quals/gpas (up to n), outcomes to res.
 */
static size_t run(unsigned n, uint64_t *quals, uint64_t *gpas, enum ept_fault_result *res, unsigned *exits)
{
	size_t done = 0;

	*exits = 0;
	for (unsigned round = 0; round < 8 && done < TRACE_LEN; round++) {
		struct pt_out_model_result r;
		struct ept_violation v;

		assert_int_equal(pt_hw_before_entry(&cpu, &g, true, NULL), 0);
		assert_int_equal(pt_model_vmentry(m), PT_MODEL_ENTRY_OK);
		r = pt_out_model_write(m, trace + done, TRACE_LEN - done);
		done += r.written;
		if (!r.exited) {
			pt_model_vmexit(m);
			pt_hw_after_exit(&cpu, &g);
			break;
		}
		pt_hw_after_exit(&cpu, &g);
		assert_int_equal(vmcs_read32(VM_EXIT_REASON), 48);
		ept_violation_decode(vmcs_readnat(EXIT_QUALIFICATION), vmcs_read64(GUEST_PHYSICAL_ADDRESS), 0, &v);
		if (*exits < n) {
			quals[*exits] = r.qual, gpas[*exits] = r.gpa;
			res[*exits] = pt_outbuf_handle(&cpu, &g, &gmem, &v);
		}
		(*exits)++;
	}
	return done;
}

static uint64_t guest_msr(uint32_t msr)
{
	uint64_t v;

	assert_true(pt_hw_rdmsr(&cpu, &g, msr, &v));
	return v;
}

/* A write-protected output page: a trace-write violation, mapped back, every byte lands once. */
static void test_output_page_write_protected(void **state)
{
	uint64_t q[2], a[2];
	enum ept_fault_result r[2];
	unsigned exits;
	(void)state;
	assert_int_equal(ept_protect(&ept, OUTPUT, PAGE_SIZE, EPT_R | EPT_X), 0);
	assert_int_equal(run(2, q, a, r, &exits), TRACE_LEN);
	assert_int_equal(exits, 1);
	/* SDM Table 28-7: data write (bit 1), entry r-x (bits 5:3), no linear address (bit 7), async (bit 16) */
	assert_int_equal(q[0], EPT_VQ_WRITE | (5u << EPT_VQ_PERM_SHIFT) | EPT_VQ_ASYNC);
	assert_int_equal(a[0], OUTPUT);
	assert_int_equal(r[0], EPT_FAULT_RETRY);
	assert_int_equal(g.outbuf.resolved, 1);
	assert_memory_equal(phys_arena_at(GUEST_HPA + OUTPUT), trace, TRACE_LEN);
	assert_int_equal(guest_msr(MSR_IA32_RTIT_OUTPUT_MASK_PTRS) >> 32, TRACE_LEN);
	assert_int_equal(guest_msr(MSR_IA32_RTIT_STATUS) & RTIT_STATUS_ERROR, 0);
}

/* An unmapped ToPA table page: a read violation at the entry's GPA, mapped back, the trace goes on. */
static void test_topa_table_unmapped(void **state)
{
	uint64_t q[2], a[2];
	enum ept_fault_result r[2];
	unsigned exits;
	(void)state;
	assert_int_equal(ept_unmap(&ept, TOPA, PAGE_SIZE), 0);
	assert_int_equal(run(2, q, a, r, &exits), TRACE_LEN);
	assert_int_equal(exits, 1);
	assert_int_equal(q[0], EPT_VQ_READ | EPT_VQ_ASYNC); /* not present: permissions 0 */
	assert_int_equal(a[0], TOPA);
	assert_int_equal(r[0], EPT_FAULT_RETRY);
	assert_int_equal(g.outbuf.resolved, 1);
	assert_memory_equal(phys_arena_at(GUEST_HPA + OUTPUT), trace, TRACE_LEN);
}

/* Both at once: the table read faults first, then the output write; two exits, nothing lost. */
static void test_table_and_output_both(void **state)
{
	uint64_t q[3], a[3];
	enum ept_fault_result r[3];
	unsigned exits;
	(void)state;
	assert_int_equal(ept_unmap(&ept, TOPA, PAGE_SIZE), 0);
	assert_int_equal(ept_unmap(&ept, OUTPUT, PAGE_SIZE), 0);
	assert_int_equal(run(3, q, a, r, &exits), TRACE_LEN);
	assert_int_equal(exits, 2);
	assert_int_equal(a[0], TOPA);
	assert_int_equal(q[1], EPT_VQ_WRITE | EPT_VQ_ASYNC);
	assert_int_equal(a[1], OUTPUT);
	assert_int_equal(g.outbuf.resolved, 2);
	assert_memory_equal(phys_arena_at(GUEST_HPA + OUTPUT), trace, TRACE_LEN);
}

/*
 * A ToPA entry naming a GPA outside the guest's RAM: nothing is mapped
 * there; the guest's trace stops with IA32_RTIT_STATUS.Error (an operational
 * error, SDM 33.3.9), no byte is written anywhere, the guest keeps running
 * and reads the error back.
 */
static void test_output_outside_ram(void **state)
{
	uint64_t q[2], a[2];
	enum ept_fault_result r[2];
	unsigned exits;
	(void)state;
	guest_topa(GUEST_RAM + OUTPUT);
	assert_int_equal(run(2, q, a, r, &exits), 0);
	assert_int_equal(exits, 1);
	assert_int_equal(q[0], EPT_VQ_WRITE | EPT_VQ_ASYNC);
	assert_int_equal(a[0], GUEST_RAM + OUTPUT);
	assert_int_equal(r[0], EPT_FAULT_RETRY);
	assert_int_equal(g.outbuf.outside, 1);
	assert_int_equal(g.outbuf.resolved, 0);
	assert_true(guest_msr(MSR_IA32_RTIT_STATUS) & RTIT_STATUS_ERROR);
	assert_true(host_console_contains("Intel PT output to GPA 0x420000 outside its RAM"));
	for (size_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(*phys_arena_at(GUEST_HPA + GUEST_RAM + OUTPUT + i), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_output_page_write_protected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_topa_table_unmapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_and_output_both, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_outside_ram, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
