/* Guest kernel images: validation of ELF32/ELF64 and multiboot1/2 headers, and loading into guest RAM. */
#ifndef PTV_GUEST_IMAGE_H
#define PTV_GUEST_IMAGE_H

#include "types.h"
#include "log.h"
#include "guest/guest_mem.h"

enum image_kind {
	IMAGE_ELF32,
	IMAGE_ELF64,
	IMAGE_FLAT,    /* placed by the multiboot address fields (mb1 a.out kludge, mb2 address tag) */
	IMAGE_BZIMAGE, /* a Linux bzImage: its protected-mode part, placed by its setup header */
};

enum boot_proto {
	BOOT_MULTIBOOT1,
	BOOT_MULTIBOOT2,
	BOOT_LINUX, /* the Linux/x86 32-bit boot protocol: zero page in ESI (linux_boot.h) */
};

/* Loadable segments one image may have; real kernels have two or three. */
#define GUEST_IMAGE_SEGS_MAX 16
/* More program headers than this is not a kernel but a corrupt or hostile file. */
#define GUEST_ELF_PHNUM_MAX 64
/* Nothing is loaded below this guest-physical address: page 0 stays unused. */
#define GUEST_LOAD_MIN 0x1000u
/* The legacy VGA/ROM hole, reported reserved in the guest's memory map. */
#define GUEST_LEGACY_LO 0x9f000u
#define GUEST_LEGACY_HI 0x100000u

/* One span to copy: file bytes [file_off, +filesz) to GPA gpa, then zeroes up to memsz. */
struct guest_seg {
	uint64_t file_off, filesz;
	uint64_t gpa, memsz;
	uint64_t vaddr; /* the link address: the ELF entry point is given in these terms */
	bool exec;      /* PF_X; always true for a flat image */
	int phdr;       /* ELF program header index, -1 for the multiboot address fields */
};

/* The multiboot header as found in the image. */
struct guest_mbh {
	uint32_t offset;       /* file offset of the header */
	uint32_t mb1_flags;    /* multiboot1 header flags */
	uint32_t mb2_requests; /* bit n: the image asked for info tag type n (n < 32) */
	bool has_addr;         /* mb1 flags bit 16, or an mb2 address tag */
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
	bool has_entry; /* mb1 flags bit 16, or an mb2 entry address tag */
	uint32_t entry_addr;
};

/* What the Linux boot protocol needs from a bzImage's setup header (linux_boot.h). */
struct guest_lx {
	uint32_t hdr_end;      /* the setup header is image bytes [0x1f1, hdr_end) */
	uint16_t version;      /* boot protocol version */
	uint32_t cmdline_size; /* longest command line the kernel takes */
	uint32_t initrd_max;   /* highest address an initrd byte may have */
};

/* The result of guest_image_check(). */
struct guest_image {
	enum image_kind kind;
	enum boot_proto proto;
	uint32_t entry;            /* 32-bit physical entry (multiboot entry is 32-bit code even in ELF64 files) */
	uint64_t load_lo, load_hi; /* lowest and highest (inclusive) guest-physical byte the image occupies */
	struct guest_mbh mbh;
	struct guest_lx lx; /* BOOT_LINUX only */
	unsigned nseg;
	struct guest_seg seg[GUEST_IMAGE_SEGS_MAX];
};

/*
 * Validates the module bytes for a guest of mem_size bytes and fills img;
 * returns 0, or -1 after a pr_err that names the guest and the exact problem.
 * Never reads outside data[0..size).
 */
int guest_image_check(const char *guest, const void *data, size_t size, uint64_t mem_size, struct guest_image *img);
/* Copies the checked segments into guest memory and zeroes their bss; 0 or -1 (reported). */
int guest_image_load(const char *guest, const void *data, size_t size, const struct guest_image *img,
		     const struct guest_mem *gm);
const char *guest_image_kind_name(enum image_kind kind);
const char *guest_boot_proto_name(enum boot_proto proto);

/* Internal to the checkers: one "guest NAME: refused: ..." error line. */
void guest_image_refuse(const char *guest, const char *fmt, ...) __printf(2, 3);

#endif
