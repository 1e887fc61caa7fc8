/*
 * mm/spare: bounded lists of freed heap objects kept for reuse (see spare.h).
 */
#include "mm/spare.h"

#include "mm/mm.h"

void spare_drain(struct spare_list *s)
{
    while (s->count > 0) {
        kfree(s->items[--s->count]);
        heap_cached_release(s->size);
    }
}
