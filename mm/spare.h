/*
 * mm/spare: a spare list, a few freed heap objects of one size kept for the next allocation of
 * that size. It saves the heap's poisoning and check of the whole object on a free followed by an
 * allocation (a short TCP connection's TCB, buffer tables, ...). It is bounded, so it never holds
 * more than the bound its user gives, and what it holds is reported to the heap as cached
 * (heap_cached_hold, mm/mm.h), so memory in live use still returns to its idle value. The object
 * size is fixed by the first object kept (while the list is empty it may change): an object of
 * another size is freed, a request for another size finds nothing.
 */
#ifndef XENOLITH_MM_SPARE_H
#define XENOLITH_MM_SPARE_H

#include <stddef.h>
#include <stdint.h>
#include "mm/mm.h"

#define SPARE_LIST_MAX 8u

/* Zero-initialised: an empty list (and nothing of it in the image's data). */
struct spare_list {
    void *items[SPARE_LIST_MAX];
    unsigned count;
    size_t size;                         /* bytes of each object held */
};

/* Inline: they sit on the set-up and teardown paths of every short connection. */

/* A kept object of `size` bytes, its contents as they were left, or NULL (none of that size). */
static inline void *spare_get(struct spare_list *s, size_t size)
{
    if (s->count == 0 || size != s->size)
        return NULL;
    heap_cached_release(size);
    return s->items[--s->count];
}

/* Keeps obj (a heap object of `size` bytes) for reuse, or frees it when the list holds max_kept
 * objects (at most SPARE_LIST_MAX) or objects of another size. obj may be NULL (nothing happens). */
static inline void spare_put(struct spare_list *s, void *obj, size_t size, unsigned max_kept)
{
    if (!obj)
        return;
    if (s->count == 0)
        s->size = size;
    if (size != s->size || s->count >= max_kept || s->count >= SPARE_LIST_MAX) {
        kfree(obj);
        return;
    }
    s->items[s->count++] = obj;
    heap_cached_hold(size);                      /* held for reuse, not in live use */
}

/* Frees every object kept. */
void spare_drain(struct spare_list *s);

#endif
