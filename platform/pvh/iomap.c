/*
 * platform/pvh/iomap: the memory map as the hypervisor reports it, and holes in guest-physical
 * space for frames the hypervisor places there (see iomap.h).
 */
#include "platform/pvh/iomap.h"
#include "platform/pvh/pvh.h"
#include "lib/errno.h"
#include "lib/printf.h"

#define PAGE_SIZE 4096ull
#define HOLE_SEARCH_END 0xfec00000ull   /* IOAPIC, LAPIC and firmware live above */
#define LAPIC_PAGE 0xfee00000ull

static uint64_t next_hole;   /* 0: not yet placed */

static bool overlaps_entry(uint64_t base, uint64_t end)
{
    const struct memmap_entry *e;
    size_t n = memmap_entries(&e);
    for (size_t i = 0; i < n; i++)
        if (base < e[i].base + e[i].length && e[i].base < end)
            return true;
    return base <= LAPIC_PAGE && LAPIC_PAGE < end;
}

/* The first free address above every RAM entry below the search end, on a 2 MiB boundary so
 * the reserved frames never share a large page with RAM. */
static uint64_t hole_start(void)
{
    const struct memmap_entry *e;
    size_t n = memmap_entries(&e);
    uint64_t top = (uintptr_t)_kernel_end;
    for (size_t i = 0; i < n; i++) {
        uint64_t end = e[i].base + e[i].length;
        if (e[i].type == MEMMAP_TYPE_RAM && end <= HOLE_SEARCH_END && end > top)
            top = end;
    }
    return (top + 0x1fffffull) & ~0x1fffffull;
}

uint64_t iomap_reserve_hole(size_t pages)
{
    if (pages == 0)
        return 0;
    if (next_hole == 0)
        next_hole = hole_start();
    uint64_t len = pages * PAGE_SIZE;
    for (uint64_t base = next_hole; base + len <= HOLE_SEARCH_END; base += PAGE_SIZE) {
        if (overlaps_entry(base, base + len))
            continue;
        paging_map_data_range(base, base + len);
        next_hole = base + len;
        return base;
    }
    return 0;
}

int iomap_adopt_memmap(const struct memmap_entry *entries, size_t count)
{
    if (count == 0)
        return -EINVAL;
    static struct memmap_entry copy[64];
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (entries[i].length == 0)
            continue;
        if (entries[i].base + entries[i].length < entries[i].base || kept == 64)
            return -EINVAL;
        copy[kept++] = (struct memmap_entry){ entries[i].base, entries[i].length, entries[i].type };
    }
    if (kept == 0)
        return -EINVAL;
    /* Map what the loader's map did not already cover (identical entries are mapped). */
    const struct memmap_entry *old;
    size_t old_count = memmap_entries(&old);
    for (size_t i = 0; i < kept; i++) {
        bool known = false;
        for (size_t j = 0; j < old_count && !known; j++)
            known = old[j].base == copy[i].base && old[j].length == copy[i].length;
        if (!known)
            paging_map_data_range(copy[i].base, copy[i].base + copy[i].length);
    }
    memmap_replace(copy, kept);
    return 0;
}
