/* CPUID exits: the answer is the guest's CPUID (guest_cpuid.c). */
#include "vmx/exit.h"
#include "vmx/guest_cpuid.h"

enum exit_action handle_cpuid(struct vcpu *v)
{
	struct cpuid_regs r = vcpu_cpuid(v, (uint32_t)v->regs.rax, (uint32_t)v->regs.rcx);

	v->regs.rax = r.eax;
	v->regs.rbx = r.ebx;
	v->regs.rcx = r.ecx;
	v->regs.rdx = r.edx;
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}
