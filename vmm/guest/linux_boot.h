/*
 * The Linux/x86 boot protocol as ptvisor speaks it (Documentation/arch/x86/boot.rst and zero-page.rst):
 * a bzImage's setup header, and the zero page ("boot_params") a 32-bit entry finds in ESI.
 */
#ifndef PTV_GUEST_LINUX_BOOT_H
#define PTV_GUEST_LINUX_BOOT_H

#include "types.h"
#include "guest/config.h"
#include "guest/guest_mem.h"
#include "guest/image.h"
#include "guest/layout.h"

/* Setup header fields: offsets in the image's first sector, and the same offsets in the zero page. */
#define LX_SETUP_SECTS     0x1f1 /* u8: 512-byte setup sectors after the boot sector; 0 means 4 */
#define LX_BOOT_FLAG       0x1fe /* u16: 0xAA55 */
#define LX_JUMP            0x200 /* u16: a short jump; its displacement ends the header at 0x202 + disp */
#define LX_HEADER          0x202 /* u32: "HdrS" */
#define LX_VERSION         0x206 /* u16: protocol version, major.minor as 0xMMmm */
#define LX_TYPE_OF_LOADER  0x210 /* u8 */
#define LX_LOADFLAGS       0x211 /* u8 */
#define LX_CODE32_START    0x214 /* u32 */
#define LX_RAMDISK_IMAGE   0x218 /* u32 */
#define LX_RAMDISK_SIZE    0x21c /* u32 */
#define LX_HEAP_END_PTR    0x224 /* u16 */
#define LX_CMD_LINE_PTR    0x228 /* u32 */
#define LX_INITRD_ADDR_MAX 0x22c /* u32: highest byte address the initrd may occupy */
#define LX_KERNEL_ALIGN    0x230 /* u32 */
#define LX_RELOCATABLE     0x234 /* u8 */
#define LX_CMDLINE_SIZE    0x238 /* u32: longest command line, without its NUL (2.06+) */
#define LX_PREF_ADDRESS    0x258 /* u64 (2.10+) */
#define LX_INIT_SIZE       0x260 /* u32: bytes the kernel needs from its load address (2.10+) */

#define LX_BOOT_FLAG_MAGIC 0xaa55u
#define LX_HEADER_MAGIC    0x53726448u /* "HdrS" */
#define LX_VERSION_MIN     0x020a      /* 2.10: pref_address and init_size */
#define LX_LOADED_HIGH     BIT(0)      /* loadflags: the protected-mode code loads at 1 MiB or above */
#define LX_LOADER_UNDEF    0xffu       /* type_of_loader: a loader without an assigned ID */

/* Zero-page fields outside the setup header. */
#define LX_ZP_ALT_MEM_K    0x1e0 /* u32: KiB of memory above 1 MiB (obsolete; some code still reads it) */
#define LX_ZP_E820_ENTRIES 0x1e8 /* u8 */
#define LX_ZP_E820_TABLE   0x2d0 /* 128 entries of { u64 addr; u64 size; u32 type } */
#define LX_ZP_SIZE         0x1000u
#define LX_E820_MAX        128u
#define LX_E820_RAM        1u
#define LX_E820_RESERVED   2u

/* The boot information of a Linux guest: the zero page, then the command line on the next page. */
#define LX_INFO_SIZE (2u * LX_ZP_SIZE)

/*
 * Recognises a bzImage (boot flag and "HdrS"); 0 when it is none, 1 when it
 * is one and img describes it, -1 when it is one ptvisor refuses (reported
 * by name: too old, not loadable high, or bigger than the guest's RAM).
 */
int linux_image_check(const char *guest, const uint8_t *d, size_t size, uint64_t mem_size, struct guest_image *img);
/*
 * Writes the zero page and the command line at l->info_gpa (LX_INFO_SIZE
 * bytes) and returns the zero page's GPA for ESI, or 0 after a "guest NAME:
 * refused: ..." line (a command line longer than the kernel takes, an initrd
 * the kernel cannot reach).
 */
uint32_t linux_zeropage_build(const struct guest_image *img, const void *image, const struct guest_config *c,
			      const struct guest_mem *gm, const struct guest_layout *l);

#endif
