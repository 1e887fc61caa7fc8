/*
 * platform/pvh/iomap: guest-physical space for frames a driver asks the hypervisor to place
 * (Xen's shared_info page, grant-table frames). They must not be RAM the page allocator owns,
 * so they go into a hole of the memory map, which this file finds and maps. xen/physmap.c
 * reaches both functions through the struct xen_physmap_space the Xen machine hands it.
 */
#ifndef XENOLITH_PLATFORM_PVH_IOMAP_H
#define XENOLITH_PLATFORM_PVH_IOMAP_H

#include <stddef.h>
#include <stdint.h>
#include "arch/x86_64/arch.h"

/* Reserves `pages` 4 KiB frames of guest-physical space that no memory-map entry covers
 * (below 4 GiB, above the highest RAM, clear of the LAPIC), maps them identity, read-write,
 * no-execute, write-back, and returns their base address; 0 when no hole is large enough or
 * no page table could be had. Reservations are never returned. */
uint64_t iomap_reserve_hole(size_t pages);

/* The memory map as the hypervisor reports it replaces the start info's copy (the loader's
 * copy stays when this is never called): entries are {base, length, E820/XEN_HVM type}.
 * New ranges are mapped like the rest; returns 0, or -EINVAL for an empty or malformed map. */
int iomap_adopt_memmap(const struct memmap_entry *entries, size_t count);

#endif
