/* Test model for PT generation: a tiny x86 code builder and a reference executor that feeds pt_gen. */
#include <stdlib.h>
#include <string.h>
#include <assert.h>
#include "pt_code.h"

void ptx_prog_init(struct ptx_prog *p)
{
	memset(p, 0, sizeof(*p));
}

unsigned ptx_region_add(struct ptx_prog *p, uint64_t base, bool bits32)
{
	assert(p->nregions < PTX_MAX_REGIONS);
	p->regions[p->nregions].base = base;
	p->regions[p->nregions].bits32 = bits32;
	/* Fill with HLT so a decoder that runs off the program does not find branches. */
	memset(p->regions[p->nregions].bytes, 0xf4, PTX_REGION_SIZE);
	return p->nregions++;
}

uint64_t ptx_here(const struct ptx_prog *p, unsigned r)
{
	return p->regions[r].base + p->regions[r].used;
}

static size_t put(struct ptx_region *rg, const uint8_t *b, size_t n)
{
	assert(rg->used + n <= PTX_REGION_SIZE);
	memcpy(rg->bytes + rg->used, b, n);
	rg->used += n;
	return n;
}

struct ptx_insn *ptx_emit(struct ptx_prog *p, unsigned r, enum ptx_kind kind)
{
	struct ptx_region *rg = &p->regions[r];
	struct ptx_insn *in = &p->insns[p->ninsns++];
	static const uint8_t jcc[6] = { 0x0f, 0x85 }, jmp[5] = { 0xe9 }, call[5] = { 0xe8 };
	static const uint8_t ljmp[7] = { 0xea };

	assert(p->ninsns <= PTX_MAX_INSNS);
	memset(in, 0, sizeof(*in));
	in->ip = ptx_here(p, r);
	in->kind = kind;
	/* clang-format off */
	switch (kind) {
	case PTX_NOP:      in->len = put(rg, (const uint8_t[]){ 0x90 }, 1); break;
	case PTX_JCC:      in->len = put(rg, jcc, 6); break;
	case PTX_JMP:      in->len = put(rg, jmp, 5); break;
	case PTX_CALL:     in->len = put(rg, call, 5); break;
	case PTX_RET:      in->len = put(rg, (const uint8_t[]){ 0xc3 }, 1); break;
	case PTX_JMP_IND:  in->len = put(rg, (const uint8_t[]){ 0xff, 0xe0 }, 2); break;
	case PTX_CALL_IND: in->len = put(rg, (const uint8_t[]){ 0xff, 0xd0 }, 2); break;
	case PTX_IRET:
		in->len = rg->bits32 ? put(rg, (const uint8_t[]){ 0xcf }, 1)
				     : put(rg, (const uint8_t[]){ 0x48, 0xcf }, 2);
		break;
	case PTX_INT3:     in->len = put(rg, (const uint8_t[]){ 0xcc }, 1); break;
	case PTX_LJMP:     in->len = put(rg, ljmp, 7); break;
	case PTX_MOV_CR3:  in->len = put(rg, (const uint8_t[]){ 0x0f, 0x22, 0xd8 }, 3); break;
	case PTX_POP:      in->len = put(rg, (const uint8_t[]){ 0x58 }, 1); break;
	case PTX_HLT:      in->len = put(rg, (const uint8_t[]){ 0xf4 }, 1); break;
	default:           assert(0); break;
	}
	/* clang-format on */
	return in;
}

static uint8_t *code_at(struct ptx_prog *p, uint64_t ip)
{
	for (unsigned i = 0; i < p->nregions; i++) {
		struct ptx_region *rg = &p->regions[i];
		if (ip >= rg->base && ip - rg->base < PTX_REGION_SIZE)
			return rg->bytes + (ip - rg->base);
	}
	return NULL;
}

void ptx_set_target(struct ptx_prog *p, struct ptx_insn *in, uint64_t target)
{
	uint8_t *c = code_at(p, in->ip);
	int32_t rel = (int32_t)(target - (in->ip + in->len));

	in->target = target;
	switch (in->kind) {
	case PTX_JCC:
		memcpy(c + 2, &rel, 4);
		break;
	case PTX_JMP:
	case PTX_CALL:
		memcpy(c + 1, &rel, 4);
		break;
	case PTX_LJMP: {
		uint32_t off = (uint32_t)target;
		uint16_t sel = 0x10;
		memcpy(c + 1, &off, 4);
		memcpy(c + 5, &sel, 2);
		break;
	}
	default:
		break;
	}
}

const struct ptx_insn *ptx_find(const struct ptx_prog *p, uint64_t ip)
{
	for (unsigned i = 0; i < p->ninsns; i++)
		if (p->insns[i].ip == ip)
			return &p->insns[i];
	return NULL;
}

int ptx_read(const struct ptx_prog *p, uint8_t *buf, size_t size, uint64_t ip)
{
	for (unsigned i = 0; i < p->nregions; i++) {
		const struct ptx_region *rg = &p->regions[i];
		if (ip >= rg->base && ip - rg->base < PTX_REGION_SIZE) {
			size_t n = MIN(size, PTX_REGION_SIZE - (ip - rg->base));
			memcpy(buf, rg->bytes + (ip - rg->base), n);
			return (int)n;
		}
	}
	return -1;
}

void ptx_sink_emit(void *ctx, const uint8_t *p, size_t n)
{
	struct ptx_sink *s = ctx;

	if (s->drop)
		return;
	if (s->n + n > s->cap) {
		s->cap = (s->cap + n) * 2;
		s->buf = realloc(s->buf, s->cap);
		assert(s->buf);
	}
	memcpy(s->buf + s->n, p, n);
	s->n += n;
}

void ptx_sink_free(struct ptx_sink *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}
