/*
 * test/boot/main: the boottest image's app_main. Without arguments it runs every in-kernel
 * test, prints one line per test and a summary, and returns 0 only if all passed. After "--":
 *   panic     panics (the crash path: message, backtrace, crash status)
 *   overflow  overflows a fiber's stack (guard page -> "stack overflow in fiber" report)
 */
#include "kernel/kernel.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "sched/sched.h"
#include "test/boot/boottest.h"

static char failure_reason[256];

const char *boot_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(failure_reason, sizeof(failure_reason), fmt, ap);
    va_end(ap);
    return failure_reason;
}

__attribute__((noinline)) uintptr_t boot_opaque(uintptr_t value)
{
    __asm__("" : "+r"(value));
    return value;
}

/* Each frame holds a buffer the compiler must keep, so the recursion eats the stack. */
static __attribute__((noinline)) int recurse_deeply(volatile unsigned depth)
{
    volatile char frame[512];
    if (depth > (1u << 20)) /* far past any stack: the guard page stops it long before */
        return 0;
    frame[0] = (char)depth;
    frame[sizeof(frame) - 1] = (char)depth;
    return recurse_deeply(depth + 1) + frame[0] + frame[sizeof(frame) - 1];
}

static int overflow_fiber(void *arg)
{
    return recurse_deeply(0);
}

static int run_all(void)
{
    static const struct {
        const struct boot_test *tests;
        const size_t *count;
    } groups[] = {
        { boot_tests_traps, &boot_tests_traps_count },
        { boot_tests_memory, &boot_tests_memory_count },
        { boot_tests_sched, &boot_tests_sched_count },
    };
    unsigned passed = 0, failed = 0;
    for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
        for (size_t i = 0; i < *groups[g].count; i++) {
            const struct boot_test *t = &groups[g].tests[i];
            const char *why = t->run();
            if (why) {
                kprintf("boottest: FAIL %s: %s\n", t->name, why);
                failed++;
            } else {
                kprintf("boottest: ok   %s\n", t->name);
                passed++;
            }
        }
    }
    kprintf("boottest: %u passed, %u failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

int app_main(int argc, char **argv)
{
    if (argc == 0)
        return run_all();
    if (argc == 1 && strcmp(argv[0], "panic") == 0)
        panic("boottest: requested panic");
    if (argc == 1 && strcmp(argv[0], "overflow") == 0) {
        struct fiber *f = fiber_spawn("overflow", overflow_fiber, NULL, 0);
        if (!f)
            return 1;
        fiber_join(f);
        kprintf("boottest: the overflowing fiber returned\n");
        return 1;
    }
    kprintf("boottest: unknown arguments; use none, \"panic\" or \"overflow\"\n");
    return 1;
}
