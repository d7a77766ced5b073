/*
 * The VMM's identity map. Boot maps 0-4 GiB with 2 MiB pages; phys_map()
 * extends it on demand (framebuffers and ACPI tables may lie higher).
 */
#include "mem/phys.h"
#include "mem/frame.h"
#include "lib/string.h"
#include "log.h"

#define PTE_P             BIT(0)
#define PTE_W             BIT(1)
#define PTE_PS            BIT(7)
#define PTE_ADDR          GENMASK(51, 12)
#define BOOT_MAPPED_LIMIT (4ULL << 30)
/* PML4[0] covers 512 GiB; nothing we must touch lies beyond it on supported machines. */
#define MAP_LIMIT (512ULL << 30)

extern uint64_t boot_pdpt[512];

static uint64_t *table_alloc(void)
{
	paddr_t pa = frame_alloc();

	if (!pa || pa >= BOOT_MAPPED_LIMIT)
		return NULL;
	memset((void *)pa, 0, PAGE_SIZE);
	return (uint64_t *)pa;
}

static bool map_2m(paddr_t pa)
{
	uint64_t *pdpte = &boot_pdpt[(pa >> 30) & 511];

	if (!(*pdpte & PTE_P)) {
		uint64_t *pd = table_alloc();
		if (!pd)
			return false;
		*pdpte = (uint64_t)pd | PTE_P | PTE_W;
	}
	uint64_t *pd = (uint64_t *)(*pdpte & PTE_ADDR);
	uint64_t *pde = &pd[(pa >> 21) & 511];
	if (!(*pde & PTE_P))
		*pde = ALIGN_DOWN(pa, 2ULL << 20) | PTE_P | PTE_W | PTE_PS;
	return true;
}

void *phys_map(paddr_t pa, size_t len)
{
	paddr_t end = pa + len;

	if (end < pa || end > MAP_LIMIT)
		return NULL;
	if (end <= BOOT_MAPPED_LIMIT)
		return (void *)pa;
	for (paddr_t p = ALIGN_DOWN(MAX(pa, BOOT_MAPPED_LIMIT), 2ULL << 20); p < end; p += 2ULL << 20) {
		if (!map_2m(p)) {
			pr_warn("phys_map: cannot map 0x%lx (no page-table memory)\n", p);
			return NULL;
		}
	}
	/* Only new entries were added, so no stale translation can exist; reload CR3 anyway for the PDPT. */
	asm volatile("mov %%cr3, %%rax\n mov %%rax, %%cr3" : : : "rax", "memory");
	return (void *)pa;
}
