/*
 * Unit tests for sched/: fibers (FIFO order, yield, join, detach, names, 1000 fibers, register
 * and FPU state across switches), stack overflow detection (canary and guard page) and the
 * event loop's termination rule. Runs on the simulated platform (test/unit/sim).
 */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <xmmintrin.h>

#include "lib/errno.h"
#include "mm/mm.h"
#include "sched/sched.h"
#include "test/unit/expect_crash.h"
#include "test/unit/sim/sim.h"
#include "xenolith/test_main.h"

static struct heap_stats heap_before;
static char order_log[4096];
static size_t log_len;

static void never_fires(struct timer *t, void *arg)
{
    ck_abort_msg("cancelled timer fired");
}

static void setup(void)
{
    sim_start_kernel(0);
    /* The timer heap's array is allocated once, on first use, and kept: count it as before. */
    struct timer warm_up;
    timer_init(&warm_up, never_fires, NULL);
    timer_arm(&warm_up, 1);
    timer_cancel(&warm_up);
    heap_get_stats(&heap_before);
    log_len = 0;
    order_log[0] = '\0';
}

static void log_char(char c)
{
    order_log[log_len++] = c;
    order_log[log_len] = '\0';
}

static struct sched_stats stats_now(void)
{
    struct sched_stats s;
    sched_get_stats(&s);
    return s;
}

/* The unit tests' done(): give up once the loop has stalled (see sched_run in sched.h). */
static bool stop_on_stall(void *arg)
{
    return stats_now().stalls > 0;
}

/* Every fiber is freed, and once the stack cache has gone unused for its idle time, so is every
 * stack. */
static void expect_no_leak(void)
{
    sim_run_until(platform_monotonic_ns() + FIBER_STACK_CACHE_IDLE_NS);
    struct heap_stats h;
    heap_get_stats(&h);
    ck_assert_uint_eq(h.bytes_in_use, heap_before.bytes_in_use);
    ck_assert_uint_eq(h.large_in_use, heap_before.large_in_use);
    ck_assert_uint_eq(stats_now().fibers_live, 0);
}

static int log_and_return(void *arg)
{
    log_char(*(const char *)arg);
    return (int)*(const char *)arg;
}

START_TEST(ready_fibers_run_in_fifo_order)
{
    static const char ids[] = "ABCDE";
    struct fiber *f[5];
    for (int i = 0; i < 5; i++)
        f[i] = fiber_spawn("worker", log_and_return, (void *)&ids[i], 0);
    ck_assert_uint_eq(stats_now().fibers_live, 5);
    sched_run(NULL, NULL);
    ck_assert_str_eq(order_log, "ABCDE");
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(fiber_join(f[i]), ids[i]);
    ck_assert_uint_eq(stats_now().switches, 5);
    expect_no_leak();
}
END_TEST

static int yield_three_times(void *arg)
{
    for (int i = 0; i < 3; i++) {
        log_char(*(const char *)arg);
        fiber_yield();
    }
    return 0;
}

START_TEST(yield_interleaves)
{
    fiber_detach(fiber_spawn("a", yield_three_times, "a", 0));
    fiber_detach(fiber_spawn("b", yield_three_times, "b", 0));
    fiber_detach(fiber_spawn("c", yield_three_times, "c", 0));
    sched_run(NULL, NULL);
    ck_assert_str_eq(order_log, "abcabcabc");
    ck_assert_uint_eq(stats_now().switches, 12); /* 3 yields + the final return, each */
    expect_no_leak();
}
END_TEST

static int child_returns_42(void *arg)
{
    fiber_yield();
    fiber_sleep_ns(1000);
    return 42;
}

static int joiner(void *arg)
{
    struct fiber *child = fiber_spawn("child", child_returns_42, NULL, 0);
    ck_assert_ptr_nonnull(child);
    int rc = fiber_join(child); /* blocks until the child returns */
    ck_assert_uint_eq(sim_now(), 1000);
    return rc + 1;
}

START_TEST(join_returns_value_and_frees)
{
    struct fiber *j = fiber_spawn("joiner", joiner, NULL, 0);
    sched_run(NULL, NULL);
    ck_assert_uint_eq(stats_now().fibers_live, 1); /* finished, kept for its joiner */
    ck_assert_int_eq(fiber_join(j), 43);
    expect_no_leak();
}
END_TEST

START_TEST(detach_frees_on_return)
{
    struct fiber *f = fiber_spawn("detached", child_returns_42, NULL, 0);
    fiber_detach(f);
    sched_run(NULL, NULL);
    expect_no_leak();
    /* Detaching a fiber that already returned frees it at once. */
    f = fiber_spawn("late", log_and_return, "x", 0);
    sched_run(NULL, NULL);
    ck_assert_uint_eq(stats_now().fibers_live, 1);
    fiber_detach(f);
    expect_no_leak();
}
END_TEST

/* A fiber that ended leaves its stack, guard pages and all, for the next fiber of that size;
 * the cache empties once it has gone unused for FIBER_STACK_CACHE_IDLE_NS. */
START_TEST(stacks_are_reused_then_freed_when_idle)
{
    struct fiber *a = fiber_spawn("a", log_and_return, "a", 0);
    uintptr_t a_low, a_high, b_low, b_high;
    fiber_stack_bounds(a, &a_low, &a_high);
    sched_run(NULL, NULL);
    fiber_join(a);
    struct heap_stats cached;
    heap_get_stats(&cached);
    ck_assert_uint_eq(cached.large_in_use, heap_before.large_in_use + 1);
    ck_assert_uint_eq(cached.cached_bytes, heap_before.cached_bytes + FIBER_DEFAULT_STACK);
    ck_assert_uint_eq(cached.bytes_in_use - cached.cached_bytes,
                      heap_before.bytes_in_use - heap_before.cached_bytes);

    struct fiber *b = fiber_spawn("b", log_and_return, "b", 0);
    fiber_stack_bounds(b, &b_low, &b_high);
    ck_assert_uint_eq(b_low, a_low);
    ck_assert_uint_eq(b_high, a_high);
    ck_assert_ptr_eq(fiber_by_guard_address(b_low - 1), b);   /* the guard page stayed */
    struct fiber *other = fiber_spawn("other", log_and_return, "o", 2 * FIBER_DEFAULT_STACK);
    fiber_stack_bounds(other, &a_low, &a_high);
    ck_assert_uint_ne(a_low, b_low);                           /* another size: a new stack */
    sched_run(NULL, NULL);
    fiber_join(b);
    fiber_join(other);

    sim_run_until(platform_monotonic_ns() + FIBER_STACK_CACHE_IDLE_NS - 1);
    heap_get_stats(&cached);
    ck_assert_uint_eq(cached.large_in_use, heap_before.large_in_use + 2);
    expect_no_leak();
}
END_TEST

static int check_identity(void *arg)
{
    ck_assert_ptr_eq(fiber_current(), *(struct fiber **)arg);
    return 0;
}

START_TEST(names_are_copied_and_truncated)
{
    char name[64] = "short";
    static struct fiber *self;
    self = fiber_spawn(name, check_identity, &self, 0);
    strcpy(name, "changed");
    ck_assert_str_eq(fiber_name(self), "short");
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    struct fiber *long_named = fiber_spawn(name, log_and_return, "l", 0);
    ck_assert_uint_eq(strlen(fiber_name(long_named)), FIBER_NAME_MAX - 1);
    ck_assert_ptr_null(fiber_current());
    ck_assert_str_eq(fiber_name(NULL), "(loop)");
    sched_run(NULL, NULL);
    fiber_join(self);
    fiber_join(long_named);
    expect_no_leak();
}
END_TEST

static int counter;
static int count_and_yield(void *arg)
{
    for (int i = 0; i < 3; i++) {
        counter++;
        fiber_yield();
    }
    return (int)(uintptr_t)arg;
}

START_TEST(a_thousand_fibers)
{
    enum { N = 1000 };
    static struct fiber *f[N];
    for (int i = 0; i < N; i++) {
        f[i] = fiber_spawn("many", count_and_yield, (void *)(uintptr_t)i, 8192);
        ck_assert_ptr_nonnull(f[i]);
    }
    ck_assert_uint_eq(stats_now().fibers_live, N);
    sched_run(NULL, NULL);
    ck_assert_int_eq(counter, 3 * N);
    ck_assert_uint_eq(stats_now().switches, 4 * N);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(fiber_join(f[i]), i);
    expect_no_leak();
}
END_TEST

START_TEST(spawn_fails_cleanly_without_memory)
{
    /* Stacks larger than any block cannot be had: NULL, and nothing leaks. */
    ck_assert_ptr_null(fiber_spawn("huge", log_and_return, "h", 8u << 20));
    expect_no_leak();
}
END_TEST

/* Values live across yields in callee-saved registers and the FPU/SSE control state are
 * per fiber: another fiber changing its rounding mode does not leak into this one. */
static int fpu_and_registers(void *arg)
{
    int id = (int)(uintptr_t)arg;
    unsigned mode = id ? _MM_ROUND_DOWN : _MM_ROUND_UP;
    _MM_SET_ROUNDING_MODE(mode);
    uint16_t cw = id ? 0x0c7f : 0x047f; /* x87 rounding: toward zero / down */
    __asm__ volatile("fldcw %0" : : "m"(cw));
    uint64_t a = 0x1111 * (uint64_t)(id + 1), b = a * 3, c = a * 5, d = a * 7, e = a * 11;
    for (int i = 0; i < 5; i++) {
        fiber_yield();
        ck_assert_uint_eq(_MM_GET_ROUNDING_MODE(), mode);
        uint16_t now;
        __asm__ volatile("fnstcw %0" : "=m"(now));
        ck_assert_uint_eq(now, cw);
        a += 1; b += 3; c += 5; d += 7; e += 11;
    }
    uint64_t base = 0x1111 * (uint64_t)(id + 1);
    ck_assert_uint_eq(a, base + 5);
    ck_assert_uint_eq(b, base * 3 + 15);
    ck_assert_uint_eq(c, base * 5 + 25);
    ck_assert_uint_eq(d, base * 7 + 35);
    ck_assert_uint_eq(e, base * 11 + 55);
    return 0;
}

static int default_fpu(void *arg)
{
    uint16_t cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return (_mm_getcsr() & 0xffc0) == 0x1f80 && cw == 0x037f ? 0 : 1;
}

START_TEST(fpu_state_is_per_fiber)
{
    unsigned loop_csr = _mm_getcsr();
    struct fiber *a = fiber_spawn("up", fpu_and_registers, (void *)0, 0);
    struct fiber *b = fiber_spawn("down", fpu_and_registers, (void *)1, 0);
    struct fiber *fresh = fiber_spawn("fresh", default_fpu, NULL, 0);
    sched_run(NULL, NULL);
    ck_assert_int_eq(fiber_join(a), 0);
    ck_assert_int_eq(fiber_join(b), 0);
    ck_assert_int_eq(fiber_join(fresh), 0);
    ck_assert_uint_eq(_mm_getcsr(), loop_csr);
}
END_TEST

/* ---- Stack overflow ---- */

static int trample_canary(void *arg)
{
    uintptr_t low, high;
    fiber_stack_bounds(fiber_current(), &low, &high);
    /* An overflow that skipped the guard page (a big frame) lands on the lowest word. */
    *(volatile uint64_t *)low = 0;
    fiber_yield();
    return 0;
}

static void run_trampler(void *arg)
{
    fiber_spawn("deep", trample_canary, NULL, 0);
    sched_run(NULL, NULL);
}

START_TEST(canary_catches_overflow)
{
    struct crash_report r;
    run_expecting_crash(run_trampler, NULL, &r);
    ck_assert_msg(r.exit_status == SIM_EXIT_CRASH, "status %d\n%s", r.exit_status, r.output);
    ck_assert_msg(strstr(r.output, "stack overflow in fiber 'deep'"), "%s", r.output);
}
END_TEST

static int idle(void *arg)
{
    return 0;
}

START_TEST(guard_pages_map_back_to_fiber)
{
    struct fiber *f = fiber_spawn("guarded", idle, NULL, 16384);
    uintptr_t low, high;
    fiber_stack_bounds(f, &low, &high);
    ck_assert_uint_eq(high - low, 16384);
    ck_assert_ptr_eq(fiber_by_guard_address(low - 1), f);
    ck_assert_ptr_eq(fiber_by_guard_address(low - PAGE_SIZE), f);
    ck_assert_ptr_eq(fiber_by_guard_address(high), f);
    ck_assert_ptr_eq(fiber_by_guard_address(high + PAGE_SIZE - 1), f);
    ck_assert_ptr_null(fiber_by_guard_address(low));
    ck_assert_ptr_null(fiber_by_guard_address(high - 1));
    ck_assert_ptr_null(fiber_by_guard_address(low - PAGE_SIZE - 1));
    ck_assert_ptr_null(fiber_by_guard_address(high + PAGE_SIZE));
    sched_run(NULL, NULL);
    fiber_join(f);
    ck_assert_ptr_null(fiber_by_guard_address(low - 1));
}
END_TEST

/* A real runaway recursion faults on the guard page; the fault address names the fiber, as
 * the hosted SIGSEGV handler and the kernel's page-fault handler report it. */
static void on_guard_fault(int sig, siginfo_t *info, void *ctx)
{
    struct fiber *f = fiber_by_guard_address((uintptr_t)info->si_addr);
    _exit(f && strcmp(fiber_name(f), "recursive") == 0 ? 77 : 78);
}

static int recurse(int depth)
{
    volatile char frame[512];
    frame[0] = (char)depth;
    if (depth > 1000000) /* never reached: the guard page stops it far earlier */
        return 0;
    return recurse(depth + 1) + frame[0];
}

static int runaway(void *arg)
{
    return recurse(0);
}

static void run_runaway(void *arg)
{
    static char alt[64 * 1024];
    stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt) };
    sigaltstack(&ss, NULL);
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_guard_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    fiber_spawn("recursive", runaway, NULL, 16384);
    sched_run(NULL, NULL);
}

START_TEST(guard_page_stops_runaway_recursion)
{
    struct crash_report r;
    run_expecting_crash(run_runaway, NULL, &r);
    ck_assert_msg(r.exit_status == 77, "status %d\n%s", r.exit_status, r.output);
}
END_TEST

/* ---- Misuse ---- */

static void yield_from_loop(void *arg)
{
    fiber_yield();
}

static int join_self(void *arg)
{
    return fiber_join(fiber_current());
}

static void run_join_self(void *arg)
{
    fiber_spawn("narcissus", join_self, NULL, 0);
    sched_run(NULL, NULL);
}

START_TEST(misuse_panics)
{
    struct crash_report r;
    run_expecting_crash(yield_from_loop, NULL, &r);
    ck_assert_int_eq(r.exit_status, SIM_EXIT_CRASH);
    ck_assert_msg(strstr(r.output, "fiber_yield called from loop context"), "%s", r.output);
    run_expecting_crash(run_join_self, NULL, &r);
    ck_assert_int_eq(r.exit_status, SIM_EXIT_CRASH);
    ck_assert_msg(strstr(r.output, "fiber 'narcissus' tried to join itself"), "%s", r.output);
}
END_TEST

/* ---- The loop's termination rule (sched_run in sched.h) ---- */

START_TEST(returns_when_nothing_is_left)
{
    sched_run(NULL, NULL); /* nothing at all */
    fiber_spawn("one", log_and_return, "1", 0);
    sched_run(NULL, NULL);
    ck_assert_str_eq(order_log, "1");
    struct sched_stats s = stats_now();
    ck_assert_uint_eq(s.idle_waits, 0);
    ck_assert_uint_eq(s.stalls, 0);
    ck_assert_uint_eq(sim_deadlocks(), 0);
}
END_TEST

static void log_timer(struct timer *t, void *arg)
{
    log_char('T');
}

START_TEST(an_armed_timer_keeps_the_loop_going)
{
    static struct timer t;
    timer_init(&t, log_timer, NULL);
    timer_arm(&t, 1000);
    sched_run(NULL, NULL);
    ck_assert_str_eq(order_log, "T");
    ck_assert_uint_eq(sim_now(), 1000);
    ck_assert_uint_eq(stats_now().idle_waits, 1);
}
END_TEST

static struct waitq forever = WAITQ_INIT;
static int wait_forever(void *arg)
{
    int rc = waitq_wait(&forever, DEADLINE_NONE);
    log_char('w');
    return rc;
}

/* Blocked fibers with nothing armed: the loop waits with DEADLINE_NONE instead of returning
 * (the simulated platform reports that as a deadlock); done() decides to give up. The fiber is
 * still there: something outside can wake it and the loop finishes it. */
START_TEST(blocked_fibers_wait_for_external_events)
{
    struct fiber *f = fiber_spawn("waiter", wait_forever, NULL, 0);
    sched_run(stop_on_stall, NULL);
    ck_assert_uint_eq(stats_now().stalls, 1);
    ck_assert_uint_eq(sim_deadlocks(), 1);
    ck_assert_str_eq(order_log, "");
    ck_assert(!waitq_empty(&forever));
    waitq_wake_one(&forever);
    sched_run(NULL, NULL);
    ck_assert_str_eq(order_log, "w");
    ck_assert_int_eq(fiber_join(f), 0);
}
END_TEST

/* An event source (as a network device would be) that wakes the waiter at t = 5000. */
static bool event_fired;
static bool ev_pending(void *ctx)
{
    return !event_fired && sim_now() >= 5000;
}
static void ev_dispatch(void *ctx)
{
    event_fired = true;
    waitq_wake_all(&forever);
}
static uint64_t ev_next(void *ctx)
{
    return event_fired ? UINT64_MAX : 5000;
}

START_TEST(external_event_wakes_blocked_fiber)
{
    static struct sim_event_source src = { ev_pending, ev_dispatch, ev_next, NULL, NULL };
    sim_add_event_source(&src);
    struct fiber *f = fiber_spawn("waiter", wait_forever, NULL, 0);
    sched_run(stop_on_stall, NULL);
    ck_assert_str_eq(order_log, "w");
    ck_assert_uint_eq(sim_now(), 5000);
    ck_assert_uint_eq(stats_now().stalls, 0);
    ck_assert_int_eq(fiber_join(f), 0);
}
END_TEST

static int spin(void *arg)
{
    for (;;) {
        counter++;
        fiber_yield();
    }
    return 0;
}

static bool five_passes(void *arg)
{
    return counter >= 5;
}

START_TEST(done_stops_a_busy_loop)
{
    fiber_spawn("spinner", spin, NULL, 0);
    sched_run(five_passes, NULL);
    ck_assert_int_eq(counter, 5); /* done() is checked on every pass */
}
END_TEST

static Suite *sched_suite(void)
{
    Suite *s = suite_create("sched");
    TCase *tc = tcase_create("fibers");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ready_fibers_run_in_fifo_order);
    tcase_add_test(tc, yield_interleaves);
    tcase_add_test(tc, join_returns_value_and_frees);
    tcase_add_test(tc, detach_frees_on_return);
    tcase_add_test(tc, names_are_copied_and_truncated);
    tcase_add_test(tc, a_thousand_fibers);
    tcase_add_test(tc, stacks_are_reused_then_freed_when_idle);
    tcase_add_test(tc, spawn_fails_cleanly_without_memory);
    tcase_add_test(tc, fpu_state_is_per_fiber);
    tcase_add_test(tc, canary_catches_overflow);
    tcase_add_test(tc, guard_pages_map_back_to_fiber);
    tcase_add_test(tc, guard_page_stops_runaway_recursion);
    tcase_add_test(tc, misuse_panics);
    suite_add_tcase(s, tc);

    TCase *loop = tcase_create("loop");
    tcase_add_checked_fixture(loop, setup, NULL);
    tcase_add_test(loop, returns_when_nothing_is_left);
    tcase_add_test(loop, an_armed_timer_keeps_the_loop_going);
    tcase_add_test(loop, blocked_fibers_wait_for_external_events);
    tcase_add_test(loop, external_event_wakes_blocked_fiber);
    tcase_add_test(loop, done_stops_a_busy_loop);
    suite_add_tcase(s, loop);
    return s;
}

TEST_MAIN(sched_suite)
