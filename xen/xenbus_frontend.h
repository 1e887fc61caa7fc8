/*
 * xen/xenbus_frontend: what every split-driver frontend (netfront, blkfront) does the same way on
 * xenbus, so each driver keeps only its own rings and features. It owns:
 *  - the backend keys a driver reads at connection time, read from a packed list into an array
 *    (xenbus_frontend_read_keys: a missing key reads as 0, a key that is not a number is logged
 *    and reads as 0: frontends do not trust the backend);
 *  - the two waits of the handshake (the backend ready in InitWait or Connected; after our
 *    state switch, Connected, or a refusal) and the close handshake (Closing, then Closed, each
 *    waited for within a bound);
 *  - the watcher fiber that follows the backend's state node: a live connection whose backend
 *    goes Closing/Closed/Unknown is taken down (ops->drop) and, if the backend is still online,
 *    we go Initialising so it offers InitWait again; a backend in InitWait while we are down is
 *    reconnected (ops->reconnect, which applies the driver's backoff and limits); a Closed,
 *    online backend while we are down is asked the same. ops->check runs first on every wake-up
 *    (a watch event or the poll timeout) and may end the pass (a broken ring taken down).
 *  - following the device to new backends after a resume (the watch moves along).
 *
 * The driver embeds struct xenbus_frontend, fills ops, poll_ns and name, and reads or sets the
 * flags (stopping, resuming, no_reconnect) that it shares with the watcher.
 */
#ifndef XENOLITH_XEN_XENBUS_FRONTEND_H
#define XENOLITH_XEN_XENBUS_FRONTEND_H

#include <stdbool.h>
#include <stdint.h>
#include "xen/xenbus_client.h"
#include "xen/xenstore.h"

struct fiber;
struct xenbus_frontend;

struct xenbus_frontend_ops {
    bool (*up)(struct xenbus_frontend *fe);                  /* a connection is live */
    /* First on every wake-up (changed: the watch fired); true ends the pass. */
    bool (*check)(struct xenbus_frontend *fe, bool changed);
    void (*drop)(struct xenbus_frontend *fe, const char *why);  /* take the connection down */
    void (*reconnect)(struct xenbus_frontend *fe);          /* the backend offers InitWait */
};

struct xenbus_frontend {
    struct xenbus_device xb;
    const struct xenbus_frontend_ops *ops;
    const char *log;                   /* the log's subsystem: "netfront" */
    char name[16];                     /* the device in log lines: "vif0" */
    uint64_t poll_ns;                  /* the watcher looks at least this often */
    bool stopping;                     /* the device is being closed: the watcher ends */
    bool resuming;                     /* a resume reconnects: the watcher stands aside */
    bool no_reconnect;                 /* the driver gave up on this backend */
    bool watching;
    struct xenstore_watch watch;       /* on <backend>/state */
    struct fiber *watcher;
};

/* Reads the backend's keys named in `keys` ("a\0b\0", ending with an empty name) into
 * values[] in order. */
void xenbus_frontend_read_keys(struct xenbus_frontend *fe, const char *keys,
                               unsigned long *values);
/* One key, `absent` when missing or not a number (logged). */
unsigned long xenbus_frontend_key(struct xenbus_frontend *fe, const char *key,
                                  unsigned long absent);

/* Waits until deadline_ns for the backend to be ready (InitWait or Connected). 0 or -errno
 * (logged). */
int xenbus_frontend_await_backend(struct xenbus_frontend *fe, uint64_t deadline_ns);
/* Switches our state to `ours` and waits for the backend to connect: 0, -ECONNREFUSED when it
 * went Closing/Closed instead (it refused what we published), or -errno; failures logged. */
int xenbus_frontend_handshake(struct xenbus_frontend *fe, enum xenbus_state ours,
                              uint64_t deadline_ns);
/* The close handshake (Closing, then Closed), each step waited for at most timeout_ns;
 * returns the backend's last state. */
enum xenbus_state xenbus_frontend_close(struct xenbus_frontend *fe, uint64_t timeout_ns);

/* The backend's "online" node is set (the toolstack keeps the device). */
bool xenbus_frontend_online(struct xenbus_frontend *fe);

/* Starts and stops the watcher fiber (stop sets stopping and joins it). */
int xenbus_frontend_watch_start(struct xenbus_frontend *fe, const char *fiber_name);
void xenbus_frontend_watch_stop(struct xenbus_frontend *fe);

/* After a resume: reads the device's backend again and moves the watch there. */
int xenbus_frontend_follow(struct xenbus_frontend *fe);

#endif
