/*
 * blk/blkdev: the block layer under the seam of platform/blkdev.h. It checks every request
 * against the device, queues accepted ones in FIFO order, hands the backend at most
 * max_in_flight at a time, orders flushes around everything else, keeps the counters, and makes
 * sure a done callback never runs inside blkdev_submit (or inside a backend's submit): such
 * completions are delivered from a zero-delay timer instead, in the order they happened.
 */
#include "platform/blkdev.h"
#include "blk/blk.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/minmax.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "platform/platform.h"
#include "sched/sched.h"

/* Completions waiting to be delivered, over all devices, in completion order. */
static struct list_node deferred_requests = LIST_INIT(deferred_requests);
static struct timer deferral_timer;
static bool deferral_timer_ready;

int blkdev_init(struct blkdev *dev, const struct blkdev_ops *ops, const char *name,
                uint32_t sector_size, uint64_t capacity, bool read_only, uint32_t caps,
                uint32_t max_in_flight, uint32_t max_segments, void *priv)
{
    memset(dev, 0, sizeof(*dev));
    kstrlcpy(dev->name, name ? name : "blk", sizeof(dev->name));
    if (!IS_POWER_OF_2(sector_size) || sector_size < 512 || sector_size > BLKDEV_PAGE_SIZE) {
        log_error("blk", "%s: sector size %u is not a power of two in 512..%u", dev->name,
                  (unsigned)sector_size, BLKDEV_PAGE_SIZE);
        return -EINVAL;
    }
    dev->ops = ops;
    dev->sector_size = sector_size;
    dev->capacity = capacity;
    dev->read_only = read_only;
    dev->caps = caps;
    dev->max_in_flight = max_in_flight ? max_in_flight : 1;
    dev->max_segments = max_segments ? max_segments : 1;
    dev->priv = priv;
    list_init(&dev->queue);
    return 0;
}

const char *blk_op_name(enum blk_op op)
{
    static const char *const names[] = {
        [BLK_OP_READ] = "read",
        [BLK_OP_WRITE] = "write",
        [BLK_OP_FLUSH] = "flush",
        [BLK_OP_DISCARD] = "discard",
    };
    return (unsigned)op < ARRAY_SIZE(names) ? names[op] : "unknown operation";
}

int blk_check_range(const struct blkdev *dev, enum blk_op op, uint64_t sector, uint64_t count)
{
    if (op != BLK_OP_READ && op != BLK_OP_WRITE && op != BLK_OP_DISCARD) {
        log_warn("blk", "%s: refused: operation %d takes no sector range", dev->name, (int)op);
        return -EINVAL;
    }
    if ((op == BLK_OP_WRITE || op == BLK_OP_DISCARD) && dev->read_only) {
        log_warn("blk", "%s: %s of %llu sectors at sector %llu refused: the device is read-only",
                 dev->name, blk_op_name(op), (unsigned long long)count, (unsigned long long)sector);
        return -EROFS;
    }
    if (op == BLK_OP_DISCARD && !(dev->caps & BLKDEV_CAP_DISCARD)) {
        log_warn("blk", "%s: discard refused: the device does not support it", dev->name);
        return -EOPNOTSUPP;
    }
    if (count == 0) {
        log_warn("blk", "%s: %s of zero sectors at sector %llu refused", dev->name, blk_op_name(op),
                 (unsigned long long)sector);
        return -EINVAL;
    }
    if (sector > dev->capacity || count > dev->capacity - sector) {
        log_warn("blk", "%s: %s of %llu sectors at sector %llu refused: past the end of the "
                 "device (%llu sectors)", dev->name, blk_op_name(op), (unsigned long long)count,
                 (unsigned long long)sector, (unsigned long long)dev->capacity);
        return op == BLK_OP_WRITE ? -ENOSPC : -EINVAL;
    }
    return 0;
}

static int check_segments(const struct blkdev *dev, const struct blk_request *req)
{
    if (req->nr_segments == 0 || req->nr_segments > dev->max_segments || !req->segments) {
        log_warn("blk", "%s: %s refused: %u segments (the device takes 1..%u)", dev->name,
                 blk_op_name(req->op), (unsigned)req->nr_segments, (unsigned)dev->max_segments);
        return -EINVAL;
    }
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < req->nr_segments; i++) {
        const struct blk_segment *s = &req->segments[i];
        uintptr_t addr = (uintptr_t)s->addr;
        uintptr_t in_page = addr & (BLKDEV_PAGE_SIZE - 1);
        if (!s->addr || !IS_ALIGNED(addr, (uintptr_t)dev->sector_size) || s->len == 0 ||
            s->len % dev->sector_size || in_page + s->len > BLKDEV_PAGE_SIZE) {
            log_warn("blk", "%s: %s refused: segment %u (%p, %u bytes) is not whole sectors "
                     "within one page", dev->name, blk_op_name(req->op), (unsigned)i, s->addr,
                     (unsigned)s->len);
            return -EINVAL;
        }
        bytes += s->len;
    }
    if (bytes != (uint64_t)req->count * dev->sector_size) {
        log_warn("blk", "%s: %s refused: segments hold %llu bytes for %u sectors", dev->name,
                 blk_op_name(req->op), (unsigned long long)bytes, (unsigned)req->count);
        return -EINVAL;
    }
    return 0;
}

static int check_request(const struct blkdev *dev, const struct blk_request *req)
{
    if (!req->done) {
        log_warn("blk", "%s: request without a completion callback refused", dev->name);
        return -EINVAL;
    }
    switch (req->op) {
    case BLK_OP_FLUSH:
        if (req->count || req->nr_segments) {
            log_warn("blk", "%s: flush refused: it takes no sectors or segments", dev->name);
            return -EINVAL;
        }
        return 0;
    case BLK_OP_DISCARD:
        if (req->nr_segments) {
            log_warn("blk", "%s: discard refused: it takes no segments", dev->name);
            return -EINVAL;
        }
        return blk_check_range(dev, req->op, req->sector, req->count);
    case BLK_OP_READ:
    case BLK_OP_WRITE: {
        int err = blk_check_range(dev, req->op, req->sector, req->count);
        return err ? err : check_segments(dev, req);
    }
    }
    log_warn("blk", "%s: request with unknown operation %d refused", dev->name, (int)req->op);
    return -EINVAL;
}

static void deliver_deferred(struct timer *t, void *arg)
{
    /* Take the whole list first: done callbacks may submit and defer again. */
    struct list_node batch;
    list_init(&batch);
    list_splice_tail(&batch, &deferred_requests);
    while (!list_empty(&batch)) {
        struct blk_request *req = container_of(batch.next, struct blk_request, queue_link);
        list_remove(&req->queue_link);
        req->dev->deferred--;
        req->done(req, req->status);
    }
}

static void defer_completion(struct blkdev *dev, struct blk_request *req, int status)
{
    if (!deferral_timer_ready) {
        timer_init(&deferral_timer, deliver_deferred, NULL);
        deferral_timer_ready = true;
    }
    req->status = status;
    dev->deferred++;
    list_add_tail(&deferred_requests, &req->queue_link);
    if (!timer_armed(&deferral_timer))
        timer_arm(&deferral_timer, platform_monotonic_ns());
}

static void dispatch(struct blkdev *dev);

static void finish(struct blkdev *dev, struct blk_request *req, int status)
{
    kassert(dev->in_flight > 0);
    dev->in_flight--;
    if (req->op == BLK_OP_FLUSH)
        dev->flush_in_flight = false;
    if (status) {
        dev->stats.errors++;
    } else {
        switch (req->op) {
        case BLK_OP_READ:
            dev->stats.reads++;
            dev->stats.sectors_read += req->count;
            break;
        case BLK_OP_WRITE:
            dev->stats.writes++;
            dev->stats.sectors_written += req->count;
            break;
        case BLK_OP_FLUSH: dev->stats.flushes++; break;
        case BLK_OP_DISCARD: dev->stats.discards++; break;
        }
    }
    /* Keep delivery in completion order: once one completion waits, later ones wait too. */
    bool defer = dev->submitting || dev->deferred;
    if (defer)
        defer_completion(dev, req, status);
    dispatch(dev);
    /* Last: a done callback may destroy the device once nothing is pending. */
    if (!defer)
        req->done(req, status);
}

/* Hands queued requests to the backend while the ordering rules and the slots allow. */
static void dispatch(struct blkdev *dev)
{
    if (dev->dispatching)
        return;
    dev->dispatching = true;
    while (!list_empty(&dev->queue) && !dev->flush_in_flight &&
           dev->in_flight < dev->max_in_flight) {
        struct blk_request *req = container_of(dev->queue.next, struct blk_request, queue_link);
        /* A flush waits until everything submitted before it has completed. */
        if (req->op == BLK_OP_FLUSH && dev->in_flight)
            break;
        list_remove(&req->queue_link);
        dev->in_flight++;
        if (dev->in_flight > dev->stats.in_flight_peak)
            dev->stats.in_flight_peak = dev->in_flight;
        if (req->op == BLK_OP_FLUSH)
            dev->flush_in_flight = true;
        /* Whatever completes from here on is deferred, so that a completion that led to this
         * dispatch has its done callback run first. */
        bool was_submitting = dev->submitting;
        dev->submitting = true;
        int err = 0;
        if (req->op == BLK_OP_FLUSH && !(dev->caps & BLKDEV_CAP_FLUSH))
            finish(dev, req, 0);   /* no volatile cache: earlier writes are durable already */
        else
            err = dev->ops->submit(dev, req);
        if (err)
            finish(dev, req, err);
        dev->submitting = was_submitting;
    }
    dev->dispatching = false;
}

int blkdev_submit(struct blkdev *dev, struct blk_request *req)
{
    int err = check_request(dev, req);
    if (err) {
        dev->stats.refused++;
        return err;
    }
    req->dev = dev;
    req->status = 0;
    list_add_tail(&dev->queue, &req->queue_link);
    bool was_submitting = dev->submitting;
    dev->submitting = true;
    dispatch(dev);
    dev->submitting = was_submitting;
    return 0;
}

void blkdev_complete(struct blkdev *dev, struct blk_request *req, int status)
{
    finish(dev, req, status);
}

unsigned blkdev_pending(const struct blkdev *dev)
{
    return (unsigned)list_length(&dev->queue) + dev->in_flight + dev->deferred;
}

void blkdev_destroy(struct blkdev *dev)
{
    if (!dev)
        return;
    if (blkdev_pending(dev)) {
        /* A caller that gave up on a dead disk (-ETIMEDOUT): the backend still holds requests
         * and their buffers, so nothing may be freed. The device stays, unused. */
        log_error("blk", "%s: %u requests still pending (a dead disk?); the device is left open",
                  dev->name, blkdev_pending(dev));
        return;
    }
    if (dev->ops && dev->ops->destroy)
        dev->ops->destroy(dev);
}

void blkdev_print_stats(const struct blkdev *dev)
{
#define BLKDEV_PRINT(counter) \
    kprintf("%s: " #counter " %llu\n", dev->name, (unsigned long long)dev->stats.counter);
    BLKDEV_COUNTERS(BLKDEV_PRINT)
#undef BLKDEV_PRINT
}
