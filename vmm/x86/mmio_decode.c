/*
 * MOV r/m decoding (SDM Vol. 2A, 2.1 "Instruction Format", 2.2.1 REX, Tables 2-1 to 2-3):
 * prefixes, opcode, ModRM/SIB/displacement length, and the operand sizes.
 */
#include "x86/mmio_decode.h"
#include "lib/string.h"

struct dec {
	const uint8_t *p;
	size_t avail, pos;
	unsigned opsize, addrsize;
	uint8_t rex;
};

static int next(struct dec *d)
{
	return d->pos < d->avail && d->pos < 15 ? d->p[d->pos++] : -1;
}

static int prefixes(struct dec *d, enum mmio_cpu_mode mode)
{
	d->opsize = mode == MMIO_MODE16 ? 2 : 4;
	d->addrsize = mode == MMIO_MODE16 ? 2 : mode == MMIO_MODE32 ? 4 : 8;
	for (;;) {
		int b = next(d);
		switch (b) {
		case 0x66:
			d->opsize = mode == MMIO_MODE16 ? 4 : 2;
			continue;
		case 0x67:
			d->addrsize = mode == MMIO_MODE64 ? 4 : mode == MMIO_MODE32 ? 2 : 4;
			continue;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65: case 0xf0:
			continue;
		case -1:
			return -1;
		default:
			if (mode == MMIO_MODE64 && (b & 0xf0) == 0x40) {
				d->rex = (uint8_t)b;
				if (d->rex & 8)
					d->opsize = 8;
				b = next(d);
				if (b < 0 || (b & 0xf0) == 0x40)
					return -1;
			}
			return b;
		}
	}
}

/* Consumes ModRM, SIB and displacement; returns ModRM or -1 for a register operand. */
static int modrm(struct dec *d)
{
	int m = next(d);
	unsigned disp = 0;

	if (m < 0 || (m >> 6) == 3)
		return -1;
	unsigned mod = (unsigned)m >> 6, rm = (unsigned)m & 7;
	if (d->addrsize == 2) {
		disp = mod == 1 ? 1 : mod == 2 ? 2 : (mod == 0 && rm == 6) ? 2 : 0;
	} else {
		if (rm == 4) {
			int sib = next(d);
			if (sib < 0)
				return -1;
			if (mod == 0 && (sib & 7) == 5)
				disp = 4;
		}
		if (mod == 0 && rm == 5)
			disp = 4;
		if (mod == 1)
			disp = 1;
		if (mod == 2)
			disp = 4;
	}
	if (d->pos + disp > d->avail)
		return -1;
	d->pos += disp;
	return m;
}

static uint64_t read_imm(struct dec *d, unsigned n, bool *ok)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++) {
		int b = next(d);
		if (b < 0) {
			*ok = false;
			return 0;
		}
		v |= (uint64_t)b << (8 * i);
	}
	/* Sign-extend to 64 bits; callers truncate to the access size. */
	if (n && n < 8 && (v & ((uint64_t)1 << (8 * n - 1))))
		v |= ~(uint64_t)0 << (8 * n);
	return v;
}

static void set_reg(struct dec *d, struct mmio_insn *o, int m)
{
	o->reg = (int)(((unsigned)m >> 3) & 7) | ((d->rex & 4) ? 8 : 0);
	o->high8 = o->size == 1 && !d->rex && o->reg >= 4 && o->reg < 8;
	if (o->high8)
		o->reg -= 4;
}

int mmio_decode(const uint8_t *code, size_t avail, enum mmio_cpu_mode mode, struct mmio_insn *out)
{
	struct dec d = { .p = code, .avail = avail };
	struct mmio_insn o;
	bool ok = true;
	int m, op = prefixes(&d, mode);

	memset(&o, 0, sizeof(o));
	switch (op) {
	case 0x88: case 0x89: case 0x8a: case 0x8b:
		o.store = op <= 0x89;
		o.size = (op & 1) ? d.opsize : 1;
		if ((m = modrm(&d)) < 0)
			return -1;
		set_reg(&d, &o, m);
		break;
	case 0xc6: case 0xc7:
		o.store = true;
		o.size = op == 0xc6 ? 1 : d.opsize;
		if ((m = modrm(&d)) < 0 || ((m >> 3) & 7) != 0)
			return -1;
		o.reg = -1;
		o.imm = read_imm(&d, o.size == 8 ? 4 : o.size, &ok);
		break;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		o.store = op >= 0xa2;
		o.size = (op & 1) ? d.opsize : 1;
		o.reg = 0;
		if (d.pos + d.addrsize > d.avail)
			return -1;
		d.pos += d.addrsize;
		break;
	case 0x0f: {
		int op2 = next(&d);
		if (op2 != 0xb6 && op2 != 0xb7 && op2 != 0xbe && op2 != 0xbf)
			return -1;
		o.size = (op2 & 1) ? 2 : 1;
		o.sign_extend = op2 >= 0xbe;
		if ((m = modrm(&d)) < 0)
			return -1;
		o.reg = (int)(((unsigned)m >> 3) & 7) | ((d.rex & 4) ? 8 : 0);
		o.dst_size = d.opsize;
		break;
	}
	default:
		return -1;
	}
	if (!ok || d.pos > 15)
		return -1;
	if (!o.dst_size)
		o.dst_size = o.size;
	o.len = (unsigned)d.pos;
	*out = o;
	return 0;
}
