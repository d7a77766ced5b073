/* Shift-and-subtract 64-bit division: slow but exact, and enough for printing and statistics. */
#include "div64.h"

uint64_t div64_u64_rem(uint64_t n, uint64_t d, uint64_t *rem)
{
	uint64_t q = 0, r = 0;

	if (d == 0) {
		*rem = ~(uint64_t)0;
		return ~(uint64_t)0;
	}
	/* Fast path: both fit in 32 bits, which the CPU's DIV handles directly. */
	if ((n >> 32) == 0 && (d >> 32) == 0) {
		*rem = (uint32_t)n % (uint32_t)d;
		return (uint32_t)n / (uint32_t)d;
	}
	for (int bit = 63; bit >= 0; bit--) {
		r = (r << 1) | ((n >> bit) & 1);
		if (r >= d) {
			r -= d;
			q |= (uint64_t)1 << bit;
		}
	}
	*rem = r;
	return q;
}

uint64_t __udivdi3(uint64_t n, uint64_t d)
{
	uint64_t r;

	return div64_u64_rem(n, d, &r);
}

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
	uint64_t r;

	div64_u64_rem(n, d, &r);
	return r;
}

/* GCC's combined form when one expression needs both; rem may be NULL. */
uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem)
{
	uint64_t r, q = div64_u64_rem(n, d, &r);

	if (rem)
		*rem = r;
	return q;
}

static uint64_t magnitude(int64_t v)
{
	return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/* C division truncates toward zero: the quotient is negative when signs differ; the remainder has n's sign. */
int64_t __divdi3(int64_t n, int64_t d)
{
	uint64_t r, q = div64_u64_rem(magnitude(n), magnitude(d), &r);

	return (n < 0) != (d < 0) ? (int64_t)((uint64_t)0 - q) : (int64_t)q;
}

int64_t __moddi3(int64_t n, int64_t d)
{
	uint64_t r;

	div64_u64_rem(magnitude(n), magnitude(d), &r);
	return n < 0 ? (int64_t)((uint64_t)0 - r) : (int64_t)r;
}
