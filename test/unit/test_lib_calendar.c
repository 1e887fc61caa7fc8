/*
 * Unit tests for lib/calendar: days since 1970-01-01 from a civil date and back, checked at
 * known dates (the epoch, leap days, century years that are and are not leap years, dates
 * before the epoch and before year 0) and as a round trip over every day of 1600..2500.
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lib/calendar.h"
#include "xenolith/test_main.h"

static void check_date(int64_t days, int64_t y, unsigned m, unsigned d)
{
    ck_assert_int_eq(days_from_civil(y, m, d), days);
    int64_t yy;
    unsigned mm, dd;
    civil_from_days(days, &yy, &mm, &dd);
    ck_assert_int_eq(yy, y);
    ck_assert_uint_eq(mm, m);
    ck_assert_uint_eq(dd, d);
}

START_TEST(known_dates)
{
    check_date(0, 1970, 1, 1);
    check_date(-1, 1969, 12, 31);
    check_date(59, 1970, 3, 1);               /* 1970 is no leap year */
    check_date(11016, 2000, 2, 29);           /* divisible by 400: a leap year */
    check_date(11017, 2000, 3, 1);
    check_date(-25508, 1900, 3, 1);           /* divisible by 100 only: no 29 February */
    check_date(-25509, 1900, 2, 28);
    check_date(9075, 1994, 11, 6);            /* RFC 9110's example date */
    check_date(19723, 2024, 1, 1);
    check_date(2932896, 9999, 12, 31);        /* the last day an HTTP-date can say */
    check_date(-719528, 0, 1, 1);             /* year 0 (1 BC), a leap year */
    check_date(-719469, 0, 2, 29);
    check_date(-719529, -1, 12, 31);
}
END_TEST

START_TEST(every_day_round_trips)
{
    /* Plain comparisons in the loop (a check assertion per day is too slow); one at the end. */
    int64_t first = days_from_civil(1600, 1, 1), last = days_from_civil(2500, 12, 31);
    int64_t y = 1600;
    unsigned m = 1, d = 1, mismatches = 0;
    for (int64_t days = first; days <= last; days++) {
        int64_t yy;
        unsigned mm, dd;
        civil_from_days(days, &yy, &mm, &dd);
        mismatches += yy != y || mm != m || dd != d || days_from_civil(y, m, d) != days;
        /* The next day by the calendar's rules, counted independently. */
        static const unsigned month_days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        unsigned len = month_days[m - 1] + (m == 2 && leap);
        if (++d > len) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    ck_assert_uint_eq(mismatches, 0);
    ck_assert_int_eq(y, 2501);  /* the walk covered every day up to 2500-12-31 */
}
END_TEST

static Suite *calendar_suite(void)
{
    Suite *s = suite_create("lib_calendar");
    TCase *tc = tcase_create("calendar");
    tcase_add_test(tc, known_dates);
    tcase_add_test(tc, every_day_round_trips);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(calendar_suite)
