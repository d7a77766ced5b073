/* Test model for PT generation: one program, generator, sink, executor and libipt result together. */
#ifndef PTV_TEST_PT_ENV_H
#define PTV_TEST_PT_ENV_H

#include "pt_code.h"
#include "pt_decode.h"

#define PTX_R64 0x401000ull           /* 64-bit user code */
#define PTX_RK  0xffffffff81000000ull /* 64-bit kernel code (handlers) */
#define PTX_R32 0x10000ull            /* 32-bit code */
#define PTX_CR3 0x1000ull

struct ptx_env {
	struct ptx_prog prog;
	struct pt_gen gen;
	struct ptx_sink sink;
	struct ptx_exec x;
	struct ptd_result r;
	unsigned r64, rk, r32; /* region indices */
};

struct ptx_env *ptx_env_new(void);
void ptx_env_free(struct ptx_env *e);
/* Frees what a run allocated and starts an empty program again, for many runs in one env. */
void ptx_env_reset(struct ptx_env *e);
/* Starts tracing at entry (pt_gen_start) with cfg. */
void ptx_env_start(struct ptx_env *e, const struct pt_gen_cfg *cfg, uint64_t entry, enum pt_cpu_mode mode);
/* Runs to HLT and decodes the whole trace from its first PSB. */
void ptx_env_run(struct ptx_env *e, unsigned max, void (*hook)(struct ptx_exec *x, void *ctx), void *ctx);
/* Index of the first difference between executed and decoded IPs, or -1 when equal. */
long ptx_env_mismatch(const struct ptx_env *e);
/* The default configuration: BranchEn, return compression, OS, large PSBFreq. */
struct pt_gen_cfg ptx_cfg_default(void);

#endif
