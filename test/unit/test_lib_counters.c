/*
 * Unit tests for lib/counters: a counter struct declared from an X-macro list prints one
 * "prefix[.instance].name value" line per field, in the list's order, with the full uint64_t
 * range; COUNTERS_ADD sums every field and nothing past the struct.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/counters.h"
#include "test/unit/sim/sim.h"
#include "xenolith/test_main.h"

#define DEMO_COUNTERS(X) X(first) X(second) X(third)

struct demo_stats {
#define DEMO_FIELD(name) uint64_t name;
    DEMO_COUNTERS(DEMO_FIELD)
#undef DEMO_FIELD
};

START_TEST(prints_every_counter_in_list_order)
{
    sim_reset(0);
    struct demo_stats st = { .first = 0, .second = 42, .third = UINT64_MAX };
    COUNTERS_PRINT("demo", NULL, DEMO_COUNTERS, st);
    ck_assert_str_eq(sim_console_output(),
                     "demo.first 0\ndemo.second 42\ndemo.third 18446744073709551615\n");
}
END_TEST

START_TEST(prints_the_instance_between_prefix_and_name)
{
    sim_reset(0);
    struct demo_stats st = { .first = 1, .second = 2, .third = 3 };
    COUNTERS_PRINT("dev", "vif0", DEMO_COUNTERS, st);
    ck_assert_str_eq(sim_console_output(),
                     "dev.vif0.first 1\ndev.vif0.second 2\ndev.vif0.third 3\n");
}
END_TEST

START_TEST(add_sums_each_field_and_stops_at_the_struct)
{
    struct {
        struct demo_stats sum;
        uint64_t after;
    } s = { .sum = { 1, 2, UINT64_MAX }, .after = 7 };
    const struct demo_stats add = { 10, 20, 1 };
    COUNTERS_ADD(s.sum, add);
    ck_assert_uint_eq(s.sum.first, 11);
    ck_assert_uint_eq(s.sum.second, 22);
    ck_assert_uint_eq(s.sum.third, 0); /* unsigned: wraps as the field would */
    ck_assert_uint_eq(s.after, 7);
}
END_TEST

static Suite *counters_suite(void)
{
    Suite *s = suite_create("lib_counters");
    TCase *tc = tcase_create("counters");
    tcase_add_test(tc, prints_every_counter_in_list_order);
    tcase_add_test(tc, prints_the_instance_between_prefix_and_name);
    tcase_add_test(tc, add_sums_each_field_and_stops_at_the_struct);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(counters_suite)
