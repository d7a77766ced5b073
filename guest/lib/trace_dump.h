/* Framed, checksummed text dump of a binary buffer (an Intel PT trace) over the serial port. */
#ifndef GUEST_TRACE_DUMP_H
#define GUEST_TRACE_DUMP_H

#include "types.h"

/* Frame layout: docs/trace-format.md; tools/ptextract.py turns it back into bytes. */
#define TRACE_DUMP_LINE_BYTES 72u /* payload bytes per D line: 96 base64 characters */
#define TRACE_DUMP_NAME_MAX   32u /* longest name kept; longer names are cut */

/* Writes buf[0..len) as one PTV-TRACE frame named `name` (sanitised to [A-Za-z0-9_.-]). */
void trace_dump(const char *name, const void *buf, uint32_t len);

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320, as zlib's crc32): pass 0 to start, the result to continue. */
uint32_t trace_crc32(uint32_t crc, const void *buf, uint32_t len);
/* Standard base64 (RFC 4648 section 4, '=' padding) of len bytes; out gets 4*ceil(len/3) chars + NUL. */
uint32_t trace_base64(char *out, const uint8_t *in, uint32_t len);
/* Copies name into out[TRACE_DUMP_NAME_MAX + 1] with every character outside [A-Za-z0-9_.-] and a
 * leading '.' replaced by '_'; an empty or NULL name becomes "trace". */
void trace_dump_name(char *out, const char *name);

#endif
