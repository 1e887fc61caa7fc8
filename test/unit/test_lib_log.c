/*
 * Unit tests for lib/log (record format, level filter, level names) and lib/errno's names.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "lib/log.h"
#include "test/unit/sim/sim.h"
#include "xenolith/test_main.h"

START_TEST(record_format_and_timestamp)
{
    sim_reset(1234567891ull); /* 1.234567891 s: microseconds are truncated, not rounded */
    log_set_level(LOG_INFO);
    klog(LOG_INFO, "net", "lease %d.%d.%d.%d/%d", 10, 0, 0, 2, 24);
    ck_assert_str_eq(sim_console_output(), "[    1.234567] net: lease 10.0.0.2/24\n");
    sim_reset(0);
    log_info("boot", "zero");
    ck_assert_str_eq(sim_console_output(), "[    0.000000] boot: zero\n");
    sim_reset(123456ull * 1000000000ull + 5000);
    log_error("x", "wide");
    ck_assert_str_eq(sim_console_output(), "[123456.000005] x: wide\n");
}
END_TEST

START_TEST(one_newline_at_the_end)
{
    sim_reset(0);
    log_set_level(LOG_INFO);
    log_info("a", "with newline\n");
    log_info("b", "without");
    ck_assert_str_eq(sim_console_output(), "[    0.000000] a: with newline\n[    0.000000] b: without\n");
    sim_reset(0);
    klog(LOG_WARN, NULL, "no subsystem");
    ck_assert_str_eq(sim_console_output(), "[    0.000000] no subsystem\n");
}
END_TEST

START_TEST(level_filter)
{
    sim_reset(0);
    log_set_level(LOG_WARN);
    ck_assert_int_eq(log_get_level(), LOG_WARN);
    log_debug("t", "debug");
    log_info("t", "info");
    ck_assert_str_eq(sim_console_output(), "");
    log_warn("t", "warn");
    log_error("t", "error");
    ck_assert_str_eq(sim_console_output(), "[    0.000000] t: warn\n[    0.000000] t: error\n");
    sim_reset(0);
    log_set_level(LOG_DEBUG);
    log_debug("t", "now %s", "shown");
    ck_assert_str_eq(sim_console_output(), "[    0.000000] t: now shown\n");
    sim_reset(0);
    log_set_level(LOG_ERROR);
    log_warn("t", "hidden");
    ck_assert_str_eq(sim_console_output(), "");
}
END_TEST

/* A record longer than the buffer is cut visibly and still ends the line. */
START_TEST(long_record_is_cut_visibly)
{
    sim_reset(0);
    log_set_level(LOG_INFO);
    char big[1000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log_info("big", "%s", big);
    const char *out = sim_console_output();
    size_t len = strlen(out);
    ck_assert_uint_le(len, 512);
    ck_assert_uint_gt(len, 400);
    ck_assert_str_eq(out + len - 4, "...\n");
    ck_assert_ptr_eq(strchr(out, '\n'), out + len - 1);
}
END_TEST

START_TEST(level_names)
{
    ck_assert_int_eq(log_level_parse("error"), LOG_ERROR);
    ck_assert_int_eq(log_level_parse("warn"), LOG_WARN);
    ck_assert_int_eq(log_level_parse("info"), LOG_INFO);
    ck_assert_int_eq(log_level_parse("debug"), LOG_DEBUG);
    ck_assert_int_eq(log_level_parse("DEBUG"), -1);
    ck_assert_int_eq(log_level_parse("warning"), -1);
    ck_assert_int_eq(log_level_parse(""), -1);
    ck_assert_int_eq(log_level_parse("info "), -1);
    ck_assert_int_eq(log_level_parse(NULL), -1);
}
END_TEST

START_TEST(error_names)
{
    ck_assert_str_eq(error_name(-ETIMEDOUT), "ETIMEDOUT");
    ck_assert_str_eq(error_name(ETIMEDOUT), "ETIMEDOUT");
    ck_assert_str_eq(error_name(-ENOMEM), "ENOMEM");
    ck_assert_str_eq(error_name(EPERM), "EPERM");
    ck_assert_str_eq(error_name(-EINPROGRESS), "EINPROGRESS");
    ck_assert_str_eq(error_name(0), "OK");
    ck_assert_str_eq(error_name(3), "unknown error");     /* a gap in the table */
    ck_assert_str_eq(error_name(-1000), "unknown error");
    ck_assert_str_eq(error_name(256 + EPERM), "unknown error");  /* codes are kept as bytes */
    ck_assert_str_eq(error_name(-EALREADY), "EALREADY");        /* the packed list's last two */
    ck_assert_str_eq(error_name(-ENAMETOOLONG), "ENAMETOOLONG");
    ck_assert_str_eq(error_name(-2147483647 - 1), "unknown error");
}
END_TEST

static Suite *log_suite(void)
{
    Suite *s = suite_create("lib_log");
    TCase *tc = tcase_create("log");
    tcase_add_test(tc, record_format_and_timestamp);
    tcase_add_test(tc, one_newline_at_the_end);
    tcase_add_test(tc, level_filter);
    tcase_add_test(tc, long_record_is_cut_visibly);
    tcase_add_test(tc, level_names);
    tcase_add_test(tc, error_names);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(log_suite)
