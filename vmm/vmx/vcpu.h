/*
 * A virtual CPU: the one owner of a guest's CPU state. Whatever the VMCS does
 * not hold lives here (GPRs, DR0-DR3/DR6, the XSAVE area and XCR0, the syscall
 * MSRs), with the guest's virtual APIC, I/O APIC and UART, its port-I/O bookkeeping, its
 * memory view and its Intel PT context. All of it is set up by vcpu_create()
 * when the guest is created and switched by vcpu_load()/vcpu_put().
 */
#ifndef PTV_VCPU_H
#define PTV_VCPU_H

#include "types.h"
#include "dev/vioapic.h"
#include "dev/vlapic.h"
#include "dev/vuart.h"
#include "vmx/vmtrr.h"
#include "vmx/vpmu.h"
#include "x86/arch.h"

/* Guest GPRs the exit stub saves; RSP and RIP live in the VMCS. Offsets go to vmx_run.asm via asm_offsets.c. */
struct guest_regs {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t cr2;
	uint64_t host_rsp; /* HOST_RSP last written to this VMCS, so vmx_run skips the VMWRITE */
};

#define VCPU_EXIT_REASONS 80 /* EXIT_REASON_MAX */

struct vcpu_stats {
	uint64_t exits;
	uint64_t hypercalls;
	uint64_t ept_violations;
	uint64_t by_reason[VCPU_EXIT_REASONS];
	/* IA32_RTIT_* RDMSR/WRMSR made by the PT code between a VM exit and the next entry (pt_hw.c). */
	uint64_t rtit_msr_accesses;      /* over all exit/entry pairs */
	uint64_t rtit_msr_last_exit;     /* in the last pair */
	uint64_t rtit_exits_with_access; /* pairs that made at least one */
};

/* What the scheduler does after a handler returns. */
enum exit_action {
	EXIT_RESUME = 0, /* re-enter the same guest */
	EXIT_YIELD,      /* let the next runnable guest run (time slice over, HLT) */
	EXIT_STOPPED,    /* the guest must stop: vcpu.stop says why */
};

/* DR0-DR3 and DR6 are not in the VMCS (SDM 27.3.1 saves DR7 only): they move with the vCPU. */
struct vcpu_dregs {
	uint64_t dr[DR_COUNT];
	uint64_t dr6;
};

/* The guest's x87/SSE/AVX state, in an XSAVE area sized for the components it may enable. */
struct vcpu_fpu {
	void *area; /* standard-format XSAVE area, XSAVE_ALIGN-aligned */
	paddr_t area_pa;
	unsigned pages;
	uint64_t xcr0;
};

/* MSRs the VMCS does not switch and the VMM never uses itself. */
struct vcpu_syscall_msrs {
	uint64_t star, lstar, cstar, fmask, kernel_gs_base, tsc_aux;
};

/* The guest-physical memory the vCPU reaches: RAM [0, size) = host [ram_hpa, ...), behind its EPT. */
struct ept;
struct ept_claims;
struct vcpu_mem {
	struct ept *ept;
	struct ept_claims *claims;
	paddr_t ram_hpa;
	uint64_t size;
};

/* Port I/O and unbacked-memory bookkeeping (exit_io.c, exit_ept.c). */
struct vcpu_io {
	uint8_t logged[0x10000 / 8];   /* unclaimed ports already reported once */
	unsigned port_reports;         /* unclaimed ports reported, up to IO_REPORTS_MAX (exit_io.c) */
	unsigned bochs_shutdown_len;   /* bytes of "Shutdown" written to port 0x8900 so far */
	uint64_t unbacked_logged_page; /* last unbacked GPA page reported, to keep logs short */
	unsigned unbacked_reports;
};

/* Set by an exit handler that ends the guest (vcpu_stop); the scheduler acts on it. */
struct vcpu_stop {
	bool requested;
	int status;
	char reason[128];
};

struct pt_guest;
struct pt_backend_ops;

struct vcpu {
	struct guest_regs regs;                       /* first: the exit stub addresses it directly */
	unsigned id;                                  /* the guest's index: APIC ID, VPID - 1 */
	const char *name;                             /* for reports */
	bool privileged;                              /* may read the host trace buffer (hypercall) */
	paddr_t vmcs_pa, msr_bitmap_pa, io_bitmap_pa; /* io: two pages, A (ports 0-0x7fff) and B */
	bool launched;
	bool efer_lma;       /* IA32_EFER.LMA as last set by the CR0 handler */
	bool pt_stepping;    /* the emulated PT backend single-steps this vCPU */
	bool pt_step_mtf;    /* ... with the monitor trap flag (else RFLAGS.TF and #DB) */
	bool probe;          /* a boot self-test vCPU: its MTF/HLT exits only record the reason */
	bool window_exiting; /* "interrupt-window exiting" may be set (SDM A.3.2) */
	uint32_t probe_exit;
	/* Cached for the handler of the current exit. */
	uint32_t exit_reason;
	uint64_t exit_qual;
	uint32_t cpu2_controls;
	uint32_t entry_controls;
	/* TSC at which the current slice ends, checked at every exit: the preemption timer may restart at
	   each entry, or count only guest time while the VMM does most of the work (PT single-stepping). */
	uint64_t slice_end;
	int last_action; /* enum exit_action that ended the last vmx_run */
	struct vcpu_mem mem;
	struct vcpu_dregs dregs;
	struct vcpu_fpu fpu;
	struct vcpu_syscall_msrs msrs;
	struct vlapic lapic;
	struct vuart uart;
	struct vioapic ioapic; /* the guest's I/O APIC: one vCPU per guest, so it lives here */
	struct vcpu_io io;
	struct pt_guest *pt; /* the PT context, served by pt_ops (vmx/pt_backend.h) */
	const struct pt_backend_ops *pt_ops;
	struct vcpu_stop stop;
	uint32_t idt_vectoring; /* IDT-vectoring information of the current exit, where read (vcpu_event.c) */
	/* The guest's TSC is the host's plus TSC_OFFSET; IA32_TSC_ADJUST follows its writes (SDM 18.17.3). */
	uint64_t tsc_offset;
	uint64_t tsc_adjust;
	/* Set by a handler whose exit was the VMM's own work (an emulated-PT single step): its time is hidden. */
	bool hide_exit_time;
	struct vpmu pmu;   /* the PMU, owner of IA32_PERF_GLOBAL_STATUS (vpmu.h) */
	struct vmtrr mtrr; /* MTRRs as registers (vmtrr.h) */
	struct vcpu_stats stats;
	/* Asleep in HLT until its timer is due or vcpu_kick() (vcpu_time.c); the scheduler skips it. */
	bool halted;
	/* Optional: a device with input from outside (serial) checks for it while the vCPU sleeps. */
	void (*poll)(struct vcpu *v);
};

_Static_assert(__builtin_offsetof(struct vcpu, regs) == 0, "vmx_run takes the vcpu as its register block");

/* What vcpu_create() needs; memory and EPT belong to the guest that holds the vCPU. */
struct vcpu_config {
	unsigned id;
	const char *name;
	bool privileged;
	struct vcpu_mem mem;
	uint32_t vmcs_revision; /* IA32_VMX_BASIC[30:0], the VMCS's first word (SDM 25.2) */
	bool window_exiting;    /* the CPU allows "interrupt-window exiting" (SDM A.3.2) */
	uint32_t tsc_khz;       /* the TSC's frequency, 0 if unknown: the APIC timer and CPUID 15H/16H */
	uint32_t crystal_khz;   /* the crystal clock the APIC timer counts at (CPUID 15H:ECX) */
};

/*
 * Allocates and initialises everything the vCPU owns: VMCS, MSR and I/O bitmaps (all exiting),
 * XSAVE area, reset debug registers, virtual APIC and UART; PT is "none" until a backend attaches.
 * -1 with a report (naming the vCPU) when host memory runs out; vcpu_destroy() cleans up either way.
 */
int vcpu_create(struct vcpu *v, const struct vcpu_config *c);
void vcpu_destroy(struct vcpu *v);

/* Records why the guest must stop (its caller, the scheduler, stops it) and returns EXIT_STOPPED. */
enum exit_action vcpu_stop(struct vcpu *v, int status, const char *fmt, ...) __printf(3, 4);

/*
 * The guest GPR numbered as in ModRM/exit qualifications (0 RAX ... 15 R15). RSP lives in the
 * VMCS: the caller passes a slot holding it and writes it back if it changed the register.
 */
uint64_t *vcpu_gpr(struct vcpu *v, unsigned n, uint64_t *rsp);

/*
 * Queues a hardware exception for the next VM entry (SDM 27.6.1.1 "Event Injection") as the CPU would
 * raise it: RF set in the frame of a fault, and combined with an event already queued (one whose
 * delivery the exit interrupted) by the double-fault rules (SDM 6.15, Table 6-5): #DF, or a triple
 * fault that stops the guest (vcpu_stop). An interrupt or NMI it displaces stays pending.
 */
void vcpu_inject_exception(struct vcpu *v, unsigned vector, bool has_error, uint32_t error);
#define vcpu_inject_gp(v) vcpu_inject_exception((v), X86_VEC_GP, true, 0)
#define vcpu_inject_ud(v) vcpu_inject_exception((v), X86_VEC_UD, false, 0)

#endif
