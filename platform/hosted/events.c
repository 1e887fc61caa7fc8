/*
 * platform/hosted/events: the hosted event loop's blocking step. platform_wait_until polls every
 * watched file descriptor (TAP device, disk completions, the signal self-pipe) with a timeout
 * taken from the scheduler's next deadline, then calls the ready callbacks. The watch table
 * is bounded (HOSTED_WATCH_MAX) and may change from inside the callbacks.
 */
#define _GNU_SOURCE
#include "platform/hosted/hosted.h"
#include "platform/hosted/internal.h"
#include "kernel/kernel.h"
#include "platform/platform.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

struct watch {
    int fd;                    /* -1: free slot */
    void (*ready)(void *ctx);
    void *ctx;
    uint64_t serial;           /* tells a slot reused during dispatch from the one polled */
};

static struct watch watches[HOSTED_WATCH_MAX];
static bool watches_ready;
static uint64_t next_serial = 1;

static void watches_init(void)
{
    if (watches_ready)
        return;
    for (size_t i = 0; i < HOSTED_WATCH_MAX; i++)
        watches[i].fd = -1;
    watches_ready = true;
}

int hosted_watch_fd(int fd, void (*ready)(void *ctx), void *ctx)
{
    watches_init();
    if (fd < 0 || !ready)
        return -EINVAL;
    struct watch *free_slot = NULL;
    for (size_t i = 0; i < HOSTED_WATCH_MAX; i++) {
        if (watches[i].fd == fd)
            return -EEXIST;
        if (watches[i].fd < 0 && !free_slot)
            free_slot = &watches[i];
    }
    if (!free_slot)
        return -ENOSPC;
    free_slot->fd = fd;
    free_slot->ready = ready;
    free_slot->ctx = ctx;
    free_slot->serial = next_serial++;
    return 0;
}

void hosted_unwatch_fd(int fd)
{
    watches_init();
    if (fd < 0)
        return;
    for (size_t i = 0; i < HOSTED_WATCH_MAX; i++) {
        if (watches[i].fd == fd) {
            watches[i].fd = -1;
            watches[i].ready = NULL;
            watches[i].ctx = NULL;
        }
    }
}

/*
 * How long ppoll may sleep for deadline_ns. ppoll takes nanoseconds and the kernel rounds
 * its timer up, never down, so the loop is not woken before its deadline to find nothing to
 * do and spin. NULL means no timeout.
 */
static const struct timespec *poll_timeout(uint64_t deadline_ns, struct timespec *ts)
{
    if (deadline_ns == UINT64_MAX)
        return NULL;
    uint64_t now = platform_monotonic_ns();
    uint64_t wait = deadline_ns > now ? deadline_ns - now : 0;
    ts->tv_sec = (time_t)(wait / 1000000000ull);
    ts->tv_nsec = (long)(wait % 1000000000ull);
    return ts;
}

void platform_wait_until(uint64_t deadline_ns)
{
    watches_init();
    if (lifecycle_shutdown_requested())
        hosted_note_shutdown_in_progress();

    struct pollfd fds[HOSTED_WATCH_MAX];
    size_t slot_of[HOSTED_WATCH_MAX];
    uint64_t serial_of[HOSTED_WATCH_MAX];
    nfds_t count = 0;
    for (size_t i = 0; i < HOSTED_WATCH_MAX; i++) {
        if (watches[i].fd < 0)
            continue;
        fds[count] = (struct pollfd){ .fd = watches[i].fd, .events = POLLIN };
        slot_of[count] = i;
        serial_of[count] = watches[i].serial;
        count++;
    }

    struct timespec ts;
    const struct timespec *timeout = poll_timeout(deadline_ns, &ts);
    struct timespec zero = { 0, 0 };
    if (deadline_ns == 0)
        timeout = &zero;
    if (count == 0 && !timeout) {
        /* Nothing can ever wake us; the scheduler asks only when it has nothing to run, and
         * returns to report the deadlock itself. */
        return;
    }
    int ready = ppoll(fds, count, timeout, NULL);
    if (ready <= 0)
        return; /* timeout, or EINTR: a signal's self-pipe byte is seen on the next wait */

    for (nfds_t k = 0; k < count; k++) {
        if (!fds[k].revents)
            continue;
        struct watch *w = &watches[slot_of[k]];
        if (w->fd != fds[k].fd || w->serial != serial_of[k])
            continue; /* unwatched (or replaced) by an earlier callback in this round */
        if (fds[k].revents & POLLNVAL) {
            hosted_console_printf("xenolith: fd %d was closed while watched; no longer polled\n",
                                  w->fd);
            hosted_unwatch_fd(w->fd);
            continue;
        }
        w->ready(w->ctx);
    }
}
