/* EPT paging-structure pages: frames from the frame allocator, reached only through phys_map(). */
#include "ept/ept_table.h"
#include "mem/frame.h"
#include "mem/phys.h"
#include "lib/string.h"
#include "log.h"

/* Our own tables were mappable when allocated, so failing now is a bug, not a condition. */
uint64_t *ept_table_ptr(paddr_t pa)
{
	uint64_t *t = phys_map(pa, PAGE_SIZE);

	if (!t)
		panic("ept: table 0x%lx is not mappable", pa);
	return t;
}

paddr_t ept_table_alloc(struct ept *e)
{
	paddr_t pa = frame_alloc();

	if (!pa)
		return 0;
	uint64_t *t = phys_map(pa, PAGE_SIZE);
	if (!t) {
		frame_free(pa);
		return 0;
	}
	memset(t, 0, PAGE_SIZE);
	e->table_pages++;
	return pa;
}

/*
 * Frees the table at `level` and every table below it. Depth is at most 4, so an explicit
 * per-level cursor replaces recursion.
 */
void ept_table_free_tree(struct ept *e, paddr_t root, unsigned level)
{
	paddr_t table[EPT_LEVELS + 1];
	unsigned idx[EPT_LEVELS + 1];
	unsigned l = level;

	table[l] = root;
	idx[l] = 0;
	for (;;) {
		if (idx[l] == EPT_ENTRIES) {
			frame_free(table[l]);
			e->table_pages--;
			if (l == level)
				return;
			l++;
			idx[l]++;
			continue;
		}
		uint64_t ent = ept_table_ptr(table[l])[idx[l]];
		if (ept_entry_is_table(ent, l)) {
			l--;
			table[l] = ent & EPT_E_ADDR;
			idx[l] = 0;
			continue;
		}
		idx[l]++;
	}
}

/* The next-level leaves inherit every bit but the address: together they map what the large page did. */
bool ept_table_split(struct ept *e, uint64_t *slot, unsigned level)
{
	uint64_t ent = *slot;
	uint64_t flags = ent & ~(EPT_E_ADDR | EPT_E_PS);
	paddr_t base = ent & EPT_LEAF_ADDR(level);
	unsigned child = level - 1;
	paddr_t tpa = ept_table_alloc(e);

	if (!tpa)
		return false;
	uint64_t *t = ept_table_ptr(tpa);
	for (unsigned i = 0; i < EPT_ENTRIES; i++)
		t[i] = (base + i * EPT_LEVEL_SIZE(child)) | flags | (child > 1 ? EPT_E_PS : 0);
	/* Install only the finished table: a live walk never sees a half-built one. */
	*slot = tpa | EPT_TABLE_PERMS;
	return true;
}

/* Walks down from the PML4, building what is missing on the way to `level`. */
uint64_t *ept_table_slot(struct ept *e, uint64_t gpa, unsigned level)
{
	paddr_t table = e->pml4;

	for (unsigned l = EPT_LEVELS;; l--) {
		uint64_t *slot = &ept_table_ptr(table)[EPT_INDEX(gpa, l)];
		if (l == level)
			return slot;
		if (!ept_entry_present(*slot)) {
			paddr_t t = ept_table_alloc(e);
			if (!t)
				return NULL;
			*slot = t | EPT_TABLE_PERMS;
		} else if (!ept_entry_is_table(*slot, l) && !ept_table_split(e, slot, l)) {
			return NULL;
		}
		table = *slot & EPT_E_ADDR;
	}
}
