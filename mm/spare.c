/*
 * mm/spare: bounded lists of freed heap objects kept for reuse (see spare.h).
 */
#include "mm/spare.h"

#include "mm/mm.h"

void *spare_get(struct spare_list *s, size_t size)
{
    if (s->count == 0 || size != s->size)
        return NULL;
    heap_note_cached(-(int64_t)size, -1);
    return s->items[--s->count];
}

void spare_put(struct spare_list *s, void *obj, size_t size)
{
    if (!obj)
        return;
    if (s->count == 0)
        s->size = size;
    if (size != s->size || s->count >= s->bound || s->count >= SPARE_LIST_MAX) {
        kfree(obj);
        return;
    }
    s->items[s->count++] = obj;
    heap_note_cached((int64_t)size, 1);          /* held for reuse, not in live use */
}

void spare_drain(struct spare_list *s)
{
    while (s->count > 0) {
        kfree(s->items[--s->count]);
        heap_note_cached(-(int64_t)s->size, -1);
    }
}
