/*
 * test/unit/blk_fixture.h: shared set-up for the block layer and tar unit tests (header-only;
 * each test_blk*.c is its own program): the simulated machine with heap and scheduler, and a way
 * to run a piece of test code in a fiber on the simulated clock and see when it finished.
 */
#ifndef XENOLITH_TEST_UNIT_BLK_FIXTURE_H
#define XENOLITH_TEST_UNIT_BLK_FIXTURE_H

#include <check.h>
#include <string.h>

#include "blk/blk.h"
#include "blk/memdisk.h"
#include "lib/errno.h"
#include "mm/mm.h"
#include "platform/blkdev.h"
#include "sched/sched.h"
#include "test/unit/sim/sim.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (1 * SEC)

static inline void blk_boot(void)
{
    sim_start_kernel(T0);
}

/* A piece of test code run in its own fiber: its result and the simulated time it returned. */
struct blk_task {
    int (*fn)(void *arg);
    void *arg;
    int result;
    bool finished;
    uint64_t finished_ns;
    struct fiber *fiber;
};

static int blk_task_main(void *arg)
{
    struct blk_task *t = arg;
    t->result = t->fn(t->arg);
    t->finished = true;
    t->finished_ns = sim_now();
    return 0;
}

static inline void blk_task_start(struct blk_task *t, int (*fn)(void *), void *arg)
{
    memset(t, 0, sizeof(*t));
    t->fn = fn;
    t->arg = arg;
    t->fiber = fiber_spawn("blk-task", blk_task_main, t, 0);
    ck_assert_ptr_nonnull(t->fiber);
    fiber_detach(t->fiber);
}

/* Runs fibers, timers and completions due up to `when`; the clock ends at `when`. */
static inline void blk_run_until(uint64_t when)
{
    sim_run_until(when);
}
static inline void blk_run_for(uint64_t ns)
{
    sim_run_for(ns);
}

/* Runs fn(arg) in a fiber until it returns (at most `limit_ns` of simulated time). */
static inline int blk_run_task(int (*fn)(void *), void *arg, uint64_t limit_ns)
{
    struct blk_task t;
    blk_task_start(&t, fn, arg);
    uint64_t end = sim_now() + limit_ns;
    while (!t.finished && sim_now() < end)
        blk_run_for(MS);
    ck_assert_msg(t.finished, "task did not finish within %llu ns", (unsigned long long)limit_ns);
    return t.result;
}

static inline uint64_t blk_heap_in_use(void)
{
    struct heap_stats hs;
    heap_get_stats(&hs);
    return hs.bytes_in_use;
}

#endif
