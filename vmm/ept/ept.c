/* EPT construction: table frames, range map/unmap/protect with large-page splits, teardown. */
#include "ept/ept.h"
#include "ept/ept_table.h"
#include "lib/string.h"
#include "log.h"

_Static_assert(EPT_ENTRIES * sizeof(uint64_t) == PAGE_SIZE, "an EPT paging structure fills one page");
_Static_assert(EPT_LEVEL_SIZE(2) == (2ULL << 20), "a PDE leaf maps 2 MiB");
_Static_assert(EPT_LEVEL_SIZE(3) == (1ULL << 30), "a PDPTE leaf maps 1 GiB");
_Static_assert(EPT_GPA_LIMIT == (1ULL << 48), "a 4-level walk translates 48 bits");
_Static_assert(EPT_LEAF_ADDR(3) == GENMASK(51, 30), "1G page address field");
_Static_assert(EPT_INDEX(0xffffffffffffULL, 4) == 511 && EPT_INDEX(1ULL << 21, 2) == 1, "index math");

/* IA32_VMX_EPT_VPID_CAP bits (SDM A.10 "VPID and EPT Capabilities"). */
#define EPT_CAP_EXEC_ONLY     BIT(0)
#define EPT_CAP_UC            BIT(8)
#define EPT_CAP_WB            BIT(14)
#define EPT_CAP_2M            BIT(16)
#define EPT_CAP_1G            BIT(17)
#define EPT_CAP_AD            BIT(21)
#define EPT_CAP_INVEPT_SINGLE BIT(25)
#define EPT_CAP_INVEPT_ALL    BIT(26)

/* EPTP fields (SDM 25.6.11): bits 2:0 memory type, bits 5:3 page-walk length minus 1. */
#define EPTP_WALK_4 (3ULL << 3)

enum ept_op { EPT_OP_CHECK, EPT_OP_UNMAP, EPT_OP_PROTECT };

void ept_caps_from_msr(uint64_t cap, struct ept_caps *c)
{
	c->exec_only = cap & EPT_CAP_EXEC_ONLY;
	c->uc = cap & EPT_CAP_UC;
	c->wb = cap & EPT_CAP_WB;
	c->pages_2m = cap & EPT_CAP_2M;
	c->pages_1g = cap & EPT_CAP_1G;
	c->ad = cap & EPT_CAP_AD;
	c->invept_single = cap & EPT_CAP_INVEPT_SINGLE;
	c->invept_all = cap & EPT_CAP_INVEPT_ALL;
}

static unsigned ept_pick_level(const struct ept *e, uint64_t gpa, paddr_t hpa, uint64_t len)
{
	for (unsigned l = 3; l > 1; l--) {
		uint64_t sz = EPT_LEVEL_SIZE(l);
		bool supported = l == 3 ? e->caps.pages_1g : e->caps.pages_2m;
		if (supported && IS_ALIGNED(gpa | hpa, sz) && len >= sz)
			return l;
	}
	return 1;
}

/* Rights that would make a misconfiguration are refused (SDM 29.3.3.1 "EPT Misconfigurations"). */
static bool ept_perms_ok(const struct ept *e, unsigned perms)
{
	if (!perms || (perms & ~EPT_RWX))
		return false;
	if ((perms & EPT_W) && !(perms & EPT_R))
		return false;
	if ((perms & EPT_X) && !(perms & EPT_R) && !e->caps.exec_only)
		return false;
	return true;
}

/* Memory types 2, 3 and 7 are reserved in leaf entries (SDM 29.3.7 "EPT and Memory Typing"). */
static bool ept_memtype_ok(unsigned mt)
{
	switch (mt) {
	case EPT_MT_UC:
	case EPT_MT_WC:
	case EPT_MT_WT:
	case EPT_MT_WP:
	case EPT_MT_WB:
		return true;
	default:
		return false;
	}
}

static bool ept_range_ok(const struct ept *e, uint64_t gpa, uint64_t len)
{
	return e->pml4 && len && IS_ALIGNED(gpa | len, PAGE_SIZE) && gpa + len > gpa && gpa + len <= EPT_GPA_LIMIT;
}

int ept_init(struct ept *e, const struct ept_caps *c)
{
	memset(e, 0, sizeof(*e));
	if (!c)
		return -1;
	e->caps = *c;
	e->pml4 = ept_table_alloc(e);
	return e->pml4 ? 0 : -1;
}

uint64_t ept_eptp(const struct ept *e)
{
	uint64_t mt = (!e->caps.wb && e->caps.uc) ? EPT_MT_UC : EPT_MT_WB;

	return e->pml4 | EPTP_WALK_4 | mt;
}

int ept_map_range(struct ept *e, uint64_t gpa, paddr_t hpa, uint64_t len, unsigned perms, unsigned memtype)
{
	if (!ept_range_ok(e, gpa, len) || !IS_ALIGNED(hpa, PAGE_SIZE) || hpa + len < hpa || hpa + len > EPT_HPA_LIMIT) {
		pr_warn("ept_map: bad range GPA 0x%lx HPA 0x%lx len 0x%lx\n", gpa, hpa, len);
		return -1;
	}
	if (!ept_perms_ok(e, perms) || !ept_memtype_ok(memtype)) {
		pr_warn("ept_map: bad permissions 0x%x or memory type %u\n", perms, memtype);
		return -1;
	}
	while (len) {
		unsigned l = ept_pick_level(e, gpa, hpa, len);
		uint64_t sz = EPT_LEVEL_SIZE(l);
		uint64_t *slot = ept_table_slot(e, gpa, l);

		if (!slot) {
			pr_warn("ept_map: out of table memory at GPA 0x%lx\n", gpa);
			return -1;
		}
		uint64_t old = *slot;
		*slot = hpa | perms | ((uint64_t)memtype << EPT_E_MT_SHIFT) | (l > 1 ? EPT_E_PS : 0);
		/* A smaller-page subtree under the new large leaf is now unreachable. */
		if (ept_entry_is_table(old, l))
			ept_table_free_tree(e, old & EPT_E_ADDR, l - 1);
		gpa += sz;
		hpa += sz;
		len -= sz;
	}
	return 0;
}

/*
 * One walk per step from the PML4 down to the largest entry that [gpa, end) covers whole:
 * CHECK fails on a hole, UNMAP clears (freeing covered tables), PROTECT rewrites the rights.
 * Leaves only partly covered are split first.
 */
static int ept_apply(struct ept *e, uint64_t gpa, uint64_t end, enum ept_op op, unsigned perms)
{
	while (gpa < end) {
		paddr_t table = e->pml4;
		unsigned l = EPT_LEVELS;

		for (;;) {
			uint64_t *slot = &ept_table_ptr(table)[EPT_INDEX(gpa, l)];
			uint64_t sz = EPT_LEVEL_SIZE(l);
			uint64_t next = ALIGN_DOWN(gpa, sz) + sz;
			bool whole = IS_ALIGNED(gpa, sz) && end - gpa >= sz;

			if (!ept_entry_present(*slot)) {
				if (op == EPT_OP_CHECK)
					return -1;
				gpa = next;
				break;
			}
			if (ept_entry_is_table(*slot, l) && !(whole && op == EPT_OP_UNMAP)) {
				table = *slot & EPT_E_ADDR;
				l--;
				continue;
			}
			if (op == EPT_OP_CHECK) {
				gpa = next;
				break;
			}
			if (!whole) {
				if (!ept_table_split(e, slot, l))
					return -1;
				continue;
			}
			uint64_t old = *slot;
			*slot = op == EPT_OP_UNMAP ? 0 : (old & ~EPT_E_PERM) | perms;
			if (ept_entry_is_table(old, l))
				ept_table_free_tree(e, old & EPT_E_ADDR, l - 1);
			gpa = next;
			break;
		}
	}
	return 0;
}

/* A follower takes a changed range anew, whether the change went through or stopped halfway. */
static int ept_changed(struct ept *e, uint64_t gpa, uint64_t len, int r)
{
	e->gen++;
	if (e->follower && len && gpa + len > gpa && gpa + len <= EPT_GPA_LIMIT && IS_ALIGNED(gpa | len, PAGE_SIZE))
		e->follower->changed(e->follower, gpa, len);
	return r;
}

int ept_map(struct ept *e, uint64_t gpa, paddr_t hpa, uint64_t len, unsigned perms, unsigned memtype)
{
	return ept_changed(e, gpa, len, ept_map_range(e, gpa, hpa, len, perms, memtype));
}

int ept_unmap_range(struct ept *e, uint64_t gpa, uint64_t len)
{
	if (!ept_range_ok(e, gpa, len)) {
		pr_warn("ept_unmap: bad range GPA 0x%lx len 0x%lx\n", gpa, len);
		return -1;
	}
	if (ept_apply(e, gpa, gpa + len, EPT_OP_UNMAP, 0)) {
		pr_warn("ept_unmap: out of table memory splitting at GPA 0x%lx\n", gpa);
		return -1;
	}
	return 0;
}

int ept_unmap(struct ept *e, uint64_t gpa, uint64_t len)
{
	return ept_changed(e, gpa, len, ept_unmap_range(e, gpa, len));
}

int ept_protect_range(struct ept *e, uint64_t gpa, uint64_t len, unsigned perms)
{
	if (!ept_range_ok(e, gpa, len) || !ept_perms_ok(e, perms)) {
		pr_warn("ept_protect: bad range GPA 0x%lx len 0x%lx or permissions 0x%x\n", gpa, len, perms);
		return -1;
	}
	if (ept_apply(e, gpa, gpa + len, EPT_OP_CHECK, 0)) {
		pr_warn("ept_protect: GPA 0x%lx len 0x%lx is not mapped throughout\n", gpa, len);
		return -1;
	}
	if (ept_apply(e, gpa, gpa + len, EPT_OP_PROTECT, perms)) {
		pr_warn("ept_protect: out of table memory splitting at GPA 0x%lx\n", gpa);
		return -1;
	}
	return 0;
}

int ept_protect(struct ept *e, uint64_t gpa, uint64_t len, unsigned perms)
{
	return ept_changed(e, gpa, len, ept_protect_range(e, gpa, len, perms));
}

void ept_destroy(struct ept *e)
{
	e->gen++;
	if (e->follower)
		e->follower->destroyed(e->follower);
	e->follower = NULL;
	if (e->pml4)
		ept_table_free_tree(e, e->pml4, EPT_LEVELS);
	e->pml4 = 0;
}
