/*
 * test/xen/guest/main: the xentest image's app_main (see xentest.h). "-- wait" after the
 * suites keeps the domain up until the toolstack asks it to stop (xl shutdown / xl reboot),
 * with a shutdown hook that proves hooks run before the domain ends. "-- stall" is the
 * watchdog test's hook (xen-watchdog.sh): the guest idles for twice its watchdog= timeout, then
 * stops its event loop for good.
 */
#include "test/xen/guest/xentest.h"
#include "kernel/kernel.h"
#include "kernel/options.h"
#include "lib/string.h"
#include "platform/platform.h"
#include "sched/sched.h"
#include "xen/xen.h"

#include <stdarg.h>

static unsigned passed, failed;

bool xt_check(bool ok, const char *name, const char *fmt, ...)
{
    char detail[200];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    kprintf("xentest: %s %s: %s\n", ok ? "ok  " : "FAIL", name, detail);
    if (ok)
        passed++;
    else
        failed++;
    return ok;
}

static void shutdown_hook_run(void *arg)
{
    kprintf("xentest: shutdown hook ran\n");
}

/* Idle first (the loop must keep petting Xen's watchdog while nothing happens), then spin with
 * interrupts off and never yield: the loop stops coming round and Xen's watchdog must end the
 * domain. */
static void stall(void)
{
    uint32_t seconds = kernel_options()->watchdog_s;
    if (!xt_check(seconds != 0, "stall", "needs watchdog=SECONDS"))
        return;
    kprintf("xentest: idling %u s with the watchdog armed\n", 2 * seconds);
    fiber_sleep_ns(2ull * seconds * 1000000000ull);
    kprintf("xentest: stalling the loop\n");
    for (;;)
        __asm__ volatile("cli; pause" ::: "memory");
}

static struct shutdown_hook hook = { .run = shutdown_hook_run };

int app_main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*run)(void);
    } suites[] = {
        { "time", suite_time },       { "xenstore", suite_xenstore },
        { "grants", suite_grants },   { "xenbus", suite_xenbus },
        { "console", suite_console }, { "soak", suite_soak },
    };
    const struct xen_identity *id = xen_identity();
    if (!id) {
        kprintf("xentest: not running on Xen; nothing to test\n");
        return 1;
    }
    kprintf("xentest: Xen %u.%u%s, command line \"%s\"\n", id->major, id->minor, id->extra,
            platform_cmdline());
    bool wait = false;
    for (int i = 0; i < argc; i++) {
        bool known = strcmp(argv[i], "wait") == 0;
        wait |= known;
        if (strcmp(argv[i], "stall") == 0) {
            known = true;
            stall();
        }
        for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
            if (strcmp(argv[i], suites[s].name) == 0 || strcmp(argv[i], "all") == 0) {
                kprintf("xentest: suite %s\n", suites[s].name);
                suites[s].run();
                known = true;
            }
        }
        if (!known)
            xt_check(false, "arguments", "unknown suite \"%s\"", argv[i]);
    }
    kprintf("xentest: %u passed, %u failed\n", passed, failed);
    if (wait) {
        lifecycle_on_shutdown(&hook);
        kprintf("xentest: waiting for the toolstack\n");
        lifecycle_wait_shutdown(DEADLINE_NONE);
        kprintf("xentest: shutdown requested; main returns\n");
    }
    return failed == 0 ? 0 : 1;
}
