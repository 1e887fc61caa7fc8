/*
 * xen/events_log: the ring of idle blocks (events_log.h).
 */
#include "xen/events_log.h"
#include "lib/printf.h"
#include "lib/string.h"

static struct xen_block_record ring[XEN_BLOCK_LOG_SIZE];
static uint64_t next_seq = 1;
static uint64_t overruns;
static unsigned dumps;
/* Timed blocks, the ones the backstop timer ended (the primary one had not fired), and the
 * latest wake-up after a deadline. */
static uint64_t timed_blocks, backstop_wakes, max_late_ns;
/* Halts begun with evtchn_upcall_pending already set, and those of them that slept until a
 * timer interrupt (the lost wake-up arch_idle_halt prevents). */
static uint64_t upcall_at_halt, upcall_slept;

struct xen_block_record *xen_block_log_next(void)
{
    struct xen_block_record *r = &ring[next_seq % XEN_BLOCK_LOG_SIZE];
    memset(r, 0, sizeof(*r));
    r->seq = next_seq++;
    return r;
}

uint64_t xen_block_log_overruns(void)
{
    return overruns;
}

uint64_t xen_block_log_backstop_wakes(void)
{
    return backstop_wakes;
}

uint64_t xen_block_log_upcall_slept(void)
{
    return upcall_slept;
}

static const char *kind_name(enum xen_block_kind kind)
{
    switch (kind) {
    case XEN_BLOCK_ONESHOT: return "oneshot";
    case XEN_BLOCK_LAPIC: return "lapic";
    default: return "untimed";
    }
}

/* Signed difference a - b in microseconds. */
static long long diff_us(uint64_t a, uint64_t b)
{
    return (long long)(int64_t)(a - b) / 1000;
}

static void print_record(const struct xen_block_record *r)
{
    bool timed = r->kind != XEN_BLOCK_UNTIMED;
    /* Times in us: "at" our clock when armed, "deadline" from then, "woke" after the
     * deadline (untimed: after "at"); "before/after" pairs are the vCPU's state around the
     * halt. */
    kprintf("xen-block #%llu %s%s: at %llu deadline %+lld woke %+lld; upcall %u/%u "
            "mask %u/%u timer-port %u upcalls %u lapic-irqs %u",
            (unsigned long long)r->seq, kind_name(r->kind), r->halted ? "" : " (no hlt)",
            (unsigned long long)(r->now_ns / 1000),
            timed ? diff_us(r->deadline_ns, r->now_ns) : 0ll,
            timed ? diff_us(r->woke_ns, r->deadline_ns) : diff_us(r->woke_ns, r->now_ns),
            r->upcall_before, r->upcall_after, r->mask_before, r->mask_after,
            r->timer_port_after, r->upcalls, r->lapic_irqs);
    if (timed) {
        const struct xen_timer_arm_info *a = &r->arm;
        /* Xen's deadline; "est": it minus our estimate of Xen's time when armed, from the
         * PV-clock sample or record (its TSC and Xen time; "arm tsc": TSC ticks since it);
         * "woke": Xen's own time at the schedule-in that ended the block minus the deadline,
         * which says whether Xen fired late (>= 0) or the deadline was placed too far in
         * Xen's time (< 0 while the timer never fired); its "tsc": ticks since arming. */
        kprintf("; xen deadline %llu (est %+lld, %s tsc %llu xen %llu, arm tsc %+lld) "
                "woke %+lld (tsc %+lld); lapic %u/%u",
                (unsigned long long)(a->xen_deadline_ns / 1000),
                diff_us(a->xen_deadline_ns, a->xen_now_ns), a->from_sample ? "sample" : "record",
                (unsigned long long)a->sample_tsc,
                (unsigned long long)(a->sample_xen_ns / 1000),
                (long long)(a->tsc - a->sample_tsc),
                r->wake_xen_ns ? diff_us(r->wake_xen_ns, a->xen_deadline_ns) : 0ll,
                (long long)(r->wake_tsc - a->tsc), r->lapic_current, r->lapic_initial);
    }
    kprintf("\n");
}

void xen_block_log_dump(const char *why)
{
    kprintf("xen-block: last %u blocks (%s; %llu overruns; times in us):\n",
            XEN_BLOCK_LOG_SIZE, why, (unsigned long long)overruns);
    for (uint64_t seq = next_seq > XEN_BLOCK_LOG_SIZE ? next_seq - XEN_BLOCK_LOG_SIZE : 1;
         seq < next_seq; seq++)
        print_record(&ring[seq % XEN_BLOCK_LOG_SIZE]);
}

void xen_block_log_summary(void)
{
    kprintf("xen-block: %llu timed, %llu ended by the backstop, %llu overran, worst %llu us "
            "late; %llu halts with an upcall pending, %llu slept to a timer irq\n",
            (unsigned long long)timed_blocks,
            (unsigned long long)backstop_wakes, (unsigned long long)overruns,
            (unsigned long long)(max_late_ns / 1000), (unsigned long long)upcall_at_halt,
            (unsigned long long)upcall_slept);
}

void xen_block_log_finish(const struct xen_block_record *r)
{
    if (r->halted && r->upcall_before) {
        upcall_at_halt++;
        if (r->lapic_irqs)
            upcall_slept++;
    }
    if (r->kind == XEN_BLOCK_UNTIMED || !r->halted)
        return;
    timed_blocks++;
    /* The LAPIC ended a one-shot block, or Xen's timer alone ended a LAPIC block. */
    if ((r->kind == XEN_BLOCK_ONESHOT && r->lapic_irqs && !r->timer_port_after) ||
        (r->kind == XEN_BLOCK_LAPIC && !r->lapic_irqs && r->timer_port_after))
        backstop_wakes++;
    uint64_t late = r->woke_ns > r->deadline_ns ? r->woke_ns - r->deadline_ns : 0;
    if (late > max_late_ns)
        max_late_ns = late;
    if (late <= XEN_BLOCK_OVERRUN_NS)
        return;
    overruns++;
    if (dumps < XEN_BLOCK_LOG_DUMPS) {
        dumps++;
        xen_block_log_dump("a block overran its deadline");
    } else {
        kprintf("xen-block: overrun (times in us): ");
        print_record(r);
    }
}
