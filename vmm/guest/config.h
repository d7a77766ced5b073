/* A guest's configuration, parsed from its GRUB module command line. */
#ifndef PTV_GUEST_CONFIG_H
#define PTV_GUEST_CONFIG_H

#include "types.h"
#include "guest/modline.h"

#define GUEST_MEM_DEFAULT (16ULL << 20)
#define GUEST_MEM_MIN     (2ULL << 20)
#define GUEST_MEM_MAX     (1ULL << 30)
#define GUEST_MEM_ALIGN   (2ULL << 20) /* guest RAM is mapped with 2 MiB EPT pages */
#define GUEST_CPU_MAX     7
#define GUEST_MAX         8 /* guests started at once; later guest lines are not */

struct guest_config {
	char name[GUEST_NAME_SIZE]; /* name=  default: the module's basename, else "guestN"; [A-Za-z0-9_-] only */
	uint64_t mem_size;          /* mem=   default 16M; 2M..1G; rounded up to 2 MiB */
	int cpu;                    /* cpu=   default -1 (any); 0..7 */
	bool pt;                    /* pt=on|off  default on (the guest may see Intel PT if the mode allows) */
	bool privileged;            /* privileged=yes|no default no (may read the host trace buffer later) */
	char pt_caps[64];           /* pt_caps= the Intel PT features the hw path exposes (pt_vcaps.h); "" = all */
	bool pt_outside;            /* pt_outside=off: the emulated PT backend steps even where nothing is traced */
	bool pt_cpl;                /* pt_cpl=off: ... and at a privilege level the filter excludes */
	bool pt_fork;               /* pt_fork=off: blocks stop at each Jcc (no fork over both successors) */
	bool pt_riplog;             /* pt_riplog=on: print count and hash of the traced IPs (tests' ground truth) */
	bool pt_step_engine;     /* pt_engine=step: the emulated PT backend steps every instruction (default block) */
	uint64_t run_limit;      /* limit= TSC ticks of run time after which the guest is stopped; 0: none */
	bool input_serial;       /* input=serial|none  default none: host COM1 input goes to this guest (one) */
	char guest_cmdline[256]; /* everything after a standalone "--" is the guest kernel's own command line */
	unsigned problems;       /* options reported and ignored */
};

/*
 * Parses "PATH [option=value ...] [-- guest command line]" for guest `index`.
 * Always leaves a usable configuration: bad words are reported (pr_warn,
 * "guest N: ..."), counted in c->problems and ignored. NULL means no options.
 */
void guest_config_parse(const char *module_cmdline, unsigned index, struct guest_config *c);

#endif
