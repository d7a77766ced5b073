/*
 * Shared fixture of the exit-handler tests: a vCPU created by vcpu_create() on
 * the CPU model, its guest RAM behind an EPT in the physical arena, its VMCS
 * current and filled with a sane guest state, and checks for what a handler
 * leaves behind (RIP, the interruptibility shadow, the event it injects).
 */
#ifndef PTV_VCPU_ENV_H
#define PTV_VCPU_ENV_H

#include "cpu_model.h"
#include "ept/ept.h"
#include "ept/ept_violation.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs.h"
#include "x86/arch.h"

#define ENV_ARENA_SIZE (16ULL << 20) /* host "physical" memory; frames from 1 MiB up */
#define ENV_RAM_SIZE   (4ULL << 20)  /* guest RAM: GPA [0, 4 MiB) */
#define ENV_RIP        0x10000ULL    /* the RIP of every exit env_exit() stages */
#define ENV_RSP        0x8000ULL
#define ENV_PML4       0x1000ULL /* env_guest64(): GiBs 0 and 3 identity-mapped, PML4/PDPT/PDs at 1000H-4FFFH */

/*
 * XSAVE components of the host CPU, with CPUID leaf 0DH laid out as on Intel server parts: AVX at
 * 576, MPX at 960/1024, AVX-512 at 1088/1152/1664, PKRU at 2688, AMX at 2752 (64) and 2816 (8192).
 */
#define ENV_XCOMP_AVX    (XCR0_X87 | XCR0_SSE | XCR0_AVX)
#define ENV_XCOMP_AVX512 (ENV_XCOMP_AVX | XCR0_MPX | XCR0_AVX512 | XCR0_PKRU)
#define ENV_XCOMP_AMX    (ENV_XCOMP_AVX512 | XCR0_AMX)
/* What ptvisor lets guests enable of ENV_XCOMP_AVX512 or _AMX, and the area that needs (2696 up to 64). */
#define ENV_GUEST_XCR0 (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512 | XCR0_PKRU)
#define ENV_GUEST_AREA 2752u

struct vcpu_env {
	struct cpu_model *m;
	struct ept ept;
	struct ept_claims claims;
	paddr_t ram_hpa;
};

extern struct vcpu_env env;

/* Replaces CPUID leaf 0DH (sub-leaves 0, 1 and every component of xcomp) and sets CPUID.1:ECX.XSAVE. */
void env_xsave_leaves(struct cpu_model *m, uint64_t xcomp);
/*
 * Loads fixture f (with env_xsave_leaves(xcomp) unless xcomp is 0, and the syscall MSRs), sizes the
 * guests' XSAVE areas (vcpu_switch_init_cpu), enters VMX operation, builds the arena, the frame
 * allocator and the EPT of ENV_RAM_SIZE bytes of RAM, creates v as guest 0 "g0" and makes its VMCS
 * current with env_guest32()'s state. prepare, if not NULL, may change the model before
 * vcpu_switch_init_cpu reads it.
 */
void vcpu_env_setup(struct vcpu *v, const struct cpu_fixture *f, uint64_t xcomp, void (*prepare)(struct cpu_model *m));
void vcpu_env_teardown(struct vcpu *v);
/* Another vCPU on the same RAM and EPT, with a VMCS VMPTRLD accepts (it does not become current). */
void env_vcpu_create(struct vcpu *v, unsigned id, const char *name);

/* Multiboot-like state: 32-bit flat protected mode, paging off, CPL 0, IF=0, CR4.OSXSAVE set. */
void env_guest32(struct vcpu *v);
/* 64-bit mode: 4-level paging with the identity map at ENV_PML4 (2-MByte pages, supervisor, writable, A and D
   clear), EFER.LME/LMA, CS.L, IA-32e entry control. */
void env_guest64(struct vcpu *v);
/* 16-bit real mode (unrestricted guest): CR0.PE=0, CS.D=0, segment bases 0. */
void env_guest16(struct vcpu *v);
/* CPL = SS.DPL (and CS.DPL). */
void env_cpl(unsigned cpl);

/*
 * Stages an exit: reason, qualification and instruction length in the VMCS and v->exit_reason, RIP =
 * ENV_RIP, no event queued, VM_ENTRY_EXCEPTION_ERROR_CODE poisoned, and blocking by MOV SS (the
 * instruction sat in a MOV-SS shadow) so that retiring it must clear the shadow.
 */
void env_exit(struct vcpu *v, uint32_t reason, uint64_t qual, uint32_t len);

uint64_t vmr(unsigned field);
void vmw(unsigned field, uint64_t val);
/* Host address of guest-physical gpa (in RAM), for seeding and checking guest memory. */
void *env_gpa(uint64_t gpa);
/* How many times needle occurs in the captured console output. */
unsigned env_console_count(const char *needle);

/* RIP = ENV_RIP + len, no event queued, interruptibility shadow gone. */
void env_expect_retired(uint64_t len, const char *file, int line);
/* RIP = ENV_RIP, and a hardware exception `vector` queued with error code 0 when code. */
void env_expect_fault(unsigned vector, bool code, const char *file, int line);
/* v->stop requested with status, its reason containing `why`; RIP = ENV_RIP. */
void env_expect_stop(const struct vcpu *v, int status, const char *why, const char *file, int line);

#define expect_retired(len)         env_expect_retired((len), __FILE__, __LINE__)
#define expect_gp()                 env_expect_fault(X86_VEC_GP, true, __FILE__, __LINE__)
#define expect_ud()                 env_expect_fault(X86_VEC_UD, false, __FILE__, __LINE__)
#define expect_stop(v, status, why) env_expect_stop((v), (status), (why), __FILE__, __LINE__)

#endif
