/*
 * app/hello: the smallest appliance. Greets, shows its command line, arguments and memory,
 * proves the scheduler and timers work by sleeping 10 ms in a second fiber, and shuts down with
 * success. It uses only the public API (xenolith/) and lib/.
 */
#include "lib/printf.h"
#include "xenolith/app.h"
#include "xenolith/fiber.h"
#include "xenolith/mem.h"
#include "xenolith/time.h"

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

    struct page_stats pages;
    page_get_stats(&pages);
    kprintf("hello: %llu KiB of RAM for the allocator, %llu KiB free\n",
            (unsigned long long)(mem_ram_bytes() / 1024),
            (unsigned long long)(pages.pages_free * PAGE_SIZE / 1024));

    struct fiber *f = fiber_spawn("sleeper", sleeper, NULL, 0);
    if (!f) {
        kprintf("hello: cannot start the timer fiber\n");
        return 1;
    }
    int rc = fiber_join(f);
    kprintf("hello: %s\n", rc == 0 ? "done" : "timer fired early");
    return rc;
}
