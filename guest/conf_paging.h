/* Identity-mapped page tables for the conformance checks that need paging: 32-bit, PAE and 4-level. */
#ifndef GUEST_CONF_PAGING_H
#define GUEST_CONF_PAGING_H

#include "types.h"

/* Page-table entry bits (SDM Vol. 3A 4.3, 4.4.2, 4.5.4). */
#define PTE_P         BIT(0)
#define PTE_RW        BIT(1)
#define PTE_US        BIT(2)
#define PTE_PS        BIT(7)
#define PTE_XD        BIT(63)
#define PDE4M_RSVD_21 BIT(21) /* reserved in a 4-MByte PDE (Table 4-4) */

/* The 4-KByte-page window of the 32-bit tables: its page table maps [CONF_WINDOW, +4 MiB). */
#define CONF_WINDOW     0x00800000u
#define CONF_WINDOW_END 0x00c00000u

/*
 * 32-bit paging with CR4.PSE: 4-MByte identity pages for all 4 GiB, except the window, mapped by
 * 4-KByte pages (identity, present, writable) so single pages can be changed. Returns CR3.
 */
uint32_t conf_pg32_build(void);
uint32_t *conf_pg32_pte(uint32_t addr);
uint32_t *conf_pg32_pde(uint32_t addr);

/* PAE paging: 2-MByte identity pages for 4 GiB (four page directories). Returns CR3 (the PDPT). */
uint32_t conf_pae_build(void);
uint64_t *conf_pae_pde(uint32_t addr);
uint64_t *conf_pae_pdpte(unsigned i);

/* 4-level paging over the same page directories: PML4[0] -> PDPT -> the four PDs. Returns CR3. */
uint32_t conf_lm_build(void);

/* Turns paging on (with CR4.PSE or CR4.PAE as asked) or off; the caller restores CR4. */
void conf_paging_on(uint32_t cr3, bool pae);
void conf_paging_off(void);
void conf_invlpg(uint32_t addr);

#endif
