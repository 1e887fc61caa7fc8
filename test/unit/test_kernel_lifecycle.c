/*
 * Unit tests for the machine's lifecycle (kernel/start.c, xenolith/app.h): shutdown requests,
 * the fibers waiting for one, and the shutdown request hooks (registration order, unregistering,
 * each run once, registration after the request, what a hook may do while the hooks run). Runs
 * on the simulated platform (test/unit/sim); Check runs each test in its own process, so each
 * starts before any request.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "lib/panic.h"
#include "sched/sched.h"
#include "xenolith/app.h"
#include "xenolith/testing.h"
#include "xenolith/test_main.h"

#define MS 1000000ull

/* kernel/start.c also starts the application: this program has none to start. */
int app_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* What the hooks did, in order: one letter each. */
static char calls[32];
static unsigned ncalls;
/* What lifecycle_shutdown_requested said inside the hooks. */
static bool saw_request_in_hook;

static void record(void *arg)
{
    kassert(ncalls + 1 < sizeof(calls));
    calls[ncalls++] = *(const char *)arg;
    saw_request_in_hook = lifecycle_shutdown_requested();
}

static void setup(void)
{
    sim_start_kernel(0);
    ncalls = 0;
    calls[0] = 0;
    saw_request_in_hook = false;
}

START_TEST(hooks_run_once_oldest_first_at_the_request)
{
    struct shutdown_request_hook a = {.run = record, .arg = "a"};
    struct shutdown_request_hook b = {.run = record, .arg = "b"};
    struct shutdown_request_hook c = {.run = record, .arg = "c"};
    lifecycle_on_shutdown_request(&a);
    lifecycle_on_shutdown_request(&b);
    lifecycle_on_shutdown_request(&c);
    sim_run_for(100 * MS);
    ck_assert_uint_eq(ncalls, 0); /* nothing before the request */
    lifecycle_request_shutdown(SHUTDOWN_SUCCESS);
    /* at once, inside the call, in registration order, each seeing the request made */
    ck_assert_uint_eq(ncalls, 3);
    ck_assert_mem_eq(calls, "abc", 3);
    ck_assert(saw_request_in_hook);
    /* only the first request counts: the hooks do not run again, and are no longer registered */
    lifecycle_request_shutdown(SHUTDOWN_REBOOT);
    sim_run_for(100 * MS);
    ck_assert_uint_eq(ncalls, 3);
    ck_assert_ptr_null(a.next);
    lifecycle_off_shutdown_request(&a); /* unregistering a hook that ran does nothing */
    lifecycle_off_shutdown_request(&c);
}
END_TEST

START_TEST(unregistered_hooks_do_not_run)
{
    /* the first, a middle one and the last unregistered: the others still run, in order */
    struct shutdown_request_hook h[5];
    static const char names[] = "abcde";
    for (int i = 0; i < 5; i++) {
        h[i] = (struct shutdown_request_hook){.run = record, .arg = (void *)&names[i]};
        lifecycle_on_shutdown_request(&h[i]);
    }
    lifecycle_off_shutdown_request(&h[0]);
    lifecycle_off_shutdown_request(&h[2]);
    lifecycle_off_shutdown_request(&h[4]);
    lifecycle_off_shutdown_request(&h[2]); /* twice: nothing more */
    lifecycle_request_shutdown(SHUTDOWN_SUCCESS);
    ck_assert_uint_eq(ncalls, 2);
    ck_assert_mem_eq(calls, "bd", 2);
}
END_TEST

START_TEST(a_hook_may_be_registered_again_after_unregistering)
{
    /* a short-lived user (one query after another) reuses its structure, stack garbage included */
    struct shutdown_request_hook a;
    memset(&a, 0xa5, sizeof(a));
    a.run = record;
    a.arg = "a";
    struct shutdown_request_hook b = {.run = record, .arg = "b"};
    for (int i = 0; i < 3; i++) {
        lifecycle_on_shutdown_request(&a);
        lifecycle_off_shutdown_request(&a);
    }
    lifecycle_on_shutdown_request(&b);
    lifecycle_on_shutdown_request(&a); /* now after b */
    lifecycle_request_shutdown(SHUTDOWN_SUCCESS);
    ck_assert_uint_eq(ncalls, 2);
    ck_assert_mem_eq(calls, "ba", 2);
}
END_TEST

START_TEST(a_hook_registered_after_the_request_runs_at_once)
{
    lifecycle_request_shutdown(SHUTDOWN_SUCCESS);
    struct shutdown_request_hook late = {.run = record, .arg = "l"};
    lifecycle_on_shutdown_request(&late);
    ck_assert_uint_eq(ncalls, 1);
    ck_assert_mem_eq(calls, "l", 1);
    ck_assert(saw_request_in_hook);
    ck_assert_ptr_null(late.next); /* not kept */
    lifecycle_off_shutdown_request(&late);
    lifecycle_request_shutdown(SHUTDOWN_SUCCESS);
    ck_assert_uint_eq(ncalls, 1);
}
END_TEST

/* Hooks that change the list while the hooks run. */
static struct shutdown_request_hook first, second, third, added;

static void drop_the_next(void *arg)
{
    record(arg);
    lifecycle_off_shutdown_request(&second);
}

static void add_one(void *arg)
{
    record(arg);
    lifecycle_on_shutdown_request(&added);
}

START_TEST(hooks_may_change_the_list_while_they_run)
{
    first = (struct shutdown_request_hook){.run = drop_the_next, .arg = "1"};
    second = (struct shutdown_request_hook){.run = record, .arg = "2"};
    third = (struct shutdown_request_hook){.run = add_one, .arg = "3"};
    added = (struct shutdown_request_hook){.run = record, .arg = "+"};
    lifecycle_on_shutdown_request(&first);
    lifecycle_on_shutdown_request(&second);
    lifecycle_on_shutdown_request(&third);
    lifecycle_request_shutdown(SHUTDOWN_SUCCESS);
    /* second was unregistered before its turn; the hook added during the run ran at once */
    ck_assert_uint_eq(ncalls, 3);
    ck_assert_mem_eq(calls, "13+", 3);
}
END_TEST

/* A hook that requests the shutdown again (code that stops the machine on an error of its own). */
static void request_again(void *arg)
{
    record(arg);
    lifecycle_request_shutdown(SHUTDOWN_FAILURE);
}

START_TEST(a_hook_requesting_again_runs_nothing_twice)
{
    struct shutdown_request_hook a = {.run = request_again, .arg = "a"};
    struct shutdown_request_hook b = {.run = record, .arg = "b"};
    lifecycle_on_shutdown_request(&a);
    lifecycle_on_shutdown_request(&b);
    lifecycle_request_shutdown(SHUTDOWN_SUCCESS);
    ck_assert_uint_eq(ncalls, 2);
    ck_assert_mem_eq(calls, "ab", 2);
}
END_TEST

/* A fiber blocked on a queue of its own, which its hook wakes: the way a socket's owner hears
 * the request. */
struct blocked {
    struct waitq wq;
    bool stop;
    uint64_t woke_at;
    int rc;
};

static void wake_blocked(void *arg)
{
    struct blocked *b = arg;
    b->stop = true;
    waitq_wake_all(&b->wq);
}

static int block_until_stopped(void *arg)
{
    struct blocked *b = arg;
    struct shutdown_request_hook hook = {.run = wake_blocked, .arg = b};
    lifecycle_on_shutdown_request(&hook);
    b->rc = 0;
    while (!b->stop && b->rc == 0)
        b->rc = waitq_wait(&b->wq, DEADLINE_NONE);
    lifecycle_off_shutdown_request(&hook);
    b->woke_at = sim_now();
    return 0;
}

START_TEST(a_fiber_blocked_elsewhere_wakes_at_the_request)
{
    static struct blocked b = {.wq = WAITQ_INIT};
    struct fiber *f = fiber_spawn("blocked", block_until_stopped, &b, 0);
    ck_assert_ptr_nonnull(f);
    sim_run_for(1500 * MS);
    ck_assert(!b.stop);
    uint64_t asked = sim_now();
    lifecycle_request_shutdown(SHUTDOWN_SUCCESS);
    sim_run_for(1 * MS);
    ck_assert(b.stop);
    ck_assert_int_eq(b.rc, 0);
    ck_assert_uint_eq(b.woke_at, asked); /* the same instant, no slice of waiting */
    ck_assert_int_eq(fiber_join(f), 0);
    /* and a fiber starting after the request does not block at all */
    b = (struct blocked){.wq = WAITQ_INIT};
    f = fiber_spawn("late", block_until_stopped, &b, 0);
    sim_run_for(1 * MS);
    ck_assert(b.stop);
    ck_assert_int_eq(fiber_join(f), 0);
}
END_TEST

/* lifecycle_wait_shutdown: woken by the request, at once after it, -ETIMEDOUT at its deadline. */
static int wait_for_request(void *arg)
{
    uint64_t *deadline = arg;
    return lifecycle_wait_shutdown(*deadline);
}

START_TEST(waiters_wake_at_the_request_or_their_deadline)
{
    static uint64_t never = DEADLINE_NONE, soon = 500 * MS;
    struct fiber *patient = fiber_spawn("patient", wait_for_request, &never, 0);
    struct fiber *hasty = fiber_spawn("hasty", wait_for_request, &soon, 0);
    sim_run_for(NS_PER_S);
    ck_assert_int_eq(fiber_join(hasty), -ETIMEDOUT);
    ck_assert(!lifecycle_shutdown_requested());
    lifecycle_request_shutdown(SHUTDOWN_SUCCESS);
    ck_assert(lifecycle_shutdown_requested());
    struct fiber *late = fiber_spawn("late", wait_for_request, &never, 0);
    sim_run_for(1 * MS);
    ck_assert_int_eq(fiber_join(patient), 0);
    ck_assert_int_eq(fiber_join(late), 0);
}
END_TEST

static Suite *lifecycle_suite(void)
{
    Suite *s = suite_create("kernel_lifecycle");
    TCase *tc = tcase_create("shutdown_request");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, hooks_run_once_oldest_first_at_the_request);
    tcase_add_test(tc, unregistered_hooks_do_not_run);
    tcase_add_test(tc, a_hook_may_be_registered_again_after_unregistering);
    tcase_add_test(tc, a_hook_registered_after_the_request_runs_at_once);
    tcase_add_test(tc, hooks_may_change_the_list_while_they_run);
    tcase_add_test(tc, a_hook_requesting_again_runs_nothing_twice);
    tcase_add_test(tc, a_fiber_blocked_elsewhere_wakes_at_the_request);
    tcase_add_test(tc, waiters_wake_at_the_request_or_their_deadline);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(lifecycle_suite)
