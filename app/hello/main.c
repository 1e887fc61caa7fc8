/*
 * app/hello: the smallest appliance. Greets, shows its command line and memory, proves the
 * scheduler and timers work by sleeping 10 ms in a second fiber, and shuts down with success.
 */
#include "kernel/kernel.h"
#include "lib/printf.h"
#include "mm/mm.h"
#include "platform/platform.h"
#include "sched/sched.h"

#define SLEEP_NS (10ull * 1000 * 1000)

static int sleeper(void *arg)
{
    uint64_t start = platform_monotonic_ns();
    fiber_sleep_ns(SLEEP_NS);
    uint64_t slept = platform_monotonic_ns() - start;
    kprintf("hello: timer fiber slept %llu us\n", (unsigned long long)(slept / 1000));
    return slept >= SLEEP_NS ? 0 : 1;
}

int app_main(int argc, char **argv)
{
    kprintf("Hello from Xenolith\n");
    kprintf("hello: command line: \"%s\"\n", platform_cmdline());
    for (int i = 0; i < argc; i++)
        kprintf("hello: argument %d: %s\n", i, argv[i]);

    const struct mem_region *regions;
    size_t count = platform_memory(&regions);
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++) {
        kprintf("hello: memory %#018llx-%#018llx (%llu KiB)\n",
                (unsigned long long)regions[i].base,
                (unsigned long long)(regions[i].base + regions[i].length - 1),
                (unsigned long long)(regions[i].length / 1024));
        total += regions[i].length;
    }
    kprintf("hello: %llu KiB of RAM for the allocator\n", (unsigned long long)(total / 1024));

    struct fiber *f = fiber_spawn("sleeper", sleeper, NULL, 0);
    if (!f) {
        kprintf("hello: cannot start the timer fiber\n");
        return 1;
    }
    int rc = fiber_join(f);
    kprintf("hello: %s\n", rc == 0 ? "done" : "timer fired early");
    return rc;
}
