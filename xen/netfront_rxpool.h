/*
 * xen/netfront_rxpool: the pages a netfront queue hands up to the stack instead of copying its
 * received frames (netfront_ring.h, struct netfront_rx_handoff). It owns a bounded set of pages:
 * those lent to the stack (in packets, as pbuf device storage) and spare ones back from the stack,
 * at most NETFRONT_RXPOOL_PAGES together. A ring slot that hands its page up gets a spare (or
 * newly allocated) page, zeroed and granted, and a record is reserved for the page it gives up,
 * so a multi-slot frame whose slots all got fresh pages can lend or keep every old one; a page
 * comes back to the pool when the stack frees the packet's last reference, or at once when its
 * frame was copied after all (retire). At the bound the ring copies instead, so memory stays
 * bounded and the ring never starves. A page whose grant would not end goes to the grant
 * quarantine (xen/grants.h) and leaves the pool for good, counted in the device's quarantine
 * account (`quarantined`), which holds it against NETFRONT_GRANT_CAP at the next connection
 * (xen/netfront_conn.h). While connected its slot already holds a fresh grant, so each such page
 * is a reference over the cap: the ring counts them (rx_held_pages) and breaks the queue past
 * NETFRONT_RX_HELD_PAGES_MAX (broken_rx_held_pages, xen/netfront_ring.h), so a backend that keeps
 * mapping the pages it answered is disconnected after a few pages instead of growing the
 * quarantine until xen_grant_access fails for every driver.
 *
 * The pool outlives its queue while the stack still holds pages: netfront_rxpool_detach lets
 * go of the queue; the last page to come back frees the pool.
 */
#ifndef XENOLITH_XEN_NETFRONT_RXPOOL_H
#define XENOLITH_XEN_NETFRONT_RXPOOL_H

#include <stdint.h>
#include "xen/netfront_ring.h"

/* Pages one queue may have lent to the stack or kept spare (1 MiB). */
#define NETFRONT_RXPOOL_PAGES 256u

struct netfront_rxpool;

/* A pool for a queue whose ring slot pages are slot_pages/slot_grefs (updated as slots get fresh
 * pages, so the queue's release at disconnect ends the right grants), granting to backend_domid;
 * quarantined counts this device's pages in the grant quarantine. NULL when out of memory (the
 * queue then copies every frame). */
struct netfront_rxpool *netfront_rxpool_create(uint8_t **slot_pages, uint32_t *slot_grefs,
                                               uint16_t backend_domid, uint32_t *quarantined);
/* The ring's handoff on this pool. */
const struct netfront_rx_handoff *netfront_rxpool_handoff(struct netfront_rxpool *pool);
/* The queue is going: spare pages are freed now, lent ones as they come back, then the pool. */
void netfront_rxpool_detach(struct netfront_rxpool *pool);

#endif
