/* The guest's Intel PT capability set: the emulated set, the host-derived set, and its CPUID view. */
#include "pt/pt_vcaps.h"
#include "lib/string.h"
#include "lib/format.h"
#include "log.h"

/*
 * What ptvisor virtualizes: CPUID.14H.0:EBX bits 0-5 and ECX bits 0-2 (SDM Vol. 2A, leaf 14H).
 * ECX[3], output to the trace transport subsystem (IA32_RTIT_CTL.FabricEn), is never offered:
 * that output bypasses ToPA and EPT and leaves the guest for the platform (SDM 33.2.7 "Trace Output").
 */
#define VCAPS_EBX_KNOWN GENMASK(5, 0)
#define VCAPS_ECX_KNOWN GENMASK(2, 0)

struct vcaps_feature {
	const char *name;
	bool in_ecx;
	uint32_t bit;
};

static const struct vcaps_feature features[] = {
	{ "cr3", false, CPUID_14_0_EBX_CR3_FILTER },     { "psb", false, CPUID_14_0_EBX_PSB_CYC },
	{ "ip", false, CPUID_14_0_EBX_IP_FILTER },       { "mtc", false, CPUID_14_0_EBX_MTC },
	{ "ptwrite", false, CPUID_14_0_EBX_PTWRITE },    { "power", false, CPUID_14_0_EBX_POWER_EVENT },
	{ "topa", true, CPUID_14_0_ECX_TOPA },           { "multi", true, CPUID_14_0_ECX_TOPA_MULTI },
	{ "single", true, CPUID_14_0_ECX_SINGLE_RANGE },
};

void pt_vcaps_emulated(struct pt_vcaps *c, uint8_t maxphyaddr)
{
	*c = (struct pt_vcaps){
		.leaf0 = { .eax = 1,
			   .ebx = CPUID_14_0_EBX_CR3_FILTER | CPUID_14_0_EBX_PSB_CYC | CPUID_14_0_EBX_IP_FILTER,
			   .ecx = CPUID_14_0_ECX_TOPA | CPUID_14_0_ECX_TOPA_MULTI | CPUID_14_0_ECX_SINGLE_RANGE },
		.leaf1 = { .eax = 2, .ebx = 0x003f0001 },
		.maxphyaddr = maxphyaddr,
		.enabled = true,
	};
}

/*
 * Keeps the set self-consistent (SDM Vol. 2A, leaf 14H): the MTC period
 * bitmap means nothing without MTC, the CYC/PSB bitmaps nothing without
 * configurable PSB/CYC, address ranges nothing without IP filtering, and
 * multiple ToPA entries nothing without ToPA.
 */
static void vcaps_normalize(struct pt_vcaps *c)
{
	if (!(c->leaf0.ebx & CPUID_14_0_EBX_MTC))
		c->leaf1.eax &= 0xffff;
	if (!(c->leaf0.ebx & CPUID_14_0_EBX_PSB_CYC))
		c->leaf1.ebx = 0;
	if (!(c->leaf0.ebx & CPUID_14_0_EBX_IP_FILTER))
		c->leaf1.eax &= ~0x7u;
	if (!(c->leaf0.ecx & CPUID_14_0_ECX_TOPA))
		c->leaf0.ecx &= ~CPUID_14_0_ECX_TOPA_MULTI;
}

static const struct vcaps_feature *vcaps_feature(const char *s, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(features); i++)
		if (strlen(features[i].name) == len && !strncmp(features[i].name, s, len))
			return &features[i];
	return NULL;
}

/* One spec word into the wanted bits; -1 with a message when unknown or beyond the host. */
static int vcaps_spec_word(const char *w, size_t len, const struct pt_vcaps *host, uint32_t *ebx, uint32_t *ecx,
			   unsigned *ranges)
{
	const struct vcaps_feature *f = vcaps_feature(w, len);
	char word[24];
	uint64_t n;

	/* The formatter has no precision: name the word from a bounded copy. */
	ptv_strlcpy(word, w, MIN(len + 1, sizeof(word)));
	if (len > 7 && !strncmp(w, "ranges=", 7)) {
		if (!ptv_parse_u64(w + 7, len - 7, false, &n) || n > pt_vcaps_ranges(host)) {
			pr_err("PT caps: '%s': the host has %u address ranges\n", word, pt_vcaps_ranges(host));
			return -1;
		}
		*ranges = (unsigned)n;
		return 0;
	}
	if (!f && !strcmp(word, "fabric")) {
		pr_err("PT caps: 'fabric' is never offered to guests: trace transport output (FabricEn) "
		       "bypasses ToPA and EPT and leaves the guest's memory\n");
		return -1;
	}
	if (!f) {
		pr_err("PT caps: unknown feature '%s'\n", word);
		return -1;
	}
	if (!((f->in_ecx ? host->leaf0.ecx : host->leaf0.ebx) & f->bit)) {
		pr_err("PT caps: '%s' requested but the host's Intel PT lacks it\n", f->name);
		return -1;
	}
	*(f->in_ecx ? ecx : ebx) |= f->bit;
	return 0;
}

static int vcaps_apply_spec(struct pt_vcaps *c, const char *spec)
{
	uint32_t ebx = 0, ecx = 0;
	unsigned ranges = 0;
	const char *p = spec;

	while (*p) {
		size_t len = 0;

		while (p[len] && p[len] != ',')
			len++;
		if (len && vcaps_spec_word(p, len, c, &ebx, &ecx, &ranges) < 0)
			return -1;
		p += len + (p[len] == ',');
	}
	if ((ebx & CPUID_14_0_EBX_IP_FILTER) && !ranges)
		ranges = pt_vcaps_ranges(c);
	c->leaf0.ebx = ebx;
	c->leaf0.ecx = ecx | (c->leaf0.ecx & CPUID_14_0_ECX_LIP);
	c->leaf1.eax = (c->leaf1.eax & ~0x7u) | ranges;
	return 0;
}

int pt_vcaps_from_host(struct pt_vcaps *c, const struct vmx_caps *host, const char *spec)
{
	*c = (struct pt_vcaps){ .maxphyaddr = host->maxphyaddr, .la57 = host->cpuid_la57 };
	if (!cpu_has_intel_pt(host)) {
		pr_err("PT caps: the host has no Intel PT (CPUID.7.EBX[25]=0)\n");
		return -1;
	}
	if (spec && !strcmp(spec, "none"))
		return 0;
	/* Subleaf 1 only where the host has it (vmx_caps_read leaves pt_leaf1 zero otherwise). */
	c->leaf0.eax = MIN(host->pt_leaf0.eax, 1u);
	c->leaf0.ebx = host->pt_leaf0.ebx & VCAPS_EBX_KNOWN;
	c->leaf0.ecx = host->pt_leaf0.ecx & (VCAPS_ECX_KNOWN | CPUID_14_0_ECX_LIP);
	c->leaf1.eax = host->pt_leaf1.eax & (GENMASK(31, 16) | 0x7);
	c->leaf1.ebx = host->pt_leaf1.ebx;
	c->enabled = true;
	if (spec && strcmp(spec, "all") && vcaps_apply_spec(c, spec) < 0)
		goto refuse;
	vcaps_normalize(c);
	if (!(c->leaf0.ecx & (CPUID_14_0_ECX_TOPA | CPUID_14_0_ECX_SINGLE_RANGE))) {
		pr_err("PT caps: no output scheme left (topa or single)\n");
		goto refuse;
	}
	return 0;
refuse:
	*c = (struct pt_vcaps){ .maxphyaddr = host->maxphyaddr, .la57 = host->cpuid_la57 };
	return -1;
}

void pt_vcaps_print(const char *guest, const struct pt_vcaps *c)
{
	char names[96];
	size_t len = 0;

	names[0] = '\0';
	if (!c->enabled) {
		pr_info("PT for guest %s: off (CPUID.7.EBX[25]=0)\n", guest);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(features); i++) {
		uint32_t word = features[i].in_ecx ? c->leaf0.ecx : c->leaf0.ebx;

		if ((word & features[i].bit) && len < sizeof(names))
			len += (size_t)ptv_snprintf(names + len, sizeof(names) - len, " %s", features[i].name);
	}
	pr_info("PT for guest %s: 14H.0 %08x %08x %08x 14H.1 %08x %08x, ranges %u, "
		"MAXPHYADDR %u;%s\n",
		guest, c->leaf0.eax, c->leaf0.ebx, c->leaf0.ecx, c->leaf1.eax, c->leaf1.ebx, pt_vcaps_ranges(c),
		c->maxphyaddr, names);
}

void pt_vcaps_cpuid(const struct pt_vcaps *c, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	switch (leaf) {
	case 7:
		if (sub != 0)
			return;
		r->ebx &= ~CPUID_7_EBX_INTEL_PT;
		if (c->enabled)
			r->ebx |= CPUID_7_EBX_INTEL_PT;
		return;
	case 0x14:
		*r = (struct cpuid_regs){ 0, 0, 0, 0 };
		if (c->enabled && sub == 0)
			*r = c->leaf0;
		else if (c->enabled && sub == 1)
			*r = c->leaf1;
		return;
	default:
		return;
	}
}
