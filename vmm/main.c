/* The boot path: consoles, boot info, options, memory, ACPI, CPU probe, the VMXON gate. */
#include "boot_info.h"
#include "cmdline.h"
#include "console/console.h"
#include "console/fb.h"
#include "console/serial.h"
#include "console/vga.h"
#include "acpi/acpi.h"
#include "desc.h"
#include "log.h"
#include "lib/string.h"
#include "mem/frame.h"
#include "mem/phys.h"
#include "power.h"
#include "pt/pt_policy.h"
#include "guest/step_probe.h"
#include "pt/pt_boot.h"
#include "pt/pt_selftest.h"
#include "status.h"
#include "trap.h"
#include "vmx/caps.h"
#include "vmx/probe.h"
#include "vmx/vmxon.h"
#include "vmx/vmcs_init.h"
#include "vmx/vcpu_switch.h"
#include "guest/guest.h"
#include "guest/plan.h"
#include "guest/sched.h"
#include "cpu.h"
#include "time/tsc.h"
#include "time/idle.h"

extern char __image_start[], __image_end[];

void kmain(uint32_t magic, uint32_t mbi_pa);

static struct boot_info boot_info;
static struct vmm_options options;
struct vmx_caps boot_caps;
static struct pt_decision pt_decision;

static void boot_parse(uint32_t magic, uint32_t mbi_pa)
{
	const uint32_t *mbi = (const uint32_t *)(uintptr_t)mbi_pa;
	/* The block's own total_size bounds what we read, capped at an absurdity limit. */
	size_t avail = (mbi_pa && IS_ALIGNED(mbi_pa, 8)) ? MIN((size_t)mbi[0], (size_t)BOOT_INFO_MAX_SIZE) : 0;

	if (boot_info_parse(magic, mbi, avail, mbi_pa, &boot_info) < 0) {
		pr_err("boot: unusable multiboot2 information; ptvisor must be started by a multiboot2 loader\n");
		power_off(PTV_STATUS_BAD_BOOT);
	}
}

static unsigned collect_reserved(struct mem_range *r, unsigned max)
{
	unsigned n = 0;

	r[n++] = (struct mem_range){ (paddr_t)__image_start, (uint64_t)(__image_end - __image_start), MEM_RESERVED };
	r[n++] = (struct mem_range){ boot_info.info_addr, boot_info.info_size, MEM_RESERVED };
	for (unsigned i = 0; i < boot_info.module_count && n < max; i++) {
		const struct boot_module *m = &boot_info.modules[i];
		r[n++] = (struct mem_range){ m->start, m->end - m->start, MEM_RESERVED };
	}
	if (boot_info.fb.type != BOOT_FB_NONE && n < max)
		r[n++] = (struct mem_range){ boot_info.fb.addr, (uint64_t)boot_info.fb.pitch * boot_info.fb.height,
					     MEM_RESERVED };
	n += acpi_table_ranges(r + n, max - n);
	return n;
}

static void memory_init(void)
{
	static struct mem_range reserved[64];
	unsigned n = collect_reserved(reserved, ARRAY_SIZE(reserved));
	struct frame_stats st;

	frame_init(boot_info.mmap, boot_info.mmap_count, reserved, n);
	frame_get_stats(&st);
	pr_info("memory: %lu MiB usable, %lu MiB free for guests and VMM data, %lu KiB reserved "
		"(image, boot info, modules, ACPI, framebuffer)\n",
		st.usable_frames * PAGE_SIZE >> 20, st.free_frames * PAGE_SIZE >> 20,
		st.reserved_frames * PAGE_SIZE >> 10);
	if (st.unmanaged_bytes)
		pr_info("memory: %lu MiB above %lu GiB not managed\n", st.unmanaged_bytes >> 20, FRAME_MAX_PHYS >> 30);
}

/* The 8259 PICs stay masked: no host interrupt may ever reach a guest's IDT. */
static void pic_mask_all(void)
{
	cpu_outb(0x21, 0xff);
	cpu_outb(0xa1, 0xff);
}

static struct guest_plan guest_plan;

/* Sorts the module lines into guests and the modules attached to them; misattachments are named. */
static void guests_plan(void)
{
	const char *lines[BOOT_MODULES_MAX];
	unsigned n = MIN(boot_info.module_count, (unsigned)BOOT_MODULES_MAX);

	for (unsigned i = 0; i < n; i++)
		lines[i] = boot_info.modules[i].cmdline;
	guest_plan_build(lines, n, &guest_plan);
	guest_count = guest_plan.nguests;
}

/* The modules of one guest as the loader left them, in its line order, for guest_create() to place. */
static void guests_modules(const struct guest_plan_entry *e, struct guest_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->nmods = e->nmods;
	for (unsigned j = 0; j < e->nmods; j++) {
		const struct boot_module *m = &boot_info.modules[e->mods[j]];

		l->mod[j].size = m->end - m->start;
		l->mod[j].data = l->mod[j].size ? phys_map(m->start, l->mod[j].size) : NULL;
		l->mod[j].string = guest_plan.line[e->mods[j]].string;
		l->mod[j].line = e->mods[j];
		l->mod[j].initrd = guest_plan.line[e->mods[j]].kind == GUEST_LINE_INITRD;
	}
}

static unsigned guests_start(void)
{
	static struct guest_layout layout;
	unsigned created = 0;

	for (unsigned i = 0; i < guest_count; i++) {
		const struct guest_plan_entry *e = &guest_plan.guest[i];
		const struct boot_module *m = &boot_info.modules[e->module];
		void *image = phys_map(m->start, m->end - m->start);

		guests_modules(e, &layout);
		/* A module that cannot be mapped still gets its guest refused by name (image NULL). */
		if (guest_create(i, &e->cfg, image, m->end - m->start, &layout) == 0)
			created++;
	}
	return created;
}

static int guests_report(void)
{
	int failed = 0;

	pr_info("guests: summary\n");
	for (unsigned i = 0; i < guest_count; i++) {
		struct guest *g = &guests[i];
		log_raw(LOG_INFO, "  %-12s status %-4d %8lu exits  %s\n", g->cfg.name, g->exit_status,
			g->vcpu.stats.exits, g->stop_reason);
		if (g->exit_status != 0)
			failed++;
	}
	for (unsigned i = 0; i < guest_plan.nlines; i++)
		if (guest_plan.line[i].kind == GUEST_LINE_REFUSED)
			log_raw(LOG_INFO, "  module %-5u not loaded (see above)\n", i);
	return failed + guest_plan.refused;
}

static int vmx_gate(void)
{
	struct vmxon_report rep;
	paddr_t region = frame_alloc();
	int status = PTV_STATUS_OK;

	if (!vmx_caps_has_vmx(&boot_caps)) {
		pr_err("no VMX: %s; ptvisor needs Intel VT-x and has nothing to run here\n",
		       boot_caps.is_intel
			       ? "CPUID.1:ECX.VMX[bit 5] is 0 (VT-x absent or hidden by the hypervisor below us)"
			       : "this is not an Intel CPU (CPUID.1:ECX.VMX[bit 5] is 0)");
		return PTV_STATUS_NO_VMX;
	}
	if (!region)
		panic("no memory for the VMXON region");
	if (pt_boot_vmx_enter(&boot_caps, (void *)region, region, &rep, options.pt_dump) < 0) {
		pr_err("VMX: cannot enter VMX operation; stopping\n");
		return PTV_STATUS_NO_VMX;
	}
	struct vmx_extra_controls pt_controls;
	pt_vmx_controls(&pt_controls);
	guests_plan();
	if (guest_count == 0) {
		if (boot_info.module_count)
			pr_info("guests: none of the %u modules is a guest; nothing to run\n", boot_info.module_count);
		else
			pr_info("guests: no guest modules were given; nothing to run\n");
		if (guest_plan.refused)
			status = PTV_STATUS_FAILED;
	} else if (vmx_controls_decide(&boot_caps, &pt_controls, &vmx_ctls) < 0) {
		status = PTV_STATUS_FAILED;
	} else {
		vcpu_switch_init_cpu();
		guest_hypercalls_init();
		if (pt_decision.guest_backend == PT_BACKEND_EMULATED)
			pt_step_probe(&boot_caps);
		unsigned n = guests_start();
		pr_info("guests: %u of %u started; running them time-sliced on CPU 0\n", n, guest_count);
		sched_run();
		if (guests_report())
			status = PTV_STATUS_FAILED;
		for (unsigned i = 0; i < guest_count; i++)
			guest_destroy(&guests[i]);
	}
	pt_boot_finish(options.pt_dump);
	if (vmx_leave(&rep) < 0)
		return PTV_STATUS_FAILED;
	frame_free(region);
	return status;
}

void kmain(uint32_t magic, uint32_t mbi_pa)
{
	bool have_serial = serial_init();

	desc_init_cpu(0);
	trap_init();
	pr_info("ptvisor " PTV_VERSION " starting (%s console)\n", have_serial ? "serial" : "no serial");

	boot_parse(magic, mbi_pa);
	vmm_options_default(&options);
	cmdline_parse(boot_info.cmdline, &options);
	log_threshold = options.loglevel;
	idle_mode = options.idle;
	vga_console_init(&boot_info);
	fb_console_init(&boot_info);
	console_select(options.console_mask);
	boot_info_print(&boot_info);

	acpi_init(&boot_info);
	acpi_print();
	if (options.selftest_trap)
		trap_selftest(); /* after ACPI: power-off needs to know the machine */
	memory_init();

	vmx_caps_read(&boot_caps);
	vmx_probe_print(&boot_caps);
	pt_decide(&boot_caps, options.pt_mode, options.pt_backend, &pt_decision);
	pt_decision_print(&pt_decision);
	pt_boot_init(&boot_caps, &pt_decision);
	if (options.selftest_pt)
		pt_selftest_begin();

	pic_mask_all();
	tsc_init();
	idle_init();
	power_off(vmx_gate());
}
