/*
 * mm/page_internal: what the page allocator shares with the heap inside mm/. Every managed
 * page has a descriptor in a table the allocator carves from the end of its region; the heap
 * keeps its per-page bookkeeping (slab or large allocation) in the same descriptors, so kfree
 * finds everything from the pointer alone and free memory itself is never written by mm/.
 */
#ifndef XENOLITH_MM_PAGE_INTERNAL_H
#define XENOLITH_MM_PAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mm/mm.h"

/* Only the first page of a block (its head) carries state; the others are PAGE_TAIL. */
enum page_state {
    PAGE_TAIL = 0,
    PAGE_FREE_HEAD,
    PAGE_ALLOC_HEAD,
};

/* Who owns an allocated block (kept in its head descriptor). */
enum page_use {
    PAGE_USE_RAW = 0,    /* page_alloc's caller */
    PAGE_USE_SLAB,       /* one page of small heap objects of one size class */
    PAGE_USE_LARGE,      /* one kmalloc larger than the biggest class */
    PAGE_USE_GUARDED,    /* one kalloc_guarded run */
};

struct page_desc {
    uint8_t state;           /* enum page_state */
    uint8_t order;           /* block order, valid in a head */
    uint8_t use;             /* enum page_use, valid in an allocated head */
    uint8_t slab_class;
    uint16_t slab_in_use;
    uint16_t slab_capacity;
    union {
        uint32_t large_bytes;        /* requested size (LARGE, GUARDED) */
        uint16_t slab_obj_bytes[4];  /* requested sizes, for classes with <= 4 objects a page */
    };
    void *slab_free;         /* a slab's next object to hand out (its chain: mm/heap.c) */
    /* Free-list links (free heads) or the heap's list of slabs with a free object. */
    struct page_desc *next, *prev;
};

/* The descriptor of the page holding addr, or NULL when addr is not managed memory. */
struct page_desc *page_desc_of(uintptr_t addr);
/* The address of the page a descriptor describes. */
uintptr_t page_desc_addr(const struct page_desc *d);

/* A run of exactly `pages` pages (1 .. 2^PAGE_ORDER_MAX), aligned to the smallest order that
 * holds it; the unused tail of that block goes straight back to the free lists. */
void *page_alloc_run(size_t pages);
void page_free_run(void *run, size_t pages);

/* Called by page_allocator_init: forget every heap object (the memory under them is gone). */
void heap_reset(void);

/* AddressSanitizer annotations, compiled away outside ASan builds. */
#if defined(__SANITIZE_ADDRESS__) && (defined(XENOLITH_HOSTED) || defined(XENOLITH_TEST))
#include <sanitizer/asan_interface.h>
#define MM_ASAN_POISON(addr, len) ASAN_POISON_MEMORY_REGION((addr), (len))
#define MM_ASAN_UNPOISON(addr, len) ASAN_UNPOISON_MEMORY_REGION((addr), (len))
#else
#define MM_ASAN_POISON(addr, len) ((void)(addr), (void)(len))
#define MM_ASAN_UNPOISON(addr, len) ((void)(addr), (void)(len))
#endif

#endif
