/* The platform devices wired into VMX on the CPU model: I/O APIC MMIO, COM1's IRQ through pin 4 to the interrupt window, serial input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vcpu_env.h"
#include "host_env.h"
#include "../fixtures/cpu_fixtures.h"
#include "vmx/exit.h"
#include "vmx/exit_reason.h"
#include "vmx/vcpu_input.h"
#include "vmx/vioapic_vmx.h"

#define IOQ(port, size, in) (((uint64_t)(port) << 16) | ((size)-1) | ((in) ? BIT(3) : 0))
#define VEC                 0x44

static struct vcpu v;

static int setup(void **state)
{
	(void)state;
	vcpu_env_setup(&v, &cpu_fixture_bochs_tigerlake, ENV_XCOMP_AVX512, NULL);
	vlapic_write(&v.lapic, APIC_SVR, APIC_SVR_ENABLE | 0xff);
	v.window_exiting = true; /* the CPU allows interrupt-window exiting */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vcpu_input_detach(&v);
	vcpu_env_teardown(&v);
	return 0;
}

static void mmio_ind_write(unsigned reg, uint32_t val)
{
	vioapic_mmio_write(&v, VIOAPIC_BASE_GPA + IOAPIC_REGSEL, 4, reg);
	vioapic_mmio_write(&v, VIOAPIC_BASE_GPA + IOAPIC_WIN, 4, val);
}

static void port_out(uint16_t port, uint8_t val)
{
	env_exit(&v, EXIT_REASON_IO_INSTRUCTION, IOQ(port, 1, false), 1);
	v.regs.rax = val;
	assert_int_equal(handle_io(&v), EXIT_RESUME);
}

static uint8_t port_in(uint16_t port)
{
	env_exit(&v, EXIT_REASON_IO_INSTRUCTION, IOQ(port, 1, true), 1);
	assert_int_equal(handle_io(&v), EXIT_RESUME);
	return (uint8_t)v.regs.rax;
}

static bool window_armed(void)
{
	return vmr(CPU_BASED_VM_EXEC_CONTROL) & CPU_INTR_WINDOW_EXITING;
}

static bool irr(unsigned vec)
{
	return vlapic_read(&v.lapic, APIC_IRR + ((vec >> 5) << 4)) & (1u << (vec & 31));
}

static void test_mmio_widths(void **state)
{
	(void)state;
	assert_true(vioapic_claims(0xfec00000));
	assert_true(vioapic_claims(0xfec00fff));
	assert_false(vioapic_claims(0xfec01000));
	assert_false(vioapic_claims(0xfebfffff));
	vioapic_mmio_write(&v, VIOAPIC_BASE_GPA, 1, IOAPIC_REG_VER); /* a byte to IOREGSEL is taken */
	assert_int_equal(vioapic_mmio_read(&v, VIOAPIC_BASE_GPA + IOAPIC_WIN, 4), 0x00170011);
	assert_int_equal(vioapic_mmio_read(&v, VIOAPIC_BASE_GPA + IOAPIC_WIN + 2, 1), 0x17);
	assert_int_equal(vioapic_mmio_read(&v, VIOAPIC_BASE_GPA + IOAPIC_WIN, 2), 0x0011);
	assert_int_equal(vioapic_mmio_read(&v, VIOAPIC_BASE_GPA, 8), IOAPIC_REG_VER);
	/* Narrow or misaligned stores to IOWIN are dropped. */
	mmio_ind_write(IOAPIC_REG_REDTBL + 8, VEC);
	vioapic_mmio_write(&v, VIOAPIC_BASE_GPA + IOAPIC_WIN, 2, 0x55);
	vioapic_mmio_write(&v, VIOAPIC_BASE_GPA + IOAPIC_WIN + 1, 4, 0x55);
	assert_int_equal(vioapic_mmio_read(&v, VIOAPIC_BASE_GPA + IOAPIC_WIN, 4), VEC);
}

/* The guest enables THRE with OUT2 on: pin 4 delivers the vector and the interrupt window is armed. */
static void test_uart_irq_to_window(void **state)
{
	(void)state;
	mmio_ind_write(IOAPIC_REG_REDTBL + 9, 0);
	mmio_ind_write(IOAPIC_REG_REDTBL + 8, VEC); /* pin 4: fixed, physical APIC 0, edge */
	port_out(0x3fc, 0x03);                      /* MCR without OUT2 */
	port_out(0x3f9, 0x02);
	assert_false(irr(VEC));
	assert_false(window_armed());
	port_out(0x3fc, 0x0b); /* OUT2: the line rises */
	assert_true(irr(VEC));
	assert_true(window_armed());
	assert_int_equal(v.ioapic.delivered, 1);
	assert_int_equal(port_in(0x3fa), 0x02); /* IIR: THRE, cleared by this read */
	assert_false(vuart_irq_line(&v.uart));
	port_out(0x3f8, 'x'); /* THR written: empty again at once, a new edge */
	assert_int_equal(v.ioapic.delivered, 2);
}

static const char *typed;

static int fake_source(void)
{
	return *typed ? (uint8_t)*typed++ : -1;
}

static void test_input_poll(void **state)
{
	(void)state;
	typed = "abc";
	assert_false(vcpu_input_poll()); /* no receiver yet */
	vcpu_input_attach(&v, fake_source);
	assert_ptr_equal(vcpu_input_owner(), &v);
	mmio_ind_write(IOAPIC_REG_REDTBL + 8, VEC);
	port_out(0x3fc, 0x0b);
	port_out(0x3f9, 0x01); /* RDA */
	assert_true(vcpu_input_poll());
	assert_true(irr(VEC));
	assert_int_equal(v.uart.bytes_in, 1); /* FIFOs off: one byte at a time, the rest stays at the source */
	assert_int_equal(port_in(0x3f8), 'a');
	/* The receiver's own UART read polls: the next byte is there for its next read. */
	assert_int_equal(port_in(0x3fd) & 1, 1);
	assert_int_equal(port_in(0x3f8), 'b');
	port_out(0x3fa, 0x01); /* FIFOs on: room for the rest */
	assert_true(vcpu_input_poll());
	assert_int_equal(port_in(0x3f8), 'c');
	assert_false(vcpu_input_poll()); /* nothing left */
	vcpu_input_detach(&v);
	typed = "d";
	assert_false(vcpu_input_poll());
	assert_null(vcpu_input_owner());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mmio_widths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uart_irq_to_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_poll, setup, teardown),
	};
	return cmocka_run_group_tests_name("platdev_vmx", tests, NULL, NULL);
}
