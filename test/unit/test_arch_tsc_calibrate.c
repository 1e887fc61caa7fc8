/*
 * Unit tests for arch/x86_64/tsc_calibrate: TSC samples against PIT channel 0 (1,193,182 Hz,
 * a 16-bit count), made up as a loaded host disturbs them: a stop
 * inside an end's bracket (that end uncertain), a stop that hides whole turns of the PIT's
 * count (a rate several times too high that looks clean unless the turns are counted back from
 * where the guest ran), reads out of order, rates no clock has. The calibration must keep the
 * least disturbed usable sample and never a hidden turn.
 */
#include <check.h>
#include <stdlib.h>

#include "arch/x86_64/tsc_calibrate.h"
#include "xenolith/test_main.h"

#define PIT_HZ 1193182ull
#define TSC_HZ 2000000000ull      /* the made-up host TSC: 2 GHz, 2000 ticks a microsecond */
#define US 2000ull         /* TSC ticks in a microsecond */

static const struct tsc_reference pit = { .hz = PIT_HZ, .period = 65536 };

/* A run of `ref_ticks` PIT ticks on a TSC at TSC_HZ, reads bracketed by `bracket` ticks, the
 * first end made `late_first` and the last `late_last` ticks wider (a stop inside it), and
 * `stopped` TSC ticks of it spent stopped between reads; the rest is where the guest ran, as
 * pvh_qemu.c records it. ref_ticks is what really passed: a caller whose stop hides turns sets
 * the sample's ref_ticks to what the count shows. */
static struct tsc_sample pit_sample(uint64_t ref_ticks, uint64_t bracket, uint64_t late_first,
                                    uint64_t late_last, uint64_t stopped)
{
    uint64_t t0 = 1000000, span = ref_ticks * TSC_HZ / PIT_HZ;
    struct tsc_sample s = {
        .first_before = t0,
        .first_after = t0 + bracket + late_first,
        .ref_ticks = ref_ticks,
        .run_tsc = span - stopped,
        .run_ticks = (span - stopped) * PIT_HZ / TSC_HZ,
    };
    /* The reads happen mid-bracket; the last read is `span` after the first. */
    uint64_t first_read = t0 + (bracket + late_first) / 2;
    s.last_before = first_read + span - (bracket + late_last) / 2;
    s.last_after = s.last_before + bracket + late_last;
    return s;
}

/* The same run as if the guest had run for only `running_ms` of it. */
static struct tsc_sample with_running(struct tsc_sample s, uint64_t running_ms)
{
    s.run_ticks = running_ms * PIT_HZ / 1000;
    s.run_tsc = running_ms * TSC_HZ / 1000;
    return s;
}

/* A 10 ms run with a 60 ms stop that hid one turn of the count: the count shows 11931 ticks,
 * 11931 + 65536 passed; the guest ran for the other 10 ms, as recorded. */
static struct tsc_sample one_hidden_turn(void)
{
    struct tsc_sample s = pit_sample(11931 + 65536, 1 * US, 0, 0, 60000 * US);
    s.ref_ticks = 11931;
    return s;
}

static uint64_t within(uint64_t hz, uint64_t want, uint64_t ppm)
{
    uint64_t diff = hz > want ? hz - want : want - hz;
    return diff * 1000000 <= want * ppm;
}

START_TEST(clean_run_is_good_and_exact)
{
    struct tsc_sample s = pit_sample(11931, 1 * US, 0, 0, 0);   /* 10 ms, 1 us reads */
    uint64_t hz;
    ck_assert_int_eq(tsc_sample_judge(&s, &pit, &hz), TSC_SAMPLE_GOOD);
    ck_assert(within(hz, TSC_HZ, 10));
}
END_TEST

START_TEST(late_end_is_disturbed_not_good)
{
    /* The host stopped the guest for 300 us between the last PIT read and the TSC read after
     * it: taken at face value (TSC after the read) the rate would be 3 % high. */
    struct tsc_sample s = pit_sample(11931, 1 * US, 0, 300 * US, 0);
    uint64_t hz;
    ck_assert_int_eq(tsc_sample_judge(&s, &pit, &hz), TSC_SAMPLE_DISTURBED);
    ck_assert(within(hz, TSC_HZ, 16000));
    /* A 3 ms stop there leaves the rate anywhere within 15 %: no use. */
    s = pit_sample(11931, 1 * US, 0, 3000 * US, 0);
    ck_assert_int_eq(tsc_sample_judge(&s, &pit, &hz), TSC_SAMPLE_UNUSABLE);
    ck_assert_uint_eq(hz, 0);
}
END_TEST

START_TEST(stop_hiding_a_wrap_is_unusable)
{
    /* A 60 ms stop between two reads of a 10 ms run: the 16-bit count turned once unseen, so
     * the run shows 10 ms of PIT ticks against 70 ms of TSC, a rate 7 times too high that no
     * bracket reveals. Without a record of where the guest ran, the turn cannot be counted. */
    struct tsc_sample s = one_hidden_turn();
    s.run_tsc = s.run_ticks = 0;
    uint64_t hz;
    ck_assert_int_eq(tsc_sample_judge(&s, &pit, &hz), TSC_SAMPLE_UNUSABLE);
    ck_assert_uint_eq(hz, 0);
}
END_TEST

START_TEST(hidden_turn_is_counted_back)
{
    /* The 60 ms stop again, the guest running for the other 10 ms: at that rate the run took
     * 11931 + 65536 ticks, one whole turn more than the count shows. */
    struct tsc_sample s = one_hidden_turn();
    uint64_t hz;
    ck_assert_int_eq(tsc_sample_judge(&s, &pit, &hz), TSC_SAMPLE_GOOD);
    ck_assert(within(hz, TSC_HZ, 10));
    /* Two stops of 60 ms, each hiding a turn, 3 ms of running: neither stop alone is half the
     * run, yet two turns are hidden; both are counted back. */
    struct tsc_sample two = with_running(pit_sample(11931 + 2 * 65536, 1 * US, 0, 0, 0), 3);
    two.ref_ticks = 11931;
    ck_assert_int_eq(tsc_sample_judge(&two, &pit, &hz), TSC_SAMPLE_GOOD);
    ck_assert(within(hz, TSC_HZ, 10));
    /* A long stop that hid nothing: the running rate agrees with the count as it is. */
    struct tsc_sample none = pit_sample(59659, 1 * US, 0, 0, 30000 * US);
    ck_assert_int_eq(tsc_sample_judge(&none, &pit, &hz), TSC_SAMPLE_GOOD);
    ck_assert(within(hz, TSC_HZ, 10));
}
END_TEST

START_TEST(too_little_running_or_spoiled_running_rate_is_unusable)
{
    uint64_t hz;
    /* 0.1 ms of running (119 ticks) cannot say how many turns a 60 ms stop hid. */
    struct tsc_sample s = one_hidden_turn();
    struct tsc_sample little = s;
    little.run_ticks = 119;
    little.run_tsc = 100 * US;
    ck_assert_int_eq(tsc_sample_judge(&little, &pit, &hz), TSC_SAMPLE_UNUSABLE);
    /* A 55 ms stop that hid a turn and ended 10 ticks on, taken for running: the running rate
     * (2 ms of ticks over 57 ms of TSC) is far off, and the whole run disagrees with it. */
    struct tsc_sample spoiled = with_running(s, 2);
    spoiled.run_ticks += 10;
    spoiled.run_tsc += 55000 * US;
    ck_assert_int_eq(tsc_sample_judge(&spoiled, &pit, &hz), TSC_SAMPLE_UNUSABLE);
}
END_TEST

START_TEST(long_stop_shorter_than_a_turn_is_kept)
{
    /* A 20 ms stop in a 50 ms run cannot have hidden a 55 ms turn: had it, the run would have
     * lasted 105 ms, more than half of it stopped. The run is sound even with no record of
     * where the guest ran. A 30 ms stop in the same run could have: without that record, it is
     * refused. */
    struct tsc_sample s = pit_sample(59659, 1 * US, 0, 0, 20000 * US);
    s.run_tsc = 30000 * US;
    s.run_ticks = 0;
    uint64_t hz;
    ck_assert_int_eq(tsc_sample_judge(&s, &pit, &hz), TSC_SAMPLE_GOOD);
    ck_assert(within(hz, TSC_HZ, 10));
    s.run_tsc = 20000 * US;
    ck_assert_int_eq(tsc_sample_judge(&s, &pit, &hz), TSC_SAMPLE_UNUSABLE);
}
END_TEST

START_TEST(implausible_rates_are_unusable)
{
    uint64_t hz;
    /* A count that jumped back a tick reads as a whole turn forward: 65535 ticks in 2 us. */
    struct tsc_sample jumped = pit_sample(1, 1 * US, 0, 0, 0);
    jumped.ref_ticks = 65535;
    ck_assert_int_eq(tsc_sample_judge(&jumped, &pit, &hz), TSC_SAMPLE_UNUSABLE);
    /* Reads out of order (a TSC that went back). */
    struct tsc_sample backwards = pit_sample(11931, 1 * US, 0, 0, 0);
    backwards.last_before = backwards.first_before - 1;
    ck_assert_int_eq(tsc_sample_judge(&backwards, &pit, &hz), TSC_SAMPLE_UNUSABLE);
    struct tsc_sample no_ticks = pit_sample(11931, 1 * US, 0, 0, 0);
    no_ticks.ref_ticks = 0;
    ck_assert_int_eq(tsc_sample_judge(&no_ticks, &pit, &hz), TSC_SAMPLE_UNUSABLE);
}
END_TEST

START_TEST(slow_emulated_clock_is_accepted)
{
    /* An emulator whose TSC counts 10 MHz (instructions) is slow, but a clock. */
    struct tsc_sample s = { .first_before = 100, .first_after = 101, .last_before = 100100,
                            .last_after = 100101, .ref_ticks = 11932, .run_tsc = 100001,
                            .run_ticks = 11932 };
    uint64_t hz;
    ck_assert_int_eq(tsc_sample_judge(&s, &pit, &hz), TSC_SAMPLE_GOOD);
    ck_assert(within(hz, 10000000, 100));
}
END_TEST

START_TEST(least_disturbed_is_kept)
{
    struct tsc_calibration cal = { 0 };
    struct tsc_sample bad = pit_sample(11931, 1 * US, 400 * US, 0, 0);     /* 4 % of 10 ms */
    struct tsc_sample worse = pit_sample(11931, 1 * US, 0, 600 * US, 0);   /* 6 % */
    struct tsc_sample fair = pit_sample(59659, 1 * US, 0, 200 * US, 0);  /* 50 ms, 0.4 % */
    struct tsc_sample wrapped = one_hidden_turn();
    wrapped.run_tsc = wrapped.run_ticks = 0;
    ck_assert_int_eq(tsc_calibration_add(&cal, &bad, &pit), TSC_SAMPLE_DISTURBED);
    ck_assert_int_eq(tsc_calibration_add(&cal, &worse, &pit), TSC_SAMPLE_DISTURBED);
    ck_assert_int_eq(tsc_calibration_add(&cal, &wrapped, &pit), TSC_SAMPLE_UNUSABLE);
    ck_assert_int_eq(tsc_calibration_add(&cal, &fair, &pit), TSC_SAMPLE_DISTURBED);
    ck_assert_int_eq(cal.best_verdict, TSC_SAMPLE_DISTURBED);
    ck_assert_uint_eq(cal.best.ref_ticks, 59659);   /* the 50 ms one */
    ck_assert(within(cal.best_hz, TSC_HZ, 2000));
    /* A later good sample replaces it; a disturbed one after it does not. */
    struct tsc_sample good = pit_sample(11931, 1 * US, 0, 0, 0);
    ck_assert_int_eq(tsc_calibration_add(&cal, &good, &pit), TSC_SAMPLE_GOOD);
    ck_assert_int_eq(tsc_calibration_add(&cal, &bad, &pit), TSC_SAMPLE_DISTURBED);
    ck_assert_int_eq(cal.best_verdict, TSC_SAMPLE_GOOD);
    ck_assert_uint_eq(cal.best.ref_ticks, 11931);
    ck_assert(within(cal.best_hz, TSC_HZ, 10));
}
END_TEST

START_TEST(nothing_usable_keeps_no_rate)
{
    struct tsc_calibration cal = { 0 };
    struct tsc_sample wrapped = one_hidden_turn();
    wrapped.run_tsc = wrapped.run_ticks = 0;
    ck_assert_int_eq(tsc_calibration_add(&cal, &wrapped, &pit), TSC_SAMPLE_UNUSABLE);
    ck_assert_uint_eq(cal.best_hz, 0);
    ck_assert_int_eq(cal.best_verdict, TSC_SAMPLE_UNUSABLE);
}
END_TEST

static Suite *tsc_calibrate_suite(void)
{
    Suite *s = suite_create("arch_tsc_calibrate");
    TCase *tc = tcase_create("judge");
    tcase_add_test(tc, clean_run_is_good_and_exact);
    tcase_add_test(tc, late_end_is_disturbed_not_good);
    tcase_add_test(tc, stop_hiding_a_wrap_is_unusable);
    tcase_add_test(tc, hidden_turn_is_counted_back);
    tcase_add_test(tc, too_little_running_or_spoiled_running_rate_is_unusable);
    tcase_add_test(tc, long_stop_shorter_than_a_turn_is_kept);
    tcase_add_test(tc, implausible_rates_are_unusable);
    tcase_add_test(tc, slow_emulated_clock_is_accepted);
    tcase_add_test(tc, least_disturbed_is_kept);
    tcase_add_test(tc, nothing_usable_keeps_no_rate);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tsc_calibrate_suite)
