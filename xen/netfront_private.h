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
#include "xen/netfront_conn.h"
#include "xen/suspend.h"
#include "xen/xenbus_frontend.h"
#include "xen/xenstore.h"

struct netfront;

struct netfront_q {
    struct netfront_queue ring;
    struct netfront *nf;
    struct xen_event ev_tx, ev_rx;      /* ev_rx is bound only with split event channels */
    struct netfront_queue_pages pages;  /* granted to the backend while the queue lives */
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
    struct xenbus_frontend fe;          /* no_reconnect: set by a bad response */
    enum netfront_link link;
    bool closed;                        /* the final close ran */
    struct netfront_negotiated neg;
    struct netfront_q *q[NETFRONT_MAX_QUEUES];
    unsigned nqueues;
    /* The poller sleeps on `wake` until an event sets `kicked`. */
    struct waitq wake;
    bool kicked, poller_stop;
    struct fiber *poller;
    struct netfront_stats stats;
    /* This device's pages in the grant quarantine (xen_grant_end_free_counted). Static storage
     * (netfront_account_claim): the quarantine may free pages after the device is gone. */
    uint32_t *quarantined;
    struct netfront_reconnect reconnect;
    bool retry_pending;                 /* the backend waits in InitWait; the policy said later */
    enum netfront_reconnect_verdict last_verdict;
    struct netfront *next;              /* every open device, for the shutdown hook */
    struct xen_suspend_hook suspend_hook;
};

/* netfront_xenbus.c */
/* Gives nf a quarantine counter (-ENOSPC when every one is taken); release at destroy. */
int netfront_account_claim(struct netfront *nf);
void netfront_account_release(struct netfront *nf);
int netfront_connect(struct netfront *nf);
/* Tears the rings down after telling the backend (Closing, Closed); fiber context. */
void netfront_disconnect(struct netfront *nf, const char *why);
/* Fills nf->fe (xen/xenbus_frontend.h) once the device is named: its watcher then runs with
 * xenbus_frontend_watch_start/stop. */
void netfront_frontend_init(struct netfront *nf);
/* The domain was resumed in a new domain (xen/suspend.h): drops the old connection without
 * a handshake (its backend is gone with the old domain), follows the device to its new
 * backend and connects. Fiber context. */
void netfront_resume(struct netfront *nf);

/* netfront.c */
void netfront_kick_poller(struct netfront *nf);
void netfront_event(struct xen_event *ev, void *arg);

#endif
