/*
 * Area "mem", string, stack, paging and SSE forms on the unbacked address: STOS/MOVS/LODS/SCAS/CMPS with
 * their register updates (SDM Vol. 2B), PUSH/POP with a memory operand, the same address reached through a
 * paging translation (linear != physical), and a 16-byte SSE load.
 */
#include "conf.h"
#include "conf_mem.h"
#include "conf_paging.h"
#include "cpu.h"
#include "lib/string.h"

#define FL_ZF      0x040u
#define FL_ARITH   0x8d5u
#define PAGED_AT   0x80000000u /* a linear 4-MByte page mapped onto the unbacked address */
#define BUF_DWORDS 4

static uint32_t buf[BUF_DWORDS];

static uint32_t read32(uint32_t a)
{
	uint32_t v;

	asm volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

void conf_mem_strings(uint32_t ua)
{
	uint32_t s, d, c, a, fl;

	d = ua, c = 4;
	asm volatile("rep stosl" : "+D"(d), "+c"(c) : "a"(0u) : "memory");
	conf_verdict("rep stosd ECX=4 of 0 to it: EDI %d, ECX %u, then it+8 reads 0x%x", (int)(d - ua), c,
		     read32(ua + 8));
	memset(buf, 0x11, sizeof(buf));
	s = ua, d = (uint32_t)buf, c = BUF_DWORDS;
	asm volatile("rep movsl" : "+S"(s), "+D"(d), "+c"(c) : : "memory");
	conf_verdict("rep movsd ECX=4 from it to RAM: ESI %d, EDI %d, ECX %u, RAM 0x%x 0x%x", (int)(s - ua),
		     (int)(d - (uint32_t)buf), c, buf[0], buf[3]);
	s = (uint32_t)buf, d = ua, c = 7;
	asm volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(c) : : "memory");
	conf_verdict("rep movsb ECX=7 from RAM to it: ESI %d, EDI %d, ECX %u, then reads 0x%x",
		     (int)(s - (uint32_t)buf), (int)(d - ua), c, read32(ua));
	s = ua + 0x100, d = ua + 0x200, c = 2;
	asm volatile("std\n\trep movsl\n\tcld" : "+S"(s), "+D"(d), "+c"(c) : : "memory");
	conf_verdict("DF=1: rep movsd ECX=2 from it to it: ESI %d, EDI %d, ECX %u", (int)(s - (ua + 0x100)),
		     (int)(d - (ua + 0x200)), c);
	s = ua, a = 0;
	asm volatile("lodsl" : "+S"(s), "+a"(a) : : "memory");
	conf_verdict("lodsd from it: EAX 0x%x, ESI %d", a, (int)(s - ua));
	d = ua, a = 0xffffffffu;
	asm volatile("scasl\n\tpushfl\n\tpopl %1" : "+D"(d), "=r"(fl) : "a"(a) : "memory", "cc");
	conf_verdict("scasd with EAX=0xffffffff: flags 0x%x, EDI %d", fl & FL_ARITH, (int)(d - ua));
	memset(buf, 0x11, sizeof(buf));
	s = (uint32_t)buf, d = ua;
	asm volatile("cmpsb\n\tpushfl\n\tpopl %2" : "+S"(s), "+D"(d), "=r"(fl) : : "memory", "cc");
	conf_verdict("cmpsb RAM 0x11 with it: flags 0x%x, ESI %d, EDI %d", fl & FL_ARITH, (int)(s - (uint32_t)buf),
		     (int)(d - ua));
	d = ua, c = 8, a = 0xffu;
	asm volatile("repne scasb\n\tpushfl\n\tpopl %2" : "+D"(d), "+c"(c), "=r"(fl) : "a"(a) : "memory", "cc");
	conf_verdict("repne scasb for 0xff, ECX=8: ZF=%u ECX %u EDI %d", (fl & FL_ZF) ? 1 : 0, c, (int)(d - ua));
}

void conf_mem_stack(uint32_t ua)
{
	uint32_t v = 0, moved = 0;

	asm volatile("pushl (%1)\n\tpopl %0" : "=r"(v) : "r"(ua) : "memory");
	asm volatile("movl %%esp, %0\n\t"
		     "pushl $0x1234\n\t"
		     "popl 4(%1)\n\t"
		     "subl %%esp, %0"
		     : "=&r"(moved)
		     : "r"(ua)
		     : "memory");
	conf_verdict("push m32 from it, pop r32: 0x%x; push imm, pop to it: ESP moved %d, then reads 0x%x", v,
		     (int)moved, read32(ua + 4));
}

/* 32-bit paging, a 4-MByte page at PAGED_AT onto the unbacked address: the linear address is not the physical one. */
void conf_mem_paged(uint32_t ua)
{
	uint32_t cr0 = cpu_read_cr0(), cr4 = cpu_read_cr4(), cr3 = conf_pg32_build(), v;

	*conf_pg32_pde(PAGED_AT) = ua | (uint32_t)(PTE_P | PTE_RW | PTE_PS);
	conf_paging_on(cr3, false);
	v = read32(PAGED_AT + 0x10);
	conf_verdict("paging on, linear 0x%x mapped to it: mov r32 reads 0x%x", PAGED_AT + 0x10, v);
	asm volatile("movl %0, (%1)" : : "r"(0x13572468u), "r"(PAGED_AT + 0x14) : "memory");
	conf_verdict("paging on, mov to it through that mapping, then reads 0x%x", read32(PAGED_AT + 0x14));
	asm volatile("addl $1, (%0)" : : "r"(PAGED_AT + 0x18) : "memory", "cc");
	conf_verdict("paging on, add m32 through that mapping, then reads 0x%x", read32(PAGED_AT + 0x18));
	conf_paging_off();
	cpu_write_cr0(cr0);
	cpu_write_cr4(cr4);
}

void conf_mem_sse(uint32_t ua)
{
	uint32_t cr0 = cpu_read_cr0(), cr4 = cpu_read_cr4(), lo = 0, hi = 0;

	if (!conf_cpuid_bit(1, 0, CPUID_EDX, 25)) {
		conf_verdict("SSE (CPUID.1:EDX[25]): absent");
		return;
	}
	cpu_write_cr0((cr0 | (uint32_t)CR0_MP) & ~(uint32_t)(CR0_EM | CR0_TS));
	cpu_write_cr4(cr4 | (uint32_t)CR4_OSFXSR);
	asm volatile("movdqu (%2), %%xmm0\n\t"
		     "movd %%xmm0, %0\n\t"
		     "psrldq $12, %%xmm0\n\t"
		     "movd %%xmm0, %1"
		     : "=r"(lo), "=r"(hi)
		     : "r"(ua)
		     : "memory");
	conf_verdict("movdqu xmm0 from it: dword 0 0x%x, dword 3 0x%x", lo, hi);
	cpu_write_cr0(cr0);
	cpu_write_cr4(cr4);
}
