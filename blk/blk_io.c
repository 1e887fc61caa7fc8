/*
 * blk/blk_io: the fiber-blocking helpers of blk/blk.h. One call is a `struct blk_call` on the
 * heap (it may outlive the caller's wait when the deadline passes), cut into chunks: each chunk
 * is one request over its own bounce pages. Chunks are submitted a window at a time; their
 * completions copy read data out, record the first error and wake the waiting fiber.
 *
 * Bounce pages hold no stale memory: a read's pages are zeroed before they go to the device and
 * a write's pages are filled (data, then zeros to the end of the allocation), so whatever a
 * device shows or returns of them is ours to show. They are freed on completion, whatever the
 * status: the seam guarantees that no backend (blkfront: it grants only its own pages) still
 * has access to a request's buffers once it completed it.
 */
#include "blk/blk.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/minmax.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "sched/sched.h"

_Static_assert(BLKDEV_PAGE_SIZE == PAGE_SIZE, "bounce pages are the seam's pages");

struct blk_call {
    struct blkdev *dev;
    struct waitq waiters;
    unsigned outstanding;          /* chunks submitted and not completed */
    int status;                    /* first error */
    bool abandoned;                /* the caller timed out: free on the last completion */
};

struct blk_chunk {
    struct blk_request req;
    struct blk_call *call;
    uint8_t *bounce;
    unsigned bounce_order;
    uint8_t *user;                 /* read: where the data goes once it arrives */
    size_t bytes;
    struct blk_segment segs[BLK_IO_CHUNK_PAGES];
};

static void chunk_done(struct blk_request *req, int status)
{
    struct blk_chunk *c = container_of(req, struct blk_chunk, req);
    struct blk_call *call = c->call;
    if (status == 0 && c->user && !call->abandoned)
        memcpy(c->user, c->bounce, c->bytes);
    if (status && call->status == 0)
        call->status = status;
    if (c->bounce)
        page_free(c->bounce, c->bounce_order);
    kfree(c);
    call->outstanding--;
    if (call->abandoned) {
        if (call->outstanding == 0)
            kfree(call);
        return;
    }
    waitq_wake_all(&call->waiters);
}

/* Sectors per chunk for this device: whole pages, within the segment limit. */
static uint64_t chunk_sectors(const struct blkdev *dev)
{
    uint32_t pages = min(dev->max_segments, (uint32_t)BLK_IO_CHUNK_PAGES);
    return (uint64_t)pages * (PAGE_SIZE / dev->sector_size);
}

/* Allocates and submits one chunk. Returns 0 or -errno (nothing left outstanding then). */
static int submit_chunk(struct blk_call *call, enum blk_op op, uint64_t sector, uint64_t count,
                        uint8_t *user)
{
    struct blkdev *dev = call->dev;
    struct blk_chunk *c = kcalloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->call = call;
    c->req.op = op;
    c->req.sector = sector;
    c->req.count = (uint32_t)count;
    c->req.done = chunk_done;
    if (op == BLK_OP_READ || op == BLK_OP_WRITE) {
        c->bytes = count * dev->sector_size;
        c->bounce_order = page_order_for(c->bytes);
        c->bounce = page_alloc(c->bounce_order);
        if (!c->bounce) {
            kfree(c);
            return -ENOMEM;
        }
        size_t left = c->bytes;
        for (unsigned i = 0; left; i++) {
            c->segs[i].addr = c->bounce + (size_t)i * PAGE_SIZE;
            c->segs[i].len = (uint32_t)min(left, (size_t)PAGE_SIZE);
            left -= c->segs[i].len;
            c->req.nr_segments = i + 1;
        }
        c->req.segments = c->segs;
        size_t whole = (size_t)PAGE_SIZE << c->bounce_order;
        size_t filled = 0;
        if (op == BLK_OP_WRITE) {
            memcpy(c->bounce, user, c->bytes);
            filled = c->bytes;
        }
        memset(c->bounce + filled, 0, whole - filled);
        if (op != BLK_OP_WRITE)
            c->user = user;
    }
    int err = blkdev_submit(dev, &c->req);
    if (err) {
        if (c->bounce)
            page_free(c->bounce, c->bounce_order);
        kfree(c);
        return err;
    }
    call->outstanding++;
    return 0;
}

/* Runs op over [sector, sector + count) in chunks (a flush is one chunk with no range). */
static int run_call(struct blkdev *dev, enum blk_op op, uint64_t sector, uint64_t count,
                    uint8_t *buf, uint64_t deadline_ns)
{
    kassert(fiber_current() != NULL);
    if (op != BLK_OP_FLUSH) {
        int err = blk_check_range(dev, op, sector, count);
        if (err) {
            dev->stats.refused++;
            return err;
        }
    }
    struct blk_call *call = kcalloc(1, sizeof(*call));
    if (!call)
        return -ENOMEM;
    call->dev = dev;
    waitq_init(&call->waiters);
    /* Discards carry no data: one request for the whole range if it fits a request. */
    uint64_t per_chunk = op == BLK_OP_DISCARD ? UINT32_MAX : chunk_sectors(dev);
    uint64_t done_sectors = 0;
    bool all_submitted = op == BLK_OP_FLUSH ? false : count == 0;
    int result = 0;
    for (;;) {
        while (!all_submitted && call->status == 0 && call->outstanding < BLK_IO_WINDOW) {
            uint64_t n = op == BLK_OP_FLUSH ? 0 : min(per_chunk, count - done_sectors);
            uint8_t *user = buf ? buf + done_sectors * dev->sector_size : NULL;
            int err = submit_chunk(call, op, sector + done_sectors, n, user);
            if (err) {
                call->status = err;
                break;
            }
            done_sectors += n;
            all_submitted = op == BLK_OP_FLUSH || done_sectors == count;
        }
        if (call->outstanding == 0)
            break;
        if (waitq_wait(&call->waiters, deadline_ns) == -ETIMEDOUT && call->outstanding) {
            log_warn("blk", "%s: %s at sector %llu timed out with %u requests in flight",
                     dev->name, blk_op_name(op), (unsigned long long)sector,
                     call->outstanding);
            dev->stats.timeouts++;
            call->abandoned = true;
            return -ETIMEDOUT;
        }
    }
    result = call->status;
    kfree(call);
    return result;
}

int blk_read(struct blkdev *dev, uint64_t sector, void *buf, uint64_t count, uint64_t deadline_ns)
{
    return run_call(dev, BLK_OP_READ, sector, count, buf, deadline_ns);
}

int blk_write(struct blkdev *dev, uint64_t sector, const void *buf, uint64_t count,
              uint64_t deadline_ns)
{
    /* The bounce copy is the only access: the const is honoured. */
    return run_call(dev, BLK_OP_WRITE, sector, count, (uint8_t *)(uintptr_t)buf, deadline_ns);
}

int blk_flush(struct blkdev *dev, uint64_t deadline_ns)
{
    return run_call(dev, BLK_OP_FLUSH, 0, 0, NULL, deadline_ns);
}

int blk_discard(struct blkdev *dev, uint64_t sector, uint64_t count, uint64_t deadline_ns)
{
    return run_call(dev, BLK_OP_DISCARD, sector, count, NULL, deadline_ns);
}

/* ---- the public face of a device (xenolith/blk.h) ---- */

void blk_close(struct blkdev *dev)
{
    if (dev)
        blkdev_destroy(dev);
}

const char *blk_name(const struct blkdev *dev)
{
    return dev->name;
}

uint32_t blk_sector_size(const struct blkdev *dev)
{
    return dev->sector_size;
}

uint64_t blk_capacity(const struct blkdev *dev)
{
    return dev->capacity;
}

bool blk_read_only(const struct blkdev *dev)
{
    return dev->read_only;
}
