/*
 * test/unit/sim: the simulated platform (see sim.h). Single-threaded like the kernel.
 */
#define _GNU_SOURCE
#include "test/unit/sim/sim.h"
#include "kernel/kernel.h"
#include "mm/mm.h"
#include "sched/sched.h"

#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static uint64_t now_ns;
static uint64_t deadlocks;
static const char *cmdline = "";
static struct sim_event_source *sources;
static char console_buf[1 << 16];
static size_t console_len;
static bool echo = false;
static bool echo_checked;

void sim_reset(uint64_t start_ns)
{
    now_ns = start_ns;
    deadlocks = 0;
    sources = NULL;
    console_len = 0;
    console_buf[0] = '\0';
}

uint64_t sim_now(void)
{
    return now_ns;
}

void sim_advance_to(uint64_t ns)
{
    if (ns > now_ns)
        now_ns = ns;
}

void sim_set_cmdline(const char *line)
{
    cmdline = line;
}

const char *sim_console_output(void)
{
    return console_buf;
}

void sim_console_echo(bool on)
{
    echo = on;
    echo_checked = true;
}

void sim_add_event_source(struct sim_event_source *src)
{
    src->next = sources;
    sources = src;
}

void sim_remove_event_source(struct sim_event_source *src)
{
    for (struct sim_event_source **p = &sources; *p; p = &(*p)->next) {
        if (*p == src) {
            *p = src->next;
            return;
        }
    }
}

uint64_t sim_deadlocks(void)
{
    return deadlocks;
}

static bool run_deadline_reached;

static void run_deadline(struct timer *t, void *arg)
{
    run_deadline_reached = true;
}

static bool run_done(void *arg)
{
    return run_deadline_reached;
}

void sim_run_until(uint64_t when)
{
    struct timer deadline;
    timer_init(&deadline, run_deadline, NULL);
    run_deadline_reached = false;
    if (when < now_ns)
        when = now_ns;
    timer_arm(&deadline, when);
    sched_run(run_done, NULL);
    timer_cancel(&deadline);
    sim_advance_to(when);
}

void sim_run_for(uint64_t ns)
{
    sim_run_until(now_ns + ns);
}

void sim_start_kernel(uint64_t start_ns)
{
    /* Once per process: Check forks a process per test, so each test gets a fresh machine. */
    static bool kernel_started;
    sim_reset(start_ns);
    if (kernel_started)
        return;
    const struct mem_region *regions;
    size_t count = platform_memory(&regions);
    page_allocator_init(regions, count);
    sched_init();
    kernel_started = true;
}

const char *platform_cmdline(void)
{
    return cmdline;
}

size_t platform_memory(const struct mem_region **regions)
{
    static struct mem_region ram;
    if (!ram.base) {
        void *p = mmap(NULL, SIM_RAM_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            perror("sim: mmap");
            abort();
        }
        ram.base = (uintptr_t)p;
        ram.length = SIM_RAM_BYTES;
    }
    *regions = &ram;
    return 1;
}

uint64_t platform_monotonic_ns(void)
{
    return now_ns;
}

uint64_t platform_wallclock_ns(void)
{
    /* 2026-01-01T00:00:00Z plus the simulated time: deterministic and plausible. */
    return 1767225600ull * 1000000000ull + now_ns;
}

void platform_console_write(const char *buf, size_t len)
{
    if (!echo_checked) {
        const char *env = getenv("XENOLITH_SIM_ECHO");
        echo = env && strcmp(env, "1") == 0;
        echo_checked = true;
    }
    size_t room = sizeof(console_buf) - 1 - console_len;
    size_t n = len < room ? len : room;
    memcpy(console_buf + console_len, buf, n);
    console_len += n;
    console_buf[console_len] = '\0';
    if (echo && write(STDERR_FILENO, buf, len) < 0)
        return;
}

static bool dispatch_pending(void)
{
    bool any = false;
    for (struct sim_event_source *s = sources; s; s = s->next) {
        if (s->pending(s->ctx)) {
            s->dispatch(s->ctx);
            any = true;
        }
    }
    return any;
}

void platform_wait_until(uint64_t deadline_ns)
{
    if (dispatch_pending() || deadline_ns == 0)
        return;
    uint64_t wake = deadline_ns;
    for (struct sim_event_source *s = sources; s; s = s->next) {
        if (s->next_event_ns) {
            uint64_t t = s->next_event_ns(s->ctx);
            if (t < wake)
                wake = t;
        }
    }
    if (wake == UINT64_MAX) {
        deadlocks++;
        return;
    }
    sim_advance_to(wake);
    dispatch_pending();
}

void platform_entropy(void *buf, size_t len)
{
    /* Deterministic on purpose: a unit test that fails must fail the same way again. */
    uint8_t *out = buf;
    uint32_t x = 0x9e3779b9u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (uint8_t)x;
    }
}

int platform_guard_pages(void *addr, size_t len, bool guard)
{
    return mprotect(addr, len, guard ? PROT_NONE : PROT_READ | PROT_WRITE) == 0 ? 0 : -1;
}

void platform_shutdown(enum shutdown_reason reason)
{
    fflush(stdout);
#ifdef XENOLITH_FUZZ
    /* libFuzzer keeps the input that crashed only when the process dies of a signal. */
    if (reason == SHUTDOWN_CRASH)
        abort();
#endif
    _exit(SIM_EXIT_BASE + (int)reason);
}

void platform_backtrace(void)
{
    void *frames[32];
    int n = backtrace(frames, 32);
    backtrace_symbols_fd(frames, n, STDERR_FILENO);
}

int platform_late_init(void)
{
    return 0;
}
