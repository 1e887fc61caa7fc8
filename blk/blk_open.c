/*
 * blk/blk_open: which of the platform's block devices an application gets, and whether its absence
 * is an error (xenolith/blk.h, blk_open). The decision is here, given the name the command line
 * gave the device (blk_open_named, unit-tested); blk_boot.c supplies that name from the boot
 * options. Kept apart from blk_io.c so code using only the helpers does not link the platform's
 * opener.
 */
#include "blk/blk.h"
#include "lib/errno.h"
#include "lib/log.h"

int blk_open_named(unsigned index, bool read_only, const char *named, struct blkdev **out)
{
    *out = platform_blkdev_open(index, read_only);
    if (*out)
        return 0;
    /* Only the hosted platform names its disk (disk=PATH, device 0): a disk named on the command
     * line that cannot be opened is an error, where a missing vbd on Xen simply means none. */
    if (index == 0 && named) {
        log_error("blk", "cannot open the disk %s", named);
        return -EIO;
    }
    return -ENODEV;
}
