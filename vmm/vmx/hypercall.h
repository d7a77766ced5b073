/* VMCALL: the ptvisor hypercall ABI (hypercall_abi.h). Calls served above the VMX core register here. */
#ifndef PTV_HYPERCALL_H
#define PTV_HYPERCALL_H

#include "types.h"
#include "vmx/vcpu.h"

/* A hypercall's arguments (EBX, ECX, EDX; 32-bit outside 64-bit mode) -> its result for EAX. */
typedef int64_t (*hypercall_fn)(struct vcpu *v, uint64_t a1, uint64_t a2, uint64_t a3);

/*
 * Serves call `nr` with fn from now on (guest management: PTV_HC_INFO; Intel PT: PTV_HC_PT_HOST_READ).
 * The VMX core answers VERSION, NULL, CONSOLE_WRITE, SHUTDOWN and STATS itself; others are ENOSYS.
 */
void hypercall_register(unsigned nr, hypercall_fn fn);
/* The function registered for nr, or NULL (hypercall_table.c). */
hypercall_fn hypercall_registered(unsigned nr);

#endif
