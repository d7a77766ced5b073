/* VMX and Intel PT capabilities: read once at boot, then asked through named predicates. */
#ifndef PTV_VMX_CAPS_H
#define PTV_VMX_CAPS_H

#include "types.h"
#include "cpu.h"
#include "vmx/vmcs.h" /* PIN_/CPU_/CPU2_/EXIT_/ENTRY_ control bits (SDM 25.6-25.8) */

/* CPUID feature bits (SDM Vol. 2A, CPUID, "Feature Information" and leaf 14H). */
#define CPUID_1_ECX_VMX             BIT(5)
#define CPUID_7_EBX_INTEL_PT        BIT(25)
#define CPUID_7_ECX_LA57            BIT(16) /* 57-bit linear addresses (5-level paging) */
#define CPUID_14_0_EBX_CR3_FILTER   BIT(0)
#define CPUID_14_0_EBX_PSB_CYC      BIT(1)
#define CPUID_14_0_EBX_IP_FILTER    BIT(2)
#define CPUID_14_0_EBX_MTC          BIT(3)
#define CPUID_14_0_EBX_PTWRITE      BIT(4)
#define CPUID_14_0_EBX_POWER_EVENT  BIT(5)
#define CPUID_14_0_EBX_PSB_PMI      BIT(6)
#define CPUID_14_0_EBX_EVENT_TRACE  BIT(7)
#define CPUID_14_0_EBX_TNT_DISABLE  BIT(8)
#define CPUID_14_0_ECX_TOPA         BIT(0)
#define CPUID_14_0_ECX_TOPA_MULTI   BIT(1)
#define CPUID_14_0_ECX_SINGLE_RANGE BIT(2)
#define CPUID_14_0_ECX_TRANSPORT    BIT(3)
#define CPUID_14_0_ECX_LIP          BIT(31)

/* IA32_VMX_BASIC (SDM A.1 "Basic VMX Information"). */
#define VMX_BASIC_REVISION_MASK GENMASK(30, 0)
#define VMX_BASIC_SIZE_SHIFT    32
#define VMX_BASIC_SIZE_MASK     GENMASK(44, 32)
#define VMX_BASIC_ADDR_32BIT    BIT(48)
#define VMX_BASIC_MEMTYPE_SHIFT 50
#define VMX_BASIC_MEMTYPE_MASK  GENMASK(53, 50)
#define VMX_BASIC_INS_OUTS      BIT(54)
#define VMX_BASIC_TRUE_CTLS     BIT(55)
#define VMX_MEMTYPE_UC          0
#define VMX_MEMTYPE_WB          6

/* IA32_VMX_MISC (SDM A.6 "Miscellaneous Data"). */
#define VMX_MISC_PREEMPT_RATE_MASK GENMASK(4, 0)
#define VMX_MISC_SAVE_EFER_LMA     BIT(5)
#define VMX_MISC_ACTIVITY_HLT      BIT(6)
#define VMX_MISC_INTEL_PT          BIT(14)
#define VMX_MISC_VMWRITE_ALL       BIT(29)

/* IA32_VMX_EPT_VPID_CAP (SDM A.10 "VPID and EPT Capabilities"). */
#define EPT_CAP_EXEC_ONLY       BIT(0)
#define EPT_CAP_WALK_4          BIT(6)
#define EPT_CAP_MEMTYPE_UC      BIT(8)
#define EPT_CAP_MEMTYPE_WB      BIT(14)
#define EPT_CAP_PDE_2M          BIT(16)
#define EPT_CAP_PDPTE_1G        BIT(17)
#define EPT_CAP_INVEPT          BIT(20)
#define EPT_CAP_ACCESSED_DIRTY  BIT(21)
#define EPT_CAP_INVEPT_SINGLE   BIT(25)
#define EPT_CAP_INVEPT_ALL      BIT(26)
#define VPID_CAP_INVVPID        BIT(32)
#define VPID_CAP_INVVPID_ADDR   BIT(40)
#define VPID_CAP_INVVPID_SINGLE BIT(41)
#define VPID_CAP_INVVPID_ALL    BIT(42)

/* The MSRs vmx_caps_read() reads; a bit per entry in vmx_caps.msr_read/msr_faulted. */
enum vmx_caps_msr {
	VMX_CAPS_FEATURE_CONTROL,
	VMX_CAPS_BASIC,
	VMX_CAPS_PINBASED,
	VMX_CAPS_PROCBASED,
	VMX_CAPS_PROCBASED2,
	VMX_CAPS_EXIT,
	VMX_CAPS_ENTRY,
	VMX_CAPS_MISC,
	VMX_CAPS_CR0_FIXED0,
	VMX_CAPS_CR0_FIXED1,
	VMX_CAPS_CR4_FIXED0,
	VMX_CAPS_CR4_FIXED1,
	VMX_CAPS_EPT_VPID_CAP,
	VMX_CAPS_MSR_COUNT,
};

struct vmx_caps {
	char vendor[13];
	bool is_intel; /* vendor is "GenuineIntel" */
	uint32_t max_leaf, max_ext_leaf;
	uint32_t signature;               /* CPUID.1:EAX */
	uint32_t family, model, stepping; /* display values (SDM Vol. 2A, CPUID leaf 01H) */
	uint8_t maxphyaddr;               /* CPUID.80000008H:EAX[7:0] */
	bool cpuid_vmx;                   /* CPUID.1:ECX[5] */

	uint64_t feature_control;
	uint64_t basic;
	uint64_t pinbased, procbased, procbased2, exit, entry;
	/* The MSR each control word came from: TRUE_* when BASIC[55] (SDM A.2). */
	uint32_t pinbased_msr, procbased_msr, procbased2_msr, exit_msr, entry_msr;
	uint64_t misc;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint64_t ept_vpid_cap;
	uint32_t msr_read;    /* BIT(enum vmx_caps_msr): RDMSR succeeded */
	uint32_t msr_faulted; /* BIT(enum vmx_caps_msr): RDMSR took #GP */

	bool cpuid_pt;              /* CPUID.(EAX=07H,ECX=0):EBX[25] */
	bool cpuid_la57;            /* CPUID.(EAX=07H,ECX=0):ECX[16] */
	struct cpuid_regs pt_leaf0; /* CPUID.(EAX=14H,ECX=0), zero when absent */
	struct cpuid_regs pt_leaf1; /* CPUID.(EAX=14H,ECX=1), zero when absent */
};

void vmx_caps_read(struct vmx_caps *c);
/* This CPU's capabilities, read once by kmain() before anything uses VMX. */
extern struct vmx_caps boot_caps;
/* SDM MSR name of one of the MSRs read (TRUE_* where that one was used). */
const char *vmx_caps_msr_name(const struct vmx_caps *c, enum vmx_caps_msr which);

/* Control MSR format (SDM A.3-A.5): low half allowed-0 (1 = must be 1), high half allowed-1. */
static inline uint32_t vmx_ctl_allowed0(uint64_t msr)
{
	return (uint32_t)msr;
}
static inline uint32_t vmx_ctl_allowed1(uint64_t msr)
{
	return (uint32_t)(msr >> 32);
}
static inline bool vmx_ctl_can_set(uint64_t msr, uint64_t bit)
{
	return vmx_ctl_allowed1(msr) & bit;
}

/*
 * Picks a control word: every must-be-1 bit, plus each requested bit the CPU
 * allows. Fails (-1, *out = 0) naming each required bit that cannot be 1;
 * logs each optional bit it had to drop.
 */
int vmx_adjust_controls(uint32_t required, uint32_t optional, uint64_t cap_msr, const char *word_name, uint32_t *out);

/* IA32_VMX_BASIC fields. */
static inline uint32_t vmx_caps_revision_id(const struct vmx_caps *c)
{
	return (uint32_t)(c->basic & VMX_BASIC_REVISION_MASK);
}
static inline uint32_t vmx_caps_vmcs_size(const struct vmx_caps *c)
{
	return (uint32_t)((c->basic & VMX_BASIC_SIZE_MASK) >> VMX_BASIC_SIZE_SHIFT);
}
static inline unsigned vmx_caps_vmcs_memtype(const struct vmx_caps *c)
{
	return (unsigned)((c->basic & VMX_BASIC_MEMTYPE_MASK) >> VMX_BASIC_MEMTYPE_SHIFT);
}
/* Width of VMXON/VMCS pointers: 32 bits if BASIC[48], else MAXPHYADDR (SDM A.1). */
static inline unsigned vmx_caps_addr_width(const struct vmx_caps *c)
{
	return (c->basic & VMX_BASIC_ADDR_32BIT) ? 32 : c->maxphyaddr;
}

/* Read-only facts, in the style of KVM's capabilities.h. */
static inline bool vmx_caps_has_vmx(const struct vmx_caps *c)
{
	return c->cpuid_vmx;
}
static inline bool vmx_caps_has_true_ctls(const struct vmx_caps *c)
{
	return c->basic & VMX_BASIC_TRUE_CTLS;
}
static inline bool vmx_caps_has_secondary(const struct vmx_caps *c)
{
	return vmx_ctl_can_set(c->procbased, CPU_ACTIVATE_SECONDARY);
}
static inline bool vmx_caps_sec_can_set(const struct vmx_caps *c, uint64_t bit)
{
	return vmx_caps_has_secondary(c) && vmx_ctl_can_set(c->procbased2, bit);
}
static inline bool vmx_caps_has_ept(const struct vmx_caps *c)
{
	return vmx_caps_sec_can_set(c, CPU2_ENABLE_EPT);
}
static inline bool vmx_caps_has_vpid(const struct vmx_caps *c)
{
	return vmx_caps_sec_can_set(c, CPU2_ENABLE_VPID);
}
static inline bool vmx_caps_has_unrestricted_guest(const struct vmx_caps *c)
{
	return vmx_caps_sec_can_set(c, CPU2_UNRESTRICTED_GUEST);
}
static inline bool vmx_caps_has_preemption_timer(const struct vmx_caps *c)
{
	return vmx_ctl_can_set(c->pinbased, PIN_PREEMPTION_TIMER);
}
static inline bool vmx_caps_has_mtf(const struct vmx_caps *c)
{
	return vmx_ctl_can_set(c->procbased, CPU_MONITOR_TRAP_FLAG);
}
static inline bool vmx_caps_has_cr3_load_exiting(const struct vmx_caps *c)
{
	return vmx_ctl_can_set(c->procbased, CPU_CR3_LOAD_EXITING);
}
static inline bool vmx_caps_has_msr_bitmaps(const struct vmx_caps *c)
{
	return vmx_ctl_can_set(c->procbased, CPU_USE_MSR_BITMAPS);
}
/* IA32_VMX_MISC[14]: if 0, VMXON clears IA32_RTIT_CTL.TraceEn (SDM A.6; VMXON pseudocode). */
static inline bool vmx_caps_pt_in_vmx(const struct vmx_caps *c)
{
	return c->misc & VMX_MISC_INTEL_PT;
}
/* "Intel PT uses guest physical addresses" translates trace output through EPT (SDM A.3.3). */
static inline bool vmx_caps_has_pt_use_gpa(const struct vmx_caps *c)
{
	return vmx_caps_sec_can_set(c, CPU2_PT_USE_GPA) && vmx_caps_has_ept(c);
}
static inline bool vmx_caps_has_load_rtit_ctl(const struct vmx_caps *c)
{
	return vmx_ctl_can_set(c->entry, ENTRY_LOAD_RTIT_CTL);
}
static inline bool vmx_caps_has_clear_rtit_ctl(const struct vmx_caps *c)
{
	return vmx_ctl_can_set(c->exit, EXIT_CLEAR_RTIT_CTL);
}
static inline bool vmx_caps_has_conceal_pt(const struct vmx_caps *c)
{
	return vmx_caps_sec_can_set(c, CPU2_CONCEAL_VMX_FROM_PT) &&
	       vmx_ctl_can_set(c->exit, EXIT_CONCEAL_VMX_FROM_PT) &&
	       vmx_ctl_can_set(c->entry, ENTRY_CONCEAL_VMX_FROM_PT);
}
static inline bool vmx_caps_ept_has(const struct vmx_caps *c, uint64_t cap)
{
	return vmx_caps_has_ept(c) && (c->ept_vpid_cap & cap) == cap;
}
static inline bool vmx_caps_vpid_has(const struct vmx_caps *c, uint64_t cap)
{
	return vmx_caps_has_vpid(c) && (c->ept_vpid_cap & cap) == cap;
}

/* Intel PT facts from CPUID leaves 07H and 14H (SDM Vol. 2A, CPUID leaf 14H). */
static inline bool cpu_has_intel_pt(const struct vmx_caps *c)
{
	return c->cpuid_pt;
}
static inline bool pt_caps_has_topa(const struct vmx_caps *c)
{
	return c->cpuid_pt && (c->pt_leaf0.ecx & CPUID_14_0_ECX_TOPA);
}
static inline unsigned pt_caps_addr_ranges(const struct vmx_caps *c)
{
	return c->pt_leaf1.eax & 0x7;
}

#endif
