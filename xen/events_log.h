/*
 * xen/events_log: a small in-memory ring of the vCPU's last idle blocks (xen/events.c fills
 * it), for finding out why a block ended late. Each record says how the block was timed
 * (Xen's one-shot timer, the LAPIC's, or nothing), what our clock and our estimate of Xen's
 * time were when it was armed (and the PV-clock sample that estimate came from), the LAPIC's
 * counts, the upcall flag and mask before and after, which interrupts ended it and Xen's own
 * time at the wake (the runstate's schedule-in time). The ring is printed when a block
 * returns more than XEN_BLOCK_OVERRUN_NS after its deadline, at a crash, and on request
 * (`xl sysrq DOMAIN b`, see xen/control.c).
 */
#ifndef XENOLITH_XEN_EVENTS_LOG_H
#define XENOLITH_XEN_EVENTS_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include "xen/pvclock.h"

#define XEN_BLOCK_LOG_SIZE 16u
/* A block that returns this long after its deadline (by our clock) is an overrun. */
#define XEN_BLOCK_OVERRUN_NS 250000000ull
/* Full ring printouts for overruns; later overruns print their own record only. */
#define XEN_BLOCK_LOG_DUMPS 4u

enum xen_block_kind {
    XEN_BLOCK_ONESHOT,   /* Xen's one-shot timer at the converted deadline (+ LAPIC backstop) */
    XEN_BLOCK_LAPIC,     /* the LAPIC's relative timer (+ Xen one-shot backstop) */
    XEN_BLOCK_UNTIMED,   /* no deadline: only an event ends it */
};

struct xen_block_record {
    uint64_t seq;
    enum xen_block_kind kind;
    bool halted;                     /* the HLT ran (nothing was pending at the last check) */
    uint64_t now_ns, deadline_ns;    /* our clock when armed, and the deadline */
    uint64_t woke_ns;                /* our clock after the wake */
    struct xen_timer_arm_info arm;   /* Xen's one-shot timer as armed (kind != UNTIMED) */
    uint32_t lapic_initial, lapic_current;   /* at the wake, before the timer was stopped */
    uint8_t upcall_before, mask_before, upcall_after, mask_after;
    bool timer_port_after;           /* VIRQ_TIMER pending after the wake */
    uint32_t upcalls, lapic_irqs;    /* interrupts taken during the block */
    uint64_t wake_xen_ns, wake_tsc;  /* the runstate's schedule-in time, our TSC after it */
};

/* The next slot, zeroed, with its sequence number set. */
struct xen_block_record *xen_block_log_next(void);

/* Called once a record is complete: prints the ring (or the record) if the block overran. */
void xen_block_log_finish(const struct xen_block_record *r);

/* Prints the ring, oldest first, with a heading naming why. */
void xen_block_log_dump(const char *why);

/* One line: timed blocks, how many the backstop timer ended, overruns, the latest wake-up
 * (printed as the domain shuts down). */
void xen_block_log_summary(void);

/* Blocks that overran so far. */
uint64_t xen_block_log_overruns(void);
/* Blocks the backstop timer ended because the primary one had not fired by then. */
uint64_t xen_block_log_backstop_wakes(void);
/* Halts that began with evtchn_upcall_pending set and slept until a timer interrupt: the lost
 * wake-up arch_idle_halt prevents (xen/events.c). */
uint64_t xen_block_log_upcall_slept(void);

#endif
