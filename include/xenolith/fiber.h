/*
 * xenolith/fiber.h: fibers, the application's threads of control.
 *
 * One CPU, cooperative scheduling, no preemption and no locks: a fiber runs until it blocks (a
 * sleep, a wait queue, a socket or disk call), yields or returns, so code between two blocking
 * calls runs atomically with respect to every other fiber. app_main itself runs in a fiber named
 * "main" (xenolith/app.h).
 *
 * Contexts, as every public header names them:
 *   fiber     code running in a fiber: it may block.
 *   loop      timer callbacks and receive handlers, run by the event loop between fibers: must
 *             not block (no sleeping, no waiting, no blocking socket or disk call).
 *   handler   interrupt or signal handlers inside the platform; applications never run there,
 *             but a few calls (waitq_wake_*) are safe from any of the three. The platforms hand
 *             what a handler learns to the loop (a shutdown request: xenolith/app.h).
 * A call documented "fiber only" and made from loop context is a bug (it has nothing to block).
 *
 * Each fiber has its own stack with an inaccessible guard page below it and a canary checked on
 * every switch: an overflow ends the machine with "stack overflow in fiber '<name>'".
 */
#ifndef XENOLITH_PUBLIC_FIBER_H
#define XENOLITH_PUBLIC_FIBER_H

#include <stddef.h>
#include <stdint.h>
#include "xenolith/time.h"

#define FIBER_NAME_MAX 24                /* a name, its NUL included; longer names are cut */
#define FIBER_DEFAULT_STACK (64 * 1024)  /* stack_size 0 in fiber_spawn */
/* The stacks of ended fibers (at most 32) are kept for the next fiber of the same stack size and
 * freed once none was taken or returned for this long. */
#define FIBER_STACK_CACHE_IDLE_NS 2000000000ull

/* Opaque: the application holds pointers only. */
struct fiber;

/* Creates a ready fiber running fn(arg) on its own stack of stack_size bytes (0:
 * FIBER_DEFAULT_STACK), rounded up to whole pages. The name is copied (cut to FIBER_NAME_MAX - 1
 * bytes). The new fiber runs later, when the caller blocks or yields. Returns the fiber, or NULL
 * when out of memory. Its return value is kept for fiber_join; a fiber nobody will join must be
 * detached. Context: fiber or loop. */
struct fiber *fiber_spawn(const char *name, int (*fn)(void *arg), void *arg, size_t stack_size);

/* The running fiber, or NULL in loop context. Context: any. */
struct fiber *fiber_current(void);
/* f's name (valid as long as f is). Context: any. */
const char *fiber_name(const struct fiber *f);

/* Lets every other ready fiber run once; returns when this one is scheduled again. Context:
 * fiber only. */
void fiber_yield(void);

/* Blocks the calling fiber until the monotonic clock reaches deadline_ns (at once when it has).
 * Context: fiber only. */
void fiber_sleep_until(uint64_t deadline_ns);
/* Blocks the calling fiber for at least ns nanoseconds. Context: fiber only. */
void fiber_sleep_ns(uint64_t ns);

/* Waits until f has returned and gives its return value; frees f, which must not be used
 * afterwards. At most one fiber may join a given fiber, and never a detached one or itself.
 * Context: fiber only. */
int fiber_join(struct fiber *f);
/* Nobody will join f: it is freed when it returns (its return value is dropped). f must not be
 * used by the caller afterwards. Context: fiber or loop. */
void fiber_detach(struct fiber *f);

#endif
