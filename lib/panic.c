/*
 * lib/panic: the crash path (see lib/panic.h). Everything here must work with the rest of the
 * machine in any state, so it uses only the console, platform_backtrace and platform_shutdown.
 * A panic raised while reporting a panic (a fault in the backtrace, an assertion in the
 * console driver) stops at once instead of recursing until the stack is gone.
 */
#include <stdbool.h>
#include "lib/panic.h"
#include "platform/platform.h"

static volatile int panic_depth;

__attribute__((noreturn)) static void crash_now(void)
{
    platform_backtrace();
    platform_shutdown(SHUTDOWN_CRASH);
}

/* Returns false when a panic is already being reported. */
static bool enter_panic(void)
{
    if (panic_depth++ == 0)
        return true;
    static const char msg[] = "\npanic: a second panic while reporting the first; stopping\n";
    platform_console_write(msg, sizeof(msg) - 1);
    platform_shutdown(SHUTDOWN_CRASH);
}

void panic(const char *fmt, ...)
{
    if (enter_panic()) {
        va_list ap;
        va_start(ap, fmt);
        char msg[256];
        kvsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        kprintf("\npanic: %s\n", msg);
    }
    crash_now();
}

void assert_failed(const char *expr, const char *file, int line, const char *func)
{
    if (enter_panic())
        kprintf("\npanic: assertion failed: %s (%s:%d, in %s)\n", expr, file, line, func);
    crash_now();
}
