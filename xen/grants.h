/*
 * xen/grants: sharing pages with other domains (grant table v1). A frontend grants the
 * backend access to a page and publishes the reference (in xenstore or a ring request);
 * when done it ends access, which Xen refuses while the backend still maps the page: then
 * xen_grant_end returns -EBUSY and the page must stay untouched until a later retry succeeds.
 *
 *     long ref = xen_grant_access(backend_domid, page, false);   // page: 4 KiB aligned
 *     ... ref goes to the backend ...
 *     int rc = xen_grant_end(ref);                              // 0, or -EBUSY: still mapped
 */
#ifndef XENOLITH_XEN_GRANTS_H
#define XENOLITH_XEN_GRANTS_H

#include <stdbool.h>
#include <stdint.h>
#include "xen/grants_core.h"

/* Maps the grant table (GNTTABOP_query_size, then XENMEM_add_to_physmap with
 * XENMAPSPACE_grant_table for each frame) and builds the free list. Needs the heap. The
 * first xen_grant_access calls it; calling it earlier only moves the cost. */
int xen_grants_init(void);

/* Grants domid access to the 4 KiB page at `page` (an identity-mapped address). Returns the
 * reference (>= 8), -EINVAL for an unaligned page, -ENOSPC when the table is full, or the
 * error that stopped the table's set-up. */
long xen_grant_access(uint16_t domid, const void *page, bool readonly);
/* Ends access and frees the reference; -EBUSY while the other domain maps it. */
int xen_grant_end(uint32_t ref);
bool xen_grant_in_use(uint32_t ref);

struct xen_grant_stats {
    uint32_t frames, entries, free;
    uint64_t granted, ended, end_refused_busy, exhausted, bad_ref;
};
void xen_grants_get_stats(struct xen_grant_stats *out);

#endif
