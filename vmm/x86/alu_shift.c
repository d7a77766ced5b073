/*
 * Shifts and rotates (SDM Vol. 2 "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR") with the status flags Bochs 2.7 gives
 * where the SDM leaves them undefined: OF for counts other than 1 follows each instruction's count-1
 * formula applied to the result, SAR clears OF, a shift clears AF, and SHL/SHR counts of the operand
 * width or more leave 0 in CF (and SHL also in OF).
 */
#include "x86/alu.h"
#include "x86/alu_flags.h"
#include "x86/arch.h"

static uint64_t msb(uint64_t v, unsigned width)
{
	return (v >> (width - 1)) & 1;
}

/* OF as MSB XOR the next bit of the result: ROR and RCR for count 1, SHR (SDM: the original MSB). */
static uint64_t top_two_differ(uint64_t res, unsigned width)
{
	return msb(res, width) ^ ((res >> (width - 2)) & 1);
}

static uint64_t set_cf_of(uint64_t rflags, uint64_t cf, uint64_t of)
{
	return (rflags & ~(RFLAGS_CF | RFLAGS_OF)) | (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0);
}

/* ROL, ROR, RCL, RCR: only CF and OF change (SDM Vol. 2 "Flags Affected"). */
static uint64_t rotate(enum alu_op op, unsigned width, uint64_t m, uint64_t dst, unsigned n, uint64_t *rflags)
{
	uint64_t cf_in = *rflags & RFLAGS_CF, res, cf;
	unsigned r;

	if (op == ALU_ROL || op == ALU_ROR) {
		/* tempCOUNT is the count MOD the width, yet CF and OF are set for any non-zero masked count. */
		r = n % width;
		res = !r              ? dst
		      : op == ALU_ROL ? ((dst << r) | (dst >> (width - r))) & m
				      : ((dst >> r) | (dst << (width - r))) & m;
		if (op == ALU_ROL)
			*rflags = set_cf_of(*rflags, res & 1, (res & 1) ^ msb(res, width));
		else
			*rflags = set_cf_of(*rflags, msb(res, width), top_two_differ(res, width));
		return res;
	}
	/* RCL/RCR rotate width+1 bits (CF included): a count that is a multiple of that changes nothing. */
	r = n % (width + 1);
	if (!r)
		return dst;
	if (op == ALU_RCL) {
		res = (dst << r) | (cf_in << (r - 1));
		if (r > 1)
			res |= dst >> (width + 1 - r);
		res &= m;
		cf = (dst >> (width - r)) & 1;
		*rflags = set_cf_of(*rflags, cf, cf ^ msb(res, width));
	} else {
		res = (dst >> r) | (cf_in << (width - r));
		if (r > 1)
			res |= dst << (width + 1 - r);
		res &= m;
		cf = (dst >> (r - 1)) & 1;
		*rflags = set_cf_of(*rflags, cf, top_two_differ(res, width));
	}
	return res;
}

uint64_t alu_shift(enum alu_op op, unsigned size, uint64_t dst, uint64_t count, uint64_t *rflags)
{
	unsigned width = 8 * size, n = (unsigned)(count & (size == 8 ? 0x3f : 0x1f)); /* SDM: 6 bits with REX.W */
	uint64_t m = alu_size_mask(size), res, cf, of;
	int64_t sx;

	dst &= m;
	if (!n)
		return dst; /* a zero count affects no flag */
	switch (op) {
	case ALU_ROL:
	case ALU_ROR:
	case ALU_RCL:
	case ALU_RCR:
		return rotate(op, width, m, dst, n, rflags);
	case ALU_SHL:
	case ALU_SAL:
		if (n <= width) {
			res = n == width ? 0 : (dst << n) & m;
			cf = (dst >> (width - n)) & 1;
			of = cf ^ msb(res, width);
		} else {
			res = cf = of = 0;
		}
		break;
	case ALU_SHR:
		res = n >= width ? 0 : dst >> n;
		cf = n > width ? 0 : (dst >> (n - 1)) & 1;
		of = top_two_differ(res, width);
		break;
	case ALU_SAR:
	default:
		sx = (int64_t)(dst << (64 - width)) >> (64 - width);
		res = (uint64_t)(sx >> (n >= width ? width - 1 : n)) & m;
		cf = (uint64_t)(sx >> (n > width ? width - 1 : n - 1)) & 1;
		of = 0; /* a one-bit SAR cannot overflow; Bochs clears it for every count */
		break;
	}
	/* SF, ZF, PF from the result; AF (undefined) cleared as Bochs does. */
	*rflags = set_cf_of((*rflags & ~RFLAGS_STATUS) | alu_result_flags(res, size), cf, of);
	return res;
}
