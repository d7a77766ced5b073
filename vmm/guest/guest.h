/* A guest: its configuration, memory, EPT, Intel PT context, its vCPU, and how it ended. */
#ifndef PTV_GUEST_H
#define PTV_GUEST_H

#include "types.h"
#include "ept/ept.h"
#include "ept/ept_violation.h"
#include "guest/config.h"
#include "guest/guest_mem.h"
#include "guest/layout.h"
#include "pt/pt_guest.h"
#include "vmx/vcpu.h"

enum guest_state {
	GUEST_EMPTY = 0,
	GUEST_RUNNABLE,
	GUEST_STOPPED,
};

struct guest {
	unsigned id;
	struct guest_config cfg;
	enum guest_state state;
	int exit_status;
	char stop_reason[128];

	paddr_t ram_hpa; /* guest RAM: one contiguous block, GPA 0 = ram_hpa */
	struct guest_mem mem;
	struct ept ept;
	struct ept_claims claims;
	struct pt_guest pt; /* served through vcpu.pt_ops */

	uint64_t run_tsc; /* TSC ticks spent in run slices, for limit= */
	/* Virtual time for fairness: wall time of its slices, VMM work included (sched.c). */
	uint64_t sched_vtime;
	bool sched_slept; /* asleep in HLT or yielded early since it last ran */
	struct vcpu vcpu; /* everything of the CPU the guest can see or set */
};

extern struct guest guests[GUEST_MAX];
extern unsigned guest_count;

/*
 * Creates guest `index` from its configuration, its kernel image and the
 * modules attached to it (placed in its RAM here, l->mod[].gpa set); on
 * failure reports why and leaves it GUEST_STOPPED.
 */
int guest_create(unsigned index, const struct guest_config *cfg, const void *image, size_t size,
		 struct guest_layout *l);
/* Stops a guest (others go on): records status and reason, prints one line. */
void guest_stop(struct guest *g, int status, const char *fmt, ...) __printf(3, 4);
void guest_destroy(struct guest *g);
/* A VMM-internal guest (boot self-tests): 2 MiB of RAM, `code` at `gpa`, entered there in 32-bit mode. */
int guest_setup_raw(struct guest *g, const char *name, const void *code, size_t len, uint32_t gpa);
void guest_vga_dump(struct guest *g);
/* Hypercalls guest management answers (PTV_HC_INFO); once at boot. */
void guest_hypercalls_init(void);

#endif
