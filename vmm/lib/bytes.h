/* Little-endian fields at any byte offset: boot info, ACPI tables and guest images promise no alignment. */
#ifndef PTV_BYTES_H
#define PTV_BYTES_H

#include "types.h"
#include "lib/string.h"

static inline uint16_t get_le16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}
static inline void put_le32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}
static inline void put_le64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

#endif
