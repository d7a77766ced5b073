/*
 * Bitmap frame allocator: a set bit is a free frame. Usable ranges round inward,
 * everything else rounds outward, and any non-usable map entry wins over an
 * overlapping usable one, so a malformed map can only shrink what we hand out.
 */
#include "mem/frame.h"
#include "lib/string.h"
#include "log.h"

#define NFRAMES (FRAME_MAX_PHYS / PAGE_SIZE)
#define WORDS   (NFRAMES / 64)

static uint64_t free_bitmap[WORDS];
/* Frames that were free after frame_init: only these may ever be freed. */
static uint64_t owned_bitmap[WORDS];
static struct frame_stats stats;
static uint64_t next_hint;

static void bits_set(uint64_t *bm, paddr_t base, paddr_t end, bool value)
{
	uint64_t f = base / PAGE_SIZE, last = MIN(end / PAGE_SIZE, NFRAMES);

	while (f < last) {
		if (f % 64 == 0 && last - f >= 64) {
			bm[f / 64] = value ? ~0ULL : 0;
			f += 64;
			continue;
		}
		if (value)
			bm[f / 64] |= BIT(f % 64);
		else
			bm[f / 64] &= ~BIT(f % 64);
		f++;
	}
}

static void set_range(paddr_t base, paddr_t end, bool free)
{
	bits_set(free_bitmap, base, end, free);
}

static bool test_frame(uint64_t f)
{
	return f < NFRAMES && (free_bitmap[f / 64] & BIT(f % 64));
}

static uint64_t count_free(void)
{
	uint64_t n = 0;

	for (uint64_t w = 0; w < WORDS; w++)
		for (uint64_t x = free_bitmap[w]; x; x &= x - 1)
			n++;
	return n;
}

static void clear_outward(paddr_t base, uint64_t len)
{
	paddr_t end = base + len < base ? ~0ULL : base + len;

	set_range(ALIGN_DOWN(base, PAGE_SIZE), end > ~0ULL - PAGE_SIZE ? end : ALIGN_UP(end, PAGE_SIZE), false);
}

uint64_t frame_init(const struct mem_range *map, unsigned n, const struct mem_range *reserved, unsigned nres)
{
	memset(free_bitmap, 0, sizeof(free_bitmap));
	memset(&stats, 0, sizeof(stats));
	next_hint = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct mem_range *r = &map[i];
		if (r->type != MEM_USABLE || r->base + r->len < r->base)
			continue;
		paddr_t base = ALIGN_UP(r->base, PAGE_SIZE), end = ALIGN_DOWN(r->base + r->len, PAGE_SIZE);
		if (end > FRAME_MAX_PHYS) {
			stats.unmanaged_bytes += end - MAX(base, FRAME_MAX_PHYS);
			end = FRAME_MAX_PHYS;
		}
		if (base < end)
			set_range(base, end, true);
	}
	for (unsigned i = 0; i < n; i++)
		if (map[i].type != MEM_USABLE)
			clear_outward(map[i].base, map[i].len);
	stats.usable_frames = count_free();

	for (unsigned i = 0; i < nres; i++)
		clear_outward(reserved[i].base, reserved[i].len);
	set_range(0, PAGE_SIZE, false);
	memcpy(owned_bitmap, free_bitmap, sizeof(owned_bitmap));
	stats.free_frames = count_free();
	stats.reserved_frames = stats.usable_frames - stats.free_frames;
	next_hint = FRAME_LOW_LIMIT / PAGE_SIZE;
	return stats.free_frames;
}

paddr_t frame_alloc_contig(uint64_t pages, uint64_t align_pages)
{
	if (!pages || !align_pages || (align_pages & (align_pages - 1)))
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		uint64_t start = pass ? FRAME_LOW_LIMIT / PAGE_SIZE : next_hint;
		uint64_t f = ALIGN_UP(start, align_pages);
		while (f + pages <= NFRAMES) {
			uint64_t i = 0;
			while (i < pages && test_frame(f + i))
				i++;
			if (i == pages) {
				set_range(f * PAGE_SIZE, (f + pages) * PAGE_SIZE, false);
				stats.free_frames -= pages;
				next_hint = f + pages;
				return f * PAGE_SIZE;
			}
			f = ALIGN_UP(f + i + 1, align_pages);
		}
	}
	return 0;
}

paddr_t frame_alloc(void)
{
	return frame_alloc_contig(1, 1);
}

paddr_t frame_alloc_low(void)
{
	for (uint64_t f = 1; f < FRAME_LOW_LIMIT / PAGE_SIZE; f++) {
		if (test_frame(f)) {
			set_range(f * PAGE_SIZE, (f + 1) * PAGE_SIZE, false);
			stats.free_frames--;
			return f * PAGE_SIZE;
		}
	}
	return 0;
}

void frame_free_contig(paddr_t pa, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t f = pa / PAGE_SIZE + i;
		if (!IS_ALIGNED(pa, PAGE_SIZE) || f >= NFRAMES || !(owned_bitmap[f / 64] & BIT(f % 64)) ||
		    test_frame(f))
			panic("frame_free: bad or double free of frame 0x%lx", f * PAGE_SIZE);
		free_bitmap[f / 64] |= BIT(f % 64);
		stats.free_frames++;
	}
}

void frame_free(paddr_t pa)
{
	frame_free_contig(pa, 1);
}

bool frame_is_free(paddr_t pa)
{
	return test_frame(pa / PAGE_SIZE);
}

void frame_get_stats(struct frame_stats *s)
{
	*s = stats;
}
