/* The MADT: which processors exist (by APIC id), the local APIC address and the IOAPICs. */
#include "acpi/acpi_tables.h"
#include "log.h"

/* Enabled, or disabled but online capable (may be brought up later): either is a CPU to know. */
static void madt_add_cpu(struct acpi_madt_info *m, uint32_t apic_id, uint32_t flags)
{
	if (!(flags & (MADT_LAPIC_ENABLED | MADT_LAPIC_ONLINE_CAPABLE))) {
		m->cpus_disabled++;
		return;
	}
	/* Firmware may describe one CPU by both an xAPIC and an x2APIC entry. */
	for (unsigned i = 0; i < m->cpu_count; i++) {
		if (m->cpu_apic_ids[i] == apic_id) {
			pr_dbg("acpi: MADT lists APIC id %u twice\n", apic_id);
			return;
		}
	}
	if (m->cpu_count >= ACPI_MAX_CPUS) {
		m->cpus_dropped++;
		return;
	}
	m->cpu_apic_ids[m->cpu_count++] = apic_id;
}

static void madt_add_ioapic(struct acpi_madt_info *m, const uint8_t *e)
{
	struct acpi_ioapic *io;

	if (m->ioapic_count >= ACPI_MAX_IOAPICS) {
		pr_warn("acpi: more than %u IOAPICs, IOAPIC %u ignored\n", ACPI_MAX_IOAPICS, e[2]);
		m->problems++;
		return;
	}
	io = &m->ioapics[m->ioapic_count++];
	io->id = e[2];
	io->addr = get_le32(e + 4);
	io->gsi_base = get_le32(e + 8);
}

/* Minimum length of each structure we read; 0 for the ones we skip. */
static unsigned madt_min_len(uint8_t type)
{
	switch (type) {
	case MADT_TYPE_LAPIC:
		return 8;
	case MADT_TYPE_IOAPIC:
	case MADT_TYPE_LAPIC_OVR:
		return 12;
	case MADT_TYPE_X2APIC:
		return 16;
	default:
		return 0;
	}
}

static void madt_parse_entry(struct acpi_madt_info *m, const uint8_t *e, uint32_t off)
{
	uint8_t type = e[0], len = e[1];

	if (len < madt_min_len(type)) {
		pr_warn("acpi: MADT type %u entry at offset %u is %u bytes, expected %u; skipped\n", type, off, len,
			madt_min_len(type));
		m->problems++;
		return;
	}
	switch (type) {
	case MADT_TYPE_LAPIC:
		madt_add_cpu(m, e[3], get_le32(e + 4));
		break;
	case MADT_TYPE_X2APIC:
		madt_add_cpu(m, get_le32(e + 4), get_le32(e + 8));
		break;
	case MADT_TYPE_IOAPIC:
		madt_add_ioapic(m, e);
		break;
	case MADT_TYPE_LAPIC_OVR:
		/* A 64-bit address here supersedes the 32-bit one in the header. */
		m->lapic_addr = get_le64(e + 4);
		break;
	default:
		/* Overrides, NMI sources and the like: the VMM does not route interrupts by them. */
		break;
	}
}

void acpi_madt_parse(const uint8_t *t, uint32_t len, struct acpi_madt_info *out)
{
	uint32_t off;

	memset(out, 0, sizeof(*out));
	if (len < MADT_ENTRIES) {
		pr_warn("acpi: MADT is only %u bytes long, ignored\n", len);
		out->problems++;
		return;
	}
	out->found = true;
	out->lapic_addr = get_le32(t + MADT_LAPIC_ADDR);
	/* Each entry is (type, length, ...); a length under 2 would never advance. */
	for (off = MADT_ENTRIES; off < len; off += t[off + 1]) {
		if (len - off < 2) {
			pr_warn("acpi: MADT ends inside an entry header at offset %u\n", off);
			out->problems++;
			break;
		}
		if (t[off + 1] < 2) {
			pr_warn("acpi: MADT entry at offset %u has length %u, parsing stopped\n", off, t[off + 1]);
			out->problems++;
			break;
		}
		if (t[off + 1] > len - off) {
			pr_warn("acpi: MADT entry at offset %u (type %u, length %u) runs past the table, parsing stopped\n",
				off, t[off], t[off + 1]);
			out->problems++;
			break;
		}
		madt_parse_entry(out, t + off, off);
	}
}
