/*
 * mm/heap: kmalloc and friends. Requests up to 4096 bytes come from slabs: one page holds
 * objects of one power-of-two class (16 .. 4096), the page's descriptor says which, so kfree
 * needs nothing but the pointer. Each object's requested size is kept (a uint16 table at the
 * end of the slab page, or in the descriptor for classes with at most 4 objects a page) so
 * bytes_in_use is exact and a second kfree of the same object is recognised. Larger requests
 * are whole page blocks. A new slab is carved by a bump index: its objects are handed out in
 * address order as they are first needed and nothing is written to them before (no pass over
 * the page). Freed objects are filled with HEAP_POISON, chained for reuse ahead of the objects
 * never handed out, and checked when handed out again (a write after free panics); ASan builds
 * also poison free and never-handed objects in the shadow memory.
 */
#include "mm/mm.h"
#include "mm/page_internal.h"
#include "lib/panic.h"

#define HEAP_POISON 0x6b
#define SMALLEST_CLASS 16u
#define LARGEST_CLASS 4096u
#define SLOT_FREE 0xffffu
/* A slab's chain of objects to hand out (page_desc.slab_free) is its freed objects, each
 * linking to the next through its first word, ending either in NULL (every object was handed
 * out at least once) or in the first object never handed out, tagged with this bit (objects are
 * 16-byte aligned): the bump index, kept as an address. */
#define NEVER_HANDED_OUT ((uintptr_t)1)
/* Classes from this size keep the object sizes in the descriptor (at most 4 a page). */
#define DESC_SIZES_FROM 1024u

static struct heap_stats stats;
struct heap_cached_counts heap_cached;
static struct page_desc *partial_slabs[HEAP_CLASSES]; /* slabs with at least one free object */

/* Panics if a free object (16-byte aligned, csize a multiple of 16) was written after free.
 * The first word is the free-list link; the rest is checked a word at a time, since every
 * small allocation pays for this check. */
static void check_poison(const uint8_t *obj, unsigned csize)
{
    const uint64_t pattern = 0x0101010101010101ull * HEAP_POISON;
    const uint64_t *words = (const uint64_t *)(const void *)obj;
    /* Differences gathered without a branch per word; only a difference is looked at byte by
     * byte. */
    uint64_t diff = 0;
    for (unsigned w = 1; w < csize / 8; w++)
        diff |= words[w] ^ pattern;
    if (diff == 0)
        return;
    for (unsigned i = 8; i < csize; i++)
        if (obj[i] != HEAP_POISON)
            panic("heap: object %p (class %u) was written after free (byte %u)",
                  (void *)obj, csize, i);
}

static unsigned class_bytes(unsigned cls)
{
    return SMALLEST_CLASS << cls;
}

/* The smallest class holding size bytes: the bit width of size - 1, less SMALLEST_CLASS's. */
static unsigned class_for(size_t size)
{
    _Static_assert(SMALLEST_CLASS == 16u, "class_for counts from 16 = 1 << 4");
    if (size <= SMALLEST_CLASS)
        return 0;
    return (unsigned)(64 - __builtin_clzll((unsigned long long)size - 1)) - 4;
}

/* obj's place in its slab: its offset over the class size (a shift, the classes being powers of
 * two from 1 << 4). */
static unsigned object_index(const uint8_t *obj, uintptr_t page, unsigned cls)
{
    return (unsigned)(((uintptr_t)obj - page) >> (cls + 4));
}

static size_t table_bytes(unsigned capacity)
{
    return ((size_t)capacity * sizeof(uint16_t) + 15) & ~(size_t)15;
}

static unsigned slab_capacity(unsigned cls)
{
    unsigned size = class_bytes(cls);
    unsigned cap = PAGE_SIZE / size;
    if (size >= DESC_SIZES_FROM)
        return cap;
    while ((size_t)cap * size + table_bytes(cap) > PAGE_SIZE)
        cap--;
    return cap;
}

static uint16_t *size_slot(struct page_desc *d, uintptr_t page, unsigned index)
{
    if (class_bytes(d->slab_class) >= DESC_SIZES_FROM)
        return &d->slab_obj_bytes[index];
    uint16_t *table = (uint16_t *)(page + PAGE_SIZE - table_bytes(d->slab_capacity));
    return &table[index];
}

void heap_reset(void)
{
    stats = (struct heap_stats){ 0 };
    heap_cached = (struct heap_cached_counts){ 0 };
    for (unsigned c = 0; c < HEAP_CLASSES; c++)
        partial_slabs[c] = NULL;
}

void heap_note_cached(int64_t bytes, int64_t objects)
{
    heap_cached.bytes += (uint64_t)bytes;
    heap_cached.objects += (uint64_t)objects;
}

void heap_get_stats(struct heap_stats *out)
{
    *out = stats;
    out->cached_bytes = heap_cached.bytes;
    out->cached_objects = heap_cached.objects;
    for (unsigned c = 0; c < HEAP_CLASSES; c++)
        out->class_size[c] = class_bytes(c);
}

static void partial_push(struct page_desc *d)
{
    d->prev = NULL;
    d->next = partial_slabs[d->slab_class];
    if (d->next)
        d->next->prev = d;
    partial_slabs[d->slab_class] = d;
}

static void partial_remove(struct page_desc *d)
{
    if (d->prev)
        d->prev->next = d->next;
    else
        partial_slabs[d->slab_class] = d->next;
    if (d->next)
        d->next->prev = d->prev;
    d->next = d->prev = NULL;
}

static void set_link(void *obj, void *next)
{
    __builtin_memcpy(obj, &next, sizeof(next));
}

static void *get_link(const void *obj)
{
    void *next;
    __builtin_memcpy(&next, obj, sizeof(next));
    return next;
}

static struct page_desc *new_slab(unsigned cls)
{
    uint8_t *page = page_alloc(0);
    if (!page)
        return NULL;
    struct page_desc *d = page_desc_of((uintptr_t)page);
    d->use = PAGE_USE_SLAB;
    d->slab_class = (uint8_t)cls;
    d->slab_in_use = 0;
    d->slab_capacity = (uint16_t)slab_capacity(cls);
    /* Every object free (a kfree of one never handed out is a double free); the objects
     * themselves are not written. */
    if (class_bytes(cls) >= DESC_SIZES_FROM)
        __builtin_memset(d->slab_obj_bytes, 0xff, sizeof(d->slab_obj_bytes));
    else
        __builtin_memset(page + PAGE_SIZE - table_bytes(d->slab_capacity), 0xff,
                         table_bytes(d->slab_capacity));
    _Static_assert(SLOT_FREE == 0xffffu, "the size slots are set free bytewise");
    d->slab_free = (void *)((uintptr_t)page | NEVER_HANDED_OUT);
    MM_ASAN_POISON(page, PAGE_SIZE);
    if (class_bytes(cls) < DESC_SIZES_FROM)
        MM_ASAN_UNPOISON(page + PAGE_SIZE - table_bytes(d->slab_capacity),
                         table_bytes(d->slab_capacity));
    partial_push(d);
    return d;
}

static void *slab_alloc(size_t size)
{
    unsigned cls = class_for(size);
    unsigned csize = class_bytes(cls);
    struct page_desc *d = partial_slabs[cls];
    if (!d)
        d = new_slab(cls);
    if (!d)
        d = partial_slabs[cls];          /* a reclaim hook freed an object of this class */
    if (!d) {
        stats.alloc_failures++;
        return NULL;
    }
    uint8_t *obj = d->slab_free;
    uintptr_t page = (uintptr_t)obj & ~(uintptr_t)(PAGE_SIZE - 1);   /* a slab is one page */
    uint8_t *next;
    if ((uintptr_t)obj & NEVER_HANDED_OUT) {
        /* Never handed out: nothing was written to it, so nothing to check. */
        obj -= NEVER_HANDED_OUT;
        next = (uintptr_t)obj + csize - page < (uintptr_t)d->slab_capacity * csize
                   ? obj + csize + NEVER_HANDED_OUT : NULL;
    } else {
        MM_ASAN_UNPOISON(obj, csize);
        next = get_link(obj);
        uintptr_t next_off = ((uintptr_t)next & ~NEVER_HANDED_OUT) - page;
        if (next && (next_off >= (uintptr_t)d->slab_capacity * csize ||
                     (next_off & (csize - 1)) != 0))
            panic("heap: free list of slab %p (class %u) is corrupt: object %p was written "
                  "after free", (void *)page, csize, (void *)obj);
        check_poison(obj, csize);
        __builtin_memset(obj, HEAP_POISON, sizeof(void *));   /* the link is not handed out */
        MM_ASAN_POISON(obj, csize);
    }
    d->slab_free = next;
    if (!next)
        partial_remove(d);
    d->slab_in_use++;
    *size_slot(d, page, object_index(obj, page, cls)) = (uint16_t)size;
    MM_ASAN_UNPOISON(obj, size);
    stats.class_in_use[cls]++;
    stats.bytes_in_use += size;
    return obj;
}

static void *large_alloc(size_t size)
{
    unsigned order = page_order_for(size);
    uint8_t *block = order <= PAGE_ORDER_MAX ? page_alloc(order) : NULL;
    if (!block) {
        stats.alloc_failures++;
        return NULL;
    }
    struct page_desc *d = page_desc_of((uintptr_t)block);
    d->use = PAGE_USE_LARGE;
    d->large_bytes = (uint32_t)size;
    MM_ASAN_POISON(block, (size_t)PAGE_SIZE << order);
    MM_ASAN_UNPOISON(block, size);
    stats.large_in_use++;
    stats.bytes_in_use += size;
    return block;
}

void *kmalloc(size_t size)
{
    return size <= LARGEST_CLASS ? slab_alloc(size) : large_alloc(size);
}

void *kcalloc(size_t count, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        stats.alloc_failures++;
        return NULL;
    }
    void *p = kmalloc(bytes);
    if (p)
        __builtin_memset(p, 0, bytes);
    return p;
}

/* What a heap pointer is, found from the pointer alone; panics on anything kfree must refuse. */
struct heap_object {
    struct page_desc *desc;
    uintptr_t page;
    unsigned index;    /* slab objects */
    size_t bytes;      /* requested size */
};

static struct heap_object lookup(const char *who, void *ptr)
{
    struct heap_object o = { 0 };
    uintptr_t addr = (uintptr_t)ptr;
    const char *why;   /* one report for every refusal (slab objects also give their class) */
    unsigned csize = 0;
    o.desc = page_desc_of(addr);
    if (!o.desc) {
        why = "not a heap pointer (outside the page allocator's memory)";
        goto refuse;
    }
    o.page = addr & ~(uintptr_t)(PAGE_SIZE - 1);   /* pages are aligned to their size */
    struct page_desc *d = o.desc;
    if (d->state != PAGE_ALLOC_HEAD) {
        struct page_desc *below = page_desc_of(o.page - PAGE_SIZE);
        if (addr == o.page && below && below->state == PAGE_ALLOC_HEAD &&
            below->use == PAGE_USE_GUARDED)
            goto guarded;
        why = "not a live heap object (double free, or memory the heap never gave)";
        goto refuse;
    }
    switch (d->use) {
    case PAGE_USE_SLAB: {
        csize = class_bytes(d->slab_class);
        uintptr_t off = addr - o.page;
        if (off % csize != 0 || off / csize >= d->slab_capacity) {
            why = "not the start of a heap object";
            goto refuse;
        }
        o.index = (unsigned)(off / csize);
        uint16_t slot = *size_slot(d, o.page, o.index);
        if (slot == SLOT_FREE) {
            why = "double free (the object is already free)";
            goto refuse;
        }
        o.bytes = slot;
        return o;
    }
    case PAGE_USE_LARGE:
        if (addr != o.page) {
            why = "not the start of a heap object (inside a large allocation)";
            goto refuse;
        }
        o.bytes = d->large_bytes;
        return o;
    case PAGE_USE_GUARDED:
        goto guarded;
    default:
        why = "pages from page_alloc, not a heap object";
        goto refuse;
    }
guarded:
    why = "memory from kalloc_guarded (free it with kfree_guarded)";
refuse:
    if (csize)
        panic("%s(%p): %s (class %u)", who, ptr, why, csize);
    panic("%s(%p): %s", who, ptr, why);
}

static void release(struct heap_object o, void *ptr)
{
    struct page_desc *d = o.desc;
    if (d->use == PAGE_USE_LARGE) {
        MM_ASAN_UNPOISON(ptr, o.bytes);
        __builtin_memset(ptr, HEAP_POISON, o.bytes);
        d->use = PAGE_USE_RAW;
        stats.large_in_use--;
        stats.bytes_in_use -= o.bytes;
        page_free(ptr, d->order);
        return;
    }
    unsigned csize = class_bytes(d->slab_class);
    uint8_t *obj = ptr;
    MM_ASAN_UNPOISON(obj, csize);
    __builtin_memset(obj, HEAP_POISON, csize);
    set_link(obj, d->slab_free);
    MM_ASAN_POISON(obj, csize);
    *size_slot(d, o.page, o.index) = SLOT_FREE;
    if (!d->slab_free)
        partial_push(d);
    d->slab_free = obj;
    d->slab_in_use--;
    stats.class_in_use[d->slab_class]--;
    stats.bytes_in_use -= o.bytes;
    if (d->slab_in_use == 0) {
        /* An empty slab goes back, so freeing everything restores the page allocator. */
        partial_remove(d);
        d->use = PAGE_USE_RAW;
        page_free((void *)o.page, 0);
    }
}

void kfree(void *ptr)
{
    if (!ptr)
        return;
    release(lookup("kfree", ptr), ptr);
}

void *krealloc(void *ptr, size_t size)
{
    if (!ptr)
        return kmalloc(size);
    if (size == 0) {
        kfree(ptr);
        return NULL;
    }
    struct heap_object o = lookup("krealloc", ptr);
    struct page_desc *d = o.desc;
    bool same_slot;
    if (d->use == PAGE_USE_SLAB)
        same_slot = size <= LARGEST_CLASS && class_for(size) == d->slab_class;
    else
        same_slot = size > LARGEST_CLASS && page_order_for(size) == d->order;
    if (same_slot) {
        /* Same class or block: resize in place. */
        if (d->use == PAGE_USE_SLAB) {
            *size_slot(d, o.page, o.index) = (uint16_t)size;
            MM_ASAN_POISON(ptr, class_bytes(d->slab_class));
        } else {
            d->large_bytes = (uint32_t)size;
            MM_ASAN_POISON(ptr, (size_t)PAGE_SIZE << d->order);
        }
        MM_ASAN_UNPOISON(ptr, size);
        stats.bytes_in_use = stats.bytes_in_use - o.bytes + size;
        return ptr;
    }
    void *moved = kmalloc(size);
    if (!moved)
        return NULL; /* the old object stays valid, as with C's realloc */
    __builtin_memcpy(moved, ptr, o.bytes < size ? o.bytes : size);
    release(o, ptr);
    return moved;
}

void *kalloc_guarded(size_t size)
{
    size_t pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
    if (size == 0 || pages + 2 > ((size_t)1 << PAGE_ORDER_MAX)) {
        stats.alloc_failures++;
        return NULL;
    }
    uint8_t *run = page_alloc_run(pages + 2);
    if (!run) {
        stats.alloc_failures++;
        return NULL;
    }
    struct page_desc *d = page_desc_of((uintptr_t)run);
    d->use = PAGE_USE_GUARDED;
    d->large_bytes = (uint32_t)size;
    uint8_t *below = run, *above = run + (pages + 1) * PAGE_SIZE;
    MM_ASAN_POISON(below, PAGE_SIZE);
    MM_ASAN_POISON(above, PAGE_SIZE);
    /* A platform without page protection (early boot) still gets the memory; stack canaries
     * in sched/ then remain the only overflow check. */
    (void)platform_guard_pages(below, PAGE_SIZE, true);
    (void)platform_guard_pages(above, PAGE_SIZE, true);
    stats.large_in_use++;
    stats.bytes_in_use += size;
    return run + PAGE_SIZE;
}

void kfree_guarded(void *ptr, size_t size)
{
    if (!ptr)
        return;
    size_t pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
    uint8_t *run = (uint8_t *)ptr - PAGE_SIZE;
    struct page_desc *d = ((uintptr_t)ptr & (PAGE_SIZE - 1)) ? NULL : page_desc_of((uintptr_t)run);
    if (!d || d->state != PAGE_ALLOC_HEAD || d->use != PAGE_USE_GUARDED ||
        (d->large_bytes + PAGE_SIZE - 1) / PAGE_SIZE != pages)
        panic("kfree_guarded(%p, %zu): not a live guarded allocation of that size", ptr, size);
    (void)platform_guard_pages(run, PAGE_SIZE, false);
    (void)platform_guard_pages(run + (pages + 1) * PAGE_SIZE, PAGE_SIZE, false);
    d->use = PAGE_USE_RAW;
    stats.large_in_use--;
    stats.bytes_in_use -= d->large_bytes;
    page_free_run(run, pages + 2);
}
