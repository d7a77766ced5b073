/*
 * A second EPT hierarchy over the same guest memory that differs from the
 * guest's EPT (the base) only in execute access: an instruction fetch from a
 * page not learned makes an EPT violation (SDM 29.3.3.2 "EPT Violations"),
 * whatever the guest's own paging says. Learned pages may be executed and not
 * written, so code that is changed is seen before it runs again. The view is
 * built once and then follows the base range by range (it is the base's
 * struct ept_follower, told of every change), never rebuilt wholesale; the
 * combined mappings cached under its EPTP are invalidated with the base's
 * (ept_invalidate) or on its own changes here.
 */
#include "ept/ept_view.h"
#include "ept/ept_walk.h"
#include "ept/ept_table.h"
#include "ept/ept_violation.h"
#include "lib/string.h"

/* The index of the first learned page at or above `page` (the array is kept sorted). */
static unsigned lower_bound(const struct ept_view *w, uint64_t page)
{
	unsigned lo = 0, hi = w->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (w->learned[mid] < page)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int learned_index(const struct ept_view *w, uint64_t page)
{
	unsigned i = lower_bound(w, page);

	return i < w->n && w->learned[i] == page ? (int)i : -1;
}

bool ept_view_is_learned(const struct ept_view *w, uint64_t gpa)
{
	return learned_index(w, gpa & ~(PAGE_SIZE - 1)) >= 0;
}

/* The view's rights for a page the base maps with `perms`. */
static unsigned view_perms(const struct ept_view *w, uint64_t page, unsigned perms)
{
	if (learned_index(w, page) >= 0 && (perms & EPT_X))
		return perms & ~EPT_W;
	return perms & ~EPT_X;
}

/* Maps the page at `page` in the view as the base has it now (unmapped where the base is); false
   when the base maps it and the view could not (no table memory). */
static bool follow_page(struct ept_view *w, uint64_t page)
{
	struct ept_xlate x;
	unsigned p;

	if (ept_translate(w->base, page, &x) && (p = view_perms(w, page, x.perms)) != 0) {
		if (ept_map_range(&w->ept, page, x.hpa, PAGE_SIZE, p, x.memtype) == 0)
			return true;
		(void)ept_unmap_range(&w->ept, page, PAGE_SIZE);
		return false;
	}
	(void)ept_unmap_range(&w->ept, page, PAGE_SIZE);
	return true;
}

/* [gpa, gpa+len) of the base changed: mapped anew. The caller's INVEPT of the base covers the view. */
static void view_follow(struct ept_view *w, uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len, start = gpa;

	(void)ept_unmap_range(&w->ept, gpa, len);
	/* Leaf by leaf, as large as the base's: a 2-MiB guest page stays one entry here. */
	while (gpa < end) {
		struct ept_xlate x;
		bool mapped = ept_translate(w->base, gpa, &x);
		uint64_t size = EPT_LEVEL_SIZE(x.level);
		uint64_t next = ALIGN_DOWN(gpa, size) + size;

		if (next > end || next <= gpa)
			next = end;
		if (mapped && (x.perms & ~EPT_X))
			(void)ept_map_range(&w->ept, gpa, x.hpa, next - gpa, x.perms & ~EPT_X, x.memtype);
		gpa = next;
	}
	for (unsigned i = lower_bound(w, start); i < w->n && w->learned[i] < end; i++)
		(void)follow_page(w, w->learned[i]);
}

static struct ept_view *view_of(struct ept_follower *f)
{
	return (struct ept_view *)((char *)f - offsetof(struct ept_view, follower));
}

static void base_changed(struct ept_follower *f, uint64_t gpa, uint64_t len)
{
	view_follow(view_of(f), gpa, len);
}

static void base_written(struct ept_follower *f, uint64_t gpa, uint64_t len)
{
	ept_view_written(view_of(f), gpa, len);
}

static void base_destroyed(struct ept_follower *f)
{
	ept_view_destroy(view_of(f));
}

int ept_view_init(struct ept_view *w, struct ept *base)
{
	memset(w, 0, sizeof(*w));
	if (base->follower || ept_init(&w->ept, &base->caps) < 0)
		return -1;
	w->base = base;
	view_follow(w, 0, EPT_GPA_LIMIT);
	w->follower = (struct ept_follower){
		.changed = base_changed, .written = base_written, .destroyed = base_destroyed, .ept = &w->ept
	};
	base->follower = &w->follower;
	return 0;
}

void ept_view_destroy(struct ept_view *w)
{
	if (w->base && w->base->follower == &w->follower)
		w->base->follower = NULL;
	w->base = NULL;
	w->n = w->next = 0;
	if (w->ept.pml4)
		ept_table_free_tree(&w->ept, w->ept.pml4, EPT_LEVELS);
	w->ept.pml4 = 0;
}

/* Forgets learned[i] and takes execute away from its page again. */
static void forget(struct ept_view *w, unsigned i)
{
	uint64_t page = w->learned[i];

	memmove(&w->learned[i], &w->learned[i + 1], (w->n - i - 1) * sizeof(w->learned[0]));
	w->n--;
	(void)follow_page(w, page);
}

void ept_view_learn(struct ept_view *w, uint64_t gpa)
{
	uint64_t page = gpa & ~(PAGE_SIZE - 1);
	unsigned i = lower_bound(w, page);

	if (i < w->n && w->learned[i] == page)
		return;
	if (w->n == EPT_VIEW_LEARN_MAX) {
		/* Full: one gives way, in turn through the set (learning it again costs one exit). */
		unsigned victim = w->next;
		w->next = (w->next + 1) % EPT_VIEW_LEARN_MAX;
		forget(w, victim);
		w->st.evicted++;
		i = lower_bound(w, page);
	}
	memmove(&w->learned[i + 1], &w->learned[i], (w->n - i) * sizeof(w->learned[0]));
	w->learned[i] = page;
	w->n++;
	(void)follow_page(w, page);
	(void)ept_invalidate(&w->ept);
	w->st.learned++;
}

void ept_view_written(struct ept_view *w, uint64_t gpa, uint64_t len)
{
	bool changed = false;
	unsigned i = lower_bound(w, gpa & ~(PAGE_SIZE - 1));

	while (len && i < w->n && w->learned[i] < gpa + len) {
		forget(w, i);
		w->st.unlearned++;
		changed = true;
	}
	if (changed)
		(void)ept_invalidate(&w->ept);
}

enum ept_view_fault ept_view_fault(struct ept_view *w, const struct ept_violation *ev)
{
	uint64_t page = ev->gpa & ~(PAGE_SIZE - 1);
	unsigned need = (ev->read ? EPT_R : 0) | (ev->write ? EPT_W : 0) | (ev->fetch ? EPT_X : 0);
	struct ept_xlate x;

	if (ev->async || !ept_translate(w->base, ev->gpa, &x) || (x.perms & need) != need)
		return EPT_VIEW_BASE;
	if (ev->write && learned_index(w, page) >= 0) {
		ept_view_written(w, page, PAGE_SIZE);
		return EPT_VIEW_RETRY;
	}
	if (ev->fetch && learned_index(w, page) < 0)
		return EPT_VIEW_FETCH;
	/* The view lags the base here (a map that ran out of table memory): take the page again, or let
	   the base's handlers report it rather than retry for ever. */
	if (!follow_page(w, page))
		return EPT_VIEW_BASE;
	(void)ept_invalidate(&w->ept);
	return EPT_VIEW_RETRY;
}
