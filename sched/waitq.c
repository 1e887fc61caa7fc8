/*
 * sched/waitq: wait queues. A fiber waits at the tail and is woken from the head, so waiters
 * are served in arrival order. A timeout is the fiber's own timer; waking cancels it, so the
 * first of "woken" and "timed out" to happen decides the result (woken wins once it happened).
 */
#include "sched/sched_internal.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "platform/platform.h"

void waitq_init(struct waitq *wq)
{
    wq->head = wq->tail = NULL;
}

bool waitq_empty(const struct waitq *wq)
{
    return wq->head == NULL;
}

void waitq_remove(struct fiber *f)
{
    struct waitq *wq = f->waiting_on;
    if (!wq)
        return;
    if (f->wait_prev)
        f->wait_prev->wait_next = f->wait_next;
    else
        wq->head = f->wait_next;
    if (f->wait_next)
        f->wait_next->wait_prev = f->wait_prev;
    else
        wq->tail = f->wait_prev;
    f->wait_next = f->wait_prev = NULL;
    f->waiting_on = NULL;
}

static void wait_timed_out(struct timer *t, void *arg)
{
    struct fiber *f = arg;
    if (!f->waiting_on)
        return;
    waitq_remove(f);
    f->wait_result = -ETIMEDOUT;
    sched_make_ready(f);
}

int waitq_wait(struct waitq *wq, uint64_t deadline_ns)
{
    struct fiber *f = sched_require_fiber("waitq_wait");
    if (deadline_ns != DEADLINE_NONE && deadline_ns <= platform_monotonic_ns())
        return -ETIMEDOUT;
    f->waiting_on = wq;
    f->wait_next = NULL;
    f->wait_prev = wq->tail;
    if (wq->tail)
        wq->tail->wait_next = f;
    else
        wq->head = f;
    wq->tail = f;
    f->wait_result = 0;
    if (deadline_ns != DEADLINE_NONE) {
        timer_init(&f->wake_timer, wait_timed_out, f);
        timer_arm(&f->wake_timer, deadline_ns);
    }
    sched_block();
    return f->wait_result;
}

static void wake(struct fiber *f)
{
    waitq_remove(f);
    timer_cancel(&f->wake_timer);
    f->wait_result = 0;
    sched_make_ready(f);
}

void waitq_wake_one(struct waitq *wq)
{
    if (wq->head)
        wake(wq->head);
}

void waitq_wake_all_waiting(struct waitq *wq)
{
    while (wq->head)
        wake(wq->head);
}
