/*
 * One place for VMCS contents: control words adjusted against the (TRUE)
 * capability MSRs (SDM A.3-A.5), host state from our own GDT/IDT/TSS (SDM
 * 27.2.3 "Checks on Host Segment and Descriptor-Table Registers"), and the
 * multiboot entry state for the guest (Multiboot2 spec 3.3 "I386 machine state").
 */
#include "vmx/vmcs_init.h"
#include "vmx/vmcs_ops.h"
#include "vmx/vcpu.h"
#include "desc.h"
#include "ept/ept.h"
#include "lib/string.h"
#include "log.h"
#include "msr.h"

struct vmx_controls vmx_ctls;

void vmx_exit(void); /* vmx_run.asm: where every VM exit lands */

int vmx_controls_decide(const struct vmx_caps *c, const struct vmx_extra_controls *extra, struct vmx_controls *o)
{
	int bad = 0;

	memset(o, 0, sizeof(*o));
	/* External interrupts must never reach a guest's IDT; the host masks them at the PIC. */
	bad |= vmx_adjust_controls(PIN_EXT_INTR_EXITING, PIN_PREEMPTION_TIMER | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS,
				   c->pinbased, "pin-based", &o->pin);
	/*
	 * TSC offsetting gives each guest its own TSC (WRMSR to IA32_TIME_STAMP_COUNTER, IA32_TSC_ADJUST).
	 * Without a TPR shadow, MOV CR8 would reach the host's own APIC: it exits, to the virtual APIC's TPR.
	 */
	bad |= vmx_adjust_controls(CPU_HLT_EXITING | CPU_USE_IO_BITMAPS | CPU_USE_MSR_BITMAPS | CPU_ACTIVATE_SECONDARY |
					   CPU_USE_TSC_OFFSETTING | CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING,
				   CPU_MWAIT_EXITING | CPU_MONITOR_EXITING | CPU_RDPMC_EXITING, c->procbased,
				   "primary processor-based", &o->cpu);
	bad |= vmx_adjust_controls(CPU2_ENABLE_EPT | CPU2_UNRESTRICTED_GUEST,
				   CPU2_ENABLE_VPID | CPU2_ENABLE_RDTSCP | CPU2_WBINVD_EXITING | CPU2_ENABLE_INVPCID,
				   c->procbased2, "secondary processor-based", &o->cpu2);
	/* DR7 and IA32_DEBUGCTL are each guest's own only with the debug-control pair (SDM 28.3.1, 27.3.2.1). */
	bad |= vmx_adjust_controls(EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER |
					   EXIT_SAVE_DEBUG_CONTROLS,
				   EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT | EXIT_SAVE_PREEMPTION_TIMER, c->exit,
				   "VM-exit", &o->exit);
	bad |= vmx_adjust_controls(ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_DEBUG_CONTROLS, ENTRY_LOAD_IA32_PAT, c->entry,
				   "VM-entry", &o->entry);
	if (bad) {
		pr_err("VMX: a required VM-execution control is missing; guests cannot run on this CPU\n");
		return -1;
	}
	/* Intel PT controls decided at boot, each checked against the capabilities (none on Bochs). */
	if (extra) {
		o->cpu2 |= extra->cpu2;
		o->exit |= extra->exit;
		o->entry |= extra->entry;
	}
	/*
	 * NMIs reach a guest (self-IPI, LVT entries) only with virtual NMIs, which need NMI exiting, and
	 * NMI-window exiting to wait for the guest's IRET (SDM 25.6.1, 25.6.2, 27.7.6 "NMI-Window Exiting").
	 */
	o->virtual_nmis = vmx_caps_has_virtual_nmis(c);
	if (!o->virtual_nmis)
		o->pin &= ~(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS);
	o->vpid = o->cpu2 & CPU2_ENABLE_VPID;
	o->preemption_timer = o->pin & PIN_PREEMPTION_TIMER;
	/* Without "save VMX-preemption timer value" the timer restarts at every entry (SDM 26.5.1). */
	o->timer_saved = o->preemption_timer && (o->exit & EXIT_SAVE_PREEMPTION_TIMER);
	o->preemption_rate = (unsigned)(c->misc & VMX_MISC_PREEMPT_RATE_MASK);
	o->maxphyaddr = c->maxphyaddr;
	o->cr0_fixed0 = c->cr0_fixed0;
	o->cr0_fixed1 = c->cr0_fixed1;
	o->cr4_fixed0 = c->cr4_fixed0;
	o->cr4_fixed1 = c->cr4_fixed1;
	pr_info("VMX controls: pin %08x primary %08x secondary %08x exit %08x entry %08x\n", o->pin, o->cpu, o->cpu2,
		o->exit, o->entry);
	pr_info("VMX decisions: EPT yes, unrestricted guest yes, VPID %s, preemption timer %s "
		"(scheduling %s), MTF %s, virtual NMIs %s\n",
		o->vpid ? "yes" : "no", o->preemption_timer ? "yes" : "no",
		o->preemption_timer ? "time slices" : "run to exit", vmx_caps_has_mtf(c) ? "allowed" : "no",
		o->virtual_nmis ? "yes" : "no (guests get no NMIs)");
	return 0;
}

static void vmcs_init_controls(struct vcpu *v)
{
	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, vmx_ctls.pin);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmx_ctls.cpu);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, vmx_ctls.cpu2);
	v->cpu2_controls = vmx_ctls.cpu2;
	vmcs_write32(VM_EXIT_CONTROLS, vmx_ctls.exit);
	vmcs_write32(VM_ENTRY_CONTROLS, vmx_ctls.entry);
	v->entry_controls = vmx_ctls.entry;
	vmcs_write32(EXCEPTION_BITMAP, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write64(IO_BITMAP_A, v->io_bitmap_pa);
	vmcs_write64(IO_BITMAP_B, v->io_bitmap_pa + PAGE_SIZE);
	vmcs_write64(MSR_BITMAP, v->msr_bitmap_pa);
	vmcs_write64(EPT_POINTER, ept_eptp(v->mem.ept));
	vmcs_write64(TSC_OFFSET, 0);
	if (vmx_ctls.vpid)
		vmcs_write16(VPID, v->id + 1); /* VPID 0 is the host's (SDM 29.1) */

	/* The guest owns CR0/CR4 except bits VMX forces or hides: those read from the shadows. */
	uint64_t cr0_forced = (vmx_ctls.cr0_fixed0 | ~vmx_ctls.cr0_fixed1) & ~(CR0_PE | CR0_PG);
	/*
	 * CR0.PG changes exit too: turning paging on with EFER.LME activates IA-32e mode, and the
	 * "IA-32e mode guest" entry control must follow EFER.LMA (SDM 27.3.1.1); PAE paging outside
	 * long mode also needs its PDPTEs loaded by us when EPT is on (SDM 29.3.2.1).
	 */
	cr0_forced |= CR0_PG;
	/*
	 * Bits of features the guest's CPUID hides exit too, so setting one is #GP as on a CPU without the
	 * feature (exit_cr.c); the CPU would accept them (SDM 25.6.6 "Guest/Host Masks and Read Shadows").
	 */
	uint64_t cr4_forced = vmx_ctls.cr4_fixed0 | ~vmx_ctls.cr4_fixed1 | CR4_MCE | CR4_SMXE | CR4_KL | CR4_CET |
			      CR4_PKS | CR4_UINTR | CR4_LAM_SUP;
	vmcs_writenat(CR0_GUEST_HOST_MASK, cr0_forced);
	vmcs_writenat(CR4_GUEST_HOST_MASK, cr4_forced);
}

static void vmcs_init_host(void)
{
	vmcs_writenat(HOST_CR0, cpu_read_cr0());
	vmcs_writenat(HOST_CR3, cpu_read_cr3());
	vmcs_writenat(HOST_CR4, cpu_read_cr4());
	vmcs_write16(HOST_CS_SELECTOR, GDT_SEL_CODE64);
	vmcs_write16(HOST_SS_SELECTOR, GDT_SEL_DATA);
	vmcs_write16(HOST_DS_SELECTOR, GDT_SEL_DATA);
	vmcs_write16(HOST_ES_SELECTOR, GDT_SEL_DATA);
	vmcs_write16(HOST_FS_SELECTOR, 0);
	vmcs_write16(HOST_GS_SELECTOR, 0);
	vmcs_write16(HOST_TR_SELECTOR, GDT_SEL_TSS);
	vmcs_writenat(HOST_FS_BASE, 0);
	vmcs_writenat(HOST_GS_BASE, 0);
	vmcs_writenat(HOST_TR_BASE, desc_tss_base(0));
	vmcs_writenat(HOST_GDTR_BASE, desc_gdt_base(0));
	vmcs_writenat(HOST_IDTR_BASE, desc_idt_base());
	vmcs_write32(HOST_IA32_SYSENTER_CS, 0);
	vmcs_writenat(HOST_IA32_SYSENTER_ESP, 0);
	vmcs_writenat(HOST_IA32_SYSENTER_EIP, 0);
	vmcs_write64(HOST_IA32_EFER, cpu_rdmsr(MSR_IA32_EFER));
	if (vmx_ctls.exit & EXIT_LOAD_IA32_PAT)
		vmcs_write64(HOST_IA32_PAT, cpu_rdmsr(MSR_IA32_PAT));
	vmcs_writenat(HOST_RIP, (uint64_t)vmx_exit);
	/* HOST_RSP is written by vmx_run whenever its stack depth changes. */
}

static void guest_segment(unsigned sel_field, uint16_t sel, uint32_t ar)
{
	/* Selector, base, limit and access rights fields are laid out in parallel (SDM B.1.2, B.3.3, B.4.3). */
	unsigned index = (sel_field - GUEST_ES_SELECTOR) / 2;

	vmcs_write_raw(sel_field, sel);
	vmcs_write_raw(GUEST_ES_BASE + index * 2, 0);
	vmcs_write_raw(GUEST_ES_LIMIT + index * 2, 0xffffffff);
	vmcs_write_raw(GUEST_ES_AR_BYTES + index * 2, ar);
}

static void vmcs_init_guest(struct vcpu *v, uint32_t entry_eip, uint32_t magic, uint32_t info)
{
	/* Multiboot: 32-bit protected mode, paging off, flat 4 GiB segments, IF=0. */
	uint64_t cr0 = CR0_PE | CR0_ET;
	/* Unrestricted guest exempts PE and PG from IA32_VMX_CR0_FIXED0 (SDM 26.3.1.1). */
	uint64_t cr0_real = (cr0 | (vmx_ctls.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx_ctls.cr0_fixed1;

	vmcs_writenat(GUEST_CR0, cr0_real);
	vmcs_writenat(CR0_READ_SHADOW, cr0);
	vmcs_writenat(GUEST_CR3, 0);
	vmcs_writenat(GUEST_CR4, (0 | vmx_ctls.cr4_fixed0) & vmx_ctls.cr4_fixed1);
	vmcs_writenat(CR4_READ_SHADOW, 0);
	vmcs_writenat(GUEST_DR7, DR7_RESET);
	vmcs_writenat(GUEST_RSP, 0);
	vmcs_writenat(GUEST_RIP, entry_eip);
	vmcs_writenat(GUEST_RFLAGS, RFLAGS_FIXED1);

	guest_segment(GUEST_CS_SELECTOR, 0x08, 0xc09b); /* 32-bit code, accessed, G, D/B */
	guest_segment(GUEST_SS_SELECTOR, 0x10, 0xc093);
	guest_segment(GUEST_DS_SELECTOR, 0x10, 0xc093);
	guest_segment(GUEST_ES_SELECTOR, 0x10, 0xc093);
	guest_segment(GUEST_FS_SELECTOR, 0x10, 0xc093);
	guest_segment(GUEST_GS_SELECTOR, 0x10, 0xc093);
	vmcs_write16(GUEST_LDTR_SELECTOR, 0);
	vmcs_writenat(GUEST_LDTR_BASE, 0);
	vmcs_write32(GUEST_LDTR_LIMIT, 0);
	vmcs_write32(GUEST_LDTR_AR_BYTES, 0x10000); /* unusable */
	vmcs_write16(GUEST_TR_SELECTOR, 0);
	vmcs_writenat(GUEST_TR_BASE, 0);
	vmcs_write32(GUEST_TR_LIMIT, 0xff);
	vmcs_write32(GUEST_TR_AR_BYTES, 0x8b); /* busy 32-bit TSS: TR must be usable (SDM 28.3.1.2) */
	vmcs_writenat(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, 0);
	vmcs_writenat(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0);

	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	if (vmx_ctls.entry & ENTRY_LOAD_RTIT_CTL)
		vmcs_write64(GUEST_IA32_RTIT_CTL, 0); /* TraceEn=0 until the guest's WRMSR */
	vmcs_write64(GUEST_IA32_EFER, 0);
	if (vmx_ctls.entry & ENTRY_LOAD_IA32_PAT)
		vmcs_write64(GUEST_IA32_PAT, 0x0007040600070406ULL); /* the power-on PAT (SDM 13.12.4) */
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writenat(GUEST_SYSENTER_ESP, 0);
	vmcs_writenat(GUEST_SYSENTER_EIP, 0);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, 0);
	vmcs_writenat(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write64(VMCS_LINK_POINTER, ~0ULL);

	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.rax = magic;
	v->regs.rbx = info;
}

int vmcs_setup(struct vcpu *v, uint32_t entry_eip, uint32_t magic, uint32_t info)
{
	enum vmx_status st = cpu_vmclear(v->vmcs_pa);

	if (st == VMX_OK)
		st = cpu_vmptrld(v->vmcs_pa);
	if (st != VMX_OK) {
		pr_err("guest %s: VMCLEAR/VMPTRLD of its VMCS failed (%s)\n", v->name,
		       st == VMX_FAIL_INVALID ? "VMfailInvalid" : "VMfailValid");
		return -1;
	}
	v->launched = false;
	vmcs_init_controls(v);
	vmcs_init_host();
	vmcs_init_guest(v, entry_eip, magic, info);
	return 0;
}
