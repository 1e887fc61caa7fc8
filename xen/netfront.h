/*
 * xen/netfront: the Xen PV network frontend, a netdev (platform/netdev.h) on device/vif/<id>.
 *
 * Connection: waits for netback's InitWait, reads its features and answers with ours
 * (request-rx-copy, feature-rx-notify, feature-sg, feature-gso-tcpv4, feature-no-csum-offload=0),
 * sets up min(multi-queue-max-queues, NETFRONT_MAX_QUEUES) queues with split event channels when
 * offered, publishes them and goes Connected. MAC and MTU come from the vif's xenstore nodes.
 * Rings, page pools and response checks are xen/netfront_ring.h; a poller fiber per device takes
 * responses when an event arrives and sleeps otherwise (also while a partial frame waits for its
 * end, at most NETFRONT_RX_PARTIAL_WAIT_NS); a watcher fiber follows the backend's state: when
 * the backend closes, the frontend closes too and reconnects when the backend offers InitWait
 * again, under xen/netfront_conn.h's rules: backoff (1 s doubling to 32 s), at most
 * NETFRONT_RECONNECT_LIMIT reconnections without a connection that lasted a minute, and the
 * device's grant cap (NETFRONT_GRANT_CAP: live queues plus its pages in the grant quarantine).
 * A bad response is logged with the rule it broke ("queue 0 broken (rule rx_error_chain): ...")
 * and disconnects the device for good (transmit then returns -ENETDOWN).
 * Every page goes back through xen_grant_end_free_counted: one the backend still maps waits in
 * the grant quarantine (counted per device) until the backend unmaps it, however late.
 * netdev_destroy, or the kernel's shutdown hook for a device still open, closes cleanly
 * (Closing, Closed, grants ended or quarantined, ports closed) and prints the counters, among
 * them the broken_<rule> counts and grants.quarantined (this device's pages held now).
 *
 * Capabilities given to the stack: RX_CSUM (frames the backend validated), SG (frames are
 * copied into the pool anyway), TX_CSUM unless the backend says feature-no-csum-offload, TSO
 * when the backend has feature-gso-tcpv4 and feature-sg.
 */
#ifndef XENOLITH_XEN_NETFRONT_H
#define XENOLITH_XEN_NETFRONT_H

#include <stdint.h>
#include "platform/netdev.h"
#include "xen/netfront_ring.h"

#define NETFRONT_MAX_QUEUES 2u

/* Device-wide counters; the rings' counters are struct netfront_queue_stats. */
#define NETFRONT_COUNTERS(X)                                                           \
    X(connects)         /* handshakes that reached Connected */                        \
    X(disconnects)      /* connections torn down (backend closed, bad response, close) */ \
    X(bad_disconnects)  /* ... of which because of a bad response */                   \
    X(events)           /* event-channel notifications from the backend */             \
    X(pages_quarantined) /* pages the backend still mapped when given back (quarantined) */ \
    X(reconnect_backoff) /* reconnections postponed by the backoff */                  \
    X(reconnect_over_cap) /* ... refused: the quarantine plus new queues pass the cap */ \
    X(reconnect_gave_up) /* times the device stayed down after too many reconnections */

struct netfront_stats {
#define NETFRONT_STAT_FIELD(name) uint64_t name;
    NETFRONT_COUNTERS(NETFRONT_STAT_FIELD)
#undef NETFRONT_STAT_FIELD
    unsigned queues;                    /* queues of the current (or last) connection */
    struct netfront_queue_stats rings;  /* summed over every queue and connection */
};

/* The index-th vif in xenstore's device/vif listing, opened (platform_netdev_open on the PVH
 * platform). NULL with the reason logged: not on Xen, xenstore not up, no such vif. */
struct netdev *xen_netfront_open_index(unsigned index, struct pbuf_pool *rx_pool);

/* Opens device/vif/<id> and connects it, receiving into rx_pool. NULL with the reason logged. */
struct netdev *netfront_open(const char *id, struct pbuf_pool *rx_pool);

/* The counters of a device netfront_open returned. */
void netfront_get_stats(struct netdev *dev, struct netfront_stats *out);
/* Prints them ("netfront.vif0.tx_notify 3"), with notifications per 1000 frames. */
void netfront_print_stats(struct netdev *dev);

#endif
