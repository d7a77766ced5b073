/*
 * Area "msr", table part: each MSR with the CPUID feature that enumerates it (SDM Vol. 4 chapter 2
 * "Model-Specific Registers", Table 2-2 "IA-32 Architectural MSRs", column "Register Availability"). With
 * the feature, RDMSR works, a write of a valid value reads back and a write of a reserved bit is #GP(0);
 * without it, every access is #GP(0) (Vol. 2B RDMSR/WRMSR). Verdicts say "agrees with" the feature, so the
 * lines are the same whether a VMM hides a feature or not, as long as CPUID and the MSRs agree.
 *
 * Bochs 2.7 (model tigerlake, the reference) advertises some features without their MSRs: the PMU
 * (CPUID.0AH version 2, PDCM), MCA, APERF/MPERF, EPB, the ACPI thermal MSRs, EST, DS and
 * CORE_CAPABILITIES all #GP there. Those rows (MSR_ABSENT_ONLY) are checked in one direction only: without
 * the feature every access must #GP. Bochs also accepts bits 63:32 of IA32_TSC_AUX and IA32_FMASK
 * (reserved in Table 2-2) and drops them, so those reserved-bit writes are not compared.
 */
#include "conf.h"
#include "conf_msr.h"
#include "lib/format.h"

/* clang-format off */
static const struct conf_feature f_tsc      = { "CPUID.1:EDX[4] (TSC)", CONF_BIT(1, 0, CPUID_EDX, 4), CONF_NONE };
static const struct conf_feature f_tsc_adj  = { "CPUID.7.0:EBX[1] (TSC_ADJUST)", CONF_BIT(7, 0, CPUID_EBX, 1), CONF_NONE };
static const struct conf_feature f_tsc_aux  = { "CPUID.80000001H:EDX[27] or 7.0:ECX[22] (RDTSCP/RDPID)",
						CONF_BIT(0x80000001u, 0, CPUID_EDX, 27), CONF_BIT(7, 0, CPUID_ECX, 22) };
static const struct conf_feature f_sep      = { "CPUID.1:EDX[11] (SEP)", CONF_BIT(1, 0, CPUID_EDX, 11), CONF_NONE };
static const struct conf_feature f_pat      = { "CPUID.1:EDX[16] (PAT)", CONF_BIT(1, 0, CPUID_EDX, 16), CONF_NONE };
static const struct conf_feature f_mtrr     = { "CPUID.1:EDX[12] (MTRR)", CONF_BIT(1, 0, CPUID_EDX, 12), CONF_NONE };
static const struct conf_feature f_lm       = { "CPUID.80000001H:EDX[29] (LM)", CONF_BIT(0x80000001u, 0, CPUID_EDX, 29), CONF_NONE };
static const struct conf_feature f_pmu1     = { "CPUID.0AH:EAX[7:0]>=1 (PMU)", { 0xa, 0, CPUID_EAX, 0, 7, 1 }, CONF_NONE };
static const struct conf_feature f_pmu2     = { "CPUID.0AH:EAX[7:0]>=2 (PMU v2)", { 0xa, 0, CPUID_EAX, 0, 7, 2 }, CONF_NONE };
static const struct conf_feature f_pdcm     = { "CPUID.1:ECX[15] (PDCM)", CONF_BIT(1, 0, CPUID_ECX, 15), CONF_NONE };
static const struct conf_feature f_pt       = { "CPUID.7.0:EBX[25] (PT)", CONF_BIT(7, 0, CPUID_EBX, 25), CONF_NONE };
static const struct conf_feature f_pt_out   = { "CPUID.14H.0:ECX[0] or [2] (PT output)", CONF_BIT(0x14, 0, CPUID_ECX, 0),
						CONF_BIT(0x14, 0, CPUID_ECX, 2) };
static const struct conf_feature f_pt_cr3   = { "CPUID.14H.0:EBX[0] (PT CR3 filter)", CONF_BIT(0x14, 0, CPUID_EBX, 0), CONF_NONE };
static const struct conf_feature f_pt_rng1  = { "CPUID.14H.1:EAX[2:0]>=1", { 0x14, 1, CPUID_EAX, 0, 2, 1 }, CONF_NONE };
static const struct conf_feature f_pt_rng2  = { "CPUID.14H.1:EAX[2:0]>=2", { 0x14, 1, CPUID_EAX, 0, 2, 2 }, CONF_NONE };
static const struct conf_feature f_pt_rng3  = { "CPUID.14H.1:EAX[2:0]>=3", { 0x14, 1, CPUID_EAX, 0, 2, 3 }, CONF_NONE };
static const struct conf_feature f_xsaves   = { "CPUID.0DH.1:EAX[3] (XSAVES)", CONF_BIT(0xd, 1, CPUID_EAX, 3), CONF_NONE };
static const struct conf_feature f_xfd      = { "CPUID.0DH.1:EAX[4] (XFD)", CONF_BIT(0xd, 1, CPUID_EAX, 4), CONF_NONE };
static const struct conf_feature f_spec     = { "CPUID.7.0:EDX[26] or [31] (IBRS/SSBD)", CONF_BIT(7, 0, CPUID_EDX, 26),
						CONF_BIT(7, 0, CPUID_EDX, 31) };
static const struct conf_feature f_ibpb     = { "CPUID.7.0:EDX[26] (IBPB)", CONF_BIT(7, 0, CPUID_EDX, 26), CONF_NONE };
static const struct conf_feature f_l1d      = { "CPUID.7.0:EDX[28] (L1D_FLUSH)", CONF_BIT(7, 0, CPUID_EDX, 28), CONF_NONE };
static const struct conf_feature f_archcap  = { "CPUID.7.0:EDX[29] (ARCH_CAPABILITIES)", CONF_BIT(7, 0, CPUID_EDX, 29), CONF_NONE };
static const struct conf_feature f_corecap  = { "CPUID.7.0:EDX[30] (CORE_CAPABILITIES)", CONF_BIT(7, 0, CPUID_EDX, 30), CONF_NONE };
static const struct conf_feature f_vmx      = { "CPUID.1:ECX[5] (VMX)", CONF_BIT(1, 0, CPUID_ECX, 5), CONF_NONE };
static const struct conf_feature f_mca      = { "CPUID.1:EDX[14] (MCA)", CONF_BIT(1, 0, CPUID_EDX, 14), CONF_NONE };
static const struct conf_feature f_tscdl    = { "CPUID.1:ECX[24] (TSC deadline)", CONF_BIT(1, 0, CPUID_ECX, 24), CONF_NONE };
static const struct conf_feature f_waitpkg  = { "CPUID.7.0:ECX[5] (WAITPKG)", CONF_BIT(7, 0, CPUID_ECX, 5), CONF_NONE };
static const struct conf_feature f_aperf    = { "CPUID.6:ECX[0] (APERF/MPERF)", CONF_BIT(6, 0, CPUID_ECX, 0), CONF_NONE };
static const struct conf_feature f_epb      = { "CPUID.6:ECX[3] (EPB)", CONF_BIT(6, 0, CPUID_ECX, 3), CONF_NONE };
static const struct conf_feature f_acpi     = { "CPUID.1:EDX[22] (ACPI thermal)", CONF_BIT(1, 0, CPUID_EDX, 22), CONF_NONE };
static const struct conf_feature f_est      = { "CPUID.1:ECX[7] (EST)", CONF_BIT(1, 0, CPUID_ECX, 7), CONF_NONE };
static const struct conf_feature f_ds       = { "CPUID.1:EDX[21] (DS)", CONF_BIT(1, 0, CPUID_EDX, 21), CONF_NONE };
static const struct conf_feature f_mpx      = { "CPUID.7.0:EBX[14] (MPX)", CONF_BIT(7, 0, CPUID_EBX, 14), CONF_NONE };
static const struct conf_feature f_cet      = { "CPUID.7.0:ECX[7] or EDX[20] (CET)", CONF_BIT(7, 0, CPUID_ECX, 7),
						CONF_BIT(7, 0, CPUID_EDX, 20) };
static const struct conf_feature f_cet_ss   = { "CPUID.7.0:ECX[7] (CET_SS)", CONF_BIT(7, 0, CPUID_ECX, 7), CONF_NONE };
static const struct conf_feature f_pks      = { "CPUID.7.0:ECX[31] (PKS)", CONF_BIT(7, 0, CPUID_ECX, 31), CONF_NONE };

#define R   MSR_READ
#define W   (MSR_READ | MSR_WRITE)
#define RO  (MSR_READ | MSR_READ_ONLY)
#define WO  MSR_WRITE_ONLY
#define NOP 0 /* no reserved-bit write */
#define AO  MSR_ABSENT_ONLY
static const struct msr_case msr_cases[] = {
	{ "TSC",                 0x010,      &f_tsc,     R,  0, NOP },
	{ "TSC_ADJUST",          0x03b,      &f_tsc_adj, R,  0, NOP },
	{ "TSC_AUX",             0xc0000103, &f_tsc_aux, W,  0x1234, NOP },
	{ "SYSENTER_CS",         0x174,      &f_sep,     W,  0x10, NOP },
	{ "SYSENTER_ESP",        0x175,      &f_sep,     W,  0x12345678, NOP },
	{ "SYSENTER_EIP",        0x176,      &f_sep,     W,  0x87654321, NOP },
	{ "PAT",                 0x277,      &f_pat,     W,  0x0007010600070106ull, 0x08 /* type 0EH */ },
	{ "MTRRCAP",             0x0fe,      &f_mtrr,    RO, 0, NOP },
	{ "MTRR_DEF_TYPE",       0x2ff,      &f_mtrr,    W,  0x806 /* enabled, WB */, BIT(12) },
	{ "MTRR_PHYSBASE0",      0x200,      &f_mtrr,    R,  0, NOP },
	{ "MTRR_FIX64K_00000",   0x250,      &f_mtrr,    R,  0, NOP },
	{ "MTRR_FIX16K_A0000",   0x259,      &f_mtrr,    W,  0x0101010101010101ull /* WC */, NOP },
	{ "STAR",                0xc0000081, &f_lm,      W,  0x0023001000000000ull, NOP },
	{ "LSTAR",               0xc0000082, &f_lm,      W,  0xffffffff81000000ull, BIT(47) },
	{ "CSTAR",               0xc0000083, &f_lm,      W,  0xffffffff81000040ull, BIT(47) },
	{ "FMASK",               0xc0000084, &f_lm,      W,  0x4700, NOP },
	{ "FS_BASE",             0xc0000100, &f_lm,      W,  0x12345000, BIT(47) },
	{ "GS_BASE",             0xc0000101, &f_lm,      W,  0x23456000, BIT(47) },
	{ "KERNEL_GS_BASE",      0xc0000102, &f_lm,      W,  0x34567000, BIT(47) },
	{ "PMC0",                0x0c1,      &f_pmu1,    W | AO,  0x1234, NOP },
	{ "PERFEVTSEL0",         0x186,      &f_pmu1,    W | AO,  0, BIT(32) },
	{ "FIXED_CTR_CTRL",      0x38d,      &f_pmu2,    W | AO,  0, BIT(60) },
	{ "PERF_GLOBAL_STATUS",  0x38e,      &f_pmu2,    RO | AO, 0, NOP },
	{ "PERF_GLOBAL_CTRL",    0x38f,      &f_pmu2,    W | AO,  0, BIT(62) },
	{ "PERF_GLOBAL_OVF_CTRL", 0x390,     &f_pmu2,    W | AO,  0, NOP },
	{ "PERF_CAPABILITIES",   0x345,      &f_pdcm,    RO | AO, 0, NOP },
	{ "RTIT_CTL",            0x570,      &f_pt,      W,  0, BIT(23) },
	{ "RTIT_STATUS",         0x571,      &f_pt,      W,  0, BIT(3) },
	{ "RTIT_OUTPUT_BASE",    0x560,      &f_pt_out,  W,  0x100000, BIT(0) },
	{ "RTIT_OUTPUT_MASK_PTRS", 0x561,    &f_pt_out,  R,  0, NOP },
	{ "RTIT_CR3_MATCH",      0x572,      &f_pt_cr3,  W,  0x1000, BIT(0) },
	{ "RTIT_ADDR0_A",        0x580,      &f_pt_rng1, W,  0x101000, NOP },
	{ "RTIT_ADDR1_A",        0x582,      &f_pt_rng2, W,  0x102000, NOP },
	{ "RTIT_ADDR2_A",        0x584,      &f_pt_rng3, R,  0, NOP },
	{ "XSS",                 0xda0,      &f_xsaves,  W,  0, BIT(0) /* x87 is user state */ },
	{ "XFD",                 0x1c4,      &f_xfd,     W,  0, NOP },
	{ "SPEC_CTRL",           0x048,      &f_spec,    W,  0, NOP },
	{ "PRED_CMD",            0x049,      &f_ibpb,    WO, 1, NOP },
	{ "FLUSH_CMD",           0x10b,      &f_l1d,     WO, 1, NOP },
	{ "ARCH_CAPABILITIES",   0x10a,      &f_archcap, RO, 0, NOP },
	{ "CORE_CAPABILITIES",   0x0cf,      &f_corecap, RO | AO, 0, NOP },
	{ "VMX_BASIC",           0x480,      &f_vmx,     RO, 0, NOP },
	{ "VMX_CR0_FIXED0",      0x486,      &f_vmx,     RO, 0, NOP },
	{ "MCG_CAP",             0x179,      &f_mca,     RO | AO, 0, NOP },
	{ "MCG_STATUS",          0x17a,      &f_mca,     R | AO,  0, NOP },
	{ "TSC_DEADLINE",        0x6e0,      &f_tscdl,   W,  0, NOP },
	{ "UMWAIT_CONTROL",      0x0e1,      &f_waitpkg, R,  0, NOP },
	{ "MPERF",               0x0e7,      &f_aperf,   R | AO,  0, NOP },
	{ "APERF",               0x0e8,      &f_aperf,   R | AO,  0, NOP },
	{ "ENERGY_PERF_BIAS",    0x1b0,      &f_epb,     R | AO,  0, NOP },
	{ "THERM_STATUS",        0x19c,      &f_acpi,    R | AO,  0, NOP },
	{ "PERF_STATUS",         0x198,      &f_est,     R | AO,  0, NOP },
	{ "DS_AREA",             0x600,      &f_ds,      R | AO,  0, NOP },
	{ "BNDCFGS",             0xd90,      &f_mpx,     R,  0, NOP },
	{ "U_CET",               0x6a0,      &f_cet,     W,  0, NOP },
	{ "S_CET",               0x6a2,      &f_cet,     W,  0, NOP },
	{ "PL0_SSP",             0x6a4,      &f_cet_ss,  R,  0, NOP },
	{ "PKRS",                0x6e1,      &f_pks,     R,  0, NOP },
};
/* clang-format on */

static void msr_line(const struct msr_case *c, const char *op, bool ok, const char *detail)
{
	char what[112];

	ptv_snprintf(what, sizeof(what), "%s (0x%x) %s%s", c->name, c->msr, op,
		     (c->flags & MSR_ABSENT_ONLY) ? " (only CPUID=0 checked)" : "");
	if ((c->flags & MSR_ABSENT_ONLY) && conf_feature_present(c->feature))
		ok = true;
	conf_agree(what, c->feature, ok, detail);
}

static bool gp0(const struct conf_event *e)
{
	return e->vector == VEC_GP && e->error == 0;
}

static void msr_case_run(const struct msr_case *c)
{
	bool present = conf_feature_present(c->feature);
	uint64_t orig = 0, got = 0;
	struct conf_event r = conf_rdmsr(c->msr, &orig), w;
	char detail[64];

	if (c->flags & MSR_READ) {
		msr_line(c, "rdmsr", present ? r.vector == FAULT_NONE : gp0(&r), conf_vector(&r));
	} else {
		/* Write-only command MSRs fault on RDMSR either way (Table 2-2). */
		msr_line(c, "rdmsr of a write-only MSR", gp0(&r), conf_vector(&r));
	}
	if (c->flags & (MSR_WRITE | MSR_WRITE_ONLY)) {
		w = conf_wrmsr(c->msr, c->value);
		if (c->flags & MSR_WRITE)
			conf_rdmsr(c->msr, &got);
		else
			got = c->value;
		ptv_snprintf(detail, sizeof(detail), "%s, reads 0x%llx", conf_vector(&w), (unsigned long long)got);
		msr_line(c, "wrmsr and read back", present ? w.vector == FAULT_NONE && got == c->value : gp0(&w),
			 detail);
		if (r.vector == FAULT_NONE && (c->flags & MSR_WRITE))
			conf_wrmsr(c->msr, orig);
	}
	if (c->flags & MSR_READ_ONLY) {
		w = conf_wrmsr(c->msr, orig);
		msr_line(c, "wrmsr of a read-only MSR", gp0(&w), conf_vector(&w));
	}
	if (c->reserved) {
		uint64_t after = 0;

		w = conf_wrmsr(c->msr, orig | c->reserved);
		conf_rdmsr(c->msr, &after);
		ptv_snprintf(detail, sizeof(detail), "%s, reads 0x%llx", conf_vector(&w), (unsigned long long)after);
		msr_line(c, "wrmsr with a reserved bit", gp0(&w) && after == orig, detail);
		if (w.vector == FAULT_NONE && r.vector == FAULT_NONE)
			conf_wrmsr(c->msr, orig);
	}
}

void conf_area_msr(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(msr_cases); i++)
		msr_case_run(&msr_cases[i]);
	conf_msr_arch();
	conf_msr_pmu();
}
