/* Builds guest kernel images in host tests: ELF32/ELF64 with multiboot1/2 headers, good or broken on purpose. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "host_env.h"
#include "guest_image_build.h"

struct tb_image tb;
struct guest_image tb_gi;

void w16(size_t off, uint16_t v)
{
	memcpy(tb.b + off, &v, 2);
}
void w32(size_t off, uint32_t v)
{
	memcpy(tb.b + off, &v, 4);
}
void w64(size_t off, uint64_t v)
{
	memcpy(tb.b + off, &v, 8);
}

void set_ph(unsigned i, enum ph_field f, uint64_t v)
{
	static const unsigned off32[] = { [PH_TYPE] = 0,    [PH_OFFSET] = 4, [PH_VADDR] = 8, [PH_PADDR] = 12,
					  [PH_FILESZ] = 16, [PH_MEMSZ] = 20, [PH_FLAGS] = 24 };
	static const unsigned off64[] = { [PH_TYPE] = 0,   [PH_FLAGS] = 4,   [PH_OFFSET] = 8, [PH_VADDR] = 16,
					  [PH_PADDR] = 24, [PH_FILESZ] = 32, [PH_MEMSZ] = 40 };
	size_t base = 64 + i * (tb.is64 ? 56 : 32);

	if (!tb.is64)
		w32(base + off32[f], (uint32_t)v);
	else if (f == PH_TYPE || f == PH_FLAGS)
		w32(base + off64[f], (uint32_t)v);
	else
		w64(base + off64[f], v);
}

void set_entry(uint64_t v)
{
	if (tb.is64)
		w64(24, v);
	else
		w32(24, (uint32_t)v);
}

size_t eh_phoff(void)
{
	return tb.is64 ? 32 : 28;
}
size_t eh_phentsize(void)
{
	return tb.is64 ? 54 : 42;
}
size_t eh_phnum(void)
{
	return tb.is64 ? 56 : 44;
}

void elf_build(bool is64, uint64_t vbias)
{
	memset(&tb, 0, sizeof(tb));
	tb.is64 = is64;
	tb.size = IMG_SIZE;
	memcpy(tb.b,
	       "\x7f"
	       "ELF",
	       4);
	tb.b[4] = is64 ? 2 : 1; /* EI_CLASS */
	tb.b[5] = 1;            /* EI_DATA: little-endian */
	tb.b[6] = 1;            /* EI_VERSION */
	w16(16, 2);             /* ET_EXEC */
	w16(18, is64 ? 62 : 3);
	w32(20, 1);
	set_entry(ENTRY_PA + vbias);
	if (is64)
		w64(eh_phoff(), 64);
	else
		w32(eh_phoff(), 64);
	w16(is64 ? 52 : 40, is64 ? 64 : 52);
	w16(eh_phentsize(), is64 ? 56 : 32);
	w16(eh_phnum(), 2);
	for (size_t i = SEG0_OFF; i < SEG1_OFF; i++)
		tb.b[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = SEG1_OFF; i < IMG_SIZE; i++)
		tb.b[i] = (uint8_t)(i * 13 + 5) | 1;
	set_ph(0, PH_TYPE, 1);
	set_ph(0, PH_FLAGS, 5);
	set_ph(0, PH_OFFSET, SEG0_OFF);
	set_ph(0, PH_VADDR, SEG0_PA + vbias);
	set_ph(0, PH_PADDR, SEG0_PA);
	set_ph(0, PH_FILESZ, 0x1000);
	set_ph(0, PH_MEMSZ, 0x1000);
	set_ph(1, PH_TYPE, 1);
	set_ph(1, PH_FLAGS, 6);
	set_ph(1, PH_OFFSET, SEG1_OFF);
	set_ph(1, PH_VADDR, SEG1_PA + vbias);
	set_ph(1, PH_PADDR, SEG1_PA);
	set_ph(1, PH_FILESZ, 0x100);
	set_ph(1, PH_MEMSZ, 0x3000);
}

void mb1_put(size_t off, uint32_t flags)
{
	w32(off, MB1_HEADER_MAGIC);
	w32(off + 4, flags);
	w32(off + 8, 0u - (MB1_HEADER_MAGIC + flags));
}

void mb1_put_aout(size_t off, uint32_t header_addr, uint32_t load_addr, uint32_t load_end, uint32_t bss_end,
		  uint32_t entry)
{
	mb1_put(off, (uint32_t)MB1_FLAG_AOUT_KLUDGE | (uint32_t)MB1_FLAG_MEMORY_INFO);
	w32(off + 12, header_addr);
	w32(off + 16, load_addr);
	w32(off + 20, load_end);
	w32(off + 24, bss_end);
	w32(off + 28, entry);
}

static size_t mb2_off, mb2_pos;

void mb2_begin(size_t off)
{
	mb2_off = off;
	mb2_pos = off + 16;
}

void mb2_tag(uint16_t type, uint16_t flags, uint32_t size, const uint32_t *words, unsigned n)
{
	w16(mb2_pos, type);
	w16(mb2_pos + 2, flags);
	w32(mb2_pos + 4, size);
	for (unsigned i = 0; i < n; i++)
		w32(mb2_pos + 8 + 4 * i, words[i]);
	mb2_pos += (size + 7) & ~7u;
}

void mb2_seal(void)
{
	uint32_t len = (uint32_t)(mb2_pos - mb2_off);

	w32(mb2_off, MB2_HEADER_MAGIC);
	w32(mb2_off + 4, 0);
	w32(mb2_off + 8, len);
	w32(mb2_off + 12, 0u - (MB2_HEADER_MAGIC + len));
}

void mb2_end(void)
{
	mb2_tag(0, 0, 8, NULL, 0);
	mb2_seal();
}

void mb2_simple(size_t off)
{
	static const uint32_t req[] = { 1, 6 };

	mb2_begin(off);
	mb2_tag(MB2_HTAG_INFO_REQUEST, 0, 16, req, 2);
	mb2_end();
}

void expect_ok(uint64_t mem)
{
	host_env_reset();
	if (guest_image_check("t", tb.b, tb.size, mem, &tb_gi) != 0)
		fail_msg("refused: %s", host_console_text());
	assert_string_equal(host_console_text(), "");
}

void expect_refused(uint64_t mem, const char *why)
{
	char line[512];

	host_env_reset();
	assert_int_equal(guest_image_check("t", tb.b, tb.size, mem, &tb_gi), -1);
	snprintf(line, sizeof(line), "ptvisor: error: guest t: refused: %s\n", why);
	if (strcmp(host_console_text(), line))
		fail_msg("expected: %sgot:      %s", line, host_console_text());
}
