/* Architectural register bits, named as the SDM names them: one place for CR0/CR4/EFER/RFLAGS/XCR0/DR6/DR7. */
#ifndef PTV_X86_ARCH_H
#define PTV_X86_ARCH_H

#include "types.h"

/* CR0 (SDM Vol. 3A 2.5 "Control Registers") */
#define CR0_PE BIT(0)
#define CR0_MP BIT(1)
#define CR0_EM BIT(2)
#define CR0_TS BIT(3)
#define CR0_ET BIT(4)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_AM BIT(18)
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR0_PG BIT(31)

/* CR4 (SDM Vol. 3A 2.5) */
#define CR4_VME        BIT(0)
#define CR4_PVI        BIT(1)
#define CR4_TSD        BIT(2)
#define CR4_DE         BIT(3)
#define CR4_PSE        BIT(4)
#define CR4_PAE        BIT(5)
#define CR4_MCE        BIT(6)
#define CR4_PGE        BIT(7)
#define CR4_PCE        BIT(8)
#define CR4_OSFXSR     BIT(9)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_UMIP       BIT(11)
#define CR4_LA57       BIT(12)
#define CR4_VMXE       BIT(13)
#define CR4_SMXE       BIT(14)
#define CR4_FSGSBASE   BIT(16)
#define CR4_PCIDE      BIT(17)
#define CR4_OSXSAVE    BIT(18)
#define CR4_SMEP       BIT(20)
#define CR4_SMAP       BIT(21)
#define CR4_PKE        BIT(22)
#define CR4_KL         BIT(19)
#define CR4_CET        BIT(23)
#define CR4_PKS        BIT(24)
#define CR4_UINTR      BIT(25)
#define CR4_LAM_SUP    BIT(28)

/* IA32_EFER (SDM Vol. 3A 2.2.1 "Extended Feature Enable Register") */
#define EFER_SCE BIT(0)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)

/* RFLAGS (SDM Vol. 1 3.4.3 "EFLAGS Register") */
#define RFLAGS_CF     BIT(0)
#define RFLAGS_FIXED1 BIT(1) /* reserved, always 1 */
#define RFLAGS_PF     BIT(2)
#define RFLAGS_AF     BIT(4)
#define RFLAGS_ZF     BIT(6)
#define RFLAGS_SF     BIT(7)
#define RFLAGS_TF     BIT(8)
#define RFLAGS_IF     BIT(9)
#define RFLAGS_DF     BIT(10)
#define RFLAGS_OF     BIT(11)
#define RFLAGS_RF     BIT(16)
#define RFLAGS_VM     BIT(17)
#define RFLAGS_AC     BIT(18)
/* The status flags arithmetic instructions set (SDM Vol. 1 3.4.3.1 "Status Flags"). */
#define RFLAGS_STATUS (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

/* XCR0 state components (SDM Vol. 1 13.1 "XSAVE-Supported Features and State-Component Bitmaps") */
#define XCR0_X87       BIT(0)
#define XCR0_SSE       BIT(1)
#define XCR0_AVX       BIT(2)
#define XCR0_BNDREGS   BIT(3)
#define XCR0_BNDCSR    BIT(4)
#define XCR0_OPMASK    BIT(5)
#define XCR0_ZMM_HI256 BIT(6)
#define XCR0_HI16_ZMM  BIT(7)
#define XCR0_PKRU      BIT(9)
#define XCR0_XTILECFG  BIT(17)
#define XCR0_XTILEDATA BIT(18)
#define XCR0_AVX512    (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)
#define XCR0_MPX       (XCR0_BNDREGS | XCR0_BNDCSR)
#define XCR0_AMX       (XCR0_XTILECFG | XCR0_XTILEDATA)
/* The legacy region and the XSAVE header: the smallest XSAVE area (SDM Vol. 1 13.4 "XSAVE Area"). */
#define XSAVE_LEGACY_AND_HEADER 576u
#define XSAVE_ALIGN             64u

/* Debug registers (SDM Vol. 3B 17.2 "Debug Registers") */
#define DR_COUNT         4                                           /* DR0-DR3: breakpoint linear addresses */
#define DR6_B(n)         BIT(n)                                      /* breakpoint condition n detected */
#define DR6_TRAP_BITS    (DR6_B(0) | DR6_B(1) | DR6_B(2) | DR6_B(3)) /* B0-B3 */
#define DR6_BD           BIT(13)
#define DR6_BS           BIT(14)
#define DR6_BT           BIT(15)
#define DR6_RESET        0xffff0ff0ull /* reserved bits read as 1 (SDM 17.2.3) */
#define DR7_L(n)         BIT(2 * (n))
#define DR7_G(n)         BIT(2 * (n) + 1)
#define DR7_GD           BIT(13)
#define DR7_FIXED1       BIT(10) /* reserved, always 1 */
#define DR7_RESET        0x400ull
#define DR7_RW_SHIFT(n)  (16 + 4 * (n))
#define DR7_LEN_SHIFT(n) (18 + 4 * (n))
#define DR7_RW_LEN(n)    (0xfull << DR7_RW_SHIFT(n))
#define DR7_RW_EXECUTE   0u

/* Exception vectors (SDM Vol. 3A 6.3.1 "External Interrupts", Table 6-1) */
#define X86_VEC_DE  0
#define X86_VEC_DB  1
#define X86_VEC_NMI 2
#define X86_VEC_BP  3
#define X86_VEC_OF  4
#define X86_VEC_UD  6
#define X86_VEC_DF  8
#define X86_VEC_TS  10
#define X86_VEC_NP  11
#define X86_VEC_SS  12
#define X86_VEC_GP  13
#define X86_VEC_PF  14
#define X86_VEC_MC  18

/* Page-fault error code (SDM Vol. 3A 4.7 "Page-Fault Exceptions") */
#define PF_ERR_P    BIT(0) /* a protection violation, not a not-present page */
#define PF_ERR_W    BIT(1)
#define PF_ERR_U    BIT(2)
#define PF_ERR_RSVD BIT(3)
#define PF_ERR_I    BIT(4)

#endif
