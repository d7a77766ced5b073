/*
 * Area "exceptions", page-fault part: the #PF error code (P, W/R, RSVD, I/D: SDM Vol. 3A 4.7 "Page-Fault
 * Exceptions"), CR2, CR0.WP for supervisor writes, accessed and dirty flags (4.8), and execute-disable with
 * PAE paging (4.6). All addresses are the kernel's own choice, identical bare and as a guest.
 */
#include "conf.h"
#include "conf_exc.h"
#include "conf_paging.h"
#include "cpu.h"
#include "msr.h"

#define PAGE_OK               (CONF_WINDOW + 0x0000u)
#define PAGE_ABSENT           (CONF_WINDOW + 0x1000u)
#define PAGE_RO               (CONF_WINDOW + 0x2000u)
#define PAGE_FRESH            (CONF_WINDOW + 0x3000u)
#define PDE_RSVD_AT           0x01000000u /* a 4-MByte page whose PDE gets a reserved bit */
#define NX_PAGE               0x00a00000u /* a 2-MByte PAE page marked execute-disable */
#define PTE_A                 BIT(5)
#define PTE_D                 BIT(6)
#define PAE_RSVD_51           BIT(51)
#define CPUID_80000001_EDX_NX 20

static uint32_t read_cr2(void)
{
	uint32_t v;

	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static void pf_verdict(const char *what, const struct conf_event *e)
{
	if (e->vector == VEC_PF)
		conf_verdict("%s: %s CR2=0x%x", what, conf_outcome(e), read_cr2());
	else
		conf_verdict("%s: %s", what, conf_outcome(e));
}

static struct conf_event pf_read(uint32_t addr)
{
	uint32_t v = 0;

	return CONF_PROBE("movl (%1), %0", : "+r"(v) : "r"(addr) : "memory");
}

static struct conf_event pf_write(uint32_t addr)
{
	return CONF_PROBE("movl %0, (%1)", : : "r"(0x5a5a5a5au), "r"(addr) : "memory");
}

static void pf_legacy(void)
{
	uint32_t cr0 = cpu_read_cr0(), cr4 = cpu_read_cr4();
	struct conf_event e;

	conf_paging_on(conf_pg32_build(), false);
	*conf_pg32_pte(PAGE_ABSENT) = 0;
	*conf_pg32_pte(PAGE_RO) &= ~(uint32_t)PTE_RW;
	*conf_pg32_pte(PAGE_FRESH) &= ~(uint32_t)(PTE_A | PTE_D);
	*conf_pg32_pde(PDE_RSVD_AT) |= (uint32_t)PDE4M_RSVD_21;
	asm volatile("mov %%cr3, %%eax\n\tmov %%eax, %%cr3" : : : "eax", "memory");

	e = pf_read(PAGE_ABSENT + 4);
	pf_verdict("32-bit paging, read of a not-present page", &e);
	e = pf_write(PAGE_ABSENT + 8);
	pf_verdict("32-bit paging, write to a not-present page", &e);
	cpu_write_cr0(cpu_read_cr0() | (uint32_t)CR0_WP);
	e = pf_write(PAGE_RO + 12);
	pf_verdict("write to a read-only page with CR0.WP=1", &e);
	e = pf_read(PAGE_RO + 12);
	pf_verdict("read of a read-only page", &e);
	cpu_write_cr0(cpu_read_cr0() & ~(uint32_t)CR0_WP);
	e = pf_write(PAGE_RO + 16);
	pf_verdict("write to a read-only page with CR0.WP=0", &e);
	e = pf_read(PDE_RSVD_AT + 0x10);
	pf_verdict("read through a 4-MByte PDE with reserved bit 21", &e);

	pf_read(PAGE_FRESH);
	conf_verdict("a read sets the PTE's accessed flag: A=%u D=%u", *conf_pg32_pte(PAGE_FRESH) & PTE_A ? 1 : 0,
		     *conf_pg32_pte(PAGE_FRESH) & PTE_D ? 1 : 0);
	pf_write(PAGE_FRESH);
	conf_verdict("a write sets the PTE's dirty flag: A=%u D=%u", *conf_pg32_pte(PAGE_FRESH) & PTE_A ? 1 : 0,
		     *conf_pg32_pte(PAGE_FRESH) & PTE_D ? 1 : 0);
	conf_paging_off();
	cpu_write_cr0(cr0);
	cpu_write_cr4(cr4);
}

static struct conf_event pf_fetch(uint32_t addr)
{
	return CONF_PROBE("jmp *%0", : : "r"(addr) : "memory");
}

static void pf_pae(void)
{
	uint32_t cr0 = cpu_read_cr0(), cr4 = cpu_read_cr4();
	bool nx = conf_cpuid_bit(0x80000001u, 0, CPUID_EDX, CPUID_80000001_EDX_NX);
	uint64_t efer = cpu_rdmsr(MSR_IA32_EFER);
	struct conf_event e;

	conf_paging_on(conf_pae_build(), true);
	*conf_pae_pde(NX_PAGE) |= PTE_XD;
	*conf_pae_pde(PDE_RSVD_AT) |= PAE_RSVD_51;
	asm volatile("mov %%cr3, %%eax\n\tmov %%eax, %%cr3" : : : "eax", "memory");

	/* With EFER.NXE=0 the XD bit is reserved (Table 4-11 note). */
	e = pf_read(NX_PAGE);
	pf_verdict("PAE, read through a PDE with XD set and EFER.NXE=0", &e);
	e = pf_read(PDE_RSVD_AT);
	pf_verdict("PAE, read through a PDE with reserved bit 51", &e);
	if (nx) {
		cpu_wrmsr(MSR_IA32_EFER, efer | EFER_NXE);
		e = pf_fetch(NX_PAGE);
		pf_verdict("PAE with EFER.NXE=1, jump into an XD page", &e);
		e = pf_read(NX_PAGE);
		pf_verdict("PAE with EFER.NXE=1, read of an XD page", &e);
		cpu_wrmsr(MSR_IA32_EFER, efer);
	}
	conf_verdict("execute-disable (CPUID.80000001H:EDX[20]) checked: %s", nx ? "yes" : "absent");
	conf_paging_off();
	cpu_write_cr0(cr0);
	cpu_write_cr4(cr4);
}

void conf_exc_pf(void)
{
	pf_legacy();
	pf_pae();
}
