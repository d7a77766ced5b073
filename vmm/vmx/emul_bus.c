/*
 * The guest-physical bus as emulated instructions see it. Guest RAM is reached through the EPT walker
 * only; the local APIC page (vlapic_vmx.c) and the I/O APIC page (vioapic_vmx.c) are the devices;
 * every other address behaves like an unclaimed PC bus: each byte reads FFH and writes go nowhere, so nothing outside the guest is touched.
 * The first few such accesses are reported, once per page in a row, to keep logs short.
 */
#include "vmx/emul.h"
#include "ept/ept_walk.h"
#include "vmx/vioapic_vmx.h"
#include "vmx/vlapic_vmx.h"
#include "log.h"

#define UNBACKED_REPORTS_MAX 8

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * size)) - 1;
}

static bool in_ram(const struct vcpu *v, uint64_t gpa, unsigned size)
{
	return gpa < v->mem.size && size <= v->mem.size - gpa;
}

bool emul_bus_unbacked(const struct vcpu *v, uint64_t gpa)
{
	return !in_ram(v, gpa, 1) && !vlapic_claims(gpa) && !vioapic_claims(gpa);
}

static void report(struct vcpu *v, uint64_t gpa, unsigned size, bool write)
{
	if (v->io.unbacked_reports >= UNBACKED_REPORTS_MAX || (gpa >> 12) == v->io.unbacked_logged_page)
		return;
	v->io.unbacked_reports++;
	v->io.unbacked_logged_page = gpa >> 12;
	pr_info("guest %s: %u-byte %s at GPA 0x%lx outside its RAM: %s\n", v->name, size, write ? "write" : "read", gpa,
		write ? "dropped" : "reads all ones");
}

int emul_bus_read(struct vcpu *v, uint64_t gpa, unsigned size, uint64_t *val)
{
	*val = 0;
	if (in_ram(v, gpa, size))
		return ept_read_guest(v->mem.ept, gpa, val, size) == size ? 0 : -1;
	if (vlapic_claims(gpa)) {
		*val = vlapic_mmio_read(v, gpa, size);
		return 0;
	}
	if (vioapic_claims(gpa)) {
		*val = vioapic_mmio_read(v, gpa, size);
		return 0;
	}
	report(v, gpa, size, false);
	*val = size_mask(size);
	return 0;
}

int emul_bus_write(struct vcpu *v, uint64_t gpa, unsigned size, uint64_t val)
{
	if (in_ram(v, gpa, size))
		return ept_write_guest(v->mem.ept, gpa, &val, size) == size ? 0 : -1;
	if (vlapic_claims(gpa))
		vlapic_mmio_write(v, gpa, size, val);
	else if (vioapic_claims(gpa))
		vioapic_mmio_write(v, gpa, size, val);
	else
		report(v, gpa, size, true);
	return 0;
}
