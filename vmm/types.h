/* Freestanding base types shared by the VMM and its host-side unit tests. */
#ifndef PTV_TYPES_H
#define PTV_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t;

/* By hand: clang-format 14 takes "(x) - 1" for a cast of -1 and writes "(x)-1". */
/* clang-format off */
#define BIT(n)            ((uint64_t)1 << (n))
#define GENMASK(hi, lo)   ((~(uint64_t)0 >> (63 - (hi))) & ~(((uint64_t)1 << (lo)) - 1))
#define ARRAY_SIZE(a)     (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)    (((x) + ((a) - 1)) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a)  ((x) & ~((uint64_t)(a) - 1))
#define IS_ALIGNED(x, a)  (((x) & ((uint64_t)(a) - 1)) == 0)
#define MIN(a, b)         ((a) < (b) ? (a) : (b))
#define MAX(a, b)         ((a) > (b) ? (a) : (b))
/* clang-format on */

#define PAGE_SIZE ((uint64_t)4096)

/* 48-bit linear addresses: bits 63:47 all equal (SDM 3.3.7.1 "Canonical Addressing"). */
static inline bool addr_canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}
#define PAGE_SHIFT 12

#define __packed       __attribute__((packed))
#define __aligned(x)   __attribute__((aligned(x)))
#define __noreturn     __attribute__((noreturn))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __unused       __attribute__((unused))

#endif
