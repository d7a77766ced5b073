/*
 * Output of the emulated PT backend (SDM 33.2.7 "Trace Output"). The output
 * pointers live in the guest's virtual IA32_RTIT_OUTPUT_BASE/MASK_PTRS
 * exactly as hardware keeps them, so the guest reads where the trace ends.
 * ToPA tables and trace bytes are guest-physical and go through the EPT
 * walker: an address the guest's EPT does not map as writable RAM is an
 * operational error (STATUS.Error, trace stopped). Bytes before the first page
 * that is not writable RAM land, are counted in st.bytes and OUTPUT_MASK_PTRS
 * points after them; the rest is dropped, as a store that faults part way.
 */
#include "pt/emul/pt_emul_out.h"
#include "ept/ept_walk.h"
#include "lib/string.h"
#include "msr.h"

#define MASK_PTRS_OFFSET(m) ((m) >> 32)
#define MASK_PTRS_INDEX(m)  (((m) >> 7) & 0x1ffffff)

static enum pt_out_result out_error(struct pt_out *o, struct pt_vctx *ctx, uint64_t gpa, const char *what, size_t lost)
{
	ctx->status |= RTIT_STATUS_ERROR;
	o->error_gpa = gpa;
	o->error_what = what;
	o->st.errors++;
	o->st.dropped += lost;
	return PT_OUT_ERROR;
}

/*
 * Host pointer to [base, base + size) with the rights in `need`, or NULL (then the walker copies page
 * by page). The mapping is remembered until the EPT changes (its generation); the bytes are not.
 */
static uint8_t *window(const struct pt_out *o, struct pt_out_win *w, uint64_t base, uint64_t size, unsigned need)
{
	if (!(w->valid && w->gen == o->ept->gen && w->base == base && w->size == size && w->need == need)) {
		w->host = ept_guest_ptr(o->ept, base, size, need);
		w->valid = true;
		w->gen = o->ept->gen;
		w->base = base;
		w->size = size;
		w->need = need;
	}
	return w->host;
}

/* Writes k bytes at region + off; the bytes before the first page that is not writable RAM land. */
static size_t put(struct pt_out *o, uint64_t region, uint64_t size, uint64_t off, const uint8_t *p, size_t k)
{
	uint8_t *host = window(o, &o->region, region, size, EPT_W);

	if (!host)
		return ept_write_guest(o->ept, region + off, p, k);
	memcpy(host + off, p, k);
	return k;
}

/* The ToPA entry at egpa (8 bytes, 8-aligned): false when it is not in readable RAM. */
static bool read_entry(struct pt_out *o, uint64_t egpa, uint64_t *e)
{
	uint8_t *host = window(o, &o->table, egpa & ~(PAGE_SIZE - 1), PAGE_SIZE, EPT_R);

	if (!host)
		return ept_read_guest(o->ept, egpa, e, sizeof(*e)) == sizeof(*e);
	memcpy(e, host + (egpa & (PAGE_SIZE - 1)), sizeof(*e));
	return true;
}

static void set_ptrs(struct pt_vctx *ctx, uint64_t index_or_mask, uint64_t offset)
{
	ctx->output_mask_ptrs = (offset << 32) | (index_or_mask << 7) | RTIT_MASK_PTRS_LOWER;
}

static enum pt_out_result write_single(struct pt_out *o, struct pt_vctx *ctx, const uint8_t *p, size_t n)
{
	uint64_t mask = ctx->output_mask_ptrs & 0xffffffffULL; /* bits 31:7 size-1, 6:0 ones */
	uint64_t size = mask + 1;
	uint64_t off = MASK_PTRS_OFFSET(ctx->output_mask_ptrs);
	uint64_t base = ctx->output_base;

	/* Single-Range Output Errors (SDM 33.2.7.1): the region is base + offset, base aligned to the mask. */
	if (mask & size)
		return out_error(o, ctx, base, "single-range mask not contiguous", n);
	if (base & mask)
		return out_error(o, ctx, base, "single-range base not aligned to its size", n);
	if (off > mask)
		return out_error(o, ctx, base, "single-range output offset beyond the mask", n);
	while (n) {
		size_t k = (size_t)MIN((uint64_t)n, size - off);
		size_t done = put(o, base, size, off, p, k);
		o->st.bytes += done;
		off += done;
		if (done != k) {
			/* The bytes before the first page that is not writable RAM landed: the pointers follow them. */
			ctx->output_mask_ptrs = (off << 32) | mask;
			return out_error(o, ctx, base + off, "single-range output outside guest RAM", n - done);
		}
		p += k;
		n -= k;
		if (off == size) {
			off = 0; /* single-range output wraps (SDM 33.2.7.1) */
			o->st.wraps++;
		}
	}
	ctx->output_mask_ptrs = (off << 32) | mask;
	return PT_OUT_OK;
}

/* Why the entry at `index` is malformed, or NULL (SDM 33.2.7.2, "ToPA Errors"). */
static const char *topa_entry_problem(const struct pt_out *o, uint64_t e, uint64_t index)
{
	if ((e & TOPA_RESERVED) || (e >> o->maxphyaddr))
		return "ToPA entry with reserved bits set";
	/* ToPA rules violations: STOP or INT with END=1, END=1 in entry 0 of a table. */
	if ((e & TOPA_END) && (e & (TOPA_INT | TOPA_STOP)))
		return "ToPA END entry with INT or STOP set";
	if ((e & TOPA_END) && index == 0)
		return "ToPA END entry at index 0 of a table";
	return NULL;
}

static enum pt_out_result write_topa(struct pt_out *o, struct pt_vctx *ctx, const uint8_t *p, size_t n)
{
	uint64_t table = ctx->output_base;
	uint64_t index = MASK_PTRS_INDEX(ctx->output_mask_ptrs);
	uint64_t off = MASK_PTRS_OFFSET(ctx->output_mask_ptrs);
	unsigned hops = 0;

	/* A table base that is not 4-KByte aligned is a ToPA alignment violation (SDM 33.2.7.2). */
	if (table & (PAGE_SIZE - 1))
		return out_error(o, ctx, table, "ToPA table base not 4-KByte aligned", n);
	while (n) {
		uint64_t e;
		const char *bad;
		uint64_t egpa = table + index * 8;
		if (!read_entry(o, egpa, &e))
			return out_error(o, ctx, egpa, "ToPA table outside guest RAM", n);
		bad = topa_entry_problem(o, e, index);
		if (bad)
			return out_error(o, ctx, egpa, bad, n);
		if (e & TOPA_END) {
			if (++hops > TOPA_END_HOPS_MAX)
				return out_error(o, ctx, egpa, "ToPA END entries form a loop", n);
			table = e & ~(PAGE_SIZE - 1);
			index = 0;
			off = 0;
			ctx->output_base = table;
			set_ptrs(ctx, index, off);
			continue;
		}
		uint64_t size = PAGE_SIZE << ((e & TOPA_SIZE_MASK) >> TOPA_SIZE_SHIFT);
		uint64_t base = e & ~(PAGE_SIZE - 1);
		if (base & (size - 1))
			return out_error(o, ctx, egpa, "ToPA region not aligned to its size", n);
		/* Illegal ToPA Output Offset: only a ToPA stop may leave it at the region size (SDM 33.2.7.2). */
		if (off >= size)
			return out_error(o, ctx, egpa, "ToPA output offset beyond its region", n);
		size_t k = (size_t)MIN((uint64_t)n, size - off);
		size_t done = put(o, base, size, off, p, k);
		o->st.bytes += done;
		off += done;
		if (done != k) {
			set_ptrs(ctx, index, off); /* as for single-range: the landed bytes count */
			return out_error(o, ctx, base + off, "ToPA output region outside guest RAM", n - done);
		}
		p += k;
		n -= k;
		if (off < size) {
			set_ptrs(ctx, index, off);
			break;
		}
		/* The region is full: INT raises the PMI, STOP ends tracing (SDM 33.2.7.2, Table 33-3). */
		o->st.regions++;
		if (e & TOPA_INT) {
			o->pmi = true;
			o->st.pmis++;
		}
		if (e & TOPA_STOP) {
			/*
			 * ToPA stop leaves OUTPUT_BASE on this table, the index on the STOP entry and
			 * OutputOffset at the region size (SDM 33.2.7.2, "ToPA STOP").
			 */
			set_ptrs(ctx, index, size);
			ctx->status |= RTIT_STATUS_STOPPED;
			o->st.stops++;
			o->st.dropped += n;
			return PT_OUT_STOPPED;
		}
		index++;
		off = 0;
		set_ptrs(ctx, index, off);
		hops = 0; /* a region was filled: END hops since then are not a loop */
	}
	return PT_OUT_OK;
}

enum pt_out_result pt_out_write(struct pt_out *o, struct pt_vctx *ctx, const uint8_t *p, size_t n)
{
	if (ctx->status & (RTIT_STATUS_ERROR | RTIT_STATUS_STOPPED)) {
		o->st.dropped += n;
		return (ctx->status & RTIT_STATUS_ERROR) ? PT_OUT_ERROR : PT_OUT_STOPPED;
	}
	return (ctx->ctl & RTIT_CTL_TOPA) ? write_topa(o, ctx, p, n) : write_single(o, ctx, p, n);
}

uint64_t pt_out_room(const struct pt_out *o, const struct pt_vctx *ctx, uint64_t enough)
{
	uint64_t table = ctx->output_base, index = MASK_PTRS_INDEX(ctx->output_mask_ptrs);
	uint64_t off = MASK_PTRS_OFFSET(ctx->output_mask_ptrs), room = 0;

	if (ctx->status & (RTIT_STATUS_ERROR | RTIT_STATUS_STOPPED))
		return 0;
	if (!(ctx->ctl & RTIT_CTL_TOPA))
		return UINT64_MAX; /* single-range output wraps: no boundary has an effect */
	/* Regions that fill without INT or STOP act on nothing: the room runs on into the next ones. */
	for (unsigned hops = 0; hops < 2 * TOPA_END_HOPS_MAX; hops++) {
		uint64_t e;
		if (ept_read_guest(o->ept, table + index * 8, &e, sizeof(e)) != sizeof(e) ||
		    topa_entry_problem(o, e, index))
			return room;
		if (e & TOPA_END) {
			table = e & ~(PAGE_SIZE - 1);
			index = off = 0;
			continue;
		}
		uint64_t size = PAGE_SIZE << ((e & TOPA_SIZE_MASK) >> TOPA_SIZE_SHIFT);
		uint64_t base = e & ~(PAGE_SIZE - 1);
		/* Writes that would fail (an error) are no room either. */
		if ((base & (size - 1)) || off >= size)
			return room;
		uint64_t len = MIN(size - off, enough - room);
		if (!ept_guest_ptr(o->ept, base + off, len, EPT_W))
			return room;
		room += len;
		if (room >= enough || (e & (TOPA_INT | TOPA_STOP)))
			return room;
		index++;
		off = 0;
	}
	return room;
}
