/*
 * xen/grants: the grant table of this domain (grants.h). The frames are Xen's; we place them
 * in a hole of the physical address space and write v1 entries through xen/grants_core.c.
 */
#include "xen/grants.h"
#include "xen/hypercall.h"
#include "xen/physmap.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "mm/mm.h"

#include <xen/grant_table.h>
#include <xen/memory.h>

#define PAGE_SIZE 4096u
/* Enough for a few rings of network and block requests; Xen's default limit is 64 frames. */
#define GRANT_FRAMES_WANTED 4u

static struct grants_core core;
static uint32_t frames;
static bool ready;

_Static_assert(sizeof(struct grants_entry) == sizeof(struct grant_entry_v1),
               "grants_entry must match Xen's grant_entry_v1");

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

void xen_grants_get_stats(struct xen_grant_stats *out)
{
    *out = (struct xen_grant_stats){
        .frames = frames, .entries = core.nr_entries, .free = core.free_count,
        .granted = core.granted, .ended = core.ended,
        .end_refused_busy = core.end_refused_busy, .exhausted = core.exhausted,
        .bad_ref = core.bad_ref,
    };
}
