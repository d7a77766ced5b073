/*
 * The guest page walker of emulated accesses (vmm/x86/paging.c) on a little physical memory of its own:
 * each paging mode and page size, not-present and reserved-bit faults at each level with their error
 * codes, access rights (U/S, R/W, CR0.WP, SMAP with RFLAGS.AC), the A and D flags, tables in unbacked
 * memory (all ones, as on hardware), and an unreadable table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "x86/arch.h"
#include "x86/paging.h"

#define MEM_SIZE   0x40000ull    /* "RAM": GPA [0, 256 KiB); above it nothing (reads all ones) */
#define REFUSED    0x80000000ull /* a page the bus refuses */
#define P          0x1ull
#define RW         0x2ull
#define US         0x4ull
#define A          0x20ull
#define D          0x40ull
#define PS         0x80ull
#define ERR(flags) (flags)

static uint8_t mem[MEM_SIZE];
static unsigned writes_dropped;

static int bus_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	(void)ctx;
	*val = 0;
	if ((gpa & ~0xfffull) == REFUSED)
		return -1;
	if (gpa + size <= MEM_SIZE)
		memcpy(val, mem + gpa, size);
	else
		*val = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
	return 0;
}

static void bus_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
	(void)ctx;
	if (gpa + size <= MEM_SIZE)
		memcpy(mem + gpa, &val, size);
	else
		writes_dropped++;
}

static const struct paging_bus bus = { .read = bus_read, .write = bus_write };

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, 8);
}
static uint64_t get64(uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, mem + gpa, 8);
	return v;
}
static void put32(uint64_t gpa, uint32_t v)
{
	memcpy(mem + gpa, &v, 4);
}
static uint32_t get32(uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, mem + gpa, 4);
	return v;
}

static struct paging_regs regs;

static int reset(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	writes_dropped = 0;
	regs = (struct paging_regs){ .cr0 = CR0_PE | CR0_PG | CR0_WP, .maxphyaddr = 40, .rflags = RFLAGS_FIXED1 };
	return 0;
}

/* 4-level tables at 1000H (PML4), 2000H (PDPT), 3000H (PD), 4000H (PT); la 0x00403000 -> PT entry 3. */
static void long_mode(void)
{
	regs.cr4 = CR4_PAE;
	regs.efer = EFER_LME | EFER_LMA | EFER_NXE;
	regs.cr3 = 0x1000;
	put64(0x1000, 0x2000 | P | RW | US);
	put64(0x2000, 0x3000 | P | RW | US);
	put64(0x3000 + 2 * 8, 0x4000 | P | RW | US);
	put64(0x4000 + 3 * 8, 0x9000 | P | RW | US);
}

static enum paging_result xlate(uint64_t la, unsigned flags, struct paging_walk *w)
{
	return paging_translate(&regs, &bus, la, flags, w);
}

#define expect_ok(la, flags, gpa_)                                      \
	do {                                                            \
		struct paging_walk w_;                                  \
		assert_int_equal(xlate((la), (flags), &w_), PAGING_OK); \
		assert_int_equal(w_.gpa, (gpa_));                       \
	} while (0)
#define expect_pf(la, flags, err)                                          \
	do {                                                               \
		struct paging_walk w_;                                     \
		assert_int_equal(xlate((la), (flags), &w_), PAGING_FAULT); \
		assert_int_equal(w_.error_code, (err));                    \
	} while (0)

static void test_paging_off(void **state)
{
	(void)state;
	regs.cr0 = CR0_PE;
	expect_ok(0x1234567890ull, PAGING_WRITE, 0x34567890); /* 32 bits of linear address, as is */
}

static void test_long_4k_and_ad(void **state)
{
	(void)state;
	long_mode();
	expect_ok(0x00403abc, 0, 0x9abc);
	/* A in every entry, D only in the PTE and only for a write. */
	assert_int_equal(get64(0x1000) & (A | D), A);
	assert_int_equal(get64(0x3000 + 16) & (A | D), A);
	assert_int_equal(get64(0x4000 + 24) & (A | D), A);
	expect_ok(0x00403abc, PAGING_WRITE, 0x9abc);
	assert_int_equal(get64(0x4000 + 24) & (A | D), A | D);
	assert_int_equal(get64(0x3000 + 16) & D, 0);
	/* A peek changes nothing. */
	put64(0x4000 + 24, 0x9000 | P);
	expect_ok(0x00403000, PAGING_PEEK | PAGING_WRITE, 0x9000);
	assert_int_equal(get64(0x4000 + 24), 0x9000 | P);
}

static void test_long_large_pages(void **state)
{
	(void)state;
	long_mode();
	put64(0x3000 + 5 * 8, 0x00a00000 | P | RW | PS);              /* 2 MiB */
	put64(0x2000 + 1 * 8, 0x80000000ull | P | RW | PS);           /* 1 GiB */
	put64(0x2000 + 2 * 8, 0x80000000ull | BIT(13) | P | RW | PS); /* 1 GiB, reserved bit 13 */
	expect_ok(0x00b23456, 0, 0x00b23456);
	expect_ok(0x4abcdef0, 0, 0x8abcdef0);
	expect_pf(0x80000000, PAGING_WRITE, ERR(PF_ERR_P | PF_ERR_RSVD | PF_ERR_W));
	put64(0x3000 + 6 * 8, 0x00c00000 | BIT(20) | P | PS); /* 2 MiB, reserved bit 20 */
	expect_pf(0x00c00000, 0, ERR(PF_ERR_P | PF_ERR_RSVD));
}

static void test_long_faults(void **state)
{
	(void)state;
	long_mode();
	expect_pf(0x00600000, 0, 0);                        /* PDE not present */
	expect_pf(0x8000000000ull, PAGING_WRITE, PF_ERR_W); /* PML4E not present */
	regs.cpl = 3;
	expect_pf(0x00600000, 0, PF_ERR_U);
	regs.cpl = 0;
	/* Reserved: bit 40 with MAXPHYADDR 40, XD without EFER.NXE, PS in a PML4E. */
	put64(0x4000 + 4 * 8, 0x9000 | BIT(40) | P);
	expect_pf(0x00404000, 0, PF_ERR_P | PF_ERR_RSVD);
	put64(0x4000 + 5 * 8, 0x9000 | BIT(63) | P);
	expect_ok(0x00405000, 0, 0x9000);
	regs.efer &= ~EFER_NXE;
	expect_pf(0x00405000, 0, PF_ERR_P | PF_ERR_RSVD);
	put64(0x1000 + 8, 0x2000 | P | PS);
	expect_pf(0x8000000000ull, 0, PF_ERR_P | PF_ERR_RSVD);
	regs.cr4 |= CR4_LA57;
	struct paging_walk w;
	assert_int_equal(xlate(0, 0, &w), PAGING_UNSUPPORTED);
}

static void test_rights(void **state)
{
	(void)state;
	long_mode();
	put64(0x4000 + 3 * 8, 0x9000 | P | US); /* user, read-only */
	put64(0x4000 + 4 * 8, 0xa000 | P | RW); /* supervisor, writable */
	expect_ok(0x00403000, 0, 0x9000);
	expect_pf(0x00403000, PAGING_WRITE, PF_ERR_P | PF_ERR_W); /* CR0.WP */
	regs.cr0 &= ~CR0_WP;
	expect_ok(0x00403000, PAGING_WRITE, 0x9000);
	regs.cpl = 3;
	expect_pf(0x00403000, PAGING_WRITE, PF_ERR_P | PF_ERR_W | PF_ERR_U); /* WP does not matter at CPL 3 */
	expect_ok(0x00403000, 0, 0x9000);
	expect_pf(0x00404000, 0, PF_ERR_P | PF_ERR_U);
	/* R/W and U/S of every level count: a read-only PDE makes the page read-only. */
	put64(0x3000 + 2 * 8, 0x4000 | P | US);
	put64(0x4000 + 3 * 8, 0x9000 | P | RW | US);
	expect_pf(0x00403000, PAGING_WRITE, PF_ERR_P | PF_ERR_W | PF_ERR_U);
	/* SMAP: supervisor access to a user page faults unless RFLAGS.AC. */
	regs.cpl = 0;
	regs.cr4 |= CR4_SMAP;
	expect_pf(0x00403000, 0, PF_ERR_P);
	regs.rflags |= RFLAGS_AC;
	expect_ok(0x00403000, 0, 0x9000);
	expect_ok(0x00404000, PAGING_PEEK, 0xa000);
}

static void test_pae(void **state)
{
	(void)state;
	regs.cr4 = CR4_PAE;
	regs.pdpte[1] = 0x3000 | P;
	put64(0x3000 + 2 * 8, 0x4000 | P | RW);
	put64(0x4000 + 3 * 8, 0x9000 | P | RW);
	put64(0x3000 + 3 * 8, 0x00600000 | P | RW | PS);
	expect_ok(0x40403123, PAGING_WRITE, 0x9123);
	assert_int_equal(get64(0x4000 + 24) & (A | D), A | D);
	expect_ok(0x40765432, 0, 0x00765432);
	expect_pf(0x00000000, 0, 0); /* PDPTE 0 not present */
	/* PAE entries reserve bits 62:MAXPHYADDR (4-level ignores 62:52). */
	put64(0x4000 + 4 * 8, 0x9000 | BIT(55) | P);
	expect_pf(0x40404000, 0, PF_ERR_P | PF_ERR_RSVD);
	expect_ok(0x1234567800000000ull | 0x40403000, 0, 0x9000); /* PAE translates 32 bits of linear address */
}

static void test_32bit(void **state)
{
	(void)state;
	regs.cr3 = 0x1000;
	put32(0x1000 + 1 * 4, 0x2000 | P | RW);
	put32(0x2000 + 3 * 4, 0x9000 | P | RW);
	expect_ok(0x00403456, PAGING_WRITE, 0x9456);
	assert_int_equal(get32(0x1000 + 4) & (A | D), A);
	assert_int_equal(get32(0x2000 + 12) & (A | D), A | D);
	/* PS is ignored without CR4.PSE; with it, a 4-MByte page, PSE-36 bits 20:13 for 39:32. */
	put32(0x1000 + 2 * 4, 0x00c00000 | BIT(13) | P | PS);
	regs.cr4 = CR4_PSE;
	expect_ok(0x00812345, 0, 0x100c12345ull);
	put32(0x1000 + 3 * 4, 0x00c00000 | BIT(21) | P | PS); /* bit 21 reserved with MAXPHYADDR 40 */
	expect_pf(0x00c00000, 0, PF_ERR_P | PF_ERR_RSVD);
	regs.maxphyaddr = 36;
	put32(0x1000 + 2 * 4, 0x00c00000 | BIT(17) | P | PS); /* 21:17 reserved with 36 */
	expect_pf(0x00812345, 0, PF_ERR_P | PF_ERR_RSVD);
	expect_pf(0x01000000, 0, 0);
}

/*
 * Tables where nothing is: every entry reads all ones. With PAE or 4-level paging that sets reserved
 * bits, so the access takes #PF(P, RSVD); 32-bit paging without PSE follows the entry to the page
 * FFFFF000H, and the A/D updates go nowhere.
 */
static void test_unbacked_tables(void **state)
{
	struct paging_walk w;

	(void)state;
	long_mode();
	put64(0x3000 + 7 * 8, 0xd0000000ull | P | RW);
	expect_pf(0x00e00000, PAGING_WRITE, PF_ERR_P | PF_ERR_RSVD | PF_ERR_W);
	regs = (struct paging_regs){ .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000, .maxphyaddr = 40 };
	put32(0x1000, 0xd0000000u | P | RW);
	put32(0x1000 + 4, 0);
	assert_int_equal(xlate(0x00000123, PAGING_WRITE, &w), PAGING_OK);
	assert_int_equal(w.gpa, 0xfffff123ull);
	assert_int_equal(writes_dropped, 0); /* the PTE already has A and D */
	/* An unreadable table ends the walk, naming the entry. */
	put32(0x1000 + 8, (uint32_t)REFUSED | P | RW);
	assert_int_equal(xlate(0x00805000, 0, &w), PAGING_UNREADABLE);
	assert_int_equal(w.entry_gpa, REFUSED + 5 * 4);
	/* CR3 where nothing is, in 32-bit paging with PSE: a 4-MByte page with reserved bits. */
	regs.cr3 = 0xd0000000;
	regs.cr4 = CR4_PSE;
	expect_pf(0x00000000, 0, PF_ERR_P | PF_ERR_RSVD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_paging_off, reset),
		cmocka_unit_test_setup(test_long_4k_and_ad, reset),
		cmocka_unit_test_setup(test_long_large_pages, reset),
		cmocka_unit_test_setup(test_long_faults, reset),
		cmocka_unit_test_setup(test_rights, reset),
		cmocka_unit_test_setup(test_pae, reset),
		cmocka_unit_test_setup(test_32bit, reset),
		cmocka_unit_test_setup(test_unbacked_tables, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
