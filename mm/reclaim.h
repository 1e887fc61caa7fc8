/*
 * mm/reclaim: the memory-pressure hooks (their interface is public: xenolith/mem.h,
 * mem_reclaim_register). The page allocator asks them for memory when it has no block for a
 * request, before it fails it; every allocation (kmalloc, page_alloc, pbufs, fiber stacks) goes
 * through it, so one place covers them all. A small fixed table (MEM_RECLAIM_HOOKS), no memory
 * of its own.
 */
#ifndef XENOLITH_MM_RECLAIM_H
#define XENOLITH_MM_RECLAIM_H

#include <stdbool.h>
#include <stddef.h>
#include "xenolith/mem.h"

/* Asks the hooks, in the order they were registered, for `bytes` until one frees something:
 * true when one did (the caller tries again), false when none could, or when called from inside
 * a hook (an allocation a hook makes gets no reclaim: no recursion). */
bool mm_reclaim(size_t bytes);

/* Rounds of mm_reclaim one allocation may run before it fails: each round frees memory or ends
 * the attempt, and this bounds a request that freed memory does not help (no block that large
 * forms from what the hooks give back). */
#define MM_RECLAIM_ROUNDS 16u

#endif
