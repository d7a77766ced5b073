/* Identity-mapped page tables for the conformance checks (SDM Vol. 3A 4.3 32-bit, 4.4 PAE, 4.5 4-level). */
#include "conf_paging.h"
#include "cpu.h"
#include "x86/arch.h"

#define ENTRIES32 1024
#define ENTRIES64 512
#define PAGE_4M   0x400000u
#define PAGE_2M   0x200000u
#define PAGE_4K   0x1000u

static uint32_t pd32[ENTRIES32] __aligned(4096);
static uint32_t pt32[ENTRIES32] __aligned(4096);
static uint64_t pdpt_pae[4] __aligned(32);
static uint64_t pd_pae[4][ENTRIES64] __aligned(4096);
static uint64_t pml4[ENTRIES64] __aligned(4096);
static uint64_t pdpt_lm[ENTRIES64] __aligned(4096);

uint32_t conf_pg32_build(void)
{
	for (uint32_t i = 0; i < ENTRIES32; i++)
		pd32[i] = i * PAGE_4M | (uint32_t)(PTE_P | PTE_RW | PTE_PS);
	for (uint32_t i = 0; i < ENTRIES32; i++)
		pt32[i] = (CONF_WINDOW + i * PAGE_4K) | (uint32_t)(PTE_P | PTE_RW);
	pd32[CONF_WINDOW / PAGE_4M] = (uint32_t)pt32 | (uint32_t)(PTE_P | PTE_RW);
	return (uint32_t)pd32;
}

uint32_t *conf_pg32_pte(uint32_t addr)
{
	return &pt32[(addr - CONF_WINDOW) / PAGE_4K];
}

uint32_t *conf_pg32_pde(uint32_t addr)
{
	return &pd32[addr / PAGE_4M];
}

uint32_t conf_pae_build(void)
{
	for (uint32_t d = 0; d < 4; d++) {
		for (uint32_t i = 0; i < ENTRIES64; i++)
			pd_pae[d][i] = ((uint64_t)d << 30 | i * PAGE_2M) | PTE_P | PTE_RW | PTE_PS;
		/* PAE PDPTEs have no R/W or U/S bits: those positions are reserved (Table 4-8). */
		pdpt_pae[d] = (uint32_t)pd_pae[d] | PTE_P;
	}
	return (uint32_t)pdpt_pae;
}

uint64_t *conf_pae_pde(uint32_t addr)
{
	return &pd_pae[addr >> 30][(addr >> 21) & (ENTRIES64 - 1)];
}

uint64_t *conf_pae_pdpte(unsigned i)
{
	return &pdpt_pae[i];
}

uint32_t conf_lm_build(void)
{
	conf_pae_build();
	for (unsigned i = 0; i < ENTRIES64; i++)
		pdpt_lm[i] = pml4[i] = 0;
	for (unsigned d = 0; d < 4; d++)
		pdpt_lm[d] = (uint32_t)pd_pae[d] | PTE_P | PTE_RW;
	pml4[0] = (uint32_t)pdpt_lm | PTE_P | PTE_RW;
	return (uint32_t)pml4;
}

void conf_paging_on(uint32_t cr3, bool pae)
{
	uint32_t cr4 = cpu_read_cr4();

	cr4 = pae ? (cr4 | (uint32_t)CR4_PAE) & ~(uint32_t)CR4_PSE : (cr4 | (uint32_t)CR4_PSE) & ~(uint32_t)CR4_PAE;
	cpu_write_cr4(cr4);
	asm volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
	cpu_write_cr0(cpu_read_cr0() | (uint32_t)CR0_PG);
}

void conf_paging_off(void)
{
	cpu_write_cr0(cpu_read_cr0() & ~(uint32_t)CR0_PG);
}

void conf_invlpg(uint32_t addr)
{
	asm volatile("invlpg (%0)" : : "r"(addr) : "memory");
}
