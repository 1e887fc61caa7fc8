/*
 * xen/netfront_private: the state shared by netfront's files: netfront.c (the netdev, the
 * poller, opening and closing) and netfront_xenbus.c (queues, the xenbus handshake, the
 * backend watcher).
 */
#ifndef XENOLITH_XEN_NETFRONT_PRIVATE_H
#define XENOLITH_XEN_NETFRONT_PRIVATE_H

#include <stdbool.h>
#include "sched/sched.h"
#include "xen/events.h"
#include "xen/netfront.h"
#include "xen/xenbus_client.h"
#include "xen/xenstore.h"

struct netfront;

struct netfront_q {
    struct netfront_queue ring;
    struct netfront *nf;
    struct xen_event ev_tx, ev_rx;      /* ev_rx is bound only with split event channels */
    void *tx_sring, *rx_sring;
    long tx_ring_ref, rx_ring_ref;
    uint8_t *tx_pages[NETFRONT_TX_SLOTS];
    uint32_t tx_grefs[NETFRONT_TX_SLOTS];
    uint8_t *rx_pages[NETFRONT_RX_SLOTS];
    uint32_t rx_grefs[NETFRONT_RX_SLOTS];
};

enum netfront_link {
    NETFRONT_DOWN,       /* no rings (before connecting, after the backend closed) */
    NETFRONT_UP,         /* rings live */
    NETFRONT_BROKEN,     /* a bad response: rings are not touched again, close pending */
};

/* What the backend offers and what we took. */
struct netfront_negotiated {
    bool sg, gso_tcpv4, tx_csum, split_events;
    unsigned max_queues;
};

struct netfront {
    struct netdev dev;
    struct xenbus_device xb;
    enum netfront_link link;
    bool no_reconnect;                  /* set by a bad response */
    bool stopping;                      /* destroy/shutdown in progress */
    bool closed;                        /* the final close ran */
    struct netfront_negotiated neg;
    struct netfront_q *q[NETFRONT_MAX_QUEUES];
    unsigned nqueues;
    /* The poller sleeps on `wake` until an event sets `kicked`. */
    struct waitq wake;
    bool kicked, poller_stop;
    struct fiber *poller, *watcher;
    struct xenstore_watch watch;
    bool watching;
    struct netfront_stats stats;
    struct netfront *next;              /* every open device, for the shutdown hook */
};

/* netfront_xenbus.c */
int netfront_connect(struct netfront *nf);
/* Tears the rings down after telling the backend (Closing, Closed); fiber context. */
void netfront_disconnect(struct netfront *nf, const char *why);
int netfront_watcher_start(struct netfront *nf);
void netfront_watcher_stop(struct netfront *nf);

/* netfront.c */
void netfront_kick_poller(struct netfront *nf);
void netfront_event(struct xen_event *ev, void *arg);

#endif
