/* Test model for PT generation: one program, generator, sink, executor and libipt result together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <assert.h>
#include "pt_env.h"

static void ptx_env_init(struct ptx_env *e)
{
	ptx_prog_init(&e->prog);
	e->r64 = ptx_region_add(&e->prog, PTX_R64, false);
	e->rk = ptx_region_add(&e->prog, PTX_RK, false);
	e->r32 = ptx_region_add(&e->prog, PTX_R32, true);
}

struct ptx_env *ptx_env_new(void)
{
	struct ptx_env *e = calloc(1, sizeof(*e));

	assert(e);
	ptx_env_init(e);
	return e;
}

static void ptx_env_release(struct ptx_env *e)
{
	ptd_free(&e->r);
	ptx_exec_free(&e->x);
	ptx_sink_free(&e->sink);
}

void ptx_env_reset(struct ptx_env *e)
{
	ptx_env_release(e);
	ptx_env_init(e);
}

void ptx_env_free(struct ptx_env *e)
{
	ptx_env_release(e);
	free(e);
}

struct pt_gen_cfg ptx_cfg_default(void)
{
	return (struct pt_gen_cfg){ .branch_en = true, .os = true, .psb_freq = 15 };
}

void ptx_env_start(struct ptx_env *e, const struct pt_gen_cfg *cfg, uint64_t entry, enum pt_cpu_mode mode)
{
	pt_gen_init(&e->gen, cfg, ptx_sink_emit, &e->sink);
	ptx_exec_init(&e->x, &e->prog, &e->gen, entry, mode);
	e->x.cr3 = PTX_CR3;
	pt_gen_start(&e->gen, entry, mode, PTX_CR3, e->x.tsc);
}

void ptx_env_run(struct ptx_env *e, unsigned max, void (*hook)(struct ptx_exec *x, void *ctx), void *ctx)
{
	ptx_exec_run(&e->x, max, hook, ctx);
	ptd_decode(&e->prog, e->sink.buf, e->sink.n, ~0ull, &e->r);
}

long ptx_env_mismatch(const struct ptx_env *e)
{
	size_t n = MIN(e->x.n, e->r.n);

	for (size_t i = 0; i < n; i++) {
		if (e->x.ips[i] != e->r.ips[i]) {
			fprintf(stderr, "flow differs at %zu: executed %#llx, decoded %#llx\n", i,
				(unsigned long long)e->x.ips[i], (unsigned long long)e->r.ips[i]);
			return (long)i;
		}
	}
	if (e->x.n != e->r.n) {
		fprintf(stderr, "executed %zu instructions, decoded %zu (first error %d)\n", e->x.n, e->r.n,
			e->r.first_err);
		return (long)n;
	}
	return -1;
}
