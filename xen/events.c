/*
 * xen/events: event channels on Xen (events.h). The HVM callback vector is the interrupt the
 * kernel takes on Xen (besides the LAPIC timer of a relative block, see
 * block_on_relative_timer); its handler clears vCPU 0's upcall flag and returns, and the
 * dispatcher scans in loop context (xen/events_core.c).
 *
 * Idle: with interrupts off we check the upcall flag, arm the one-shot timer, check the flag
 * again as the last thing before the halt, then halt with arch_idle_halt (`sti; nop; hlt;
 * cli`). For an HVM-type vCPU Xen turns HLT into SCHEDOP_block, which blocks the vCPU until an
 * event or interrupt is pending. The STI shadow (`sti; hlt`) does not make "enable and block"
 * one step on Xen: an upcall that became pending after our check, while interrupts were off,
 * was seen to leave the vCPU blocked in the HLT with evtchn_upcall_pending set, and then no
 * later event channel (not even VIRQ_TIMER) wakes it, because Xen kicks the vCPU only when
 * that flag goes from 0 to 1; `sti; nop; hlt` (an interrupt taken at the HLT skips it) was seen
 * not to be enough either. So the flag is checked after the last step that exits to Xen (the
 * LAPIC's MMIO write), leaving only the few instructions of the halt itself, and every halt
 * has the LAPIC timer armed (the one-shot and untimed blocks' backstop, the relative block's
 * own timer), whose interrupt kicks the vCPU whatever the upcall flag says.
 */
#include "xen/events.h"
#include "xen/events_core.h"
#include "xen/events_log.h"
#include "xen/hypercall.h"
#include "xen/physmap.h"
#include "xen/pvclock.h"
#include "arch/x86_64/arch.h"
#include "arch/x86_64/irq.h"
#include "lib/errno.h"
#include "lib/printf.h"

#include <xen/event_channel.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

#define XEN_UPCALL_VECTOR 0xa0
#define CALLBACK_TYPE_VECTOR (2ull << 56)   /* HVM_PARAM_CALLBACK_IRQ: "vector" delivery */
#define DISPATCH_ROUNDS 16
#define BLOCK_LIMIT_NS 1000000000ull

static struct events_core core;
static bool ready;
static struct xen_event_stats stats;
static struct xen_event timer_event;

static volatile struct vcpu_info *vcpu0(void)
{
    return &xen_shared_info()->vcpu_info[0];
}

static void upcall(unsigned vector)
{
    vcpu0()->evtchn_upcall_pending = 0;
    stats.upcalls++;
}

bool xen_events_pending(void)
{
    return ready && (vcpu0()->evtchn_upcall_pending || vcpu0()->evtchn_pending_sel);
}

void xen_events_dispatch(void)
{
    if (!ready)
        return;
    for (unsigned round = 0; round < DISPATCH_ROUNDS && xen_events_pending(); round++)
        events_core_scan(&core);
}

static bool timer_port_pending(void)
{
    uint32_t port = timer_event.port;
    if (port == XEN_EVENT_NO_PORT)
        return false;
    volatile uint64_t *pending = (volatile uint64_t *)xen_shared_info()->evtchn_pending;
    return __atomic_load_n(&pending[port / 64], __ATOMIC_SEQ_CST) & (1ull << (port % 64));
}

/* The state a block record keeps of the vCPU's flags. */
static void note_flags(uint8_t *upcall, uint8_t *mask)
{
    *upcall = vcpu0()->evtchn_upcall_pending;
    *mask = vcpu0()->evtchn_upcall_mask;
}

static struct xen_block_record *block_begin(enum xen_block_kind kind, uint64_t now,
                                            uint64_t deadline_ns)
{
    struct xen_block_record *r = xen_block_log_next();
    r->kind = kind;
    r->now_ns = now;
    r->deadline_ns = deadline_ns;
    return r;
}

/* The idle halt (arch_idle_halt: `sti; nop; hlt; cli`), recording what ended it in r. The
 * last look at the upcall flag is here, after every step that leaves the guest (timer
 * hypercalls, the LAPIC's MMIO): a HLT begun with the flag already set can block for good
 * (see the top of this file), and an event that arrives during those exits sets it. */
static void halt(struct xen_block_record *r)
{
    note_flags(&r->upcall_before, &r->mask_before);
    if (xen_events_pending())
        return;
    uint64_t upcalls = stats.upcalls, lapic_irqs = lapic_timer_interrupts();
    r->halted = true;
    stats.blocks++;
    arch_idle_halt();
    r->upcalls = (uint32_t)(stats.upcalls - upcalls);
    r->lapic_irqs = (uint32_t)(lapic_timer_interrupts() - lapic_irqs);
    note_flags(&r->upcall_after, &r->mask_after);
    r->timer_port_after = timer_port_pending();
    xen_pvclock_sample_after_wake();
    xen_pvclock_last_wake(&r->wake_xen_ns, &r->wake_tsc);
}

static void block_end(struct xen_block_record *r)
{
    r->lapic_current = lapic_timer_count(&r->lapic_initial);
    lapic_timer_stop();
    r->woke_ns = xen_monotonic_ns();
    xen_block_log_finish(r);
}

/* A block that ends on the LAPIC's one-shot timer, which Xen emulates and counts from its
 * own now, for when our idea of Xen's absolute time is not trusted (see
 * xen_pvclock_sync_wanted): however wrong that idea, the block lasts the time asked for, and
 * its wake-up samples Xen's clock. */
static void block_on_relative_timer(uint64_t now, uint64_t deadline_ns)
{
    struct xen_block_record *r = block_begin(XEN_BLOCK_LAPIC, now, deadline_ns);
    lapic_timer_start_ns(deadline_ns > now ? deadline_ns - now : 0);
    /* A backstop one BLOCK_LIMIT_NS later on Xen's one-shot timer: the estimate it is
     * converted with is a lower bound, so it cannot fire later than that after the
     * deadline if the LAPIC's interrupt were ever lost (at worst it fires at once and the
     * HLT does not block; the loop then comes round again). */
    xen_timer_arm(deadline_ns + BLOCK_LIMIT_NS);
    xen_timer_last_arm(&r->arm);
    /* Fired at once: even a block limit after the deadline is past in Xen's time, so the
     * sample is older than that (a boot that ran longer since the vCPU was scheduled in).
     * Without learning from it every try fires at once and the loop polls until the
     * deadline without ever blocking, so no fresh sample ever comes (seen: a 10 ms sleep,
     * 0 blocks); each raise moves the estimate a block limit on, so a few tries do. */
    if (timer_port_pending())
        xen_pvclock_timer_fired_at_arm();
    halt(r);
    block_end(r);
}

void xen_events_block_until(uint64_t deadline_ns)
{
    if (!ready || xen_events_pending())
        return;
    uint64_t now = xen_monotonic_ns();
    if (deadline_ns == DEADLINE_NONE) {
        struct xen_block_record *r = block_begin(XEN_BLOCK_UNTIMED, now, deadline_ns);
        xen_timer_stop();
        /* No deadline, but never a HLT without a LAPIC timer: its interrupt kicks the vCPU
         * whatever state Xen keeps of the upcall (see arch_idle_halt). */
        lapic_timer_start_ns(BLOCK_LIMIT_NS);
        halt(r);
        block_end(r);
        return;
    }
    /* Never sleep longer than BLOCK_LIMIT_NS on one timer: if a deadline ever lands late in
     * Xen's time, the loop still comes back to look. */
    uint64_t limit = now + BLOCK_LIMIT_NS;
    if (deadline_ns > limit)
        deadline_ns = limit;
    if (xen_pvclock_sync_wanted()) {
        block_on_relative_timer(now, deadline_ns);
        return;
    }
    int rc = xen_timer_arm(deadline_ns);
    if (rc < 0) {
        /* Due already (-ETIME), or no timer: blocking now could sleep through the deadline,
         * so the loop goes round instead. */
        if (rc != -ETIME)
            stats.timer_failures++;
        return;
    }
    if (xen_events_pending()) {   /* the timer may have fired already */
        if (timer_port_pending())
            xen_pvclock_timer_fired_at_arm();
        return;
    }
    struct xen_block_record *r = block_begin(XEN_BLOCK_ONESHOT, now, deadline_ns);
    xen_timer_last_arm(&r->arm);
    /* The LAPIC's timer, which Xen counts from its own now, backs the one-shot timer up:
     * whatever our estimate of Xen's absolute time, the block ends at most
     * XEN_BLOCK_OVERRUN_NS after the deadline, and the log shows the miss. */
    lapic_timer_start_ns(deadline_ns - now + XEN_BLOCK_OVERRUN_NS);
    halt(r);
    block_end(r);
}

static void close_port(uint32_t port)
{
    struct evtchn_close close = { .port = port };
    xen_event_channel_op(EVTCHNOP_close, &close);
}

/* Records a port Xen just gave us and unmasks it. */
static int attach(struct xen_event *ev, uint32_t port, bool owned)
{
    int rc = events_core_attach(&core, port, ev);
    if (rc < 0) {
        if (owned)
            close_port(port);
        return rc;
    }
    ev->port = port;
    ev->owned = owned;
    events_core_unmask(&core, port);
    return 0;
}

static int check_unbound(struct xen_event *ev)
{
    if (!ready)
        return -ENODEV;
    return ev->port == XEN_EVENT_NO_PORT ? 0 : -EBUSY;
}

int xen_event_bind_virq(struct xen_event *ev, unsigned virq)
{
    int rc = check_unbound(ev);
    if (rc < 0)
        return rc;
    struct evtchn_bind_virq bind = { .virq = virq, .vcpu = 0 };
    long err = xen_event_channel_op(EVTCHNOP_bind_virq, &bind);
    return err < 0 ? (int)err : attach(ev, bind.port, true);
}

int xen_event_alloc_unbound(struct xen_event *ev, uint16_t remote_domid)
{
    int rc = check_unbound(ev);
    if (rc < 0)
        return rc;
    struct evtchn_alloc_unbound alloc = { .dom = DOMID_SELF, .remote_dom = remote_domid };
    long err = xen_event_channel_op(EVTCHNOP_alloc_unbound, &alloc);
    return err < 0 ? (int)err : attach(ev, alloc.port, true);
}

int xen_event_bind_interdomain(struct xen_event *ev, uint16_t remote_domid, uint32_t remote_port)
{
    int rc = check_unbound(ev);
    if (rc < 0)
        return rc;
    struct evtchn_bind_interdomain bind = { .remote_dom = remote_domid,
                                            .remote_port = remote_port };
    long err = xen_event_channel_op(EVTCHNOP_bind_interdomain, &bind);
    return err < 0 ? (int)err : attach(ev, bind.local_port, true);
}

int xen_event_bind_existing(struct xen_event *ev, uint32_t port)
{
    int rc = check_unbound(ev);
    return rc < 0 ? rc : attach(ev, port, false);
}

void xen_event_close(struct xen_event *ev)
{
    if (ev->port == XEN_EVENT_NO_PORT)
        return;
    events_core_set_mask(&core, ev->port, true);
    events_core_detach(&core, ev->port);
    if (ev->owned)
        close_port(ev->port);
    ev->port = XEN_EVENT_NO_PORT;
    waitq_wake_all(&ev->waiters);
}

int xen_event_notify(const struct xen_event *ev)
{
    if (ev->port == XEN_EVENT_NO_PORT)
        return -EPIPE;
    struct evtchn_send send = { .port = ev->port };
    return (int)xen_event_channel_op(EVTCHNOP_send, &send);
}

int xen_event_wait(struct xen_event *ev, uint64_t *seen, uint64_t deadline_ns)
{
    if (!fiber_current())
        return -EPERM;   /* only a fiber can wait */
    while (ev->count == *seen) {
        if (ev->port == XEN_EVENT_NO_PORT)
            return -EPIPE;
        int rc = waitq_wait(&ev->waiters, deadline_ns);
        if (rc < 0 && ev->count == *seen)
            return rc;
    }
    *seen = ev->count;
    return 0;
}

void xen_event_mask(struct xen_event *ev, bool masked)
{
    if (ev->port == XEN_EVENT_NO_PORT)
        return;
    if (masked)
        events_core_set_mask(&core, ev->port, true);
    else
        events_core_unmask(&core, ev->port);
}

void xen_events_get_stats(struct xen_event_stats *out)
{
    *out = stats;
    out->delivered = core.delivered;
    out->unbound = core.unbound;
}

/* Points the core at shared_info's bitmaps (forgetting every owner), masks every port and
 * has Xen deliver events on the callback vector. */
static int start_delivery(struct shared_info *sh)
{
    events_core_init(&core, (volatile uint64_t *)sh->evtchn_pending,
                     (volatile uint64_t *)sh->evtchn_mask,
                     (volatile uint64_t *)&sh->vcpu_info[0].evtchn_pending_sel,
                     &sh->vcpu_info[0].evtchn_upcall_pending);
    /* Ports other software left bound stay masked until a driver claims them. */
    for (unsigned w = 0; w < EVENTS_WORDS; w++)
        ((volatile uint64_t *)sh->evtchn_mask)[w] = ~0ull;
    struct xen_hvm_param param = {
        .domid = DOMID_SELF,
        .index = HVM_PARAM_CALLBACK_IRQ,
        .value = CALLBACK_TYPE_VECTOR | XEN_UPCALL_VECTOR,
    };
    return (int)xen_hvm_op(HVMOP_set_param, &param);
}

int xen_events_init(void)
{
    struct shared_info *sh = xen_shared_info();
    if (!sh)
        return -ENODEV;
    int rc = irq_set_handler(XEN_UPCALL_VECTOR, upcall);
    if (rc < 0)
        return rc;
    rc = start_delivery(sh);
    if (rc < 0) {
        irq_set_handler(XEN_UPCALL_VECTOR, NULL);
        return rc;
    }
    irq_set_event_dispatcher(xen_events_dispatch);
    ready = true;
    /* The one-shot timer's expiry only has to wake the vCPU; no fiber waits on it. */
    xen_event_init(&timer_event, NULL, NULL);
    rc = xen_event_bind_virq(&timer_event, VIRQ_TIMER);
    if (rc < 0)
        kprintf("xenolith: cannot bind VIRQ_TIMER (%d)\n", rc);
    return rc;
}

int xen_events_resume(void)
{
    struct shared_info *sh = xen_shared_info();
    if (!ready || !sh)
        return -ENODEV;
    /* The new domain has none of the old ports: every bound event becomes unbound (its
     * owner binds again; a close of it does nothing). Waiters are not woken: the drivers
     * they belong to are reset by their resume hooks. */
    for (uint32_t port = 1; port < XEN_EVENT_PORTS; port++) {
        struct xen_event *ev = core.owners[port];
        if (ev)
            ev->port = XEN_EVENT_NO_PORT;
    }
    int rc = start_delivery(sh);
    if (rc < 0)
        return rc;
    return xen_event_bind_virq(&timer_event, VIRQ_TIMER);
}
