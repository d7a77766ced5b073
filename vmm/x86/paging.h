/*
 * The guest's linear-to-physical translation as the CPU performs it for a data access: the walk of its
 * own paging structures (32-bit, PAE, 4-level), access-rights checks, the page-fault error code, and
 * the accessed/dirty flags it sets. Pure: entries are read and written through the caller's bus.
 */
#ifndef PTV_X86_PAGING_H
#define PTV_X86_PAGING_H

#include "types.h"

struct paging_regs {
	uint64_t cr0, cr3, cr4, efer;
	uint64_t pdpte[4]; /* PAE paging: the four PDPTEs loaded with CR3 (the VMCS's guest PDPTE0-3) */
	unsigned maxphyaddr;
	uint64_t rflags; /* AC, for SMAP */
	unsigned cpl;
};

/* What the walk may do to guest memory. */
struct paging_bus {
	/* The 4- or 8-byte entry at gpa: 0, or -1 when nothing can be read there (the walk gives up). */
	int (*read)(void *ctx, uint64_t gpa, unsigned size, uint64_t *val);
	/* Writes back an entry whose accessed or dirty flag the walk set. */
	void (*write)(void *ctx, uint64_t gpa, unsigned size, uint64_t val);
	void *ctx;
};

#define PAGING_WRITE BIT(0) /* a data write (else a read) */
#define PAGING_PEEK  BIT(1) /* present entries only: no rights checked, no A/D set (the VMM's own look) */

enum paging_result {
	PAGING_OK,
	PAGING_FAULT,       /* a #PF: error_code, CR2 = the linear address */
	PAGING_UNREADABLE,  /* an entry at entry_gpa could not be read */
	PAGING_UNSUPPORTED, /* 5-level paging */
};

struct paging_walk {
	uint64_t gpa;
	uint32_t error_code; /* PF_ERR_* (x86/arch.h) */
	uint64_t entry_gpa;
};

/*
 * Translates la for an access by r's CPL (3: a user-mode access) as SDM Vol. 3A 4.3-4.7 say. Protection
 * keys are not checked. Sets out->gpa on PAGING_OK.
 */
enum paging_result paging_translate(const struct paging_regs *r, const struct paging_bus *bus, uint64_t la,
				    unsigned flags, struct paging_walk *out);

#endif
