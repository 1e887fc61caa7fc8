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
#include "xenolith/app.h"

/* Called by the platform once its console, clock and memory map work. Never returns. */
__attribute__((noreturn)) void kernel_start(void);

/* Platform-specific set-up that needs the heap and scheduler (event channels, xenstore,
 * signal handling), called by kernel_start before app_main. Returns 0 or a negative errno. */
int platform_late_init(void);

/* ---- Lifecycle ----
 * app_main, lifecycle_request_shutdown, lifecycle_wait_shutdown, the shutdown request hooks and
 * the shutdown (exit) hooks are the application's: xenolith/app.h. */

/* Runs the hooks and ends the machine. */
__attribute__((noreturn)) void kernel_exit(enum shutdown_reason reason);

/* A hook run when the machine resumed on another host (a Xen restore or migration: xen/suspend.c
 * runs them once its devices reconnected), for what the outside world must learn again: the
 * network bring-up (net/netup.c) announces its addresses so the bridge learns the new port.
 * run may block. The structure is the caller's, static storage; registering it twice is one
 * registration. Context: fiber or loop. */
struct resume_hook {
    void (*run)(void *arg);
    void *arg;
    struct resume_hook *next;            /* private */
};
void lifecycle_on_resume(struct resume_hook *hook);
void lifecycle_run_resume_hooks(void);
/* Whether this image can resume at all: a constant of the image, true only in Xen images that
 * keep suspend (xen/optional.c; APP_XEN_WITHOUT, xen/optional.h). When it is false
 * lifecycle_on_resume keeps nothing, and link-time optimization drops every hook's code. */
bool lifecycle_resumable(void);

#endif
