/*
 * Unit tests for lib/panic: panic and failed assertions print their report, then a backtrace,
 * then end the machine as a crash (the simulated platform exits with SIM_EXIT_CRASH); a panic
 * raised while a panic is being reported stops at once.
 */
#define _GNU_SOURCE
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/panic.h"
#include "test/unit/sim/sim.h"
#include "xenolith/test_main.h"

START_TEST(panic_exits_as_crash)
{
    panic("boom %d", 42);
}
END_TEST

START_TEST(kassert_failure_exits_as_crash)
{
    int x = 1;
    kassert(x == 2);
}
END_TEST

START_TEST(kassert_success_continues)
{
    int x = 2;
    kassert(x == 2);
    ck_assert_int_eq(x, 2);
}
END_TEST

/* Runs fn in a child whose console echo (stderr) goes into a pipe; returns what it printed
 * and its exit status. */
static char *run_and_capture(void (*fn)(void), int *status)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        sim_reset(0);
        sim_console_echo(true);
        fn();
        _exit(0);
    }
    close(fds[1]);
    static char out[1 << 16];
    size_t used = 0;
    ssize_t n;
    while ((n = read(fds[0], out + used, sizeof(out) - 1 - used)) > 0)
        used += (size_t)n;
    out[used] = '\0';
    close(fds[0]);
    ck_assert_int_eq(waitpid(pid, status, 0), pid);
    return out;
}

static void do_panic(void)
{
    panic("disk %s lost after %d tries", "xvda", 3);
}

START_TEST(panic_report_then_backtrace)
{
    int status;
    char *out = run_and_capture(do_panic, &status);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), SIM_EXIT_CRASH);
    char *msg = strstr(out, "panic: disk xvda lost after 3 tries\n");
    ck_assert_msg(msg != NULL, "report missing from: %s", out);
    /* The backtrace follows the message (it names this test's functions). */
    char *after = msg + strlen("panic: disk xvda lost after 3 tries\n");
    ck_assert_msg(strstr(after, "test_lib_panic") != NULL, "no backtrace after the report: %s", out);
}
END_TEST

static void do_assert(void)
{
    int answer = 41;
    kassert(answer == 42);
}

START_TEST(assert_report_names_expression_and_place)
{
    int status;
    char *out = run_and_capture(do_assert, &status);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), SIM_EXIT_CRASH);
    ck_assert_msg(strstr(out, "panic: assertion failed: answer == 42 (test/unit/test_lib_panic.c:") != NULL,
                  "unexpected report: %s", out);
    ck_assert_msg(strstr(out, "in do_assert)") != NULL, "function missing: %s", out);
}
END_TEST

static void panic_again(int sig)
{
    (void)sig;
    panic("second");
}

/* The first panic faults while formatting its message (a string in an unmapped page); the
 * fault handler panics again. The second must stop at once, not recurse. */
static void do_nested_panic(void)
{
    char *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        _exit(1);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = panic_again;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    panic("first %.8s", page);
}

START_TEST(nested_panic_stops)
{
    int status;
    char *out = run_and_capture(do_nested_panic, &status);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), SIM_EXIT_CRASH);
    ck_assert_msg(strstr(out, "a second panic while reporting the first") != NULL, "output: %s", out);
    ck_assert_msg(strstr(out, "panic: second") == NULL, "the second panic was reported: %s", out);
}
END_TEST

static Suite *panic_suite(void)
{
    Suite *s = suite_create("lib_panic");
    TCase *tc = tcase_create("panic");
    tcase_add_exit_test(tc, panic_exits_as_crash, SIM_EXIT_CRASH);
    tcase_add_exit_test(tc, kassert_failure_exits_as_crash, SIM_EXIT_CRASH);
    tcase_add_test(tc, kassert_success_continues);
    tcase_add_test(tc, panic_report_then_backtrace);
    tcase_add_test(tc, assert_report_names_expression_and_place);
    tcase_add_test(tc, nested_panic_stops);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(panic_suite)
