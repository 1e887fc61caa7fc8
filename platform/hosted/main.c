/*
 * platform/hosted/main: the process entry and the simple half of the platform seam for hosted
 * Xenolith: command line from argv, the memory arena, clocks, console on stdout, entropy,
 * guard pages and the process exit. Events live in events.c, signals in signals.c, crash
 * reports in crash.c. Exit statuses and limits are in hosted.h.
 */
#define _GNU_SOURCE
#include "platform/hosted/hosted.h"
#include "platform/hosted/internal.h"
#include "kernel/kernel.h"
#include "kernel/options.h"
#include "lib/printf.h"
#include "platform/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define HOST_PAGE 4096u
/* The arena starts on a boundary of the page allocator's largest block (2^10 pages), so the
 * buddy allocator can use all of it. */
#define ARENA_ALIGN (4u * 1024 * 1024)

static char cmdline[OPTIONS_CMDLINE_MAX];
static struct mem_region arena;
static uint64_t monotonic_origin_ns;

/* ---- Console ---- */

void platform_console_write(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            /* Someone made stdout non-blocking (a shared terminal): wait until it drains. */
            struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
            if (poll(&p, 1, -1) >= 0 || errno == EINTR)
                continue;
        }
        return; /* closed or broken stdout: console output is best effort */
    }
}

static void vprint_to_fd(int fd, const char *prefix, const char *fmt, va_list ap)
{
    char line[512];
    size_t used = 0;
    if (prefix) {
        used = strlen(prefix);
        memcpy(line, prefix, used);
    }
    int n = kvsnprintf(line + used, sizeof(line) - used, fmt, ap);
    if (n < 0)
        return;
    used += (size_t)n < sizeof(line) - used ? (size_t)n : sizeof(line) - used - 1;
    if (fd == STDOUT_FILENO) {
        platform_console_write(line, used);
        return;
    }
    for (size_t done = 0; done < used;) {
        ssize_t w = write(fd, line + done, used - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        done += (size_t)w;
    }
}

void hosted_console_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint_to_fd(STDOUT_FILENO, NULL, fmt, ap);
    va_end(ap);
}

void hosted_early_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint_to_fd(STDERR_FILENO, "xenolith: ", fmt, ap);
    va_end(ap);
}

/* ---- Command line ---- */

const char *platform_cmdline(void)
{
    return cmdline;
}

/* argv[1..] joined by single spaces. Returns false if it does not fit (with the NUL). */
static bool join_arguments(int argc, char **argv, size_t *needed)
{
    size_t len = 0;
    for (int i = 1; i < argc; i++)
        len += strlen(argv[i]) + (i > 1 ? 1 : 0);
    *needed = len;
    if (len >= sizeof(cmdline))
        return false;
    char *out = cmdline;
    for (int i = 1; i < argc; i++) {
        if (i > 1)
            *out++ = ' ';
        size_t n = strlen(argv[i]);
        memcpy(out, argv[i], n);
        out += n;
    }
    *out = '\0';
    return true;
}

/* ---- Memory ---- */

/* XENOLITH_HOSTED_MEM_MB: decimal digits only, within the bounds of hosted.h. */
static bool arena_size_from_environment(size_t *bytes)
{
    const char *env = getenv("XENOLITH_HOSTED_MEM_MB");
    unsigned long mb = HOSTED_MEM_MB_DEFAULT;
    if (env) {
        mb = 0;
        if (*env == '\0')
            goto refuse;
        for (const char *p = env; *p; p++) {
            if (*p < '0' || *p > '9' || mb > HOSTED_MEM_MB_MAX)
                goto refuse;
            mb = mb * 10 + (unsigned long)(*p - '0');
        }
        if (mb < HOSTED_MEM_MB_MIN || mb > HOSTED_MEM_MB_MAX)
            goto refuse;
    }
    *bytes = (size_t)mb * 1024 * 1024;
    return true;
refuse:
    hosted_early_error("XENOLITH_HOSTED_MEM_MB='%s' is not a number of MiB between %u and %u\n",
                       env, HOSTED_MEM_MB_MIN, HOSTED_MEM_MB_MAX);
    return false;
}

/* Reserves the arena inaccessible, then opens the aligned middle: whatever stays reserved
 * around it (at least one page on each side) catches runs off either end. */
static bool arena_map(size_t bytes)
{
    size_t reserve = bytes + ARENA_ALIGN + 2 * HOST_PAGE;
    void *r = mmap(NULL, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED) {
        hosted_early_error("cannot reserve %zu MiB for the memory arena: %s\n",
                           bytes >> 20, strerror(errno));
        return false;
    }
    uintptr_t base = ((uintptr_t)r + HOST_PAGE + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1);
    if (mprotect((void *)base, bytes, PROT_READ | PROT_WRITE) != 0) {
        hosted_early_error("cannot open the memory arena: %s\n", strerror(errno));
        return false;
    }
    arena.base = base;
    arena.length = bytes;
    return true;
}

size_t platform_memory(const struct mem_region **regions)
{
    *regions = &arena;
    return 1;
}

int platform_guard_pages(void *addr, size_t len, bool guard)
{
    if (mprotect(addr, len, guard ? PROT_NONE : PROT_READ | PROT_WRITE) != 0)
        return -errno;
    return 0;
}

/* ---- Clocks ---- */

static uint64_t read_clock(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0 || ts.tv_sec < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t platform_monotonic_ns(void)
{
    return read_clock(CLOCK_MONOTONIC) - monotonic_origin_ns;
}

uint64_t platform_wallclock_ns(void)
{
    return read_clock(CLOCK_REALTIME);
}

/* ---- Entropy ---- */

static bool read_urandom(uint8_t *out, size_t len)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    while (len > 0) {
        ssize_t n = read(fd, out, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return false;
        }
        out += n;
        len -= (size_t)n;
    }
    close(fd);
    return true;
}

void platform_entropy(void *buf, size_t len)
{
    uint8_t *out = buf;
    while (len > 0) {
        ssize_t n = getrandom(out, len, 0);
        if (n > 0) {
            out += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == ENOSYS && read_urandom(out, len)) {
            return;
        } else {
            /* Keys must never come from a guess: refuse to run instead. */
            hosted_console_printf("xenolith: no entropy from getrandom or /dev/urandom: %s\n",
                                  strerror(errno));
            platform_shutdown(SHUTDOWN_FAILURE);
        }
    }
}

/* ---- Exit ---- */

void platform_shutdown(enum shutdown_reason reason)
{
    static const char *const names[] = {
        [SHUTDOWN_SUCCESS] = "success",
        [SHUTDOWN_FAILURE] = "failure",
        [SHUTDOWN_CRASH] = "crash",
        [SHUTDOWN_REBOOT] = "reboot",
    };
    static const int statuses[] = {
        [SHUTDOWN_SUCCESS] = HOSTED_EXIT_SUCCESS,
        [SHUTDOWN_FAILURE] = HOSTED_EXIT_FAILURE,
        [SHUTDOWN_CRASH] = HOSTED_EXIT_CRASH,
        [SHUTDOWN_REBOOT] = HOSTED_EXIT_REBOOT,
    };
    unsigned r = (unsigned)reason;
    if (r >= sizeof(names) / sizeof(names[0]))
        r = SHUTDOWN_CRASH;
    hosted_console_printf("xenolith: shutdown: %s\n", names[r]);
    /* Console output is unbuffered write(2), so there is nothing left to flush; _exit also
     * keeps host atexit handlers from running a second exit path. */
    _exit(statuses[r]);
}

/* ---- Entry ---- */

int main(int argc, char **argv)
{
    /* A peer closing a socket or pipe must be an EPIPE to handle, not the end of the process. */
    signal(SIGPIPE, SIG_IGN);
    monotonic_origin_ns = read_clock(CLOCK_MONOTONIC);

    size_t needed;
    if (!join_arguments(argc, argv, &needed)) {
        hosted_early_error("the command line is %zu bytes long; at most %u are accepted\n",
                           needed, OPTIONS_CMDLINE_MAX - 1);
        return HOSTED_EXIT_USAGE;
    }
    size_t arena_bytes;
    if (!arena_size_from_environment(&arena_bytes) || !arena_map(arena_bytes))
        return HOSTED_EXIT_USAGE;

    hosted_install_crash_handlers();
    kernel_start();
}
