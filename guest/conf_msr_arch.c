/*
 * Area "msr", architectural part: MSRs whose bits must agree with CPUID rather than exist by it
 * (IA32_MISC_ENABLE, IA32_FEATURE_CONTROL: SDM Vol. 4 Table 2-2), IA32_DEBUGCTL's reserved bits (Vol. 3B
 * 18.4.1), IA32_EFER's bits and their features (Vol. 3A 2.2.1), and indices that no CPU implements.
 */
#include "conf.h"
#include "conf_msr.h"
#include "msr.h"
#include "lib/format.h"

#define MISC_BTS_UNAVAILABLE  BIT(11)
#define MISC_PEBS_UNAVAILABLE BIT(12)
#define MISC_MONITOR_ENABLE   BIT(18)
#define MISC_LIMIT_CPUID      BIT(22)
#define MISC_XD_DISABLE       BIT(34)
#define DEBUGCTL_BTF          BIT(1)

/* clang-format off */
static const struct conf_feature f_ds      = { "CPUID.1:EDX[21] (DS)", CONF_BIT(1, 0, CPUID_EDX, 21), CONF_NONE };
static const struct conf_feature f_monitor = { "CPUID.1:ECX[3] (MONITOR)", CONF_BIT(1, 0, CPUID_ECX, 3), CONF_NONE };
static const struct conf_feature f_nx      = { "CPUID.80000001H:EDX[20] (NX)", CONF_BIT(0x80000001u, 0, CPUID_EDX, 20), CONF_NONE };
static const struct conf_feature f_vmxsmx  = { "CPUID.1:ECX[5] or [6] (VMX/SMX)", CONF_BIT(1, 0, CPUID_ECX, 5),
					       CONF_BIT(1, 0, CPUID_ECX, 6) };
static const struct conf_feature f_maxleaf = { "CPUID.0:EAX (max leaf)", { 0, 0, CPUID_EAX, 0, 31, 0 }, CONF_NONE };
static const struct conf_feature f_lm      = { "CPUID.80000001H:EDX[29] (LM)", CONF_BIT(0x80000001u, 0, CPUID_EDX, 29), CONF_NONE };
/* clang-format on */

/*
 * IA32_MISC_ENABLE is architectural on every processor with CPUID (Table 2-2), but Bochs 2.7 does not
 * implement it (#GP): its bits are compared only where it can be read; a VMM that offers it must keep
 * them consistent with CPUID.
 */
static void misc_enable(void)
{
	uint64_t v = 0;
	bool readable = conf_rdmsr(MSR_IA32_MISC_ENABLE, &v).vector == FAULT_NONE;
	bool ds = conf_feature_present(&f_ds);

	conf_agree("MISC_ENABLE[11] (if readable) BTS unavailable set exactly without DS", &f_ds,
		   !readable || !(v & MISC_BTS_UNAVAILABLE) == ds, (v & MISC_BTS_UNAVAILABLE) ? "set" : "clear");
	conf_agree("MISC_ENABLE[12] (if readable) PEBS unavailable set without DS", &f_ds,
		   !readable || ds || (v & MISC_PEBS_UNAVAILABLE), "clear");
	/* "When this bit is set to 0, the MONITOR feature flag is not set". */
	conf_agree("MISC_ENABLE[18] (if readable) clear only without MONITOR", &f_monitor,
		   !readable || (v & MISC_MONITOR_ENABLE) || !conf_feature_present(&f_monitor), "clear");
	conf_agree("MISC_ENABLE[22] (if readable) set only with the max leaf at most 2", &f_maxleaf,
		   !readable || !(v & MISC_LIMIT_CPUID) || conf_cpuid_reg(0, 0, CPUID_EAX) <= 2, "set");
	conf_agree("MISC_ENABLE[34] (if readable) XD disable set only without NX", &f_nx,
		   !readable || !(v & MISC_XD_DISABLE) || !conf_feature_present(&f_nx), "set");
}

static void feature_control(void)
{
	uint64_t v = 0;
	struct conf_event e = conf_rdmsr(MSR_IA32_FEATURE_CONTROL, &v);
	bool vmx = conf_feature_present(&f_vmxsmx);

	/* Available if VMX, SMX (or features not checked here) are; without them it may or may not exist. */
	conf_agree("FEATURE_CONTROL (0x3a) readable with VMX or SMX", &f_vmxsmx, !vmx || e.vector == FAULT_NONE,
		   conf_vector(&e));
	conf_agree("FEATURE_CONTROL VMX enable bits 1-2 set only with VMX or SMX", &f_vmxsmx,
		   vmx || !(v & (FEATURE_CONTROL_VMX_INSIDE_SMX | FEATURE_CONTROL_VMX_OUTSIDE_SMX)), "set");
	/* Once locked it cannot be written (SDM Vol. 4 Table 2-2, 3AH bit 0); a guest without it has nothing to write. */
	bool refused = true;
	if (e.vector == FAULT_NONE && (v & FEATURE_CONTROL_LOCKED))
		refused = conf_wrmsr(MSR_IA32_FEATURE_CONTROL, v).vector == VEC_GP;
	conf_verdict("FEATURE_CONTROL, where readable and locked: wrmsr refused with #GP: %s", refused ? "yes" : "no");
}

/*
 * IA32_DEBUGCTL: LBR and BTF are architectural, bits 5:2 and 63:16 reserved (Vol. 3B 18.4.1, Table 2-2).
 * Bochs 2.7 does not implement the MSR (#GP), so the checks apply where it can be read.
 */
static void debugctl_write(const char *what, bool readable, uint64_t val, bool want_ok)
{
	uint64_t got = 0;
	struct conf_event e = conf_wrmsr(MSR_IA32_DEBUGCTL, val);
	char detail[48];
	bool ok;

	conf_rdmsr(MSR_IA32_DEBUGCTL, &got);
	ok = want_ok ? e.vector == FAULT_NONE && got == val : e.vector == VEC_GP && e.error == 0;
	ptv_snprintf(detail, sizeof(detail), "%s, reads 0x%llx", conf_vector(&e), (unsigned long long)got);
	if (!readable || ok)
		conf_verdict("DEBUGCTL (0x1d9) (if readable) write %s: ok", what);
	else
		conf_verdict("DEBUGCTL (0x1d9) (if readable) write %s: %s", what, detail);
	conf_wrmsr(MSR_IA32_DEBUGCTL, 0);
}

static void debugctl(void)
{
	uint64_t v = 0;
	bool readable = conf_rdmsr(MSR_IA32_DEBUGCTL, &v).vector == FAULT_NONE;

	debugctl_write("0", readable, 0, true);
	debugctl_write("BTF (bit 1)", readable, DEBUGCTL_BTF, true);
	debugctl_write("reserved bit 2", readable, BIT(2), false);
	debugctl_write("reserved bit 32", readable, BIT(32), false);
}

static void efer_set(const char *what, const struct conf_feature *f, uint64_t efer, uint64_t bit)
{
	uint64_t got = 0;
	struct conf_event e = conf_wrmsr(MSR_IA32_EFER, efer | bit);
	bool ok;

	conf_rdmsr(MSR_IA32_EFER, &got);
	ok = conf_feature_present(f) ? e.vector == FAULT_NONE && (got & bit) : e.vector == VEC_GP && !(got & bit);
	conf_agree(what, f, ok, conf_vector(&e));
	conf_wrmsr(MSR_IA32_EFER, efer);
}

static void efer(void)
{
	uint64_t v = 0, got = 0;
	struct conf_event e = conf_rdmsr(MSR_IA32_EFER, &v);

	conf_verdict("EFER (0xc0000080) rdmsr: %s", conf_vector(&e));
	/* Intel reports CPUID.80000001H:EDX[11] (SYSCALL) only in 64-bit mode; EFER.SCE exists with LM. */
	efer_set("EFER.SCE (bit 0) settable", &f_lm, v, EFER_SCE);
	efer_set("EFER.LME (bit 8) settable with paging off", &f_lm, v, EFER_LME);
	efer_set("EFER.NXE (bit 11) settable", &f_nx, v, EFER_NXE);
	e = conf_wrmsr(MSR_IA32_EFER, v | BIT(1));
	conf_verdict("EFER reserved bit 1: %s", conf_vector(&e));
	e = conf_wrmsr(MSR_IA32_EFER, v | BIT(63));
	conf_verdict("EFER reserved bit 63: %s", conf_vector(&e));
	/* LMA is the processor's (10.8.5): a WRMSR does not set it outside IA-32e mode. */
	e = conf_wrmsr(MSR_IA32_EFER, v | EFER_LMA);
	conf_rdmsr(MSR_IA32_EFER, &got);
	conf_verdict("EFER written with LMA=1 and paging off: %s, LMA reads %u", conf_vector(&e),
		     (got & EFER_LMA) ? 1 : 0);
	conf_wrmsr(MSR_IA32_EFER, v);
}

static void unimplemented(void)
{
	static const uint32_t msrs[] = { 0x12345678u, 0xc0011234u, 0x40000000u, 0xffffffffu, 0x00001fffu };

	for (unsigned i = 0; i < ARRAY_SIZE(msrs); i++) {
		uint64_t v = 0;
		struct conf_event r = conf_rdmsr(msrs[i], &v), w = conf_wrmsr(msrs[i], 0);

		conf_verdict("unimplemented 0x%x: rdmsr %s, wrmsr %s", msrs[i], conf_vector(&r), conf_vector_of(w));
	}
}

void conf_msr_arch(void)
{
	misc_enable();
	feature_control();
	debugctl();
	efer();
	unimplemented();
}
