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
 * Bytes one INS/OUTS moves per VM exit at most; the rest of a REP waits for the guest to re-execute
 * it. A page's worth keeps the exit's own cost (a few thousand TSC ticks) a small part of the work
 * while bounding the longest exit to a fraction of a time slice (README "Limits").
 */
#define IO_STRING_BYTES_MAX 4096u

/*
 * Moves a string instruction's index or count register by delta in its address size: 16-bit forms
 * change only SI/DI/CX, 32-bit forms write ESI/EDI/ECX (zero-extended), 64-bit forms the whole register.
 */
static void addr_reg_step(uint64_t *r, uint64_t mask, int64_t delta)
{
	uint64_t moved = (*r + (uint64_t)delta) & mask;

	*r = mask == 0xffff ? (*r & ~mask) | moved : moved;
}

/* One element at seg:offset through segmentation, paging and the bus (emul_access.c). */
static enum emul_rc io_string_element(struct emul_ctx *c, enum insn_seg seg, uint64_t offset, uint16_t port,
				      unsigned size, bool in, struct emul_fault *f)
{
	struct emul_span sp;
	uint64_t val = 0;
	/* INS translates before it reads the port, so a faulting element loses no input. */
	enum emul_rc rc = emul_locate(c, seg, offset, size, in, &sp, f);

	if (rc != EMUL_OK)
		return rc;
	if (in)
		return emul_write(c, &sp, io_in(c->v, port, size));
	rc = emul_read(c, &sp, &val);
	if (rc == EMUL_OK && !io_out(c->v, port, size, (uint32_t)val))
		return EMUL_STOP;
	return rc;
}

/*
 * INS/OUTS, with or without REP (SDM Vol. 2B "INS", "OUTS", "REP"). The CPU checks the I/O permission
 * before the exit; the memory operand is ours (SDM 26.1.1): DS or its override for OUTS, ES for INS,
 * and the address size, from the instruction-information field (SDM 28.2.5, Table 28-8), which says
 * which of CX/ECX/RCX, SI/ESI/RSI and DI/EDI/RDI are used. Memory without RAM reads all ones and takes
 * no writes (emul_bus.c). A fault goes to the guest at the element that takes it, rCX and rSI/rDI
 * counting what completed and RIP at the instruction, so it restarts there as on hardware. After
 * IO_STRING_BYTES_MAX bytes the guest re-enters at the same RIP as after an interrupt between iterations.
 */
static enum exit_action io_string(struct vcpu *v, uint16_t port, unsigned size, bool in, bool rep)
{
	static const struct mem_insn strio = { .kind = MEM_STRIO };
	uint32_t info = vmcs_read32(VMX_INSTRUCTION_INFO);
	unsigned asz = (info >> 7) & 7, sreg = (info >> 15) & 7;
	uint64_t mask = asz == 0 ? 0xffff : asz == 1 ? 0xffffffff : ~(uint64_t)0;
	enum insn_seg seg = in ? INSN_SEG_ES : sreg <= INSN_SEG_GS ? (enum insn_seg)sreg : INSN_SEG_DS;
	uint64_t *index = in ? &v->regs.rdi : &v->regs.rsi;
	uint64_t count = rep ? v->regs.rcx & mask : 1;
	int64_t delta = (vmcs_readnat(GUEST_RFLAGS) & RFLAGS_DF) ? -(int64_t)size : (int64_t)size;
	unsigned budget = rep && vcpu_rep_single_step(v) ? 1 : IO_STRING_BYTES_MAX / size;
	struct emul_ctx c;

	emul_ctx_init(&c, v, &strio, vcpu_insn_mode(v));
	for (; count && budget; count--, budget--) {
		struct emul_fault f;
		enum emul_rc rc = io_string_element(&c, seg, *index & mask, port, size, in, &f);
		if (rc != EMUL_OK)
			return emul_fault_or_stop(&c, rc, &f);
		addr_reg_step(index, mask, delta);
		if (rep)
			addr_reg_step(&v->regs.rcx, mask, -1);
	}
	if (count) {
		vcpu_rep_pause(v);
		return EXIT_RESUME;
	}
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
