/* The host trace buffer as a PTV-TRACE v1 frame on the log (docs/trace-format.md). */
#include "pt/pt_host.h"
#include "mem/phys.h"
#include "lib/string.h"
#include "log.h"

#define DUMP_LINE_BYTES 72

uint32_t pt_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

/* RFC 4648 section 4 base64 of len (<= 72) bytes; out holds 4*ceil(len/3)+1 characters. */
static void dump_base64(char *out, const uint8_t *in, size_t len)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = i + 1 < len ? abc[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? abc[v & 63] : '=';
	}
	out[o] = '\0';
}

void pt_host_dump(const struct pt_host_buf *b, const struct pt_hw_cpu *cpu, const char *name)
{
	uint64_t len = pt_host_buf_used(b, cpu);
	const uint8_t *p = len ? phys_map(b->region, len) : NULL;
	char line[100];
	uint64_t lines = 0;

	if (len && !p) {
		pr_err("PT: host trace buffer at 0x%lx cannot be mapped\n", b->region);
		return;
	}
	log_raw(LOG_INFO, "PTV-TRACE-BEGIN v1 name=%s bytes=%lu crc32=%08x\n", name, len,
		len ? pt_crc32(0, p, len) : 0);
	for (uint64_t off = 0; off < len; off += DUMP_LINE_BYTES, lines++) {
		dump_base64(line, p + off, MIN(len - off, (uint64_t)DUMP_LINE_BYTES));
		log_raw(LOG_INFO, "D %lu %s\n", lines, line);
	}
	log_raw(LOG_INFO, "PTV-TRACE-END name=%s lines=%lu\n", name, lines);
}
