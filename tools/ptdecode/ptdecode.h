/* ptdecode: shared options, statistics and the entry points of its decoders (host tool, libipt). */
#ifndef PTDECODE_H
#define PTDECODE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <intel-pt.h>

/* Exit statuses: 0 decoded cleanly, 1 usage or I/O error, 2 the trace is corrupt or undecodable. */
#define PD_EXIT_OK     0
#define PD_EXIT_USAGE  1
#define PD_EXIT_DECODE 2

#define PD_MAX_SECTIONS 64

enum pd_mode { PD_FLOW, PD_PACKETS };
enum pd_section_kind { PD_SEC_RAW, PD_SEC_ELF };

struct pd_section_spec {
	enum pd_section_kind kind;
	const char *file;
	uint64_t addr; /* load address (raw) or bias added to p_vaddr (ELF) */
};

struct pd_opts {
	enum pd_mode mode;
	bool json;
	bool ips_only;
	bool bench;
	bool quiet;         /* decode and count, print nothing per item (the benchmark) */
	uint64_t max_insns; /* 0: no limit */
	struct pt_cpu cpu;  /* vendor pcv_unknown: no errata applied */
	const char *trace_path;
	unsigned nsections;
	struct pd_section_spec sections[PD_MAX_SECTIONS];
};

struct pd_stats {
	uint64_t packets;
	uint64_t insns;
	uint64_t events;
	uint64_t errors;
	uint64_t skipped; /* bytes before the first PSB */
};

/* Prints "ptdecode: error at offset 0x..: <pt_errstr> (<what>)" on stderr and, with --json, as
 * an {"error":...} object on out; counts it. A negative offset means "offset unknown". */
void pd_report_error(const struct pd_opts *o, FILE *out, struct pd_stats *st, int64_t offset, int status,
		     const char *what);

/* Decoders: each returns PD_EXIT_OK or PD_EXIT_DECODE and fills *st. */
int pd_packets_run(const struct pd_opts *o, const struct pt_config *cfg, FILE *out, struct pd_stats *st);
int pd_flow_run(const struct pd_opts *o, const struct pt_config *cfg, struct pt_image *image, FILE *out,
		struct pd_stats *st);

/* Adds every --image/--elf section to image through iscache; 0 or PD_EXIT_USAGE (message printed). */
int pd_image_build(const struct pd_opts *o, struct pt_image_section_cache *iscache, struct pt_image *image);

/* Names for packets, instruction classes and events (stable strings, used in text and JSON). */
const char *pd_packet_name(enum pt_packet_type type);
const char *pd_iclass_name(enum pt_insn_class iclass);
const char *pd_event_name(enum pt_event_type type);
int pd_mode_bits(enum pt_exec_mode mode);

/* --bench: decodes the trace repeatedly for at least half a second and prints the throughput. */
int pd_bench_run(struct pd_opts *o, const struct pt_config *cfg, struct pt_image *image);

#endif
