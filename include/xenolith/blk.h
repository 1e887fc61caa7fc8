/*
 * xenolith/blk.h: the machine's block devices, read and written by fibers.
 *
 * blk_open gives the platform's block device N: hosted, device 0 is the file named by disk=PATH;
 * on Xen, the N-th vbd in numeric order (xvda first); bare QEMU has none. A device is an array
 * of blk_capacity() sectors of blk_sector_size() bytes (512 or 4096).
 *
 * blk_read, blk_write, blk_flush and blk_discard block only the calling fiber (context: fiber
 * only), until the backend acknowledged every request the call made, or until deadline_ns
 * (monotonic, xenolith/time.h; DEADLINE_NONE waits as long as it takes; on Xen a request the
 * backend leaves unanswered for blk_timeout= seconds fails by itself with -ETIMEDOUT). Any
 * caller buffer works, of any alignment. They return 0 or a negative errno:
 *   -EINVAL   zero sectors, or a read/discard range past the end of the device
 *   -ENOSPC   a write past the end of the device
 *   -EROFS    a write or discard on a read-only device
 *   -EOPNOTSUPP  a discard on a device that does not implement it
 *   -EIO (or whatever the backend reported)  the first failed request
 *   -ETIMEDOUT   the deadline passed first. Requests still in flight finish in the background
 *             (the caller's buffer is not touched again); a timed-out write may or may not have
 *             reached the medium.
 *   -ENOMEM   no memory for the bounce pages
 * Refusals are logged with the device name and the range. Several fibers may use one device at
 * once. xenolith/tar.h reads a tar archive from a device.
 */
#ifndef XENOLITH_PUBLIC_BLK_H
#define XENOLITH_PUBLIC_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xenolith/time.h"

/* Opaque handle. */
struct blkdev;

/* Opens the platform's index-th block device (read_only: writes and discards are refused even on
 * a writable device). Returns 0 and *out, or, with *out NULL:
 *   -ENODEV  there is no such device (none was configured: no disk= hosted, no such vbd on Xen,
 *            bare QEMU); the platform logged why.
 *   -EIO     a device was named on the command line (disk=PATH) but cannot be opened (missing
 *            file, no permission); logged. An application that needs its disk should stop then
 *            rather than run without it.
 * Context: fiber only (on Xen the frontend handshake blocks). */
int blk_open(unsigned index, bool read_only, struct blkdev **out);

/* Releases the device. With requests still in flight (a caller gave up at a deadline on a disk
 * that does not answer) the device is left as it is, with a message, rather than freed under the
 * backend. dev must not be used afterwards. NULL does nothing. Context: fiber or loop. */
void blk_close(struct blkdev *dev);

/* The device's name for messages ("disk0", "xvda"), its sector size in bytes, its capacity in
 * sectors, whether it refuses writes. Context: any. */
const char *blk_name(const struct blkdev *dev);
uint32_t blk_sector_size(const struct blkdev *dev);
uint64_t blk_capacity(const struct blkdev *dev);
bool blk_read_only(const struct blkdev *dev);

/* Reads count sectors from `sector` into buf. Context: fiber only. */
int blk_read(struct blkdev *dev, uint64_t sector, void *buf, uint64_t count, uint64_t deadline_ns);
/* Writes count sectors at `sector` from buf; returns once every sector is acknowledged by the
 * backend. Durable across a power loss only after a successful blk_flush. Context: fiber only. */
int blk_write(struct blkdev *dev, uint64_t sector, const void *buf, uint64_t count,
              uint64_t deadline_ns);
/* Waits for every request submitted before it (by any fiber) to complete, then makes their
 * writes durable. Context: fiber only. */
int blk_flush(struct blkdev *dev, uint64_t deadline_ns);
/* Tells the device count sectors at `sector` are no longer needed (their contents become
 * unspecified). Context: fiber only. */
int blk_discard(struct blkdev *dev, uint64_t sector, uint64_t count, uint64_t deadline_ns);

#endif
