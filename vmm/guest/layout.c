/* Free-range placement of the boot information and the modules in a guest's RAM (rule in layout.h). */
#include "guest/layout.h"
#include "guest/linux_boot.h"
#include "guest/mbinfo.h"
#include "lib/string.h"
#include "log.h"

/* Page 0, the legacy hole, each image segment, the info and each module. */
#define LAYOUT_BUSY_MAX (2 + GUEST_IMAGE_SEGS_MAX + 1 + GUEST_MODS_MAX)

struct layout_busy {
	unsigned n;
	struct {
		uint64_t lo, hi; /* [lo, hi), whole pages */
	} r[LAYOUT_BUSY_MAX];
};

static void busy_add(struct layout_busy *b, uint64_t lo, uint64_t hi)
{
	if (b->n < LAYOUT_BUSY_MAX) {
		b->r[b->n].lo = ALIGN_DOWN(lo, PAGE_SIZE);
		b->r[b->n].hi = ALIGN_UP(hi, PAGE_SIZE);
		b->n++;
	}
}

/* The lowest page-aligned `at` >= from with [at, at+size) free and inside [0, mem_size). */
static bool busy_find(const struct layout_busy *b, uint64_t from, uint64_t size, uint64_t mem_size, uint64_t *out)
{
	uint64_t at = ALIGN_UP(from, PAGE_SIZE);
	bool moved = true;

	if (size > mem_size)
		return false;
	/* Each pass moves `at` past a range it overlapped, so this ends after at most n moves per range. */
	while (moved && at <= mem_size - size) {
		moved = false;
		for (unsigned i = 0; i < b->n; i++) {
			if (at < b->r[i].hi && b->r[i].lo < at + size) {
				at = b->r[i].hi;
				moved = true;
			}
		}
	}
	if (moved || at > mem_size - size)
		return false;
	*out = at;
	return true;
}

static bool layout_take(struct layout_busy *b, uint64_t from, uint64_t size, uint64_t mem_size, uint64_t *out)
{
	if (!busy_find(b, from, size, mem_size, out) && !busy_find(b, GUEST_LOAD_MIN, size, mem_size, out))
		return false;
	busy_add(b, *out, *out + size);
	return true;
}

int guest_layout_place(const char *guest, const struct guest_image *img, uint64_t mem_size, struct guest_layout *l)
{
	struct layout_busy b = { 0 };

	if (!guest)
		guest = "?";
	if (!img || !l || l->nmods > GUEST_MODS_MAX || img->nseg > GUEST_IMAGE_SEGS_MAX) {
		guest_image_refuse(guest, "no checked image or too many modules to place");
		return -1;
	}
	busy_add(&b, 0, GUEST_LOAD_MIN);
	busy_add(&b, GUEST_LEGACY_LO, GUEST_LEGACY_HI);
	for (unsigned i = 0; i < img->nseg; i++)
		busy_add(&b, img->seg[i].gpa, img->seg[i].gpa + img->seg[i].memsz);
	l->info_size = img->proto == BOOT_LINUX ? LX_INFO_SIZE : ALIGN_UP(guest_mbinfo_size_max(l), PAGE_SIZE);
	if (!layout_take(&b, GUEST_INFO_FROM, l->info_size, mem_size, &l->info_gpa)) {
		guest_image_refuse(guest, "no free range of its %lu KiB of RAM holds its boot information (%lu KiB)",
				   mem_size >> 10, l->info_size >> 10);
		return -1;
	}
	for (unsigned i = 0; i < l->nmods; i++) {
		struct guest_module *m = &l->mod[i];
		/* An empty module still gets a page of its own: every module has its own address. */
		uint64_t need = m->size ? m->size : 1;

		if (need > mem_size ||
		    !layout_take(&b, GUEST_MODS_FROM, ALIGN_UP(need, PAGE_SIZE), mem_size, &m->gpa)) {
			guest_image_refuse(
				guest,
				"module %u (%lu bytes) does not fit in a free range of its %lu KiB of RAM "
				"(image at [0x%lx, 0x%lx], %u module(s) placed before it); give it more mem=",
				m->line, m->size, mem_size >> 10, img->load_lo, img->load_hi, i);
			return -1;
		}
	}
	return 0;
}

int guest_layout_load(const char *guest, const struct guest_layout *l, const struct guest_mem *gm)
{
	if (!guest)
		guest = "?";
	for (unsigned i = 0; l && i < l->nmods && i < GUEST_MODS_MAX; i++) {
		const struct guest_module *m = &l->mod[i];
		uint8_t *dst = guest_mem_ptr(gm, m->gpa, m->size);

		if (!dst) {
			pr_err("guest %s: load failed: module %u (%lu bytes at 0x%lx) is not inside its memory\n",
			       guest, m->line, m->size, m->gpa);
			return -1;
		}
		if (m->size && !m->data) {
			pr_err("guest %s: load failed: module %u cannot be mapped to be read\n", guest, m->line);
			return -1;
		}
		if (m->size)
			memcpy(dst, m->data, m->size);
	}
	return 0;
}
