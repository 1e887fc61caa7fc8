/*
 * xen/events: Xen event channels for drivers (2-level ABI, HVM callback vector).
 *
 * A driver owns a `struct xen_event` per channel. Binding gives it a port; from then on every
 * event on the port is counted in ev->count and wakes the fibers in xen_event_wait(). Nothing
 * runs in interrupt context: the upcall vector only clears Xen's "upcall pending" flag, and the
 * scan of the pending bitmaps happens in loop context (platform_wait_until's dispatcher), which
 * bumps the counters, wakes waiters and calls the optional handler. A handler must not block:
 * it may only mark work pending (wake a fiber, set a flag).
 *
 * Typical use by a frontend:
 *     static struct xen_event ev;
 *     xen_event_init(&ev, NULL, NULL);
 *     xen_event_alloc_unbound(&ev, backend_domid);     // then publish ev.port in xenstore
 *     uint64_t seen = ev.count;
 *     for (;;) { consume the ring; xen_event_wait(&ev, &seen, deadline); }
 *     xen_event_notify(&ev);                            // kick the other end
 *     xen_event_close(&ev);
 */
#ifndef XENOLITH_XEN_EVENTS_H
#define XENOLITH_XEN_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include "sched/sched.h"

/* Ports the 2-level ABI has on x86_64: 64 words of 64 bits. */
#define XEN_EVENT_PORTS 4096u
#define XEN_EVENT_NO_PORT 0u   /* port 0 is never valid */

struct xen_event {
    uint32_t port;              /* XEN_EVENT_NO_PORT when unbound */
    bool owned;                 /* we allocated the port (closed on xen_event_close) */
    uint64_t count;             /* events delivered so far */
    struct waitq waiters;
    void (*handler)(struct xen_event *ev, void *arg);   /* optional; loop context, no blocking */
    void *arg;
};

/* Prepares ev (unbound). handler may be NULL. */
void xen_event_init(struct xen_event *ev, void (*handler)(struct xen_event *, void *), void *arg);

/* Sets up event delivery: shared_info bitmaps, the HVM callback vector
 * (HVM_PARAM_CALLBACK_IRQ, vector type) and the loop's dispatcher. 0 or a negative errno. */
int xen_events_init(void);
/* After a resume in a new domain (xen/suspend.h; shared_info already mapped again): every
 * bound xen_event is unbound (port XEN_EVENT_NO_PORT; its owner binds again), delivery is set
 * up again and VIRQ_TIMER bound. 0 or a negative errno. */
int xen_events_resume(void);

/* Binding: each returns 0 with ev->port set and the port unmasked, or a negative errno
 * (-EBUSY if ev is already bound). */
int xen_event_bind_virq(struct xen_event *ev, unsigned virq);
int xen_event_alloc_unbound(struct xen_event *ev, uint16_t remote_domid);
int xen_event_bind_interdomain(struct xen_event *ev, uint16_t remote_domid, uint32_t remote_port);
/* A port Xen or the toolstack already bound for us (console, xenstore): not closed later. */
int xen_event_bind_existing(struct xen_event *ev, uint32_t port);
/* Stops delivery; closes the port with EVTCHNOP_close if we allocated it; wakes waiters. */
void xen_event_close(struct xen_event *ev);

/* Signals the other end (EVTCHNOP_send). */
int xen_event_notify(const struct xen_event *ev);

/* Blocks the calling fiber until ev->count differs from *seen (then *seen = ev->count and
 * returns 0), or until deadline_ns (-ETIMEDOUT), or the event is closed (-EPIPE). -EPERM
 * from loop context (only fibers wait). */
int xen_event_wait(struct xen_event *ev, uint64_t *seen, uint64_t deadline_ns);

/* Masks or unmasks delivery on a bound port (unmask replays an event that arrived masked). */
void xen_event_mask(struct xen_event *ev, bool masked);

/* Idle: blocks the vCPU until an event is pending or the monotonic deadline (ns since boot
 * as xen_monotonic_ns counts; DEADLINE_NONE: no timer). Interrupts must be off; they are off
 * again on return. Called by platform_wait_until on Xen. */
void xen_events_block_until(uint64_t deadline_ns);
/* True when an upcall arrived since the last scan (the loop should dispatch, not block). */
bool xen_events_pending(void);
/* The loop's dispatcher: scans the pending bitmaps, counts, wakes, runs handlers. */
void xen_events_dispatch(void);

struct xen_event_stats {
    uint64_t upcalls;           /* callback-vector interrupts */
    uint64_t delivered;         /* events handed to a bound xen_event */
    uint64_t unbound;           /* events on ports nobody owns (dropped) */
    uint64_t blocks;            /* idle blocks in Xen */
    uint64_t timer_failures;    /* one-shot timers Xen would not arm (the block was skipped) */
};
void xen_events_get_stats(struct xen_event_stats *out);

#endif
