/*
 * xenolith/timer.h: one-shot timers whose callbacks run in loop context.
 *
 * A timer is embedded by value in the caller's structure, initialized once with timer_init and
 * armed for an absolute deadline on the monotonic clock (xenolith/time.h). When the deadline
 * passes, the event loop calls callback(t, arg) once; the callback must not block (loop context,
 * xenolith/fiber.h) but may wake fibers (xenolith/waitq.h) or re-arm the timer (periodic work).
 *
 * Ordering: expired timers fire in deadline order, equal deadlines in the order they were (last)
 * armed. A timer armed from a callback with a deadline already passed fires in the next pass of
 * the loop, after the ready fibers ran, so a timer re-arming itself cannot starve them. Arming
 * never allocates memory and cannot fail; it costs O(1), re-arming, cancelling and firing
 * O(log n) amortized. A timer must be cancelled before its memory is freed.
 */
#ifndef XENOLITH_PUBLIC_TIMER_H
#define XENOLITH_PUBLIC_TIMER_H

#include <stdbool.h>
#include <stdint.h>
#include "xenolith/time.h"

struct timer {
    uint64_t deadline_ns;                /* when armed: when it fires */
    void (*callback)(struct timer *t, void *arg);
    void *arg;
    /* private: links in the scheduler's deadline heap (sched/timer.c); heap_prev is NULL when
     * not armed */
    struct timer *heap_child, *heap_next, *heap_prev;
    /* private: arming sequence number, orders equal deadlines */
    uint64_t arm_seq;
};

/* Prepares an unarmed timer that will call callback(t, arg). Context: any. */
void timer_init(struct timer *t, void (*callback)(struct timer *t, void *arg), void *arg);
/* Arms t for deadline_ns; an armed timer moves to the new deadline. Context: fiber or loop
 * (including t's own callback). */
void timer_arm(struct timer *t, uint64_t deadline_ns);
/* Disarms t; nothing happens when it is not armed. After it returns the callback will not run
 * (until armed again). Context: fiber or loop. Inline: most calls find it not armed. */
void timer_cancel_armed(struct timer *t);        /* private: timer_cancel of an armed timer */
static inline void timer_cancel(struct timer *t)
{
    if (t->heap_prev)
        timer_cancel_armed(t);
}
/* Whether t is armed (its callback has not run yet). Context: fiber or loop. */
static inline bool timer_armed(const struct timer *t)
{
    return t->heap_prev != NULL;
}

#endif
