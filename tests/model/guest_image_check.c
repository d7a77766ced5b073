/* The invariants of a checked guest image: segments inside the file and guest RAM, the entry in code. */
#include <stddef.h>
#include "guest_image_check.h"

static const char *seg_insane(const struct guest_image *g, const struct guest_seg *s, size_t size, uint64_t mem)
{
	if (s->file_off > size || s->filesz > size - s->file_off)
		return "segment outside the file";
	if (s->filesz > s->memsz)
		return "segment file size above its memory size";
	if (s->gpa < GUEST_LOAD_MIN || s->gpa + s->memsz > mem || s->gpa + s->memsz <= s->gpa)
		return "segment outside guest RAM";
	if (s->gpa + s->memsz > GUEST_LEGACY_LO && s->gpa < GUEST_LEGACY_HI)
		return "segment in the legacy VGA/ROM hole";
	if (g->load_lo > s->gpa || g->load_hi < s->gpa + s->memsz - 1)
		return "segment outside [load_lo, load_hi]";
	return NULL;
}

const char *guest_image_insane(const struct guest_image *g, size_t size, uint64_t mem)
{
	bool entry_ok = false;
	const char *why;

	if (g->nseg < 1 || g->nseg > GUEST_IMAGE_SEGS_MAX)
		return "segment count out of range";
	for (unsigned i = 0; i < g->nseg; i++) {
		const struct guest_seg *s = &g->seg[i];

		if ((why = seg_insane(g, s, size, mem)))
			return why;
		if (s->exec && g->entry >= s->gpa && g->entry < s->gpa + s->memsz)
			entry_ok = true;
	}
	return entry_ok ? NULL : "entry point outside every executable segment";
}
