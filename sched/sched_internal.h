/*
 * sched/sched_internal: the fiber structure and the hooks fiber.c, timer.c and waitq.c share.
 * Nothing outside sched/ includes this.
 */
#ifndef XENOLITH_SCHED_SCHED_INTERNAL_H
#define XENOLITH_SCHED_SCHED_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/list.h"
#include "sched/sched.h"

enum fiber_state {
    FIBER_READY,     /* in the run queue */
    FIBER_RUNNING,
    FIBER_BLOCKED,   /* sleeping, waiting on a wait queue or joining */
    FIBER_DEAD,      /* returned; kept for its joiner */
};

struct fiber {
    uintptr_t saved_sp;              /* while switched out */
    enum fiber_state state;
    char name[FIBER_NAME_MAX];
    int (*fn)(void *arg);
    void *arg;
    int result;
    uint8_t *stack;                  /* usable stack [stack, stack + stack_size) */
    size_t stack_size;
    struct fiber *run_next;          /* run queue */
    struct waitq *waiting_on;        /* wait queue membership */
    struct fiber *wait_next, *wait_prev;
    int wait_result;
    struct timer wake_timer;         /* sleep deadline or wait timeout */
    struct fiber *joiner;
    bool detached;
    struct list_node all_link;       /* every fiber not yet freed */
    void *asan_fake_stack;
};

/* The running fiber, or NULL in loop context (sched/fiber.c). */
extern struct fiber *sched_current;

/* Makes a blocked fiber runnable (appends it to the run queue). */
void sched_make_ready(struct fiber *f);
/* Blocks the running fiber until someone calls sched_make_ready on it. */
void sched_block(void);
/* Panics unless called from a fiber; returns it. */
struct fiber *sched_require_fiber(const char *who);

/* Timers (sched/timer.c). */
void timers_reset(void);
void timers_fire_expired(uint64_t now_ns, uint64_t *fired);
size_t timers_armed_count(void);
uint64_t timers_earliest_deadline(void);   /* DEADLINE_NONE when none is armed */

/* Wait queues (sched/waitq.c): take f off the queue it waits on, if any. */
void waitq_remove(struct fiber *f);

/* Context switch (sched/switch_x86_64.S). */
void sched_context_switch(uintptr_t *save_sp, uintptr_t load_sp);
void sched_fiber_trampoline(void);

#endif
