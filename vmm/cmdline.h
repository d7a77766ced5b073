/* The VMM command line: whitespace-separated key=value options from the boot loader. */
#ifndef PTV_CMDLINE_H
#define PTV_CMDLINE_H

#include "types.h"
#include "log.h"
#include "time/idle.h"

/* Whose execution is traced: the whole system, the host (VMM) only, or host and guest apart. */
enum pt_mode {
	PT_MODE_SYSTEM,
	PT_MODE_HOST,
	PT_MODE_HOST_GUEST,
};

/* Where trace comes from: decided at boot, forced to hardware or the emulation, or none. */
enum pt_backend {
	PT_BACKEND_AUTO,
	PT_BACKEND_HW,
	PT_BACKEND_EMULATED,
	PT_BACKEND_OFF,
};

struct vmm_options {
	enum pt_mode pt_mode;       /* default PT_MODE_HOST_GUEST */
	enum pt_backend pt_backend; /* default PT_BACKEND_AUTO */
	unsigned console_mask;      /* default all consoles, see console_parse_list() */
	enum log_level loglevel;    /* default LOG_INFO, see log_level_parse() */
	bool pt_dump;               /* dump the host trace at shutdown; default false */
	bool selftest_trap;         /* selftest=trap: exercise the exception path at boot */
	bool selftest_pt;           /* selftest=pt: PASS/FAIL lines for the hardware PT path (pt_selftest.c) */
	enum idle_mode idle;        /* idle=: how the host waits while all guests sleep; default IDLE_HLT */
	unsigned problems;          /* options reported and ignored */
};

void vmm_options_default(struct vmm_options *o);
/*
 * Applies the options in `cmdline` on top of what `o` holds (call
 * vmm_options_default() first); a later duplicate overrides an earlier one.
 * Bad words are reported, counted in o->problems and ignored.
 */
void cmdline_parse(const char *cmdline, struct vmm_options *o);
const char *pt_mode_name(enum pt_mode m);
const char *pt_backend_name(enum pt_backend b);

#endif
