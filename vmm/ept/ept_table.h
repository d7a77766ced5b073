/* EPT paging-structure pages: allocation, lookup with on-demand tables, large-page splits, freeing. */
#ifndef PTV_EPT_TABLE_H
#define PTV_EPT_TABLE_H

#include "types.h"
#include "ept/ept.h"

/* Non-leaf entries grant everything: the walk ANDs rights over all levels, so only leaves restrict. */
#define EPT_TABLE_PERMS EPT_RWX

/* Present means any of bits 2:0 set (SDM 29.3.2 "EPT Translation Mechanism"). */
static inline bool ept_entry_present(uint64_t ent)
{
	return (ent & EPT_E_PERM) != 0;
}

/* A PML4E always references a table (its bit 7 is reserved); a PDPTE or PDE does unless bit 7 is set. */
static inline bool ept_entry_is_table(uint64_t ent, unsigned level)
{
	return level > 1 && ept_entry_present(ent) && (level == EPT_LEVELS || !(ent & EPT_E_PS));
}

/* The table page at pa, which this EPT allocated (panics if it cannot be mapped). */
uint64_t *ept_table_ptr(paddr_t pa);
/* A zeroed table page counted in e->table_pages, or 0. */
paddr_t ept_table_alloc(struct ept *e);
/* Frees the table at `level` (4 = PML4 ... 1 = page table) and every table below it. */
void ept_table_free_tree(struct ept *e, paddr_t root, unsigned level);
/* Turns the large leaf *slot at `level` into a table of leaves mapping the same pages alike. */
bool ept_table_split(struct ept *e, uint64_t *slot, unsigned level);
/* The entry for gpa at `level`, creating tables and splitting large leaves above it; NULL on no memory. */
uint64_t *ept_table_slot(struct ept *e, uint64_t gpa, unsigned level);

/* ept_map, ept_unmap and ept_protect without telling an attached view (ept_view.c maps its own
   tables with these). */
int ept_map_range(struct ept *e, uint64_t gpa, paddr_t hpa, uint64_t len, unsigned perms, unsigned memtype);
int ept_unmap_range(struct ept *e, uint64_t gpa, uint64_t len);
int ept_protect_range(struct ept *e, uint64_t gpa, uint64_t len, unsigned perms);

#endif
