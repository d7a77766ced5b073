/* exits: drives every exit ptvisor handles and checks what the guest sees; this file does CPUID. */
#include "cpu.h"
#include "serial.h"
#include "test.h"
#include "exits.h"

#define CPUID_1_ECX_VMX        BIT(5)
#define CPUID_1_ECX_HYPERVISOR BIT(31)
#define CPUID_7_EBX_INTEL_PT   BIT(25) /* SDM Vol. 2A "CPUID": leaf 07H, EBX bit 25 */
#define CPUID_HV_BASE          0x40000000
#define CPUID_HV_MIN_MAX_LEAF  0x40000001

static void exits_check_cpuid(const struct ptv_hc_info *info)
{
	struct cpuid_regs r = cpu_cpuid(1, 0);
	uint32_t max_leaf = cpu_cpuid(0, 0).eax;

	check(r.ecx & CPUID_1_ECX_HYPERVISOR, "CPUID.1:ECX[31] (hypervisor present) = 1");
	check(!(r.ecx & CPUID_1_ECX_VMX), "CPUID.1:ECX[5] (VMX) = 0: nested VMX hidden");
	r = cpu_cpuid(CPUID_HV_BASE, 0);
	check(r.eax >= CPUID_HV_MIN_MAX_LEAF, "CPUID.0x40000000:EAX 0x%x >= 0x40000001", r.eax);
	check_eq(r.ebx, 0x69767470, "CPUID.0x40000000:EBX = \"ptvi\"");
	check_eq(r.ecx, 0x00726f73, "CPUID.0x40000000:ECX = \"sor\\0\"");
	check_eq(r.edx, 0, "CPUID.0x40000000:EDX = \"\\0\\0\\0\\0\"");
	if (max_leaf >= 7) {
		r = cpu_cpuid(7, 0);
		serial_printf("info: CPUID.7.0:EBX[25] (Intel PT) = %u, PTV_HC_INFO.flags = 0x%x\n",
			      !!(r.ebx & CPUID_7_EBX_INTEL_PT), info->flags);
	} else {
		serial_printf("info: max basic CPUID leaf 0x%x < 7\n", max_leaf);
	}
}

int guest_main(uint32_t magic, uint32_t mbi)
{
	struct ptv_hc_info info = { 0 };

	(void)magic;
	(void)mbi;
	serial_init();
	if (!check(hc_ptvisor_present(), "ptvisor detected by CPUID"))
		return test_finish();
	check_eq((uint32_t)hc_info(&info), 0, "PTV_HC_INFO returns 0");
	info.name[sizeof(info.name) - 1] = '\0';
	serial_printf("exits: guest %s (id %u of %u), mem 0x%llx\n", info.name, info.guest_id, info.guest_count,
		      (unsigned long long)info.mem_size);
	exits_check_cpuid(&info);
	exits_check_msr(&info);
	exits_check_io();
	exits_check_hypercalls(&info);
	exits_check_misc();
	exits_check_mem();
	return test_finish();
}
