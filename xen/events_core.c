/*
 * xen/events_core: the 2-level scan and the port-owner table (events_core.h).
 */
#include "xen/events_core.h"
#include "lib/errno.h"

/* Here rather than in events.c: it is pure, and the unit tests use it. */
void xen_event_init(struct xen_event *ev, void (*handler)(struct xen_event *, void *), void *arg)
{
    ev->port = XEN_EVENT_NO_PORT;
    ev->owned = false;
    ev->count = 0;
    waitq_init(&ev->waiters);
    ev->handler = handler;
    ev->arg = arg;
}

void events_core_init(struct events_core *c, volatile uint64_t *pending, volatile uint64_t *mask,
                      volatile uint64_t *pending_sel, volatile uint8_t *upcall_pending)
{
    c->pending = pending;
    c->mask = mask;
    c->pending_sel = pending_sel;
    c->upcall_pending = upcall_pending;
    for (uint32_t i = 0; i < XEN_EVENT_PORTS; i++)
        c->owners[i] = NULL;
    c->delivered = 0;
    c->unbound = 0;
}

int events_core_attach(struct events_core *c, uint32_t port, struct xen_event *ev)
{
    if (port == XEN_EVENT_NO_PORT || port >= XEN_EVENT_PORTS)
        return -EINVAL;
    if (c->owners[port] && c->owners[port] != ev)
        return -EBUSY;
    c->owners[port] = ev;
    return 0;
}

void events_core_detach(struct events_core *c, uint32_t port)
{
    if (port < XEN_EVENT_PORTS)
        c->owners[port] = NULL;
}

static uint64_t port_bit(uint32_t port)
{
    return 1ull << (port % EVENTS_WORD_BITS);
}

void events_core_set_mask(struct events_core *c, uint32_t port, bool masked)
{
    if (port >= XEN_EVENT_PORTS)
        return;
    volatile uint64_t *word = &c->mask[port / EVENTS_WORD_BITS];
    if (masked)
        __atomic_fetch_or(word, port_bit(port), __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(word, ~port_bit(port), __ATOMIC_SEQ_CST);
}

bool events_core_unmask(struct events_core *c, uint32_t port)
{
    if (port >= XEN_EVENT_PORTS)
        return false;
    events_core_set_mask(c, port, false);
    /* An event that arrived while masked set only the pending bit (Xen skips the selector and
     * upcall for masked ports): raise them ourselves, after the mask is clear. */
    if (!(__atomic_load_n(&c->pending[port / EVENTS_WORD_BITS], __ATOMIC_SEQ_CST) & port_bit(port)))
        return false;
    __atomic_fetch_or(c->pending_sel, 1ull << (port / EVENTS_WORD_BITS), __ATOMIC_SEQ_CST);
    __atomic_store_n(c->upcall_pending, 1, __ATOMIC_SEQ_CST);
    return true;
}

static void deliver(struct events_core *c, uint32_t port)
{
    struct xen_event *ev = c->owners[port];
    if (!ev) {
        c->unbound++;
        return;
    }
    c->delivered++;
    ev->count++;
    waitq_wake_all(&ev->waiters);
    if (ev->handler)
        ev->handler(ev, ev->arg);
}

unsigned events_core_scan(struct events_core *c)
{
    unsigned handled = 0;
    __atomic_store_n(c->upcall_pending, 0, __ATOMIC_SEQ_CST);
    uint64_t sel = __atomic_exchange_n(c->pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
        unsigned w = (unsigned)__builtin_ctzll(sel);
        sel &= sel - 1;
        uint64_t ready = __atomic_load_n(&c->pending[w], __ATOMIC_SEQ_CST) &
                         ~__atomic_load_n(&c->mask[w], __ATOMIC_SEQ_CST);
        while (ready) {
            unsigned b = (unsigned)__builtin_ctzll(ready);
            ready &= ready - 1;
            uint32_t port = w * EVENTS_WORD_BITS + b;
            /* Clear first: an event raised while the handler runs sets the bit again. */
            __atomic_fetch_and(&c->pending[w], ~(1ull << b), __ATOMIC_SEQ_CST);
            deliver(c, port);
            handled++;
        }
    }
    return handled;
}
