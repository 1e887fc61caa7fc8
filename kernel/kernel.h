/*
 * kernel/: the portable start of every image and its lifecycle. A platform does its own
 * early set-up (console, clock, memory map) and then calls kernel_start(), which parses the
 * command line, brings up mm/, seeds the random generator, starts the scheduler, runs the
 * application's app_main() in a fiber named "main" and shuts the machine down with its result.
 */
#ifndef XENOLITH_KERNEL_KERNEL_H
#define XENOLITH_KERNEL_KERNEL_H

#include <stdbool.h>
#include <stdint.h>
#include "platform/platform.h"

/* Provided by the application (app/<name>/main.c). argv holds the words after "--".
 * Returns 0 for success; anything else ends the machine with SHUTDOWN_FAILURE. */
int app_main(int argc, char **argv);

/* Called by the platform once its console, clock and memory map work. Never returns. */
__attribute__((noreturn)) void kernel_start(void);

/* Platform-specific set-up that needs the heap and scheduler (event channels, xenstore,
 * signal handling), called by kernel_start before app_main. Returns 0 or a negative errno. */
int platform_late_init(void);

/* ---- Lifecycle ---- */
/* Asks the machine to stop (Xen control/shutdown, SIGTERM hosted, the app itself). Wakes every
 * fiber in lifecycle_wait_shutdown; app_main should then return. Callable from handlers. */
void lifecycle_request_shutdown(enum shutdown_reason reason);
bool lifecycle_shutdown_requested(void);
/* Blocks the calling fiber until a shutdown is requested or deadline_ns (0 if requested). */
int lifecycle_wait_shutdown(uint64_t deadline_ns);

/* Hooks run, newest first, before a clean shutdown (not on a crash). */
struct shutdown_hook {
    void (*run)(void *arg);
    void *arg;
    struct shutdown_hook *next;
};
void lifecycle_on_shutdown(struct shutdown_hook *hook);

/* Runs the hooks and ends the machine. */
__attribute__((noreturn)) void kernel_exit(enum shutdown_reason reason);

#endif
