/* Trace output of the emulated PT backend: ToPA and single-range, written as guest-physical addresses. */
#ifndef PTV_PT_EMUL_OUT_H
#define PTV_PT_EMUL_OUT_H

#include "types.h"
#include "ept/ept.h"
#include "pt/pt_ctx.h"

/* ToPA table entry (SDM 33.2.7.2 "Table of Physical Addresses (ToPA)"). */
#define TOPA_END        BIT(0)
#define TOPA_INT        BIT(2)
#define TOPA_STOP       BIT(4)
#define TOPA_SIZE_SHIFT 6
#define TOPA_SIZE_MASK  GENMASK(9, 6)
#define TOPA_RESERVED   (BIT(1) | BIT(3) | BIT(5) | GENMASK(11, 10))
/* Following END entries more often than this in one write is a ToPA loop: an operational error. */
#define TOPA_END_HOPS_MAX 16

enum pt_out_result {
	PT_OUT_OK = 0,
	PT_OUT_STOPPED, /* a STOP region filled: STATUS.Stopped set, the rest dropped */
	PT_OUT_ERROR,   /* operational error: STATUS.Error set, the rest dropped */
};

struct pt_out_stats {
	uint64_t bytes;   /* bytes written to guest memory */
	uint64_t dropped; /* bytes lost to STOP or errors */
	uint64_t regions; /* ToPA regions filled */
	uint64_t pmis;    /* INT regions filled */
	uint64_t errors;
	uint64_t stops;
	uint64_t wraps; /* single-range wraps */
};

/* A guest-physical range mapped for the writer while the EPT is unchanged (host NULL: not contiguous RAM). */
struct pt_out_win {
	bool valid;
	uint64_t gen, base, size;
	unsigned need;
	uint8_t *host;
};

struct pt_out {
	const struct ept *ept;           /* the guest's EPT: every output access goes through its walker */
	struct pt_out_win table, region; /* the ToPA table page and the output region last used */
	uint8_t maxphyaddr;
	bool pmi;           /* an INT region filled since the flag was last cleared */
	uint64_t error_gpa; /* where the last error happened */
	const char *error_what;
	struct pt_out_stats st;
};

/*
 * Appends n bytes of packets to the output described by ctx (ToPA when
 * ctl.ToPA, else single-range), keeping OUTPUT_BASE and OUTPUT_MASK_PTRS
 * current and setting STATUS.Stopped/Error as hardware does.
 */
enum pt_out_result pt_out_write(struct pt_out *o, struct pt_vctx *ctx, const uint8_t *p, size_t n);
/* Bytes that go out before a ToPA region with INT or STOP fills (or a write would fail), counted up to
   `enough`: writes shorter than this have no effect but the bytes. UINT64_MAX for single-range output. */
uint64_t pt_out_room(const struct pt_out *o, const struct pt_vctx *ctx, uint64_t enough);

#endif
