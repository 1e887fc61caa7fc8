/*
 * blk/: the block layer. platform/blkdev.h is the asynchronous seam (implemented by
 * blk/blkdev.c); this header adds the fiber-blocking helpers applications and the tar reader use.
 *
 * The calls, their errors and contexts are public (xenolith/blk.h, included here); this header
 * adds how the helpers cut their work: data moves through page-aligned bounce pages owned by the
 * layer, split into requests of up to BLK_IO_CHUNK_PAGES pages (fewer if the device takes fewer
 * segments), up to BLK_IO_WINDOW of them in flight per call.
 */
#ifndef XENOLITH_BLK_BLK_H
#define XENOLITH_BLK_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "platform/blkdev.h"
#include "xenolith/blk.h"

#define BLK_IO_CHUNK_PAGES 16
#define BLK_IO_WINDOW 8

/* The range checks of blkdev_submit for op over [sector, sector + count), with the same errors
 * and messages (a flush takes no range: -EINVAL). */
int blk_check_range(const struct blkdev *dev, enum blk_op op, uint64_t sector, uint64_t count);

/* "read", "write", "flush" or "discard", for messages. */
const char *blk_op_name(enum blk_op op);

/* blk_open, given the path the command line named device 0 by (NULL: none named): a device
 * that cannot be opened is -EIO when it was named, -ENODEV when not. */
int blk_open_named(unsigned index, bool read_only, const char *named, struct blkdev **out);

#endif
