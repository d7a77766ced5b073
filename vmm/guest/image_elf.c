/* Validates an ELF32/ELF64 executable and collects its loadable segments, reading only inside the file. */
#include "guest/image_elf.h"
#include "lib/bytes.h"

/* ELF identification and header fields (System V ABI, "ELF Header"). */
#define EI_NIDENT   16
#define EI_CLASS    4
#define EI_DATA     5
#define EI_VERSION  6
#define ELFCLASS32  1
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define EV_CURRENT  1
#define ET_EXEC     2
#define EM_386      3
#define EM_X86_64   62
#define PT_LOAD     1
#define PF_X        1

/* Where the fields sit in each class: the ELF32 and ELF64 layouts differ after e_version. */
struct elf_layout {
	unsigned ehsize, phentsize, machine;
	const char *machine_name;
	unsigned e_entry, e_phoff, e_phentsize, e_phnum;
	unsigned p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags;
	bool wide; /* addresses and sizes are 64-bit */
};

static const struct elf_layout elf32_layout = {
	.ehsize = 52,
	.phentsize = 32,
	.machine = EM_386,
	.machine_name = "EM_386 (3)",
	.e_entry = 24,
	.e_phoff = 28,
	.e_phentsize = 42,
	.e_phnum = 44,
	.p_offset = 4,
	.p_vaddr = 8,
	.p_paddr = 12,
	.p_filesz = 16,
	.p_memsz = 20,
	.p_flags = 24,
	.wide = false,
};

static const struct elf_layout elf64_layout = {
	.ehsize = 64,
	.phentsize = 56,
	.machine = EM_X86_64,
	.machine_name = "EM_X86_64 (62)",
	.e_entry = 24,
	.e_phoff = 32,
	.e_phentsize = 54,
	.e_phnum = 56,
	.p_offset = 8,
	.p_vaddr = 16,
	.p_paddr = 24,
	.p_filesz = 32,
	.p_memsz = 40,
	.p_flags = 4,
	.wide = true,
};

static uint64_t elf_addr(const struct elf_layout *l, const uint8_t *p)
{
	return l->wide ? get_le64(p) : get_le32(p);
}

static const struct elf_layout *elf_check_ident(const char *guest, const uint8_t *d, size_t size)
{
	const struct elf_layout *l;

	if (size < EI_NIDENT || d[0] != 0x7f || d[1] != 'E' || d[2] != 'L' || d[3] != 'F') {
		guest_image_refuse(guest, "not an ELF file (no \\x7fELF magic)");
		return NULL;
	}
	switch (d[EI_CLASS]) {
	case ELFCLASS32:
		l = &elf32_layout;
		break;
	case ELFCLASS64:
		l = &elf64_layout;
		break;
	default:
		guest_image_refuse(guest, "ELF class %u is neither ELFCLASS32 (1) nor ELFCLASS64 (2)", d[EI_CLASS]);
		return NULL;
	}
	if (d[EI_DATA] != ELFDATA2LSB) {
		guest_image_refuse(guest, "ELF data encoding %u is not little-endian (1)", d[EI_DATA]);
		return NULL;
	}
	if (d[EI_VERSION] != EV_CURRENT) {
		guest_image_refuse(guest, "ELF identification version %u is not 1", d[EI_VERSION]);
		return NULL;
	}
	if (size < l->ehsize) {
		guest_image_refuse(guest, "ELF header truncated (image is 0x%zx bytes, header needs 0x%x)", size,
				   l->ehsize);
		return NULL;
	}
	return l;
}

static int elf_check_header(const char *guest, const struct elf_layout *l, const uint8_t *d)
{
	unsigned type = get_le16(d + 16), machine = get_le16(d + 18);
	uint32_t version = get_le32(d + 20);

	if (type != ET_EXEC) {
		guest_image_refuse(guest, "ELF type %u is not an executable (ET_EXEC, 2)", type);
		return -1;
	}
	if (machine != l->machine) {
		guest_image_refuse(guest, "ELF machine %u is not %s for ELF%s", machine, l->machine_name,
				   l->wide ? "64" : "32");
		return -1;
	}
	if (version != EV_CURRENT) {
		guest_image_refuse(guest, "ELF version %u is not 1", version);
		return -1;
	}
	return 0;
}

/* One program header: only PT_LOAD matters, and only if it occupies memory. */
static int elf_take_phdr(const char *guest, const struct elf_layout *l, const uint8_t *ph, unsigned idx, size_t size,
			 struct guest_image *img)
{
	uint64_t off = elf_addr(l, ph + l->p_offset), filesz = elf_addr(l, ph + l->p_filesz);
	uint64_t memsz = elf_addr(l, ph + l->p_memsz);
	struct guest_seg *s;

	if (get_le32(ph) != PT_LOAD)
		return 0;
	if (filesz > memsz) {
		guest_image_refuse(guest, "ELF program header %u has file size 0x%lx above its memory size 0x%lx", idx,
				   filesz, memsz);
		return -1;
	}
	if (off > size || filesz > size - off) {
		guest_image_refuse(guest,
				   "ELF program header %u extends past the end of the image (offset 0x%lx, size 0x%lx)",
				   idx, off, filesz);
		return -1;
	}
	if (memsz == 0)
		return 0;
	if (img->nseg >= GUEST_IMAGE_SEGS_MAX) {
		guest_image_refuse(guest, "ELF has more than %u loadable segments", GUEST_IMAGE_SEGS_MAX);
		return -1;
	}
	s = &img->seg[img->nseg++];
	s->file_off = off;
	s->filesz = filesz;
	s->memsz = memsz;
	s->gpa = elf_addr(l, ph + l->p_paddr);
	s->vaddr = elf_addr(l, ph + l->p_vaddr);
	s->exec = get_le32(ph + l->p_flags) & PF_X;
	s->phdr = (int)idx;
	return 0;
}

int guest_elf_parse(const char *guest, const uint8_t *data, size_t size, struct guest_image *img, uint64_t *entry)
{
	const struct elf_layout *l = elf_check_ident(guest, data, size);
	uint64_t phoff;
	unsigned phentsize, phnum;

	if (!l || elf_check_header(guest, l, data))
		return -1;
	img->kind = l->wide ? IMAGE_ELF64 : IMAGE_ELF32;
	*entry = elf_addr(l, data + l->e_entry);
	phoff = elf_addr(l, data + l->e_phoff);
	phentsize = get_le16(data + l->e_phentsize);
	phnum = get_le16(data + l->e_phnum);
	if (phentsize != l->phentsize) {
		guest_image_refuse(guest, "ELF program header size %u is not %u", phentsize, l->phentsize);
		return -1;
	}
	if (phnum == 0) {
		guest_image_refuse(guest, "ELF has no program headers");
		return -1;
	}
	if (phnum > GUEST_ELF_PHNUM_MAX) {
		guest_image_refuse(guest, "ELF has %u program headers (at most %u supported)", phnum,
				   GUEST_ELF_PHNUM_MAX);
		return -1;
	}
	/* phnum * phentsize is at most 64 * 56, so only phoff can be absurd. */
	if (phoff > size || (uint64_t)phnum * phentsize > size - phoff) {
		guest_image_refuse(
			guest,
			"ELF program headers extend past the end of the image (offset 0x%lx, %u x %u bytes, image 0x%zx bytes)",
			phoff, phnum, phentsize, size);
		return -1;
	}
	img->nseg = 0;
	for (unsigned i = 0; i < phnum; i++)
		if (elf_take_phdr(guest, l, data + phoff + (uint64_t)i * phentsize, i, size, img))
			return -1;
	if (img->nseg == 0) {
		guest_image_refuse(guest, "ELF has no loadable (PT_LOAD) segment");
		return -1;
	}
	return 0;
}
