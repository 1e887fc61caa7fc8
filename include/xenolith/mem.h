/*
 * xenolith/mem.h: memory for applications: the heap (kmalloc and friends) and the counters that
 * say how much is used.
 *
 * There is no virtual memory to grow into: the heap is the RAM the machine was given, minus the
 * image. Every allocation can fail and returns NULL then (once the caches that registered a
 * reclaim hook, below, had nothing more to give back); an application serving untrusted
 * clients bounds what each client may make it allocate. Invalid frees (twice, a pointer the heap
 * never gave, the middle of an object) end the machine with the address; freed memory is
 * poisoned, and a write after free is caught when the memory is reused.
 *
 * Every call here may be made in any context but a handler (fiber or loop); none blocks.
 */
#ifndef XENOLITH_PUBLIC_MEM_H
#define XENOLITH_PUBLIC_MEM_H

#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE 4096u
#define PAGE_SHIFT 12
#define PAGE_ORDER_MAX 10                /* largest block: 2^10 pages = 4 MiB */

/* size bytes, 16-byte aligned, not zeroed; NULL when out of memory. kmalloc(0) gives a unique
 * minimal object. Objects up to 4096 bytes come from size classes; larger ones are whole pages,
 * so a large allocation needs that many contiguous pages (prefer several smaller buffers when
 * memory may be fragmented). */
void *kmalloc(size_t size);
/* count * size bytes, zeroed; NULL when out of memory or when count * size overflows. */
void *kcalloc(size_t count, size_t size);
/* As C's realloc: ptr NULL is kmalloc; size 0 frees ptr and returns NULL; on failure returns NULL
 * and ptr stays valid and unchanged. */
void *krealloc(void *ptr, size_t size);
/* Frees what kmalloc, kcalloc or krealloc gave; kfree(NULL) does nothing. */
void kfree(void *ptr);

/* The heap's counters. */
#define HEAP_CLASSES 9                   /* 16, 32, ... 4096 bytes */
struct heap_stats {
    uint64_t class_size[HEAP_CLASSES];
    uint64_t class_in_use[HEAP_CLASSES]; /* objects handed out, per class */
    uint64_t bytes_in_use;               /* requested bytes still allocated, all sizes */
    uint64_t large_in_use;               /* allocations served by whole pages */
    uint64_t alloc_failures;
    /* Of bytes_in_use and the objects above: what caches keep free for reuse (packet pools'
     * free lists, fiber stacks of ended fibers). Allocated, bounded by each cache, not leaked:
     * memory in live use is the difference. */
    uint64_t cached_bytes;
    uint64_t cached_objects;
};
void heap_get_stats(struct heap_stats *out);
/* A cache above the heap reports memory it keeps, bounded by design, rather than in live use
 * (positive when an allocation goes on its free list or into the cache, negative when it leaves
 * it); objects counts allocations of at most PAGE_SIZE bytes (the size classes) only. */
void heap_note_cached(int64_t bytes, int64_t objects);

/* ---- Memory pressure ----
 * A cache holding memory it could give back (files kept for reuse, answers kept for their TTL)
 * registers a reclaim hook. When the page allocator has no block for a request (so for kmalloc,
 * kcalloc, krealloc and every other allocation alike), it calls the hooks, in the order they
 * were registered, before it fails: hook(arg, bytes) is asked for `bytes` (what the request
 * needs), frees what it holds and nobody uses, at least that much when it can (least valuable
 * first), and returns the bytes it freed (0: nothing left to give). After a hook that freed
 * something the allocation tries again; it fails (NULL) when no hook frees anything more, or
 * after a bounded number of rounds (freed memory that forms no block large enough).
 * Rules for a hook:
 *   - it runs inside the allocation that ran short, in its caller's context (fiber or loop,
 *     never a handler), possibly in the middle of the hook owner's own code (a cache filling a
 *     file): it must not block, and frees only what no one is using (no file a response sends);
 *   - it may free (kfree, page_free) but should not allocate: an allocation made inside a hook
 *     gets no reclaim (hooks never run recursively) and fails at once when memory is short;
 *   - it must not register or unregister hooks, and returns only bytes it really freed.
 * At most MEM_RECLAIM_HOOKS hooks are registered at once. Context (register, unregister): fiber
 * or loop. */
#define MEM_RECLAIM_HOOKS 4
typedef size_t (*mem_reclaim_fn)(void *arg, size_t bytes);
/* Adds hook(arg). Returns 0 (also when that pair is already registered), or -ENOSPC (the table
 * is full: the caller's memory is then simply not reclaimed). */
int mem_reclaim_register(mem_reclaim_fn hook, void *arg);
/* Removes hook(arg) (nothing happens when it is not registered); before arg's memory goes. */
void mem_reclaim_unregister(mem_reclaim_fn hook, void *arg);

/* The page allocator's counters: all the RAM the heap draws from. */
struct page_stats {
    uint64_t pages_total;
    uint64_t pages_free;
    uint64_t free_blocks[PAGE_ORDER_MAX + 1];   /* free blocks of 2^order pages */
    uint64_t alloc_failures;
};
void page_get_stats(struct page_stats *out);

/* The RAM the machine gave the allocator, in bytes: the platform's memory regions (hosted, the
 * arena of XENOLITH_HOSTED_MEM_MB; the guest's RAM minus the image on the PVH image), before the
 * allocator keeps its page descriptors. Context: any. */
uint64_t mem_ram_bytes(void);

#endif
