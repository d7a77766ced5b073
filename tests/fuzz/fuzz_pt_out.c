/*
 * libFuzzer harness: the emulated PT output writer (vmm/pt/emul/pt_emul_out.c), ToPA and
 * single-range, against a model guest: 108 KiB of writable RAM, 8 KiB read-only behind it, the
 * rest unmapped, all behind a real EPT in a 4 MiB physical arena. The input gives the output MSRs,
 * up to 24 ToPA entries and up to 8 writes. Every guest access of the writer goes through the EPT
 * walker, watched here (-Wl,--wrap), in a first run where the writer is refused its cached mappings
 * (ept_guest_ptr wrapped), and the EPT may change between writes (pages made read-only and back).
 * After each write:
 *   - bytes counted (st.bytes) == bytes that landed (what ept_write_guest reported copied),
 *     and counted + dropped == the bytes offered;
 *   - OUTPUT_BASE/OUTPUT_MASK_PTRS name the byte right after the last one that landed, LowerMask
 *     stays 7FH, a single-range mask never changes;
 *   - the result and STATUS.Error/Stopped agree.
 * After all writes: nothing outside the writable RAM changed anywhere in the arena (EPT tables,
 * the read-only page, the host memory around the guest). A second run of the same input with the
 * writer's mappings (ToPA table page and output region kept while the EPT generation holds) must end
 * with the same guest memory, pointers, status and counts.
 */
#include <stdlib.h>
#include <string.h>
#include "env.h"
#include "phys_arena.h"
#include "ept/ept.h"
#include "ept/ept_walk.h"
#include "mem/frame.h"
#include "msr.h"
#include "pt/emul/pt_emul_out.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t __real_ept_write_guest(const struct ept *e, uint64_t gpa, const void *src, size_t len);
size_t __wrap_ept_write_guest(const struct ept *e, uint64_t gpa, const void *src, size_t len);
size_t __real_ept_read_guest(const struct ept *e, uint64_t gpa, void *dst, size_t len);
size_t __wrap_ept_read_guest(const struct ept *e, uint64_t gpa, void *dst, size_t len);

#define ARENA   0x400000ULL
#define TABLES  0x100000ULL /* the frame allocator's EPT tables: [1 MiB, 2 MiB) */
#define RAM_HPA 0x200000ULL
#define RAM     0x1b000ULL /* GPA [0, RAM): writable; not a power of two, so aligned regions can straddle its end */
#define RO      0x2000ULL  /* GPA [RAM, RAM + RO): read-only; above: not mapped */

static struct ept ept;
static uint8_t *arena_at_init;

/* What the writer did through the EPT walker during one pt_out_write(). */
static struct {
	uint64_t landed, last_gpa; /* bytes copied in; the last of them */
	uint64_t read_gpa[64], read_val[64];
	unsigned nread;
} seen;

size_t __wrap_ept_write_guest(const struct ept *e, uint64_t gpa, const void *src, size_t len)
{
	size_t done = __real_ept_write_guest(e, gpa, src, len);

	FUZZ_CHECK(done <= len);
	if (done) {
		FUZZ_CHECK(gpa + done <= RAM);
		seen.landed += done;
		seen.last_gpa = gpa + done - 1;
	}
	return done;
}

size_t __wrap_ept_read_guest(const struct ept *e, uint64_t gpa, void *dst, size_t len)
{
	size_t done = __real_ept_read_guest(e, gpa, dst, len);

	if (done == 8 && len == 8 && seen.nread < 64) {
		seen.read_gpa[seen.nread] = gpa;
		memcpy(&seen.read_val[seen.nread++], dst, 8);
	}
	return done;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct ept_caps caps = { .pages_2m = true, .pages_1g = true, .wb = true };
	const struct mem_range map[] = { { TABLES, RAM_HPA - TABLES, MEM_USABLE } };

	(void)argc;
	(void)argv;
	fuzz_env_init();
	phys_arena_init(ARENA);
	frame_init(map, 1, NULL, 0);
	FUZZ_CHECK(ept_init(&ept, &caps) == 0);
	FUZZ_CHECK(ept_map(&ept, 0, RAM_HPA, RAM, EPT_RWX, EPT_MT_WB) == 0);
	FUZZ_CHECK(ept_map(&ept, RAM, RAM_HPA + RAM, RO, EPT_R, EPT_MT_WB) == 0);
	memset(phys_arena_at(RAM_HPA + RAM), 0x5a, RO);
	arena_at_init = malloc(ARENA);
	memcpy(arena_at_init, phys_arena_at(0), ARENA);
	return 0;
}

/* A guest-physical address near the interesting edges: RAM's end, the read-only page, anywhere. */
static uint64_t pick_gpa(struct fuzz_in *in)
{
	uint64_t page = (uint64_t)fuzz_below(in, (RAM + RO) / PAGE_SIZE + 2) * PAGE_SIZE;

	switch (fuzz_u8(in) & 7) {
	case 0:
		return fuzz_u64(in);
	case 1:
		return page + (fuzz_u16(in) & 0xfff);
	default:
		return page;
	}
}

static uint64_t pick_entry(struct fuzz_in *in)
{
	uint8_t f = fuzz_u8(in);
	uint64_t e = pick_gpa(in) & ~(PAGE_SIZE - 1);

	e |= (uint64_t)(f & 0x80 ? fuzz_u8(in) & 15 : (f >> 4) & 3) << TOPA_SIZE_SHIFT;
	e |= f & (TOPA_END | TOPA_INT | TOPA_STOP);
	if ((f & 0x68) == 0x68)
		e |= fuzz_u64(in) & (TOPA_RESERVED | ~((1ULL << 36) - 1));
	return e;
}

static void setup_output(struct fuzz_in *in, struct pt_vctx *ctx)
{
	uint8_t how = fuzz_u8(in);
	unsigned n = fuzz_below(in, 25);

	pt_vctx_reset(ctx);
	ctx->ctl = RTIT_CTL_TRACEEN | (how & 1 ? RTIT_CTL_TOPA : 0);
	ctx->output_base = pick_gpa(in);
	if (how & 1) {
		ctx->output_mask_ptrs = ((uint64_t)fuzz_below(in, how & 2 ? 4096 : 2) << 32) |
					((uint64_t)fuzz_below(in, 24) << 7) | RTIT_MASK_PTRS_LOWER;
	} else {
		uint64_t size = 128ULL << fuzz_below(in, 12);
		ctx->output_mask_ptrs = ((uint64_t)fuzz_u32(in) % (size + 2) << 32) | (size - 1);
	}
	if (how & 0x80)
		ctx->output_mask_ptrs = fuzz_u64(in) | (how & 0x40 ? RTIT_MASK_PTRS_LOWER : 0);
	for (unsigned i = 0; i < n; i++) {
		uint64_t gpa = (fuzz_below(in, RAM / PAGE_SIZE) * PAGE_SIZE) | (fuzz_below(in, 512) * 8);
		uint64_t e = pick_entry(in);
		memcpy(phys_arena_at(RAM_HPA + gpa), &e, 8);
	}
}

static bool seen_entry(uint64_t gpa, uint64_t *e)
{
	for (unsigned i = seen.nread; i-- > 0;) {
		if (seen.read_gpa[i] == gpa) {
			*e = seen.read_val[i];
			return true;
		}
	}
	return false;
}

/* The pointers name the byte after the last that landed in this call. */
static void check_pointers(const struct pt_vctx *ctx, uint64_t mask_before)
{
	uint64_t off = ctx->output_mask_ptrs >> 32;

	if (!(ctx->ctl & RTIT_CTL_TOPA)) {
		uint64_t mask = ctx->output_mask_ptrs & 0xffffffffULL;
		FUZZ_CHECK(mask == (mask_before & 0xffffffffULL));
		FUZZ_CHECK(off ? ctx->output_base + off - 1 == seen.last_gpa
			       : ctx->output_base + mask == seen.last_gpa);
		return;
	}
	uint64_t idx = (ctx->output_mask_ptrs >> 7) & 0x1ffffff, e;
	FUZZ_CHECK((ctx->output_mask_ptrs & RTIT_MASK_PTRS_LOWER) == RTIT_MASK_PTRS_LOWER);
	if (off == 0)
		return; /* a region just filled: the next entry has not been read yet */
	FUZZ_CHECK(seen_entry(ctx->output_base + idx * 8, &e));
	FUZZ_CHECK((e & ~(PAGE_SIZE - 1)) + off - 1 == seen.last_gpa);
}

/* One write; `watched`: every access went through the walker, so what landed is known exactly. */
static void one_write(struct fuzz_in *in, struct pt_out *o, struct pt_vctx *ctx, bool watched)
{
	static uint8_t buf[3 * 4096 + 512];
	size_t n = fuzz_below(in, 8) ? fuzz_below(in, 600) : fuzz_below(in, sizeof(buf) + 1);
	uint64_t bytes = o->st.bytes, dropped = o->st.dropped, mask = ctx->output_mask_ptrs;
	enum pt_out_result r;

	memset(buf, 0x80 | fuzz_u8(in), n);
	memset(&seen, 0, sizeof(seen));
	r = pt_out_write(o, ctx, buf, n);
	FUZZ_CHECK(o->st.bytes - bytes + o->st.dropped - dropped == n);
	FUZZ_CHECK((r == PT_OUT_ERROR) == !!(ctx->status & RTIT_STATUS_ERROR));
	FUZZ_CHECK(r == PT_OUT_ERROR || (r == PT_OUT_STOPPED) == !!(ctx->status & RTIT_STATUS_STOPPED));
	if (!watched)
		return;
	FUZZ_CHECK(o->st.bytes - bytes == seen.landed);
	if (seen.landed)
		check_pointers(ctx, mask);
	else if (r != PT_OUT_OK)
		FUZZ_CHECK(ctx->output_mask_ptrs == mask || r == PT_OUT_ERROR);
}

/* Between writes the EPT may change: a RAM page made read-only or writable again (a new generation). */
static void maybe_remap(struct fuzz_in *in)
{
	uint8_t f = fuzz_u8(in);

	if ((f & 3) != 3)
		return;
	uint64_t gpa = (uint64_t)fuzz_below(in, RAM / PAGE_SIZE) * PAGE_SIZE;
	FUZZ_CHECK(ept_protect(&ept, gpa, PAGE_SIZE, f & 4 ? EPT_R : EPT_RWX) == 0);
}

/* The writer keeps the ToPA table page and the output region mapped while the EPT is unchanged; in the
   watched run it is refused those mappings, so that every access shows in the walker. */
static bool windows_off;
void *__real_ept_guest_ptr(const struct ept *e, uint64_t gpa, size_t len, unsigned need);
void *__wrap_ept_guest_ptr(const struct ept *e, uint64_t gpa, size_t len, unsigned need);
void *__wrap_ept_guest_ptr(const struct ept *e, uint64_t gpa, size_t len, unsigned need)
{
	return windows_off ? NULL : __real_ept_guest_ptr(e, gpa, len, need);
}

struct outcome {
	struct pt_vctx ctx;
	struct pt_out_stats st;
	uint8_t ram[RAM];
};

static void run(const uint8_t *data, size_t size, bool watched, struct outcome *out)
{
	struct fuzz_in in = { data, size, 0 };
	struct pt_out o = { .ept = &ept, .maxphyaddr = 36 };
	unsigned writes;

	windows_off = watched;
	memset(phys_arena_at(RAM_HPA), 0, RAM);
	setup_output(&in, &out->ctx);
	writes = 1 + fuzz_below(&in, 8);
	for (unsigned i = 0; i < writes; i++) {
		maybe_remap(&in);
		one_write(&in, &o, &out->ctx, watched);
	}
	out->st = o.st;
	memcpy(out->ram, phys_arena_at(RAM_HPA), RAM);
	FUZZ_CHECK(ept_protect(&ept, 0, RAM, EPT_RWX) == 0); /* the EPT's tables as they were */
}

/*
 * Each input runs twice: watched (every access through the walker, all checks above), then with the
 * writer's mappings; both must leave the same guest memory, pointers, status and counts.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcome watched, mapped;

	run(data, size, true, &watched);
	run(data, size, false, &mapped);
	FUZZ_CHECK(memcmp(&watched.st, &mapped.st, sizeof(watched.st)) == 0);
	FUZZ_CHECK(watched.ctx.output_base == mapped.ctx.output_base &&
		   watched.ctx.output_mask_ptrs == mapped.ctx.output_mask_ptrs &&
		   watched.ctx.status == mapped.ctx.status);
	FUZZ_CHECK(memcmp(watched.ram, mapped.ram, RAM) == 0);
	FUZZ_CHECK(memcmp(phys_arena_at(TABLES), arena_at_init + TABLES, RAM_HPA - TABLES) == 0);
	FUZZ_CHECK(memcmp(phys_arena_at(RAM_HPA + RAM), arena_at_init + RAM_HPA + RAM, ARENA - RAM_HPA - RAM) == 0);
	return 0;
}
