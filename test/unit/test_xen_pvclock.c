/*
 * Unit tests for xen/pvclock_math.h, the scaling of Xen's vCPU time record (Xen public xen.h,
 * struct vcpu_time_info: system_time + (((tsc - tsc_timestamp) << tsc_shift) *
 * tsc_to_system_mul) >> 32, a negative shift shifting right), and for xen/pvclock_clock.h,
 * the clock built on it: runs on our TSC at the record's rate, slews toward Xen's time,
 * never stands still, never goes backwards; deadlines converted to Xen's time.
 */
#include <check.h>

#include "xen/pvclock_clock.h"
#include "test/unit/xen_fixture.h"
#include "xenolith/test_main.h"

START_TEST(scale_matches_the_formula)
{
    /* mul = 2^31 is 0.5 ns per tick: 1000 ticks -> 500 ns. */
    ck_assert_uint_eq(pvclock_scale_delta(1000, 0x80000000u, 0), 500);
    ck_assert_uint_eq(pvclock_scale_delta(1000, 0x80000000u, 1), 1000);
    ck_assert_uint_eq(pvclock_scale_delta(1000, 0x80000000u, -1), 250);
}
END_TEST

START_TEST(a_2_6_ghz_tsc_counts_seconds)
{
    /* Xen's record for a 2.6 GHz TSC: shift -1... pick mul so that 2.6e9 ticks ~ 1e9 ns. */
    uint32_t mul = (uint32_t)(((unsigned __int128)1000000000ull << 33) / 2600000000ull);
    int8_t shift = -1;
    uint64_t ns = pvclock_scale_delta(2600000000ull, mul, shift);
    ck_assert_uint_ge(ns, 999999990ull);
    ck_assert_uint_le(ns, 1000000000ull);
    uint64_t hz = pvclock_tsc_hz(mul, shift);
    ck_assert_uint_ge(hz, 2599999990ull);
    ck_assert_uint_le(hz, 2600000010ull);
}
END_TEST

START_TEST(long_gaps_do_not_overflow)
{
    /* An hour at 4 GHz without an update: the 128-bit product keeps it exact. */
    uint64_t ticks = 4000000000ull * 3600;
    uint64_t ns = pvclock_scale_delta(ticks, 0x40000000u, 0);   /* 0.25 ns per tick */
    ck_assert_uint_eq(ns, 3600ull * 1000000000ull);
}
END_TEST

START_TEST(tsc_behind_the_record_counts_as_no_time)
{
    ck_assert_uint_eq(pvclock_system_time(5000, 100, 0x80000000u, 0, 50), 5000);
    ck_assert_uint_eq(pvclock_system_time(5000, 100, 0x80000000u, 0, 300), 5100);
    ck_assert_uint_eq(pvclock_tsc_hz(0, 0), 0);
}
END_TEST


/* mul = 2^31, shift 1: exactly 1 ns per tick, so TSC values read as ns. */
#define NS_MUL 0x80000000u
#define NS_SHIFT 1
#define MS 1000000ull

static struct pvclock_record record(uint32_t version, uint64_t stamp, uint64_t system_time)
{
    struct pvclock_record r = { .version = version, .tsc_timestamp = stamp,
                                .system_time = system_time, .mul = NS_MUL, .shift = NS_SHIFT };
    return r;
}

START_TEST(record_time_extrapolates_backwards_before_the_stamp)
{
    struct pvclock_record r = record(2, 1000 * MS, 5000 * MS);
    ck_assert_uint_eq(pvclock_record_time(&r, 1200 * MS), 5200 * MS);
    ck_assert_uint_eq(pvclock_record_time(&r, 900 * MS), 4900 * MS);
    /* Never below zero, however far behind the TSC is. */
    ck_assert_uint_eq(pvclock_record_time(&r, 0), 4000 * MS);
    struct pvclock_record young = record(2, 1000 * MS, 10 * MS);
    ck_assert_uint_eq(pvclock_record_time(&young, 0), 0);
}
END_TEST

START_TEST(clock_runs_on_the_tsc_while_the_stamp_is_ahead)
{
    /* The stamp is 300 ms ahead of our TSC and the record does not change: the old clock
     * stood still here until Xen's next update. */
    struct pvclock_clock c = { 0 };
    struct pvclock_record r = record(2, 10300 * MS, 50000 * MS);
    uint64_t start = pvclock_clock_read(&c, &r, 10000 * MS);
    ck_assert_uint_eq(start, 50000 * MS);   /* no backwards extrapolation at start */
    uint64_t after_20ms = pvclock_clock_read(&c, &r, 10020 * MS);
    ck_assert_uint_eq(after_20ms - start, 20 * MS);
    uint64_t after_1s = pvclock_clock_read(&c, &r, 11000 * MS);
    ck_assert_uint_eq(after_1s - start, 1000 * MS);
}
END_TEST

START_TEST(a_record_behind_us_never_moves_or_slows_the_clock)
{
    struct pvclock_clock c = { 0 };
    struct pvclock_record r = record(2, 0, 1000 * MS);
    pvclock_clock_read(&c, &r, 0);
    pvclock_clock_read(&c, &r, 100 * MS);            /* clock 1100 ms */
    /* The next record puts Xen's time 80 ms behind ours (its stamp is ahead of our TSC). */
    struct pvclock_record behind = record(4, 180 * MS, 1100 * MS);
    uint64_t at_fold = pvclock_clock_read(&c, &behind, 100 * MS);
    ck_assert_uint_eq(at_fold, 1100 * MS);            /* continuity, no step back */
    ck_assert_int_eq(c.stats.last_error_ns, -80 * (int64_t)MS);
    ck_assert_int_eq(c.error_ns, -80 * (int64_t)MS);  /* kept as the record's offset */
    ck_assert_uint_eq(c.stats.tsc_before_stamp, 1);
    ck_assert_uint_eq(c.stats.max_before_stamp_ns, 80 * MS);
    /* 160 ms of TSC are 160 ms of clock: chasing the record's absolute time would make a
     * sleep measured on the clock last longer than asked in real time. */
    ck_assert_uint_eq(pvclock_clock_read(&c, &behind, 260 * MS) - at_fold, 160 * MS);
    ck_assert_uint_eq(pvclock_clock_xen_now(&c, 260 * MS), 1180 * MS);
}
END_TEST

START_TEST(a_record_ahead_never_speeds_the_clock_up)
{
    struct pvclock_clock c = { 0 };
    struct pvclock_record r = record(2, 0, 1000 * MS);
    pvclock_clock_read(&c, &r, 0);
    struct pvclock_record ahead = record(4, 0, 1040 * MS);   /* Xen 40 ms ahead */
    uint64_t at_fold = pvclock_clock_read(&c, &ahead, 0);
    ck_assert_uint_eq(at_fold, 1000 * MS);
    /* A faster clock would end every sleep early in real time. */
    ck_assert_uint_eq(pvclock_clock_read(&c, &ahead, 80 * MS), 1080 * MS);
    ck_assert_uint_eq(pvclock_clock_xen_now(&c, 80 * MS), 1120 * MS);
    /* Far ahead (a record whose stamp is 30 s off): still the TSC's rate, never a jump. */
    struct pvclock_record far = record(6, 400 * MS, 31440 * MS);
    uint64_t base = pvclock_clock_read(&c, &far, 400 * MS);
    ck_assert_uint_eq(base, 1400 * MS);
    ck_assert_uint_eq(pvclock_clock_read(&c, &far, 420 * MS) - base, 20 * MS);
}
END_TEST

START_TEST(a_new_record_rate_is_adopted_from_the_current_reading)
{
    struct pvclock_clock c = { 0 };
    struct pvclock_record r = record(2, 0, 1000 * MS);
    pvclock_clock_read(&c, &r, 0);
    /* Xen recalibrated: the TSC runs at half a ns per tick from here (mul 2^31, shift 0). */
    struct pvclock_record slower = { .version = 4, .tsc_timestamp = 100 * MS,
                                     .system_time = 1100 * MS, .mul = NS_MUL, .shift = 0 };
    uint64_t at_fold = pvclock_clock_read(&c, &slower, 100 * MS);
    ck_assert_uint_eq(at_fold, 1100 * MS);
    ck_assert_uint_eq(pvclock_clock_read(&c, &slower, 300 * MS) - at_fold, 100 * MS);
}
END_TEST

START_TEST(implausible_records_are_ignored_unless_they_persist)
{
    struct pvclock_clock c = { 0 };
    struct pvclock_record r = record(2, 0, 40000 * MS);
    pvclock_clock_read(&c, &r, 0);
    /* A record whose stamp is 30 s ahead of our TSC: Xen's time 30 s behind ours. */
    struct pvclock_record stale = record(4, 30000 * MS, 40000 * MS);
    uint64_t v = pvclock_clock_read(&c, &stale, 10 * MS);
    ck_assert_uint_eq(v, 40010 * MS);
    ck_assert_uint_eq(c.stats.ignored, 1);
    ck_assert_uint_eq(pvclock_clock_read(&c, &stale, 30 * MS), 40030 * MS);   /* full rate */
    struct pvclock_record stale2 = record(6, 30000 * MS, 40000 * MS);
    pvclock_clock_read(&c, &stale2, 40 * MS);
    ck_assert_uint_eq(c.stats.ignored, 2);
    ck_assert_int_eq(c.error_ns, 0);
    /* The third in a row is believed as the record's offset; the clock itself never
     * steps or changes rate. */
    struct pvclock_record stale3 = record(8, 30000 * MS, 40000 * MS);
    uint64_t w = pvclock_clock_read(&c, &stale3, 50 * MS);
    ck_assert_uint_eq(w, 40050 * MS);
    ck_assert_int_lt(c.error_ns, -(int64_t)PVCLOCK_IMPLAUSIBLE_NS);
    ck_assert_uint_eq(pvclock_clock_read(&c, &stale3, 130 * MS) - w, 80 * MS);
}
END_TEST

START_TEST(tsc_going_back_never_moves_the_clock_back)
{
    struct pvclock_clock c = { 0 };
    struct pvclock_record r = record(2, 0, 1000 * MS);
    pvclock_clock_read(&c, &r, 500 * MS);
    uint64_t before = pvclock_clock_read(&c, &r, 600 * MS);
    /* Moved to a CPU whose TSC is 200 ms behind. */
    uint64_t after = pvclock_clock_read(&c, &r, 400 * MS);
    ck_assert_uint_eq(after, before);
    ck_assert_uint_eq(c.stats.tsc_backwards, 1);
    ck_assert_uint_eq(pvclock_clock_read(&c, &r, 410 * MS) - after, 10 * MS);
}
END_TEST

/* Suspend and resume (xen/suspend.h): a domain restored after a minute on disk, on a host
 * whose Xen booted 5 s ago, with a TSC that went on counting meanwhile. The suspend is a
 * pause (the uptime continues where it stopped, so no timer or TCP retransmission deadline
 * passes because of it), and Xen's time is the new host's at once (the wall clock and timer
 * conversions follow it, although the old rule would ignore a record 1 s behind us). */
START_TEST(a_resume_continues_the_clock_and_adopts_the_new_host)
{
    struct pvclock_clock c = { 0 };
    struct pvclock_record r = record(2, 0, 900000 * MS);
    pvclock_clock_read(&c, &r, 0);
    uint64_t at_suspend = pvclock_clock_read(&c, &r, 600 * MS);
    pvclock_clock_resume(&c);
    /* The new domain's record starts at version 2 again. */
    struct pvclock_record fresh = record(2, 60600 * MS, 5000 * MS);
    uint64_t at_resume = pvclock_clock_read(&c, &fresh, 60600 * MS);
    ck_assert_uint_eq(at_resume, at_suspend);
    ck_assert_uint_eq(pvclock_clock_read(&c, &fresh, 60610 * MS), at_suspend + 10 * MS);
    ck_assert_uint_eq(pvclock_clock_xen_now(&c, 60610 * MS), 5010 * MS);
    ck_assert_uint_eq(c.stats.ignored, 0);
}
END_TEST

START_TEST(a_resume_on_a_tsc_far_behind_never_moves_the_clock_back)
{
    struct pvclock_clock c = { 0 };
    struct pvclock_record r = record(2, 0, 1000 * MS);
    pvclock_clock_read(&c, &r, 50000 * MS);
    uint64_t at_suspend = pvclock_clock_read(&c, &r, 80000 * MS);
    pvclock_clock_resume(&c);
    struct pvclock_record fresh = record(3, 100 * MS, 7000 * MS);
    ck_assert_uint_eq(pvclock_clock_read(&c, &fresh, 100 * MS), at_suspend);
    ck_assert_uint_eq(pvclock_clock_read(&c, &fresh, 350 * MS), at_suspend + 250 * MS);
    ck_assert_uint_eq(pvclock_clock_xen_now(&c, 350 * MS), 7250 * MS);
    /* A resume before the clock ever ran changes nothing: the first read starts it. */
    struct pvclock_clock unstarted = { 0 };
    pvclock_clock_resume(&unstarted);
    ck_assert_uint_eq(pvclock_clock_read(&unstarted, &fresh, 100 * MS), 7000 * MS);
}
END_TEST

START_TEST(clock_is_monotonic_under_arbitrary_records)
{
    /* Records whose stamps and system times wander both ways by up to +-2 s, TSC reads that
     * sometimes step back: the clock never decreases. */
    struct pvclock_clock c = { 0 };
    uint64_t seed = 12345, tsc = 1000 * MS, last = 0;
    uint32_t version = 2;
    struct pvclock_record r = record(version, tsc, 5000 * MS);
    for (int i = 0; i < 20000; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        unsigned pick = (unsigned)(seed >> 33);
        if (pick % 7 == 0) {
            version += 2;
            int64_t wobble = (int64_t)(pick % 4000) - 2000;
            r = record(version, tsc + (uint64_t)((int64_t)(pick % 600) - 300) * MS,
                       tsc + 4000 * MS + (uint64_t)(wobble * (int64_t)MS));
        }
        uint64_t step = (pick >> 8) % (5 * MS);
        if (pick % 53 == 0 && tsc > step)
            tsc -= step;
        else
            tsc += step;
        uint64_t now = pvclock_clock_read(&c, &r, tsc);
        ck_assert_uint_ge(now, last);
        last = now;
    }
}
END_TEST

START_TEST(deadlines_convert_to_xen_time_with_the_record_offset)
{
    struct pvclock_clock c = { 0 };
    struct pvclock_record r = record(2, 0, 1000 * MS);
    pvclock_clock_read(&c, &r, 0);
    /* In step with Xen: a deadline 20 ms away is Xen's now + 20 ms. */
    ck_assert_uint_eq(pvclock_clock_to_xen(&c, 0, 1020 * MS, 0), 1020 * MS);
    /* Xen 100 ms behind us per a new record: the timer must target Xen's 900 ms + 20 ms, or
     * it would fire 100 ms late. */
    struct pvclock_record behind = record(4, 0, 900 * MS);
    uint64_t now = pvclock_clock_read(&c, &behind, 0);
    ck_assert_uint_eq(now, 1000 * MS);
    ck_assert_uint_eq(pvclock_clock_to_xen(&c, 0, 1020 * MS, 0), 920 * MS);
    ck_assert_uint_eq(pvclock_clock_xen_now(&c, 0), 900 * MS);
    /* Refusals' lag is added on top; a past deadline maps to Xen's now. */
    ck_assert_uint_eq(pvclock_clock_to_xen(&c, 0, 1020 * MS, 5 * MS), 925 * MS);
    ck_assert_uint_eq(pvclock_clock_to_xen(&c, 0, 990 * MS, 0), 900 * MS);
    /* Later the offset still holds. */
    uint64_t mid = pvclock_clock_read(&c, &behind, 400 * MS);
    ck_assert_uint_eq(mid, 1400 * MS);
    ck_assert_uint_eq(pvclock_clock_to_xen(&c, 400 * MS, mid + 20 * MS, 0), 1320 * MS);
}
END_TEST

START_TEST(only_a_hlt_that_blocked_gives_a_sample)
{
    struct pvclock_sample s = { 0 };
    uint64_t xen;
    ck_assert(!pvclock_sample_estimate(&s, 0, NS_MUL, NS_SHIFT, &xen));
    /* At boot: scheduled in at Xen's 5000 ms, our TSC now 1228 ms: taken as a lower bound. */
    ck_assert(pvclock_sample_offer(&s, 5000 * MS, 300 * MS, 1228 * MS));
    ck_assert(pvclock_sample_estimate(&s, 1238 * MS, NS_MUL, NS_SHIFT, &xen));
    ck_assert_uint_eq(xen, 5010 * MS);
    /* A HLT that returned at once (blocked time unchanged): the same old schedule-in paired
     * with a later TSC would put Xen's time 200 ms too early, so it is refused. */
    ck_assert(!pvclock_sample_offer(&s, 5000 * MS, 300 * MS, 1428 * MS));
    ck_assert(pvclock_sample_estimate(&s, 1428 * MS, NS_MUL, NS_SHIFT, &xen));
    ck_assert_uint_eq(xen, 5200 * MS);
    /* A HLT that blocked: its schedule-in is moments old and replaces the sample, even
     * where it says Xen is behind the old extrapolation. */
    ck_assert(pvclock_sample_offer(&s, 5400 * MS, 310 * MS, 1500 * MS));
    ck_assert(pvclock_sample_estimate(&s, 1510 * MS, NS_MUL, NS_SHIFT, &xen));
    ck_assert_uint_eq(xen, 5410 * MS);
    /* Before the sample's TSC there is no estimate. */
    ck_assert(!pvclock_sample_estimate(&s, 1499 * MS, NS_MUL, NS_SHIFT, &xen));
}
END_TEST

START_TEST(an_early_fire_only_raises_the_sample)
{
    struct pvclock_sample s = { 0 };
    uint64_t xen;
    pvclock_sample_offer(&s, 5000 * MS, 300 * MS, 1000 * MS);
    /* Xen fired at once a deadline of 5030 ms computed at TSC 1010 ms (we thought 5010). */
    ck_assert(pvclock_sample_raise(&s, 1010 * MS, 5030 * MS, NS_MUL, NS_SHIFT));
    ck_assert(pvclock_sample_estimate(&s, 1020 * MS, NS_MUL, NS_SHIFT, &xen));
    ck_assert_uint_eq(xen, 5040 * MS);
    /* A bound below what we know changes nothing. */
    ck_assert(!pvclock_sample_raise(&s, 1020 * MS, 5030 * MS, NS_MUL, NS_SHIFT));
    ck_assert(pvclock_sample_estimate(&s, 1020 * MS, NS_MUL, NS_SHIFT, &xen));
    ck_assert_uint_eq(xen, 5040 * MS);
    /* The raise keeps the blocked time: a HLT that did not block still gives nothing. */
    ck_assert(!pvclock_sample_offer(&s, 5000 * MS, 300 * MS, 1100 * MS));
    ck_assert(pvclock_sample_offer(&s, 5200 * MS, 320 * MS, 1150 * MS));
}
END_TEST

static Suite *xen_pvclock_suite(void)
{
    Suite *s = suite_create("xen_pvclock");
    TCase *tc = tcase_create("math");
    tcase_add_test(tc, scale_matches_the_formula);
    tcase_add_test(tc, a_2_6_ghz_tsc_counts_seconds);
    tcase_add_test(tc, long_gaps_do_not_overflow);
    tcase_add_test(tc, tsc_behind_the_record_counts_as_no_time);
    suite_add_tcase(s, tc);
    TCase *clock = tcase_create("clock");
    tcase_add_test(clock, record_time_extrapolates_backwards_before_the_stamp);
    tcase_add_test(clock, clock_runs_on_the_tsc_while_the_stamp_is_ahead);
    tcase_add_test(clock, a_record_behind_us_never_moves_or_slows_the_clock);
    tcase_add_test(clock, a_record_ahead_never_speeds_the_clock_up);
    tcase_add_test(clock, a_new_record_rate_is_adopted_from_the_current_reading);
    tcase_add_test(clock, implausible_records_are_ignored_unless_they_persist);
    tcase_add_test(clock, tsc_going_back_never_moves_the_clock_back);
    tcase_add_test(clock, clock_is_monotonic_under_arbitrary_records);
    tcase_add_test(clock, a_resume_continues_the_clock_and_adopts_the_new_host);
    tcase_add_test(clock, a_resume_on_a_tsc_far_behind_never_moves_the_clock_back);
    tcase_add_test(clock, deadlines_convert_to_xen_time_with_the_record_offset);
    tcase_add_test(clock, only_a_hlt_that_blocked_gives_a_sample);
    tcase_add_test(clock, an_early_fire_only_raises_the_sample);
    suite_add_tcase(s, clock);
    return s;
}

TEST_MAIN(xen_pvclock_suite)
