/* Software EPT walker: the one way the VMM reaches guest-physical memory. */
#ifndef PTV_EPT_WALK_H
#define PTV_EPT_WALK_H

#include "types.h"
#include "ept/ept.h"

struct ept_xlate {
	paddr_t hpa;
	unsigned perms;   /* rights ANDed over every level of the walk */
	unsigned memtype; /* the leaf's EPT memory type */
	unsigned level;   /* 1 = 4K, 2 = 2M, 3 = 1G; where the walk stopped when not present */
	bool present;
	bool misconfig; /* a present entry on the way breaks SDM 29.3.3.1 */
	uint64_t entry; /* the last entry read: the leaf, the missing one or the bad one */
};

/* Walks the EPT like the CPU does (SDM 29.3.2 "EPT Translation Mechanism"); true when gpa is mapped. */
bool ept_translate(const struct ept *e, uint64_t gpa, struct ept_xlate *out);
/*
 * Host pointer to `len` bytes at gpa, or NULL unless all of them are mapped with every right in
 * `need` and, where the span crosses pages, the host pages are contiguous. len 0 gives NULL.
 */
void *ept_guest_ptr(const struct ept *e, uint64_t gpa, size_t len, unsigned need);
/* Page-by-page copies; they return the bytes copied, short at the first unmapped or forbidden page. */
size_t ept_read_guest(const struct ept *e, uint64_t gpa, void *dst, size_t len);
size_t ept_write_guest(const struct ept *e, uint64_t gpa, const void *src, size_t len);
/*
 * NULL when `entry` at `level` is fine or not present, else which rule of SDM 29.3.3.1
 * "EPT Misconfigurations" it breaks. Host-address bits above MAXPHYADDR are not checked.
 */
const char *ept_entry_problem(uint64_t entry, unsigned level, const struct ept_caps *c);

#endif
