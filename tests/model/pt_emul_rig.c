/*
 * Test model for the emulated PT backend, the machine half: guest RAM behind
 * an EPT, the VMCS in the CPU model, the guest's PT state, the designed
 * program (real bytes in guest memory plus a descriptor per instruction
 * saying where it goes) and the ToPA output. pt_emul_cpu.c runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pt_emul_rig.h"
#include "cpu_model.h"
#include "phys_arena.h"
#include "mem/frame.h"
#include "pt/pt_boot.h"
#include "pt/pt_guest.h"
#include "vmx/exit.h"
#include "ept/ept_walk.h"
#include "msr.h"
#include "vmx/vmcs_init.h"

#define MiB      (1ULL << 20)
#define RIG_VMCS 0x4000ull

static struct vcpu rig_vcpu;
static struct pt_guest rig_pt;
static struct ept rig_ept;
static const struct cpu_fixture rig_cpu = { .name = "pt-emul rig", .vendor = "GenuineIntel" };
static const struct ept_caps rig_ept_caps = { .pages_2m = true, .pages_1g = true, .wb = true };

/* The VMX decisions the rig's guest runs under: virtual NMIs, as on every CPU ptvisor targets. */
struct vmx_controls vmx_ctls = { .virtual_nmis = true };

uint64_t per_vmcs(unsigned field)
{
	return vmcs_read_raw(field);
}

uint8_t *per_gpa(uint64_t gpa)
{
	return phys_arena_at(PER_RAM_HPA + gpa);
}

void per_set_cpl(unsigned cpl)
{
	vmcs_write_raw(GUEST_SS_AR_BYTES, (per_vmcs(GUEST_SS_AR_BYTES) & ~0x60ull) | (cpl << 5));
	vmcs_write_raw(GUEST_CS_AR_BYTES, (per_vmcs(GUEST_CS_AR_BYTES) & ~0x60ull) | (cpl << 5));
}

static void vmcs_init(void)
{
	static const struct {
		unsigned field;
		uint64_t value;
	} init[] = {
		{ GUEST_RIP, 0x1000 },
		{ GUEST_CS_BASE, 0 },
		{ GUEST_CS_AR_BYTES, 0xc09b },
		{ GUEST_SS_AR_BYTES, 0xc093 },
		{ GUEST_CR0, 0x11 },
		{ GUEST_CR3, 0 },
		{ GUEST_CR4, 0 },
		{ GUEST_IDTR_BASE, PER_IDT },
		{ GUEST_IDTR_LIMIT, 256 * 8 - 1 },
		{ GUEST_DR7, PER_DR7 },
		{ GUEST_RFLAGS, 0x2 },
		{ EXCEPTION_BITMAP, PER_EXC_BITMAP },
		{ CPU_BASED_VM_EXEC_CONTROL, PER_CPU_BASED },
		{ GUEST_INTERRUPTIBILITY_INFO, 0 },
		{ VM_ENTRY_INTR_INFO_FIELD, 0 },
		{ GUEST_PENDING_DBG_EXCEPTIONS, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(init); i++)
		vmcs_write_raw(init[i].field, init[i].value);
}

void per_setup(struct per_rig *r, enum pt_step_mech mech)
{
	const struct mem_range map[] = { { 1 * MiB, 15 * MiB, MEM_USABLE } };
	struct cpu_model *m;
	uint64_t *topa;

	memset(r, 0, sizeof(*r));
	phys_arena_init(64 * MiB);
	frame_init(map, 1, NULL, 0);
	m = cpu_model_load(&rig_cpu);
	m->vmx_operation = true; /* VMXON and VMPTRLD are not under test here */
	m->current_vmcs = RIG_VMCS;
	for (unsigned n = 0; n < 4; n++)
		m->dr[n] = PER_DR0 + n;
	memset(&rig_vcpu, 0, sizeof(rig_vcpu));
	r->v = &rig_vcpu;
	r->pg = &rig_pt;
	r->v->name = "rig";
	r->v->mem = (struct vcpu_mem){ &rig_ept, NULL, PER_RAM_HPA, PER_RAM_SIZE };
	r->v->pt_ops = &pt_backend_none;
	if (ept_init(&rig_ept, &rig_ept_caps) || ept_map(&rig_ept, 0, PER_RAM_HPA, PER_RAM_SIZE, EPT_RWX, EPT_MT_WB)) {
		fprintf(stderr, "pt_emul_rig: EPT setup failed\n");
		abort();
	}
	pt_rt.d.mode = PT_MODE_HOST_GUEST;
	pt_rt.d.guest_backend = PT_BACKEND_EMULATED;
	pt_rt.host_caps.maxphyaddr = 36;
	pt_step_mech = mech;
	pt_guest_attach(r->pg, r->v,
			&(struct pt_guest_config){ .pt = true, .pt_caps = "", .riplog = true, .step_engine = true });
	vmcs_init();
	vmcs_write64(EPT_POINTER, ept_eptp(&rig_ept));
	vmcs_writenat(GUEST_RSP, PER_STACK); /* CALL and RET move it (pt_emul_cpu.c) */
	/* One 64 KiB region (size code 4), then END back to the table (SDM 33.2.7.2 "Table of Physical
	   Addresses (ToPA)"). */
	topa = (uint64_t *)per_gpa(PER_TOPA);
	topa[0] = PER_OUT | (4ull << TOPA_SIZE_SHIFT);
	topa[1] = PER_TOPA | TOPA_END;
	ptx_prog_init(&r->image);
}

void per_teardown(struct per_rig *r)
{
	vcpu_pt_release(r->v);
	ept_destroy(&rig_ept);
	phys_arena_free();
}

void per_load(struct per_rig *r, uint32_t gpa, const uint8_t *code, size_t len)
{
	struct ptx_region *rg;

	memcpy(per_gpa(gpa), code, len);
	if (!r->image.nregions)
		ptx_region_add(&r->image, gpa & ~0xfffu, true);
	rg = &r->image.regions[0];
	if (gpa < rg->base || gpa + len > rg->base + PTX_REGION_SIZE) {
		fprintf(stderr, "pt_emul_rig: code at %#x outside the image region\n", gpa);
		abort();
	}
	memcpy(rg->bytes + (gpa - rg->base), code, len);
}

struct per_insn *per_insn(struct per_rig *r, uint32_t ip, uint8_t len, enum per_kind kind)
{
	struct per_insn *in;

	if (r->ninsns == PER_MAX_INSNS)
		abort();
	in = &r->insns[r->ninsns++];
	*in = (struct per_insn){ .ip = ip, .len = len, .kind = kind };
	return in;
}

void per_gate(struct per_rig *r, uint8_t vector, uint32_t handler)
{
	uint32_t *gate = (uint32_t *)per_gpa(PER_IDT + vector * 8u);

	(void)r;
	gate[0] = (0x08u << 16) | (handler & 0xffff);
	gate[1] = (handler & 0xffff0000u) | 0x8e00; /* present, DPL 0, 32-bit interrupt gate */
}

uint8_t *per_trace(struct per_rig *r, size_t *len)
{
	uint64_t mp = 0;

	/* One region: the output offset is the byte count (OUTPUT_MASK_PTRS[63:32],
	   SDM 33.2.8.8 "IA32_RTIT_OUTPUT_MASK_PTRS MSR"). */
	if (!vcpu_pt_rdmsr(r->v, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, &mp) || ((mp >> 7) & 0x1ffffff))
		abort();
	*len = mp >> 32;
	return per_gpa(PER_OUT);
}
