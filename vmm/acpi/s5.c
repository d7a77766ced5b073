/*
 * Finds the \_S5 sleep-type package in AML by pattern, without an interpreter:
 * Name(\_S5_, Package(){SLP_TYPa, SLP_TYPb, ...}) is static data in practice.
 */
#include "acpi/acpi_tables.h"
#include "log.h"

/* Opcodes from ACPI 6.5, 20.2 "AML Grammar Definition". */
#define AML_ZERO_OP      0x00
#define AML_ONE_OP       0x01
#define AML_NAME_OP      0x08
#define AML_BYTE_PREFIX  0x0a
#define AML_WORD_PREFIX  0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_PACKAGE_OP   0x12
#define AML_ROOT_CHAR    0x5c /* '\' */

/* SLP_TYPx is a 3-bit field of PM1x_CNT. */
#define SLP_TYP_MAX 7

/*
 * PkgLength (20.2.4 "Package Length Encoding"): bits 7-6 of the lead byte give
 * 0-3 following bytes; with none, bits 5-0 are the length, else bits 3-0 are
 * its low nibble and each following byte the next 8 bits. The length counts
 * from the lead byte. Returns the bytes consumed, 0 if malformed or truncated.
 */
static size_t aml_pkg_length(const uint8_t *p, size_t avail, uint32_t *len)
{
	unsigned follow;
	uint32_t v;

	if (avail < 1)
		return 0;
	follow = p[0] >> 6;
	if (follow == 0) {
		*len = p[0] & 0x3f;
		return 1;
	}
	if ((p[0] & 0x30) || avail < 1 + (size_t)follow)
		return 0;
	v = p[0] & 0x0f;
	for (unsigned i = 0; i < follow; i++)
		v |= (uint32_t)p[1 + i] << (4 + 8 * i);
	*len = v;
	return 1 + follow;
}

/* An integer package element (20.2.3 "Data Objects Encoding"); 0 if not one or truncated. */
static size_t aml_integer(const uint8_t *p, size_t avail, uint32_t *v)
{
	if (avail < 1)
		return 0;
	switch (p[0]) {
	case AML_ZERO_OP:
		*v = 0;
		return 1;
	case AML_ONE_OP:
		*v = 1;
		return 1;
	case AML_BYTE_PREFIX:
		if (avail < 2)
			return 0;
		*v = p[1];
		return 2;
	case AML_WORD_PREFIX:
		if (avail < 3)
			return 0;
		*v = get_le16(p + 1);
		return 3;
	case AML_DWORD_PREFIX:
		if (avail < 5)
			return 0;
		*v = get_le32(p + 1);
		return 5;
	default:
		return 0;
	}
}

/* DefPackage := PackageOp PkgLength NumElements PackageElementList, every read inside it. */
static bool aml_parse_s5_package(const uint8_t *p, size_t avail, struct acpi_s5 *out)
{
	uint32_t pkglen, typa, typb;
	size_t n, pos, end, k;

	if (avail < 1 || p[0] != AML_PACKAGE_OP)
		return false;
	n = aml_pkg_length(p + 1, avail - 1, &pkglen);
	if (!n || pkglen < n + 1 || pkglen > avail - 1)
		return false;
	end = 1 + pkglen;
	pos = 1 + n;
	if (p[pos++] < 2)
		return false;
	k = aml_integer(p + pos, end - pos, &typa);
	if (!k)
		return false;
	pos += k;
	if (!aml_integer(p + pos, end - pos, &typb))
		return false;
	if (typa > SLP_TYP_MAX || typb > SLP_TYP_MAX)
		return false;
	out->found = true;
	out->slp_typa = (uint8_t)typa;
	out->slp_typb = (uint8_t)typb;
	return true;
}

bool acpi_aml_find_s5(const uint8_t *aml, size_t len, struct acpi_s5 *out)
{
	memset(out, 0, sizeof(*out));
	/* NameOp NameString: the name may carry a root prefix, "\_S5_". */
	for (size_t i = 1; i + 4 <= len; i++) {
		bool named;

		if (memcmp(aml + i, "_S5_", 4))
			continue;
		named = aml[i - 1] == AML_NAME_OP ||
			(aml[i - 1] == AML_ROOT_CHAR && i >= 2 && aml[i - 2] == AML_NAME_OP);
		if (!named)
			continue;
		if (aml_parse_s5_package(aml + i + 4, len - i - 4, out))
			return true;
		pr_warn("acpi: malformed \\_S5 package at AML offset 0x%zx, ignored\n", i);
	}
	return false;
}
