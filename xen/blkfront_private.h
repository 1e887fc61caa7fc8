/*
 * xen/blkfront_private: the state one blkfront device shares between xen/blkfront.c (the blkdev
 * operations, the service fiber, opening) and xen/blkfront_xenbus.c (the handshake, the close
 * handshake, the backend-state watcher and reconnection). Not an interface for anyone else.
 */
#ifndef XENOLITH_XEN_BLKFRONT_PRIVATE_H
#define XENOLITH_XEN_BLKFRONT_PRIVATE_H

#include "xen/blkfront.h"
#include "xen/events.h"
#include "xen/suspend.h"
#include "xen/xenbus_frontend.h"
#include "xen/xenstore.h"

#define BLKFRONT_SECOND 1000000000ull
/* Reconnection: at most this many in a device's life, at least this far apart. */
#define BLKFRONT_MAX_RECONNECTS 8u
#define BLKFRONT_RECONNECT_INTERVAL_NS (5 * BLKFRONT_SECOND)

struct blkfront {
    struct blkdev dev;
    /* fe.no_reconnect: a violation, a gone backend or the limits; fe.stopping: being destroyed */
    struct xenbus_frontend fe;
    bool read_only_wanted;             /* what the opener asked for */
    bool dev_ready;                    /* dev initialised by the first connection */
    /* this connection */
    struct blkfront_core core;
    struct xen_event ev;
    void *sring;
    unsigned ring_order;
    uint32_t ring_refs[1u << BLKFRONT_MAX_RING_ORDER];
    unsigned ring_granted;
    uint64_t wire_sectors;
    struct fiber *service;
    bool service_stop;
    bool connected;                    /* the core serves a connected backend */
    bool break_reported;
    /* the device's life */
    uint64_t timeout_ns;               /* blk_timeout= */
    struct blkfront_totals totals;     /* over the connections that ended */
    unsigned reconnects;
    uint64_t next_reconnect_ns;
    struct xen_suspend_hook suspend_hook;
};

/* blkfront_xenbus.c */
/* Connects (or reconnects) to the backend: ring, event channel, core, service fiber. On error
 * the caller drops what was set up with blkfront_drop_connection. */
int blkfront_connect(struct blkfront *f);
/* Fails what is in flight (reason logged), tells the backend we are going (bounded wait),
 * stops the service fiber, tears the core down and gives the ring back: every page still
 * mapped goes to the grant quarantine. Safe on a partly set-up connection. */
void blkfront_drop_connection(struct blkfront *f, const char *reason);
/* Suspend (xen/suspend.h): blkfront_quiesce waits (until deadline_ns) for the requests in
 * flight to be answered, so none is lost with the old backend; true if it had to wait.
 * blkfront_resume drops the old connection without a handshake (its backend went with the
 * old domain), follows the device to its new backend and connects. Fiber context. */
bool blkfront_quiesce(struct blkfront *f, uint64_t deadline_ns);
void blkfront_resume(struct blkfront *f);
/* Fills f->fe (xen/xenbus_frontend.h) for device f->fe.xb: its watcher then runs with
 * xenbus_frontend_watch_start/stop. */
void blkfront_frontend_init(struct blkfront *f);

/* blkfront.c */
int blkfront_service_start(struct blkfront *f);
/* The device's totals: the ended connections' plus this one's (out may be &f->totals). */
void blkfront_totals_of(const struct blkfront *f, struct blkfront_totals *out);
extern const struct blkdev_ops blkfront_ops;
extern struct blkfront_options blkfront_current_options;

#endif
