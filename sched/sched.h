/*
 * sched/: cooperative fibers, timers, wait queues and the event loop (docs/DESIGN.md, "Execution model").
 * One CPU, no preemption, no locks: a fiber runs until it blocks, yields or returns.
 * Time comes from platform_monotonic_ns(); idle blocks in platform_wait_until(), so unit tests that
 * link the simulated platform run every timer on a simulated clock.
 *
 * The loop: run ready fibers -> fire expired timers -> dispatch pending events (poll) ->
 * if nothing is ready, block until the earliest timer deadline.
 */
#ifndef XENOLITH_SCHED_SCHED_H
#define XENOLITH_SCHED_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xenolith/fiber.h"
#include "xenolith/time.h"
#include "xenolith/timer.h"
#include "xenolith/waitq.h"

/* Initializes the scheduler. The caller becomes the loop's own context (not a fiber). */
void sched_init(void);

/* The application-facing calls (fiber_spawn, fiber_join, fiber_sleep_ns, ...) are declared in
 * xenolith/fiber.h; timers in xenolith/timer.h, wait queues in xenolith/waitq.h. */

/* Runs the event loop until `done(arg)` returns true (checked whenever the loop wakes) or no
 * fiber and no timer is left. Called from loop context only.
 *
 * One pass of the loop: run each fiber that was ready when the pass began, once, in FIFO
 * order (a fiber that yields runs again in the next pass) -> fire expired timers ->
 * platform_wait_until(0) to dispatch pending events -> check done(). If nothing is ready
 * then, the loop blocks in platform_wait_until(earliest timer deadline, or DEADLINE_NONE).
 *
 * Termination: sched_run returns only when done(arg) is true, or when every fiber has returned
 * (finished fibers not yet joined do not count) and no timer is armed. Fibers blocked with
 * nothing armed keep the loop waiting with DEADLINE_NONE, because an external event (a frame,
 * a signal, a shutdown request) may still wake them. A wait with DEADLINE_NONE after which no
 * fiber is ready and no timer is armed is a *stall* (counted in sched_stats.stalls): on a real
 * machine a spurious wake-up, in the simulated platform a deadlock (it cannot block). A done()
 * that must not wait forever on a stall (unit tests) checks the counter and returns true. */
void sched_run(bool (*done)(void *arg), void *arg);

/* The loop's watchdog hook (Xen's domain watchdog, xen/watchdog.c): once set, the loop calls
 * pet(arg) whenever it comes round and period_ns / 2 has passed since the last call, and an
 * idle wait ends by then; so calls are at most period_ns apart (given wake-ups within
 * period_ns / 2) while the loop makes progress, idle or busy, and stop when a fiber never gives
 * the CPU back. pet NULL removes the hook. */
void sched_set_watchdog(uint64_t period_ns, void (*pet)(void *arg), void *arg);

/* Counters tests and `stats` read. */
struct sched_stats {
    uint64_t switches;       /* context switches into fibers */
    uint64_t fibers_live;    /* created and not yet freed */
    uint64_t timers_fired;
    uint64_t idle_waits;     /* times the loop blocked in platform_wait_until */
    uint64_t stalls;         /* DEADLINE_NONE waits that left nothing ready or armed */
    uint64_t watchdog_pets;  /* calls of the watchdog hook */
};
void sched_get_stats(struct sched_stats *out);

/* If addr lies in a fiber's guard page, that fiber (for stack-overflow reports), else NULL.
 * Each stack has a guard page below it and one above it. */
struct fiber *fiber_by_guard_address(uintptr_t addr);
/* The usable stack of f: [*low, *high). The lowest word holds a canary checked whenever the
 * fiber switches out; an overwritten canary panics with "stack overflow in fiber '<name>'". */
void fiber_stack_bounds(const struct fiber *f, uintptr_t *low, uintptr_t *high);

#endif
