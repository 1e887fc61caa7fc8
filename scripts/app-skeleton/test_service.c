/*
 * Unit tests of @NAME@'s protocol (service.h), with Check, on Xenolith's simulated platform
 * (test/unit/sim in the repository): its monotonic clock moves only when a test moves it, or
 * when every fiber is blocked and the event loop jumps straight to the next deadline, so
 * time-dependent rules are checked exactly and instantly.
 *
 * Run with:  make APP_DIR=<this directory> app-unit     (from the Xenolith repository)
 * Each test_*.c here is one test program, built with ASan and UBSan.
 */
#include <check.h>
#include <stdlib.h>

#include "service.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "xenolith/fiber.h"
#include "xenolith/time.h"
#include "xenolith/testing.h"
#include "xenolith/test_main.h"

static int parse(const char *words, struct service_config *cfg)
{
    static char buf[256];
    char *argv[8];
    int argc = 0;
    char err[128];
    kstrlcpy(buf, words, sizeof(buf));
    for (char *p = buf; *p && argc < 8;) {
        argv[argc++] = p;
        char *space = strchr(p, ' ');
        if (!space)
            break;
        *space = '\0';
        p = space + 1;
    }
    return service_parse_args(argc, argv, cfg, err, sizeof(err));
}

START_TEST(port_default_and_given)
{
    struct service_config cfg;
    ck_assert_int_eq(parse("", &cfg), 0);
    ck_assert_uint_eq(cfg.port, SERVICE_DEFAULT_PORT);
    ck_assert_int_eq(parse("port=8080", &cfg), 0);
    ck_assert_uint_eq(cfg.port, 8080);
    ck_assert_int_eq(parse("port=65535", &cfg), 0);
    ck_assert_uint_eq(cfg.port, 65535);
}
END_TEST

START_TEST(bad_words_are_refused)
{
    struct service_config cfg;
    const char *bad[] = { "port=0", "port=65536", "port=", "port=80x", "port=-1", "prot=80",
                          "80", "port=8080 verbose" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(parse(bad[i], &cfg) == -EINVAL, "accepted \"%s\"", bad[i]);
}
END_TEST

START_TEST(lines_are_framed)
{
    size_t used = 0;
    ck_assert_int_eq(service_next_line("abc", 3, &used), -EAGAIN);
    ck_assert_int_eq(service_next_line("abc\nrest", 8, &used), 3);
    ck_assert_uint_eq(used, 4);
    ck_assert_int_eq(service_next_line("abc\r\n", 5, &used), 3);
    ck_assert_uint_eq(used, 5);
    ck_assert_int_eq(service_next_line("\n", 1, &used), 0);
    ck_assert_uint_eq(used, 1);
}
END_TEST

START_TEST(an_endless_line_is_refused)
{
    static char buf[SERVICE_LINE_MAX + 2];
    size_t used;
    memset(buf, 'x', sizeof(buf));
    ck_assert_int_eq(service_next_line(buf, SERVICE_LINE_MAX, &used), -EAGAIN);
    ck_assert_int_eq(service_next_line(buf, SERVICE_LINE_MAX + 1, &used), -EMSGSIZE);
    buf[SERVICE_LINE_MAX] = '\n';
    ck_assert_int_eq(service_next_line(buf, SERVICE_LINE_MAX + 1, &used), SERVICE_LINE_MAX);
}
END_TEST

START_TEST(lines_are_answered)
{
    char out[SERVICE_ANSWER_MAX];
    size_t n = service_answer("hello", 5, out, sizeof(out));
    ck_assert_str_eq(out, "@NAME@: hello\n");
    ck_assert_uint_eq(n, strlen(out));
}
END_TEST

/* The simulated clock: "time" answers the uptime, whatever the real time. */
START_TEST(time_follows_the_clock)
{
    char out[SERVICE_ANSWER_MAX];
    sim_reset(0);
    sim_advance_to(42 * NS_PER_S + 999 * NS_PER_MS);
    service_answer("time", 4, out, sizeof(out));
    ck_assert_str_eq(out, "up 42 s\n");
}
END_TEST

/* Fibers on the simulated platform: a fiber sleeping 90 s wakes at exactly 90 s of simulated
 * time, in no real time. The same set-up runs any fiber code of an application. */
static char fiber_answer[SERVICE_ANSWER_MAX];
static int sleeper(void *arg)
{
    fiber_sleep_ns(90 * NS_PER_S);
    service_answer("time", 4, fiber_answer, sizeof(fiber_answer));
    return 0;
}

START_TEST(a_fiber_sleeps_on_the_simulated_clock)
{
    sim_start_kernel(0);
    struct fiber *f = fiber_spawn("sleeper", sleeper, NULL, 0);
    ck_assert_ptr_nonnull(f);
    fiber_detach(f);
    sim_run_until(89 * NS_PER_S);
    ck_assert_str_eq(fiber_answer, "");
    sim_run_until(91 * NS_PER_S);
    ck_assert_str_eq(fiber_answer, "up 90 s\n");
}
END_TEST

static Suite *service_suite(void)
{
    Suite *s = suite_create("@NAME@_service");
    TCase *tc = tcase_create("service");
    tcase_add_test(tc, port_default_and_given);
    tcase_add_test(tc, bad_words_are_refused);
    tcase_add_test(tc, lines_are_framed);
    tcase_add_test(tc, an_endless_line_is_refused);
    tcase_add_test(tc, lines_are_answered);
    tcase_add_test(tc, time_follows_the_clock);
    tcase_add_test(tc, a_fiber_sleeps_on_the_simulated_clock);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(service_suite)
