/* Extended page tables: one 4-level EPT per guest, built and changed range by range. */
#ifndef PTV_EPT_H
#define PTV_EPT_H

#include "types.h"

/* Access rights: bits 2:0 of every EPT entry (SDM 29.3.2 "EPT Translation Mechanism"). */
#define EPT_R   BIT(0)
#define EPT_W   BIT(1)
#define EPT_X   BIT(2)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)

/* Memory types: bits 5:3 of a leaf (SDM 29.3.7 "EPT and Memory Typing"); 2, 3 and 7 are reserved. */
#define EPT_MT_UC 0u
#define EPT_MT_WC 1u
#define EPT_MT_WT 4u
#define EPT_MT_WP 5u
#define EPT_MT_WB 6u

/* Entry layout (SDM 29.3.2, Table 29-1 "Format of an EPT PML4 Entry (PML4E)" and those after it). */
#define EPT_E_PERM         GENMASK(2, 0)
#define EPT_E_MT_SHIFT     3
#define EPT_E_MT           GENMASK(5, 3)
#define EPT_E_IPAT         BIT(6) /* ignore PAT: leaf entries only */
#define EPT_E_PS           BIT(7) /* PDPTE/PDE: maps a 1-GByte / 2-MByte page */
#define EPT_E_ADDR         GENMASK(51, 12)
#define EPT_E_RSVD_NONLEAF GENMASK(6, 3) /* must be 0 in entries that reference a table */

/* Levels: 4 = PML4E, 3 = PDPTE (1G leaf), 2 = PDE (2M leaf), 1 = PTE (4K leaf). */
/* By hand: clang-format 14 takes "(x) - 1" for a cast of -1 and writes "(x)-1". */
/* clang-format off */
#define EPT_LEVELS       4
#define EPT_ENTRIES      512
#define EPT_LEVEL_SHIFT(l)   (PAGE_SHIFT + 9 * ((l) - 1))
#define EPT_LEVEL_SIZE(l)    ((uint64_t)1 << EPT_LEVEL_SHIFT(l))
/* Host address bits of a leaf at level l: 51:30 for 1G, 51:21 for 2M, 51:12 for 4K. */
#define EPT_LEAF_ADDR(l)     GENMASK(51, EPT_LEVEL_SHIFT(l))
#define EPT_INDEX(gpa, l)    ((unsigned)(((gpa) >> EPT_LEVEL_SHIFT(l)) & (EPT_ENTRIES - 1)))
/* A 4-level walk translates 48 guest-physical address bits (SDM 29.3.2). */
#define EPT_GPA_LIMIT    EPT_LEVEL_SIZE(EPT_LEVELS + 1)
/* Entries hold host addresses in bits 51:12. */
#define EPT_HPA_LIMIT    BIT(52)
/* clang-format on */

/* What the CPU supports, from IA32_VMX_EPT_VPID_CAP (SDM A.10 "VPID and EPT Capabilities"). */
struct ept_caps {
	bool pages_2m, pages_1g, wb, uc, ad, exec_only;
	bool invept_single, invept_all; /* INVEPT types 1 and 2 (bits 25, 26) */
};

/* INVEPT types (SDM 31.3 "INVEPT"): which EPT-derived translations to invalidate. */
enum invept_type {
	INVEPT_SINGLE_CONTEXT = 1, /* those of one EPTP */
	INVEPT_ALL_CONTEXT = 2,    /* all of them */
};

struct ept_follower;

struct ept {
	paddr_t pml4;
	struct ept_caps caps;
	uint64_t table_pages;          /* paging-structure frames owned by this EPT, PML4 included */
	uint64_t gen;                  /* bumped by every change, so translation caches know to drop */
	struct ept_follower *follower; /* told of this EPT's changes, or NULL */
};

/*
 * Something kept in step with an EPT (an EPT view, ept_view.c): told of every range ept_map,
 * ept_unmap or ept_protect changed (whether or not all of it went through), of ptvisor's writes
 * through ept_write_guest, and of the EPT's destruction. `ept`, when set, is invalidated with it.
 */
struct ept_follower {
	void (*changed)(struct ept_follower *f, uint64_t gpa, uint64_t len);
	void (*written)(struct ept_follower *f, uint64_t gpa, uint64_t len);
	void (*destroyed)(struct ept_follower *f);
	const struct ept *ept;
};

void ept_caps_from_msr(uint64_t ept_vpid_cap, struct ept_caps *c);
/* Allocates a zeroed PML4; 0 or -1 when no frame is left. */
int ept_init(struct ept *e, const struct ept_caps *c);
/*
 * The EPTP VM-execution control (SDM 25.6.11 "Extended-Page-Table Pointer (EPTP)"):
 * WB paging-structure memory type (UC when only UC is supported), walk length 4, A/D flags off.
 */
uint64_t ept_eptp(const struct ept *e);
/*
 * Maps [gpa, gpa+len) -> [hpa, hpa+len) with perms (EPT_R|EPT_W|EPT_X) and an EPT_MT_* memory type,
 * using the largest page that the capabilities and the alignment of both gpa and hpa allow. Large pages
 * are split and tables under a new large page are freed as needed. 0, or -1 for bad arguments or no
 * memory (the part mapped before running out stays mapped). The caller does INVEPT for a live EPT.
 */
int ept_map(struct ept *e, uint64_t gpa, paddr_t hpa, uint64_t len, unsigned perms, unsigned memtype);
/* Makes [gpa, gpa+len) not present; unmapped parts are skipped. 0 or -1. */
int ept_unmap(struct ept *e, uint64_t gpa, uint64_t len);
/*
 * Changes the permissions of a range that must be mapped throughout (nothing changes otherwise),
 * splitting large pages at its edges. perms may not be 0: use ept_unmap. The caller does INVEPT.
 */
int ept_protect(struct ept *e, uint64_t gpa, uint64_t len, unsigned perms);
/*
 * After a change to a live EPT: invalidates the CPU's cached translations derived from it, with
 * single-context INVEPT where the CPU has it, else all-context (ept_invept.c). -1, with a report,
 * when the CPU has neither or INVEPT fails: stale translations may then remain.
 */
int ept_invalidate(const struct ept *e);
/* Frees every table page (a follower is told first); e->pml4 becomes 0. */
void ept_destroy(struct ept *e);

#endif
