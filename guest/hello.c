/* hello: a greeting, checks of the boot information and basic hypercalls; runs on bare hardware too. */
#include "cpu.h"
#include "serial.h"
#include "test.h"
#include "hypercall.h"
#include "multiboot.h"
#include "hello.h"
#include "lib/string.h"

#define SEL_BEYOND_GDT 0x28 /* start.asm's GDT has 3 descriptors: 0x00-0x17 */

void hello_mmap_add(struct hello_mmap *m, uint64_t base, uint64_t len, uint32_t type)
{
	uint64_t end = base + len;

	m->entries++;
	if (type != MB_MEMORY_AVAILABLE)
		return;
	m->usable += len;
	if (end > m->usable_top)
		m->usable_top = end;
	if (m->nusable < HELLO_MMAP_MAX) {
		m->r[m->nusable].lo = base;
		m->r[m->nusable].hi = end;
		m->nusable++;
	}
}

/*
 * End of the usable RAM that runs without a gap from `start` (`start` itself
 * when it is not usable): a loader may split one run into adjacent entries,
 * and mem_lower/mem_upper describe runs (Multiboot spec 0.6.96 3.3).
 */
static uint64_t hello_run_end(const struct hello_mmap *m, uint64_t start)
{
	uint64_t end = start;
	bool grew = true;

	while (grew) {
		grew = false;
		for (uint32_t i = 0; i < m->nusable; i++) {
			if (m->r[i].lo <= end && m->r[i].hi > end) {
				end = m->r[i].hi;
				grew = true;
			}
		}
	}
	return end;
}

void hello_check_mmap(const struct hello_mmap *m, const struct hello_env *env, bool have_meminfo, uint32_t mem_lower,
		      uint32_t mem_upper)
{
	uint64_t low_len = hello_run_end(m, 0);
	uint64_t upper_len = hello_run_end(m, HELLO_HOLE_END) - HELLO_HOLE_END;

	serial_printf("memory map: %u entries, %llu KiB usable, top 0x%llx\n", m->entries,
		      (unsigned long long)(m->usable / 1024), (unsigned long long)m->usable_top);
	check(m->entries > 0 && m->usable > 0, "memory map has usable RAM");
	check(upper_len > 0, "memory map has usable RAM at 1 MiB (where this image loaded)");
	if (env->hv) {
		check_eq(m->usable, env->mem_size - (HELLO_HOLE_END - HELLO_HOLE_START),
			 "usable RAM = mem_size - hole 0x9f000-0x100000");
		check_eq(m->usable_top, env->mem_size, "highest usable byte ends at mem_size");
		check_eq(low_len, HELLO_HOLE_START, "low usable RAM is [0, 0x9f000)");
	}
	if (!have_meminfo) {
		serial_printf("no mem_lower/mem_upper given\n");
		return;
	}
	serial_printf("mem_lower %u KiB, mem_upper %u KiB\n", mem_lower, mem_upper);
	/* Loaders derive both from the map: the usable ranges at 0 and at 1 MiB. */
	check_eq_dec(mem_lower, low_len / 1024, "mem_lower (KiB) matches the memory map");
	check_eq_dec(mem_upper, upper_len / 1024, "mem_upper (KiB) matches the memory map");
	if (env->hv) {
		check_eq_dec(mem_lower, HELLO_MEM_LOWER_KIB, "mem_lower is 636 KiB");
		check_eq_dec(mem_upper, (env->mem_size - HELLO_HOLE_END) / 1024,
			     "mem_upper is (mem_size - 1 MiB) / 1024");
	}
}

void hello_check_loader(const char *name, const struct hello_env *env)
{
	serial_printf("boot loader: \"%s\"\n", name);
	if (env->hv)
		check(strcmp(name, "ptvisor") == 0, "boot loader name is \"ptvisor\"");
	else
		check(name[0] != '\0', "boot loader name is not empty");
}

/* The guest library's own fault recovery, which the other guests rely on; no VM exit involved. */
static void hello_check_library(void)
{
	check_fault(cpu_ud2_safe(), VEC_UD, "UD2 raises #UD and the guest resumes");
	check_fault(cpu_load_ds_safe(SEL_BEYOND_GDT), VEC_GP,
		    "loading DS with selector 0x28 raises #GP and the guest resumes");
	check_eq(guest_fault_error(), SEL_BEYOND_GDT, "#GP error code is the selector");
}

static void hello_check_hypercalls(struct hello_env *env, struct ptv_hc_info *info)
{
	uint32_t sig = 0;
	int32_t rc = hc_info(info), ver;

	info->name[sizeof(info->name) - 1] = '\0';
	serial_printf("hello from %s\n", info->name);
	ver = hc_version(&sig);
	check_eq((uint32_t)ver >> 16, PTV_HC_ABI_MAJOR, "PTV_HC_VERSION major is 1 (minor %u)", (uint32_t)ver & 0xffff);
	check_eq(sig, PTV_HC_SIGNATURE, "PTV_HC_VERSION signature in EBX");
	check_eq((uint32_t)rc, 0, "PTV_HC_INFO returns 0");
	check_eq(info->abi_version >> 16, PTV_HC_ABI_MAJOR, "PTV_HC_INFO abi_version major is 1");
	check(info->name[0] != '\0', "PTV_HC_INFO name is a non-empty string");
	check(info->guest_id < info->guest_count, "guest_id %u < guest_count %u", info->guest_id, info->guest_count);
	check(info->mem_size >= 2 * 1024 * 1024 && (info->mem_size & 0xfff) == 0,
	      "mem_size 0x%llx is page aligned and >= 2 MiB", (unsigned long long)info->mem_size);
	env->mem_size = info->mem_size;
}

int guest_main(uint32_t magic, uint32_t info)
{
	struct hello_env env = { .hv = false, .mem_size = 0 };
	struct ptv_hc_info hc = { 0 };

	serial_init();
	env.hv = hc_ptvisor_present();
	if (env.hv) {
		hello_check_hypercalls(&env, &hc);
	} else {
		serial_printf("no ptvisor: skipping hypercall checks\n");
		serial_printf("hello from bare metal\n");
	}
	hello_check_library();
	if (guest_boot_protocol == 1)
		hello_check_mb1(magic, info, &env);
	else
		hello_check_mb2(magic, info, &env);
	return test_finish();
}
