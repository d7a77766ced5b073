/* Guest life cycle: memory, EPT, vCPU and PT context from a module; stop one guest without the others. */
#include <stdarg.h>
#include "guest/guest.h"
#include "guest/image.h"
#include "guest/layout.h"
#include "guest/linux_boot.h"
#include "guest/mbinfo.h"
#include "guest/mptable.h"
#include "pt/pt_guest.h"
#include "vmx/caps.h"
#include "vmx/exit_reason.h"
#include "vmx/hypercall.h"
#include "vmx/pt_backend.h"
#include "vmx/vcpu_input.h"
#include "vmx/vmcs_init.h"
#include "ept/ept_walk.h"
#include "console/serial.h"
#include "cpu.h"
#include "hypercall_abi.h"
#include "lib/format.h"
#include "lib/string.h"
#include "log.h"
#include "mem/frame.h"
#include "mem/phys.h"
#include "time/tsc.h"

struct guest guests[GUEST_MAX];
unsigned guest_count;

#define SZ_2M ((uint64_t)2 << 20)

/* RAM, EPT and the vCPU with everything it owns. */
static int guest_alloc(struct guest *g)
{
	uint64_t pages = g->cfg.mem_size / PAGE_SIZE;
	struct ept_caps ec;

	g->ram_hpa = frame_alloc_contig(pages, SZ_2M / PAGE_SIZE);
	if (!g->ram_hpa) {
		pr_err("guest %s: refused: no %lu MiB contiguous block of host memory for its RAM\n", g->cfg.name,
		       g->cfg.mem_size >> 20);
		return -1;
	}
	g->mem.host = phys_map(g->ram_hpa, g->cfg.mem_size);
	g->mem.size = g->cfg.mem_size;
	memset(g->mem.host, 0, g->mem.size);

	ept_caps_from_msr(boot_caps.ept_vpid_cap, &ec);
	if (ept_init(&g->ept, &ec) < 0 ||
	    ept_map(&g->ept, 0, g->ram_hpa, g->cfg.mem_size, EPT_R | EPT_W | EPT_X, EPT_MT_WB) < 0) {
		pr_err("guest %s: refused: cannot build its EPT\n", g->cfg.name);
		return -1;
	}
	ept_claims_init(&g->claims);

	struct vcpu_config vc = {
		.id = g->id,
		.name = g->cfg.name,
		.privileged = g->cfg.privileged,
		.mem = { &g->ept, &g->claims, g->ram_hpa, g->cfg.mem_size },
		.vmcs_revision = vmx_caps_revision_id(&boot_caps),
		.window_exiting = vmx_ctl_can_set(boot_caps.procbased, CPU_INTR_WINDOW_EXITING),
		.tsc_khz = tsc_khz,
		.crystal_khz = tsc_crystal_khz_for(tsc_khz),
	};
	return vcpu_create(&g->vcpu, &vc);
}

static void guest_init(struct guest *g, unsigned id)
{
	memset(g, 0, sizeof(*g));
	g->id = id;
	g->state = GUEST_STOPPED;
	g->vcpu.pt_ops = &pt_backend_none; /* until vcpu_create, guest_destroy may run */
}

/*
 * A Linux guest's MP table, in its reserved BIOS area (e820 marks [GUEST_LEGACY_LO, 1 MiB) reserved and
 * the layout places nothing there): its one CPU, with the host's signature and features as CPUID
 * shows them, and its I/O APIC.
 */
static int guest_mptable_write(struct guest *g)
{
	struct cpuid_regs id = cpu_cpuid(1, 0);
	struct mptable_params p = {
		.apic_id = (uint8_t)(g->vcpu.lapic.id >> 24),
		.apic_version = APIC_VERSION_VALUE & 0xff,
		.cpu_signature = id.eax,
		.cpu_features = id.edx,
		.ioapic_id = (uint8_t)(g->vcpu.ioapic.id >> 24),
		.ioapic_version = IOAPIC_VERSION,
		.ioapic_addr = (uint32_t)VIOAPIC_BASE_GPA,
		.lapic_addr = (uint32_t)VLAPIC_BASE_GPA,
	};
	void *at = guest_mem_ptr(&g->mem, MPTABLE_GPA, MPTABLE_SIZE);

	_Static_assert(MPTABLE_GPA >= GUEST_LEGACY_LO && MPTABLE_GPA + MPTABLE_SIZE <= GUEST_LEGACY_HI,
		       "the MP table lies in the reserved legacy hole");
	if (!at || !mptable_build(at, MPTABLE_SIZE, MPTABLE_GPA, &p)) {
		pr_err("guest %s: refused: no room for its MP table at 0x%x\n", g->cfg.name, MPTABLE_GPA);
		return -1;
	}
	return 0;
}

/* Host serial input goes to one guest: a second guest asking for it is refused, naming the first. */
static int guest_input_claim(struct guest *g)
{
	if (!g->cfg.input_serial)
		return 0;
	for (unsigned i = 0; i < guest_count; i++) {
		if (&guests[i] != g && guests[i].state == GUEST_RUNNABLE && guests[i].cfg.input_serial) {
			pr_err("guest %s: refused: input=serial is already guest %s's; one guest takes the serial "
			       "input\n",
			       g->cfg.name, guests[i].cfg.name);
			return -1;
		}
	}
	return 0;
}

/* A Linux guest takes one initrd and no multiboot modules; a multiboot guest no initrd. */
static int guest_modules_fit(const struct guest *g, const struct guest_image *img, const struct guest_layout *l)
{
	unsigned initrds = 0;

	for (unsigned i = 0; i < l->nmods; i++) {
		const struct guest_module *m = &l->mod[i];
		if (m->initrd)
			initrds++;
		if (img->proto == BOOT_LINUX && !m->initrd) {
			guest_image_refuse(g->cfg.name,
					   "module %u (module-of=) is a multiboot module; a Linux kernel takes only an "
					   "initrd (initrd-of=)",
					   m->line);
			return -1;
		}
		if (img->proto != BOOT_LINUX && m->initrd) {
			guest_image_refuse(g->cfg.name,
					   "module %u is an initrd (initrd-of=), but the kernel is %s, not Linux "
					   "(use module-of=)",
					   m->line, guest_boot_proto_name(img->proto));
			return -1;
		}
		if (initrds > 1) {
			guest_image_refuse(g->cfg.name, "module %u is a second initrd; a Linux kernel takes one",
					   m->line);
			return -1;
		}
	}
	return 0;
}

int guest_create(unsigned index, const struct guest_config *cfg, const void *image, size_t size, struct guest_layout *l)
{
	struct guest *g = &guests[index];
	struct guest_image img;

	guest_init(g, index);
	g->cfg = *cfg;

	if (guest_input_claim(g) < 0) {
		ptv_snprintf(g->stop_reason, sizeof(g->stop_reason), "input=serial taken by another guest");
		g->exit_status = -1;
		return -1;
	}
	if (guest_image_check(g->cfg.name, image, size, g->cfg.mem_size, &img) < 0 ||
	    guest_modules_fit(g, &img, l) < 0 || guest_layout_place(g->cfg.name, &img, g->cfg.mem_size, l) < 0) {
		ptv_snprintf(g->stop_reason, sizeof(g->stop_reason), "image refused");
		g->exit_status = -1;
		return -1;
	}
	if (guest_alloc(g) < 0 || guest_image_load(g->cfg.name, image, size, &img, &g->mem) < 0 ||
	    guest_layout_load(g->cfg.name, l, &g->mem) < 0) {
		ptv_snprintf(g->stop_reason, sizeof(g->stop_reason), "could not be set up");
		g->exit_status = -1;
		guest_destroy(g);
		return -1;
	}
	uint32_t info = img.proto == BOOT_LINUX ? linux_zeropage_build(&img, image, &g->cfg, &g->mem, l)
						: guest_mbinfo_build(&img, &g->cfg, &g->mem, l);
	if (info && img.proto == BOOT_LINUX && guest_mptable_write(g) < 0)
		info = 0;
	if (!info) {
		if (img.proto != BOOT_LINUX)
			pr_err("guest %s: refused: its multiboot information does not fit\n", g->cfg.name);
		ptv_snprintf(g->stop_reason, sizeof(g->stop_reason), "could not be set up");
		g->exit_status = -1;
		guest_destroy(g);
		return -1;
	}
	if (vmcs_setup(&g->vcpu, img.entry, img.proto == BOOT_LINUX ? 0 : guest_mbinfo_magic(&img), info) < 0) {
		ptv_snprintf(g->stop_reason, sizeof(g->stop_reason), "could not be set up");
		g->exit_status = -1;
		guest_destroy(g);
		return -1;
	}
	if (img.proto == BOOT_LINUX) {
		/* boot.rst, 32-bit boot protocol: the zero page in ESI; EBP, EDI and EBX zero. */
		g->vcpu.regs.rsi = info;
		g->vcpu.regs.rbx = 0;
	}
	struct pt_guest_config pc = { .pt = g->cfg.pt,
				      .pt_caps = g->cfg.pt_caps,
				      .riplog = g->cfg.pt_riplog,
				      .outside = g->cfg.pt_outside,
				      .cpl = g->cfg.pt_cpl,
				      .fork = g->cfg.pt_fork,
				      .step_engine = g->cfg.pt_step_engine };
	pt_guest_attach(&g->pt, &g->vcpu, &pc);
	g->state = GUEST_RUNNABLE;
	if (g->cfg.input_serial) {
		vcpu_input_attach(&g->vcpu, serial_getc);
		g->vcpu.uart.interactive = true;
		pr_info("guest %s: takes the serial input (input=serial)\n", g->cfg.name);
	}
	pr_info("guest %s: %s %s kernel, entry 0x%x, %lu MiB RAM at host 0x%lx, EPT %lu table pages%s\n", g->cfg.name,
		guest_image_kind_name(img.kind), guest_boot_proto_name(img.proto), img.entry, g->cfg.mem_size >> 20,
		g->ram_hpa, g->ept.table_pages, g->cfg.guest_cmdline[0] ? ", with a command line" : "");
	pr_info("guest %s: image [0x%lx, 0x%lx], boot information at 0x%x, %u module(s)\n", g->cfg.name, img.load_lo,
		img.load_hi, info, l->nmods);
	for (unsigned i = 0; i < l->nmods; i++)
		pr_info("guest %s: module %u: [0x%lx, 0x%lx) %lu bytes\n", g->cfg.name, l->mod[i].line, l->mod[i].gpa,
			l->mod[i].gpa + l->mod[i].size, l->mod[i].size);
	return 0;
}

int guest_setup_raw(struct guest *g, const char *name, const void *code, size_t len, uint32_t gpa)
{
	guest_init(g, 0);
	ptv_strlcpy(g->cfg.name, name, sizeof(g->cfg.name));
	g->cfg.mem_size = SZ_2M;
	if (guest_alloc(g) < 0 || gpa + len > g->cfg.mem_size) {
		guest_destroy(g);
		return -1;
	}
	memcpy((uint8_t *)g->mem.host + gpa, code, len);
	if (vmcs_setup(&g->vcpu, gpa, 0, 0) < 0) {
		guest_destroy(g);
		return -1;
	}
	g->state = GUEST_RUNNABLE;
	return 0;
}

/* Where a guest's exits went: one line, reasons in exit-reason order, only those that occurred. */
static void guest_exits_report(const struct guest *g)
{
	char line[512];
	size_t len = 0;

	for (unsigned r = 0; r < VCPU_EXIT_REASONS && len < sizeof(line); r++) {
		uint64_t n = g->vcpu.stats.by_reason[r];
		if (n)
			len += (size_t)ptv_snprintf(line + len, sizeof(line) - len, "%s%s %lu", len ? ", " : "",
						    exit_reason_name(r), n);
	}
	if (len)
		pr_info("guest %s: exits by reason: %s\n", g->cfg.name, line);
}

void guest_stop(struct guest *g, int status, const char *fmt, ...)
{
	va_list ap;

	if (g->state != GUEST_RUNNABLE)
		return;
	vuart_flush(&g->vcpu.uart);
	vcpu_input_detach(&g->vcpu);
	vcpu_pt_stopped(&g->vcpu);
	va_start(ap, fmt);
	ptv_vsnprintf(g->stop_reason, sizeof(g->stop_reason), fmt, ap);
	va_end(ap);
	g->state = GUEST_STOPPED;
	g->exit_status = status;
	pr_info("guest %s: stopped: %s (status %d, %lu exits)\n", g->cfg.name, g->stop_reason, status,
		g->vcpu.stats.exits);
	guest_exits_report(g);
	guest_vga_dump(g);
}

/* A text-mode guest's screen is its output: print what it left in VGA memory (GPA 0xb8000, 80x25). */
void guest_vga_dump(struct guest *g)
{
	const uint8_t *vga = guest_mem_ptr(&g->mem, 0xb8000, 80 * 25 * 2);
	bool header = false;

	if (!vga)
		return;
	for (unsigned row = 0; row < 25; row++) {
		char line[81];
		unsigned len = 0;
		for (unsigned col = 0; col < 80; col++) {
			uint8_t c = vga[(row * 80 + col) * 2];
			line[col] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
			if (line[col] != ' ')
				len = col + 1;
		}
		line[len] = '\0';
		if (!len)
			continue;
		if (!header) {
			pr_info("guest %s: VGA text screen at stop (non-blank rows):\n", g->cfg.name);
			header = true;
		}
		log_raw(LOG_INFO, "  |%02u| %s\n", row, line);
	}
}

void guest_destroy(struct guest *g)
{
	/* Its PT state goes first: the hardware path may still own the CPU's RTIT MSRs for it. */
	vcpu_pt_release(&g->vcpu);
	vcpu_input_detach(&g->vcpu);
	vcpu_destroy(&g->vcpu);
	if (g->ept.pml4)
		ept_destroy(&g->ept);
	if (g->ram_hpa) {
		/* Scrub: the next owner of these frames must not see this guest's data. */
		memset(g->mem.host, 0, g->mem.size);
		frame_free_contig(g->ram_hpa, g->cfg.mem_size / PAGE_SIZE);
	}
	g->ram_hpa = 0;
	if (g->state == GUEST_RUNNABLE)
		g->state = GUEST_STOPPED;
}

static int64_t hc_info(struct vcpu *v, uint64_t gpa, uint64_t a2, uint64_t a3)
{
	struct ptv_hc_info info;

	(void)a2, (void)a3;
	memset(&info, 0, sizeof(info));
	info.abi_version = (PTV_HC_ABI_MAJOR << 16) | PTV_HC_ABI_MINOR;
	info.guest_id = v->id;
	info.guest_count = guest_count;
	info.flags = 0;
	info.mem_size = v->mem.size;
	ptv_strlcpy(info.name, v->name, sizeof(info.name));
	return ept_write_guest(v->mem.ept, gpa, &info, sizeof(info)) == sizeof(info) ? PTV_HC_OK : PTV_HC_EFAULT;
}

void guest_hypercalls_init(void)
{
	hypercall_register(PTV_HC_INFO, hc_info);
}
