/*
 * blk/: the block layer. platform/blkdev.h is the asynchronous seam (implemented by
 * blk/blkdev.c); this header adds the fiber-blocking helpers applications and the tar reader use.
 *
 * Each helper must be called from a fiber; it blocks only that fiber until the backend has
 * acknowledged every request it made, or until deadline_ns (monotonic; DEADLINE_NONE waits as
 * long as it takes). Any caller buffer works: data moves through page-aligned bounce pages owned
 * by the layer, split into requests of up to BLK_IO_CHUNK_PAGES pages (fewer if the device takes
 * fewer segments), up to BLK_IO_WINDOW of them in flight per call.
 *
 * Returns 0 or a negative errno:
 *   -EINVAL   zero sectors, or a read/discard range past the end of the device
 *   -ENOSPC   a write past the end of the device
 *   -EROFS    a write or discard on a read-only device
 *   -EOPNOTSUPP  a discard on a device without BLKDEV_CAP_DISCARD
 *   -EIO (or whatever the backend reported)  the first failed request
 *   -ETIMEDOUT   the deadline passed first. Requests still in flight finish in the background
 *             (their bounce pages are freed then, the caller's buffer is not touched again);
 *             a timed-out write may or may not have reached the medium.
 *   -ENOMEM   no memory for the bounce pages
 * Refusals are logged with the device name and the range.
 */
#ifndef XENOLITH_BLK_BLK_H
#define XENOLITH_BLK_BLK_H

#include <stddef.h>
#include <stdint.h>
#include "platform/blkdev.h"

#define BLK_IO_CHUNK_PAGES 16
#define BLK_IO_WINDOW 8

int blk_read(struct blkdev *dev, uint64_t sector, void *buf, uint64_t count, uint64_t deadline_ns);
/* Returns once every sector is acknowledged by the backend. Durable across a power loss only
 * after a successful blk_flush on a device with BLKDEV_CAP_FLUSH. */
int blk_write(struct blkdev *dev, uint64_t sector, const void *buf, uint64_t count,
              uint64_t deadline_ns);
/* Waits for every request submitted before it (by any fiber) to complete, then makes their
 * writes durable. */
int blk_flush(struct blkdev *dev, uint64_t deadline_ns);
int blk_discard(struct blkdev *dev, uint64_t sector, uint64_t count, uint64_t deadline_ns);

/* The range checks of blkdev_submit for op over [sector, sector + count), with the same errors
 * and messages (a flush takes no range: -EINVAL). */
int blk_check_range(const struct blkdev *dev, enum blk_op op, uint64_t sector, uint64_t count);

#endif
