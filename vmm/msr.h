/* Model-specific registers by their SDM names (SDM Vol. 4, "Model-Specific Registers"). */
#ifndef PTV_MSR_H
#define PTV_MSR_H

#define MSR_IA32_TIME_STAMP_COUNTER       0x010
#define MSR_IA32_APIC_BASE                0x01b
#define MSR_IA32_FEATURE_CONTROL          0x03a
#define MSR_IA32_TSC_ADJUST               0x03b
#define MSR_IA32_SPEC_CTRL                0x048
#define MSR_IA32_BIOS_SIGN_ID             0x08b
#define MSR_IA32_PMC0                     0x0c1
#define MSR_PLATFORM_INFO                 0x0ce
#define MSR_IA32_MTRRCAP                  0x0fe
#define MSR_IA32_SYSENTER_CS              0x174
#define MSR_IA32_SYSENTER_ESP             0x175
#define MSR_IA32_SYSENTER_EIP             0x176
#define MSR_IA32_PERFEVTSEL0              0x186
#define MSR_IA32_MISC_ENABLE              0x1a0
#define MSR_IA32_DEBUGCTL                 0x1d9
#define MSR_IA32_MTRR_PHYSBASE0           0x200
#define MSR_IA32_MTRR_FIX64K_00000        0x250
#define MSR_IA32_MTRR_FIX16K_80000        0x258
#define MSR_IA32_MTRR_FIX16K_A0000        0x259
#define MSR_IA32_MTRR_FIX4K_C0000         0x268
#define MSR_IA32_MTRR_FIX4K_F8000         0x26f
#define MSR_IA32_PAT                      0x277
#define MSR_IA32_MTRR_DEF_TYPE            0x2ff
#define MSR_IA32_FIXED_CTR_CTRL           0x38d
#define MSR_IA32_PERF_GLOBAL_STATUS       0x38e
#define MSR_IA32_PERF_GLOBAL_CTRL         0x38f
#define MSR_IA32_PERF_GLOBAL_STATUS_RESET 0x390

#define MSR_IA32_VMX_BASIC               0x480
#define MSR_IA32_VMX_PINBASED_CTLS       0x481
#define MSR_IA32_VMX_PROCBASED_CTLS      0x482
#define MSR_IA32_VMX_EXIT_CTLS           0x483
#define MSR_IA32_VMX_ENTRY_CTLS          0x484
#define MSR_IA32_VMX_MISC                0x485
#define MSR_IA32_VMX_CR0_FIXED0          0x486
#define MSR_IA32_VMX_CR0_FIXED1          0x487
#define MSR_IA32_VMX_CR4_FIXED0          0x488
#define MSR_IA32_VMX_CR4_FIXED1          0x489
#define MSR_IA32_VMX_VMCS_ENUM           0x48a
#define MSR_IA32_VMX_PROCBASED_CTLS2     0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP        0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS  0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS      0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS     0x490
#define MSR_IA32_VMX_VMFUNC              0x491

#define MSR_IA32_RTIT_OUTPUT_BASE      0x560
#define MSR_IA32_RTIT_OUTPUT_MASK_PTRS 0x561
#define MSR_IA32_RTIT_CTL              0x570
#define MSR_IA32_RTIT_STATUS           0x571
#define MSR_IA32_RTIT_CR3_MATCH        0x572
#define MSR_IA32_RTIT_ADDR0_A          0x580
#define MSR_IA32_RTIT_ADDR0_B          0x581
#define MSR_IA32_RTIT_ADDR1_A          0x582
#define MSR_IA32_RTIT_ADDR1_B          0x583
#define MSR_IA32_RTIT_ADDR3_B          0x587
#define MSR_IA32_RTIT_ADDRn_A(n)       (MSR_IA32_RTIT_ADDR0_A + 2 * (n))
#define MSR_IA32_RTIT_ADDRn_B(n)       (MSR_IA32_RTIT_ADDR0_B + 2 * (n))

#define MSR_IA32_EFER           0xc0000080
#define MSR_IA32_STAR           0xc0000081
#define MSR_IA32_LSTAR          0xc0000082
#define MSR_IA32_CSTAR          0xc0000083
#define MSR_IA32_FMASK          0xc0000084
#define MSR_IA32_FS_BASE        0xc0000100
#define MSR_IA32_GS_BASE        0xc0000101
#define MSR_IA32_KERNEL_GS_BASE 0xc0000102
#define MSR_IA32_TSC_AUX        0xc0000103

/* IA32_FEATURE_CONTROL (SDM 24.7 "Enabling and entering VMX operation") */
#define FEATURE_CONTROL_LOCKED          (1ULL << 0)
#define FEATURE_CONTROL_VMX_INSIDE_SMX  (1ULL << 1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ULL << 2)

/* IA32_PERF_GLOBAL_STATUS[55] / _RESET[55]: a ToPA region with INT=1 filled (SDM 33.2.7.2; Vol. 4) */
#define PERF_GLOBAL_STATUS_TOPA_PMI (1ULL << 55)
/* ... bits 62 (OvfBuf, the DS buffer) and 63 (CondChgd) of PMU version 2 (SDM 20.2.2) */
#define PERF_GLOBAL_STATUS_OVF_BUF   (1ULL << 62)
#define PERF_GLOBAL_STATUS_COND_CHGD (1ULL << 63)

/* IA32_PERFEVTSELx fields of PMU version 2 (SDM 20.2.1.1, Figure 20-1; AnyThread, bit 21, came in version 3) */
#define PERFEVTSEL_ANY_THREAD (1ULL << 21)

/* IA32_MTRRCAP and IA32_MTRR_DEF_TYPE (SDM 12.11.1, 12.11.2.1) */
#define MTRRCAP_VCNT_MASK 0xffULL
#define MTRRCAP_FIX       (1ULL << 8)
#define MTRRCAP_WC        (1ULL << 10)
#define MTRR_DEF_TYPE_FE  (1ULL << 10)
#define MTRR_DEF_TYPE_E   (1ULL << 11)
#define MTRR_PHYSMASK_V   (1ULL << 11)

/* MSR_PLATFORM_INFO[15:8]: maximum non-turbo ratio, in units of 100 MHz (SDM Vol. 4, CEH) */
#define PLATFORM_INFO_MAX_NONTURBO_SHIFT 8

/* IA32_MISC_ENABLE (SDM Vol. 4 Table 2-2, 1A0H) */
#define MISC_ENABLE_FAST_STRINGS (1ULL << 0)
#define MISC_ENABLE_PERFMON      (1ULL << 7)
#define MISC_ENABLE_BTS_UNAVAIL  (1ULL << 11)
#define MISC_ENABLE_PEBS_UNAVAIL (1ULL << 12)

/* IA32_RTIT_CTL (SDM 33.2.8.2) */
#define RTIT_CTL_TRACEEN   (1ULL << 0)
#define RTIT_CTL_CYCEN     (1ULL << 1)
#define RTIT_CTL_OS        (1ULL << 2)
#define RTIT_CTL_USER      (1ULL << 3)
#define RTIT_CTL_PWREVTEN  (1ULL << 4)
#define RTIT_CTL_FUPONPTW  (1ULL << 5)
#define RTIT_CTL_FABRICEN  (1ULL << 6)
#define RTIT_CTL_CR3FILTER (1ULL << 7)
#define RTIT_CTL_TOPA      (1ULL << 8)
#define RTIT_CTL_MTCEN     (1ULL << 9)
#define RTIT_CTL_TSCEN     (1ULL << 10)
#define RTIT_CTL_DISRETC   (1ULL << 11)
#define RTIT_CTL_PTWEN     (1ULL << 12)
#define RTIT_CTL_BRANCHEN  (1ULL << 13)

/* IA32_RTIT_STATUS (SDM 33.2.8.4) */
#define RTIT_STATUS_FILTEREN  (1ULL << 0)
#define RTIT_STATUS_CONTEXTEN (1ULL << 1)
#define RTIT_STATUS_TRIGGEREN (1ULL << 2)
#define RTIT_STATUS_ERROR     (1ULL << 4)
#define RTIT_STATUS_STOPPED   (1ULL << 5)

#endif
