/* The vCPU's life cycle and the helpers every exit handler shares: GPR lookup, event injection, stop. */
#include <stdarg.h>
#include "vmx/vcpu.h"
#include "vmx/vcpu_switch.h"
#include "vmx/vmcs_ops.h"
#include "vmx/pt_backend.h"
#include "lib/format.h"
#include "lib/string.h"
#include "log.h"
#include "mem/frame.h"
#include "mem/phys.h"

static paddr_t pages_alloc(unsigned pages, uint8_t fill)
{
	paddr_t pa = frame_alloc_contig(pages, 1);

	if (pa)
		memset(phys_map(pa, pages * PAGE_SIZE), fill, pages * PAGE_SIZE);
	return pa;
}

/* The power-up x87/SSE state: FCW 037FH, MXCSR 1F80H, all else 0 (SDM Vol. 1 Table 9-1; 11.6.4). */
static void fpu_reset(struct vcpu_fpu *f, size_t size)
{
	uint8_t *a = f->area;

	memset(a, 0, size);
	a[0] = 0x7f;
	a[1] = 0x03;
	a[24] = 0x80;
	a[25] = 0x1f;
	f->xcr0 = XCR0_X87; /* the reset value of XCR0 (SDM Vol. 1 13.3) */
}

int vcpu_create(struct vcpu *v, const struct vcpu_config *c)
{
	uint32_t size = vcpu_host.area_size ? vcpu_host.area_size : 512;

	memset(v, 0, sizeof(*v));
	v->id = c->id;
	v->name = c->name;
	v->privileged = c->privileged;
	v->mem = c->mem;
	v->pt_ops = &pt_backend_none;
	v->vmcs_pa = pages_alloc(1, 0);
	/* Every MSR access and every port exits: each is emulated or refused by name (SDM 25.6.4, 25.6.9). */
	v->msr_bitmap_pa = pages_alloc(1, 0xff);
	v->io_bitmap_pa = pages_alloc(2, 0xff);
	v->fpu.pages = (unsigned)(ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
	v->fpu.area_pa = pages_alloc(v->fpu.pages, 0); /* page-aligned, so XSAVE_ALIGN-aligned */
	if (!v->vmcs_pa || !v->msr_bitmap_pa || !v->io_bitmap_pa || !v->fpu.area_pa) {
		pr_err("guest %s: refused: out of host memory for its VMCS, bitmaps and FPU state\n", c->name);
		return -1;
	}
	*(uint32_t *)phys_map(v->vmcs_pa, 4) = c->vmcs_revision;
	v->fpu.area = phys_map(v->fpu.area_pa, v->fpu.pages * PAGE_SIZE);
	fpu_reset(&v->fpu, size);
	/* DR0-DR3 0, DR6 FFFF0FF0H at power-up (SDM 17.2.3, Table 9-1); DR7 is in the VMCS. */
	v->dregs.dr6 = DR6_RESET;
	vlapic_timer_set_clock(&v->lapic, c->tsc_khz, c->crystal_khz);
	vlapic_reset(&v->lapic, c->id);
	vioapic_reset(&v->ioapic, &v->lapic, VIOAPIC_ID);
	vmtrr_reset(&v->mtrr);
	v->window_exiting = c->window_exiting;
	vuart_init(&v->uart, c->name);
	return 0;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->vmcs_pa) {
		cpu_vmclear(v->vmcs_pa);
		frame_free(v->vmcs_pa);
	}
	if (v->msr_bitmap_pa)
		frame_free(v->msr_bitmap_pa);
	if (v->io_bitmap_pa)
		frame_free_contig(v->io_bitmap_pa, 2);
	if (v->fpu.area_pa) {
		/* Scrub: the next owner of these frames must not see this guest's registers. */
		memset(v->fpu.area, 0, v->fpu.pages * PAGE_SIZE);
		frame_free_contig(v->fpu.area_pa, v->fpu.pages);
	}
	v->vmcs_pa = v->msr_bitmap_pa = v->io_bitmap_pa = v->fpu.area_pa = 0;
	v->fpu.area = NULL;
}

enum exit_action vcpu_stop(struct vcpu *v, int status, const char *fmt, ...)
{
	va_list ap;

	if (!v->stop.requested) {
		va_start(ap, fmt);
		ptv_vsnprintf(v->stop.reason, sizeof(v->stop.reason), fmt, ap);
		va_end(ap);
		v->stop.status = status;
		v->stop.requested = true;
	}
	return EXIT_STOPPED;
}

uint64_t *vcpu_gpr(struct vcpu *v, unsigned n, uint64_t *rsp)
{
	uint64_t *r[16] = {
		&v->regs.rax, &v->regs.rcx, &v->regs.rdx, &v->regs.rbx, rsp,          &v->regs.rbp,
		&v->regs.rsi, &v->regs.rdi, &v->regs.r8,  &v->regs.r9,  &v->regs.r10, &v->regs.r11,
		&v->regs.r12, &v->regs.r13, &v->regs.r14, &v->regs.r15,
	};

	return r[n & 15];
}
