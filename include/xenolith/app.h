/*
 * xenolith/app.h: what an application is, and its life.
 *
 * An application is one function, app_main, linked with the parts of Xenolith it uses into one
 * image (build/xen/<name> and build/hosted/<name>). The kernel parses the command line (the xl
 * extra= string, QEMU's -append, the hosted program's arguments), brings up memory, the
 * scheduler and the platform, then runs app_main in a fiber named "main" (xenolith/fiber.h).
 *
 * Arguments: the command line is "OPTIONS -- ARGS". The options before "--" belong to Xenolith
 * (ip=, gw=, dns=, mtu=, log=, tap=, disk=, blk_timeout=, watchdog=) and are parsed strictly: an
 * unknown or malformed one stops the boot before app_main. The words after "--" are the
 * application's, split at spaces, in argv[0..argc-1] (argv[argc] is NULL; at most 32 words):
 *     xl extra="ip=dhcp -- port=8080 access-log=off"   gives   argc 2,
 *     argv[0] "port=8080", argv[1] "access-log=off"
 * The application checks its own words and should refuse unknown ones with a message.
 *
 * Life: app_main sets up (starts fibers, listens...), then usually blocks in
 * lifecycle_wait_shutdown until the machine is asked to stop (SIGINT/SIGTERM hosted, xl
 * shutdown on Xen, or the application itself), then tears down and returns; code blocked on
 * something else (a socket, a connection) hears the request through a shutdown request hook
 * (lifecycle_on_shutdown_request) rather than by looking now and then. Its return value
 * ends the machine: 0 is SHUTDOWN_SUCCESS (or the reason the shutdown was requested with, such as
 * SHUTDOWN_REBOOT), anything else SHUTDOWN_FAILURE. After a shutdown request app_main has 5
 * seconds to return; then the machine ends anyway, with the requested reason and a warning. The
 * shutdown hooks run, newest first, after app_main returned and before the machine ends.
 */
#ifndef XENOLITH_PUBLIC_APP_H
#define XENOLITH_PUBLIC_APP_H

#include <stdbool.h>
#include <stdint.h>
#include "xenolith/time.h"

/* How the machine ends. On bare QEMU these become distinct isa-debug-exit codes, on Xen
 * SCHEDOP_shutdown reasons, hosted the process exit status (0, 1, 2, 3). */
enum shutdown_reason {
    SHUTDOWN_SUCCESS,   /* the application finished and said it succeeded */
    SHUTDOWN_FAILURE,   /* the application (or boot) failed in an orderly way */
    SHUTDOWN_CRASH,     /* exception, panic, failed assertion */
    SHUTDOWN_REBOOT,    /* asked to restart */
};

/* Provided by the application. argv holds the words after "--" (see above). Runs in the fiber
 * "main". Returns 0 for success; anything else ends the machine with SHUTDOWN_FAILURE. */
int app_main(int argc, char **argv);

/* The whole command line as the loader gave it, options and "--" included (for messages; the
 * application's words are already in argv). Context: any. */
const char *platform_cmdline(void);

/* Asks the machine to stop: every fiber in lifecycle_wait_shutdown wakes, the shutdown request
 * hooks run (below), and app_main should then end its work and return. reason is how the machine
 * ends when app_main then returns 0, or does not return within the grace period
 * (SHUTDOWN_REBOOT: a restart was asked for). Only the first request counts. Never blocks.
 * Context: fiber or loop. No platform calls it from a handler: hosted, the SIGINT/SIGTERM
 * handler only writes a pipe that the loop reads (platform/hosted/signals.c); on Xen a fiber
 * reads the toolstack's request (xen/control.c), and interrupt handlers only note work for the
 * loop. */
void lifecycle_request_shutdown(enum shutdown_reason reason);
/* Whether a shutdown was requested. Context: any. */
bool lifecycle_shutdown_requested(void);
/* Blocks the calling fiber until a shutdown is requested (returns 0, at once if it already was)
 * or until deadline_ns (returns -ETIMEDOUT). Any number of fibers may wait. Context: fiber only. */
int lifecycle_wait_shutdown(uint64_t deadline_ns);

/* A hook told the moment a shutdown is requested, for code blocked on something else than
 * lifecycle_wait_shutdown (a socket, a connection being opened) that must end at once rather
 * than look at lifecycle_shutdown_requested now and then: run closes the socket or resets the
 * connection, and the fiber blocked on it wakes. The hooks registered when the request comes run
 * once each, oldest first, inside lifecycle_request_shutdown (so in its caller's context, fiber
 * or loop), after lifecycle_shutdown_requested became true and the waiters were woken. run must
 * not block; it may do what loop context may (wake fibers, close sockets, reset connections,
 * register or unregister hooks). A hook is unregistered before it runs.
 * Short-lived users (one query) keep the hook on the stack of the fiber that blocks and
 * unregister it before returning:
 *     struct shutdown_request_hook stop = {.run = close_my_socket, .arg = &sock};
 *     lifecycle_on_shutdown_request(&stop);     may run at once: see below
 *     ... block on sock ...
 *     lifecycle_off_shutdown_request(&stop);
 * The structure is the caller's and must stay valid while registered. */
struct shutdown_request_hook {
    void (*run)(void *arg);
    void *arg;
    struct shutdown_request_hook *prev, *next;   /* private: NULL when not registered */
};
/* Registers hook to run when a shutdown is requested. When one already was, hook is not kept
 * and runs at once, from this call: the caller's state that run touches must be set up first.
 * hook must not be registered already (its private fields need no initializing). Never
 * blocks. Context: fiber or loop. */
void lifecycle_on_shutdown_request(struct shutdown_request_hook *hook);
/* Unregisters hook; nothing happens when it is not registered (it already ran, or ran at once
 * in lifecycle_on_shutdown_request). Context: fiber or loop. */
void lifecycle_off_shutdown_request(struct shutdown_request_hook *hook);

/* A hook run at a clean shutdown (not after a crash), newest first, after app_main returned:
 * for last words (flush a disk, print counters). run must not block. The structure is the
 * caller's and must live until the machine ends (static storage). */
struct shutdown_hook {
    void (*run)(void *arg);
    void *arg;
    struct shutdown_hook *next;          /* private */
};
/* Registers hook (once per hook). Context: fiber or loop. */
void lifecycle_on_shutdown(struct shutdown_hook *hook);

#endif
