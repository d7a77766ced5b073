/* INVEPT after a change to a live EPT (SDM 29.4.3.1 "Operations that Invalidate Cached Mappings"). */
#include "ept/ept.h"
#include "cpu.h"
#include "log.h"

static int invept_one(const struct ept *e)
{
	enum vmx_status st = VMX_FAIL_INVALID;
	enum invept_type type = INVEPT_SINGLE_CONTEXT;

	if (e->caps.invept_single)
		st = cpu_invept(INVEPT_SINGLE_CONTEXT, ept_eptp(e));
	if (st != VMX_OK && e->caps.invept_all) {
		type = INVEPT_ALL_CONTEXT;
		st = cpu_invept(INVEPT_ALL_CONTEXT, 0);
	}
	if (st == VMX_OK)
		return 0;
	if (!e->caps.invept_single && !e->caps.invept_all)
		pr_err("EPT: the CPU offers no INVEPT type (IA32_VMX_EPT_VPID_CAP[26:25] = 0)\n");
	else
		pr_err("EPT: INVEPT type %u of EPTP 0x%lx failed (%s)\n", type, ept_eptp(e),
		       st == VMX_FAIL_VALID ? "VMfailValid" : "VMfailInvalid");
	return -1;
}

/* A follower's EPT (a view) changed with this one: its cached combined mappings go too. */
int ept_invalidate(const struct ept *e)
{
	int r = invept_one(e);

	if (e->follower && e->follower->ept && invept_one(e->follower->ept) < 0)
		r = -1;
	return r;
}
