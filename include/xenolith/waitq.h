/*
 * xenolith/waitq.h: wait queues, how a fiber blocks until someone else says its condition may
 * hold.
 *
 * A wait queue is embedded by value next to the state it guards. The waiting fiber checks its
 * condition, waits, and checks again when woken (no locks are needed: fibers are cooperative,
 * xenolith/fiber.h):
 *     while (!ready(x))
 *         if (waitq_wait(&x->wq, deadline) == -ETIMEDOUT)
 *             return -ETIMEDOUT;
 * The side that changes the state wakes the queue, from any context.
 */
#ifndef XENOLITH_PUBLIC_WAITQ_H
#define XENOLITH_PUBLIC_WAITQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xenolith/time.h"

struct fiber;

struct waitq {
    struct fiber *head, *tail;           /* private: the waiters, oldest first */
};
#define WAITQ_INIT { NULL, NULL }

/* An empty queue (or WAITQ_INIT in an initializer). Context: any. */
void waitq_init(struct waitq *wq);
/* Blocks the calling fiber until woken (returns 0) or until deadline_ns passes (returns
 * -ETIMEDOUT). DEADLINE_NONE waits for ever; a deadline already reached returns -ETIMEDOUT
 * without blocking. Woken wins: a waiter woken before its timeout fired returns 0 even if the
 * clock passed its deadline by the time it runs. Waiters wake in the order they began waiting.
 * Context: fiber only. */
int waitq_wait(struct waitq *wq, uint64_t deadline_ns);
/* Makes the oldest waiter (or every waiter) ready; they run later, from the loop. Nothing happens
 * when none waits. Context: any (fiber, loop, handler). */
void waitq_wake_one(struct waitq *wq);
void waitq_wake_all_waiting(struct waitq *wq);   /* private: waitq_wake_all with waiters */
/* Inline: most calls find nobody waiting (a connection's end wakes its readers, writers and
 * openers whether or not any waits). */
static inline void waitq_wake_all(struct waitq *wq)
{
    if (wq->head)
        waitq_wake_all_waiting(wq);
}
/* Whether no fiber waits. Context: any. */
bool waitq_empty(const struct waitq *wq);

#endif
