/*
 * Port I/O (exit qualification: SDM 28.2.1, Table 28-5). Every port exits:
 * COM1 is the guest's virtual 16550 (its IRQ line on I/O APIC pin 4), 0xf4 is isa-debug-exit (the guest ends
 * with the value written as its status), 0x8900 is the Bochs shutdown port
 * ("Shutdown" ends the guest); any other port reads all ones and ignores
 * writes, reported once per port.
 */
#include "vmx/emul.h"
#include "vmx/exit.h"
#include "vmx/vcpu_input.h"
#include "vmx/vioapic_vmx.h"
#include "vmx/vcpu_vmcs.h"
#include "vmx/vlapic_vmx.h"
#include "vmx/vmcs_ops.h"
#include "ept/ept_walk.h"
#include "log.h"

#define COM1_PORT           0x3f8
#define DEBUG_EXIT_PORT     0xf4
#define BOCHS_SHUTDOWN_PORT 0x8900

/* The UART's IRQ line may have changed with the access: pin 4 follows it, an interrupt arms the window. */
static void uart_irq_update(struct vcpu *v)
{
	if (vcpu_uart_irq_sync(v))
		vlapic_request_windows(v);
}

/*
 * An unclaimed port is reported once per port, and only for the first IO_REPORTS_MAX ports: a guest
 * sweeping all 65536 would otherwise hold the CPU for minutes of serial output.
 */
#define IO_REPORTS_MAX 32

static void report_unclaimed(struct vcpu *v, uint16_t port, bool out)
{
	if (v->io.logged[port / 8] & (1u << (port % 8)) || v->io.port_reports > IO_REPORTS_MAX)
		return;
	v->io.logged[port / 8] |= (uint8_t)(1u << (port % 8));
	if (++v->io.port_reports > IO_REPORTS_MAX)
		pr_info("guest %s: more than %u unclaimed ports used: no more reported\n", v->name, IO_REPORTS_MAX);
	else if (out)
		pr_info("guest %s: OUT to unclaimed port 0x%x ignored (reported once per port)\n", v->name, port);
	else
		pr_info("guest %s: IN from unclaimed port 0x%x reads all ones (reported once per port)\n", v->name,
			port);
}

/* Returns false when the access stopped the guest (v->stop says why). */
static bool io_out(struct vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
	if (port >= COM1_PORT && port < COM1_PORT + 8) {
		for (unsigned i = 0; i < size && port + i < COM1_PORT + 8; i++)
			vuart_write(&v->uart, port + i - COM1_PORT, (uint8_t)(val >> (8 * i)));
		uart_irq_update(v);
		return true;
	}
	if (port == DEBUG_EXIT_PORT) {
		vcpu_stop(v, (int)val, "wrote %u to the isa-debug-exit port 0x%x", val, DEBUG_EXIT_PORT);
		return false;
	}
	if (port == BOCHS_SHUTDOWN_PORT && size == 1) {
		static const char word[] = "Shutdown";
		if ((char)val == word[v->io.bochs_shutdown_len])
			v->io.bochs_shutdown_len++;
		else
			v->io.bochs_shutdown_len = (char)val == word[0];
		if (v->io.bochs_shutdown_len == 8) {
			vcpu_stop(v, 0, "wrote \"Shutdown\" to the Bochs shutdown port 0x%x", BOCHS_SHUTDOWN_PORT);
			return false;
		}
		return true;
	}
	report_unclaimed(v, port, true);
	return true;
}

static uint32_t io_in(struct vcpu *v, uint16_t port, unsigned size)
{
	uint32_t val = 0;

	if (port >= COM1_PORT && port < COM1_PORT + 8) {
		/* A guest polling its UART for input finds what was typed meanwhile. */
		if (v == vcpu_input_owner())
			vcpu_input_poll();
		for (unsigned i = 0; i < size; i++) {
			uint8_t b = port + i < COM1_PORT + 8 ? vuart_read(&v->uart, port + i - COM1_PORT) : 0xff;
			val |= (uint32_t)b << (8 * i);
		}
		uart_irq_update(v);
		return val;
	}
	if (port != BOCHS_SHUTDOWN_PORT && port != DEBUG_EXIT_PORT)
		report_unclaimed(v, port, false);
	return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/*
 * Moves a string instruction's index or count register by delta in its address size: 16-bit forms
 * change only SI/DI/CX, 32-bit forms write ESI/EDI/ECX (zero-extended), 64-bit forms the whole register.
 */
static void addr_reg_step(uint64_t *r, uint64_t mask, int64_t delta)
{
	uint64_t moved = (*r + (uint64_t)delta) & mask;

	*r = mask == 0xffff ? (*r & ~mask) | moved : moved;
}

struct io_string_regs {
	uint64_t *index, mask;
	int64_t delta;
	uint64_t base, gla;
};

/*
 * INS/OUTS with paging on: each element's linear address goes through the guest's page tables
 * (emul_access.c). A fault (#PF, rights) goes to the guest at the element that takes it, with rCX and
 * rSI/rDI counting what completed and RIP at the instruction, so it restarts there as on hardware (SDM
 * Vol. 2B REP: "interrupted ... the registers are updated"). INS translates before it reads the port,
 * so a faulting element loses no input.
 */
static enum exit_action io_string_paged(struct vcpu *v, uint16_t port, unsigned size, bool in, bool rep,
					struct io_string_regs r)
{
	static const struct mem_insn strio = { .kind = MEM_STRIO };
	uint64_t count = rep ? v->regs.rcx & r.mask : 1;
	struct emul_ctx c;

	emul_ctx_init(&c, v, &strio, vcpu_insn_mode(v));
	for (; count; count--) {
		struct emul_span sp;
		struct emul_fault f;
		uint64_t val = 0;
		enum emul_rc rc = emul_translate(&c, r.gla, size, in, &sp, &f);
		if (rc == EMUL_OK && in) {
			val = io_in(v, port, size);
			rc = emul_write(&c, &sp, val);
		} else if (rc == EMUL_OK) {
			rc = emul_read(&c, &sp, &val);
			if (rc == EMUL_OK && !io_out(v, port, size, (uint32_t)val))
				return EXIT_STOPPED;
		}
		if (rc != EMUL_OK)
			return emul_fault_or_stop(&c, rc, &f);
		addr_reg_step(r.index, r.mask, r.delta);
		r.gla = r.base + (*r.index & r.mask);
		if (!vcpu_long_mode(v))
			r.gla = (uint32_t)r.gla;
		if (rep)
			addr_reg_step(&v->regs.rcx, r.mask, -1);
	}
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}

/*
 * INS/OUTS with paging off: the linear address is the guest-physical address (SDM 28.2.5). The
 * address size (16/32/64) is in the VM-exit instruction-information field (SDM 28.2.5, Table 28-8) and
 * says which of CX/ECX/RCX, SI/ESI/RSI and DI/EDI/RDI the instruction uses (SDM Vol. 2B INS, OUTS, REP).
 */
static enum exit_action io_string(struct vcpu *v, uint16_t port, unsigned size, bool in, bool rep)
{
	unsigned asz = (vmcs_read32(VMX_INSTRUCTION_INFO) >> 7) & 7;
	uint64_t mask = asz == 0 ? 0xffff : asz == 1 ? 0xffffffff : ~(uint64_t)0;
	uint64_t *index = in ? &v->regs.rdi : &v->regs.rsi;
	uint64_t count = rep ? v->regs.rcx & mask : 1;
	int64_t delta = (vmcs_readnat(GUEST_RFLAGS) & RFLAGS_DF) ? -(int64_t)size : (int64_t)size;
	uint64_t gla = vmcs_readnat(GUEST_LINEAR_ADDRESS);
	/* The segment base: the linear address less the offset the instruction used. */
	uint64_t base = gla - (*index & mask);

	if (vmcs_readnat(GUEST_CR0) & CR0_PG)
		return io_string_paged(v, port, size, in, rep,
				       (struct io_string_regs){ index, mask, delta, base, gla });
	for (; count; count--) {
		uint32_t val = 0;
		if (in) {
			val = io_in(v, port, size);
			if (ept_write_guest(v->mem.ept, gla, &val, size) != size)
				break;
		} else {
			if (ept_read_guest(v->mem.ept, gla, &val, size) != size)
				break;
			if (!io_out(v, port, size, val))
				return EXIT_STOPPED;
		}
		addr_reg_step(index, mask, delta);
		gla = base + (*index & mask);
		if (!vcpu_long_mode(v))
			gla = (uint32_t)gla;
		if (rep)
			addr_reg_step(&v->regs.rcx, mask, -1);
	}
	if (count)
		return vcpu_stop(v, -1, "string I/O on port 0x%x touched GPA 0x%lx outside its RAM", port, gla);
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}

enum exit_action handle_io(struct vcpu *v)
{
	uint64_t q = v->exit_qual = vmcs_readnat(EXIT_QUALIFICATION);
	unsigned size = (unsigned)(q & 7) + 1;
	bool in = q & BIT(3), string = q & BIT(4), rep = q & BIT(5);
	uint16_t port = (uint16_t)(q >> 16);

	if (string)
		return io_string(v, port, size, in, rep);
	if (in) {
		uint32_t val = io_in(v, port, size);
		if (size == 4)
			v->regs.rax = val; /* 32-bit destinations zero-extend */
		else
			v->regs.rax = (v->regs.rax & ~(uint64_t)((1u << (8 * size)) - 1)) | val;
	} else if (!io_out(v, port, size, (uint32_t)v->regs.rax)) {
		return EXIT_STOPPED;
	}
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}
