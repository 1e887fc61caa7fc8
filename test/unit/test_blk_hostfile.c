/*
 * Unit tests for the hosted host-file disk (platform/hosted/disk.c). The test flavour does not link
 * the hosted platform, so this program compiles disk.c itself and provides the one hosted
 * interface it uses, the fd watch of platform/hosted/hosted.h, as a simulated event source that
 * polls the watched fds without blocking. Everything else is real: files in a temporary
 * directory, preadv/pwritev, fdatasync, hole punching, the eventfd.
 */
#define _GNU_SOURCE
#include "platform/hosted/disk.c"

#include "test/unit/blk_fixture.h"
#include "xenolith/test_main.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- the fd watch, on the simulated platform ---- */
static struct {
    int fd;
    void (*ready)(void *ctx);
    void *ctx;
} watched[HOSTED_WATCH_MAX];
static unsigned watch_count;
static struct sim_event_source watch_source;

static bool fd_readable(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 0) == 1;
}

static bool watch_pending(void *ctx)
{
    for (unsigned i = 0; i < watch_count; i++)
        if (fd_readable(watched[i].fd))
            return true;
    return false;
}

static void watch_dispatch(void *ctx)
{
    for (unsigned i = 0; i < watch_count; i++)
        if (fd_readable(watched[i].fd))
            watched[i].ready(watched[i].ctx);
}

int hosted_watch_fd(int fd, void (*ready)(void *ctx), void *ctx)
{
    if (fd < 0 || !ready)
        return -EINVAL;
    if (watch_count == HOSTED_WATCH_MAX)
        return -ENOSPC;
    watched[watch_count].fd = fd;
    watched[watch_count].ready = ready;
    watched[watch_count].ctx = ctx;
    watch_count++;
    return 0;
}

void hosted_unwatch_fd(int fd)
{
    for (unsigned i = 0; i < watch_count; i++) {
        if (watched[i].fd == fd) {
            watched[i] = watched[--watch_count];
            return;
        }
    }
}

/* ---- fixture ---- */
static char dir[64];
static char path[128];

static void write_file(const char *p, const void *data, size_t len, mode_t mode)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void setup(void)
{
    blk_boot();
    watch_count = 0;
    watch_source = (struct sim_event_source){ .pending = watch_pending, .dispatch = watch_dispatch };
    sim_add_event_source(&watch_source);
    snprintf(dir, sizeof(dir), "/tmp/xenolith-blk-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/disk.img", dir);
    static uint8_t image[64 * 512];
    for (size_t i = 0; i < sizeof(image); i++)
        image[i] = (uint8_t)(i / 512 + i);
    write_file(path, image, sizeof(image), 0644);
}

static void teardown(void)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

struct io_args {
    struct blkdev *dev;
    enum blk_op op;
    uint64_t sector, count;
    void *buf;
};

static int do_io(void *arg)
{
    struct io_args *a = arg;
    switch (a->op) {
    case BLK_OP_READ: return blk_read(a->dev, a->sector, a->buf, a->count, DEADLINE_NONE);
    case BLK_OP_WRITE: return blk_write(a->dev, a->sector, a->buf, a->count, DEADLINE_NONE);
    case BLK_OP_FLUSH: return blk_flush(a->dev, DEADLINE_NONE);
    case BLK_OP_DISCARD: return blk_discard(a->dev, a->sector, a->count, DEADLINE_NONE);
    }
    return -EINVAL;
}

static int io(struct blkdev *dev, enum blk_op op, uint64_t sector, uint64_t count, void *buf)
{
    struct io_args a = { dev, op, sector, count, buf };
    return blk_run_task(do_io, &a, 10 * SEC);
}

static void read_back(uint64_t offset, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, buf, len, (off_t)offset), (ssize_t)len);
    close(fd);
}

START_TEST(opens_with_the_file_size_and_reads_it)
{
    struct blkdev *dev = hosted_disk_open(path, false);
    ck_assert_ptr_nonnull(dev);
    ck_assert_uint_eq(dev->capacity, 64);
    ck_assert_uint_eq(dev->sector_size, 512);
    ck_assert(!dev->read_only);
    ck_assert_uint_eq(dev->caps & BLKDEV_CAP_FLUSH, BLKDEV_CAP_FLUSH);
    static uint8_t buf[64 * 512], want[64 * 512];
    ck_assert_int_eq(io(dev, BLK_OP_READ, 0, 64, buf), 0);
    read_back(0, want, sizeof(want));
    ck_assert_int_eq(memcmp(buf, want, sizeof(buf)), 0);
    ck_assert_int_eq(io(dev, BLK_OP_READ, 63, 2, buf), -EINVAL);
    blkdev_destroy(dev);
    ck_assert_uint_eq(watch_count, 0);
}
END_TEST

START_TEST(writes_reach_the_file_and_flush_syncs)
{
    struct blkdev *dev = hosted_disk_open(path, false);
    ck_assert_ptr_nonnull(dev);
    static uint8_t buf[40 * 512], got[40 * 512];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(0xc3 ^ i);
    ck_assert_int_eq(io(dev, BLK_OP_WRITE, 20, 40, buf), 0);
    read_back(20 * 512, got, sizeof(got));
    ck_assert_int_eq(memcmp(buf, got, sizeof(buf)), 0);
    ck_assert_int_eq(io(dev, BLK_OP_FLUSH, 0, 0, NULL), 0);
    ck_assert_uint_eq(dev->stats.flushes, 1);
    ck_assert_uint_eq(dev->stats.sectors_written, 40);
    blkdev_destroy(dev);
}
END_TEST

static bool cb_done;
static int cb_status;
static void on_done(struct blk_request *req, int status)
{
    cb_done = true;
    cb_status = status;
}

START_TEST(completion_comes_from_the_event_loop)
{
    struct blkdev *dev = hosted_disk_open(path, false);
    ck_assert_ptr_nonnull(dev);
    static uint8_t page[4096] __attribute__((aligned(4096)));
    struct blk_segment seg = { page, 4096 };
    cb_done = false;
    cb_status = 1;
    struct blk_request req = { .op = BLK_OP_READ, .sector = 8, .count = 8, .nr_segments = 1,
                               .segments = &seg, .done = on_done };
    ck_assert_int_eq(blkdev_submit(dev, &req), 0);
    ck_assert(!cb_done);
    /* The request waits in the backend until the loop sees the eventfd. */
    ck_assert(fd_readable(((struct host_disk *)dev->priv)->event_fd));
    blk_run_for(1);
    ck_assert(cb_done);
    ck_assert_int_eq(cb_status, 0);
    uint8_t want[4096];
    read_back(8 * 512, want, sizeof(want));
    ck_assert_int_eq(memcmp(page, want, sizeof(want)), 0);
    blkdev_destroy(dev);
}
END_TEST

START_TEST(read_only_when_asked_or_when_not_writable)
{
    struct blkdev *dev = hosted_disk_open(path, true);
    ck_assert_ptr_nonnull(dev);
    ck_assert(dev->read_only);
    uint8_t buf[512] = { 1 };
    ck_assert_int_eq(io(dev, BLK_OP_WRITE, 0, 1, buf), -EROFS);
    blkdev_destroy(dev);

    /* A file we may not write. Root writes anything, so ask only when not root. */
    if (geteuid() != 0) {
        ck_assert_int_eq(chmod(path, 0444), 0);
        dev = hosted_disk_open(path, false);
        ck_assert_ptr_nonnull(dev);
        ck_assert(dev->read_only);
        ck_assert_ptr_nonnull(strstr(sim_console_output(), "is not writable"));
        blkdev_destroy(dev);
    }
}
END_TEST

START_TEST(bad_files_are_refused_by_name)
{
    char p[160];
    snprintf(p, sizeof(p), "%s/missing.img", dir);
    ck_assert_ptr_null(hosted_disk_open(p, true));
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "missing.img: ENOENT"));
    ck_assert_ptr_null(hosted_disk_open(dir, true));     /* a directory */
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "neither a regular file"));
    snprintf(p, sizeof(p), "%s/tiny.img", dir);
    write_file(p, "abc", 3, 0644);
    ck_assert_ptr_null(hosted_disk_open(p, true));
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "smaller than one 512-byte sector"));
    ck_assert_ptr_null(hosted_disk_open("", true));
    ck_assert_uint_eq(watch_count, 0);
}
END_TEST

START_TEST(partial_last_sector_is_ignored_with_a_warning)
{
    char p[160];
    snprintf(p, sizeof(p), "%s/odd.img", dir);
    static uint8_t data[3 * 512 + 100];
    write_file(p, data, sizeof(data), 0644);
    struct blkdev *dev = hosted_disk_open(p, true);
    ck_assert_ptr_nonnull(dev);
    ck_assert_uint_eq(dev->capacity, 3);
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "ignoring the last 100 bytes"));
    blkdev_destroy(dev);
}
END_TEST

START_TEST(discard_reads_back_as_zeros)
{
    struct blkdev *dev = hosted_disk_open(path, false);
    ck_assert_ptr_nonnull(dev);
    ck_assert_int_eq(io(dev, BLK_OP_DISCARD, 8, 16, NULL), 0);
    static uint8_t got[32 * 512];
    read_back(0, got, sizeof(got));
    for (size_t i = 8 * 512; i < 24 * 512; i++)
        ck_assert_uint_eq(got[i], 0);
    ck_assert_uint_eq(got[7 * 512 + 1], (uint8_t)(7 + 7 * 512 + 1));
    ck_assert_uint_eq(got[24 * 512 + 1], (uint8_t)(24 + 24 * 512 + 1));
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 64 * 512);             /* the size is kept */
    blkdev_destroy(dev);
}
END_TEST

START_TEST(a_file_that_shrinks_gives_eio)
{
    struct blkdev *dev = hosted_disk_open(path, false);
    ck_assert_ptr_nonnull(dev);
    ck_assert_int_eq(truncate(path, 4 * 512), 0);
    static uint8_t buf[8 * 512];
    ck_assert_int_eq(io(dev, BLK_OP_READ, 16, 8, buf), -EIO);
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "end of file"));
    ck_assert_uint_eq(dev->stats.errors, 1);
    blkdev_destroy(dev);
}
END_TEST

START_TEST(many_requests_in_flight_complete)
{
    struct blkdev *dev = hosted_disk_open(path, false);
    ck_assert_ptr_nonnull(dev);
    /* One page per request so that a whole-disk read is several requests at once. */
    dev->max_segments = 1;
    static uint8_t buf[64 * 512], want[64 * 512];
    ck_assert_int_eq(io(dev, BLK_OP_READ, 0, 64, buf), 0);
    read_back(0, want, sizeof(want));
    ck_assert_int_eq(memcmp(buf, want, sizeof(buf)), 0);
    ck_assert_uint_eq(dev->stats.reads, 8);
    ck_assert_uint_eq(dev->stats.in_flight_peak, BLK_IO_WINDOW);
    blkdev_destroy(dev);
}
END_TEST

static Suite *hostfile_suite(void)
{
    Suite *s = suite_create("blk_hostfile");
    TCase *tc = tcase_create("disk");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, opens_with_the_file_size_and_reads_it);
    tcase_add_test(tc, writes_reach_the_file_and_flush_syncs);
    tcase_add_test(tc, completion_comes_from_the_event_loop);
    tcase_add_test(tc, read_only_when_asked_or_when_not_writable);
    tcase_add_test(tc, bad_files_are_refused_by_name);
    tcase_add_test(tc, partial_last_sector_is_ignored_with_a_warning);
    tcase_add_test(tc, discard_reads_back_as_zeros);
    tcase_add_test(tc, a_file_that_shrinks_gives_eio);
    tcase_add_test(tc, many_requests_in_flight_complete);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(hostfile_suite)
