/* Test model for PT generation: decodes a trace with libipt's instruction flow decoder. */
#ifndef PTV_TEST_PT_DECODE_H
#define PTV_TEST_PT_DECODE_H

#include <intel-pt.h>
#include "pt_code.h"

#define PTD_MAX_IPS    200000 /* stops a decoder that runs away */
#define PTD_MAX_EVENTS 64

struct ptd_result {
	uint64_t *ips;
	enum pt_exec_mode *modes;
	size_t n;
	int first_err; /* first negative status, 0 if none (end of trace is not an error) */
	unsigned nerr;
	unsigned events[32];                /* count per pt_event_type */
	struct pt_event ev[PTD_MAX_EVENTS]; /* the first events, in order */
	unsigned nev;
	uint64_t time; /* last TSC seen by the decoder */
};

/* Decoded IPs kept, PTD_MAX_IPS unless lowered (the fuzzer's runs are short; the arrays are allocated each decode). */
extern size_t ptd_max_ips;

/* Decodes trace[0..len) from its first PSB, or from sync_offset if not ~0. */
void ptd_decode(const struct ptx_prog *p, uint8_t *trace, size_t len, uint64_t sync_offset, struct ptd_result *r);
void ptd_free(struct ptd_result *r);
/* Counts packets of a type in the trace; their offsets go to offs (up to max). */
unsigned ptd_count(uint8_t *trace, size_t len, enum pt_packet_type type, uint64_t *offs, unsigned max);
/* Finds the n-th event of a type; NULL if none. */
const struct pt_event *ptd_event(const struct ptd_result *r, enum pt_event_type type, unsigned n);

#endif
