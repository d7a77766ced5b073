/*
 * repfreeze: one long string instruction beside a guest that watches the clock, to show that ptvisor
 * emulates a REP INS/OUTS a bounded piece per exit instead of holding the CPU for all of it.
 * Command line (after "--"):
 *   kib=N  one REP OUTSB of N KiB of its RAM to the unclaimed port 80H, timed by the TSC, with the VM
 *       exits it took (PTV_HC_STATS); at least one per 4 KiB when ptvisor bounds each exit.
 *   watch_mticks=N limit_mticks=L  instead reads the TSC in a loop for N million ticks and reports the
 *       longest gap between two reads (the longest time it was kept off the CPU), which must be under
 *       L million ticks.
 */
#include "cpu.h"
#include "hypercall.h"
#include "multiboot.h"
#include "serial.h"
#include "test.h"

#define UNCLAIMED_PORT 0x80
#define RAM_FROM       0x200000u /* above the image (linked at 1 MiB): only read */
#define BYTES_PER_EXIT 4096u     /* ptvisor's bound (vmm/vmx/exit_io.c) */
#define MILLION        1000000ull

static int rep(uint32_t kib)
{
	uint32_t esi = RAM_FROM, ecx = kib * 1024u;
	struct ptv_hc_stats before, after;
	uint64_t t0, t1;

	hc_stats(&before);
	t0 = cpu_rdtsc_ordered();
	asm volatile("cld\n\trep outsb" : "+S"(esi), "+c"(ecx) : "d"(UNCLAIMED_PORT) : "memory");
	t1 = cpu_rdtsc_ordered();
	hc_stats(&after);
	/* The second PTV_HC_STATS counts its own VMCALL; the first counted its own before filling in. */
	uint64_t exits = after.exits - before.exits - 1;
	serial_printf("repfreeze: rep outsb of %u KiB took %llu TSC ticks in %llu exits\n", kib,
		      (unsigned long long)(t1 - t0), (unsigned long long)exits);
	check(ecx == 0 && esi == RAM_FROM + kib * 1024u, "REP OUTSB ended with ECX 0 and ESI past the data");
	check(exits >= kib * 1024u / BYTES_PER_EXIT, "ptvisor took it in pieces: %llu exits for %u KiB",
	      (unsigned long long)exits, kib);
	return test_finish();
}

static int watch(uint32_t mticks, uint32_t limit_mticks)
{
	uint64_t start = cpu_rdtsc(), end = start + mticks * MILLION, prev = start, worst = 0, reads = 0;

	for (uint64_t now = start; now < end; now = cpu_rdtsc()) {
		if (now - prev > worst)
			worst = now - prev;
		prev = now;
		reads++;
	}
	serial_printf("repfreeze: watched %u million ticks: %llu reads, longest gap %llu ticks\n", mticks,
		      (unsigned long long)reads, (unsigned long long)worst);
	check(worst < limit_mticks * MILLION, "longest time off the CPU %llu ticks, under %u million",
	      (unsigned long long)worst, limit_mticks);
	return test_finish();
}

int guest_main(uint32_t magic, uint32_t info)
{
	const char *cmd = mb2_cmdline(info);
	uint32_t watch_mticks = cmdline_get_u32(cmd, "watch_mticks", 0);

	(void)magic;
	serial_init();
	if (watch_mticks)
		return watch(watch_mticks, cmdline_get_u32(cmd, "limit_mticks", 16));
	return rep(cmdline_get_u32(cmd, "kib", 256));
}
