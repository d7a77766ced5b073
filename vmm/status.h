/* Exit statuses ptvisor reports at power-off; tests and emulator runners read them. */
#ifndef PTV_STATUS_H
#define PTV_STATUS_H

enum ptv_status {
	PTV_STATUS_OK = 0,       /* ran to completion */
	PTV_STATUS_FAILED = 1,   /* a check failed (a guest or self-test reported failure) */
	PTV_STATUS_NO_VMX = 2,   /* this CPU cannot run ptvisor: nothing was started */
	PTV_STATUS_CRASH = 3,    /* unexpected exception in the VMM */
	PTV_STATUS_PANIC = 4,    /* an internal invariant broke */
	PTV_STATUS_BAD_BOOT = 5, /* unusable boot information */
};

#define POWER_STATUS_CRASH PTV_STATUS_CRASH

#endif
