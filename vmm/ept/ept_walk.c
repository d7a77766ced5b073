/* Software EPT walk, guest pointers and page-splitting guest copies. */
#include "ept/ept_walk.h"
#include "mem/phys.h"
#include "lib/string.h"

/* Bits 20:12 (2M) or 29:12 (1G) of a large leaf are reserved: the page offset comes from the GPA. */
#define EPT_LARGE_RSVD(l) GENMASK(EPT_LEVEL_SHIFT(l) - 1, PAGE_SHIFT)

_Static_assert(EPT_LARGE_RSVD(2) == GENMASK(20, 12), "2M page reserved bits");
_Static_assert(EPT_LARGE_RSVD(3) == GENMASK(29, 12), "1G page reserved bits");

static bool ept_is_leaf(uint64_t ent, unsigned level)
{
	return level == 1 || (level < EPT_LEVELS && (ent & EPT_E_PS));
}

const char *ept_entry_problem(uint64_t ent, unsigned level, const struct ept_caps *c)
{
	/* Only present entries (any of bits 2:0 set) can be misconfigured. */
	if (!(ent & EPT_E_PERM))
		return NULL;
	if ((ent & EPT_W) && !(ent & EPT_R))
		return "write permission without read permission";
	if ((ent & EPT_X) && !(ent & EPT_R) && !c->exec_only)
		return "execute-only, which the CPU does not support";
	if (level == EPT_LEVELS && (ent & EPT_E_PS))
		return "reserved bit 7 set in a PML4E";
	if (level == 3 && (ent & EPT_E_PS) && !c->pages_1g)
		return "1-GByte page, which the CPU does not support";
	if (level == 2 && (ent & EPT_E_PS) && !c->pages_2m)
		return "2-MByte page, which the CPU does not support";
	if (!ept_is_leaf(ent, level))
		return (ent & EPT_E_RSVD_NONLEAF) ? "reserved bits 6:3 set in a non-leaf entry" : NULL;
	if (level > 1 && (ent & EPT_LARGE_RSVD(level)))
		return "reserved address bits set in a large-page entry";
	switch ((ent & EPT_E_MT) >> EPT_E_MT_SHIFT) {
	case 2:
	case 3:
	case 7:
		return "reserved memory type (2, 3 or 7)";
	default:
		return NULL;
	}
}

bool ept_translate(const struct ept *e, uint64_t gpa, struct ept_xlate *out)
{
	paddr_t table = e->pml4;
	unsigned perms = EPT_RWX;

	memset(out, 0, sizeof(*out));
	if (!table || gpa >= EPT_GPA_LIMIT)
		return false;
	for (unsigned l = EPT_LEVELS; l >= 1; l--) {
		const uint64_t *t = phys_map(table, PAGE_SIZE);
		if (!t) {
			/* The entry read last points at memory we cannot reach: report it as bad. */
			out->misconfig = true;
			return false;
		}
		uint64_t ent = t[EPT_INDEX(gpa, l)];
		out->level = l;
		out->entry = ent;
		if (!(ent & EPT_E_PERM))
			return false;
		if (ept_entry_problem(ent, l, &e->caps)) {
			out->misconfig = true;
			return false;
		}
		/* Access rights are the AND over all levels (SDM 29.3.3.2 "EPT Violations"). */
		perms &= ent & EPT_E_PERM;
		if (ept_is_leaf(ent, l)) {
			out->hpa = (ent & EPT_LEAF_ADDR(l)) | (gpa & (EPT_LEVEL_SIZE(l) - 1));
			out->perms = perms;
			out->memtype = (ent & EPT_E_MT) >> EPT_E_MT_SHIFT;
			out->present = true;
			return true;
		}
		table = ent & EPT_E_ADDR;
	}
	return false;
}

void *ept_guest_ptr(const struct ept *e, uint64_t gpa, size_t len, unsigned need)
{
	struct ept_xlate x;
	paddr_t hpa0 = 0;
	uint64_t done = 0;

	if (!len || gpa + len < gpa)
		return NULL;
	while (done < len) {
		uint64_t cur = gpa + done;
		if (!ept_translate(e, cur, &x) || (x.perms & need) != need)
			return NULL;
		if (!done)
			hpa0 = x.hpa;
		else if (x.hpa != hpa0 + done)
			return NULL;
		done += EPT_LEVEL_SIZE(x.level) - (cur & (EPT_LEVEL_SIZE(x.level) - 1));
	}
	return phys_map(hpa0, len);
}

/* Exactly one of dst (read) and src (write) is set. */
static size_t ept_copy_guest(const struct ept *e, uint64_t gpa, uint8_t *dst, const uint8_t *src, size_t len)
{
	size_t done = 0;

	while (done < len) {
		uint64_t cur = gpa + done;
		size_t chunk = MIN(len - done, PAGE_SIZE - (cur & (PAGE_SIZE - 1)));
		uint8_t *p = ept_guest_ptr(e, cur, chunk, dst ? EPT_R : EPT_W);

		if (!p)
			break;
		if (dst)
			memcpy(dst + done, p, chunk);
		else
			memcpy(p, src + done, chunk);
		done += chunk;
	}
	return done;
}

size_t ept_read_guest(const struct ept *e, uint64_t gpa, void *dst, size_t len)
{
	return ept_copy_guest(e, gpa, dst, NULL, len);
}

/* A follower hears of what ptvisor writes for the guest (an EPT view forgets code learned there). */
size_t ept_write_guest(const struct ept *e, uint64_t gpa, const void *src, size_t len)
{
	size_t done = ept_copy_guest(e, gpa, NULL, src, len);

	if (e->follower && done)
		e->follower->written(e->follower, gpa, done);
	return done;
}
