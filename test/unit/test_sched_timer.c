/*
 * Unit tests for sched/ timers, sleeps and wait queues on the simulated clock: deadline order,
 * arming order for equal deadlines, re-arm and cancel, a randomized heap check, sleeping, and
 * wait queues with and without timeouts (including "woken wins" over a passed deadline).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "mm/mm.h"
#include "sched/sched.h"
#include "test/unit/sim/sim.h"
#include "xenolith/test_main.h"

struct firing {
    int id;
    uint64_t at;
};
static struct firing fired[4096];
static size_t nfired;

static void setup(void)
{
    sim_start_kernel(0);
    nfired = 0;
}

static struct sched_stats stats_now(void)
{
    struct sched_stats s;
    sched_get_stats(&s);
    return s;
}

static bool stop_on_stall(void *arg)
{
    return stats_now().stalls > 0;
}

static void record(struct timer *t, void *arg)
{
    ck_assert(!timer_armed(t));
    fired[nfired].id = (int)(intptr_t)arg;
    fired[nfired].at = sim_now();
    nfired++;
}

START_TEST(fire_in_deadline_order_at_the_deadline)
{
    static struct timer t[3];
    const uint64_t deadline[3] = { 300, 100, 200 };
    for (int i = 0; i < 3; i++) {
        timer_init(&t[i], record, (void *)(intptr_t)i);
        ck_assert(!timer_armed(&t[i]));
        timer_arm(&t[i], deadline[i]);
        ck_assert(timer_armed(&t[i]));
    }
    sched_run(NULL, NULL);
    ck_assert_uint_eq(nfired, 3);
    const int want[3] = { 1, 2, 0 };
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(fired[i].id, want[i]);
        ck_assert_uint_eq(fired[i].at, deadline[want[i]]);
    }
    struct sched_stats s = stats_now();
    ck_assert_uint_eq(s.timers_fired, 3);
    ck_assert_uint_eq(s.idle_waits, 3);
}
END_TEST

/* Equal deadlines fire in arming order; re-arming puts a timer behind the others again. */
START_TEST(equal_deadlines_fire_in_arming_order)
{
    static struct timer t[5];
    const int arm_order[5] = { 3, 1, 4, 0, 2 };
    for (int i = 0; i < 5; i++)
        timer_init(&t[i], record, (void *)(intptr_t)i);
    for (int i = 0; i < 5; i++)
        timer_arm(&t[arm_order[i]], 100);
    timer_arm(&t[1], 100); /* re-armed last */
    sched_run(NULL, NULL);
    const int want[5] = { 3, 4, 0, 2, 1 };
    ck_assert_uint_eq(nfired, 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(fired[i].id, want[i]);
        ck_assert_uint_eq(fired[i].at, 100);
    }
    ck_assert_uint_eq(stats_now().idle_waits, 1);
}
END_TEST

START_TEST(rearm_moves_and_cancel_removes)
{
    static struct timer later, earlier, cancelled, idle;
    timer_init(&later, record, (void *)1);
    timer_init(&earlier, record, (void *)2);
    timer_init(&cancelled, record, (void *)3);
    timer_init(&idle, record, (void *)4);
    timer_arm(&later, 100);
    timer_arm(&later, 500);      /* moved later: fires once, at 500 */
    timer_arm(&earlier, 400);
    timer_arm(&earlier, 50);     /* moved earlier */
    timer_arm(&cancelled, 200);
    timer_cancel(&cancelled);
    ck_assert(!timer_armed(&cancelled));
    timer_cancel(&cancelled);    /* cancelling twice is harmless */
    timer_cancel(&idle);         /* as is cancelling a timer never armed */
    sched_run(NULL, NULL);
    ck_assert_uint_eq(nfired, 2);
    ck_assert_int_eq(fired[0].id, 2);
    ck_assert_uint_eq(fired[0].at, 50);
    ck_assert_int_eq(fired[1].id, 1);
    ck_assert_uint_eq(fired[1].at, 500);
}
END_TEST

static int periodic_left;
static void periodic(struct timer *t, void *arg)
{
    record(t, arg);
    if (--periodic_left > 0)
        timer_arm(t, t->deadline_ns + 10);
}

START_TEST(callback_rearms_itself)
{
    static struct timer t;
    periodic_left = 5;
    timer_init(&t, periodic, (void *)7);
    timer_arm(&t, 10);
    sched_run(NULL, NULL);
    ck_assert_uint_eq(nfired, 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_uint_eq(fired[i].at, 10 * (i + 1));
}
END_TEST

/* A timer re-armed into the past from its own callback fires again only in the next pass, after
 * the ready fibers ran: it cannot starve them. */
static int passes;
static int count_passes(void *arg)
{
    while (passes < 10) {
        passes++;
        fiber_yield();
    }
    return 0;
}

static int rearms_left;
static int seen_passes[8];
static void rearm_in_past(struct timer *t, void *arg)
{
    seen_passes[3 - rearms_left] = passes;
    if (--rearms_left > 0)
        timer_arm(t, 0);
}

START_TEST(past_deadline_rearm_does_not_starve_fibers)
{
    static struct timer t;
    rearms_left = 3;
    timer_init(&t, rearm_in_past, NULL);
    timer_arm(&t, 0);
    fiber_detach(fiber_spawn("counter", count_passes, NULL, 0));
    sched_run(NULL, NULL);
    ck_assert_int_eq(seen_passes[0], 1);
    ck_assert_int_eq(seen_passes[1], 2);
    ck_assert_int_eq(seen_passes[2], 3);
}
END_TEST

/* Random arms, re-arms and cancels of many timers: exactly the armed ones fire, each at its
 * deadline, in (deadline, last arming) order. */
static uint64_t arm_stamp[1000];
static uint64_t stamp;
START_TEST(random_timer_heap)
{
    enum { N = 1000 };
    static struct timer t[N];
    static bool armed[N];
    srandom(3);
    for (int i = 0; i < N; i++)
        timer_init(&t[i], record, (void *)(intptr_t)i);
    for (int step = 0; step < 20000; step++) {
        int i = (int)(random() % N);
        if (random() % 4 == 0) {
            timer_cancel(&t[i]);
            armed[i] = false;
        } else {
            timer_arm(&t[i], 1 + (uint64_t)(random() % 500)); /* many equal deadlines */
            armed[i] = true;
            arm_stamp[i] = stamp++;
        }
        ck_assert(timer_armed(&t[i]) == armed[i]);
    }
    size_t expect = 0;
    for (int i = 0; i < N; i++)
        expect += armed[i];
    sched_run(NULL, NULL);
    ck_assert_uint_eq(nfired, expect);
    for (size_t k = 0; k < nfired; k++) {
        int id = fired[k].id;
        ck_assert(armed[id]);
        ck_assert_uint_eq(fired[k].at, t[id].deadline_ns);
        if (k > 0) {
            int prev = fired[k - 1].id;
            ck_assert(t[prev].deadline_ns < t[id].deadline_ns ||
                      (t[prev].deadline_ns == t[id].deadline_ns &&
                       arm_stamp[prev] < arm_stamp[id]));
        }
    }
}
END_TEST

/* Arming needs no memory: with every page of the allocator taken (so the heap cannot grow), a
 * burst of 3000 timers still arms, and every one fires in order. (Before, the heap's array grew
 * with krealloc and timer_arm panicked when it could not.) And nothing stays allocated after the
 * burst: the heap's bytes in use are what they were before it. */
START_TEST(arming_needs_no_memory)
{
    enum { N = 3000 };
    static struct timer t[N];
    struct heap_stats idle, after;
    heap_get_stats(&idle);
    void *taken = NULL;
    void *page;
    while ((page = page_alloc(0)) != NULL) {      /* every page, chained through themselves */
        *(void **)page = taken;
        taken = page;
    }
    ck_assert_ptr_null(kmalloc(64 * 1024));
    for (int i = 0; i < N; i++) {
        timer_init(&t[i], record, (void *)(intptr_t)i);
        timer_arm(&t[i], 10 + (uint64_t)((i * 7919) % N));   /* deadlines out of order */
    }
    for (int i = 0; i < N; i += 2)
        timer_cancel(&t[i]);
    sched_run(NULL, NULL);
    ck_assert_uint_eq(nfired, N / 2);
    for (size_t k = 1; k < nfired; k++)
        ck_assert_uint_lt(fired[k - 1].at, fired[k].at);
    while (taken) {
        void *next = *(void **)taken;
        page_free(taken, 0);
        taken = next;
    }
    heap_get_stats(&after);
    ck_assert_uint_eq(after.bytes_in_use, idle.bytes_in_use);
}
END_TEST

/* ---- Sleeping ---- */

static int sleeper(void *arg)
{
    uint64_t ns = (uint64_t)(uintptr_t)arg;
    fiber_sleep_ns(ns);
    ck_assert_uint_eq(sim_now(), ns);
    fired[nfired].id = (int)ns;
    fired[nfired].at = sim_now();
    nfired++;
    return 0;
}

START_TEST(sleepers_wake_at_their_deadlines_in_order)
{
    fiber_detach(fiber_spawn("s3", sleeper, (void *)3000, 0));
    fiber_detach(fiber_spawn("s1", sleeper, (void *)1000, 0));
    fiber_detach(fiber_spawn("s2", sleeper, (void *)2000, 0));
    sched_run(NULL, NULL);
    ck_assert_uint_eq(nfired, 3);
    ck_assert_uint_eq(fired[0].at, 1000);
    ck_assert_uint_eq(fired[1].at, 2000);
    ck_assert_uint_eq(fired[2].at, 3000);
}
END_TEST

static int sleep_in_past(void *arg)
{
    fiber_sleep_until(0);  /* already reached: behaves as a yield */
    return (int)sim_now();
}

START_TEST(sleep_until_past_deadline_yields)
{
    sim_advance_to(500);
    struct fiber *f = fiber_spawn("past", sleep_in_past, NULL, 0);
    sched_run(NULL, NULL);
    ck_assert_int_eq(fiber_join(f), 500);
    ck_assert_uint_eq(stats_now().switches, 2);
    ck_assert_uint_eq(stats_now().idle_waits, 0);
}
END_TEST

/* ---- Wait queues ---- */

static struct waitq wq = WAITQ_INIT;
struct waiter_arg {
    char id;
    uint64_t deadline;
};
static char wake_log[64];
static size_t wake_len;
static int results[8];

static int waiter(void *arg)
{
    const struct waiter_arg *w = arg;
    int rc = waitq_wait(&wq, w->deadline);
    wake_log[wake_len++] = w->id;
    results[w->id - 'A'] = rc;
    fired[nfired].id = w->id;
    fired[nfired].at = sim_now();
    nfired++;
    return rc;
}

static int wake_one_then_all(void *arg)
{
    fiber_sleep_ns(100);
    waitq_wake_one(&wq);
    fiber_sleep_ns(100);
    waitq_wake_one(&wq);
    fiber_sleep_ns(100);
    waitq_wake_all(&wq);
    return 0;
}

static void spawn_waiters(int n, uint64_t deadline)
{
    static struct waiter_arg args[8];
    for (int i = 0; i < n; i++) {
        args[i].id = (char)('A' + i);
        args[i].deadline = deadline;
        fiber_detach(fiber_spawn("waiter", waiter, &args[i], 0));
    }
}

START_TEST(wake_one_in_fifo_then_wake_all)
{
    memset(wake_log, 0, sizeof(wake_log));
    wake_len = 0;
    spawn_waiters(4, DEADLINE_NONE);
    fiber_detach(fiber_spawn("waker", wake_one_then_all, NULL, 0));
    sched_run(NULL, NULL);
    ck_assert_str_eq(wake_log, "ABCD");
    ck_assert_uint_eq(fired[0].at, 100);
    ck_assert_uint_eq(fired[1].at, 200);
    ck_assert_uint_eq(fired[2].at, 300);
    ck_assert_uint_eq(fired[3].at, 300);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(results[i], 0);
    ck_assert(waitq_empty(&wq));
}
END_TEST

START_TEST(timeout_returns_etimedout_at_deadline)
{
    spawn_waiters(2, 700);
    sched_run(stop_on_stall, NULL);
    ck_assert_uint_eq(nfired, 2);
    ck_assert_int_eq(results[0], -ETIMEDOUT);
    ck_assert_int_eq(results[1], -ETIMEDOUT);
    ck_assert_uint_eq(fired[0].at, 700);
    ck_assert_uint_eq(fired[1].at, 700);
    ck_assert(waitq_empty(&wq));
    ck_assert_uint_eq(stats_now().stalls, 0);
}
END_TEST

static int wake_at_300(void *arg)
{
    fiber_sleep_until(300);
    waitq_wake_all(&wq);
    return 0;
}

START_TEST(woken_before_timeout_returns_zero)
{
    spawn_waiters(1, 1000);
    fiber_detach(fiber_spawn("waker", wake_at_300, NULL, 0));
    sched_run(NULL, NULL);
    ck_assert_int_eq(results[0], 0);
    ck_assert_uint_eq(fired[0].at, 300);
    /* The timeout was cancelled: the loop never waited for t = 1000. */
    ck_assert_uint_eq(sim_now(), 300);
}
END_TEST

/* The waker runs past the waiter's deadline (simulated slow work) and then wakes it, before the
 * loop got to fire the waiter's timeout timer: woken wins, the waiter gets 0. */
static int slow_waker(void *arg)
{
    sim_advance_to(2000);
    waitq_wake_one(&wq);
    return 0;
}

START_TEST(woken_wins_over_passed_deadline)
{
    spawn_waiters(1, 1000);
    fiber_detach(fiber_spawn("slow", slow_waker, NULL, 0));
    sched_run(NULL, NULL);
    ck_assert_int_eq(results[0], 0);
    ck_assert_uint_eq(fired[0].at, 2000);
}
END_TEST

START_TEST(passed_deadline_returns_without_blocking)
{
    sim_advance_to(50);
    spawn_waiters(1, 50);
    sched_run(NULL, NULL);
    ck_assert_int_eq(results[0], -ETIMEDOUT);
    ck_assert_uint_eq(stats_now().switches, 1);
    ck_assert_uint_eq(stats_now().idle_waits, 0);
}
END_TEST

static void wake_from_timer(struct timer *t, void *arg)
{
    waitq_wake_one(&wq);
}

START_TEST(timer_callback_wakes_a_waiter)
{
    static struct timer t;
    timer_init(&t, wake_from_timer, NULL);
    timer_arm(&t, 250);
    spawn_waiters(2, DEADLINE_NONE);
    sched_run(stop_on_stall, NULL);
    /* A woke at 250; B waits for ever: the loop stalls and done() gives up. */
    ck_assert_uint_eq(nfired, 1);
    ck_assert_int_eq(fired[0].id, 'A');
    ck_assert_uint_eq(fired[0].at, 250);
    ck_assert(!waitq_empty(&wq));
    ck_assert_uint_eq(stats_now().stalls, 1);
    waitq_wake_all(&wq);
    sched_run(NULL, NULL);
    ck_assert_uint_eq(nfired, 2);
    waitq_wake_one(&wq); /* an empty queue: nothing happens */
    ck_assert(waitq_empty(&wq));
}
END_TEST

static Suite *timer_suite(void)
{
    Suite *s = suite_create("sched_timer");
    TCase *tc = tcase_create("timers");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, fire_in_deadline_order_at_the_deadline);
    tcase_add_test(tc, equal_deadlines_fire_in_arming_order);
    tcase_add_test(tc, rearm_moves_and_cancel_removes);
    tcase_add_test(tc, callback_rearms_itself);
    tcase_add_test(tc, past_deadline_rearm_does_not_starve_fibers);
    tcase_add_test(tc, random_timer_heap);
    tcase_add_test(tc, arming_needs_no_memory);
    tcase_add_test(tc, sleepers_wake_at_their_deadlines_in_order);
    tcase_add_test(tc, sleep_until_past_deadline_yields);
    suite_add_tcase(s, tc);

    TCase *wt = tcase_create("waitq");
    tcase_add_checked_fixture(wt, setup, NULL);
    tcase_add_test(wt, wake_one_in_fifo_then_wake_all);
    tcase_add_test(wt, timeout_returns_etimedout_at_deadline);
    tcase_add_test(wt, woken_before_timeout_returns_zero);
    tcase_add_test(wt, woken_wins_over_passed_deadline);
    tcase_add_test(wt, passed_deadline_returns_without_blocking);
    tcase_add_test(wt, timer_callback_wakes_a_waiter);
    suite_add_tcase(s, wt);
    return s;
}

TEST_MAIN(timer_suite)
