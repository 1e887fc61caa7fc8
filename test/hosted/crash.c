/*
 * test/hosted/crash: a hosted test program that crashes on purpose, one way per mode, for
 * test/hosted/run.sh to check the crash report and the exit status:
 *   -- overflow   a fiber named "deep-recursion" recurses until it hits its guard page
 *   -- null       a write into the unmapped null page (address 16: not NULL itself, which
 *                 UBSan would stop first in the sanitizer build) in the main fiber
 *   -- panic      panic() with a message
 *   -- arena-end  a write one byte past the end of the memory arena (its guard)
 * The functions are global so that the backtrace can name them (dladdr, -rdynamic).
 */
#include "kernel/kernel.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "platform/platform.h"
#include "sched/sched.h"

#include <string.h>

/* noinline, noclone: the backtrace must show these very functions, not a copy or the caller. */
#define NAMED_FRAME __attribute__((noinline, noclone))
NAMED_FRAME int crash_test_recurse(volatile char *previous, unsigned depth);
NAMED_FRAME void crash_test_write(volatile int *where);
NAMED_FRAME int crash_test_overflow_fiber(void *arg);

/* Each level keeps a buffer live across the call, so the compiler can neither drop the
 * frame nor turn the recursion into a loop. */
int crash_test_recurse(volatile char *previous, unsigned depth)
{
    volatile char frame[512];
    if (depth > 1000000) /* never reached by a 64 KiB stack; keeps the recursion finite */
        return 0;
    frame[0] = (char)depth;
    frame[sizeof(frame) - 1] = previous ? previous[0] : 0;
    return crash_test_recurse(frame, depth + 1) + frame[1];
}

int crash_test_overflow_fiber(void *arg)
{
    return crash_test_recurse(NULL, 0);
}

void crash_test_write(volatile int *where)
{
    *where = 42;
}

int app_main(int argc, char **argv)
{
    const char *mode = argc == 1 ? argv[0] : "";
    if (strcmp(mode, "overflow") == 0) {
        struct fiber *f = fiber_spawn("deep-recursion", crash_test_overflow_fiber, NULL, 0);
        if (!f)
            return 1;
        return fiber_join(f);
    }
    if (strcmp(mode, "null") == 0) {
        volatile int *volatile nowhere = (volatile int *)16;
        crash_test_write(nowhere);
        return 1;
    }
    if (strcmp(mode, "arena-end") == 0) {
        const struct mem_region *regions;
        size_t count = platform_memory(&regions);
        if (count == 0)
            return 1;
        volatile char *end = (volatile char *)(regions[count - 1].base + regions[count - 1].length);
        kprintf("crash: writing at %p, the end of the arena\n", (void *)end);
        crash_test_write((volatile int *)end);
        return 1;
    }
    if (strcmp(mode, "panic") == 0)
        panic("crash test panic %d", 42);
    kprintf("crash: usage: -- overflow|null|panic|arena-end\n");
    return 1;
}
