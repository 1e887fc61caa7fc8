/*
 * lib/printf: the formatted printer, the same on every platform (never the host libc's).
 * Conversions: %d %i %u %x %X %o %c %s %p %% with flags "-+ 0#", width and precision
 * (also '*'), length modifiers hh h l ll z t j. Extensions for the network stack:
 *   %pI4  an IPv4 address given as a pointer to 4 bytes in network order ("10.0.0.2")
 *   %pM   a MAC address given as a pointer to 6 bytes ("52:54:00:12:34:56")
 * Output is always NUL-terminated when size > 0; the return value is the length that the
 * whole output would have had, as C's snprintf.
 */
#ifndef XENOLITH_LIB_PRINTF_H
#define XENOLITH_LIB_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/* For a variadic printf-like function: gcc checks its format and arguments. In the kernel it is
 * also compiled without vector registers: no conversion takes floating point, so its prologue
 * need not spill the eight vector argument registers (about 60 bytes in each such function). */
#ifdef XENOLITH_KERNEL
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a), target("general-regs-only")))
#else
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#endif

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* To the console (platform_console_write). */
int kvprintf(const char *fmt, va_list ap);
int kprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* The general form: every produced chunk goes to sink(ctx, chunk, len). */
typedef void (*print_sink)(void *ctx, const char *chunk, size_t len);
int kvformat(print_sink sink, void *ctx, const char *fmt, va_list ap);

#endif
