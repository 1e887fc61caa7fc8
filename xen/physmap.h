/*
 * xen/physmap: Xen's view of the guest's physical memory. The memory map comes from
 * XENMEM_memory_map (the start info's copy stays when Xen does not answer), and pages Xen
 * owns (shared_info, grant-table frames) are placed with XENMEM_add_to_physmap into frames
 * that are not RAM (a hole the arch code finds and maps).
 */
#ifndef XENOLITH_XEN_PHYSMAP_H
#define XENOLITH_XEN_PHYSMAP_H

#include "xen/hypercall.h"
#include <xen/xen.h>

/* Adopts XENMEM_memory_map's map and maps shared_info. Call right after xen_early_init(),
 * before anything reads time or events. 0, or a negative errno (shared_info is required). */
int xen_physmap_init(void);

/* Where the memory map came from: "XENMEM_memory_map" or "start info". */
const char *xen_physmap_memmap_source(void);

/* The shared_info page (time, wall clock, event bitmaps), NULL before xen_physmap_init. */
struct shared_info *xen_shared_info(void);

/* Places `count` frames of an XENMAPSPACE_* space (indices first_idx...) into a fresh hole and
 * returns the address of the first, or 0 on failure (*err says why). */
void *xen_physmap_place(unsigned space, unsigned long first_idx, unsigned count, int *err);

#endif
