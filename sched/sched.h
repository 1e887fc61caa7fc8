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

#define FIBER_NAME_MAX 24
#define FIBER_DEFAULT_STACK (64 * 1024)
#define DEADLINE_NONE UINT64_MAX

struct fiber;

/* Initializes the scheduler. The caller becomes the loop's own context (not a fiber). */
void sched_init(void);

/* Creates a ready fiber running fn(arg) on its own stack (stack_size 0: FIBER_DEFAULT_STACK),
 * with an inaccessible guard page below the stack. The name is copied. Returns NULL when out of
 * memory. The fiber's return value is kept for fiber_join. The stack of a fiber that ended is
 * kept (at most 32) for the next fiber of the same stack size; the loop frees them once no
 * fiber took or returned one for FIBER_STACK_CACHE_IDLE_NS. */
#define FIBER_STACK_CACHE_IDLE_NS 2000000000ull
struct fiber *fiber_spawn(const char *name, int (*fn)(void *arg), void *arg, size_t stack_size);

/* The running fiber, or NULL in loop context. */
struct fiber *fiber_current(void);
const char *fiber_name(const struct fiber *f);

/* Gives the CPU to other ready fibers; returns when this one is scheduled again. */
void fiber_yield(void);

/* Blocks the calling fiber until the monotonic clock reaches deadline_ns. */
void fiber_sleep_until(uint64_t deadline_ns);
void fiber_sleep_ns(uint64_t ns);

/* Waits for f to return and gives its return value; frees f. Only one joiner per fiber.
 * A fiber nobody will join can be detached: it is freed when it returns. */
int fiber_join(struct fiber *f);
void fiber_detach(struct fiber *f);

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

/* ---- Timers: callbacks run in loop context, must not block, may wake fibers or re-arm. ----
 * Expired timers fire in deadline order; timers with equal deadlines fire in the order they
 * were (last) armed. A timer armed from a callback with a deadline already passed fires in the
 * next pass of the loop, after ready fibers have run, so a timer re-arming itself cannot starve
 * them. Arming, re-arming and cancelling are O(log n). */
struct timer {
    uint64_t deadline_ns;
    void (*callback)(struct timer *t, void *arg);
    void *arg;
    /* private: position in the scheduler's deadline heap, or -1 when not armed */
    long heap_index;
    /* private: arming sequence number, orders equal deadlines */
    uint64_t arm_seq;
};
void timer_init(struct timer *t, void (*callback)(struct timer *t, void *arg), void *arg);
void timer_arm(struct timer *t, uint64_t deadline_ns);   /* re-arming moves it */
void timer_cancel(struct timer *t);                        /* no-op when not armed */
bool timer_armed(const struct timer *t);

/* ---- Wait queues: fibers block on a condition someone else signals. ---- */
struct waitq {
    struct fiber *head, *tail;
};
#define WAITQ_INIT { NULL, NULL }
void waitq_init(struct waitq *wq);
/* Blocks the calling fiber until woken (returns 0) or deadline_ns passes (returns -ETIMEDOUT,
 * from lib/errno.h). DEADLINE_NONE waits forever; a deadline already reached returns
 * -ETIMEDOUT without blocking. Woken wins: a waiter woken before its timeout timer fired
 * returns 0 even if the clock has passed its deadline by the time it runs. Waiters are woken
 * in the order they started waiting. */
int waitq_wait(struct waitq *wq, uint64_t deadline_ns);
/* Make waiters ready (they run later, from the loop). Callable from fibers, timers, handlers. */
void waitq_wake_one(struct waitq *wq);
void waitq_wake_all(struct waitq *wq);
bool waitq_empty(const struct waitq *wq);

#endif
