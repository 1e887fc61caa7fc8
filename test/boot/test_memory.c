/*
 * test/boot/test_memory: mm/ on the real memory map. The regions the platform hands out must
 * be page-aligned, disjoint, above 1 MiB, clear of the image and mapped; the page allocator
 * must hand out exactly its free pages, each inside a region and writable, once each; the
 * heap must align, keep contents and return to its starting statistics.
 */
#include "arch/x86_64/arch.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "test/boot/boottest.h"

static bool in_regions(uintptr_t addr, size_t len)
{
    const struct mem_region *regions;
    size_t count = platform_memory(&regions);
    for (size_t i = 0; i < count; i++)
        if (addr >= regions[i].base && addr + len <= regions[i].base + regions[i].length)
            return true;
    return false;
}

static const char *test_memory_regions(void)
{
    const struct mem_region *regions;
    size_t count = platform_memory(&regions);
    if (count == 0)
        return "no RAM regions";
    for (size_t i = 0; i < count; i++) {
        uintptr_t base = regions[i].base, end = base + regions[i].length;
        if (base % PAGE_SIZE || regions[i].length % PAGE_SIZE || regions[i].length == 0)
            return boot_fail("region %zu is not whole pages", i);
        if (base < 0x100000)
            return boot_fail("region %zu lies in the first 1 MiB", i);
        if (base < (uintptr_t)_kernel_end && end > (uintptr_t)_kernel_start)
            return boot_fail("region %zu overlaps the image", i);
        if (!paging_is_mapped(base) || !paging_is_mapped(end - 1))
            return boot_fail("region %zu is not mapped", i);
        for (size_t j = 0; j < count; j++)
            if (j != i && base < regions[j].base + regions[j].length && regions[j].base < end)
                return boot_fail("regions %zu and %zu overlap", i, j);
    }
    return NULL;
}

/* Takes every free page (chained through their first word), checks each, gives all back. */
static const char *test_page_allocator_exhaustion(void)
{
    struct page_stats before, after;
    page_get_stats(&before);
    uintptr_t *chain = NULL;
    uint64_t taken = 0;
    const char *why = NULL;
    for (;;) {
        uintptr_t *page = page_alloc(0);
        if (!page)
            break;
        if ((uintptr_t)page % PAGE_SIZE || !in_regions((uintptr_t)page, PAGE_SIZE)) {
            why = boot_fail("page %p lies outside the memory map's RAM", (void *)page);
            page_free(page, 0);
            break;
        }
        page[0] = (uintptr_t)chain;
        page[PAGE_SIZE / sizeof(uintptr_t) - 1] = (uintptr_t)page; /* tag: who owns it */
        chain = page;
        taken++;
    }
    struct page_stats empty;
    page_get_stats(&empty);
    while (chain) {
        uintptr_t *page = chain;
        if (!why && page[PAGE_SIZE / sizeof(uintptr_t) - 1] != (uintptr_t)page)
            why = boot_fail("page %p was handed out twice", (void *)page);
        chain = (uintptr_t *)page[0];
        page_free(page, 0);
    }
    page_get_stats(&after);
    if (why)
        return why;
    if (taken != before.pages_free)
        return boot_fail("took %llu pages, %llu were free", (unsigned long long)taken,
                         (unsigned long long)before.pages_free);
    if (empty.pages_free != 0)
        return "pages left free after exhaustion";
    if (after.pages_free != before.pages_free)
        return boot_fail("%llu pages free after returning all, %llu before",
                         (unsigned long long)after.pages_free,
                         (unsigned long long)before.pages_free);
    return NULL;
}

static const char *test_page_orders_are_aligned(void)
{
    for (unsigned order = 0; order <= PAGE_ORDER_MAX; order++) {
        uint8_t *block = page_alloc(order);
        if (!block)
            return boot_fail("no block of order %u", order);
        size_t bytes = (size_t)PAGE_SIZE << order;
        bool aligned = (uintptr_t)block % bytes == 0;
        bool inside = in_regions((uintptr_t)block, bytes);
        block[0] = 1;
        block[bytes - 1] = 2;
        page_free(block, order);
        if (!aligned || !inside)
            return boot_fail("order %u block %p misplaced", order, (void *)block);
    }
    return NULL;
}

static const char *test_heap(void)
{
    struct heap_stats before, after;
    heap_get_stats(&before);
    static const size_t sizes[] = { 1, 15, 16, 17, 100, 512, 2000, 4096, 5000, 70000 };
    void *blocks[sizeof(sizes) / sizeof(sizes[0])];
    for (size_t i = 0; i < (sizeof(sizes) / sizeof(sizes[0])); i++) {
        blocks[i] = kmalloc(sizes[i]);
        if (!blocks[i] || (uintptr_t)blocks[i] % 16)
            return boot_fail("kmalloc(%zu) gave %p", sizes[i], blocks[i]);
        memset(blocks[i], (int)i + 1, sizes[i]);
    }
    for (size_t i = 0; i < (sizeof(sizes) / sizeof(sizes[0])); i++) {
        const uint8_t *b = blocks[i];
        for (size_t k = 0; k < sizes[i]; k++)
            if (b[k] != (uint8_t)(i + 1))
                return boot_fail("block of %zu bytes overwritten at %zu", sizes[i], k);
    }
    blocks[0] = krealloc(blocks[0], 3000);
    if (!blocks[0] || ((uint8_t *)blocks[0])[0] != 1)
        return "krealloc lost the contents";
    for (size_t i = 0; i < (sizeof(sizes) / sizeof(sizes[0])); i++)
        kfree(blocks[i]);
    uint8_t *zeroed = kcalloc(64, 8);
    if (!zeroed)
        return "kcalloc failed";
    for (size_t k = 0; k < 512; k++)
        if (zeroed[k])
            return "kcalloc memory is not zero";
    kfree(zeroed);
    if (kcalloc(SIZE_MAX / 2, 4) != NULL)
        return "kcalloc accepted an overflowing size";
    heap_get_stats(&after);
    if (after.bytes_in_use != before.bytes_in_use)
        return boot_fail("%llu bytes in use after freeing all, %llu before",
                         (unsigned long long)after.bytes_in_use,
                         (unsigned long long)before.bytes_in_use);
    return NULL;
}

const struct boot_test boot_tests_memory[] = {
    { "memory map regions", test_memory_regions },
    { "page allocator hands out every page once", test_page_allocator_exhaustion },
    { "page blocks of every order aligned", test_page_orders_are_aligned },
    { "heap", test_heap },
};
const size_t boot_tests_memory_count = sizeof(boot_tests_memory) / sizeof(boot_tests_memory[0]);
