/*
 * xen/grants: the grant table of this domain (grants.h). The frames are Xen's; we place them
 * in a hole of the physical address space and write v1 entries through xen/grants_core.c.
 */
#include "xen/grants.h"
#include "xen/hypercall.h"
#include "xen/physmap.h"
#include "lib/errno.h"
#include "lib/list.h"
#include "lib/log.h"
#include "mm/mm.h"
#include "platform/platform.h"
#include "sched/sched.h"

#include <xen/grant_table.h>
#include <xen/memory.h>

#define PAGE_SIZE 4096u
/* Enough for a few rings of network and block requests; Xen's default limit is 64 frames. */
#define GRANT_FRAMES_WANTED 4u

/* How often the quarantine retries grants the backend still maps. */
#define QUARANTINE_RETRY_NS 1000000000ull

static struct grants_core core;
static uint32_t frames;
static bool ready;
static struct timer quarantine_timer;
static uint64_t quarantine_lost;

int xen_grants_init(void)
{
    if (ready)
        return 0;
    struct gnttab_query_size query = { .dom = DOMID_SELF };
    long rc = xen_grant_table_op(GNTTABOP_query_size, &query, 1);
    if (rc < 0 || query.status != GNTST_okay) {
        log_error("grant", "GNTTABOP_query_size failed (%ld, status %d)", rc, query.status);
        return rc < 0 ? (int)rc : -EIO;
    }
    frames = GRANT_FRAMES_WANTED;
    if (frames > query.max_nr_frames)
        frames = query.max_nr_frames;
    if (frames == 0)
        return -ENOSPC;
    int err;
    void *table = xen_physmap_place(XENMAPSPACE_grant_table, 0, frames, &err);
    if (!table) {
        log_error("grant", "cannot map %u grant frames: %s", frames, error_name(err));
        return err;
    }
    uint32_t entries = frames * (PAGE_SIZE / sizeof(struct grant_entry_v1));
    uint32_t *links = kcalloc(entries, sizeof(uint32_t));
    if (!links)
        return -ENOMEM;
    grants_core_init(&core, table, links, entries);
    ready = true;
    log_debug("grant", "%u frames (%u entries; Xen had %u of at most %u)", frames, entries,
              query.nr_frames, query.max_nr_frames);
    return 0;
}

int xen_grants_resume(void)
{
    if (!ready)
        return 0;
    /* The new domain's table goes where the old one was mapped. Its entries are all empty:
     * what was granted is granted no more, and every end of access succeeds, so drivers give
     * their old pages back the ordinary way (and the quarantine empties). */
    return xen_physmap_place_at(XENMAPSPACE_grant_table, 0, frames, (void *)core.entries);
}

long xen_grant_access(uint16_t domid, const void *page, bool readonly)
{
    if (!ready) {
        /* The table is set up by its first user, so images that share no pages skip it. */
        int rc = xen_grants_init();
        if (rc < 0)
            return rc;
    }
    uintptr_t addr = (uintptr_t)page;
    if (addr & (PAGE_SIZE - 1))
        return -EINVAL;
    return grants_core_grant(&core, domid, (uint32_t)(addr / PAGE_SIZE), readonly);
}

int xen_grant_end(uint32_t ref)
{
    return ready ? grants_core_end(&core, ref) : -ENODEV;
}

bool xen_grant_in_use(uint32_t ref)
{
    return ready && grants_core_in_use(&core, ref);
}

/* A quarantine node with the driver's counter of its held pages. */
struct counted_held {
    struct grants_held held;
    uint32_t *owner_held;
};

static void release_held(struct grants_held *node, void *ctx)
{
    (void)ctx;
    struct counted_held *c = container_of(node, struct counted_held, held);
    if (c->owner_held)
        *c->owner_held -= 1u << node->order;
    page_free(node->page, node->order);
    kfree(c);
}

static void quarantine_tick(struct timer *t, void *arg)
{
    (void)arg;
    if (xen_grants_retry_quarantine() > 0)
        timer_arm(t, platform_monotonic_ns() + QUARANTINE_RETRY_NS);
}

uint32_t xen_grants_retry_quarantine(void)
{
    if (!ready)
        return 0;
    uint32_t before = core.held_pages;
    uint32_t left = grants_core_retry_held(&core, release_held, NULL);
    if (left < before)
        log_info("grant", "%u quarantined pages released (%u still mapped)",
                 before - left, left);
    return left;
}

int xen_grant_end_free(uint32_t ref, void *page, unsigned order)
{
    return xen_grant_end_free_counted(ref, page, order, NULL);
}

int xen_grant_end_free_counted(uint32_t ref, void *page, unsigned order, uint32_t *held)
{
    int rc = xen_grant_end(ref);
    if (rc == 0) {
        page_free(page, order);
        return 0;
    }
    if (rc != -EBUSY)
        return rc;
    struct counted_held *node = kmalloc(sizeof(*node));
    if (!node) {
        /* Without a node the page cannot be tracked; keeping it for ever is the safe choice. */
        quarantine_lost += 1u << order;
        if (held)
            *held += 1u << order;   /* its grant stays taken for good: still the owner's */
        log_error("grant", "ref %u still mapped, no memory to track it: page kept for good", ref);
        return -EBUSY;
    }
    node->owner_held = held;
    if (held)
        *held += 1u << order;
    grants_core_hold(&core, &node->held, ref, page, order);
    /* One line per doubling, so a backend that keeps thousands of pages cannot flood the log. */
    if ((core.held_pages & (core.held_pages - 1)) == 0)
        log_warn("grant", "ref %u still mapped by domain %u: page quarantined (%u held)", ref,
                 core.entries[ref].domid, core.held_pages);
    if (!quarantine_timer.callback)
        timer_init(&quarantine_timer, quarantine_tick, NULL);
    if (!timer_armed(&quarantine_timer))
        timer_arm(&quarantine_timer, platform_monotonic_ns() + QUARANTINE_RETRY_NS);
    return -EBUSY;
}

void xen_grants_get_stats(struct xen_grant_stats *out)
{
    *out = (struct xen_grant_stats){
        .frames = frames, .entries = core.nr_entries, .free = core.free_count,
        .granted = core.granted, .ended = core.ended,
        .end_refused_busy = core.end_refused_busy, .exhausted = core.exhausted,
        .bad_ref = core.bad_ref,
        .quarantined = core.held_pages,
        .quarantined_bytes = (uint64_t)core.held_pages * PAGE_SIZE,
        .quarantined_total = core.held_total, .quarantine_released = core.held_released,
        .quarantine_lost = quarantine_lost,
    };
}
