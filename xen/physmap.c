/*
 * xen/physmap: the memory map from Xen and frames placed by XENMEM_add_to_physmap (physmap.h).
 */
#include "xen/physmap.h"
#include "xen/xen.h"
#include "lib/errno.h"
#include "lib/printf.h"

#include <xen/memory.h>

#define PAGE_SHIFT 12
#define MEMMAP_MAX 64
#define KEEP_START_INFO_MAP "xenolith: XENMEM_memory_map %s (%ld); keeping the start info's map\n"

/* One entry as XENMEM_memory_map writes it: the BIOS E820 layout, 20 bytes, packed. */
struct e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

static const struct xen_physmap_space *platform_space;
static struct shared_info *shared;
static const char *memmap_source = "start info";

struct shared_info *xen_shared_info(void)
{
    return shared;
}

const char *xen_physmap_memmap_source(void)
{
    return memmap_source;
}

static void adopt_xen_memory_map(void)
{
    static struct e820_entry raw[MEMMAP_MAX];
    struct xen_memory_map map = { .nr_entries = MEMMAP_MAX };
    set_xen_guest_handle(map.buffer, raw);
    long rc = xen_memory_op(XENMEM_memory_map, &map);
    /* One message for the three refusals: its text is in every image. */
    const char *problem = rc < 0 ? "refused" : "returned too many entries";
    if (rc < 0 || map.nr_entries > MEMMAP_MAX) {
        kprintf(KEEP_START_INFO_MAP, problem, rc < 0 ? rc : (long)map.nr_entries);
        return;
    }
    static struct memmap_entry entries[MEMMAP_MAX];
    for (unsigned i = 0; i < map.nr_entries; i++)
        entries[i] = (struct memmap_entry){ raw[i].addr, raw[i].size, raw[i].type };
    if (platform_space->adopt_memmap(entries, map.nr_entries) < 0) {
        kprintf(KEEP_START_INFO_MAP, "gave a malformed map", (long)map.nr_entries);
        return;
    }
    memmap_source = "XENMEM_memory_map";
}

int xen_physmap_place_at(unsigned space, unsigned long first_idx, unsigned count, void *at)
{
    uint64_t base = (uint64_t)(uintptr_t)at;
    for (unsigned i = 0; i < count; i++) {
        struct xen_add_to_physmap xatp = {
            .domid = DOMID_SELF,
            .space = space,
            .idx = first_idx + i,
            .gpfn = (base >> PAGE_SHIFT) + i,
        };
        long rc = xen_memory_op(XENMEM_add_to_physmap, &xatp);
        if (rc < 0)
            return (int)rc;
    }
    return 0;
}

void *xen_physmap_place(unsigned space, unsigned long first_idx, unsigned count, int *err)
{
    uint64_t base = platform_space ? platform_space->reserve_hole(count) : 0;
    if (base == 0) {
        *err = -ENOMEM;
        return NULL;
    }
    void *at = (void *)(uintptr_t)base;
    *err = xen_physmap_place_at(space, first_idx, count, at);
    return *err == 0 ? at : NULL;
}

int xen_physmap_resume(void)
{
    /* A restored domain has a new shared_info; it goes where the old one was, so every
     * pointer into it (event bitmaps, the time record) stays valid. */
    return shared ? xen_physmap_place_at(XENMAPSPACE_shared_info, 0, 1, shared) : -ENODEV;
}

int xen_physmap_init(const struct xen_physmap_space *space)
{
    platform_space = space;
    adopt_xen_memory_map();
    int err;
    shared = xen_physmap_place(XENMAPSPACE_shared_info, 0, 1, &err);
    if (!shared) {
        kprintf("xenolith: cannot map shared_info (%d)\n", err);
        return err;
    }
    kprintf("xenolith: memory map from %s; shared_info at %#lx\n", memmap_source,
            (unsigned long)(uintptr_t)shared);
    return 0;
}
