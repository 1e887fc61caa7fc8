/*
 * mm/page: the buddy page allocator. Each region is trimmed to whole pages; its descriptor
 * table takes pages from its end and the rest is cut into the largest blocks that are aligned
 * to their own size (so regions that start or end off an order boundary still work: their
 * edges become smaller blocks). Free lists live in the descriptors, never in free memory, so
 * free pages stay untouched (and, under ASan, poisoned). Freeing merges buddies back.
 * Boot touches no descriptor: a region is prepared one chunk (an aligned largest block, whose
 * buddies never leave it) at a time, in address order, when the free lists run dry or a
 * lookup reaches past the prepared chunks; until then its blocks are only counted. When no
 * block is left, the memory-pressure hooks (reclaim.h) are asked for memory before a request
 * fails.
 * Misuse (double free, wrong order, foreign pointer) is a kernel bug and panics with the address.
 */
#include "mm/mm.h"
#include "mm/page_internal.h"
#include "mm/reclaim.h"
#include "lib/panic.h"
#include "lib/printf.h"

#define MM_MAX_REGIONS 32
#define MAX_BLOCK_BYTES ((uintptr_t)PAGE_SIZE << PAGE_ORDER_MAX)

struct managed_region {
    uintptr_t base;             /* first managed page */
    size_t pages;               /* managed pages (descriptors not included) */
    struct page_desc *descs;    /* one per managed page */
    uintptr_t chunk_base;       /* base rounded down to a largest block */
    size_t chunks;              /* largest-block chunks the region touches */
    size_t chunks_ready;        /* chunks [0, chunks_ready) have descriptors and free lists */
};

static struct managed_region regions_managed[MM_MAX_REGIONS];
static size_t region_count;
static struct page_desc *free_lists[PAGE_ORDER_MAX + 1];
static struct page_stats stats;

static uintptr_t align_up(uintptr_t v, uintptr_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static void prepare_chunks(struct managed_region *r, size_t last);

static struct managed_region *region_of_addr(uintptr_t addr)
{
    for (size_t i = 0; i < region_count; i++) {
        struct managed_region *r = &regions_managed[i];
        if (addr >= r->base && addr - r->base < r->pages * PAGE_SIZE)
            return r;
    }
    return NULL;
}

struct page_desc *page_desc_of(uintptr_t addr)
{
    struct managed_region *r = region_of_addr(addr);
    if (!r)
        return NULL;
    size_t chunk = (addr - r->chunk_base) / MAX_BLOCK_BYTES;
    if (chunk >= r->chunks_ready)
        prepare_chunks(r, chunk);
    return &r->descs[(addr - r->base) >> PAGE_SHIFT];
}

uintptr_t page_desc_addr(const struct page_desc *d)
{
    for (size_t i = 0; i < region_count; i++) {
        struct managed_region *r = &regions_managed[i];
        if (d >= r->descs && d < r->descs + r->pages)
            return r->base + (uintptr_t)(d - r->descs) * PAGE_SIZE;
    }
    panic("page allocator: descriptor %p belongs to no region", (const void *)d);
}

static void free_list_push(struct page_desc *d, unsigned order)
{
    d->state = PAGE_FREE_HEAD;
    d->order = (uint8_t)order;
    d->use = PAGE_USE_RAW;
    d->prev = NULL;
    d->next = free_lists[order];
    if (d->next)
        d->next->prev = d;
    free_lists[order] = d;
    stats.free_blocks[order]++;
}

static void free_list_remove(struct page_desc *d)
{
    unsigned order = d->order;
    if (d->prev)
        d->prev->next = d->next;
    else
        free_lists[order] = d->next;
    if (d->next)
        d->next->prev = d->prev;
    d->next = d->prev = NULL;
    stats.free_blocks[order]--;
}

/* The largest order whose block starts at addr (aligned to its size) and ends by `end`. */
static unsigned largest_fitting_order(uintptr_t addr, uintptr_t end)
{
    unsigned order = 0;
    while (order < PAGE_ORDER_MAX) {
        uintptr_t next_size = (uintptr_t)PAGE_SIZE << (order + 1);
        if ((addr & (next_size - 1)) != 0 || end - addr < next_size)
            break;
        order++;
    }
    return order;
}

/* Calls fn for each block of the aligned power-of-two decomposition of [start, end). */
static void for_each_aligned_block(uintptr_t start, uintptr_t end,
                                   void (*fn)(uintptr_t addr, unsigned order))
{
    while (start < end) {
        unsigned order = largest_fitting_order(start, end);
        fn(start, order);
        start += (uintptr_t)PAGE_SIZE << order;
    }
}

static void count_free_block(uintptr_t addr, unsigned order)
{
    (void)addr;
    stats.free_blocks[order]++;
}

static struct managed_region *preparing;

/* A counted block becomes a listed one (free_list_push counts it again). */
static void list_counted_block(uintptr_t addr, unsigned order)
{
    stats.free_blocks[order]--;
    free_list_push(&preparing->descs[(addr - preparing->base) >> PAGE_SHIFT], order);
}

/* Prepares chunks [chunks_ready, last]: their descriptors zeroed (every page a tail) and their
 * blocks, counted since page_allocator_init, put on the free lists. */
static void prepare_chunks(struct managed_region *r, size_t last)
{
    uintptr_t managed_end = r->base + r->pages * PAGE_SIZE;
    preparing = r;
    for (; r->chunks_ready <= last && r->chunks_ready < r->chunks; r->chunks_ready++) {
        uintptr_t start = r->chunk_base + r->chunks_ready * MAX_BLOCK_BYTES;
        uintptr_t end = start + MAX_BLOCK_BYTES;
        if (start < r->base)
            start = r->base;
        if (end > managed_end)
            end = managed_end;
        __builtin_memset(&r->descs[(start - r->base) >> PAGE_SHIFT], 0,
                         ((end - start) >> PAGE_SHIFT) * sizeof(struct page_desc));
        for_each_aligned_block(start, end, list_counted_block);
    }
}

/* Prepares the next chunk of the first region that has one; false when all are ready. */
static bool prepare_next_chunk(void)
{
    for (size_t i = 0; i < region_count; i++) {
        struct managed_region *r = &regions_managed[i];
        if (r->chunks_ready < r->chunks) {
            prepare_chunks(r, r->chunks_ready);
            return true;
        }
    }
    return false;
}

void page_allocator_init(const struct mem_region *regions, size_t count)
{
    region_count = 0;
    for (unsigned o = 0; o <= PAGE_ORDER_MAX; o++)
        free_lists[o] = NULL;
    stats = (struct page_stats){ 0 };
    heap_reset();

    if (count > MM_MAX_REGIONS) {
        kprintf("mm: %zu memory regions, using the first %d\n", count, MM_MAX_REGIONS);
        count = MM_MAX_REGIONS;
    }
    for (size_t i = 0; i < count; i++) {
        uintptr_t start = align_up(regions[i].base, PAGE_SIZE);
        uintptr_t end = (regions[i].base + regions[i].length) & ~(uintptr_t)(PAGE_SIZE - 1);
        if (regions[i].length == 0 || end <= start || regions[i].base + regions[i].length < regions[i].base)
            continue;
        size_t pages = (end - start) >> PAGE_SHIFT;
        size_t desc_pages = (pages * sizeof(struct page_desc) + PAGE_SIZE - 1) / PAGE_SIZE;
        if (pages <= desc_pages)
            continue; /* too small to hold its own descriptors and a page */
        struct managed_region *r = &regions_managed[region_count++];
        r->base = start;
        r->pages = pages - desc_pages;
        r->descs = (struct page_desc *)(start + r->pages * PAGE_SIZE);
        uintptr_t managed_end = r->base + r->pages * PAGE_SIZE;
        r->chunk_base = r->base & ~(MAX_BLOCK_BYTES - 1);
        r->chunks = (managed_end - r->chunk_base + MAX_BLOCK_BYTES - 1) / MAX_BLOCK_BYTES;
        r->chunks_ready = 0;
        for_each_aligned_block(r->base, managed_end, count_free_block);
        MM_ASAN_POISON((void *)r->base, r->pages * PAGE_SIZE);
        stats.pages_total += r->pages;
    }
    stats.pages_free = stats.pages_total;
}

unsigned page_order_for(size_t bytes)
{
    unsigned order = 0;
    while (order <= PAGE_ORDER_MAX && ((size_t)PAGE_SIZE << order) < bytes)
        order++;
    return order; /* PAGE_ORDER_MAX + 1 when no block is large enough */
}

void *page_alloc(unsigned order)
{
    if (order > PAGE_ORDER_MAX) {
        stats.alloc_failures++;
        return NULL;
    }
    unsigned have, rounds = 0;
    for (;;) {
        have = order;
        while (have <= PAGE_ORDER_MAX && !free_lists[have])
            have++;
        if (have <= PAGE_ORDER_MAX)
            break;
        if (prepare_next_chunk())
            continue;
        /* Out of memory: the caches that registered a hook give some back first. */
        if (rounds++ == MM_RECLAIM_ROUNDS || !mm_reclaim((size_t)PAGE_SIZE << order)) {
            stats.alloc_failures++;
            return NULL;
        }
    }
    struct page_desc *d = free_lists[have];
    free_list_remove(d);
    /* Split: the upper half of each split goes back, the lower half is kept. */
    while (have > order) {
        have--;
        free_list_push(d + ((size_t)1 << have), have);
    }
    d->state = PAGE_ALLOC_HEAD;
    d->order = (uint8_t)order;
    d->use = PAGE_USE_RAW;
    stats.pages_free -= (uint64_t)1 << order;
    void *block = (void *)page_desc_addr(d);
    MM_ASAN_UNPOISON(block, (size_t)PAGE_SIZE << order);
    return block;
}

/* Checks that `pages` is an allocated block of that order owned by `expect_use`, or panics. */
static struct page_desc *checked_head(const char *who, void *pages, unsigned order,
                                      enum page_use expect_use)
{
    uintptr_t addr = (uintptr_t)pages;
    struct page_desc *d = NULL;
    const char *why = NULL;   /* one report for every refusal */
    if (order > PAGE_ORDER_MAX)
        why = "no such order";
    else if (addr & (PAGE_SIZE - 1))
        why = "not page-aligned";
    else if (!(d = page_desc_of(addr)))
        why = "not memory of the page allocator";
    else if (d->state == PAGE_FREE_HEAD)
        why = "double free (block is already free)";
    else if (d->state != PAGE_ALLOC_HEAD)
        why = "not the start of an allocated block (double free or never allocated)";
    else if (d->order != order)
        panic("%s(%p, order %u): block was allocated with order %u", who, pages, order, d->order);
    else if (d->use != expect_use)
        why = "block is owned by the heap, not by this caller";
    if (why)
        panic("%s(%p, order %u): %s", who, pages, order, why);
    return d;
}

static void free_block(struct page_desc *d, uintptr_t addr, unsigned order)
{
    MM_ASAN_POISON((void *)addr, (size_t)PAGE_SIZE << order);
    stats.pages_free += (uint64_t)1 << order;
    struct managed_region *r = region_of_addr(addr);
    uintptr_t managed_end = r->base + r->pages * PAGE_SIZE;
    while (order < PAGE_ORDER_MAX) {
        uintptr_t size = (uintptr_t)PAGE_SIZE << order;
        uintptr_t buddy = addr ^ size;
        if (buddy < r->base || buddy + size > managed_end)
            break;
        struct page_desc *bd = &r->descs[(buddy - r->base) >> PAGE_SHIFT];
        if (bd->state != PAGE_FREE_HEAD || bd->order != order)
            break;
        free_list_remove(bd);
        bd->state = PAGE_TAIL;
        d->state = PAGE_TAIL;
        if (buddy < addr) {
            addr = buddy;
            d = bd;
        }
        order++;
    }
    free_list_push(d, order);
}

void page_free(void *pages, unsigned order)
{
    struct page_desc *d = checked_head("page_free", pages, order, PAGE_USE_RAW);
    free_block(d, (uintptr_t)pages, order);
}

void page_get_stats(struct page_stats *out)
{
    *out = stats;
}

static void mark_allocated(uintptr_t addr, unsigned order)
{
    struct page_desc *d = page_desc_of(addr);
    d->state = PAGE_ALLOC_HEAD;
    d->order = (uint8_t)order;
    d->use = PAGE_USE_RAW;
}

static void release_block(uintptr_t addr, unsigned order)
{
    free_block(checked_head("page_free_run", (void *)addr, order, PAGE_USE_RAW), addr, order);
}

void *page_alloc_run(size_t pages)
{
    if (pages == 0 || pages > ((size_t)1 << PAGE_ORDER_MAX)) {
        stats.alloc_failures++;
        return NULL;
    }
    unsigned order = page_order_for(pages * PAGE_SIZE);
    void *block = page_alloc(order);
    if (!block)
        return NULL;
    uintptr_t start = (uintptr_t)block;
    uintptr_t used_end = start + pages * PAGE_SIZE;
    uintptr_t block_end = start + ((uintptr_t)PAGE_SIZE << order);
    /* Re-describe the run as allocated aligned blocks, then free every block of the tail. */
    page_desc_of(start)->state = PAGE_TAIL;
    for_each_aligned_block(start, used_end, mark_allocated);
    for_each_aligned_block(used_end, block_end, mark_allocated);
    for_each_aligned_block(used_end, block_end, release_block);
    return block;
}

void page_free_run(void *run, size_t pages)
{
    if (pages == 0 || pages > ((size_t)1 << PAGE_ORDER_MAX))
        panic("page_free_run(%p, %zu pages): impossible run length", run, pages);
    uintptr_t start = (uintptr_t)run;
    /* Validate every block before freeing any, so a bad call panics without side effects. */
    for (uintptr_t a = start, end = start + pages * PAGE_SIZE; a < end;) {
        unsigned order = largest_fitting_order(a, end);
        checked_head("page_free_run", (void *)a, order, PAGE_USE_RAW);
        a += (uintptr_t)PAGE_SIZE << order;
    }
    for_each_aligned_block(start, start + pages * PAGE_SIZE, release_block);
}
