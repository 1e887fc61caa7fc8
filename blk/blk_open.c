/*
 * blk/blk_open: the application's way to the platform's block devices (xenolith/blk.h): which
 * device, and whether its absence is an error. Kept apart from blk_io.c so that code using only
 * the helpers (the unit tests, over an in-memory disk) does not link the platform's opener.
 */
#include "blk/blk.h"
#include "kernel/options.h"
#include "lib/errno.h"
#include "lib/log.h"

int blk_open(unsigned index, bool read_only, struct blkdev **out)
{
    *out = platform_blkdev_open(index, read_only);
    if (*out)
        return 0;
    /* Only the hosted platform names its disk (disk=PATH, device 0): a disk named on the command
     * line that cannot be opened is an error, where a missing vbd on Xen simply means none. */
    const char *named = kernel_options()->disk;
    if (index == 0 && named) {
        log_error("blk", "cannot open the disk %s", named);
        return -EIO;
    }
    return -ENODEV;
}
