/* The hello guests (multiboot2 and multiboot1 builds of one source): shared state and checks. */
#ifndef GUEST_HELLO_H
#define GUEST_HELLO_H

#include "types.h"

/* Guest-physical layout ptvisor promises (the legacy VGA/BIOS hole is not RAM). */
#define HELLO_HOLE_START    0x9f000u
#define HELLO_HOLE_END      0x100000u
#define HELLO_MEM_LOWER_KIB (HELLO_HOLE_START / 1024) /* 636 */

struct hello_env {
	bool hv;           /* ptvisor underneath: exact values are known */
	uint64_t mem_size; /* PTV_HC_INFO.mem_size when hv */
};

#define HELLO_MMAP_MAX 32

/* What a memory map says, in either multiboot flavour. */
struct hello_mmap {
	uint32_t entries;
	uint32_t nusable;
	uint64_t usable;     /* bytes of type-1 RAM */
	uint64_t usable_top; /* highest end of a type-1 range */
	struct {
		uint64_t lo, hi;
	} r[HELLO_MMAP_MAX]; /* the type-1 ranges, to follow contiguous runs */
};

void hello_mmap_add(struct hello_mmap *m, uint64_t base, uint64_t len, uint32_t type);
/* Checks a memory map and (when have_meminfo) mem_lower/mem_upper against it and against ptvisor's layout. */
void hello_check_mmap(const struct hello_mmap *m, const struct hello_env *env, bool have_meminfo, uint32_t mem_lower,
		      uint32_t mem_upper);
/* Checks the boot loader name: "ptvisor" under ptvisor, anything non-empty otherwise. */
void hello_check_loader(const char *name, const struct hello_env *env);

void hello_check_mb2(uint32_t magic, uint32_t info, const struct hello_env *env);
void hello_check_mb1(uint32_t magic, uint32_t info, const struct hello_env *env);

#endif
