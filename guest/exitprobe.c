/* Exit-path probe for tools/trace-exit.sh: back-to-back CPUID(0) and VMCALL NULL exits, nothing else in between. */
#include "cpu.h"
#include "hypercall.h"
#include "test.h"

int guest_main(uint32_t magic, uint32_t info)
{
	(void)magic, (void)info;
	for (int i = 0; i < 4; i++)
		(void)cpu_cpuid(0, 0);
	for (int i = 0; i < 4; i++)
		(void)hc_null();
	return 0;
}
