/*
 * xen/netfront_conn: what one netfront connection costs in grants and when the device may
 * connect again, as pure code (no xenstore, no hypercalls), so the rules are unit-tested
 * (test/unit/test_netfront_conn.c) and fuzzed (test/fuzz/fuzz_netif.c); netfront_xenbus.c
 * applies them with the real grant table.
 *
 * Pages: every page a queue shares with the backend (two rings, the tx pool, the rx pages) is
 * in struct netfront_queue_pages. They are given back only through the grant-lifetime rule
 * (xen/grants.h): ending the grant frees the page, and a page the backend still maps goes to the
 * quarantine, which frees it once the backend unmaps it, however late. Nothing here frees a
 * granted page itself.
 *
 * Grant budget: a device holds at most NETFRONT_GRANT_CAP grant references, its live queues plus
 * its pages in the quarantine, so a backend that maps everything and keeps cycling the
 * connection cannot take the table from blkfront. A (re)connection that would pass the cap is
 * refused until the quarantine drains.
 *
 * Reconnection: after a connection ends, the next try waits NETFRONT_RECONNECT_FIRST_NS,
 * doubling for each further reconnection up to NETFRONT_RECONNECT_MAX_NS; a connection that
 * stayed up NETFRONT_RECONNECT_STABLE_NS starts the count again. After NETFRONT_RECONNECT_LIMIT
 * reconnections in a row without such a stable connection, the device stays down.
 */
#ifndef XENOLITH_XEN_NETFRONT_CONN_H
#define XENOLITH_XEN_NETFRONT_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include "xen/netfront_ring.h"

/* Grant references one queue uses: its two rings, the tx pool and the rx pages. */
#define NETFRONT_GRANTS_PER_QUEUE ((unsigned)(2u + NETFRONT_TX_SLOTS + NETFRONT_RX_SLOTS))
/* A device's share of the grant table: two queues (1028 of the 2040 references of the four
 * frames xen/grants.c maps), live and quarantined together. */
#define NETFRONT_GRANT_CAP (2u * NETFRONT_GRANTS_PER_QUEUE)

#define NETFRONT_RECONNECT_FIRST_NS (1ull * 1000000000ull)
#define NETFRONT_RECONNECT_MAX_NS (32ull * 1000000000ull)
#define NETFRONT_RECONNECT_STABLE_NS (60ull * 1000000000ull)
#define NETFRONT_RECONNECT_LIMIT 6u

/* Every page one queue shares with the backend, with its grant: a page that is not NULL is
 * granted and its reference is beside it. */
struct netfront_queue_pages {
    void *tx_sring, *rx_sring;
    uint32_t tx_ring_ref, rx_ring_ref;
    uint8_t *tx_pages[NETFRONT_TX_SLOTS];
    uint32_t tx_grefs[NETFRONT_TX_SLOTS];
    uint8_t *rx_pages[NETFRONT_RX_SLOTS];
    uint32_t rx_grefs[NETFRONT_RX_SLOTS];
};

/* How pages are obtained and given back (the kernel: page_alloc and the grant table; tests:
 * fakes). */
struct netfront_page_ops {
    /* A zeroed 4 KiB page granted to the backend, its reference in *ref; NULL on failure
     * (nothing granted). */
    void *(*grant)(bool readonly, uint32_t *ref, void *ctx);
    /* Ends ref and frees page under the grant-lifetime rule: 0 freed, -EBUSY quarantined
     * (the page is no longer ours), -EINVAL ref not granted (the page is still ours). */
    int (*end_free)(uint32_t ref, void *page, void *ctx);
    /* Frees a page whose reference the table no longer knows (end_free said -EINVAL): no
     * grant names it, so nobody can map it. */
    void (*free)(void *page, void *ctx);
    void *ctx;
};

/* Allocates and grants every page of a queue. 0, or -ENOMEM with what was granted already
 * released again. */
int netfront_queue_pages_grant(struct netfront_queue_pages *p, const struct netfront_page_ops *ops);

/* Gives every page back (ending grants; pages still mapped go to the quarantine) and empties p.
 * Returns the number of pages that went to the quarantine. */
unsigned netfront_queue_pages_release(struct netfront_queue_pages *p,
                                      const struct netfront_page_ops *ops);

/* Whether the grant budget allows a connection of `queues` queues while `quarantined` of the
 * device's pages are still in the quarantine. */
bool netfront_grants_allow(uint32_t quarantined, unsigned queues);

enum netfront_reconnect_verdict {
    NETFRONT_RECONNECT_NOW,
    NETFRONT_RECONNECT_WAIT,      /* backoff: not before *not_before */
    NETFRONT_RECONNECT_OVER_CAP,  /* the quarantine plus the new queues would pass the cap */
    NETFRONT_RECONNECT_GIVE_UP,   /* NETFRONT_RECONNECT_LIMIT reached: stay down */
};

struct netfront_reconnect {
    unsigned attempts;            /* reconnections since the last stable connection */
    uint64_t not_before;          /* no attempt before this time */
    uint64_t up_since;            /* when the current connection came up; 0 when down */
};

/* May the device connect `queues` queues now? */
enum netfront_reconnect_verdict netfront_reconnect_decide(struct netfront_reconnect *r,
                                                          uint64_t now_ns, uint32_t quarantined,
                                                          unsigned queues, uint64_t *not_before);
/* A connection came up. */
void netfront_reconnect_up(struct netfront_reconnect *r, uint64_t now_ns);
/* A connection ended, or an attempt failed: the next attempt backs off. */
void netfront_reconnect_down(struct netfront_reconnect *r, uint64_t now_ns);

#endif
