/* The traced memory image: raw binaries at an address (--image) and ELF PT_LOAD segments (--elf). */
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "ptdecode.h"

static int file_size(const char *path, uint64_t *size)
{
	struct stat sb;

	errno = 0;
	if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		fprintf(stderr, "ptdecode: %s: %s\n", path, errno ? strerror(errno) : "not a regular file");
		return -1;
	}
	*size = (uint64_t)sb.st_size;
	return 0;
}

static int add_section(struct pt_image_section_cache *iscache, struct pt_image *image, const char *path,
		       uint64_t offset, uint64_t size, uint64_t vaddr)
{
	int isid = pt_iscache_add_file(iscache, path, offset, size, vaddr);
	int status = isid < 0 ? isid : pt_image_add_cached(image, iscache, isid, NULL);

	if (status < 0) {
		fprintf(stderr, "ptdecode: %s: cannot add 0x%llx bytes at 0x%llx: %s\n", path, (unsigned long long)size,
			(unsigned long long)vaddr, pt_errstr(pt_errcode(status)));
		return -1;
	}
	return 0;
}

/* One program header, widened to 64 bits whatever the ELF class. */
struct pd_phdr {
	uint32_t type;
	uint64_t offset, vaddr, filesz;
};

static int read_at(FILE *f, uint64_t off, void *buf, size_t len)
{
	return fseeko(f, (off_t)off, SEEK_SET) == 0 && fread(buf, 1, len, f) == len ? 0 : -1;
}

static int read_phdr(FILE *f, bool is64, uint64_t off, struct pd_phdr *ph)
{
	if (is64) {
		Elf64_Phdr p;

		if (read_at(f, off, &p, sizeof(p)))
			return -1;
		*ph = (struct pd_phdr){ p.p_type, p.p_offset, p.p_vaddr, p.p_filesz };
	} else {
		Elf32_Phdr p;

		if (read_at(f, off, &p, sizeof(p)))
			return -1;
		*ph = (struct pd_phdr){ p.p_type, p.p_offset, p.p_vaddr, p.p_filesz };
	}
	return 0;
}

/* Only the ELF header and the program headers are read: the segments are what executed. */
static int add_elf(struct pt_image_section_cache *iscache, struct pt_image *image, const char *path, uint64_t bias)
{
	unsigned char id[EI_NIDENT];
	uint64_t size, phoff, phentsize, phnum, loads = 0;
	FILE *f;
	bool is64;
	int rc = -1;

	if (file_size(path, &size) < 0)
		return -1;
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "ptdecode: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (read_at(f, 0, id, sizeof(id)) || memcmp(id, ELFMAG, SELFMAG) ||
	    (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64) || id[EI_DATA] != ELFDATA2LSB) {
		fprintf(stderr, "ptdecode: %s: not a little-endian ELF32/ELF64 file\n", path);
		goto out;
	}
	is64 = id[EI_CLASS] == ELFCLASS64;
	if (is64) {
		Elf64_Ehdr eh;

		if (read_at(f, 0, &eh, sizeof(eh)))
			goto bad;
		phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum;
	} else {
		Elf32_Ehdr eh;

		if (read_at(f, 0, &eh, sizeof(eh)))
			goto bad;
		phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum;
	}
	if (phentsize < (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || phoff > size ||
	    phnum * phentsize > size - phoff)
		goto bad;
	for (uint64_t i = 0; i < phnum; i++) {
		struct pd_phdr ph;

		if (read_phdr(f, is64, phoff + i * phentsize, &ph))
			goto bad;
		if (ph.type != PT_LOAD || !ph.filesz)
			continue;
		if (ph.offset > size || ph.filesz > size - ph.offset) {
			fprintf(stderr, "ptdecode: %s: segment %llu lies outside the file\n", path,
				(unsigned long long)i);
			goto out;
		}
		if (add_section(iscache, image, path, ph.offset, ph.filesz, ph.vaddr + bias) < 0)
			goto out;
		loads++;
	}
	if (!loads) {
		fprintf(stderr, "ptdecode: %s: no PT_LOAD segment with file contents\n", path);
		goto out;
	}
	rc = 0;
	goto out;
bad:
	fprintf(stderr, "ptdecode: %s: truncated or malformed ELF program headers\n", path);
out:
	fclose(f);
	return rc;
}

int pd_image_build(const struct pd_opts *o, struct pt_image_section_cache *iscache, struct pt_image *image)
{
	for (unsigned i = 0; i < o->nsections; i++) {
		const struct pd_section_spec *s = &o->sections[i];
		uint64_t size;

		switch (s->kind) {
		case PD_SEC_RAW:
			if (file_size(s->file, &size) < 0)
				return PD_EXIT_USAGE;
			if (!size) {
				fprintf(stderr, "ptdecode: %s: empty image file\n", s->file);
				return PD_EXIT_USAGE;
			}
			if (add_section(iscache, image, s->file, 0, size, s->addr) < 0)
				return PD_EXIT_USAGE;
			break;
		case PD_SEC_ELF:
			if (add_elf(iscache, image, s->file, s->addr) < 0)
				return PD_EXIT_USAGE;
			break;
		default:
			return PD_EXIT_USAGE;
		}
	}
	return 0;
}
