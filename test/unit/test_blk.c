/*
 * Unit tests for the block layer (blk/blkdev.c, blk/blk_io.c) on the in-memory disk with the
 * simulated clock: bounds, read-only refusal, error propagation, completion only after the
 * backend acknowledged, several requests in flight, flush ordering, deferred completions,
 * segment checks, deadlines, discards and the memdisk's own fault injection.
 */
#include "test/unit/blk_fixture.h"
#include "xenolith/test_main.h"

#include <stdlib.h>

static struct blkdev *disk;

static int nothing(void *arg)
{
    return 0;
}

static void setup(void)
{
    blk_boot();
    disk = memdisk_create("md0", 512, 1024, BLKDEV_CAP_FLUSH | BLKDEV_CAP_DISCARD);
    ck_assert_ptr_nonnull(disk);
    /* Let the scheduler allocate what it keeps (timer heap, ...) before tests count the heap. */
    blk_run_task(nothing, NULL, SEC);
    sim_reset(T0);
}

/* ---- helper calls run in a fiber ---- */
struct io_args {
    struct blkdev *dev;
    enum blk_op op;
    uint64_t sector, count;
    void *buf;
    uint64_t deadline;
};

static int do_io(void *arg)
{
    struct io_args *a = arg;
    switch (a->op) {
    case BLK_OP_READ: return blk_read(a->dev, a->sector, a->buf, a->count, a->deadline);
    case BLK_OP_WRITE: return blk_write(a->dev, a->sector, a->buf, a->count, a->deadline);
    case BLK_OP_FLUSH: return blk_flush(a->dev, a->deadline);
    case BLK_OP_DISCARD: return blk_discard(a->dev, a->sector, a->count, a->deadline);
    }
    return -EINVAL;
}

static int io(struct blkdev *dev, enum blk_op op, uint64_t sector, uint64_t count, void *buf)
{
    struct io_args a = { dev, op, sector, count, buf, DEADLINE_NONE };
    return blk_run_task(do_io, &a, 10 * SEC);
}

static void fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + seed + (i >> 9));
}

START_TEST(write_then_read_round_trips_with_any_buffer_alignment)
{
    /* 100 sectors: several chunks; buffers deliberately at odd addresses. */
    size_t n = 100 * 512;
    uint8_t *wbuf = malloc(n + 3), *rbuf = malloc(n + 5);
    fill_pattern(wbuf + 3, n, 1);
    ck_assert_int_eq(io(disk, BLK_OP_WRITE, 17, 100, wbuf + 3), 0);
    ck_assert_int_eq(memcmp(memdisk_contents(disk) + 17 * 512, wbuf + 3, n), 0);
    ck_assert_int_eq(io(disk, BLK_OP_READ, 17, 100, rbuf + 5), 0);
    ck_assert_int_eq(memcmp(rbuf + 5, wbuf + 3, n), 0);
    ck_assert_uint_eq(disk->stats.sectors_written, 100);
    ck_assert_uint_eq(disk->stats.sectors_read, 100);
    free(wbuf);
    free(rbuf);
}
END_TEST

START_TEST(ranges_past_the_end_are_refused_by_name)
{
    uint8_t buf[1024];
    uint64_t heap = blk_heap_in_use();
    ck_assert_int_eq(io(disk, BLK_OP_READ, 1023, 2, buf), -EINVAL);
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "md0: read of 2 sectors at sector 1023 "
                                                        "refused: past the end"));
    ck_assert_int_eq(io(disk, BLK_OP_WRITE, 1024, 1, buf), -ENOSPC);
    /* sector + count wraps around 2^64: still past the end, not a small number. */
    ck_assert_int_eq(io(disk, BLK_OP_READ, UINT64_MAX, 2, buf), -EINVAL);
    ck_assert_int_eq(io(disk, BLK_OP_READ, 0, 0, buf), -EINVAL);
    ck_assert_int_eq(io(disk, BLK_OP_DISCARD, 1000, 25, NULL), -EINVAL);
    /* The last sector itself is fine. */
    ck_assert_int_eq(io(disk, BLK_OP_READ, 1023, 1, buf), 0);
    ck_assert_uint_eq(disk->stats.refused, 5);
    ck_assert_uint_eq(memdisk_in_backend(disk), 0);
    unsigned logged;
    memdisk_log(disk, &logged);
    ck_assert_uint_eq(logged, 1);          /* nothing refused reached the backend */
    ck_assert_uint_eq(blk_heap_in_use(), heap);
}
END_TEST

START_TEST(read_only_device_refuses_writes_and_discards)
{
    uint8_t buf[512];
    memset(buf, 0x5a, sizeof(buf));
    memdisk_set_read_only(disk, true);
    ck_assert_int_eq(io(disk, BLK_OP_WRITE, 0, 1, buf), -EROFS);
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "md0: write of 1 sectors at sector 0 "
                                                        "refused: the device is read-only"));
    ck_assert_int_eq(io(disk, BLK_OP_DISCARD, 0, 8, NULL), -EROFS);
    ck_assert_uint_eq(memdisk_contents(disk)[0], 0);
    ck_assert_int_eq(io(disk, BLK_OP_READ, 0, 1, buf), 0);
    ck_assert_uint_eq(buf[0], 0);
    /* A flush on a read-only device has nothing to do but is not an error. */
    ck_assert_int_eq(io(disk, BLK_OP_FLUSH, 0, 0, NULL), 0);
}
END_TEST

START_TEST(backend_errors_propagate)
{
    uint8_t buf[4096];
    memdisk_fail_requests(disk, 0, 1, -EIO);
    ck_assert_int_eq(io(disk, BLK_OP_READ, 0, 8, buf), -EIO);
    ck_assert_uint_eq(disk->stats.errors, 1);
    ck_assert_int_eq(io(disk, BLK_OP_READ, 0, 8, buf), 0);
    /* A bad sector in the middle of a long read fails the whole call, and a failed write does
     * not claim success: its data never lands. */
    static uint8_t big[300 * 512];
    memdisk_fail_sector(disk, 200, -EIO);
    ck_assert_int_eq(io(disk, BLK_OP_READ, 0, 300, big), -EIO);
    memset(big, 0x77, sizeof(big));
    ck_assert_int_eq(io(disk, BLK_OP_WRITE, 195, 10, big), -EIO);
    ck_assert_uint_eq(memdisk_contents(disk)[195 * 512], 0);
    memdisk_fail_sector(disk, UINT64_MAX, 0);
    ck_assert_int_eq(io(disk, BLK_OP_WRITE, 195, 10, big), 0);
    ck_assert_uint_eq(memdisk_contents(disk)[195 * 512], 0x77);
}
END_TEST

START_TEST(write_returns_only_after_the_backend_acknowledged)
{
    static uint8_t buf[8 * 512];
    memset(buf, 0xab, sizeof(buf));
    memdisk_set_latency(disk, BLK_OP_WRITE, 5 * MS);
    struct io_args a = { disk, BLK_OP_WRITE, 8, 8, buf, DEADLINE_NONE };
    struct blk_task t;
    blk_task_start(&t, do_io, &a);
    blk_run_until(T0 + 4 * MS);
    ck_assert(!t.finished);
    ck_assert_uint_eq(memdisk_contents(disk)[8 * 512], 0);   /* not yet acknowledged */
    blk_run_until(T0 + 6 * MS);
    ck_assert(t.finished);
    ck_assert_int_eq(t.result, 0);
    ck_assert_uint_eq(t.finished_ns, T0 + 5 * MS);
    ck_assert_uint_eq(memdisk_contents(disk)[8 * 512], 0xab);

    /* Held by the backend: however long we wait, the write does not return. */
    memdisk_hold(disk, true);
    blk_task_start(&t, do_io, &a);
    blk_run_for(10 * SEC);
    ck_assert(!t.finished);
    ck_assert_uint_eq(memdisk_in_backend(disk), 1);
    memdisk_hold(disk, false);
    blk_run_for(MS);
    ck_assert(t.finished);
    ck_assert_int_eq(t.result, 0);
}
END_TEST

START_TEST(several_requests_in_flight)
{
    /* One page per request: a 64-page read is 64 requests, BLK_IO_WINDOW in flight at a time,
     * so it takes 64 / BLK_IO_WINDOW latencies, not 64. */
    disk->max_segments = 1;
    memdisk_set_latency(disk, BLK_OP_READ, 1 * MS);
    static uint8_t buf[64 * 4096];
    struct io_args a = { disk, BLK_OP_READ, 0, 64 * 8, buf, DEADLINE_NONE };
    struct blk_task t;
    blk_task_start(&t, do_io, &a);
    while (!t.finished)
        blk_run_for(MS / 4);
    ck_assert_int_eq(t.result, 0);
    ck_assert_uint_eq(disk->stats.reads, 64);
    ck_assert_uint_eq(disk->stats.in_flight_peak, BLK_IO_WINDOW);
    ck_assert_uint_eq(t.finished_ns - T0, (64 / BLK_IO_WINDOW) * MS);
}
END_TEST

/* ---- raw requests through blkdev_submit ---- */
#define RAW_MAX 64
static struct blk_request raw[RAW_MAX];
static struct blk_segment raw_seg[RAW_MAX];
static int raw_status[RAW_MAX];
static uint64_t raw_done_ns[RAW_MAX];
static int raw_order[RAW_MAX];
static unsigned raw_done_count;
static uint8_t *raw_pages;

static void raw_done(struct blk_request *req, int status)
{
    int i = (int)(req - raw);
    raw_status[i] = status;
    raw_done_ns[i] = sim_now();
    raw_order[raw_done_count++] = i;
}

static void raw_reset(void)
{
    memset(raw, 0, sizeof(raw));
    raw_done_count = 0;
    for (int i = 0; i < RAW_MAX; i++) {
        raw_status[i] = 1;
        raw_done_ns[i] = 0;
    }
    if (!raw_pages)
        raw_pages = page_alloc(page_order_for(RAW_MAX * 4096));
}

static int raw_submit(int i, enum blk_op op, uint64_t sector, uint32_t count)
{
    raw[i].op = op;
    raw[i].sector = sector;
    raw[i].count = count;
    raw[i].done = raw_done;
    if (op == BLK_OP_READ || op == BLK_OP_WRITE) {
        raw_seg[i].addr = raw_pages + (size_t)i * 4096;
        raw_seg[i].len = count * 512;
        raw[i].segments = &raw_seg[i];
        raw[i].nr_segments = 1;
    }
    return blkdev_submit(disk, &raw[i]);
}

START_TEST(layer_keeps_within_max_in_flight_and_queues_the_rest)
{
    raw_reset();
    disk->max_in_flight = 4;
    memdisk_set_latency(disk, BLK_OP_READ, 1 * MS);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(raw_submit(i, BLK_OP_READ, (uint64_t)i * 8, 8), 0);
    ck_assert_uint_eq(memdisk_in_backend(disk), 4);
    ck_assert_uint_eq(blkdev_pending(disk), 10);
    blk_run_for(10 * MS);
    ck_assert_uint_eq(raw_done_count, 10);
    ck_assert_uint_eq(disk->stats.in_flight_peak, 4);
    ck_assert_uint_eq(blkdev_pending(disk), 0);
    /* FIFO: completion order equals submission order here (equal latencies). */
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(raw_order[i], i);
}
END_TEST

START_TEST(flush_waits_for_earlier_writes_and_holds_later_ones)
{
    raw_reset();
    memdisk_set_latency(disk, BLK_OP_WRITE, 10 * MS);
    memdisk_set_latency(disk, BLK_OP_FLUSH, 1 * MS);
    ck_assert_int_eq(raw_submit(0, BLK_OP_WRITE, 0, 8), 0);
    ck_assert_int_eq(raw_submit(1, BLK_OP_WRITE, 8, 8), 0);
    ck_assert_int_eq(raw_submit(2, BLK_OP_FLUSH, 0, 0), 0);
    ck_assert_int_eq(raw_submit(3, BLK_OP_WRITE, 16, 8), 0);
    /* Only the two earlier writes reach the backend until they complete. */
    ck_assert_uint_eq(memdisk_in_backend(disk), 2);
    blk_run_for(100 * MS);
    ck_assert_uint_eq(raw_done_count, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(raw_status[i], 0);
        ck_assert_int_eq(raw_order[i], i);
    }
    unsigned n;
    const struct memdisk_event *log = memdisk_log(disk, &n);
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(log[2].op, BLK_OP_FLUSH);
    ck_assert_uint_ge(log[2].accepted_ns, log[0].completed_ns);
    ck_assert_uint_ge(log[2].accepted_ns, log[1].completed_ns);
    ck_assert_uint_ge(log[3].accepted_ns, log[2].completed_ns);
    ck_assert_uint_eq(raw_done_ns[2], T0 + 11 * MS);
    ck_assert_uint_eq(raw_done_ns[3], T0 + 21 * MS);
    ck_assert_uint_eq(disk->stats.flushes, 1);
}
END_TEST

START_TEST(flush_without_a_cache_is_ordered_but_not_sent)
{
    struct blkdev *nocache = memdisk_create("md1", 512, 64, 0);
    struct blkdev *saved = disk;
    disk = nocache;
    raw_reset();
    memdisk_set_latency(disk, BLK_OP_WRITE, 3 * MS);
    ck_assert_int_eq(raw_submit(0, BLK_OP_WRITE, 0, 8), 0);
    ck_assert_int_eq(raw_submit(1, BLK_OP_FLUSH, 0, 0), 0);
    blk_run_for(10 * MS);
    ck_assert_uint_eq(raw_done_count, 2);
    ck_assert_int_eq(raw_order[0], 0);
    ck_assert_uint_eq(raw_done_ns[1], T0 + 3 * MS);
    unsigned n;
    memdisk_log(disk, &n);
    ck_assert_uint_eq(n, 1);               /* the backend never saw the flush */
    blkdev_destroy(nocache);
    disk = saved;
}
END_TEST

START_TEST(done_never_runs_inside_submit)
{
    raw_reset();
    /* Latency 0: the backend could answer at once, the layer still defers. */
    ck_assert_int_eq(raw_submit(0, BLK_OP_READ, 0, 8), 0);
    ck_assert_uint_eq(raw_done_count, 0);
    blk_run_for(1);
    ck_assert_uint_eq(raw_done_count, 1);
}
END_TEST

/* A backend that answers inline from submit, or refuses synchronously. */
static int inline_submit(struct blkdev *dev, struct blk_request *req)
{
    if (req->sector == 5)
        return -EIO;
    blkdev_complete(dev, req, 0);
    return 0;
}
static const struct blkdev_ops inline_ops = { .submit = inline_submit };

START_TEST(inline_and_synchronous_backend_answers_are_deferred_in_order)
{
    struct blkdev dev;
    ck_assert_int_eq(blkdev_init(&dev, &inline_ops, "inl", 512, 64, false, 0, 8, 8, NULL), 0);
    struct blkdev *saved = disk;
    disk = &dev;
    raw_reset();
    ck_assert_int_eq(raw_submit(0, BLK_OP_READ, 0, 1), 0);
    ck_assert_int_eq(raw_submit(1, BLK_OP_READ, 5, 1), 0);
    ck_assert_int_eq(raw_submit(2, BLK_OP_READ, 6, 1), 0);
    ck_assert_uint_eq(raw_done_count, 0);
    ck_assert_uint_eq(blkdev_pending(&dev), 3);
    blk_run_for(1);
    ck_assert_uint_eq(raw_done_count, 3);
    ck_assert_int_eq(raw_order[0], 0);
    ck_assert_int_eq(raw_order[1], 1);
    ck_assert_int_eq(raw_order[2], 2);
    ck_assert_int_eq(raw_status[1], -EIO);
    ck_assert_int_eq(raw_status[2], 0);
    ck_assert_uint_eq(blkdev_pending(&dev), 0);
    disk = saved;
}
END_TEST

START_TEST(malformed_requests_are_refused)
{
    raw_reset();
    struct blk_request r;
    struct blk_segment seg[2];
    memset(&r, 0, sizeof(r));
    r.op = BLK_OP_READ;
    r.count = 1;
    r.done = raw_done;
    r.segments = seg;
    r.nr_segments = 1;
    /* Address not sector-aligned. */
    seg[0] = (struct blk_segment){ raw_pages + 100, 512 };
    ck_assert_int_eq(blkdev_submit(disk, &r), -EINVAL);
    /* Crossing a page boundary. */
    seg[0] = (struct blk_segment){ raw_pages + 4096 - 512, 1024 };
    r.count = 2;
    ck_assert_int_eq(blkdev_submit(disk, &r), -EINVAL);
    /* Segments that do not add up to the count. */
    seg[0] = (struct blk_segment){ raw_pages, 512 };
    ck_assert_int_eq(blkdev_submit(disk, &r), -EINVAL);
    /* More segments than the device takes. */
    disk->max_segments = 1;
    seg[1] = (struct blk_segment){ raw_pages + 4096, 512 };
    r.nr_segments = 2;
    ck_assert_int_eq(blkdev_submit(disk, &r), -EINVAL);
    /* A flush with a range, no callback, an unknown operation. */
    struct blk_request f = { .op = BLK_OP_FLUSH, .count = 1, .done = raw_done };
    ck_assert_int_eq(blkdev_submit(disk, &f), -EINVAL);
    struct blk_request nodone = { .op = BLK_OP_FLUSH };
    ck_assert_int_eq(blkdev_submit(disk, &nodone), -EINVAL);
    struct blk_request bad = { .op = (enum blk_op)9, .done = raw_done };
    ck_assert_int_eq(blkdev_submit(disk, &bad), -EINVAL);
    ck_assert_uint_eq(disk->stats.refused, 7);
    blk_run_for(MS);
    ck_assert_uint_eq(raw_done_count, 0);  /* refused requests are never completed */
}
END_TEST

START_TEST(deadline_gives_up_without_touching_the_buffer_later)
{
    memdisk_set_latency(disk, BLK_OP_READ, 100 * MS);
    memset(memdisk_contents(disk), 0x11, 4096);
    static uint8_t buf[4096];
    memset(buf, 0xaa, sizeof(buf));
    uint64_t heap = blk_heap_in_use();
    struct io_args a = { disk, BLK_OP_READ, 0, 8, buf, T0 + 10 * MS };
    struct blk_task t;
    blk_task_start(&t, do_io, &a);
    blk_run_until(T0 + 20 * MS);
    ck_assert(t.finished);
    ck_assert_int_eq(t.result, -ETIMEDOUT);
    ck_assert_uint_eq(t.finished_ns, T0 + 10 * MS);
    ck_assert_uint_eq(disk->stats.timeouts, 1);
    blk_run_until(T0 + 200 * MS);
    ck_assert_uint_eq(disk->stats.reads, 1);       /* it did complete, in the background */
    ck_assert_uint_eq(buf[0], 0xaa);
    ck_assert_uint_eq(blk_heap_in_use(), heap);    /* and its memory went back */
}
END_TEST

START_TEST(discard_zeroes_where_supported)
{
    memset(memdisk_contents(disk), 0xee, 16 * 512);
    ck_assert_int_eq(io(disk, BLK_OP_DISCARD, 4, 8, NULL), 0);
    ck_assert_uint_eq(memdisk_contents(disk)[3 * 512], 0xee);
    ck_assert_uint_eq(memdisk_contents(disk)[4 * 512], 0);
    ck_assert_uint_eq(memdisk_contents(disk)[12 * 512 - 1], 0);
    ck_assert_uint_eq(memdisk_contents(disk)[12 * 512], 0xee);
    ck_assert_uint_eq(disk->stats.discards, 1);
    disk->caps &= ~(uint32_t)BLKDEV_CAP_DISCARD;
    ck_assert_int_eq(io(disk, BLK_OP_DISCARD, 4, 8, NULL), -EOPNOTSUPP);
}
END_TEST

START_TEST(large_sectors_work_and_bad_sizes_are_refused)
{
    struct blkdev *big = memdisk_create("md4k", 4096, 16, 0);
    ck_assert_ptr_nonnull(big);
    static uint8_t w[3 * 4096], r[3 * 4096];
    fill_pattern(w, sizeof(w), 9);
    ck_assert_int_eq(io(big, BLK_OP_WRITE, 13, 3, w), 0);
    ck_assert_int_eq(io(big, BLK_OP_READ, 13, 3, r), 0);
    ck_assert_int_eq(memcmp(w, r, sizeof(w)), 0);
    ck_assert_int_eq(io(big, BLK_OP_READ, 14, 3, r), -EINVAL);
    blkdev_destroy(big);

    struct blkdev dev;
    ck_assert_int_eq(blkdev_init(&dev, &inline_ops, "odd", 1000, 8, false, 0, 1, 1, NULL), -EINVAL);
    ck_assert_int_eq(blkdev_init(&dev, &inline_ops, "huge", 8192, 8, false, 0, 1, 1, NULL), -EINVAL);
    ck_assert_int_eq(blkdev_init(&dev, &inline_ops, "tiny", 256, 8, false, 0, 1, 1, NULL), -EINVAL);
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "odd: sector size 1000 is not a power of two"));
}
END_TEST

START_TEST(memdisk_log_and_fault_schedule)
{
    uint8_t buf[512];
    memdisk_fail_requests(disk, 2, 2, -EIO);
    int results[5];
    for (int i = 0; i < 5; i++)
        results[i] = io(disk, BLK_OP_READ, (uint64_t)i, 1, buf);
    ck_assert_int_eq(results[0], 0);
    ck_assert_int_eq(results[1], 0);
    ck_assert_int_eq(results[2], -EIO);
    ck_assert_int_eq(results[3], -EIO);
    ck_assert_int_eq(results[4], 0);
    unsigned n;
    const struct memdisk_event *log = memdisk_log(disk, &n);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(log[2].status, -EIO);
    ck_assert_uint_eq(log[4].sector, 4);
    memdisk_clear_log(disk);
    memdisk_log(disk, &n);
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(disk->stats.errors, 2);
    ck_assert_uint_eq(disk->stats.reads, 3);
}
END_TEST

/* A caller that gave up on a dead disk (-ETIMEDOUT) and destroys it: the backend still holds a
 * request and its buffers, so the device is left as it is (with a message) instead of being
 * freed under the backend -- which used to be a panic that took the appliance down. */
START_TEST(destroy_with_requests_pending_leaves_the_device)
{
    raw_reset();
    memdisk_hold(disk, true);
    ck_assert_int_eq(raw_submit(0, BLK_OP_READ, 0, 1), 0);
    blkdev_destroy(disk);
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "md0: 1 requests still pending"));
    /* Still a working device: the request completes once the backend answers. */
    memdisk_hold(disk, false);
    blk_run_for(1);
    ck_assert_uint_eq(raw_done_count, 1);
    ck_assert_int_eq(raw_status[0], 0);
    blkdev_destroy(disk);
}
END_TEST

/* A backend that records whether read buffers were all zeros when it got them. */
static unsigned peek_reads, peek_dirty;
static int peek_submit(struct blkdev *dev, struct blk_request *req)
{
    for (uint32_t i = 0; req->op == BLK_OP_READ && i < req->nr_segments; i++) {
        const uint8_t *p = req->segments[i].addr;
        peek_reads++;
        for (uint32_t k = 0; k < req->segments[i].len; k++)
            if (p[k]) {
                peek_dirty++;
                break;
            }
    }
    blkdev_complete(dev, req, 0);
    return 0;
}
static const struct blkdev_ops peek_ops = { .submit = peek_submit };

/* XSA-403's rule for the layer: a device never gets to see stale memory through blk_io's bounce
 * pages (a backend that shares them, or a buggy one that answers a read without filling it,
 * would show old kernel data). On the old code bounce pages came from page_alloc unzeroed. */
START_TEST(bounce_pages_hold_no_stale_memory)
{
    void *blocks[16];
    for (int i = 0; i < 16; i++) {
        blocks[i] = page_alloc(2);
        ck_assert_ptr_nonnull(blocks[i]);
        memset(blocks[i], 0xab, 4 * 4096);
    }
    for (int i = 15; i >= 0; i--)
        page_free(blocks[i], 2);
    struct blkdev dev;
    ck_assert_int_eq(blkdev_init(&dev, &peek_ops, "peek", 512, 256, false, 0, 4, 16, NULL), 0);
    uint8_t *buf = malloc(3 * 4096);
    peek_reads = peek_dirty = 0;
    ck_assert_int_eq(io(&dev, BLK_OP_READ, 0, 24, buf), 0);
    ck_assert_uint_eq(peek_reads, 3);
    ck_assert_uint_eq(peek_dirty, 0);
    ck_assert_uint_eq(buf[0], 0);                         /* and what came back is zeros */
    free(buf);
}
END_TEST

static Suite *blk_suite(void)
{
    Suite *s = suite_create("blk");
    TCase *tc = tcase_create("layer");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, write_then_read_round_trips_with_any_buffer_alignment);
    tcase_add_test(tc, ranges_past_the_end_are_refused_by_name);
    tcase_add_test(tc, read_only_device_refuses_writes_and_discards);
    tcase_add_test(tc, backend_errors_propagate);
    tcase_add_test(tc, write_returns_only_after_the_backend_acknowledged);
    tcase_add_test(tc, several_requests_in_flight);
    tcase_add_test(tc, layer_keeps_within_max_in_flight_and_queues_the_rest);
    tcase_add_test(tc, flush_waits_for_earlier_writes_and_holds_later_ones);
    tcase_add_test(tc, flush_without_a_cache_is_ordered_but_not_sent);
    tcase_add_test(tc, done_never_runs_inside_submit);
    tcase_add_test(tc, inline_and_synchronous_backend_answers_are_deferred_in_order);
    tcase_add_test(tc, malformed_requests_are_refused);
    tcase_add_test(tc, deadline_gives_up_without_touching_the_buffer_later);
    tcase_add_test(tc, discard_zeroes_where_supported);
    tcase_add_test(tc, large_sectors_work_and_bad_sizes_are_refused);
    tcase_add_test(tc, memdisk_log_and_fault_schedule);
    tcase_add_test(tc, destroy_with_requests_pending_leaves_the_device);
    tcase_add_test(tc, bounce_pages_hold_no_stale_memory);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(blk_suite)
