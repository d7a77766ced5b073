/* isolation: run as two instances (iso-a, iso-b) at once; neither may see the other's RAM or the VMM's. */
#include "cpu.h"
#include "serial.h"
#include "test.h"
#include "hypercall.h"
#include "multiboot.h"
#include "isolation.h"
#include "lib/string.h"

#define FREE_START   0x200000u /* 2 MiB: above this image */
#define FREE_TAIL    0x10000u  /* the top 64 KiB may hold the boot information */
#define PAGE         4096u
#define ALL_ONES     0xffffffffu
#define WRITE_PROBE  0x12345678u
#define GPA_1G       0x40000000u
#define GPA_HPET     0xfed00000u /* unbacked: 0xFEC00000 and 0xFEE00000 are the virtual I/O and local APICs */
#define GPA_TOP_PAGE 0xfffff000u
#define NAME_MAX     32

/* Writes the marker at the start of every page of free RAM; returns how many pages. */
static uint32_t iso_write_markers(const char *marker, size_t len, uint32_t top)
{
	uint32_t pages = 0;

	for (uint32_t pa = FREE_START; pa + PAGE <= top; pa += PAGE, pages++)
		memcpy((void *)pa, marker, len);
	return pages;
}

static uint32_t iso_count_intact(const char *marker, size_t len, uint32_t top)
{
	uint32_t ok = 0;

	for (uint32_t pa = FREE_START; pa + PAGE <= top; pa += PAGE)
		ok += memcmp((const void *)pa, marker, len) == 0;
	return ok;
}

/* Nothing is behind these GPAs: reads give all ones, writes vanish (an unclaimed bus). */
static void iso_check_beyond(uint32_t gpa)
{
	check_eq(cpu_read32_phys(gpa), ALL_ONES, "read of GPA 0x%08x (beyond RAM) = all ones", gpa);
	cpu_write32_phys(gpa, WRITE_PROBE);
	check_eq(cpu_read32_phys(gpa), ALL_ONES, "GPA 0x%08x still all ones after a write", gpa);
}

int guest_main(uint32_t magic, uint32_t info)
{
	struct ptv_hc_info hi = { 0 };
	char peer[NAME_MAX] = "", marker[ISO_MARKER_MAX];
	uint32_t mem, top, pages;
	size_t mlen;

	serial_init();
	if (!check(hc_ptvisor_present(), "ptvisor detected by CPUID"))
		return test_finish();
	if (!check_eq((uint32_t)hc_info(&hi), 0, "PTV_HC_INFO returns 0"))
		return test_finish();
	hi.name[sizeof(hi.name) - 1] = '\0';
	mem = (uint32_t)hi.mem_size;
	top = mem - FREE_TAIL;
	if (magic == MB2_BOOT_MAGIC)
		cmdline_get_arg(mb2_cmdline(info), "peer", peer, sizeof(peer));
	serial_printf("isolation: I am %s, peer %s, mem 0x%x\n", hi.name, peer[0] ? peer : "(none)", mem);
	check(peer[0] != '\0' && strcmp(peer, hi.name) != 0, "peer=<other instance> on the command line");
	if (!check((uint32_t)_end <= FREE_START && mem >= 2 * FREE_START && hi.mem_size < 0x100000000ull,
		   "layout: image ends 0x%x <= 2 MiB, mem 0x%x >= 4 MiB", (uint32_t)_end, mem))
		return test_finish();

	mlen = iso_make_marker(marker, sizeof(marker), hi.name);
	pages = iso_write_markers(marker, mlen, top);
	serial_printf("isolation: marker \"%s\" written to %u pages\n", marker, pages);

	iso_check_scans(hi.mem_size, peer);

	iso_check_beyond(mem);
	iso_check_beyond(mem + 0x1000);
	if (mem <= GPA_1G)
		iso_check_beyond(GPA_1G);
	iso_check_beyond(GPA_HPET);
	iso_check_beyond(GPA_TOP_PAGE);

	/* Last, so the peer has had the whole run to write into us if it could. */
	check_eq_dec(iso_count_intact(marker, mlen, top), pages, "my markers intact in every page");
	return test_finish();
}
