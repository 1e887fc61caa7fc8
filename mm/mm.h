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
#include "xenolith/mem.h"

/* PAGE_SIZE, kmalloc/kcalloc/krealloc/kfree and the heap and page counters are public:
 * xenolith/mem.h. */

/* Hands the allocator its RAM. Regions are trimmed to page boundaries; each gives up ~1% of
 * its pages (at its end) for page descriptors, which are written only as each 4 MiB chunk is
 * first needed (no pass over memory here). Calling it again starts over with an empty heap
 * (unit tests do). */
void page_allocator_init(const struct mem_region *regions, size_t count);

/* 2^order contiguous pages, aligned to their size, or NULL when none is free (after the
 * memory-pressure hooks had nothing more to give: mm/reclaim.h). Not zeroed.
 * page_free panics on a double free, a wrong order or an address it never handed out. */
void *page_alloc(unsigned order);
void page_free(void *pages, unsigned order);
/* The smallest order whose block holds `bytes` (PAGE_ORDER_MAX + 1 when none does). */
unsigned page_order_for(size_t bytes);

/* ---- Heap (kmalloc and its rules: xenolith/mem.h) ---- */
/* Pages with inaccessible guard pages on both sides (fiber stacks): exactly the rounded-up
 * pages plus two guards. Counted in heap_stats as a large allocation of `size` bytes. */
void *kalloc_guarded(size_t size);
void kfree_guarded(void *ptr, size_t size);

/* What every cache keeps (heap_stats' cached_bytes and cached_objects): heap_note_cached adds
 * to it for caches above mm/, and mm/'s own caches (the spare lists, the packet pools' free
 * lists), whose get and put paths are on every packet and every short connection, update it
 * inline instead of by a call. One object of `bytes` goes into a cache (hold) or leaves it
 * (release). */
struct heap_cached_counts {
    uint64_t bytes;
    uint64_t objects;
};
extern struct heap_cached_counts heap_cached;

static inline void heap_cached_hold(size_t bytes)
{
    heap_cached.bytes += bytes;
    heap_cached.objects++;
}

static inline void heap_cached_release(size_t bytes)
{
    heap_cached.bytes -= bytes;
    heap_cached.objects--;
}

#endif
