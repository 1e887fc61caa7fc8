/*
 * test/xen/blk: the blktest image, the guest half of test/xen/blkfront-*.sh. It talks to the
 * block devices only through the seam (platform_blkdev_open, blk/blk.h), so what it proves is
 * what applications get. Modes (the words after "--"):
 *   rw       vbd 0 (every feature offered) and vbd 1 (opened without persistent grants,
 *            indirect descriptors or a multi-page ring) hold generation 1 of the pattern
 *            (pattern.h), written by dom0: every sector is read and checked, in chunks of
 *            varied sizes, by concurrent fibers and by one request of odd-shaped segments; then
 *            generation 2 is written over each disk, flushed and read back. vbd 2 is
 *            read-only: a write must be refused with -EROFS.
 *   durable  vbd 0: generation 3 over the whole disk, flush, "blktest: flush done"; then
 *            generation 4 chunk after chunk at the start of the disk, printing
 *            "blktest: acked FIRST COUNT" after each acknowledged write, until dom0 destroys
 *            the domain and checks that every acknowledged sector is on its disk.
 *   detach   vbd 0: reads the whole disk over and over, printing "blktest: reading" once, while
 *            dom0 runs xl block-detach: a read must then fail cleanly (-EIO, not hang), later
 *            reads must fail at once, and the device must close without requests pending.
 *   reconnect  vbd 0: like detach, but dom0 only sets the backend's state to Closing (a
 *            backend restart): the read in flight fails with -EIO, blkfront closes, blkback
 *            offers InitWait again and blkfront reconnects; reads must work again.
 * Lines: "blktest: ok|FAIL <check>: <detail>", then "blktest: N passed, M failed".
 */
#include "blk/blk.h"
#include "kernel/kernel.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "platform/blkdev.h"
#include "platform/platform.h"
#include "sched/sched.h"
#include "test/xen/blk/pattern.h"
#include "xen/blkfront.h"

#include <stdarg.h>

#define SECOND 1000000000ull
#define IO_BUF_BYTES (256u * 1024)

static unsigned passed, failed;

static bool check(bool ok, const char *name, const char *fmt, ...) PRINTF_LIKE(3, 4);
static bool check(bool ok, const char *name, const char *fmt, ...)
{
    char detail[200];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    kprintf("blktest: %s %s: %s\n", ok ? "ok  " : "FAIL", name, detail);
    if (ok)
        passed++;
    else
        failed++;
    return ok;
}

static uint64_t deadline(void)
{
    return platform_monotonic_ns() + 60 * SECOND;
}

/* Checks buf, which holds the device's bytes from wire sector `first`. Returns the first
 * wrong wire sector or UINT64_MAX. */
static uint64_t find_mismatch(const uint8_t *buf, uint64_t first, uint64_t n, uint32_t gen)
{
    for (uint64_t i = 0; i < n; i++)
        if (pattern_mismatch(buf + i * PATTERN_SECTOR, first + i, gen) >= 0)
            return first + i;
    return UINT64_MAX;
}

static void fill(uint8_t *buf, uint64_t first, uint64_t n, uint32_t gen)
{
    for (uint64_t i = 0; i < n; i++)
        pattern_fill(buf + i * PATTERN_SECTOR, first + i, gen);
}

/* Device sectors per chunk, cycling through sizes that give one-sector, direct (<= 11
 * segments) and indirect requests and splits by the helpers. */
static uint64_t chunk_sectors(const struct blkdev *dev, unsigned step)
{
    static const uint32_t bytes[] = { 512, 3584, 4096, 45056, 65536, 131072, 1536, 262144 };
    uint64_t n = bytes[step % 8] / dev->sector_size;
    return n ? n : 1;
}

struct range_job {
    struct blkdev *dev;
    uint64_t first, count;       /* device sectors */
    uint32_t gen;
    bool write;
    int rc;
    uint64_t bad;                /* wire sector, or UINT64_MAX */
};

static int run_range(void *arg)
{
    struct range_job *j = arg;
    uint8_t *buf = kmalloc(IO_BUF_BYTES);
    j->bad = UINT64_MAX;
    j->rc = buf ? 0 : -ENOMEM;
    uint32_t per = j->dev->sector_size / PATTERN_SECTOR;
    uint64_t at = j->first, end = j->first + j->count;
    for (unsigned step = 0; j->rc == 0 && at < end; step++) {
        uint64_t n = chunk_sectors(j->dev, step);
        if (n > end - at)
            n = end - at;
        if (j->write) {
            fill(buf, at * per, n * per, j->gen);
            j->rc = blk_write(j->dev, at, buf, n, deadline());
        } else {
            j->rc = blk_read(j->dev, at, buf, n, deadline());
            if (j->rc == 0 && j->bad == UINT64_MAX)
                j->bad = find_mismatch(buf, at * per, n * per, j->gen);
        }
        at += n;
    }
    kfree(buf);
    return 0;
}

/* The whole disk by `fibers` concurrent fibers, each over its own share. */
static void whole_disk(struct blkdev *dev, uint32_t gen, bool write, unsigned fibers,
                       const char *name)
{
    struct range_job jobs[8];
    struct fiber *f[8];
    uint64_t share = dev->capacity / fibers, t0 = platform_monotonic_ns();
    for (unsigned i = 0; i < fibers; i++) {
        uint64_t first = share * i;
        jobs[i] = (struct range_job){ .dev = dev, .first = first, .gen = gen, .write = write,
                                      .count = i + 1 == fibers ? dev->capacity - first : share };
        f[i] = fiber_spawn("blktest-io", run_range, &jobs[i], 0);
    }
    int rc = 0;
    uint64_t bad = UINT64_MAX;
    for (unsigned i = 0; i < fibers; i++) {
        if (!f[i]) {
            rc = -ENOMEM;
            continue;
        }
        fiber_join(f[i]);
        if (rc == 0)
            rc = jobs[i].rc;
        if (jobs[i].bad < bad)
            bad = jobs[i].bad;
    }
    uint64_t ms = (platform_monotonic_ns() - t0) / 1000000;
    uint64_t kib = blkdev_bytes(dev) / 1024;
    check(rc == 0 && bad == UINT64_MAX, name,
          "%s %llu KiB gen %u with %u fibers: rc %d, first bad wire sector %lld, %llu ms "
          "(%llu KiB/s)", dev->name, (unsigned long long)kib, gen, fibers, rc,
          bad == UINT64_MAX ? -1ll : (long long)bad, (unsigned long long)ms,
          (unsigned long long)(ms ? kib * 1000 / ms : kib));
}

struct raw_wait {
    struct waitq wq;
    bool done;
    int status;
};

static void raw_done(struct blk_request *req, int status)
{
    struct raw_wait *w = req->ctx;
    w->status = status;
    w->done = true;
    waitq_wake_all(&w->wq);
}

/* One read of max_segments segments of different offsets and lengths, each in its own page:
 * the request shapes the helpers never make. */
static void odd_segments(struct blkdev *dev, uint32_t gen)
{
    uint32_t n = dev->max_segments, ss = dev->sector_size;
    struct blk_segment *segs = kcalloc(n, sizeof(*segs));
    uint8_t *pages = page_alloc(page_order_for((size_t)n * BLKDEV_PAGE_SIZE));
    if (!check(segs && pages, "odd segments", "memory for %u segments", n))
        goto out;
    uint32_t sectors = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t offset = ss == BLKDEV_PAGE_SIZE ? 0 : (i % 3) * ss;
        uint32_t len = ss * (1 + i % 4);
        if (offset + len > BLKDEV_PAGE_SIZE)
            len = BLKDEV_PAGE_SIZE - offset;
        segs[i] = (struct blk_segment){ pages + (size_t)i * BLKDEV_PAGE_SIZE + offset, len };
        sectors += len / ss;
    }
    uint64_t first = dev->capacity / 3;
    struct raw_wait w = { .wq = WAITQ_INIT };
    struct blk_request req = { .op = BLK_OP_READ, .sector = first, .count = sectors,
                               .nr_segments = n, .segments = segs, .done = raw_done, .ctx = &w };
    int rc = blkdev_submit(dev, &req);
    while (rc == 0 && !w.done)
        waitq_wait(&w.wq, DEADLINE_NONE);
    uint64_t bad = UINT64_MAX, wire = first * (ss / PATTERN_SECTOR);
    for (uint32_t i = 0; rc == 0 && w.status == 0 && i < n && bad == UINT64_MAX; i++) {
        uint64_t k = segs[i].len / PATTERN_SECTOR;
        bad = find_mismatch(segs[i].addr, wire, k, gen);
        wire += k;
    }
    check(rc == 0 && w.status == 0 && bad == UINT64_MAX, "odd segments",
          "%s: one read of %u segments (%u sectors): submit %d, status %d, bad sector %lld",
          dev->name, n, sectors, rc, w.status, bad == UINT64_MAX ? -1ll : (long long)bad);
out:
    kfree(segs);
    if (pages)
        page_free(pages, page_order_for((size_t)n * BLKDEV_PAGE_SIZE));
}

static void print_info(struct blkdev *dev)
{
    struct blkfront_info info;
    if (!blkfront_get_info(dev, &info))
        return;
    const struct blkfront_features *ft = &info.features;
    kprintf("blktest: features %s: vbd %s ring-order %u slots %u segments %u indirect %d "
            "persistent %d flush %d barrier %d discard %d read-only %d sector-size %u sectors "
            "%llu\n", dev->name, info.vbd, info.ring_order, info.ring_slots, ft->max_segments,
            ft->max_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST, ft->persistent, ft->flush_cache,
            ft->barrier, ft->discard, info.read_only, ft->sector_size,
            (unsigned long long)info.wire_sectors);
}

static void print_stats(struct blkdev *dev)
{
    struct blkfront_info info;
    if (!blkfront_get_info(dev, &info))
        return;
    kprintf("blktest: stats %s: requests %llu indirect %llu responses %llu errors %llu "
            "bad-responses %llu grants %llu pool-pages %u in-flight-peak %u broken %d\n",
            dev->name, (unsigned long long)info.stats.requests,
            (unsigned long long)info.stats.indirect_requests,
            (unsigned long long)info.stats.responses, (unsigned long long)info.stats.errors,
            (unsigned long long)info.stats.bad_responses, (unsigned long long)info.stats.grants,
            info.stats.pool_pages, info.stats.in_flight_peak, info.broken);
}

static struct blkdev *open_checked(unsigned index, bool read_only, const char *want)
{
    uint64_t t0 = platform_monotonic_ns();
    struct blkdev *dev = platform_blkdev_open(index, read_only);
    check(dev != NULL, "open", "vbd index %u (%s): %s in %llu ms", index, want,
          dev ? dev->name : "failed", (unsigned long long)(platform_monotonic_ns() - t0) / 1000000);
    if (dev)
        print_info(dev);
    return dev;
}

static void rw_disk(struct blkdev *dev, bool expect_all_features)
{
    struct blkfront_info info;
    blkfront_get_info(dev, &info);
    if (expect_all_features)
        check(info.features.persistent && info.features.max_segments > 11 &&
                  info.ring_order > 0 && info.features.flush_cache,
              "negotiated", "%s: persistent %d, %u segments, ring order %u, flush %d", dev->name,
              info.features.persistent, info.features.max_segments, info.ring_order,
              info.features.flush_cache);
    else
        check(!info.features.persistent && info.features.max_segments == 11 &&
                  info.ring_order == 0, "features off",
              "%s: persistent %d, %u segments, ring order %u", dev->name,
              info.features.persistent, info.features.max_segments, info.ring_order);
    whole_disk(dev, 1, false, 1, "read dom0's pattern");
    whole_disk(dev, 1, false, 4, "read concurrently");
    odd_segments(dev, 1);
    if (dev->caps & BLKDEV_CAP_DISCARD) {
        int rc = blk_discard(dev, dev->capacity - 64, 64, deadline());
        check(rc == 0, "discard", "%s: 64 sectors at the end: rc %d", dev->name, rc);
    }
    whole_disk(dev, 2, true, 4, "write generation 2");
    int rc = blk_flush(dev, deadline());
    check(rc == 0, "flush", "%s: rc %d", dev->name, rc);
    whole_disk(dev, 2, false, 2, "read back generation 2");
    print_stats(dev);
    check(dev->stats.errors == 0, "no errors", "%s: %llu errors", dev->name,
          (unsigned long long)dev->stats.errors);
}

static void mode_rw(void)
{
    struct blkdev *full = open_checked(0, false, "every feature");
    if (full) {
        rw_disk(full, true);
        blkdev_destroy(full);
    }
    const struct blkfront_options minimal = { .persistent = false, .indirect = false,
                                              .max_ring_order = 0 };
    blkfront_set_options(&minimal);
    struct blkdev *plain = open_checked(1, false, "no persistent grants, indirect, ring pages");
    if (plain) {
        rw_disk(plain, false);
        blkdev_destroy(plain);
    }
    struct blkdev *ro = open_checked(2, false, "read-only backend");
    if (ro) {
        uint8_t *buf = kmalloc(4096);
        int rd = buf ? blk_read(ro, 0, buf, 4096 / ro->sector_size, deadline()) : -ENOMEM;
        int wr = buf ? blk_write(ro, 0, buf, 4096 / ro->sector_size, deadline()) : -ENOMEM;
        check(ro->read_only && rd == 0 && wr == -EROFS, "read-only disk",
              "%s: read-only %d, read %d, write %d (want %d)", ro->name, ro->read_only, rd, wr,
              -EROFS);
        kfree(buf);
        blkdev_destroy(ro);
    }
}

static void mode_durable(void)
{
    struct blkdev *dev = open_checked(0, false, "every feature");
    if (!dev)
        return;
    check(dev->caps & BLKDEV_CAP_FLUSH, "flush offered", "%s: caps 0x%x", dev->name, dev->caps);
    unsigned failed_before = failed;
    whole_disk(dev, 3, true, 4, "write generation 3");
    int rc = blk_flush(dev, deadline());
    check(rc == 0, "flush", "%s: rc %d", dev->name, rc);
    if (failed != failed_before)
        return;
    kprintf("blktest: flush done\n");
    /* Until dom0 destroys us: each line is printed only after the backend acknowledged. */
    uint8_t *buf = kmalloc(8 * PATTERN_SECTOR);
    uint32_t per = dev->sector_size / PATTERN_SECTOR;
    uint64_t n = (8 + per - 1) / per, limit = dev->capacity / 2;
    uint64_t end_ns = platform_monotonic_ns() + 60 * SECOND;
    for (uint64_t at = 0; buf && platform_monotonic_ns() < end_ns; at = (at + n) % limit) {
        fill(buf, at * per, n * per, 4);
        rc = blk_write(dev, at, buf, n, deadline());
        if (rc) {
            check(false, "acknowledged writes", "%s: write at %llu: rc %d", dev->name,
                  (unsigned long long)at, rc);
            break;
        }
        kprintf("blktest: acked %llu %llu\n", (unsigned long long)(at * per),
                (unsigned long long)(n * per));
    }
    kfree(buf);
}

/* Reads vbd 0 in a loop, printing "blktest: reading" once, until a read fails. */
static int read_until_failure(struct blkdev *dev, uint8_t *buf, uint64_t *reads)
{
    uint64_t per_read = IO_BUF_BYTES / dev->sector_size;
    uint64_t end_ns = platform_monotonic_ns() + 120 * SECOND;
    int rc = 0;
    kprintf("blktest: reading\n");
    for (uint64_t at = 0; rc == 0 && platform_monotonic_ns() < end_ns; (*reads)++) {
        uint64_t n = dev->capacity - at < per_read ? dev->capacity - at : per_read;
        rc = blk_read(dev, at, buf, n, deadline());
        at = at + n == dev->capacity ? 0 : at + n;
    }
    return rc;
}

static void mode_detach(void)
{
    struct blkdev *dev = open_checked(0, true, "to be detached");
    if (!dev)
        return;
    uint8_t *buf = kmalloc(IO_BUF_BYTES);
    uint64_t reads = 0;
    int rc = buf ? read_until_failure(dev, buf, &reads) : -ENOMEM;
    uint64_t failed_at = platform_monotonic_ns();
    check(rc == -EIO, "detach fails reads", "%s: after %llu reads: rc %d (want %d)", dev->name,
          (unsigned long long)reads, rc, -EIO);
    int again = buf ? blk_read(dev, 0, buf, 1, deadline()) : -ENOMEM;
    uint64_t took_ms = (platform_monotonic_ns() - failed_at) / 1000000;
    check(again == -EIO && took_ms < 1000, "later reads fail at once", "%s: rc %d in %llu ms",
          dev->name, again, (unsigned long long)took_ms);
    struct blkfront_info info;
    if (blkfront_get_info(dev, &info))
        check(info.broken && info.totals.connections == 1, "stays down",
              "%s: broken %d, connections %u, reconnects %u", dev->name, info.broken,
              info.totals.connections, info.totals.reconnects);
    check(blkdev_pending(dev) == 0, "nothing pending", "%s: %u pending", dev->name,
          blkdev_pending(dev));
    kfree(buf);
    blkdev_destroy(dev);
}

static void mode_reconnect(void)
{
    struct blkdev *dev = open_checked(0, true, "to be reconnected");
    uint8_t *buf = kmalloc(IO_BUF_BYTES);
    if (!dev || !buf) {
        check(false, "reconnect", "no device or no memory");
        kfree(buf);
        return;
    }
    uint64_t reads = 0;
    int rc = read_until_failure(dev, buf, &reads);
    check(rc == -EIO, "backend closing fails reads", "%s: after %llu reads: rc %d (want %d)",
          dev->name, (unsigned long long)reads, rc, -EIO);
    uint64_t t0 = platform_monotonic_ns(), end_ns = t0 + 60 * SECOND;
    while ((rc = blk_read(dev, 0, buf, 8, deadline())) != 0 && platform_monotonic_ns() < end_ns)
        fiber_sleep_ns(SECOND / 2);
    for (int i = 0; rc == 0 && i < 20; i++)
        rc = blk_read(dev, (uint64_t)i * 64, buf, 64, deadline());
    struct blkfront_info info;
    blkfront_get_info(dev, &info);
    check(rc == 0 && info.totals.connections == 2 && info.totals.reconnects == 1, "reconnects",
          "%s: reads work again after %llu ms: rc %d, connections %u, reconnects %u", dev->name,
          (unsigned long long)(platform_monotonic_ns() - t0) / 1000000, rc,
          info.totals.connections, info.totals.reconnects);
    kfree(buf);
    blkdev_destroy(dev);
}

int app_main(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "rw") == 0)
            mode_rw();
        else if (strcmp(argv[i], "durable") == 0)
            mode_durable();
        else if (strcmp(argv[i], "detach") == 0)
            mode_detach();
        else if (strcmp(argv[i], "reconnect") == 0)
            mode_reconnect();
        else
            check(false, "arguments", "unknown mode \"%s\"", argv[i]);
    }
    kprintf("blktest: %u passed, %u failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
