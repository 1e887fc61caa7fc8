/*
 * test/unit/expect_crash: runs a function in a forked child and reports how the child ended
 * and what it printed, so a test can check both that a kernel bug panics (exit status
 * SIM_EXIT_CRASH) and that the report names the problem. Check's own exit tests see only the
 * status. Used by the mm/ and sched/ unit tests.
 */
#ifndef XENOLITH_TEST_UNIT_EXPECT_CRASH_H
#define XENOLITH_TEST_UNIT_EXPECT_CRASH_H

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test/unit/sim/sim.h"

struct crash_report {
    int exit_status;     /* the child's exit code, or 128 + signal when a signal ended it */
    char output[8192];   /* console and stderr of the child, NUL-terminated */
};

/* Runs fn(arg) in a child; a child that returns from fn exits with status 0. */
static inline void run_expecting_crash(void (*fn)(void *arg), void *arg, struct crash_report *r)
{
    int fds[2];
    memset(r, 0, sizeof(*r));
    if (pipe(fds) != 0)
        abort();
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        sim_console_echo(true);
        fn(arg);
        _exit(0);
    }
    close(fds[1]);
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fds[0], r->output + len, sizeof(r->output) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len == sizeof(r->output) - 1) {
            char sink[256];
            while (read(fds[0], sink, sizeof(sink)) > 0)
                ;
            break;
        }
    }
    r->output[len] = '\0';
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    r->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#endif
