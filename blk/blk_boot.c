/*
 * blk/blk_boot: blk_open (xenolith/blk.h) with the disk the machine booted with (disk=PATH).
 */
#include "blk/blk.h"
#include "kernel/options.h"

int blk_open(unsigned index, bool read_only, struct blkdev **out)
{
    return blk_open_named(index, read_only, kernel_options()->disk, out);
}
