/*
 * Unit tests for xen/pvclock_math.h, the scaling of Xen's vCPU time record (Xen public xen.h,
 * struct vcpu_time_info: system_time + (((tsc - tsc_timestamp) << tsc_shift) *
 * tsc_to_system_mul) >> 32, a negative shift shifting right).
 */
#include <check.h>

#include "xen/pvclock_math.h"

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

int main(void)
{
    Suite *s = suite_create("xen_pvclock");
    TCase *tc = tcase_create("math");
    tcase_add_test(tc, scale_matches_the_formula);
    tcase_add_test(tc, a_2_6_ghz_tsc_counts_seconds);
    tcase_add_test(tc, long_gaps_do_not_overflow);
    tcase_add_test(tc, tsc_behind_the_record_counts_as_no_time);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
