/* --bench: decode throughput (MB/s of trace, instructions/s) for tools/bench.sh. */
#include <time.h>
#include "ptdecode.h"

#define PD_BENCH_MIN_NS 500000000ull /* decode again until at least half a second has passed */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int pd_bench_run(struct pd_opts *o, const struct pt_config *cfg, struct pt_image *image)
{
	size_t bytes = (size_t)(cfg->end - cfg->begin);
	struct pd_stats first = { 0 };
	uint64_t runs = 0, insns = 0, packets = 0, start, elapsed;
	double secs;
	int rc;

	/* One reported run first, so a corrupt trace is diagnosed once and not benchmarked. */
	o->quiet = true;
	rc = o->mode == PD_PACKETS ? pd_packets_run(o, cfg, stdout, &first)
				   : pd_flow_run(o, cfg, image, stdout, &first);
	if (rc != PD_EXIT_OK) {
		o->quiet = false;
		fprintf(stderr, "ptdecode: bench: the trace does not decode cleanly (%llu errors):\n",
			(unsigned long long)first.errors);
		struct pd_stats again = { 0 };
		return o->mode == PD_PACKETS ? pd_packets_run(o, cfg, stderr, &again)
					     : pd_flow_run(o, cfg, image, stderr, &again);
	}
	start = now_ns();
	do {
		struct pd_stats st = { 0 };

		if (o->mode == PD_PACKETS)
			pd_packets_run(o, cfg, stdout, &st);
		else
			pd_flow_run(o, cfg, image, stdout, &st);
		runs++;
		insns += st.insns;
		packets += st.packets;
		elapsed = now_ns() - start;
	} while (elapsed < PD_BENCH_MIN_NS);
	secs = (double)elapsed / 1e9;
	if (o->json)
		printf("{\"bench\":{\"mode\":\"%s\",\"runs\":%llu,\"trace_bytes\":%zu,\"seconds\":%.3f,"
		       "\"mb_per_s\":%.2f,\"insns_per_s\":%.0f,\"packets_per_s\":%.0f,\"insns_per_run\":%llu}}\n",
		       o->mode == PD_PACKETS ? "packets" : "flow", (unsigned long long)runs, bytes, secs,
		       (double)bytes * (double)runs / 1e6 / secs, (double)insns / secs, (double)packets / secs,
		       (unsigned long long)first.insns);
	else
		printf("ptdecode bench: mode=%s runs=%llu trace_bytes=%zu seconds=%.3f MB/s=%.2f "
		       "insns/s=%.0f packets/s=%.0f insns_per_run=%llu\n",
		       o->mode == PD_PACKETS ? "packets" : "flow", (unsigned long long)runs, bytes, secs,
		       (double)bytes * (double)runs / 1e6 / secs, (double)insns / secs, (double)packets / secs,
		       (unsigned long long)first.insns);
	return PD_EXIT_OK;
}
