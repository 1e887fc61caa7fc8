/*
 * lib/panic: the crash path for portable code. panic() prints the message, a backtrace
 * (platform_backtrace) and ends the machine with SHUTDOWN_CRASH. kassert() is always on:
 * an invariant that fails is a crash report, never silent corruption.
 */
#ifndef XENOLITH_LIB_PANIC_H
#define XENOLITH_LIB_PANIC_H

#include "lib/printf.h"

__attribute__((noreturn)) void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);
__attribute__((noreturn)) void assert_failed(const char *expr, const char *file, int line,
                                             const char *func);

#define kassert(cond) \
    do { if (__builtin_expect(!(cond), 0)) assert_failed(#cond, __FILE__, __LINE__, __func__); } while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
