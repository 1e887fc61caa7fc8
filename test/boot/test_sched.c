/*
 * test/boot/test_sched: fibers, the context switch, timers and the clocks on the real CPU.
 * Sleeps are measured with the TSC clock and must block the CPU (idle waits via the LAPIC
 * timer), not spin; a fiber that overruns its stack must hit its guard page.
 */
#include "platform/pvh/pvh.h"
#include "arch/x86_64/trap.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "sched/sched.h"
#include "test/boot/boottest.h"

#define MS 1000000ull

static char turn_log[32];
static size_t turn_len;

static int take_turns(void *arg)
{
    char me = *(const char *)arg;
    for (int i = 0; i < 4; i++) {
        if (turn_len < sizeof(turn_log) - 1)
            turn_log[turn_len++] = me;
        fiber_yield();
    }
    return me;
}

static const char *test_fibers_alternate(void)
{
    static const char a = 'a', b = 'b';
    struct sched_stats before, after;
    sched_get_stats(&before);
    turn_len = 0;
    struct fiber *fa = fiber_spawn("turn-a", take_turns, (void *)&a, 0);
    struct fiber *fb = fiber_spawn("turn-b", take_turns, (void *)&b, 0);
    if (!fa || !fb)
        return "cannot spawn";
    int ra = fiber_join(fa), rb = fiber_join(fb);
    turn_log[turn_len] = '\0';
    sched_get_stats(&after);
    if (ra != 'a' || rb != 'b')
        return boot_fail("join gave %d and %d", ra, rb);
    if (strcmp(turn_log, "abababab") != 0)
        return boot_fail("turns ran as '%s', expected 'abababab'", turn_log);
    if (after.switches < before.switches + 8)
        return "fewer context switches than turns";
    return NULL;
}

/* Floating point and callee-saved state must survive being switched out. */
static int float_worker(void *arg)
{
    double x = (double)(uintptr_t)arg;
    volatile double acc = 0;
    for (int i = 1; i <= 10; i++) {
        acc += x * i + 0.5;
        fiber_yield();
    }
    return (int)acc;
}

static const char *test_switch_preserves_state(void)
{
    struct fiber *f[4];
    for (uintptr_t i = 0; i < 4; i++) {
        f[i] = fiber_spawn("float", float_worker, (void *)(i + 1), 0);
        if (!f[i])
            return "cannot spawn";
    }
    for (uintptr_t i = 0; i < 4; i++) {
        int expected = (int)((double)(i + 1) * 55 + 5);
        int got = fiber_join(f[i]);
        if (got != expected)
            return boot_fail("fiber %lu computed %d, expected %d", (unsigned long)i, got,
                             expected);
    }
    return NULL;
}

/* A loaded host may stop the guest for the whole sleep right after it starts, so the deadline
 * has passed before the CPU could idle: one of a few sleeps must block it. */
#define IDLE_SLEEP_TRIES 5

static const char *test_sleep_is_accurate_and_idle(void)
{
    struct sched_stats before, after;
    bool idled = false;
    for (int try = 0; try < IDLE_SLEEP_TRIES && !idled; try++) {
        sched_get_stats(&before);
        uint64_t start = platform_monotonic_ns();
        fiber_sleep_ns(20 * MS);
        uint64_t slept = platform_monotonic_ns() - start;
        sched_get_stats(&after);
        if (slept < 20 * MS)
            return boot_fail("a 20 ms sleep lasted %lu us", (unsigned long)(slept / 1000));
        if (slept > 500 * MS)
            return boot_fail("a 20 ms sleep lasted %lu ms", (unsigned long)(slept / MS));
        idled = after.idle_waits != before.idle_waits;
    }
    if (!idled)
        return "none of the 20 ms sleeps blocked the CPU (no idle wait)";
    return NULL;
}

struct fired {
    int order[3];
    int count;
    uint64_t late[3];
};

static void record_timer(struct timer *t, void *arg)
{
    struct fired *f = arg;
    uint64_t now = platform_monotonic_ns();
    if (f->count < 3) {
        f->late[f->count] = now >= t->deadline_ns ? 0 : 1;
        f->order[f->count++] = (int)(t->deadline_ns % 4);
    }
}

static const char *test_timers_fire_in_order(void)
{
    struct fired f = { { 0 }, 0, { 0 } };
    struct timer t[3];
    uint64_t now = platform_monotonic_ns();
    /* Deadlines 15, 5 and 10 ms away; the low bits tag each timer (1, 2, 3). */
    static const uint64_t offsets[3] = { 15 * MS, 5 * MS, 10 * MS };
    for (int i = 0; i < 3; i++) {
        timer_init(&t[i], record_timer, &f);
        uint64_t deadline = ((now + offsets[i]) & ~3ull) + (uint64_t)(i + 1) + 4;
        timer_arm(&t[i], deadline);
    }
    fiber_sleep_ns(30 * MS);
    for (int i = 0; i < 3; i++)
        timer_cancel(&t[i]);
    if (f.count != 3)
        return boot_fail("%d of 3 timers fired", f.count);
    if (f.order[0] != 2 || f.order[1] != 3 || f.order[2] != 1)
        return boot_fail("timers fired in order %d %d %d, expected 2 3 1", f.order[0],
                         f.order[1], f.order[2]);
    if (f.late[0] || f.late[1] || f.late[2])
        return "a timer fired before its deadline";
    return NULL;
}

static const char *test_clocks(void)
{
    if (tsc_hz() < 100000000ull)
        return boot_fail("TSC rate %lu Hz is implausible", (unsigned long)tsc_hz());
    uint64_t last = platform_monotonic_ns();
    for (int i = 0; i < 10000; i++) {
        uint64_t now = platform_monotonic_ns();
        if (now < last)
            return "the monotonic clock went backwards";
        last = now;
    }
    uint64_t wall = platform_wallclock_ns();
    /* 2020-01-01; the RTC on bare QEMU, shared_info's wall clock on Xen. */
    if (wall / 1000000000ull < 1577836800ull)
        return boot_fail("%s wall clock %lu s is before 2020", pvh_on_xen() ? "Xen" : "RTC",
                         (unsigned long)(wall / 1000000000ull));
    return NULL;
}

static const char *test_entropy(void)
{
    uint8_t a[32], b[32], zero[32] = { 0 };
    platform_entropy(a, sizeof(a));
    platform_entropy(b, sizeof(b));
    if (memcmp(a, b, sizeof(a)) == 0)
        return "two entropy draws are equal";
    if (memcmp(a, zero, sizeof(a)) == 0 || memcmp(b, zero, sizeof(b)) == 0)
        return "an entropy draw is all zero";
    return NULL;
}

/* ---- a stack overflow in a fiber hits its guard page, caught here as an expected #PF ---- */
static volatile uintptr_t overflow_cr2;

static __attribute__((noinline)) int dig(volatile unsigned depth)
{
    volatile char frame[256];
    if (depth > (1u << 20))
        return 0;
    frame[0] = (char)depth;
    return dig(depth + 1) + frame[0];
}

static int overflowing(void *arg)
{
    /* The overflow tramples the stack canary on its way to the guard page; put it back so
     * the scheduler's own overflow check does not turn this expected fault into a panic. */
    uintptr_t low, high;
    fiber_stack_bounds(fiber_current(), &low, &high);
    volatile uintptr_t *canary = (volatile uintptr_t *)low;
    uintptr_t canary_value = *canary;
    struct trap_recovery r;
    if (trap_expect(TRAP_PF, &r) == 0) {
        dig(0);
        trap_expect_cancel();
        return 1;
    }
    *canary = canary_value;
    overflow_cr2 = r.cr2;
    return 0;
}

static const char *test_fiber_guard_page(void)
{
    overflow_cr2 = 0;
    struct fiber *f = fiber_spawn("digger", overflowing, NULL, 16384);
    if (!f)
        return "cannot spawn";
    struct fiber *owner_during = NULL;
    /* Look the guard up while the fiber still exists: join frees it. */
    while (overflow_cr2 == 0)
        fiber_yield();
    owner_during = fiber_by_guard_address(overflow_cr2);
    int rc = fiber_join(f);
    if (rc != 0)
        return "the overflow did not fault";
    if (owner_during != f)
        return boot_fail("fault at %#lx is not in the fiber's guard page",
                         (unsigned long)overflow_cr2);
    return NULL;
}

const struct boot_test boot_tests_sched[] = {
    { "fibers take turns", test_fibers_alternate },
    { "context switch keeps FP state", test_switch_preserves_state },
    { "20 ms sleep: accurate and idle", test_sleep_is_accurate_and_idle },
    { "timers fire in deadline order", test_timers_fire_in_order },
    { "clocks", test_clocks },
    { "entropy", test_entropy },
    { "fiber overflow hits its guard page", test_fiber_guard_page },
};
const size_t boot_tests_sched_count = sizeof(boot_tests_sched) / sizeof(boot_tests_sched[0]);
