/*
 * blk/memdisk: a block device in RAM, for tests and fuzzers. It behaves like an asynchronous
 * backend: each request completes from a sched/ timer at acceptance time + the latency set for
 * its operation (default 0: the next loop pass), so with the simulated clock completion order
 * and timing are exact. Data moves at completion time: a write is visible in the contents only
 * once it is acknowledged, and a read sees the contents as they are when it completes.
 *
 * Fault injection: fail chosen requests or every request touching a bad sector, hold completions
 * until released, report read-only. A log of the last MEMDISK_LOG_MAX requests (acceptance and
 * completion times, status) lets tests check ordering.
 */
#ifndef XENOLITH_BLK_MEMDISK_H
#define XENOLITH_BLK_MEMDISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "platform/blkdev.h"

#define MEMDISK_LOG_MAX 256
#define MEMDISK_MAX_IN_FLIGHT 32
#define MEMDISK_MAX_SEGMENTS 32

/* A zero-filled disk of `sectors` sectors of `sector_size` bytes, advertising caps
 * (BLKDEV_CAP_FLUSH, _BARRIER, _DISCARD are all honoured; a discard zeroes the range).
 * NULL when out of memory or for a bad sector size (with a message). */
struct blkdev *memdisk_create(const char *name, uint32_t sector_size, uint64_t sectors,
                              uint32_t caps);
/* A disk holding a copy of image[len], padded with zeros to a whole number of sectors. */
struct blkdev *memdisk_create_from(const char *name, uint32_t sector_size, const void *image,
                                   size_t len, bool read_only);

/* The disk's bytes (blkdev_bytes(dev) of them), for tests to inspect or change directly. */
uint8_t *memdisk_contents(struct blkdev *dev);

void memdisk_set_read_only(struct blkdev *dev, bool read_only);
/* Latency for requests of `op` accepted from now on. */
void memdisk_set_latency(struct blkdev *dev, enum blk_op op, uint64_t latency_ns);
/* Of the requests accepted from now on, let `skip` pass and fail the next `count` with `status`
 * (a negative errno). */
void memdisk_fail_requests(struct blkdev *dev, unsigned skip, unsigned count, int status);
/* Reads and writes touching `sector` fail with `status` (a bad sector); UINT64_MAX clears it. */
void memdisk_fail_sector(struct blkdev *dev, uint64_t sector, int status);
/* While held, accepted requests do not complete; releasing lets the due ones complete. */
void memdisk_hold(struct blkdev *dev, bool hold);
/* Requests the backend holds (accepted, not completed). */
unsigned memdisk_in_backend(const struct blkdev *dev);

struct memdisk_event {
    enum blk_op op;
    uint64_t sector;
    uint32_t count;
    uint64_t accepted_ns;
    uint64_t completed_ns;         /* 0 while in flight */
    int status;
};
/* The log, oldest first; *count entries. Cleared by memdisk_clear_log. */
const struct memdisk_event *memdisk_log(const struct blkdev *dev, unsigned *count);
void memdisk_clear_log(struct blkdev *dev);

#endif
