/* exits: VMCALL exits: every hypercall of vmm/hypercall_abi.h, with its error returns. */
#include "cpu.h"
#include "serial.h"
#include "test.h"
#include "exits.h"

#define HC_UNKNOWN 999
#define HELLO_TEXT "console says hi"
#define HELLO_LEN  15

/* Page-sized and in our image, so a long CONSOLE_WRITE stays within RAM and fails on length alone. */
static char long_text[PTV_HC_CONSOLE_MAX + 1] __aligned(4096);

static void hc_check_console(uint64_t mem)
{
	uint32_t beyond = (uint32_t)mem;

	check_eq_dec((uint32_t)hc_console_write(HELLO_TEXT, HELLO_LEN), HELLO_LEN,
		     "CONSOLE_WRITE \"" HELLO_TEXT "\" returns 15");
	check_eq((uint32_t)hc_console_write_gpa(beyond, 4), (uint32_t)PTV_HC_EFAULT,
		 "CONSOLE_WRITE from GPA 0x%x (= mem_size) -> EFAULT", beyond);
	check_eq((uint32_t)hc_console_write_gpa(beyond + 0x100000, 4), (uint32_t)PTV_HC_EFAULT,
		 "CONSOLE_WRITE from GPA mem_size + 1 MiB -> EFAULT");
	/* A buffer that starts in RAM but runs past its end must not be read either. */
	check_eq((uint32_t)hc_console_write_gpa(beyond - 8, 16), (uint32_t)PTV_HC_EFAULT,
		 "CONSOLE_WRITE straddling the end of RAM -> EFAULT");
	for (uint32_t i = 0; i < sizeof(long_text); i++)
		long_text[i] = 'x';
	check_eq((uint32_t)hc_console_write(long_text, PTV_HC_CONSOLE_MAX + 1), (uint32_t)PTV_HC_EINVAL,
		 "CONSOLE_WRITE of 4097 bytes -> EINVAL");
}

static void hc_check_unknown(void)
{
	struct hc_regs r = hc_call(HC_UNKNOWN, 0x11111111, 0x22222222, 0x33333333);

	check_eq(r.eax, (uint32_t)PTV_HC_ENOSYS, "hypercall 999 -> ENOSYS");
	check(r.ebx == 0x11111111 && r.ecx == 0x22222222 && r.edx == 0x33333333,
	      "hypercall 999 leaves EBX/ECX/EDX alone (%x %x %x)", r.ebx, r.ecx, r.edx);
}

static void hc_check_info(const struct ptv_hc_info *info)
{
	check_eq(info->abi_version >> 16, PTV_HC_ABI_MAJOR, "INFO abi_version 0x%x: major 1", info->abi_version);
	check(info->guest_count >= 1 && info->guest_id < info->guest_count, "INFO guest_id %u < guest_count %u",
	      info->guest_id, info->guest_count);
	check(info->mem_size >= 4 * 1024 * 1024 && (info->mem_size & 0xfff) == 0 && info->mem_size < 0x100000000ull,
	      "INFO mem_size 0x%llx: page aligned, 4 MiB..4 GiB", (unsigned long long)info->mem_size);
	check(info->name[0] != '\0', "INFO name \"%s\" is not empty", info->name);
	check_eq((uint32_t)hc_call(PTV_HC_INFO, (uint32_t)info->mem_size, 0, 0).eax, (uint32_t)PTV_HC_EFAULT,
		 "INFO into GPA mem_size -> EFAULT");
}

static void hc_check_stats(uint64_t mem)
{
	struct ptv_hc_stats a = { 0 }, b = { 0 };
	int32_t ra = hc_stats(&a), rb = hc_stats(&b);

	check_eq((uint32_t)ra, 0, "STATS returns 0");
	check_eq((uint32_t)rb, 0, "STATS returns 0 again");
	check(b.exits > a.exits, "STATS exits grows between two calls (%llu -> %llu)", (unsigned long long)a.exits,
	      (unsigned long long)b.exits);
	check(b.hypercalls > a.hypercalls, "STATS hypercalls grows (%llu -> %llu)", (unsigned long long)a.hypercalls,
	      (unsigned long long)b.hypercalls);
	serial_printf("info: vmm_free_frames %llu, ept_violations %llu\n", (unsigned long long)b.vmm_free_frames,
		      (unsigned long long)b.ept_violations);
	check_eq((uint32_t)hc_call(PTV_HC_STATS, (uint32_t)mem, 0, 0).eax, (uint32_t)PTV_HC_EFAULT,
		 "STATS into GPA mem_size -> EFAULT");
}

void exits_check_hypercalls(const struct ptv_hc_info *info)
{
	uint32_t sig = 0;
	int32_t ver = hc_version(&sig);

	check_eq((uint32_t)ver >> 16, PTV_HC_ABI_MAJOR, "VERSION major is 1 (EAX 0x%x)", (uint32_t)ver);
	check_eq(sig, PTV_HC_SIGNATURE, "VERSION signature \"ptvi\" in EBX");
	check_eq((uint32_t)hc_null(), 0, "NULL returns 0");
	hc_check_console(info->mem_size);
	hc_check_unknown();
	hc_check_info(info);
	hc_check_stats(info->mem_size);
}
