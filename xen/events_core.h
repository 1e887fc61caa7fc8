/*
 * xen/events_core: the 2-level event-channel bookkeeping as pure memory operations, so the
 * scan and dispatch rules are unit-tested against fake bitmaps (test/unit/test_xen_events.c);
 * xen/events.c adds the hypercalls and points this at shared_info.
 *
 * The 2-level ABI (<xen/xen.h>, struct shared_info and struct vcpu_info): a port is pending
 * when its bit in evtchn_pending is set; Xen also sets the port's word bit in the vCPU's
 * evtchn_pending_sel and the vCPU's evtchn_upcall_pending flag. A masked port (evtchn_mask bit)
 * stays pending but is not delivered until unmasked. The consumer clears upcall_pending, takes
 * pending_sel atomically (exchange with 0), and for each selected word delivers the ports that
 * are pending and unmasked, clearing each pending bit before handling it so an event arriving
 * during the handler is not lost.
 */
#ifndef XENOLITH_XEN_EVENTS_CORE_H
#define XENOLITH_XEN_EVENTS_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include "xen/events.h"

#define EVENTS_WORD_BITS 64u
#define EVENTS_WORDS (XEN_EVENT_PORTS / EVENTS_WORD_BITS)

struct events_core {
    volatile uint64_t *pending;        /* EVENTS_WORDS words */
    volatile uint64_t *mask;           /* EVENTS_WORDS words */
    volatile uint64_t *pending_sel;    /* the vCPU's selector word */
    volatile uint8_t *upcall_pending;  /* the vCPU's flag */
    struct xen_event *owners[XEN_EVENT_PORTS];
    uint64_t delivered, unbound;
};

/* Points the core at the bitmaps and forgets every owner. */
void events_core_init(struct events_core *c, volatile uint64_t *pending, volatile uint64_t *mask,
                      volatile uint64_t *pending_sel, volatile uint8_t *upcall_pending);

/* Records ev as the owner of port. -EINVAL for port 0 or >= XEN_EVENT_PORTS, -EBUSY if owned. */
int events_core_attach(struct events_core *c, uint32_t port, struct xen_event *ev);
void events_core_detach(struct events_core *c, uint32_t port);

void events_core_set_mask(struct events_core *c, uint32_t port, bool masked);
/* Clears the mask bit; if the port is pending, re-raises its selector bit and upcall flag so
 * the next scan delivers it. Returns true if it was pending. */
bool events_core_unmask(struct events_core *c, uint32_t port);

/* One scan: delivers every pending unmasked port (count, wake waiters, handler). Returns the
 * number of events delivered or dropped as unbound. */
unsigned events_core_scan(struct events_core *c);

#endif
