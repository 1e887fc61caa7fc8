/*
 * mm/: the page allocator (buddy, over the regions platform_memory() gives) and the heap
 * (size classes for small objects, whole page runs for large ones). Both keep counters that
 * tests and `stats` read. Addresses are the ones code uses (identity map on the kernel).
 */
#ifndef XENOLITH_MM_MM_H
#define XENOLITH_MM_MM_H

#include <stddef.h>
#include <stdint.h>
#include "platform/platform.h"

#define PAGE_SIZE 4096u
#define PAGE_SHIFT 12
#define PAGE_ORDER_MAX 10            /* largest block: 2^10 pages = 4 MiB */

/* Hands the allocator its RAM. Regions are trimmed to page boundaries; each gives up ~1% of
 * its pages (at its end) for page descriptors. Calling it again starts over with an empty
 * heap (unit tests do). */
void page_allocator_init(const struct mem_region *regions, size_t count);

/* 2^order contiguous pages, aligned to their size, or NULL when none is free. Not zeroed.
 * page_free panics on a double free, a wrong order or an address it never handed out. */
void *page_alloc(unsigned order);
void page_free(void *pages, unsigned order);
/* The smallest order whose block holds `bytes` (PAGE_ORDER_MAX + 1 when none does). */
unsigned page_order_for(size_t bytes);

struct page_stats {
    uint64_t pages_total;
    uint64_t pages_free;
    uint64_t free_blocks[PAGE_ORDER_MAX + 1];
    uint64_t alloc_failures;
};
void page_get_stats(struct page_stats *out);

/* ---- Heap ---- */
/* Invalid frees (double free, a pointer the heap never gave, the middle of an object) panic
 * with the address. Freed memory is poisoned; a write after free panics on reuse. */
void *kmalloc(size_t size);                 /* 16-byte aligned; NULL when out of memory;
                                               kmalloc(0) gives a unique minimal object */
void *kcalloc(size_t count, size_t size);   /* NULL on overflow of count*size (counted) */
/* As C's realloc: NULL ptr = kmalloc; size 0 frees and returns NULL; stays in place while the
 * size class (or page block) is unchanged; on failure returns NULL and ptr stays valid. */
void *krealloc(void *ptr, size_t size);
void kfree(void *ptr);                      /* kfree(NULL) does nothing */
/* Pages with inaccessible guard pages on both sides (fiber stacks): exactly the rounded-up
 * pages plus two guards. Counted in heap_stats as a large allocation of `size` bytes. */
void *kalloc_guarded(size_t size);
void kfree_guarded(void *ptr, size_t size);

#define HEAP_CLASSES 9                      /* 16, 32, ... 4096 bytes */
struct heap_stats {
    uint64_t class_size[HEAP_CLASSES];
    uint64_t class_in_use[HEAP_CLASSES];    /* objects handed out, per class */
    uint64_t bytes_in_use;                  /* requested bytes still allocated, all sizes */
    uint64_t large_in_use;                  /* allocations served by whole pages */
    uint64_t alloc_failures;
    /* Of bytes_in_use and the objects above: what caches keep free for reuse (packet pools'
     * free lists, fiber stacks of ended fibers), as they report it with heap_note_cached.
     * Allocated, bounded by each cache, not leaked: memory in live use is the difference. */
    uint64_t cached_bytes;
    uint64_t cached_objects;
};
void heap_get_stats(struct heap_stats *out);
/* A cache above the heap reports memory it keeps for reuse (positive when an allocation goes on
 * its free list, negative when it leaves it); objects counts small allocations only. */
void heap_note_cached(int64_t bytes, int64_t objects);

#endif
