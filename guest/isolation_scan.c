/* isolation: searches all of the guest's RAM for what must never be there. */
#include "cpu.h"
#include "serial.h"
#include "test.h"
#include "hypercall.h"
#include "isolation.h"
#include "lib/format.h"
#include "lib/string.h"

#define HOLE_START    0x9f000u /* ptvisor's memory map: not RAM up to 1 MiB */
#define HOLE_END      0x100000u
#define MB2_HDR_MAGIC 0xE85250D6u /* Multiboot2 spec 3.1.1: the VMM image's header */
#define MB2_ARCH_I386 0u
#define VMM_LOG_SIG   "ptvisor: "
#define MAX_RANGES    (2 + (HOLE_END - HOLE_START) / 4096)

struct iso_range {
	uint32_t lo, hi;
};

struct iso_hits {
	uint32_t count;
	uint32_t first;
};

size_t iso_make_marker(char *buf, size_t size, const char *name)
{
	/* Starts with 'p' like VMM_LOG_SIG: scan_strings() relies on it. */
	return (size_t)ptv_snprintf(buf, size, "ptv-isolation-marker:%s;", name);
}

static void hits_add(struct iso_hits *h, uint32_t addr)
{
	if (!h->count)
		h->first = addr;
	h->count++;
}

/*
 * Every byte offset, one pass for all patterns: they are strings a leak could
 * place anywhere, and all start with 'p', so most bytes cost one compare.
 */
static void scan_strings(const struct iso_range *r, const char *const *pat, const size_t *len, struct iso_hits *h,
			 uint32_t npat)
{
	for (uint32_t a = r->lo; a < r->hi; a++) {
		const uint8_t *p = (const uint8_t *)a;

		if (*p != 'p')
			continue;
		for (uint32_t i = 0; i < npat; i++)
			if (a + len[i] <= r->hi && memcmp(p, pat[i], len[i]) == 0)
				hits_add(&h[i], a);
	}
}

/* The multiboot2 header is 8-byte aligned in its image; 4-byte steps also catch a misaligned copy. */
static void scan_mb2_header(const struct iso_range *r, struct iso_hits *h)
{
	for (uint32_t a = ALIGN_UP(r->lo, 4); a + 8 <= r->hi; a += 4) {
		const uint32_t *p = (const uint32_t *)a;

		if (p[0] == MB2_HDR_MAGIC && p[1] == MB2_ARCH_I386)
			hits_add(h, a);
	}
}

/*
 * Whether a page of the legacy hole has memory behind it: a read of an
 * unbacked page is one extra exit (EPT violation), seen between two STATS.
 */
static bool page_backed(uint32_t pa)
{
	struct ptv_hc_stats a = { 0 }, b = { 0 };

	hc_stats(&a);
	(void)cpu_read32_phys(pa);
	hc_stats(&b);
	return b.exits - a.exits == 1;
}

static uint32_t iso_build_ranges(struct iso_range *r, uint64_t mem)
{
	uint32_t n = 0, run = 0;

	r[n++] = (struct iso_range){ 0, HOLE_START };
	for (uint32_t pa = HOLE_START; pa < HOLE_END; pa += 4096) {
		if (!page_backed(pa))
			continue;
		if (n > 1 && r[n - 1].hi == pa)
			r[n - 1].hi = pa + 4096;
		else
			r[n++] = (struct iso_range){ pa, pa + 4096 };
		run++;
	}
	serial_printf("isolation: %u of %u pages in 0x9f000-0x100000 are backed\n", run,
		      (HOLE_END - HOLE_START) / 4096);
	r[n++] = (struct iso_range){ (uint32_t)ALIGN_UP((uint32_t)_end, 4), (uint32_t)mem };
	return n;
}

static void iso_report(const struct iso_hits *h, const char *what)
{
	if (h->count > 0)
		check(false, "no %s in my RAM (%u found, first at 0x%x)", what, h->count, h->first);
	else
		check(true, "no %s in my RAM", what);
}

void iso_check_scans(uint64_t mem, const char *peer)
{
	static struct iso_range ranges[MAX_RANGES];
	char marker[ISO_MARKER_MAX];
	const char *pat[2] = { VMM_LOG_SIG, marker };
	size_t len[2] = { sizeof(VMM_LOG_SIG) - 1, iso_make_marker(marker, sizeof(marker), peer) };
	struct iso_hits hits[2] = { { 0, 0 }, { 0, 0 } }, hdr = { 0, 0 };
	uint32_t n = iso_build_ranges(ranges, mem), npat = peer[0] ? 2 : 1;
	uint64_t bytes = 0;

	for (uint32_t i = 0; i < n; i++) {
		scan_strings(&ranges[i], pat, len, hits, npat);
		scan_mb2_header(&ranges[i], &hdr);
		bytes += ranges[i].hi - ranges[i].lo;
	}
	serial_printf("isolation: scanned %llu KiB in %u ranges (image 0x%x-0x%x skipped)\n",
		      (unsigned long long)(bytes / 1024), n, ISO_IMAGE_START, (uint32_t)_end);
	if (npat == 2) {
		char what[ISO_MARKER_MAX];

		ptv_snprintf(what, sizeof(what), "marker of %s", peer);
		iso_report(&hits[1], what);
	}
	iso_report(&hits[0], "\"ptvisor: \" (VMM log text)");
	iso_report(&hdr, "multiboot2 header (VMM image)");
}
