/*
 * Integer arithmetic and logic with the status flags of SDM Vol. 1 3.4.3.1 "Status Flags" and
 * Appendix A "EFLAGS Cross-Reference": pure, so the host CPU can serve as the unit tests' oracle.
 */
#include "x86/alu.h"
#include "x86/alu_flags.h"
#include "x86/arch.h"

uint64_t alu_size_mask(unsigned size)
{
	return size >= 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * size)) - 1;
}

/* PF: set when the low byte of the result has an even number of 1 bits. */
static bool even_parity(uint64_t v)
{
	v &= 0xff;
	v ^= v >> 4;
	v ^= v >> 2;
	v ^= v >> 1;
	return !(v & 1);
}

/* SF, ZF and PF, which every arithmetic and logic result sets the same way. */
uint64_t alu_result_flags(uint64_t res, unsigned size)
{
	uint64_t f = 0;

	if (!res)
		f |= RFLAGS_ZF;
	if (res >> (8 * size - 1))
		f |= RFLAGS_SF;
	if (even_parity(res))
		f |= RFLAGS_PF;
	return f;
}

/* ADD/ADC: CF the carry out of the top bit, OF a signed overflow, AF the carry out of bit 3. */
static uint64_t add_flags(uint64_t a, uint64_t b, bool carry, uint64_t res, unsigned size)
{
	uint64_t top = (uint64_t)1 << (8 * size - 1), f = alu_result_flags(res, size);

	if (res < a || (carry && res == a))
		f |= RFLAGS_CF;
	if ((a ^ res) & (b ^ res) & top)
		f |= RFLAGS_OF;
	if ((a ^ b ^ res) & 0x10)
		f |= RFLAGS_AF;
	return f;
}

/* SUB/SBB/CMP/NEG: CF the borrow into the top bit, OF a signed overflow, AF the borrow into bit 4. */
static uint64_t sub_flags(uint64_t a, uint64_t b, bool borrow, uint64_t res, unsigned size)
{
	uint64_t top = (uint64_t)1 << (8 * size - 1), f = alu_result_flags(res, size);

	if (a < b || (borrow && a == b))
		f |= RFLAGS_CF;
	if ((a ^ b) & (a ^ res) & top)
		f |= RFLAGS_OF;
	if ((a ^ b ^ res) & 0x10)
		f |= RFLAGS_AF;
	return f;
}

uint64_t alu_exec(enum alu_op op, unsigned size, uint64_t dst, uint64_t src, uint64_t *rflags)
{
	uint64_t m = alu_size_mask(size), res, f;
	bool cf = *rflags & RFLAGS_CF;
	unsigned bit;

	if (alu_is_shift(op))
		return alu_shift(op, size, dst, src, rflags);
	dst &= m;
	src &= m;
	switch (op) {
	case ALU_ADD:
	case ALU_ADC:
		cf = op == ALU_ADC && cf;
		res = (dst + src + cf) & m;
		f = add_flags(dst, src, cf, res, size);
		break;
	case ALU_SUB:
	case ALU_SBB:
	case ALU_CMP:
		cf = op == ALU_SBB && cf;
		res = (dst - src - cf) & m;
		f = sub_flags(dst, src, cf, res, size);
		break;
	case ALU_NEG: /* 0 - dst: CF is set unless the operand is 0 (SDM Vol. 2 "NEG") */
		res = (0 - dst) & m;
		f = sub_flags(0, dst, false, res, size);
		break;
	case ALU_INC: /* CF is not affected (SDM Vol. 2 "INC", "DEC") */
		res = (dst + 1) & m;
		f = (add_flags(dst, 1, false, res, size) & ~RFLAGS_CF) | (cf ? RFLAGS_CF : 0);
		break;
	case ALU_DEC:
		res = (dst - 1) & m;
		f = (sub_flags(dst, 1, false, res, size) & ~RFLAGS_CF) | (cf ? RFLAGS_CF : 0);
		break;
	case ALU_AND:
	case ALU_TEST:
	case ALU_OR:
	case ALU_XOR: /* OF and CF cleared; AF undefined, cleared as Bochs and Intel CPUs do */
		res = op == ALU_OR ? dst | src : op == ALU_XOR ? dst ^ src : dst & src;
		f = alu_result_flags(res, size);
		break;
	case ALU_NOT: /* no flags (SDM Vol. 2 "NOT") */
		return ~dst & m;
	case ALU_BT:
	case ALU_BTS:
	case ALU_BTR:
	case ALU_BTC:
		/* CF is the bit; ZF is unaffected and OF/SF/AF/PF are undefined: left alone, as Bochs does. */
		bit = (unsigned)(src & (8 * size - 1));
		*rflags = (*rflags & ~RFLAGS_CF) | ((dst >> bit) & 1);
		return op == ALU_BTS   ? dst | BIT(bit)
		       : op == ALU_BTR ? dst & ~BIT(bit)
		       : op == ALU_BTC ? dst ^ BIT(bit)
				       : dst;
	default:
		return dst;
	}
	*rflags = (*rflags & ~RFLAGS_STATUS) | f;
	return alu_writes_dst(op) ? res : dst;
}

bool alu_is_shift(enum alu_op op)
{
	return op >= ALU_ROL && op <= ALU_SAR;
}

bool alu_writes_dst(enum alu_op op)
{
	return op != ALU_CMP && op != ALU_TEST && op != ALU_BT;
}

const char *alu_op_name(enum alu_op op)
{
	static const char *const names[ALU_OP_COUNT] = {
		"add", "or",  "adc", "sbb", "and", "sub", "xor", "cmp", "test", "inc", "dec", "not", "neg",
		"bt",  "bts", "btr", "btc", "rol", "ror", "rcl", "rcr", "shl",  "shr", "sal", "sar",
	};

	return (unsigned)op < ALU_OP_COUNT ? names[op] : "?";
}
