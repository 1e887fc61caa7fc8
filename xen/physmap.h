/*
 * xen/physmap: Xen's view of the guest's physical memory. The memory map comes from
 * XENMEM_memory_map (the start info's copy stays when Xen does not answer), and pages Xen
 * owns (shared_info, grant-table frames) are placed with XENMEM_add_to_physmap into frames
 * that are not RAM (a hole the platform finds and maps: struct xen_physmap_space, handed
 * down by platform/pvh at boot).
 */
#ifndef XENOLITH_XEN_PHYSMAP_H
#define XENOLITH_XEN_PHYSMAP_H

#include <stddef.h>
#include "xen/hypercall.h"
#include "arch/x86_64/arch.h"
#include <xen/xen.h>

/* What the platform owns of guest-physical space (platform/pvh/iomap.c). */
struct xen_physmap_space {
    /* Reserves `pages` 4 KiB frames that no memory-map entry covers, mapped read-write,
     * and returns the first one's address; 0 when no hole is large enough. */
    uint64_t (*reserve_hole)(size_t pages);
    /* Replaces the platform's memory map with Xen's (entries in E820 layout). 0, or a
     * negative errno for an empty or malformed map (the old map stays). */
    int (*adopt_memmap)(const struct memmap_entry *entries, size_t count);
};

/* Adopts XENMEM_memory_map's map and maps shared_info, both through `space` (kept for later
 * placements). Call right after xen_early_init(), before anything reads time or events. 0, or
 * a negative errno (shared_info is required). */
int xen_physmap_init(const struct xen_physmap_space *space);

/* Where the memory map came from: "XENMEM_memory_map" or "start info". */
const char *xen_physmap_memmap_source(void);

/* The shared_info page (time, wall clock, event bitmaps), NULL before xen_physmap_init. */
struct shared_info *xen_shared_info(void);

/* Places `count` frames of an XENMAPSPACE_* space (indices first_idx...) into a fresh hole and
 * returns the address of the first, or 0 on failure (*err says why). */
void *xen_physmap_place(unsigned space, unsigned long first_idx, unsigned count, int *err);
/* The same into frames already placed once (at `at`): after a resume, the new domain's
 * frames go where the old domain's were. 0 or a negative errno. */
int xen_physmap_place_at(unsigned space, unsigned long first_idx, unsigned count, void *at);

/* After a resume in a new domain (xen/suspend.h): maps the new shared_info at the old one's
 * frame. 0 or a negative errno. */
int xen_physmap_resume(void);

#endif
