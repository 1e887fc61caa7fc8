/*
 * xen/grants_core: v1 grant entries and the reference free list (grants_core.h).
 */
#include "xen/grants_core.h"
#include "lib/errno.h"

/* A freed or never-used reference's link while allocated: distinguishes "granted" from
 * "free" so a double end is refused. */
#define LINK_IN_USE (UINT32_MAX - 1)

void grants_core_init(struct grants_core *g, volatile grant_entry_v1_t *entries,
                      uint32_t *links, uint32_t nr_entries)
{
    g->entries = entries;
    g->nr_entries = nr_entries;
    g->next_free = links;
    g->free_head = nr_entries;
    g->free_count = 0;
    g->granted = g->ended = g->end_refused_busy = g->exhausted = g->bad_ref = 0;
    g->held = NULL;
    g->held_pages = 0;
    g->held_total = g->held_released = 0;
    /* Build the list so that low references come out first. */
    for (uint32_t ref = nr_entries; ref-- > GRANTS_FIRST_FREE;) {
        entries[ref].flags = 0;
        entries[ref].domid = 0;
        entries[ref].frame = 0;
        links[ref] = g->free_head;
        g->free_head = ref;
        g->free_count++;
    }
    for (uint32_t ref = 0; ref < GRANTS_FIRST_FREE && ref < nr_entries; ref++)
        links[ref] = LINK_IN_USE;   /* reserved: never on the list, never ours to end */
}

long grants_core_grant(struct grants_core *g, uint16_t domid, uint32_t frame, bool readonly)
{
    if (g->free_head >= g->nr_entries) {
        g->exhausted++;
        return -ENOSPC;
    }
    uint32_t ref = g->free_head;
    g->free_head = g->next_free[ref];
    g->next_free[ref] = LINK_IN_USE;
    g->free_count--;
    volatile grant_entry_v1_t *e = &g->entries[ref];
    e->domid = domid;
    e->frame = frame;
    /* The other domain reads flags first: domid and frame must be visible before it. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&e->flags,
                     (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
                     __ATOMIC_RELEASE);
    g->granted++;
    return (long)ref;
}

static bool ref_is_granted(const struct grants_core *g, uint32_t ref)
{
    return ref >= GRANTS_FIRST_FREE && ref < g->nr_entries &&
           g->next_free[ref] == LINK_IN_USE;
}

bool grants_core_in_use(const struct grants_core *g, uint32_t ref)
{
    if (ref >= g->nr_entries)
        return false;
    uint16_t flags = __atomic_load_n(&g->entries[ref].flags, __ATOMIC_ACQUIRE);
    return (flags & (GTF_reading | GTF_writing)) != 0;
}

int grants_core_end(struct grants_core *g, uint32_t ref)
{
    if (!ref_is_granted(g, ref)) {
        g->bad_ref++;
        return -EINVAL;
    }
    volatile uint16_t *flags = &g->entries[ref].flags;
    uint16_t seen = __atomic_load_n(flags, __ATOMIC_ACQUIRE);
    for (;;) {
        if (seen & (GTF_reading | GTF_writing)) {
            g->end_refused_busy++;
            return -EBUSY;
        }
        /* Fails (and reloads `seen`) if Xen set reading/writing meanwhile. */
        if (__atomic_compare_exchange_n(flags, &seen, 0, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            break;
    }
    g->next_free[ref] = g->free_head;
    g->free_head = ref;
    g->free_count++;
    g->ended++;
    return 0;
}

void grants_core_hold(struct grants_core *g, struct grants_held *node, uint32_t ref, void *page,
                      unsigned order)
{
    node->ref = ref;
    node->page = page;
    node->order = order;
    node->next = g->held;
    g->held = node;
    g->held_pages += 1u << order;
    g->held_total += 1u << order;
}

uint32_t grants_core_retry_held(struct grants_core *g,
                                void (*release)(struct grants_held *node, void *ctx), void *ctx)
{
    struct grants_held **link = &g->held;
    while (*link) {
        struct grants_held *node = *link;
        /* -EINVAL cannot happen for a held ref (nothing else ends it); treat it as busy so a
         * page is never released on a path the rule does not cover. */
        if (grants_core_end(g, node->ref) != 0) {
            link = &node->next;
            continue;
        }
        *link = node->next;
        g->held_pages -= 1u << node->order;
        g->held_released += 1u << node->order;
        release(node, ctx);
    }
    return g->held_pages;
}
