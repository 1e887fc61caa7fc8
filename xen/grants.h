/*
 * xen/grants: sharing pages with other domains (grant table v1). A frontend grants the
 * backend access to a page and publishes the reference (in xenstore or a ring request);
 * when done it ends access, which Xen refuses while the backend still maps the page: then
 * xen_grant_end returns -EBUSY and the page must stay untouched until a later retry succeeds.
 *
 *     long ref = xen_grant_access(backend_domid, page, false);   // page: 4 KiB aligned
 *     ... ref goes to the backend ...
 *     int rc = xen_grant_end(ref);                              // 0, or -EBUSY: still mapped
 *
 * The grant-lifetime rule: a page that was granted goes back to the page allocator only after
 * its grant was ended. Drivers free granted pages through xen_grant_end_free, never with
 * page_free after an xen_grant_end of their own: when the backend still maps the page it goes
 * into the quarantine, which retries ending the grant every second (and on
 * xen_grants_retry_quarantine, which drivers call when they disconnect) and frees the page only
 * once Xen agrees nobody maps it. Pages must also be zeroed or fully written before they are
 * granted, so the backend never reads stale memory.
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

/* After a resume in a new domain (xen/suspend.h): maps the new, empty grant table where the old
 * one was (nothing if no grant was ever made). 0 or a negative errno. */
int xen_grants_resume(void);

/* Grants domid access to the 4 KiB page at `page` (an identity-mapped address). Returns the
 * reference (>= 8), -EINVAL for an unaligned page, -ENOSPC when the table is full, or the
 * error that stopped the table's set-up. */
long xen_grant_access(uint16_t domid, const void *page, bool readonly);
/* Ends access and frees the reference; -EBUSY while the other domain maps it. */
int xen_grant_end(uint32_t ref);
bool xen_grant_in_use(uint32_t ref);

/* Ends ref and frees page (2^order pages from page_alloc) under the grant-lifetime rule.
 * Returns 0 when the page was freed now, -EBUSY when the backend still maps it (the page now
 * belongs to the quarantine: forget it), -EINVAL when ref is not granted (the page is not
 * touched: the caller still owns it). */
int xen_grant_end_free(uint32_t ref, void *page, unsigned order);

/* xen_grant_end_free, and while the page is quarantined *held counts its pages (added when it
 * goes in, subtracted when the quarantine frees it), so a driver can cap what one backend keeps
 * of the table. held must stay valid until it reads 0 (static storage); NULL counts nothing. */
int xen_grant_end_free_counted(uint32_t ref, void *page, unsigned order, uint32_t *held);

/* Retries every quarantined grant now. Returns the pages still held. */
uint32_t xen_grants_retry_quarantine(void);

struct xen_grant_stats {
    uint32_t frames, entries, free;
    uint64_t granted, ended, end_refused_busy, exhausted, bad_ref;
    uint32_t quarantined;                /* pages held now because the backend maps them */
    uint64_t quarantined_bytes;          /* the same in bytes */
    uint64_t quarantined_total, quarantine_released;
    uint64_t quarantine_lost;            /* no memory to track a held page: never freed */
};
void xen_grants_get_stats(struct xen_grant_stats *out);

#endif
