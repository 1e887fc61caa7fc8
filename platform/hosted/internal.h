/*
 * platform/hosted/internal.h: what the files of the hosted platform share among themselves
 * (main.c, events.c, signals.c, backtrace.c). Not for other modules: they use hosted.h.
 */
#ifndef XENOLITH_ARCH_HOSTED_INTERNAL_H
#define XENOLITH_ARCH_HOSTED_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Formats into a fixed stack buffer and writes it with platform_console_write. Usable from a
 * signal handler: kvsnprintf and write(2) take no locks and allocate nothing. */
void hosted_console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes a message to stderr before the console exists or when the process is refused
 * (bad command line, bad environment). */
void hosted_early_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the frame-pointer chain that starts at frame pointer fp. ip, when not 0, is the
 * faulting instruction, printed first; sp, when not 0, is the stack pointer at the fault
 * (used to find the caller of a function that had not set up its frame). Signal-safe. */
void hosted_backtrace_from(uintptr_t ip, uintptr_t sp, uintptr_t fp);

/* Crash handlers (SIGSEGV, SIGBUS, SIGILL, SIGFPE) on their own stack; installed by main
 * before kernel_start so that a fault during boot is reported too. */
void hosted_install_crash_handlers(void);

/* Set once sched_init has run: fiber_by_guard_address may be asked from then on. */
void hosted_mark_scheduler_ready(void);

/* Shutdown was requested (by a signal or by the kernel): a second SIGINT now exits at once. */
void hosted_note_shutdown_in_progress(void);

#endif
