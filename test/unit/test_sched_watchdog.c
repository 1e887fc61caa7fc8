/*
 * Unit tests for the event loop's watchdog hook (sched_set_watchdog) on the simulated clock:
 * the schedule by which the loop re-arms Xen's domain watchdog (xen_watchdog_start). Xen ends
 * a domain whose watchdog is not re-armed within its timeout (SCHEDOP_watchdog, <xen/sched.h>),
 * so the loop must pet at least every half timeout (the period given here) whenever it comes
 * round, even when idle with nothing armed, and must stop petting when a fiber never yields.
 */
#include <check.h>
#include <stdlib.h>

#include "mm/mm.h"
#include "sched/sched.h"
#include "test/unit/sim/sim.h"
#include "xenolith/test_main.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define PERIOD (2 * SEC)   /* what xen_watchdog_start gives for watchdog=4 */

static uint64_t pets[1024];
static size_t npets;

static void setup(void)
{
    sim_start_kernel(0);
    npets = 0;
}

static void pet(void *arg)
{
    ck_assert_ptr_eq(arg, pets);
    ck_assert_uint_lt(npets, sizeof(pets) / sizeof(pets[0]));
    pets[npets++] = sim_now();
}

/* The largest gap between pets, counting from `from` to the first and from the last to `to`. */
static uint64_t largest_gap(uint64_t from, uint64_t to)
{
    uint64_t gap = 0, prev = from;
    for (size_t i = 0; i < npets; i++) {
        if (pets[i] - prev > gap)
            gap = pets[i] - prev;
        prev = pets[i];
    }
    return to - prev > gap ? to - prev : gap;
}

static int sleep_20s(void *arg)
{
    fiber_sleep_ns(20 * SEC);
    return 0;
}

/* Idle (one fiber asleep, nothing else armed): the loop still wakes to pet, at half the period,
 * so no gap comes near the period. Without the hook's deadline the loop would sleep 20 s. */
START_TEST(idle_loop_pets_at_half_the_period)
{
    sched_set_watchdog(PERIOD, pet, pets);
    fiber_detach(fiber_spawn("sleeper", sleep_20s, NULL, 0));
    sched_run(NULL, NULL);
    ck_assert_uint_eq(sim_now(), 20 * SEC);
    ck_assert_uint_ge(npets, 19);
    ck_assert_uint_le(largest_gap(0, 20 * SEC), PERIOD / 2);
    struct sched_stats s;
    sched_get_stats(&s);
    ck_assert_uint_eq(s.watchdog_pets, npets);
}
END_TEST

/* Waiting for ever on nothing (a fiber blocked with no timer) is idle too: the loop wakes to pet
 * instead of waiting with no deadline. */
static struct waitq never = WAITQ_INIT;

static int wait_forever(void *arg)
{
    waitq_wait(&never, DEADLINE_NONE);
    return 0;
}

START_TEST(a_loop_with_nothing_armed_still_pets)
{
    sched_set_watchdog(PERIOD, pet, pets);
    fiber_detach(fiber_spawn("waiter", wait_forever, NULL, 0));
    sim_run_until(30 * SEC);
    ck_assert_uint_eq(sim_deadlocks(), 0);
    ck_assert_uint_ge(npets, 29);
    ck_assert_uint_le(largest_gap(0, 30 * SEC), PERIOD / 2);
    waitq_wake_all(&never);
    sched_set_watchdog(0, NULL, NULL);
    sched_run(NULL, NULL);
}
END_TEST

/* A busy loop (a fiber yielding while time passes) pets as often as the schedule says, not on
 * every pass. */
static int busy_10s(void *arg)
{
    while (sim_now() < 10 * SEC) {
        sim_advance_to(sim_now() + 7 * MS);
        fiber_yield();
    }
    return 0;
}

START_TEST(busy_loop_pets_on_schedule_not_every_pass)
{
    sched_set_watchdog(PERIOD, pet, pets);
    fiber_detach(fiber_spawn("busy", busy_10s, NULL, 0));
    sched_run(NULL, NULL);
    ck_assert_uint_le(largest_gap(0, sim_now()), PERIOD / 2 + 7 * MS);
    ck_assert_uint_ge(npets, 9);
    ck_assert_uint_le(npets, 11);
}
END_TEST

/* A fiber that never gives the CPU back stops the pets (that is what the watchdog is for):
 * the gap spans the whole stall. */
static int stall_5s(void *arg)
{
    fiber_sleep_ns(3 * SEC);
    sim_advance_to(sim_now() + 5 * SEC);   /* spinning: the loop does not come round */
    fiber_sleep_ns(3 * SEC);
    return 0;
}

START_TEST(a_fiber_that_never_yields_stops_the_pets)
{
    sched_set_watchdog(PERIOD, pet, pets);
    fiber_detach(fiber_spawn("staller", stall_5s, NULL, 0));
    sched_run(NULL, NULL);
    ck_assert_uint_eq(sim_now(), 11 * SEC);
    bool gap_over_stall = false;
    for (size_t i = 1; i < npets; i++)
        gap_over_stall |= pets[i] - pets[i - 1] >= 5 * SEC;
    ck_assert(gap_over_stall);
    for (size_t i = 0; i < npets; i++)
        ck_assert(pets[i] <= 3 * SEC || pets[i] >= 8 * SEC);
}
END_TEST

/* Without a hook nothing changes: the idle loop sleeps straight to the timer. */
START_TEST(no_hook_no_extra_wakeups)
{
    fiber_detach(fiber_spawn("sleeper", sleep_20s, NULL, 0));
    sched_run(NULL, NULL);
    struct sched_stats s;
    sched_get_stats(&s);
    ck_assert_uint_eq(s.watchdog_pets, 0);
    ck_assert_uint_eq(s.idle_waits, 1);
}
END_TEST

static Suite *watchdog_suite(void)
{
    Suite *s = suite_create("sched_watchdog");
    TCase *tc = tcase_create("watchdog");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, idle_loop_pets_at_half_the_period);
    tcase_add_test(tc, a_loop_with_nothing_armed_still_pets);
    tcase_add_test(tc, busy_loop_pets_on_schedule_not_every_pass);
    tcase_add_test(tc, a_fiber_that_never_yields_stops_the_pets);
    tcase_add_test(tc, no_hook_no_extra_wakeups);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(watchdog_suite)
