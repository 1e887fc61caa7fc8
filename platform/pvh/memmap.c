/*
 * platform/pvh/memmap: what the PVH loader told us. Copies the start info's memory map and
 * command line out of loader memory (which may lie just after the image, where page tables
 * go next), hands out boot pages for page tables, and computes the RAM the page allocator
 * gets: every RAM entry minus the first 1 MiB, the image and everything allocated at boot.
 */
#include <stdint.h>
#include <xen/arch-x86/hvm/start_info.h>
#include "platform/pvh/pvh.h"
#include "kernel/options.h"
#include "lib/printf.h"

#define MEMMAP_MAX 64
#define LOW_MEMORY_END 0x100000ull
#define BOOT_ADDRESSABLE_END 0x100000000ull /* the boot page tables map 4 GiB */

static struct memmap_entry memmap[MEMMAP_MAX];
static size_t memmap_count;
static char cmdline[OPTIONS_CMDLINE_MAX];
static uint64_t boot_alloc_next, boot_alloc_limit;
static bool boot_alloc_frozen;
static struct mem_region ram_regions[MEMMAP_MAX];
static size_t ram_region_count;

__attribute__((noreturn)) static void refuse(const char *what)
{
    kprintf("xenolith: boot refused: %s\n", what);
    platform_shutdown(SHUTDOWN_FAILURE);
}

static bool loader_range_ok(uint64_t paddr, uint64_t length)
{
    return paddr != 0 && paddr < BOOT_ADDRESSABLE_END && length <= BOOT_ADDRESSABLE_END - paddr;
}

_Static_assert(OPTIONS_CMDLINE_MAX == 1024, "copy_cmdline's refusal names the longest line");
static void copy_cmdline(uint64_t paddr)
{
    if (paddr == 0)
        return; /* no command line: the empty one */
    if (!loader_range_ok(paddr, 1))
        refuse("the command line lies outside the first 4 GiB");
    const char *src = (const char *)(uintptr_t)paddr;
    size_t i = 0;
    for (; src[i] != '\0'; i++) {
        if (i + 1 >= sizeof(cmdline) || !loader_range_ok(paddr, i + 2))
            refuse("the command line is longer than 1023 bytes");
        cmdline[i] = src[i];
    }
    cmdline[i] = '\0';
}

static void copy_memmap(const struct hvm_start_info *si)
{
    if (si->version < 1 || si->memmap_paddr == 0 || si->memmap_entries == 0)
        refuse("the start info has no memory map (PVH start info version 1 is required)");
    uint64_t bytes = (uint64_t)si->memmap_entries * sizeof(struct hvm_memmap_table_entry);
    if (!loader_range_ok(si->memmap_paddr, bytes))
        refuse("the memory map lies outside the first 4 GiB");
    const struct hvm_memmap_table_entry *src =
        (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
    for (uint32_t i = 0; i < si->memmap_entries; i++) {
        if (src[i].size == 0)
            continue;
        if (src[i].addr + src[i].size < src[i].addr) {
            kprintf("xenolith: memory map entry %u wraps around; ignored\n", i);
            continue;
        }
        if (memmap_count == MEMMAP_MAX) {
            kprintf("xenolith: memory map has more than %d entries; the rest are ignored\n",
                    MEMMAP_MAX);
            break;
        }
        memmap[memmap_count++] = (struct memmap_entry){
            .base = src[i].addr, .length = src[i].size, .type = src[i].type,
        };
    }
}

/* Boot pages come from the RAM entry holding the image's end, right after the image. */
static void find_boot_pool(void)
{
    uint64_t start = ((uintptr_t)_kernel_end + 4095) & ~4095ull;
    for (size_t i = 0; i < memmap_count; i++) {
        const struct memmap_entry *e = &memmap[i];
        if (e->type == XEN_HVM_MEMMAP_TYPE_RAM && e->base <= (uintptr_t)_kernel_start &&
            e->base + e->length > start) {
            boot_alloc_next = start;
            boot_alloc_limit = (e->base + e->length) & ~4095ull;
            if (boot_alloc_limit > BOOT_ADDRESSABLE_END)
                boot_alloc_limit = BOOT_ADDRESSABLE_END;
            return;
        }
    }
    refuse("no RAM entry of the memory map holds the kernel image");
}

void memmap_init(uintptr_t start_info_paddr)
{
    const struct hvm_start_info *si = (const struct hvm_start_info *)start_info_paddr;
    if (si->magic != XEN_HVM_START_MAGIC_VALUE)
        refuse("bad PVH start info magic");
    copy_cmdline(si->cmdline_paddr);
    copy_memmap(si);
    find_boot_pool();
}

size_t memmap_entries(const struct memmap_entry **entries)
{
    *entries = memmap;
    return memmap_count;
}

void memmap_replace(const struct memmap_entry *entries, size_t count)
{
    if (count > MEMMAP_MAX)
        refuse("the hypervisor's memory map has too many entries");
    for (size_t i = 0; i < count; i++)
        memmap[i] = entries[i];
    memmap_count = count;
}

void *memmap_boot_page_uncleared(void)
{
    if (boot_alloc_frozen || boot_alloc_next + 4096 > boot_alloc_limit)
        refuse("out of memory for page tables");
    void *page = (void *)(uintptr_t)boot_alloc_next;
    boot_alloc_next += 4096;
    return page;
}

void *memmap_boot_page(void)
{
    uint64_t *page = memmap_boot_page_uncleared();
    /* Word stores: a page table a byte at a time cost 12 k instructions. */
    for (size_t i = 0; i < 4096 / sizeof(uint64_t); i++)
        page[i] = 0;
    return page;
}

/* Adds [base, end) to the allocator's regions, minus everything below reserved_end. */
static void add_ram(uint64_t base, uint64_t end, uint64_t reserved_end)
{
    if (base < reserved_end)
        base = reserved_end;
    base = (base + 4095) & ~4095ull;
    end &= ~4095ull;
    if (end <= base || ram_region_count == MEMMAP_MAX)
        return;
    ram_regions[ram_region_count++] = (struct mem_region){
        .base = (uintptr_t)base, .length = (size_t)(end - base),
    };
}

void memmap_finish(void)
{
    boot_alloc_frozen = true;
    /* The image, its page tables and the boot stacks all lie below boot_alloc_next. */
    uint64_t reserved_end = boot_alloc_next > LOW_MEMORY_END ? boot_alloc_next : LOW_MEMORY_END;
    for (size_t i = 0; i < memmap_count; i++) {
        if (memmap[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
            add_ram(memmap[i].base, memmap[i].base + memmap[i].length, reserved_end);
    }
    /* Overlapping RAM entries would hand the same page out twice: trim later ones. */
    for (size_t i = 0; i < ram_region_count; i++) {
        for (size_t j = 0; j < ram_region_count; j++) {
            struct mem_region *a = &ram_regions[i], *b = &ram_regions[j];
            if (i == j || b->length == 0 || a->length == 0)
                continue;
            uintptr_t a_end = a->base + a->length, b_end = b->base + b->length;
            if (b->base >= a->base && b->base < a_end) {
                if (b_end <= a_end)
                    b->length = 0;
                else {
                    b->length = b_end - a_end;
                    b->base = a_end;
                }
            }
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < ram_region_count; i++) {
        if (ram_regions[i].length != 0)
            ram_regions[kept++] = ram_regions[i];
    }
    ram_region_count = kept;
    if (ram_region_count == 0)
        refuse("no RAM left for the page allocator");
}

const char *platform_cmdline(void)
{
    return cmdline;
}

size_t platform_memory(const struct mem_region **regions)
{
    *regions = ram_regions;
    return ram_region_count;
}
