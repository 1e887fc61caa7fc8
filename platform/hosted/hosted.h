/*
 * platform/hosted: the hosted platform, Xenolith as an ordinary Linux process. This header is the
 * interface other hosted backends (the TAP network device, the file-backed disk) build on:
 * they hand a file descriptor to the event loop and are called back when it is readable.
 *
 * How the process behaves (see also platform/hosted/README.md):
 *   command line   argv[1..] joined by single spaces, parsed by kernel/options like the PVH
 *                  command line; at most OPTIONS_CMDLINE_MAX - 1 bytes.
 *   memory         one mmap'ed arena for the page allocator, 64 MiB unless the environment
 *                  variable XENOLITH_HOSTED_MEM_MB says otherwise (HOSTED_MEM_MB_MIN..MAX).
 *   signals        SIGINT/SIGTERM request a clean shutdown; a second SIGINT while shutting
 *                  down exits at once. SIGSEGV/SIGBUS/SIGILL/SIGFPE print a crash report.
 *   exit status    below; the line "xenolith: shutdown: <reason>" is printed first.
 */
#ifndef XENOLITH_ARCH_HOSTED_HOSTED_H
#define XENOLITH_ARCH_HOSTED_HOSTED_H

/* Process exit statuses. */
#define HOSTED_EXIT_SUCCESS 0     /* SHUTDOWN_SUCCESS: app_main returned 0, or SIGINT/SIGTERM */
#define HOSTED_EXIT_FAILURE 1     /* SHUTDOWN_FAILURE: app_main failed, bad command line */
#define HOSTED_EXIT_CRASH 2       /* SHUTDOWN_CRASH: fault, panic, failed assertion */
#define HOSTED_EXIT_REBOOT 3      /* SHUTDOWN_REBOOT: the caller may start the program again */
#define HOSTED_EXIT_USAGE 2       /* refused before the kernel started (command line too long,
                                     bad XENOLITH_HOSTED_MEM_MB); the message says which */
#define HOSTED_EXIT_INTERRUPTED 130 /* a second SIGINT while shutting down (128 + SIGINT) */

/* XENOLITH_HOSTED_MEM_MB bounds (MiB). */
#define HOSTED_MEM_MB_DEFAULT 64
#define HOSTED_MEM_MB_MIN 4
#define HOSTED_MEM_MB_MAX 65536

/* How many file descriptors the event loop watches at most. */
#define HOSTED_WATCH_MAX 32

/*
 * Watches fd: whenever poll() reports it readable (or in error or hung up), ready(ctx) is
 * called from platform_wait_until, in loop context: it must not block, and should read what
 * is pending and wake fibers. The callback runs again on every wait while the condition
 * holds, so it must drain the fd (or unwatch it on end of file). An fd that turns out to be
 * closed while watched is dropped from the table with a console message.
 * Returns 0, -EINVAL for a negative fd or NULL callback, -EEXIST if fd is already watched,
 * -ENOSPC when HOSTED_WATCH_MAX fds are watched.
 */
int hosted_watch_fd(int fd, void (*ready)(void *ctx), void *ctx);

/* Stops watching fd (no-op if it is not watched). Safe from inside any ready callback, even
 * for another fd: a callback that was unwatched is not called again. */
void hosted_unwatch_fd(int fd);

#endif
