/*
 * test/hosted/watch: checks the hosted event loop from inside a running hosted program: the
 * fd-watch API of platform/hosted/hosted.h (argument checks, duplicates, the bounded table,
 * readiness waking a fiber, unwatching during dispatch, closed fds) and the timeout of
 * platform_wait_until (never early, no busy waiting). Prints "PASS <name>" or
 * "FAIL <name>: <why>" per check for test/hosted/run.sh; exits with failure if any failed.
 */
#define _GNU_SOURCE
#include "platform/hosted/hosted.h"
#include "kernel/kernel.h"
#include "lib/printf.h"
#include "platform/platform.h"
#include "sched/sched.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define MS (1000ull * 1000)

static int failures;

static void check(int ok, const char *name, const char *why)
{
    if (ok)
        kprintf("PASS %s\n", name);
    else {
        kprintf("FAIL %s: %s\n", name, why);
        failures++;
    }
}

static int make_pipe(int p[2])
{
    return pipe2(p, O_NONBLOCK | O_CLOEXEC);
}

static void never_called(void *ctx)
{
    (*(int *)ctx)++;
}

static void check_arguments(void)
{
    int p[2], calls = 0;
    if (make_pipe(p) != 0) {
        check(0, "watch-arguments", "pipe2 failed");
        return;
    }
    check(hosted_watch_fd(-1, never_called, &calls) == -EINVAL, "watch-refuses-negative-fd",
          "a negative fd was accepted");
    check(hosted_watch_fd(p[0], NULL, NULL) == -EINVAL, "watch-refuses-null-callback",
          "a NULL callback was accepted");
    int first = hosted_watch_fd(p[0], never_called, &calls);
    int second = hosted_watch_fd(p[0], never_called, &calls);
    check(first == 0 && second == -EEXIST, "watch-refuses-duplicate",
          "watching the same fd twice was not refused with -EEXIST");
    hosted_unwatch_fd(p[0]);
    check(hosted_watch_fd(p[0], never_called, &calls) == 0, "watch-after-unwatch",
          "an unwatched fd could not be watched again");
    hosted_unwatch_fd(p[0]);
    hosted_unwatch_fd(p[0]); /* unwatching what is not watched does nothing */
    close(p[0]);
    close(p[1]);
}

static void check_table_bound(void)
{
    int pipes[HOSTED_WATCH_MAX + 1][2];
    int opened = 0, watched = 0, calls = 0, rc = 0;
    while (opened <= HOSTED_WATCH_MAX && make_pipe(pipes[opened]) == 0) {
        rc = hosted_watch_fd(pipes[opened][0], never_called, &calls);
        opened++;
        if (rc < 0)
            break;
        watched++;
    }
    check(rc == -ENOSPC && watched >= 1 && watched < HOSTED_WATCH_MAX, "watch-table-full",
          "the table did not refuse with -ENOSPC below HOSTED_WATCH_MAX + the signal pipe");
    hosted_unwatch_fd(pipes[0][0]);
    check(hosted_watch_fd(pipes[opened - 1][0], never_called, &calls) == 0,
          "watch-slot-reused", "a freed slot was not reused");
    for (int i = 0; i < opened; i++) {
        hosted_unwatch_fd(pipes[i][0]);
        close(pipes[i][0]);
        close(pipes[i][1]);
    }
}

struct reader {
    int fd;
    int calls;
    int bytes;
    struct waitq wq;
};

static void drain_and_wake(void *ctx)
{
    struct reader *r = ctx;
    char buf[64];
    ssize_t n;
    r->calls++;
    while ((n = read(r->fd, buf, sizeof(buf))) > 0)
        r->bytes += (int)n;
    waitq_wake_all(&r->wq);
}

static int delayed_writer(void *arg)
{
    int fd = *(int *)arg;
    fiber_sleep_ns(5 * MS);
    return write(fd, "x", 1) == 1 ? 0 : 1;
}

static void check_readiness_wakes_fiber(void)
{
    int p[2];
    if (make_pipe(p) != 0) {
        check(0, "readiness-wakes-fiber", "pipe2 failed");
        return;
    }
    struct reader r = { .fd = p[0] };
    waitq_init(&r.wq);
    hosted_watch_fd(p[0], drain_and_wake, &r);
    struct fiber *writer = fiber_spawn("writer", delayed_writer, &p[1], 0);
    uint64_t start = platform_monotonic_ns();
    int rc = waitq_wait(&r.wq, start + 2000 * MS);
    uint64_t waited = platform_monotonic_ns() - start;
    check(writer && rc == 0 && r.calls == 1 && r.bytes == 1 && waited >= 5 * MS,
          "readiness-wakes-fiber", "the readable pipe did not wake the waiting fiber once");
    if (writer)
        fiber_join(writer);
    rc = waitq_wait(&r.wq, platform_monotonic_ns() + 20 * MS);
    check(rc < 0 && r.calls == 1, "no-callback-without-data",
          "the callback ran although nothing was readable");
    hosted_unwatch_fd(p[0]);
    close(p[0]);
    close(p[1]);
}

struct rival {
    int fd;
    int other_fd;
    int *total;
};

static void unwatch_the_other(void *ctx)
{
    struct rival *r = ctx;
    char buf[8];
    while (read(r->fd, buf, sizeof(buf)) > 0) {
    }
    hosted_unwatch_fd(r->other_fd);
    (*r->total)++;
}

static void check_unwatch_during_dispatch(void)
{
    int a[2], b[2], total = 0;
    if (make_pipe(a) != 0 || make_pipe(b) != 0) {
        check(0, "unwatch-during-dispatch", "pipe2 failed");
        return;
    }
    struct rival ra = { a[0], b[0], &total }, rb = { b[0], a[0], &total };
    hosted_watch_fd(a[0], unwatch_the_other, &ra);
    hosted_watch_fd(b[0], unwatch_the_other, &rb);
    if (write(a[1], "a", 1) != 1 || write(b[1], "b", 1) != 1)
        check(0, "unwatch-during-dispatch", "write failed");
    fiber_sleep_ns(1 * MS);
    fiber_sleep_ns(1 * MS);
    check(total == 1, "unwatch-during-dispatch",
          "a callback unwatched during the same dispatch round was still called");
    hosted_unwatch_fd(a[0]);
    hosted_unwatch_fd(b[0]);
    close(a[0]); close(a[1]); close(b[0]); close(b[1]);
}

static void check_closed_fd_dropped(void)
{
    int p[2], calls = 0;
    if (make_pipe(p) != 0) {
        check(0, "closed-fd-dropped", "pipe2 failed");
        return;
    }
    hosted_watch_fd(p[0], never_called, &calls);
    close(p[0]);
    close(p[1]);
    fiber_sleep_ns(1 * MS);
    int rc = hosted_watch_fd(p[0], never_called, &calls); /* would be -EEXIST if still there */
    hosted_unwatch_fd(p[0]);
    check(calls == 0 && rc == 0, "closed-fd-dropped",
          "a watched fd that was closed stayed in the table or had its callback called");
}

static void check_wait_never_early(void)
{
    static const uint64_t delays[] = { 1000, 999 * 1000, 1500 * 1000, 20 * MS };
    int early = 0;
    for (unsigned i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
        uint64_t deadline = platform_monotonic_ns() + delays[i];
        platform_wait_until(deadline);
        if (platform_monotonic_ns() < deadline)
            early++;
    }
    check(early == 0, "wait-until-never-early", "platform_wait_until returned before its deadline");

    uint64_t start = platform_monotonic_ns();
    platform_wait_until(0);
    check(platform_monotonic_ns() - start < 50 * MS, "wait-until-zero-polls",
          "platform_wait_until(0) blocked");
}

static void check_sleep_blocks_once(void)
{
    struct sched_stats before, after;
    sched_get_stats(&before);
    uint64_t start = platform_monotonic_ns();
    fiber_sleep_ns(30 * MS);
    uint64_t slept = platform_monotonic_ns() - start;
    sched_get_stats(&after);
    uint64_t waits = after.idle_waits - before.idle_waits;
    check(slept >= 30 * MS && waits >= 1 && waits <= 3, "sleep-does-not-spin",
          "a 30 ms sleep woke the idle loop more than 3 times (or returned early)");
}

int app_main(int argc, char **argv)
{
    check_arguments();
    check_table_bound();
    check_readiness_wakes_fiber();
    check_unwatch_during_dispatch();
    check_closed_fd_dropped();
    check_wait_never_early();
    check_sleep_blocks_once();
    kprintf("watch: %d failed\n", failures);
    return failures ? 1 : 0;
}
