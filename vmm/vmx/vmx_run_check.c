/* Keeps vmx_run.asm's hand-written offsets honest against struct guest_regs. */
#include "vmx/vcpu.h"

#define CHECK(field, off) _Static_assert(__builtin_offsetof(struct guest_regs, field) == (off), \
					 "vmx_run.asm offset of " #field)
CHECK(rax, 0);
CHECK(rcx, 8);
CHECK(rdx, 16);
CHECK(rbx, 24);
CHECK(rbp, 32);
CHECK(rsi, 40);
CHECK(rdi, 48);
CHECK(r8, 56);
CHECK(r15, 112);
CHECK(cr2, 120);
CHECK(host_rsp, 128);
