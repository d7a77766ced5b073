/* An EPT view: the guest's EPT again with execute taken away but on learned pages, kept in step with it. */
#ifndef PTV_EPT_VIEW_H
#define PTV_EPT_VIEW_H

#include "types.h"
#include "ept/ept.h"

struct ept_violation;

#define EPT_VIEW_LEARN_MAX 1024 /* 4-KiB pages executable in a view at once (4 MiB of code) */

struct ept_view_stats {
	uint64_t learned, unlearned, evicted;
};

/*
 * `ept` maps what `base` maps, with the same host pages and memory types, but every page lacks
 * execute access except the learned ones, which keep execute and lose write instead (a write to
 * one exits and unlearns it). Changes to the base (ept_map, ept_unmap, ept_protect) are followed
 * range by range as they are made; ptvisor's writes through ept_write_guest unlearn.
 */
struct ept_view {
	struct ept_follower follower; /* attached to the base */
	struct ept ept;
	struct ept *base;
	uint64_t learned[EPT_VIEW_LEARN_MAX]; /* GPAs of pages, sorted (a write's pages are found at once) */
	unsigned n, next;                     /* once full, learned[next] gives way, in turn */
	struct ept_view_stats st;
};

/* What a violation under the view means (ept_view_fault). */
enum ept_view_fault {
	EPT_VIEW_BASE,  /* the base EPT forbids the access too: its own handlers decide */
	EPT_VIEW_FETCH, /* an instruction fetch the base allows from a page not learned */
	EPT_VIEW_RETRY, /* the view's own doing, undone (a learned page written): resume at the same RIP */
};

/* Builds the view of base and attaches it (base->follower): 0, or -1 with nothing attached. */
int ept_view_init(struct ept_view *w, struct ept *base);
/* Detaches and frees the view's tables (also done by ept_destroy of its base). */
void ept_view_destroy(struct ept_view *w);
/* The page at gpa becomes executable in the view (the oldest learned one gives way when full). */
void ept_view_learn(struct ept_view *w, uint64_t gpa);
/* [gpa, gpa+len) was written: the pages learned there are executable no more. */
void ept_view_written(struct ept_view *w, uint64_t gpa, uint64_t len);
/* Classifies an EPT violation taken while the view's EPTP was in use. */
enum ept_view_fault ept_view_fault(struct ept_view *w, const struct ept_violation *ev);
bool ept_view_is_learned(const struct ept_view *w, uint64_t gpa);

#endif
