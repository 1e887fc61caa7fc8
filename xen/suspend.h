/*
 * xen/suspend: suspending the domain for `xl save`, `xl migrate` and checkpoints, and coming
 * back. The control watcher (xen/control.c) calls xen_suspend_run when the toolstack writes
 * "suspend" to control/shutdown. In its fiber, with every other fiber parked at a yield point
 * (the scheduler is cooperative), it quiesces (each registered hook's quiesce: blkfront lets its
 * requests in flight finish; xenstore lets its requests in flight be answered), then issues
 * SCHEDOP_shutdown(SHUTDOWN_suspend) without yielding in between, so nothing new reaches a ring.
 *
 * The hypercall returns 1 when the toolstack cancelled the suspend (xc_domain_resume's fast
 * path, e.g. after `xl save -c`): the domain goes on where it was, on the same host, with the
 * same shared_info, grant table, event channels and backends, so nothing is rebuilt but the
 * clock (the time the domain spent suspended is not counted, as after a real resume). It
 * returns 0 in a restored or migrated domain: Xen and the toolstack give it a fresh
 * shared_info, grant table and event channels and new backends, and the guest rebuilds, in
 * this order and before it prints anything: shared_info at its old frame, event delivery (the
 * callback vector, VIRQ_TIMER; every port a driver held is forgotten), the PV clock (the
 * monotonic clock continues from the value it had at the suspend: the pause is not counted,
 * so no timer fires because of it; the wall clock follows the new host), the grant table at
 * its old frames (every entry is empty: what drivers granted is void), the console and
 * xenstore rings and event channels from the HVM parameters, xenstore's watches (registered
 * again), Xen's watchdog (armed again). Then each hook's resume runs (netfront and blkfront
 * reconnect to their new backends), then the resume hooks of kernel/kernel.h (the network
 * bring-up registers one that announces every configured IPv4 address with a gratuitous ARP,
 * so the bridge learns the domain's new port).
 */
#ifndef XENOLITH_XEN_SUSPEND_H
#define XENOLITH_XEN_SUSPEND_H

#include <stdbool.h>
#include <stdint.h>

struct xen_suspend_hook {
    const char *name;
    /* Before the suspend, in the suspending fiber: may block, bounded by deadline_ns; true
     * if it did (other fibers ran meanwhile, so every hook is asked again). */
    bool (*quiesce)(void *arg, uint64_t deadline_ns);
    /* After it, in the suspending fiber, once the platform is rebuilt (cancelled: nothing was
     * rebuilt, the old backends are still there). May block; returns when the device is
     * usable again or has given up. */
    void (*resume)(void *arg, bool cancelled);
    void *arg;
    struct xen_suspend_hook *next;
};

/* Adds a hook (drivers register one per device at open; unregister at destroy). */
void xen_suspend_register(struct xen_suspend_hook *hook);
void xen_suspend_unregister(struct xen_suspend_hook *hook);

enum xen_suspend_outcome {
    XEN_SUSPEND_RESUMED,     /* restored or migrated: rebuilt for the new host */
    XEN_SUSPEND_CANCELLED,   /* the toolstack cancelled it: carried on unchanged */
};

/* Suspends the domain and comes back (fiber context). Returns the outcome, or a negative
 * errno when Xen refused the suspend (the domain carries on). */
int xen_suspend_run(void);

#endif
