/* The hypercalls served above the VMX core, registered at boot (vmx/hypercall.h). */
#include "vmx/hypercall.h"
#include "hypercall_abi.h"
#include "log.h"

static hypercall_fn registered[PTV_HC_COUNT];

void hypercall_register(unsigned nr, hypercall_fn fn)
{
	if (nr >= PTV_HC_COUNT)
		panic("hypercall %u is not in the ABI", nr);
	registered[nr] = fn;
}

hypercall_fn hypercall_registered(unsigned nr)
{
	return nr < PTV_HC_COUNT ? registered[nr] : NULL;
}
