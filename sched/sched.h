/*
 * sched/: cooperative fibers, timers, wait queues and the event loop (DESIGN.md, "Execution model").
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
 * memory. The fiber's return value is kept for fiber_join. */
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
 * fiber and no timer is left. Called from loop context only. */
void sched_run(bool (*done)(void *arg), void *arg);

/* Counters tests and `stats` read. */
struct sched_stats {
    uint64_t switches;       /* context switches into fibers */
    uint64_t fibers_live;    /* created and not yet freed */
    uint64_t timers_fired;
    uint64_t idle_waits;     /* times the loop blocked in platform_wait_until */
};
void sched_get_stats(struct sched_stats *out);

/* If addr lies in a fiber's guard page, that fiber (for stack-overflow reports), else NULL. */
struct fiber *fiber_by_guard_address(uintptr_t addr);

/* ---- Timers: callbacks run in loop context, must not block, may wake fibers or re-arm. ---- */
struct timer {
    uint64_t deadline_ns;
    void (*callback)(struct timer *t, void *arg);
    void *arg;
    /* private: position in the scheduler's deadline heap, or -1 when not armed */
    long heap_index;
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
 * from lib/errno.h). DEADLINE_NONE waits forever. */
int waitq_wait(struct waitq *wq, uint64_t deadline_ns);
/* Make waiters ready (they run later, from the loop). Callable from fibers, timers, handlers. */
void waitq_wake_one(struct waitq *wq);
void waitq_wake_all(struct waitq *wq);
bool waitq_empty(const struct waitq *wq);

#endif
