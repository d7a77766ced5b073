/*
 * libFuzzer harness: the guest image checker and loader (vmm/guest/image*.c, mbheader.c,
 * linux_image.c): ELF32/ELF64, multiboot1/2 headers, the a.out kludge and bzImage. Input byte 0
 * picks the guest's RAM size, the rest is the module file in a heap buffer of exactly its size.
 * An accepted image must keep guest_image_insane()'s invariants, load, put each segment's file
 * bytes and zeroed bss where it said, and write nothing else.
 */
#include <stdlib.h>
#include <string.h>
#include "env.h"
#include "guest/image.h"
#include "guest_image_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define UNTOUCHED 0xa5
static const uint64_t mem_sizes[] = { 2ULL << 20, 8ULL << 20 };
static uint8_t *ram[2];
static uint8_t untouched[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_env_init();
	memset(untouched, UNTOUCHED, sizeof(untouched));
	for (unsigned i = 0; i < 2; i++) {
		ram[i] = malloc(mem_sizes[i]);
		memset(ram[i], UNTOUCHED, mem_sizes[i]);
	}
	return 0;
}

/* All n bytes at p are v (UNTOUCHED or 0). */
static bool all_bytes(const uint8_t *p, uint64_t n, uint8_t v)
{
	static const uint8_t zero[4096];
	const uint8_t *ref = v ? untouched : zero;

	for (uint64_t k = 0; k < n; k += sizeof(zero))
		if (memcmp(p + k, ref, MIN(n - k, sizeof(zero))) != 0)
			return false;
	return true;
}

static bool overlaps(const struct guest_seg *a, const struct guest_seg *b)
{
	return a->gpa < b->gpa + b->memsz && b->gpa < a->gpa + a->memsz;
}

/* Segment i's file bytes then zeroes, where no later segment overwrote them. */
static void check_seg(const struct guest_image *gi, unsigned i, const uint8_t *file, const uint8_t *host)
{
	const struct guest_seg *s = &gi->seg[i];

	for (unsigned j = i + 1; j < gi->nseg; j++)
		if (overlaps(s, &gi->seg[j]))
			return; /* the later one is checked whole; the loader's order decides these bytes */
	FUZZ_CHECK(memcmp(host + s->gpa, file + s->file_off, s->filesz) == 0);
	FUZZ_CHECK(all_bytes(host + s->gpa + s->filesz, s->memsz - s->filesz, 0));
}

/* Outside every segment nothing changed: the gaps between the segments sorted by address. */
static void check_outside(const struct guest_image *gi, const uint8_t *host, uint64_t mem)
{
	uint64_t at = 0;

	for (;;) {
		uint64_t next = mem, end = mem;
		for (unsigned j = 0; j < gi->nseg; j++) {
			const struct guest_seg *s = &gi->seg[j];
			if (s->gpa + s->memsz > at && s->gpa < next) {
				next = MAX(s->gpa, at);
				end = s->gpa + s->memsz;
			}
		}
		FUZZ_CHECK(all_bytes(host + at, next - at, UNTOUCHED));
		if (next == mem)
			return;
		/* Segments that start inside this one extend the covered span. */
		for (bool grew = true; grew;) {
			grew = false;
			for (unsigned j = 0; j < gi->nseg; j++) {
				const struct guest_seg *s = &gi->seg[j];
				if (s->gpa <= end && s->gpa + s->memsz > end) {
					end = s->gpa + s->memsz;
					grew = true;
				}
			}
		}
		at = end;
	}
}

static void check_accepted(const struct guest_image *gi, const uint8_t *file, size_t size, unsigned m)
{
	const char *why = guest_image_insane(gi, size, mem_sizes[m]);
	struct guest_mem gm = { ram[m], mem_sizes[m] };

	if (why)
		fuzz_fail(__FILE__, __LINE__, "accepted image: %s", why);
	FUZZ_CHECK(guest_image_kind_name(gi->kind) && guest_boot_proto_name(gi->proto));
	FUZZ_CHECK(guest_image_load("fuzz", file, size, gi, &gm) == 0);
	for (unsigned i = 0; i < gi->nseg; i++)
		check_seg(gi, i, file, ram[m]);
	check_outside(gi, ram[m], mem_sizes[m]);
	for (unsigned i = 0; i < gi->nseg; i++)
		memset(ram[m] + gi->seg[i].gpa, UNTOUCHED, gi->seg[i].memsz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_image gi;
	unsigned m;
	uint8_t *file;

	if (size < 1)
		return 0;
	m = data[0] & 1;
	size--;
	file = malloc(size ? size : 1);
	memcpy(file, data + 1, size);
	if (guest_image_check("fuzz", file, size, mem_sizes[m], &gi) == 0)
		check_accepted(&gi, file, size, m);
	free(file);
	return 0;
}
