/* Memory maps from the multiboot2 mmap tag and the EFI memory map tag. */
#ifndef PTV_BOOT_MMAP_H
#define PTV_BOOT_MMAP_H

#include "boot_parse.h"

/*
 * Fills bi->mmap from a multiboot2 memory map tag (type 6). Returns false,
 * leaving bi->mmap empty, when the entries cannot be walked at all (bad
 * entry_size), so the caller may fall back to the EFI map.
 */
bool boot_mmap_parse_mb2(struct boot_info *bi, const struct mb2_tag *t);

/* Counts the descriptors of an EFI memory map tag (type 17) into bi->efi_mmap_count. */
void boot_mmap_count_efi(struct boot_info *bi, const struct mb2_tag *t);

/* Fills bi->mmap from an EFI memory map tag, merging adjacent ranges of one type. */
void boot_mmap_parse_efi(struct boot_info *bi, const struct mb2_tag *t);

/* Maps a UEFI EFI_MEMORY_TYPE to enum mem_type. */
uint32_t boot_mmap_convert_efi_type(uint32_t efi_type);

#endif
