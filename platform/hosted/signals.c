/*
 * platform/hosted/signals: SIGINT and SIGTERM as shutdown requests. The handler only writes the
 * signal number into a self-pipe; the pipe is watched like any other fd, so the request
 * reaches the kernel (lifecycle_request_shutdown) from the event loop, never from the
 * handler. A second SIGINT while the machine is already shutting down (an application that
 * does not return) ends the process at once with HOSTED_EXIT_INTERRUPTED.
 * SIGUSR1 prints the memory counters (heap and page allocator) without stopping anything, the
 * same way, so a test can read them while the appliance runs (`heap.bytes_in_use N ...`).
 * Also platform_late_init, which installs all of this once the scheduler is up.
 */
#define _GNU_SOURCE
#include "platform/hosted/hosted.h"
#include "platform/hosted/internal.h"
#include "kernel/kernel.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "mm/mm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int self_pipe[2] = { -1, -1 };
static volatile sig_atomic_t shutdown_in_progress;

void hosted_note_shutdown_in_progress(void)
{
    shutdown_in_progress = 1;
}

static void write_all_signal_safe(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

static void on_shutdown_signal(int sig)
{
    int saved_errno = errno;
    if (sig == SIGINT && shutdown_in_progress) {
        static const char msg[] = "\nxenolith: second SIGINT while shutting down: exiting now\n";
        write_all_signal_safe(STDOUT_FILENO, msg, sizeof(msg) - 1);
        _exit(HOSTED_EXIT_INTERRUPTED);
    }
    shutdown_in_progress = 1;
    unsigned char byte = (unsigned char)sig;
    /* The pipe is non-blocking: if it is full, a request is already waiting to be read. */
    if (write(self_pipe[1], &byte, 1) < 0) {
        /* nothing else is safe to do here */
    }
    errno = saved_errno;
}

static void on_report_signal(int sig)
{
    int saved_errno = errno;
    unsigned char byte = (unsigned char)sig;
    if (write(self_pipe[1], &byte, 1) < 0) {
        /* full: reports are already waiting; one more would say the same */
    }
    errno = saved_errno;
}

/* One line each, in the `prefix.name value name value` shape of the other counter prints. */
static void print_memory_counters(void)
{
    struct heap_stats h;
    struct page_stats p;
    heap_get_stats(&h);
    page_get_stats(&p);
    uint64_t objects = 0;
    for (unsigned i = 0; i < HEAP_CLASSES; i++)
        objects += h.class_in_use[i];
    kprintf("heap.bytes_in_use %llu objects %llu large_in_use %llu alloc_failures %llu "
            "cached_bytes %llu cached_objects %llu\n",
            (unsigned long long)h.bytes_in_use, (unsigned long long)objects,
            (unsigned long long)h.large_in_use, (unsigned long long)h.alloc_failures,
            (unsigned long long)h.cached_bytes, (unsigned long long)h.cached_objects);
    kprintf("pages.total %llu free %llu alloc_failures %llu\n", (unsigned long long)p.pages_total,
            (unsigned long long)p.pages_free, (unsigned long long)p.alloc_failures);
}

static void drain_self_pipe(void *ctx)
{
    unsigned char bytes[16];
    for (;;) {
        ssize_t n = read(self_pipe[0], bytes, sizeof(bytes));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        for (ssize_t i = 0; i < n; i++) {
            if (bytes[i] == SIGUSR1) {
                print_memory_counters();
                continue;
            }
            if (!lifecycle_shutdown_requested())
                log_info("hosted", "%s: shutting down", bytes[i] == SIGINT ? "SIGINT" : "SIGTERM");
            lifecycle_request_shutdown(SHUTDOWN_SUCCESS);
        }
    }
}

static int install_signal(int sig, void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    /* SA_ONSTACK: the crash stack (crash.c), so a signal landing on a fiber that is deep in
     * its stack does not push the signal frame into the fiber's guard page. */
    sa.sa_flags = SA_RESTART | SA_ONSTACK;
    return sigaction(sig, &sa, NULL) == 0 ? 0 : -errno;
}

int platform_late_init(void)
{
    hosted_mark_scheduler_ready();
    if (pipe2(self_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        int err = -errno;
        log_error("hosted", "cannot create the signal pipe: %s", strerror(errno));
        return err;
    }
    int rc = hosted_watch_fd(self_pipe[0], drain_self_pipe, NULL);
    if (rc < 0)
        return rc;
    if ((rc = install_signal(SIGINT, on_shutdown_signal)) < 0 ||
        (rc = install_signal(SIGTERM, on_shutdown_signal)) < 0 ||
        (rc = install_signal(SIGUSR1, on_report_signal)) < 0) {
        log_error("hosted", "cannot install the SIGINT/SIGTERM/SIGUSR1 handlers: %s", strerror(-rc));
        return rc;
    }
    return 0;
}
