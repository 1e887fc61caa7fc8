/*
 * blk/memdisk: the in-memory block device of memdisk.h. Accepted requests wait in a list
 * ordered by due time (ties in acceptance order); one timer, armed for the head, completes
 * whatever is due, moving the data at that moment.
 */
#include "blk/memdisk.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "platform/platform.h"
#include "sched/sched.h"

struct memdisk {
    struct blkdev dev;
    uint8_t *data;
    struct list_node pending;          /* by due time */
    unsigned pending_count;
    struct timer timer;
    bool held;
    uint64_t latency_ns[4];            /* per enum blk_op */
    unsigned fail_skip, fail_count;
    int fail_status;
    uint64_t bad_sector;
    int bad_sector_status;
    struct memdisk_event log[MEMDISK_LOG_MAX];
    unsigned log_start, log_count;
};

/* What the backend keeps per accepted request (pointed to by blk_request.backend_data). */
struct memdisk_slot {
    uint64_t due_ns;
    int status;                        /* planned by fault injection */
    unsigned log_seq;                  /* its entry in the log, while the log still holds it */
};

static struct memdisk *to_memdisk(const struct blkdev *dev)
{
    return dev->priv;
}

static struct memdisk_event *log_slot(struct memdisk *m, unsigned seq)
{
    return &m->log[seq % MEMDISK_LOG_MAX];
}

static void move_data(struct memdisk *m, struct blk_request *req)
{
    uint32_t ss = m->dev.sector_size;
    uint8_t *at = m->data + req->sector * ss;
    switch (req->op) {
    case BLK_OP_READ:
        for (uint32_t i = 0; i < req->nr_segments; i++) {
            memcpy(req->segments[i].addr, at, req->segments[i].len);
            at += req->segments[i].len;
        }
        break;
    case BLK_OP_WRITE:
        for (uint32_t i = 0; i < req->nr_segments; i++) {
            memcpy(at, req->segments[i].addr, req->segments[i].len);
            at += req->segments[i].len;
        }
        break;
    case BLK_OP_DISCARD:
        memset(at, 0, (size_t)req->count * ss);
        break;
    case BLK_OP_FLUSH:
        break;
    }
}

static struct memdisk_slot *slot_of(struct blk_request *req)
{
    return (struct memdisk_slot *)(uintptr_t)req->backend_data;
}

static void arm(struct memdisk *m)
{
    if (m->held || list_empty(&m->pending)) {
        timer_cancel(&m->timer);
        return;
    }
    struct blk_request *head = container_of(m->pending.next, struct blk_request, backend_link);
    timer_arm(&m->timer, slot_of(head)->due_ns);
}

static void complete_due(struct timer *t, void *arg)
{
    struct memdisk *m = arg;
    uint64_t now = platform_monotonic_ns();
    while (!m->held && !list_empty(&m->pending)) {
        struct blk_request *req = container_of(m->pending.next, struct blk_request, backend_link);
        struct memdisk_slot *slot = slot_of(req);
        if (slot->due_ns > now)
            break;
        list_remove(&req->backend_link);
        m->pending_count--;
        int status = slot->status;
        if (status == 0)
            move_data(m, req);
        /* Sequence numbers only grow: an entry older than log_start has been dropped. */
        if (slot->log_seq >= m->log_start) {
            struct memdisk_event *e = log_slot(m, slot->log_seq);
            e->completed_ns = now;
            e->status = status;
        }
        kfree(slot);
        blkdev_complete(&m->dev, req, status);
    }
    arm(m);
}

static bool touches_bad_sector(const struct memdisk *m, const struct blk_request *req)
{
    if (m->bad_sector == UINT64_MAX || (req->op != BLK_OP_READ && req->op != BLK_OP_WRITE))
        return false;
    return m->bad_sector >= req->sector && m->bad_sector - req->sector < req->count;
}

static int memdisk_submit(struct blkdev *dev, struct blk_request *req)
{
    struct memdisk *m = to_memdisk(dev);
    struct memdisk_slot *slot = kcalloc(1, sizeof(*slot));
    if (!slot)
        return -ENOMEM;
    uint64_t now = platform_monotonic_ns();
    slot->due_ns = now + m->latency_ns[req->op];
    if (m->fail_skip) {
        m->fail_skip--;
    } else if (m->fail_count) {
        m->fail_count--;
        slot->status = m->fail_status;
    }
    if (slot->status == 0 && touches_bad_sector(m, req))
        slot->status = m->bad_sector_status;

    if (m->log_count == MEMDISK_LOG_MAX) {
        m->log_start++;
        m->log_count--;
    }
    unsigned seq = m->log_start + m->log_count++;
    struct memdisk_event *e = log_slot(m, seq);
    *e = (struct memdisk_event){ .op = req->op, .sector = req->sector, .count = req->count,
                                 .accepted_ns = now };
    slot->log_seq = seq;
    req->backend_data = (uint64_t)(uintptr_t)slot;

    /* Insert after every request due at or before this one: equal due times keep FIFO order. */
    struct list_node *pos = m->pending.prev;
    while (pos != &m->pending &&
           slot_of(container_of(pos, struct blk_request, backend_link))->due_ns > slot->due_ns)
        pos = pos->prev;
    list_insert_between(&req->backend_link, pos, pos->next);
    m->pending_count++;
    arm(m);
    return 0;
}

static void memdisk_destroy(struct blkdev *dev)
{
    struct memdisk *m = to_memdisk(dev);
    timer_cancel(&m->timer);
    kfree(m->data);
    kfree(m);
}

static const struct blkdev_ops memdisk_ops = {
    .submit = memdisk_submit,
    .destroy = memdisk_destroy,
};

struct blkdev *memdisk_create(const char *name, uint32_t sector_size, uint64_t sectors,
                              uint32_t caps)
{
    struct memdisk *m = kcalloc(1, sizeof(*m));
    if (!m)
        return NULL;
    if (blkdev_init(&m->dev, &memdisk_ops, name, sector_size, sectors, false, caps,
                    MEMDISK_MAX_IN_FLIGHT, MEMDISK_MAX_SEGMENTS, m) != 0) {
        kfree(m);
        return NULL;
    }
    if (sectors > __SIZE_MAX__ / sector_size) {
        log_error("blk", "%s: %llu sectors do not fit in memory", m->dev.name,
                  (unsigned long long)sectors);
        kfree(m);
        return NULL;
    }
    /* kcalloc(0) still gives a unique object, so an empty disk has valid contents. */
    m->data = kcalloc((size_t)sectors, sector_size);
    if (!m->data) {
        log_error("blk", "%s: no memory for %llu sectors", m->dev.name, (unsigned long long)sectors);
        kfree(m);
        return NULL;
    }
    list_init(&m->pending);
    timer_init(&m->timer, complete_due, m);
    m->bad_sector = UINT64_MAX;
    return &m->dev;
}

struct blkdev *memdisk_create_from(const char *name, uint32_t sector_size, const void *image,
                                   size_t len, bool read_only)
{
    if (sector_size == 0)
        return NULL;
    uint64_t sectors = len / sector_size + (len % sector_size != 0);
    struct blkdev *dev = memdisk_create(name, sector_size, sectors, 0);
    if (!dev)
        return NULL;
    if (len)
        memcpy(memdisk_contents(dev), image, len);
    dev->read_only = read_only;
    return dev;
}

uint8_t *memdisk_contents(struct blkdev *dev)
{
    return to_memdisk(dev)->data;
}

void memdisk_set_read_only(struct blkdev *dev, bool read_only)
{
    dev->read_only = read_only;
}

void memdisk_set_latency(struct blkdev *dev, enum blk_op op, uint64_t latency_ns)
{
    if ((unsigned)op < 4)
        to_memdisk(dev)->latency_ns[op] = latency_ns;
}

void memdisk_fail_requests(struct blkdev *dev, unsigned skip, unsigned count, int status)
{
    struct memdisk *m = to_memdisk(dev);
    m->fail_skip = skip;
    m->fail_count = count;
    m->fail_status = status;
}

void memdisk_fail_sector(struct blkdev *dev, uint64_t sector, int status)
{
    struct memdisk *m = to_memdisk(dev);
    m->bad_sector = sector;
    m->bad_sector_status = status;
}

void memdisk_hold(struct blkdev *dev, bool hold)
{
    struct memdisk *m = to_memdisk(dev);
    m->held = hold;
    arm(m);
}

unsigned memdisk_in_backend(const struct blkdev *dev)
{
    return to_memdisk(dev)->pending_count;
}

const struct memdisk_event *memdisk_log(const struct blkdev *dev, unsigned *count)
{
    struct memdisk *m = to_memdisk(dev);
    /* Rotate so that the oldest entry is first in memory. */
    static struct memdisk_event ordered[MEMDISK_LOG_MAX];
    for (unsigned i = 0; i < m->log_count; i++)
        ordered[i] = *log_slot(m, m->log_start + i);
    *count = m->log_count;
    return ordered;
}

void memdisk_clear_log(struct blkdev *dev)
{
    struct memdisk *m = to_memdisk(dev);
    m->log_start += m->log_count;
    m->log_count = 0;
}
