/*
 * blk/tar: the tar reader. Its interface is public, xenolith/tar.h; the format rules it enforces
 * are in blk/tar_format.h and its state in blk/tar_private.h.
 */
#ifndef XENOLITH_BLK_TAR_H
#define XENOLITH_BLK_TAR_H

#include "platform/blkdev.h"
#include "xenolith/tar.h"

#endif
