/*
 * platform/hosted/disk: the host-file block device of disk.h. Submit only queues the request and
 * signals an eventfd; the event loop calls disk_ready, which does the I/O for every queued
 * request with positional system calls and completes it. Regular files do not support
 * non-blocking I/O, so the loop blocks for the duration of each call: acceptable for a
 * development platform whose disk is in the host's page cache.
 */
#define _GNU_SOURCE
#include "platform/hosted/disk.h"
#include "platform/hosted/hosted.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/mm.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <errno.h>

struct host_disk {
    struct blkdev dev;
    int fd;
    int event_fd;
    bool regular_file;
    struct list_node queued;
};

/* Moves every byte of the request's segments, retrying short transfers and EINTR. */
static int transfer(struct host_disk *d, struct blk_request *req)
{
    struct iovec iov[HOSTED_DISK_MAX_SEGMENTS];
    uint32_t n = req->nr_segments;
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        iov[i].iov_base = req->segments[i].addr;
        iov[i].iov_len = req->segments[i].len;
        total += req->segments[i].len;
    }
    off_t offset = (off_t)(req->sector * HOSTED_DISK_SECTOR_SIZE);
    struct iovec *v = iov;
    while (total) {
        ssize_t got = req->op == BLK_OP_READ ? preadv(d->fd, v, (int)n, offset)
                                             : pwritev(d->fd, v, (int)n, offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            /* 0 on a read: the file shrank under us. */
            log_warn("disk", "%s: %s at sector %llu failed: %s", d->dev.name,
                     req->op == BLK_OP_READ ? "read" : "write", (unsigned long long)req->sector,
                     got == 0 ? "end of file" : error_name(errno));
            return got == 0 ? -EIO : (errno == ENOSPC ? -ENOSPC : -EIO);
        }
        total -= (size_t)got;
        offset += got;
        while (n && (size_t)got >= v->iov_len) {
            got -= (ssize_t)v->iov_len;
            v++;
            n--;
        }
        if (n) {
            v->iov_base = (uint8_t *)v->iov_base + got;
            v->iov_len -= (size_t)got;
        }
    }
    return 0;
}

static int write_zeros(struct host_disk *d, off_t offset, off_t len)
{
    static const uint8_t zeros[4096];
    while (len > 0) {
        size_t n = len < (off_t)sizeof(zeros) ? (size_t)len : sizeof(zeros);
        ssize_t put = pwrite(d->fd, zeros, n, offset);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return -EIO;
        offset += put;
        len -= put;
    }
    return 0;
}

static int discard(struct host_disk *d, struct blk_request *req)
{
    off_t offset = (off_t)(req->sector * HOSTED_DISK_SECTOR_SIZE);
    off_t len = (off_t)req->count * HOSTED_DISK_SECTOR_SIZE;
    if (d->regular_file &&
        fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, len) == 0)
        return 0;
    /* No hole punching here (file system, block device): zeros read back the same. */
    return write_zeros(d, offset, len);
}

static int flush(struct host_disk *d)
{
    while (fdatasync(d->fd) != 0) {
        if (errno != EINTR) {
            log_warn("disk", "%s: flush failed: %s", d->dev.name, error_name(errno));
            return -EIO;
        }
    }
    return 0;
}

static int carry_out(struct host_disk *d, struct blk_request *req)
{
    switch (req->op) {
    case BLK_OP_READ:
    case BLK_OP_WRITE: return transfer(d, req);
    case BLK_OP_FLUSH: return flush(d);
    case BLK_OP_DISCARD: return discard(d, req);
    }
    return -EINVAL;
}

static void disk_ready(void *ctx)
{
    struct host_disk *d = ctx;
    uint64_t count;
    while (read(d->event_fd, &count, sizeof(count)) < 0 && errno == EINTR)
        ;
    /* Only what is queued now: completions may lead to new submissions, served next time. */
    struct list_node batch;
    list_init(&batch);
    list_splice_tail(&batch, &d->queued);
    while (!list_empty(&batch)) {
        struct blk_request *req = container_of(list_pop_head(&batch), struct blk_request,
                                               backend_link);
        blkdev_complete(&d->dev, req, carry_out(d, req));
    }
}

static int disk_submit(struct blkdev *dev, struct blk_request *req)
{
    struct host_disk *d = dev->priv;
    bool was_idle = list_empty(&d->queued);
    list_add_tail(&d->queued, &req->backend_link);
    if (was_idle) {
        uint64_t one = 1;
        ssize_t put;
        while ((put = write(d->event_fd, &one, sizeof(one))) < 0 && errno == EINTR)
            ;
        if (put != (ssize_t)sizeof(one)) {
            list_remove(&req->backend_link);
            return -EIO;
        }
    }
    return 0;
}

static void disk_destroy(struct blkdev *dev)
{
    struct host_disk *d = dev->priv;
    hosted_unwatch_fd(d->event_fd);
    close(d->event_fd);
    close(d->fd);
    kfree(d);
}

static const struct blkdev_ops disk_ops = {
    .submit = disk_submit,
    .destroy = disk_destroy,
};

/* Opens for writing if allowed; falls back to read-only when the file refuses writers. */
static int open_file(const char *path, bool *read_only)
{
    if (!*read_only) {
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd >= 0)
            return fd;
        if (errno != EACCES && errno != EROFS && errno != EPERM) {
            log_error("disk", "cannot open %s: %s", path, error_name(errno));
            return -1;
        }
        log_info("disk", "%s is not writable (%s): using it read-only", path, error_name(errno));
        *read_only = true;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        log_error("disk", "cannot open %s: %s", path, error_name(errno));
    return fd;
}

struct blkdev *hosted_disk_open(const char *path, bool read_only)
{
    if (!path || !*path) {
        log_error("disk", "no disk file given");
        return NULL;
    }
    int fd = open_file(path, &read_only);
    if (fd < 0)
        return NULL;
    struct stat st;
    uint64_t bytes = 0;
    bool regular = false;
    if (fstat(fd, &st) != 0) {
        log_error("disk", "cannot stat %s: %s", path, error_name(errno));
        goto fail;
    }
    if (S_ISREG(st.st_mode)) {
        regular = true;
        bytes = (uint64_t)st.st_size;
    } else if (S_ISBLK(st.st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, &bytes) != 0) {
            log_error("disk", "cannot size block device %s: %s", path, error_name(errno));
            goto fail;
        }
    } else {
        log_error("disk", "%s is neither a regular file nor a block device", path);
        goto fail;
    }
    if (bytes % HOSTED_DISK_SECTOR_SIZE)
        log_warn("disk", "%s: ignoring the last %u bytes (not a whole 512-byte sector)", path,
                 (unsigned)(bytes % HOSTED_DISK_SECTOR_SIZE));
    uint64_t sectors = bytes / HOSTED_DISK_SECTOR_SIZE;
    if (sectors == 0) {
        log_error("disk", "%s is smaller than one 512-byte sector", path);
        goto fail;
    }
    struct host_disk *d = kcalloc(1, sizeof(*d));
    if (!d)
        goto fail;
    d->fd = fd;
    d->regular_file = regular;
    list_init(&d->queued);
    d->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (d->event_fd < 0) {
        log_error("disk", "cannot create an eventfd: %s", error_name(errno));
        kfree(d);
        goto fail;
    }
    uint32_t caps = BLKDEV_CAP_FLUSH | BLKDEV_CAP_DISCARD;
    blkdev_init(&d->dev, &disk_ops, "disk0", HOSTED_DISK_SECTOR_SIZE, sectors, read_only, caps,
                HOSTED_DISK_MAX_IN_FLIGHT, HOSTED_DISK_MAX_SEGMENTS, d);
    int err = hosted_watch_fd(d->event_fd, disk_ready, d);
    if (err) {
        log_error("disk", "cannot watch the disk's eventfd: %s", error_name(err));
        close(d->event_fd);
        kfree(d);
        goto fail;
    }
    log_info("disk", "%s: %s, %llu sectors of 512 bytes%s", d->dev.name, path,
             (unsigned long long)sectors, read_only ? ", read-only" : "");
    return &d->dev;
fail:
    close(fd);
    return NULL;
}
