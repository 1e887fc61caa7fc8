/*
 * xen/xenstore: the xenstore client for fibers. Every call blocks only the calling fiber
 * (never from loop context: those return -EPERM); many fibers may have requests in flight at
 * once, matched to replies by req_id. Watch events go to the fiber waiting on that watch.
 * Paths are absolute ("/local/domain/0/...") or relative to the domain's home
 * ("device/vif/0" means /local/domain/<self>/device/vif/0), as xenstored resolves them.
 * A reply the daemon sends malformed or unterminated (but correctly framed) fails the request
 * with -EBADMSG; it is never read past its buffer.
 *
 * The stream rules (xen/xenstore_codec.h): a request carries up to XENSTORE_PAYLOAD_MAX
 * (4 KiB) of payload, streamed through the 1 KiB ring by one writer at a time; a longer one is
 * refused with -EMSGSIZE before anything is written. A request starts only when the ring has
 * room for all of it (or is empty, for one larger than the ring), so one that cannot start
 * before its deadline fails with -ETIMEDOUT having written nothing; one the daemon stops
 * reading part-way fails with -ETIMEDOUT and fails the connection (below). A reply header that
 * breaks a rule (length above XENSTORE_PAYLOAD_MAX, a type no request has, a reply to an id
 * never sent, a type other than its request's) or corrupt ring indices fail the connection for
 * good: one log line names the rule, every request in flight and every later one fails with
 * -EPROTO, watches end (xenstore_watch_next gives -EPIPE), and nothing more is read.
 *
 * Errors are negative lib/errno.h codes: xenstored's error names map to them (ENOENT when a
 * node does not exist, EACCES, EAGAIN when a transaction must be retried...), -ETIMEDOUT when
 * the daemon does not answer within XENSTORE_REQUEST_TIMEOUT_NS.
 */
#ifndef XENOLITH_XEN_XENSTORE_H
#define XENOLITH_XEN_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sched/sched.h"
#include "xen/xenstore_codec.h"

#define XENSTORE_NO_TX 0u
#define XENSTORE_REQUEST_TIMEOUT_NS (10ull * 1000 * 1000 * 1000)
#define XENSTORE_WATCH_QUEUE 8      /* events kept per watch before the oldest are dropped */
#define XENSTORE_PATH_MAX 256       /* longest path we keep for a watch event */

/* Attaches to the ring (HVM_PARAM_STORE_PFN / STORE_EVTCHN), starts the reader fiber and
 * the control/ watcher (xen/control.h). Called by platform_late_init in every image that
 * links this file. 0 or a negative errno. */
int xenstore_init(void);
bool xenstore_ready(void);

/* Suspend and resume (xen/suspend.h). xenstore_quiesce waits (fiber context, until
 * deadline_ns) for every request in flight to be answered: 1 if it had to wait, 0 if nothing
 * was in flight, -ETIMEDOUT if some are still out. After a resume in a new domain, xenstore_resume_ring attaches to the store's ring and
 * new event channel (loop or fiber context, no blocking; a partial message read before the
 * suspend is dropped) and xenstore_resume_watches (fiber context) registers every watch again
 * with the daemon, which knows none of them in the new domain (each fires once, as a new watch
 * does, so its owner looks again). 0 or a negative errno. */
int xenstore_quiesce(uint64_t deadline_ns);
int xenstore_resume_ring(void);
int xenstore_resume_watches(void);

/* The value at path into buf[cap], NUL-terminated; returns its length, or -EOVERFLOW if it
 * does not fit (nothing partial is returned). */
int xenstore_read(uint32_t tx, const char *path, char *buf, size_t cap);
/* Reads an unsigned decimal integer; -EINVAL if the node holds something else. */
int xenstore_read_uint(uint32_t tx, const char *path, unsigned long *value);
int xenstore_write(uint32_t tx, const char *path, const char *value);
int xenstore_mkdir(uint32_t tx, const char *path);
int xenstore_rm(uint32_t tx, const char *path);
/* The children of path: the names are stored in buf[cap] and pointed to by names[max].
 * Returns the count, -E2BIG if more than max, -EOVERFLOW if buf is too small. */
int xenstore_directory(uint32_t tx, const char *path, char *buf, size_t cap, const char **names,
                       size_t max);
int xenstore_get_perms(uint32_t tx, const char *path, struct xs_perm *perms, size_t max);
int xenstore_set_perms(uint32_t tx, const char *path, const struct xs_perm *perms, size_t count);
/* This domain's home path ("/local/domain/<id>"), into buf[cap]. */
int xenstore_domain_path(char *buf, size_t cap);

/* Transactions: start gives *tx; end commits (or aborts) and returns -EAGAIN when the daemon
 * saw a conflicting change, in which case the whole body must be redone. xenstore_transact
 * does exactly that: runs body(tx, arg) in a fresh transaction until it commits, at most
 * `attempts` times (then -EAGAIN). A body returning an error aborts and that error is returned. */
int xenstore_transaction_start(uint32_t *tx);
int xenstore_transaction_end(uint32_t tx, bool commit);
int xenstore_transact(int (*body)(uint32_t tx, void *arg), void *arg, unsigned attempts);

/* Watches: events (the path that changed, which may be below the watched one) queue on the
 * watch and wake the fiber in xenstore_watch_next. xenstored sends one event at once when the
 * watch is set, so a watcher always starts by reading the current state. */
struct xenstore_watch {
    char path[XENSTORE_PATH_MAX];
    char token[24];
    char events[XENSTORE_WATCH_QUEUE][XENSTORE_PATH_MAX];
    unsigned head, count;
    uint64_t dropped;           /* events lost to a full queue or an over-long path */
    struct waitq waiters;
    bool active;
    unsigned epoch;             /* the connection it was last registered on (resumes) */
    struct xenstore_watch *next;
};
int xenstore_watch(struct xenstore_watch *w, const char *path);
int xenstore_unwatch(struct xenstore_watch *w);
/* Moves an active watch to another path (a device's backend moved after a resume), keeping
 * its queue and its waiters waiting. 0 or a negative errno. */
int xenstore_watch_retarget(struct xenstore_watch *w, const char *path);
/* Takes the oldest event (its path into buf[cap]), waiting until deadline_ns if none is
 * queued. 0, -ETIMEDOUT, -EPIPE if the watch was removed. */
int xenstore_watch_next(struct xenstore_watch *w, char *buf, size_t cap, uint64_t deadline_ns);

struct xenstore_stats {
    uint64_t requests, replies, errors, timeouts;
    uint64_t watch_events, watch_events_unknown;
    uint64_t unmatched_replies;  /* a req_id nobody waits for (late reply after a timeout) */
    uint64_t malformed;          /* replies or ring states refused */
    uint64_t in_flight_max;
    uint64_t replies_without_event;  /* reply bytes found by the reader's 1 s look, not an event */
    bool broken;                 /* the connection failed (see above) */
};
void xenstore_get_stats(struct xenstore_stats *out);

#endif
