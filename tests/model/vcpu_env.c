/* Shared fixture of the exit-handler tests (see vcpu_env.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vcpu_env.h"
#include "host_env.h"
#include "phys_arena.h"
#include "ept/ept_walk.h"
#include "mem/frame.h"
#include "mem/phys.h"
#include "vmx/caps.h"
#include "vmx/vcpu_switch.h"
#include "vmx/vmcs_init.h"
#include "msr.h"

struct vcpu_env env;
/* main.c's and vmcs_init.c's, which are not linked (they need the boot path, vmx_run.asm and the host
   GDT): read from the fixture in vcpu_env_setup(). */
struct vmx_caps boot_caps;
struct vmx_controls vmx_ctls;

/* CPUID.(EAX=0DH,ECX=i): EAX size, EBX offset of component i in the standard format. */
static const struct {
	unsigned i;
	uint32_t size, offset;
} xcomp_layout[] = {
	{ 2, 256, 576 },   { 3, 64, 960 }, { 4, 64, 1024 },  { 5, 64, 1088 },    { 6, 512, 1152 },
	{ 7, 1024, 1664 }, { 9, 8, 2688 }, { 17, 64, 2752 }, { 18, 8192, 2816 },
};

void env_xsave_leaves(struct cpu_model *m, uint64_t xcomp)
{
	uint32_t end = XSAVE_LEGACY_AND_HEADER;
	struct cpuid_regs r = cpu_model_cpuid(m, 1, 0);

	r.ecx |= BIT(26);
	cpu_model_set_cpuid(m, 1, 0, &r);
	for (unsigned k = 0; k < ARRAY_SIZE(xcomp_layout); k++) {
		if (!(xcomp & BIT(xcomp_layout[k].i)))
			continue;
		r = (struct cpuid_regs){ xcomp_layout[k].size, xcomp_layout[k].offset, 0, 0 };
		cpu_model_set_cpuid(m, 0xd, xcomp_layout[k].i, &r);
		end = MAX(end, xcomp_layout[k].size + xcomp_layout[k].offset);
	}
	/* Sub-leaf 0: supported mask, size for XCR0 = x87 (EBX), size for everything (ECX). */
	r = (struct cpuid_regs){ (uint32_t)xcomp, 576, end, (uint32_t)(xcomp >> 32) };
	cpu_model_set_cpuid(m, 0xd, 0, &r);
	/* Sub-leaf 1: XSAVEOPT, XSAVEC, XGETBV1, XSAVES; IA32_XSS may hold PT (bit 8). */
	r = (struct cpuid_regs){ 0xf, 576, BIT(8), 0 };
	cpu_model_set_cpuid(m, 0xd, 1, &r);
}

static void add_syscall_msrs(struct cpu_model *m)
{
	static const uint32_t msrs[] = { MSR_IA32_STAR, MSR_IA32_LSTAR, MSR_IA32_CSTAR, MSR_IA32_FMASK,
					 MSR_IA32_KERNEL_GS_BASE };

	for (unsigned i = 0; i < ARRAY_SIZE(msrs); i++)
		if (!cpu_model_msr(m, msrs[i]))
			cpu_model_set_msr(m, msrs[i], 0, false);
}

void vcpu_env_setup(struct vcpu *v, const struct cpu_fixture *f, uint64_t xcomp, void (*prepare)(struct cpu_model *m))
{
	const struct mem_range map[] = { { 1ULL << 20, ENV_ARENA_SIZE - (1ULL << 20), MEM_USABLE } };
	const struct ept_caps caps = { .pages_2m = true, .pages_1g = true, .wb = true };

	host_env_reset();
	phys_arena_init(ENV_ARENA_SIZE);
	frame_init(map, 1, NULL, 0);
	memset(&env, 0, sizeof(env));
	env.m = cpu_model_load(f);
	if (xcomp)
		env_xsave_leaves(env.m, xcomp);
	add_syscall_msrs(env.m);
	if (prepare)
		prepare(env.m);
	vmx_caps_read(&boot_caps);
	vmx_ctls = (struct vmx_controls){
		.cr0_fixed0 = boot_caps.cr0_fixed0,
		.cr0_fixed1 = boot_caps.cr0_fixed1,
		.cr4_fixed0 = boot_caps.cr4_fixed0,
		.cr4_fixed1 = boot_caps.cr4_fixed1,
		/* What vmx_controls_decide() picks on Bochs: RDTSCP offered, virtual NMIs. */
		.cpu2 = CPU2_ENABLE_EPT | CPU2_UNRESTRICTED_GUEST | CPU2_ENABLE_RDTSCP,
		.virtual_nmis = true,
	};
	memset(&vcpu_host, 0, sizeof(vcpu_host));
	vcpu_switch_init_cpu(); /* before VMXON: CR4 may then change without VMX's fixed bits */
	env.m->cr4 |= CR4_VMXE;
	env.m->vmx_operation = true;
	/* VMPTRLD checks the revision identifier in memory: let the model see the arena. */
	cpu_model_map_phys(env.m, 0, phys_arena_at(0), ENV_ARENA_SIZE);

	assert_int_equal(ept_init(&env.ept, &caps), 0);
	env.ram_hpa = frame_alloc_contig(ENV_RAM_SIZE / PAGE_SIZE, 512);
	assert_true(env.ram_hpa != 0);
	assert_int_equal(ept_map(&env.ept, 0, env.ram_hpa, ENV_RAM_SIZE, EPT_RWX, EPT_MT_WB), 0);
	ept_claims_init(&env.claims);

	env_vcpu_create(v, 0, "g0");
	v->cpu2_controls = vmx_ctls.cpu2;
	assert_int_equal(cpu_vmptrld(v->vmcs_pa), VMX_OK);
	env_guest32(v);
}

void vcpu_env_teardown(struct vcpu *v)
{
	vcpu_destroy(v);
	ept_destroy(&env.ept);
	phys_arena_free();
}

void env_vcpu_create(struct vcpu *v, unsigned id, const char *name)
{
	const struct vcpu_config c = {
		.id = id,
		.name = name,
		.mem = { &env.ept, &env.claims, env.ram_hpa, ENV_RAM_SIZE },
		.vmcs_revision = vmx_caps_revision_id(&boot_caps),
	};

	assert_int_equal(vcpu_create(v, &c), 0);
}

uint64_t vmr(unsigned field)
{
	uint64_t val;

	assert_int_equal(cpu_vmread(field, &val), VMX_OK);
	return val;
}

void vmw(unsigned field, uint64_t val)
{
	assert_int_equal(cpu_vmwrite(field, val), VMX_OK);
}

void *env_gpa(uint64_t gpa)
{
	assert_true(gpa < ENV_RAM_SIZE);
	return phys_arena_at(env.ram_hpa + gpa);
}

unsigned env_console_count(const char *needle)
{
	unsigned n = 0;

	for (const char *p = host_console_text(); (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void segments(uint32_t code_ar, uint32_t data_ar)
{
	for (unsigned i = 0; i < 6; i++) {
		vmw(GUEST_ES_SELECTOR + 2 * i, i == 1 ? 0x08 : 0x10);
		vmw(GUEST_ES_BASE + 2 * i, 0);
		vmw(GUEST_ES_LIMIT + 2 * i, 0xffffffff);
		vmw(GUEST_ES_AR_BYTES + 2 * i, i == 1 ? code_ar : data_ar);
	}
}

void env_guest32(struct vcpu *v)
{
	segments(0xc09b, 0xc093);
	vmw(GUEST_CR0, CR0_PE | CR0_ET | CR0_NE);
	vmw(CR0_READ_SHADOW, CR0_PE | CR0_ET);
	vmw(GUEST_CR3, 0);
	vmw(GUEST_CR4, CR4_VMXE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE);
	vmw(CR4_READ_SHADOW, CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE);
	vmw(GUEST_IA32_EFER, 0);
	vmw(GUEST_IA32_PAT, 0x0007040600070406ULL);
	vmw(GUEST_IA32_DEBUGCTL, 0);
	vmw(GUEST_RSP, ENV_RSP);
	vmw(GUEST_RIP, ENV_RIP);
	vmw(GUEST_RFLAGS, RFLAGS_FIXED1);
	vmw(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmw(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmw(VM_ENTRY_INTR_INFO_FIELD, 0);
	v->entry_controls = ENTRY_LOAD_DEBUG_CONTROLS | ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_IA32_PAT;
	vmw(VM_ENTRY_CONTROLS, v->entry_controls);
	v->efer_lma = false;
}

void env_guest64(struct vcpu *v)
{
	uint64_t *pml4 = env_gpa(ENV_PML4), *pdpt = env_gpa(ENV_PML4 + 0x1000), *pd = env_gpa(ENV_PML4 + 0x2000);
	uint64_t *pd3 = env_gpa(ENV_PML4 + 0x3000);

	env_guest32(v);
	pml4[0] = (ENV_PML4 + 0x1000) | 3;
	pdpt[0] = (ENV_PML4 + 0x2000) | 3;
	pdpt[3] = (ENV_PML4 + 0x3000) | 3;
	for (uint64_t i = 0; i < 512; i++) {
		pd[i] = (i << 21) | 0x83;                 /* P, RW, PS */
		pd3[i] = (3ULL << 30) | (i << 21) | 0x83; /* the fourth GiB: holes and the APIC page */
	}
	segments(0xa09b, 0xc093);
	vmw(GUEST_CR0, CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG);
	vmw(CR0_READ_SHADOW, CR0_PE | CR0_ET | CR0_WP | CR0_PG);
	vmw(GUEST_CR3, ENV_PML4);
	vmw(GUEST_CR4, CR4_VMXE | CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE);
	vmw(CR4_READ_SHADOW, CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE);
	vmw(GUEST_IA32_EFER, EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE);
	v->entry_controls |= ENTRY_IA32E_MODE_GUEST;
	vmw(VM_ENTRY_CONTROLS, v->entry_controls);
	v->efer_lma = true;
}

void env_guest16(struct vcpu *v)
{
	env_guest32(v);
	segments(0x9b, 0x93);
	for (unsigned i = 0; i < 6; i++)
		vmw(GUEST_ES_LIMIT + 2 * i, 0xffff);
	vmw(GUEST_CR0, CR0_ET | CR0_NE);
	vmw(CR0_READ_SHADOW, CR0_ET);
}

void env_cpl(unsigned cpl)
{
	vmw(GUEST_SS_AR_BYTES, (vmr(GUEST_SS_AR_BYTES) & ~0x60ULL) | (cpl << 5));
	vmw(GUEST_CS_AR_BYTES, (vmr(GUEST_CS_AR_BYTES) & ~0x60ULL) | (cpl << 5));
}

void env_exit(struct vcpu *v, uint32_t reason, uint64_t qual, uint32_t len)
{
	v->exit_reason = reason;
	vmw(VM_EXIT_REASON, reason);
	vmw(EXIT_QUALIFICATION, qual);
	vmw(VM_EXIT_INSTRUCTION_LEN, len);
	vmw(GUEST_RIP, ENV_RIP);
	vmw(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmw(VM_ENTRY_EXCEPTION_ERROR_CODE, 0xdead);
	vmw(GUEST_INTERRUPTIBILITY_INFO, GUEST_INTR_STATE_MOV_SS);
}

void env_expect_retired(uint64_t len, const char *file, int line)
{
	_assert_int_equal(vmr(GUEST_RIP), ENV_RIP + len, file, line);
	_assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), 0, file, line);
	_assert_int_equal(vmr(GUEST_INTERRUPTIBILITY_INFO), 0, file, line);
}

void env_expect_fault(unsigned vector, bool code, const char *file, int line)
{
	uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector | (code ? INTR_INFO_DELIVER_CODE : 0);

	_assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), info, file, line);
	_assert_int_equal(vmr(VM_ENTRY_EXCEPTION_ERROR_CODE), code ? 0 : 0xdead, file, line);
	_assert_int_equal(vmr(GUEST_RIP), ENV_RIP, file, line);
}

void env_expect_stop(const struct vcpu *v, int status, const char *why, const char *file, int line)
{
	_assert_true(v->stop.requested, "stop.requested", file, line);
	_assert_int_equal((uint32_t)v->stop.status, (uint32_t)status, file, line);
	if (!strstr(v->stop.reason, why)) {
		print_error("stop reason \"%s\" does not say \"%s\"\n", v->stop.reason, why);
		_fail(file, line);
	}
	_assert_int_equal(vmr(GUEST_RIP), ENV_RIP, file, line);
	_assert_int_equal(vmr(VM_ENTRY_INTR_INFO_FIELD), 0, file, line);
}
