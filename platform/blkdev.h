/*
 * platform/blkdev.h: the block device seam (docs/DESIGN.md, "The platform seam"). A blkdev is an array
 * of `capacity` sectors of `sector_size` bytes, read and written by asynchronous requests that
 * complete through a callback. Fiber-blocking helpers built on it are in blk/blk.h.
 *
 * Backends: blkfront (xen/), the host file (platform/hosted/disk.h), the in-memory disk (blk/memdisk.h).
 * The seam is shaped like a Xen blkif ring: several requests in flight (max_in_flight), each a
 * sector range moved through up to max_segments segments, each segment inside one page.
 *
 * Units: sector numbers, counts and the capacity are in the device's own sector_size (512 or 4096
 * bytes). A backend whose wire unit differs (blkif always counts 512-byte sectors) converts.
 *
 * Life of a request (implemented by the block layer, blk/blkdev.c):
 *   blkdev_submit(dev, req)  checks the request against the device (bounds, read-only, op
 *       supported, segment shape) and refuses a bad one with -errno and a console message; done
 *       is then never called. An accepted request returns 0 and its done callback runs exactly
 *       once, later, in loop or fiber context -- never from inside blkdev_submit.
 *   The layer queues requests in FIFO order and hands the backend at most max_in_flight at a
 *   time (ops->submit). Backends may complete in any order, except that the layer orders
 *   flushes itself: a flush is handed to the backend only when every request submitted before it
 *   has completed, and no request submitted after it is handed over until the flush completes.
 *   So a successful flush covers every write submitted before it.
 *   The backend reports each request once with blkdev_complete(dev, req, status) from loop or
 *   fiber context; status 0 means the data is read, or the write is acknowledged by the medium
 *   (in its cache if the device has BLKDEV_CAP_FLUSH, durable if not).
 * The caller owns req, its segment array and the buffers until done runs, and must not touch
 * them in between. From done on, nobody else has access to them: a backend that shares memory
 * with another domain (blkfront) shares only pages of its own and never a caller's buffer, so
 * the caller may free or reuse its buffers as soon as done runs, whatever the status.
 */
#ifndef XENOLITH_PLATFORM_BLKDEV_H
#define XENOLITH_PLATFORM_BLKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/list.h"

struct blkdev;
struct blk_request;

#define BLKDEV_NAME_MAX 16
#define BLKDEV_PAGE_SIZE 4096u           /* segments never cross a boundary of this size */

enum blk_op {
    BLK_OP_READ,
    BLK_OP_WRITE,
    BLK_OP_FLUSH,                        /* no range, no segments */
    BLK_OP_DISCARD,                      /* a range, no segments: contents become unspecified */
};

/* Capabilities (blkdev.caps). */
enum blkdev_caps {
    /* The device has a volatile write cache and implements BLK_OP_FLUSH (Xen feature-flush-cache,
     * fdatasync on a host file). Without it, acknowledged writes are already durable and the
     * layer completes flushes itself, after ordering them, without asking the backend. */
    BLKDEV_CAP_FLUSH = 1u << 0,
    /* The backend implements BLK_OP_FLUSH as an ordered barrier (Xen feature-barrier). The layer
     * orders flushes either way; blkfront may use this to issue WRITE_BARRIER for a flush. */
    BLKDEV_CAP_BARRIER = 1u << 1,
    /* The backend implements BLK_OP_DISCARD (Xen feature-discard, hole punching on a file).
     * Without it the layer refuses discards with -EOPNOTSUPP. */
    BLKDEV_CAP_DISCARD = 1u << 2,
};

/* One piece of a read or write buffer. It lies within one BLKDEV_PAGE_SIZE page: the address is
 * a multiple of sector_size and len a non-zero multiple of sector_size with addr + len not past
 * the end of the page (so a backend can grant or map each segment as one page). */
struct blk_segment {
    void *addr;
    uint32_t len;
};

struct blk_request {
    enum blk_op op;
    uint64_t sector;                     /* first sector (read, write, discard) */
    uint32_t count;                      /* sectors (read, write, discard); 0 for a flush */
    uint32_t nr_segments;                /* read, write: segments covering count sectors in order */
    const struct blk_segment *segments;
    void (*done)(struct blk_request *req, int status);   /* status 0 or -errno (-EIO ...) */
    void *ctx;                           /* the submitter's */
    /* private to the layer while queued; the backend may use backend_link and backend_data
     * from ops->submit until it calls blkdev_complete. */
    struct list_node queue_link;
    struct list_node backend_link;
    uint64_t backend_data;
    struct blkdev *dev;
    int status;                          /* kept while a completion waits to be delivered */
};

/* Per-device counters. X-macro so that names print (blkdev_print_stats). */
#define BLKDEV_COUNTERS(X)                                                                      \
    X(reads)           /* read requests completed successfully */                               \
    X(writes)                                                                                   \
    X(flushes)                                                                                  \
    X(discards)                                                                                 \
    X(sectors_read)                                                                             \
    X(sectors_written)                                                                          \
    X(errors)          /* requests completed with a non-zero status */                          \
    X(refused)         /* requests refused by blkdev_submit (bounds, read-only, shape) */       \
    X(timeouts)        /* helper calls (blk/blk.h) that gave up at their deadline */            \
    X(in_flight_peak)  /* most requests the backend held at once */

struct blkdev_stats {
#define BLKDEV_STAT_FIELD(name) uint64_t name;
    BLKDEV_COUNTERS(BLKDEV_STAT_FIELD)
#undef BLKDEV_STAT_FIELD
};

struct blkdev_ops {
    /* Starts req (already checked; read/write segments well formed). Returns 0, after which the
     * backend calls blkdev_complete(dev, req, status) exactly once, or -errno, which the layer
     * turns into that completion status. It may complete inline; the layer then defers done. */
    int (*submit)(struct blkdev *dev, struct blk_request *req);
    /* Releases the backend (optional). Called with no request in flight. */
    void (*destroy)(struct blkdev *dev);
};

struct blkdev {
    const struct blkdev_ops *ops;
    char name[BLKDEV_NAME_MAX];
    uint32_t sector_size;                /* bytes: a power of two, 512..BLKDEV_PAGE_SIZE */
    uint64_t capacity;                   /* sectors */
    bool read_only;                      /* writes and discards are refused with -EROFS */
    uint32_t caps;                       /* enum blkdev_caps */
    uint32_t max_in_flight;              /* requests the backend accepts at once (ring slots) */
    uint32_t max_segments;               /* segments per read/write request */
    struct blkdev_stats stats;
    void *priv;                          /* the backend's own state */
    /* private to the layer (blk/blkdev.c) */
    struct list_node queue;              /* accepted, not yet handed to the backend */
    uint32_t in_flight;                  /* handed to the backend, not completed */
    uint32_t deferred;                   /* completed, done callback not yet run */
    bool flush_in_flight;
    bool submitting;                     /* inside ops->submit: completions are deferred */
    bool dispatching;
};

/* Fills the common fields (name truncated to fit, stats zeroed, empty queue). max_in_flight and
 * max_segments of 0 mean 1. Returns 0, or -EINVAL for a sector size that is not a power of two
 * in 512..BLKDEV_PAGE_SIZE (with a message). */
int blkdev_init(struct blkdev *dev, const struct blkdev_ops *ops, const char *name,
                uint32_t sector_size, uint64_t capacity, bool read_only, uint32_t caps,
                uint32_t max_in_flight, uint32_t max_segments, void *priv);

/* See the top of this file. Returns 0 (accepted) or -EINVAL (malformed, or a read/discard past
 * the end), -ENOSPC (a write past the end), -EROFS, -EOPNOTSUPP (discard without the cap). */
int blkdev_submit(struct blkdev *dev, struct blk_request *req);

/* Called by backends, once per request handed to ops->submit. */
void blkdev_complete(struct blkdev *dev, struct blk_request *req, int status);

/* Requests accepted and not yet completed (queued in the layer or held by the backend). */
unsigned blkdev_pending(const struct blkdev *dev);

/* Calls ops->destroy if there is one; releases the layer's state. With requests still pending
 * (a caller gave up at a deadline on a disk that does not answer) nothing is released: the
 * device is left as it is, with a message. */
void blkdev_destroy(struct blkdev *dev);

/* Bytes on the device: capacity * sector_size. */
static inline uint64_t blkdev_bytes(const struct blkdev *dev)
{
    return dev->capacity * dev->sector_size;
}

/* Prints the counters, one "name value" pair per counter, prefixed by the device name. */
void blkdev_print_stats(const struct blkdev *dev);

/* The platform's index-th block device: hosted, index 0 is the file named by disk=; on Xen,
 * the index-th device/vbd in numeric order, xvda first (xen/blkfront.h); bare QEMU has none.
 * read_only opens a writable device read-only. Call from a fiber. NULL, with a log line
 * saying why, when there is no such device or it cannot be used. */
struct blkdev *platform_blkdev_open(unsigned index, bool read_only);

#endif
