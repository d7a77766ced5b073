/* Writes a buffer through the serial port as a PTV-TRACE frame: header, base64 D lines, trailer. */
#include "trace_dump.h"
#include "serial.h"
#include "lib/format.h"

/*
 * Why text and not raw bytes: ptvisor's virtual 16550 turns every control byte into '?', prefixes
 * each line with "[guest] " and cuts lines at 160 characters, so only short printable lines
 * survive the console. 72 bytes make 96 base64 characters, well inside that limit with the
 * "D <seq> " prefix. The format is specified in docs/trace-format.md.
 */

#define LINE_CHARS ((TRACE_DUMP_LINE_BYTES / 3u) * 4u)

/* CRC-32 four bits at a time: 16 table entries instead of 256 keep the guest image small. */
static const uint32_t crc_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
	0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

uint32_t trace_crc32(uint32_t crc, const void *buf, uint32_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
	for (uint32_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
	}
	return ~crc;
}

uint32_t trace_base64(char *out, const uint8_t *in, uint32_t len)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < len; i += 3) {
		uint32_t left = len - i;
		uint32_t v = (uint32_t)in[i] << 16;

		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		out[n++] = b64_alphabet[(v >> 18) & 63];
		out[n++] = b64_alphabet[(v >> 12) & 63];
		out[n++] = left > 1 ? b64_alphabet[(v >> 6) & 63] : '=';
		out[n++] = left > 2 ? b64_alphabet[v & 63] : '=';
	}
	out[n] = '\0';
	return n;
}

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
	       c == '.';
}

void trace_dump_name(char *out, const char *name)
{
	uint32_t n = 0;

	/* The extractor uses the name as a file name: no '/', no leading '.', nothing to quote. */
	for (; name && name[n] && n < TRACE_DUMP_NAME_MAX; n++)
		out[n] = name_char_ok(name[n]) && !(n == 0 && name[n] == '.') ? name[n] : '_';
	if (!n) {
		ptv_snprintf(out, TRACE_DUMP_NAME_MAX + 1, "trace");
		return;
	}
	out[n] = '\0';
}

void trace_dump(const char *name, const void *buf, uint32_t len)
{
	char id[TRACE_DUMP_NAME_MAX + 1];
	char line[LINE_CHARS + 32];
	const uint8_t *p = buf;
	uint32_t seq = 0;

	trace_dump_name(id, name);
	ptv_snprintf(line, sizeof(line), "PTV-TRACE-BEGIN v1 name=%s bytes=%u crc32=%08x\n", id, len,
		     trace_crc32(0, buf, len));
	serial_puts(line);
	for (uint32_t off = 0; off < len; off += TRACE_DUMP_LINE_BYTES, seq++) {
		uint32_t chunk = len - off < TRACE_DUMP_LINE_BYTES ? len - off : TRACE_DUMP_LINE_BYTES;
		int head = ptv_snprintf(line, sizeof(line), "D %u ", seq);
		uint32_t n = (uint32_t)head + trace_base64(line + head, p + off, chunk);

		line[n] = '\n';
		line[n + 1] = '\0';
		serial_puts(line);
	}
	ptv_snprintf(line, sizeof(line), "PTV-TRACE-END name=%s lines=%u\n", id, seq);
	serial_puts(line);
}
