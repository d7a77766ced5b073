/* The one owner of host NMIs besides the crash report: Intel PT's ToPA PMI handler when it owns LVT PC. */
#include "nmi.h"

static nmi_claim_fn claimant;

void nmi_set_claimant(nmi_claim_fn fn)
{
	claimant = fn;
}

bool nmi_claim(bool in_guest)
{
	return claimant && claimant(in_guest);
}
