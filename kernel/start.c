/*
 * kernel/start: the portable boot sequence shared by every platform, and the machine's
 * lifecycle (shutdown requests and their hooks, exit hooks, exit). See kernel/kernel.h.
 */
#include "kernel/kernel.h"
#include "kernel/options.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/random.h"
#include "mm/mm.h"
#include "sched/sched.h"

static struct kernel_options boot_options;
static bool options_ready;

static struct shutdown_hook *shutdown_hooks;
static bool shutdown_requested;
static enum shutdown_reason requested_reason;
static struct waitq shutdown_waiters = WAITQ_INIT;
/* The registered shutdown request hooks: a circular list through this sentinel, oldest first,
 * so a short-lived hook leaves it in O(1). */
static struct shutdown_request_hook request_hooks = {.prev = &request_hooks,
                                                     .next = &request_hooks};

/* A requested shutdown gives app_main this long to return on its own; the timer wakes the
 * loop when it runs out even if no fiber or event would. */
#define SHUTDOWN_GRACE_NS (5ull * 1000 * 1000 * 1000)
static struct timer shutdown_grace_timer;
static bool shutdown_grace_expired;
static void shutdown_grace_over(struct timer *t, void *arg);

static struct fiber *main_fiber;
static bool main_finished;
static int main_status;

const struct kernel_options *kernel_options(void)
{
    kassert(options_ready);
    return &boot_options;
}

void lifecycle_request_shutdown(enum shutdown_reason reason)
{
    if (shutdown_requested)
        return;
    shutdown_requested = true;
    requested_reason = reason;
    waitq_wake_all(&shutdown_waiters);
    /* Set up here rather than at boot, so a request works wherever the scheduler runs (the
     * unit tests' simulated machine has no kernel_start). */
    timer_init(&shutdown_grace_timer, shutdown_grace_over, NULL);
    timer_arm(&shutdown_grace_timer, platform_monotonic_ns() + SHUTDOWN_GRACE_NS);
    /* Each hook leaves the list before it runs, so a hook may unregister others (which then do
     * not run) or register new ones (which run at once: the request is made). */
    while (request_hooks.next != &request_hooks) {
        struct shutdown_request_hook *hook = request_hooks.next;
        lifecycle_off_shutdown_request(hook);
        hook->run(hook->arg);
    }
}

void lifecycle_on_shutdown_request(struct shutdown_request_hook *hook)
{
    if (shutdown_requested) {
        hook->prev = hook->next = NULL;
        hook->run(hook->arg);
        return;
    }
    hook->next = &request_hooks;
    hook->prev = request_hooks.prev;
    request_hooks.prev->next = hook;
    request_hooks.prev = hook;
}

void lifecycle_off_shutdown_request(struct shutdown_request_hook *hook)
{
    if (!hook->next)
        return;
    hook->prev->next = hook->next;
    hook->next->prev = hook->prev;
    hook->prev = hook->next = NULL;
}

bool lifecycle_shutdown_requested(void)
{
    return shutdown_requested;
}

int lifecycle_wait_shutdown(uint64_t deadline_ns)
{
    while (!shutdown_requested) {
        int rc = waitq_wait(&shutdown_waiters, deadline_ns);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void lifecycle_on_shutdown(struct shutdown_hook *hook)
{
    hook->next = shutdown_hooks;
    shutdown_hooks = hook;
}

void kernel_exit(enum shutdown_reason reason)
{
    struct shutdown_hook *hook = shutdown_hooks;
    shutdown_hooks = NULL; /* a hook that exits again must not rerun the list */
    for (; hook; hook = hook->next)
        hook->run(hook->arg);
    platform_shutdown(reason);
}

static int run_app_main(void *arg)
{
    const struct kernel_options *opts = arg;
    main_status = app_main(opts->app_argc, (char **)opts->app_argv);
    main_finished = true;
    return main_status;
}

static void shutdown_grace_over(struct timer *t, void *arg)
{
    shutdown_grace_expired = true;
}

static bool machine_done(void *arg)
{
    return main_finished || shutdown_grace_expired;
}

static void seed_random(void)
{
    uint8_t seed[32];
    platform_entropy(seed, sizeof(seed));
    random_seed(seed, sizeof(seed));
    for (size_t i = 0; i < sizeof(seed); i++)
        ((volatile uint8_t *)seed)[i] = 0;
}

/* Never inlined into the platform's boot: bench/pvh-boot.sh counts instructions up to its
 * first one (where the platform's set-up ends and the portable boot begins). */
__attribute__((noinline)) void kernel_start(void)
{
    char err[160];
    enum options_platform which =
#ifdef XENOLITH_HOSTED
        OPTIONS_PLATFORM_HOSTED;
#else
        OPTIONS_PLATFORM_KERNEL;
#endif
    if (options_parse(platform_cmdline(), which, &boot_options, err, sizeof(err)) < 0) {
        log_error("boot", "command line refused: %s", err);
        platform_shutdown(SHUTDOWN_FAILURE);
    }
    options_ready = true;
    log_set_level((enum log_level)boot_options.log_level);

    const struct mem_region *regions;
    size_t region_count = platform_memory(&regions);
    page_allocator_init(regions, region_count);
    struct page_stats pages;
    page_get_stats(&pages);
    log_debug("boot", "%llu pages (%llu KiB) for the page allocator",
              (unsigned long long)pages.pages_total, (unsigned long long)pages.pages_total * 4);

    seed_random();
    sched_init();

    int rc = platform_late_init();
    if (rc < 0) {
        log_error("boot", "platform start-up failed: %s", error_name(rc));
        platform_shutdown(SHUTDOWN_FAILURE);
    }

    main_fiber = fiber_spawn("main", run_app_main, &boot_options, 0);
    if (!main_fiber)
        panic("no memory for the main fiber");
    sched_run(machine_done, NULL);

    /* sched_run returns only through machine_done: main returned, or a requested shutdown's
     * grace period ran out. */
    enum shutdown_reason reason;
    if (main_finished) {
        reason = main_status == 0 ? SHUTDOWN_SUCCESS : SHUTDOWN_FAILURE;
        /* main obeyed a request (xl reboot): end the way it was asked, not as "success". */
        if (main_status == 0 && shutdown_requested)
            reason = requested_reason;
    } else {
        log_warn("boot", "main did not return within the shutdown grace period");
        reason = requested_reason;
    }
    kernel_exit(reason);
}
