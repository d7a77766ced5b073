/* Test model for PT generation: the reference executor that walks a ptx program and feeds pt_gen. */
#include <stdlib.h>
#include <string.h>
#include <assert.h>
#include "pt_code.h"

void ptx_exec_init(struct ptx_exec *x, struct ptx_prog *p, struct pt_gen *g, uint64_t ip, enum pt_cpu_mode mode)
{
	memset(x, 0, sizeof(*x));
	x->prog = p;
	x->gen = g;
	x->ip = ip;
	x->mode = mode;
	x->tsc = 0x1000;
}

void ptx_exec_free(struct ptx_exec *x)
{
	free(x->ips);
	free(x->modes);
	x->ips = NULL;
	x->modes = NULL;
}

static void record(struct ptx_exec *x)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 256;
		x->ips = realloc(x->ips, x->cap * sizeof(*x->ips));
		x->modes = realloc(x->modes, x->cap * sizeof(*x->modes));
		assert(x->ips && x->modes);
	}
	x->ips[x->n] = x->ip;
	x->modes[x->n] = x->mode;
	x->n++;
}

/* The upper half of the address space stands for CPL 0 code. */
static bool is_kernel(uint64_t ip)
{
	return (ip >> 63) != 0;
}

static uint64_t next_target(struct ptx_insn *in)
{
	assert(in->ntargets > 0);
	return in->targets[in->count++ % in->ntargets];
}

static void push_frame(struct ptx_exec *x, uint64_t ret)
{
	assert(x->nframes < PTX_MAX_DEPTH);
	x->frames[x->nframes] = ret;
	x->frame_modes[x->nframes++] = x->mode;
}

bool ptx_exec_step(struct ptx_exec *x)
{
	struct ptx_insn *in = (struct ptx_insn *)ptx_find(x->prog, x->ip);
	struct pt_step s = { .ip = x->ip, .tsc = ++x->tsc };
	bool go_on = true;

	assert(in != NULL);
	if (x->gen->on)
		record(x);
	s.len = in->len;
	s.next_ip = x->ip + in->len;
	s.cofi = PT_COFI_NONE;
	switch (in->kind) {
	case PTX_JCC:
		s.cofi = PT_COFI_JCC;
		s.taken = in->take(in->count++);
		if (s.taken)
			s.next_ip = in->target;
		break;
	case PTX_JMP:
		s.cofi = PT_COFI_JMP_DIRECT;
		s.next_ip = in->target;
		break;
	case PTX_CALL:
		s.cofi = PT_COFI_CALL_DIRECT;
		assert(x->depth < PTX_MAX_DEPTH);
		x->stack[x->depth++] = x->ip + in->len;
		s.next_ip = in->target;
		break;
	case PTX_CALL_IND:
		s.cofi = PT_COFI_CALL_INDIRECT;
		assert(x->depth < PTX_MAX_DEPTH);
		x->stack[x->depth++] = x->ip + in->len;
		s.next_ip = next_target(in);
		break;
	case PTX_JMP_IND:
		s.cofi = PT_COFI_JMP_INDIRECT;
		s.next_ip = next_target(in);
		break;
	case PTX_RET:
		s.cofi = PT_COFI_RET;
		assert(x->depth > 0);
		s.next_ip = x->stack[--x->depth];
		if (in->target)
			s.next_ip = in->target; /* a tampered return address */
		break;
	case PTX_IRET:
		s.cofi = PT_COFI_FAR;
		assert(x->nframes > 0);
		x->nframes--;
		s.next_ip = x->frames[x->nframes];
		x->mode = x->frame_modes[x->nframes];
		break;
	case PTX_INT3:
		s.cofi = PT_COFI_FAR;
		push_frame(x, x->ip + in->len);
		s.next_ip = in->target;
		x->mode = in->mode;
		break;
	case PTX_LJMP:
		s.cofi = PT_COFI_FAR;
		s.next_ip = in->target;
		x->mode = in->mode;
		break;
	case PTX_MOV_CR3:
		s.cofi = PT_COFI_MOV_CR3;
		x->cr3 = in->target;
		s.cr3 = in->target;
		break;
	case PTX_POP:
		assert(x->depth > 0);
		x->depth--;
		break;
	case PTX_HLT:
		go_on = false;
		break;
	case PTX_NOP:
	default:
		break;
	}
	s.mode = x->mode;
	if (x->user_only && x->gen->on && !is_kernel(s.ip) && is_kernel(s.next_ip))
		pt_gen_insn_exit(x->gen, &s);
	else
		pt_gen_insn(x->gen, &s);
	if (x->user_only && !x->gen->on && is_kernel(s.ip) && !is_kernel(s.next_ip))
		pt_gen_resume(x->gen, s.next_ip, x->mode);
	x->ip = s.next_ip;
	x->steps++;
	return go_on;
}

void ptx_exec_interrupt(struct ptx_exec *x, uint64_t handler, enum pt_cpu_mode mode)
{
	push_frame(x, x->ip);
	if (x->user_only && !is_kernel(x->ip) && is_kernel(handler))
		pt_gen_stop(x->gen, x->ip);
	else
		pt_gen_event(x->gen, x->ip, handler, mode);
	x->ip = handler;
	x->mode = mode;
}

void ptx_exec_run(struct ptx_exec *x, unsigned max, void (*hook)(struct ptx_exec *x, void *ctx), void *ctx)
{
	for (unsigned i = 0; i < max; i++) {
		if (hook)
			hook(x, ctx);
		if (!ptx_exec_step(x))
			break;
	}
	pt_gen_stop(x->gen, x->ip);
	pt_gen_flush(x->gen);
}
