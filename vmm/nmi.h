/* NMIs the host receives, in VMX root (IDT vector 2) or as an NMI-caused VM exit: offered to one claimant. */
#ifndef PTV_NMI_H
#define PTV_NMI_H

#include "types.h"

/*
 * The claimant looks at its own status (an NMI says nothing of its source) and returns whether the
 * NMI was its. in_guest: it arrived as a VM exit. In root it runs on the NMI stack with further NMIs
 * blocked until its IRET (SDM 6.7.1 "Handling Multiple NMIs"), between any two instructions of the VMM.
 */
typedef bool (*nmi_claim_fn)(bool in_guest);

void nmi_set_claimant(nmi_claim_fn fn);
/* An NMI arrived: true if the claimant took it; false = a stray NMI for the caller to report. */
bool nmi_claim(bool in_guest);

#endif
