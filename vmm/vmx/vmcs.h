/* VMCS field encodings (SDM Appendix B "Field Encoding in VMCS") and control bits (SDM 25.6-25.8). */
#ifndef PTV_VMCS_H
#define PTV_VMCS_H

/* clang-format off */
enum vmcs_field {
	/* B.1.1 16-bit control fields */
	VPID                            = 0x0000,
	/* B.1.2 16-bit guest-state fields */
	GUEST_ES_SELECTOR               = 0x0800,
	GUEST_CS_SELECTOR               = 0x0802,
	GUEST_SS_SELECTOR               = 0x0804,
	GUEST_DS_SELECTOR               = 0x0806,
	GUEST_FS_SELECTOR               = 0x0808,
	GUEST_GS_SELECTOR               = 0x080a,
	GUEST_LDTR_SELECTOR             = 0x080c,
	GUEST_TR_SELECTOR               = 0x080e,
	/* B.1.3 16-bit host-state fields */
	HOST_ES_SELECTOR                = 0x0c00,
	HOST_CS_SELECTOR                = 0x0c02,
	HOST_SS_SELECTOR                = 0x0c04,
	HOST_DS_SELECTOR                = 0x0c06,
	HOST_FS_SELECTOR                = 0x0c08,
	HOST_GS_SELECTOR                = 0x0c0a,
	HOST_TR_SELECTOR                = 0x0c0c,
	/* B.2.1 64-bit control fields */
	IO_BITMAP_A                     = 0x2000,
	IO_BITMAP_B                     = 0x2002,
	MSR_BITMAP                      = 0x2004,
	VM_EXIT_MSR_STORE_ADDR          = 0x2006,
	VM_EXIT_MSR_LOAD_ADDR           = 0x2008,
	VM_ENTRY_MSR_LOAD_ADDR          = 0x200a,
	TSC_OFFSET                      = 0x2010,
	EPT_POINTER                     = 0x201a,
	/* B.2.2 64-bit read-only data fields */
	GUEST_PHYSICAL_ADDRESS          = 0x2400,
	/* B.2.3 64-bit guest-state fields */
	VMCS_LINK_POINTER               = 0x2800,
	GUEST_IA32_DEBUGCTL             = 0x2802,
	GUEST_IA32_PAT                  = 0x2804,
	GUEST_IA32_EFER                 = 0x2806,
	GUEST_IA32_PERF_GLOBAL_CTRL     = 0x2808,
	GUEST_PDPTE0                    = 0x280a,
	GUEST_PDPTE1                    = 0x280c,
	GUEST_PDPTE2                    = 0x280e,
	GUEST_PDPTE3                    = 0x2810,
	GUEST_IA32_RTIT_CTL             = 0x2814,
	/* B.2.4 64-bit host-state fields */
	HOST_IA32_PAT                   = 0x2c00,
	HOST_IA32_EFER                  = 0x2c02,
	/* B.3.1 32-bit control fields */
	PIN_BASED_VM_EXEC_CONTROL       = 0x4000,
	CPU_BASED_VM_EXEC_CONTROL       = 0x4002,
	EXCEPTION_BITMAP                = 0x4004,
	PAGE_FAULT_ERROR_CODE_MASK      = 0x4006,
	PAGE_FAULT_ERROR_CODE_MATCH     = 0x4008,
	CR3_TARGET_COUNT                = 0x400a,
	VM_EXIT_CONTROLS                = 0x400c,
	VM_EXIT_MSR_STORE_COUNT         = 0x400e,
	VM_EXIT_MSR_LOAD_COUNT          = 0x4010,
	VM_ENTRY_CONTROLS               = 0x4012,
	VM_ENTRY_MSR_LOAD_COUNT         = 0x4014,
	VM_ENTRY_INTR_INFO_FIELD        = 0x4016,
	VM_ENTRY_EXCEPTION_ERROR_CODE   = 0x4018,
	VM_ENTRY_INSTRUCTION_LEN        = 0x401a,
	SECONDARY_VM_EXEC_CONTROL       = 0x401e,
	/* B.3.2 32-bit read-only data fields */
	VM_INSTRUCTION_ERROR            = 0x4400,
	VM_EXIT_REASON                  = 0x4402,
	VM_EXIT_INTR_INFO               = 0x4404,
	VM_EXIT_INTR_ERROR_CODE         = 0x4406,
	IDT_VECTORING_INFO_FIELD        = 0x4408,
	IDT_VECTORING_ERROR_CODE        = 0x440a,
	VM_EXIT_INSTRUCTION_LEN         = 0x440c,
	VMX_INSTRUCTION_INFO            = 0x440e,
	/* B.3.3 32-bit guest-state fields */
	GUEST_ES_LIMIT                  = 0x4800,
	GUEST_CS_LIMIT                  = 0x4802,
	GUEST_SS_LIMIT                  = 0x4804,
	GUEST_DS_LIMIT                  = 0x4806,
	GUEST_FS_LIMIT                  = 0x4808,
	GUEST_GS_LIMIT                  = 0x480a,
	GUEST_LDTR_LIMIT                = 0x480c,
	GUEST_TR_LIMIT                  = 0x480e,
	GUEST_GDTR_LIMIT                = 0x4810,
	GUEST_IDTR_LIMIT                = 0x4812,
	GUEST_ES_AR_BYTES               = 0x4814,
	GUEST_CS_AR_BYTES               = 0x4816,
	GUEST_SS_AR_BYTES               = 0x4818,
	GUEST_DS_AR_BYTES               = 0x481a,
	GUEST_FS_AR_BYTES               = 0x481c,
	GUEST_GS_AR_BYTES               = 0x481e,
	GUEST_LDTR_AR_BYTES             = 0x4820,
	GUEST_TR_AR_BYTES               = 0x4822,
	GUEST_INTERRUPTIBILITY_INFO     = 0x4824,
	GUEST_ACTIVITY_STATE            = 0x4826,
	GUEST_SYSENTER_CS               = 0x482a,
	VMX_PREEMPTION_TIMER_VALUE      = 0x482e,
	/* B.3.4 32-bit host-state field */
	HOST_IA32_SYSENTER_CS           = 0x4c00,
	/* B.4.1 natural-width control fields */
	CR0_GUEST_HOST_MASK             = 0x6000,
	CR4_GUEST_HOST_MASK             = 0x6002,
	CR0_READ_SHADOW                 = 0x6004,
	CR4_READ_SHADOW                 = 0x6006,
	/* B.4.2 natural-width read-only data fields */
	EXIT_QUALIFICATION              = 0x6400,
	GUEST_LINEAR_ADDRESS            = 0x640a,
	/* B.4.3 natural-width guest-state fields */
	GUEST_CR0                       = 0x6800,
	GUEST_CR3                       = 0x6802,
	GUEST_CR4                       = 0x6804,
	GUEST_ES_BASE                   = 0x6806,
	GUEST_CS_BASE                   = 0x6808,
	GUEST_SS_BASE                   = 0x680a,
	GUEST_DS_BASE                   = 0x680c,
	GUEST_FS_BASE                   = 0x680e,
	GUEST_GS_BASE                   = 0x6810,
	GUEST_LDTR_BASE                 = 0x6812,
	GUEST_TR_BASE                   = 0x6814,
	GUEST_GDTR_BASE                 = 0x6816,
	GUEST_IDTR_BASE                 = 0x6818,
	GUEST_DR7                       = 0x681a,
	GUEST_RSP                       = 0x681c,
	GUEST_RIP                       = 0x681e,
	GUEST_RFLAGS                    = 0x6820,
	GUEST_PENDING_DBG_EXCEPTIONS    = 0x6822,
	GUEST_SYSENTER_ESP              = 0x6824,
	GUEST_SYSENTER_EIP              = 0x6826,
	/* B.4.4 natural-width host-state fields */
	HOST_CR0                        = 0x6c00,
	HOST_CR3                        = 0x6c02,
	HOST_CR4                        = 0x6c04,
	HOST_FS_BASE                    = 0x6c06,
	HOST_GS_BASE                    = 0x6c08,
	HOST_TR_BASE                    = 0x6c0a,
	HOST_GDTR_BASE                  = 0x6c0c,
	HOST_IDTR_BASE                  = 0x6c0e,
	HOST_IA32_SYSENTER_ESP          = 0x6c10,
	HOST_IA32_SYSENTER_EIP          = 0x6c12,
	HOST_RSP                        = 0x6c14,
	HOST_RIP                        = 0x6c16,
};
/* clang-format on */

/* Pin-based VM-execution controls (SDM 25.6.1) */
#define PIN_EXT_INTR_EXITING (1u << 0)
#define PIN_NMI_EXITING      (1u << 3)
#define PIN_VIRTUAL_NMIS     (1u << 5)
#define PIN_PREEMPTION_TIMER (1u << 6)

/* Primary processor-based VM-execution controls (SDM 25.6.2) */
#define CPU_INTR_WINDOW_EXITING (1u << 2)
#define CPU_USE_TSC_OFFSETTING  (1u << 3)
#define CPU_HLT_EXITING         (1u << 7)
#define CPU_INVLPG_EXITING      (1u << 9)
#define CPU_MWAIT_EXITING       (1u << 10)
#define CPU_RDPMC_EXITING       (1u << 11)
#define CPU_RDTSC_EXITING       (1u << 12)
#define CPU_CR3_LOAD_EXITING    (1u << 15)
#define CPU_CR3_STORE_EXITING   (1u << 16)
#define CPU_CR8_LOAD_EXITING    (1u << 19)
#define CPU_CR8_STORE_EXITING   (1u << 20)
#define CPU_NMI_WINDOW_EXITING  (1u << 22)
#define CPU_MOV_DR_EXITING      (1u << 23)
#define CPU_UNCOND_IO_EXITING   (1u << 24)
#define CPU_USE_IO_BITMAPS      (1u << 25)
#define CPU_MONITOR_TRAP_FLAG   (1u << 27)
#define CPU_USE_MSR_BITMAPS     (1u << 28)
#define CPU_MONITOR_EXITING     (1u << 29)
#define CPU_PAUSE_EXITING       (1u << 30)
#define CPU_ACTIVATE_SECONDARY  (1u << 31)

/* Secondary processor-based VM-execution controls (SDM 25.6.2) */
#define CPU2_ENABLE_EPT          (1u << 1)
#define CPU2_DESC_TABLE_EXITING  (1u << 2)
#define CPU2_ENABLE_RDTSCP       (1u << 3)
#define CPU2_ENABLE_VPID         (1u << 5)
#define CPU2_WBINVD_EXITING      (1u << 6)
#define CPU2_UNRESTRICTED_GUEST  (1u << 7)
#define CPU2_ENABLE_INVPCID      (1u << 12)
#define CPU2_CONCEAL_VMX_FROM_PT (1u << 19)
#define CPU2_ENABLE_XSAVES       (1u << 20)
#define CPU2_PT_USE_GPA          (1u << 24)

/* VM-exit controls (SDM 25.7.1) */
#define EXIT_SAVE_DEBUG_CONTROLS   (1u << 2)
#define EXIT_HOST_ADDR_SPACE_SIZE  (1u << 9)
#define EXIT_LOAD_PERF_GLOBAL_CTRL (1u << 12)
#define EXIT_ACK_INTR_ON_EXIT      (1u << 15)
#define EXIT_SAVE_IA32_PAT         (1u << 18)
#define EXIT_LOAD_IA32_PAT         (1u << 19)
#define EXIT_SAVE_IA32_EFER        (1u << 20)
#define EXIT_LOAD_IA32_EFER        (1u << 21)
#define EXIT_SAVE_PREEMPTION_TIMER (1u << 22)
#define EXIT_CONCEAL_VMX_FROM_PT   (1u << 24)
#define EXIT_CLEAR_RTIT_CTL        (1u << 25)

/* VM-entry controls (SDM 25.8.1) */
#define ENTRY_LOAD_DEBUG_CONTROLS   (1u << 2)
#define ENTRY_IA32E_MODE_GUEST      (1u << 9)
#define ENTRY_LOAD_PERF_GLOBAL_CTRL (1u << 13)
#define ENTRY_LOAD_IA32_PAT         (1u << 14)
#define ENTRY_LOAD_IA32_EFER        (1u << 15)
#define ENTRY_CONCEAL_VMX_FROM_PT   (1u << 17)
#define ENTRY_LOAD_RTIT_CTL         (1u << 18)

/* VM-entry interruption-information field (SDM 25.8.3) */
#define INTR_INFO_VALID        (1u << 31)
#define INTR_INFO_DELIVER_CODE (1u << 11)
#define INTR_TYPE_EXT_INTR     (0u << 8)
#define INTR_TYPE_NMI          (2u << 8)
#define INTR_TYPE_HW_EXCEPTION (3u << 8)
#define INTR_TYPE_SW_INTR      (4u << 8)
#define INTR_TYPE_PRIV_SW_EXC  (5u << 8)
#define INTR_TYPE_SW_EXCEPTION (6u << 8)
#define INTR_TYPE_MASK         (7u << 8)
#define INTR_INFO_VECTOR_MASK  0xffu

/* Guest interruptibility state (SDM 25.4.2) */
#define GUEST_INTR_STATE_STI    (1u << 0)
#define GUEST_INTR_STATE_MOV_SS (1u << 1)
#define GUEST_INTR_STATE_NMI    (1u << 3)

/* VM-instruction error numbers (SDM 31.4) are named by vmx_instruction_error_name(). */

#endif
