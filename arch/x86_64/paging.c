/*
 * arch/x86_64/paging: the final page tables, built from the start-info memory map.
 * Every memory-map entry is identity-mapped read-write, no-execute (2 MiB pages where a
 * whole aligned block fits, 4 KiB at the edges); the image gets 4 KiB pages with W^X
 * (text RX, rodata R, data/bss RW+NX, the one hypervisor-written code page RX); the NULL
 * page and the stacks' guard pages stay unmapped; the LAPIC page is mapped uncached.
 * paging_guard_pages() toggles 4 KiB pages, splitting a 2 MiB page on first use with a
 * table from a pool reserved at boot. The memory map, the boot page allocator and the code
 * page come from the platform (struct paging_setup).
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "lib/errno.h"
#include "lib/printf.h"

#define PTE_PRESENT (1ull << 0)
#define PTE_WRITE (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_LARGE (1ull << 7)
#define PTE_GUARD (1ull << 9)      /* software bit: a guard page platform_guard_pages made */
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
#define PAGE_4K 0x1000ull
#define PAGE_2M 0x200000ull
#define LAPIC_MMIO 0xfee00000ull
#define SPLIT_POOL_MAX 512u        /* tables for splitting 2 MiB pages later (1 GiB worth) */

static uint64_t *pml4;
static void *(*boot_page)(void);   /* the platform's, until the tables are live */
static uint64_t nx_bit;
static bool tables_live;
static uint64_t *split_pool[SPLIT_POOL_MAX];
static unsigned split_pool_free;

bool cpu_has_nx(void)
{
    return cpuid_has_leaf(0x80000001u) && (cpuid(0x80000001u, 0).edx & (1u << 20));
}

static uint64_t *alloc_table(void)
{
    if (!tables_live)
        return boot_page();
    if (split_pool_free == 0)
        return NULL;
    uint64_t *table = split_pool[--split_pool_free];
    for (unsigned i = 0; i < 512; i++)  /* the pool is reserved uncleared */
        table[i] = 0;
    return table;
}

static uint64_t *table_of(uint64_t entry)
{
    return (uint64_t *)(uintptr_t)(entry & PTE_ADDR);
}

/* The next level's table for entry, created if absent (NULL if no table could be had). */
static uint64_t *next_table(uint64_t *entry)
{
    if (!(*entry & PTE_PRESENT)) {
        uint64_t *t = alloc_table();
        if (!t)
            return NULL;
        *entry = (uintptr_t)t | PTE_PRESENT | PTE_WRITE;
    }
    return table_of(*entry);
}

/* The page-directory entry covering addr, creating upper levels as needed. */
static uint64_t *pd_entry(uint64_t addr)
{
    uint64_t *pdpt = next_table(&pml4[(addr >> 39) & 511]);
    if (!pdpt)
        return NULL;
    uint64_t *pd = next_table(&pdpt[(addr >> 30) & 511]);
    if (!pd)
        return NULL;
    return &pd[(addr >> 21) & 511];
}

/* Replaces a 2 MiB mapping by 512 equivalent 4 KiB ones. */
static bool split_large(uint64_t *pde)
{
    uint64_t *pt = alloc_table();
    if (!pt)
        return false;
    uint64_t base = *pde & PTE_ADDR & ~(PAGE_2M - 1);
    uint64_t flags = *pde & ~PTE_ADDR & ~PTE_LARGE;
    for (unsigned i = 0; i < 512; i++)
        pt[i] = (base + i * PAGE_4K) | flags;
    *pde = (uintptr_t)pt | PTE_PRESENT | PTE_WRITE;
    if (tables_live)
        write_cr3(read_cr3()); /* drop every cached translation of the large page */
    return true;
}

/* The page-table entry for the 4 KiB page at addr (splitting a large page), or NULL. */
static uint64_t *pt_entry(uint64_t addr)
{
    uint64_t *pde = pd_entry(addr);
    if (!pde)
        return NULL;
    if ((*pde & (PTE_PRESENT | PTE_LARGE)) == (PTE_PRESENT | PTE_LARGE) && !split_large(pde))
        return NULL;
    uint64_t *pt = next_table(pde);
    return pt ? &pt[(addr >> 12) & 511] : NULL;
}

static void map_4k(uint64_t addr, uint64_t flags)
{
    uint64_t *pte = pt_entry(addr);
    if (!pte) {
        kprintf("xenolith: no page table for %#lx\n", (unsigned long)addr);
        platform_shutdown(SHUTDOWN_FAILURE);
    }
    *pte = addr | flags;
}

static void map_range(uint64_t start, uint64_t end, uint64_t flags)
{
    start &= ~(PAGE_4K - 1);
    while (start < end) {
        uint64_t *pde = pd_entry(start);
        bool whole_block = (start & (PAGE_2M - 1)) == 0 && end - start >= PAGE_2M;
        if (pde && whole_block && !(*pde & PTE_PRESENT)) {
            *pde = start | flags | PTE_LARGE;
            start += PAGE_2M;
        } else {
            map_4k(start, flags);
            start += PAGE_4K;
        }
    }
}

static void unmap_4k(uint64_t addr)
{
    uint64_t *pte = pt_entry(addr);
    if (pte)
        *pte = 0;
}

/* Maps a memory-map entry, leaving out the NULL page and the image (mapped separately). */
static void map_memmap_entry(uint64_t base, uint64_t end)
{
    uint64_t image_start = (uintptr_t)_kernel_start, image_end = (uintptr_t)_kernel_end;
    if (base < PAGE_4K)
        base = PAGE_4K;
    uint64_t data_flags = PTE_PRESENT | PTE_WRITE | nx_bit;
    if (base < image_start)
        map_range(base, end < image_start ? end : image_start, data_flags);
    if (end > image_end)
        map_range(base > image_end ? base : image_end, end, data_flags);
}

void paging_map_data_range(uint64_t base, uint64_t end)
{
    map_memmap_entry(base, end);
}

static void map_image(uintptr_t code_page)
{
    map_range((uintptr_t)_kernel_start, (uintptr_t)_etext, PTE_PRESENT);
    map_range((uintptr_t)_etext, (uintptr_t)_erodata, PTE_PRESENT | nx_bit);
    map_range((uintptr_t)_erodata, (uintptr_t)_kernel_end, PTE_PRESENT | PTE_WRITE | nx_bit);
    /* The hypervisor's code page (Xen's hypercall page) sits in .bss but holds code:
     * read-only and executable. */
    if (code_page)
        map_4k(code_page, PTE_PRESENT);
    unmap_4k((uintptr_t)boot_stack_guard);
    for (uintptr_t slot = (uintptr_t)ist_stacks_start; slot < (uintptr_t)ist_stacks_end;
         slot += IST_SLOT_SIZE)
        unmap_4k(slot);
}

static void reserve_split_pool(const struct memmap_entry *entries, size_t count,
                               void *(*page)(void))
{
    uint64_t ram = 0;
    for (size_t i = 0; i < count; i++)
        if (entries[i].type == MEMMAP_TYPE_RAM)
            ram += entries[i].length;
    uint64_t want = ram / PAGE_2M + 1;
    if (want > SPLIT_POOL_MAX)
        want = SPLIT_POOL_MAX;
    for (uint64_t i = 0; i < want; i++)
        split_pool[split_pool_free++] = page();
}

void paging_init(const struct paging_setup *setup)
{
    boot_page = setup->boot_page;
    if (cpu_has_nx()) {
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
        nx_bit = PTE_NX;
    }
    pml4 = boot_page();
    const struct memmap_entry *entries = setup->entries;
    for (size_t i = 0; i < setup->count; i++)
        map_memmap_entry(entries[i].base, entries[i].base + entries[i].length);
    map_image(setup->code_page);
    map_4k(LAPIC_MMIO, PTE_PRESENT | PTE_WRITE | PTE_PCD | PTE_PWT | nx_bit);
    reserve_split_pool(entries, setup->count, setup->boot_page_uncleared);
    write_cr3((uintptr_t)pml4);
    tables_live = true;
}

/* The leaf entry mapping addr (either level), or NULL if some level is absent. */
static uint64_t *leaf_entry(uint64_t addr, bool *large)
{
    uint64_t e = pml4[(addr >> 39) & 511];
    if (!(e & PTE_PRESENT))
        return NULL;
    e = table_of(e)[(addr >> 30) & 511];
    if (!(e & PTE_PRESENT))
        return NULL;
    uint64_t *pde = &table_of(e)[(addr >> 21) & 511];
    if (!(*pde & PTE_PRESENT))
        return NULL;
    *large = (*pde & PTE_LARGE) != 0;
    return *large ? pde : &table_of(*pde)[(addr >> 12) & 511];
}

bool paging_is_mapped(uintptr_t addr)
{
    if (!tables_live)
        return addr < 0x100000000ull; /* the boot tables map the first 4 GiB */
    bool large;
    uint64_t *leaf = leaf_entry(addr, &large);
    return leaf && (*leaf & PTE_PRESENT);
}

int paging_guard_pages(void *addr, size_t len, bool guard)
{
    uint64_t start = (uintptr_t)addr;
    if ((start & (PAGE_4K - 1)) || (len & (PAGE_4K - 1)) || len == 0 || start + len < start)
        return -EINVAL;
    if (start < (uintptr_t)_kernel_end)
        return -EPERM; /* the image and low memory keep their fixed protections */
    /* Check (and split) every page first, so a refusal changes nothing visible. */
    for (uint64_t a = start; a < start + len; a += PAGE_4K) {
        bool large;
        uint64_t *leaf = leaf_entry(a, &large);
        if (!leaf || (!(*leaf & PTE_PRESENT) && !(*leaf & PTE_GUARD)))
            return -EFAULT;
        if (large && !pt_entry(a))
            return -ENOMEM;
    }
    for (uint64_t a = start; a < start + len; a += PAGE_4K) {
        uint64_t *pte = pt_entry(a);
        if (guard)
            *pte = (*pte & ~PTE_PRESENT) | PTE_GUARD;
        else
            *pte = (*pte & ~PTE_GUARD) | PTE_PRESENT;
        invlpg(a);
    }
    return 0;
}
