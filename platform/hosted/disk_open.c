/*
 * platform/hosted/disk_open: the hosted platform's platform_blkdev_open (platform/blkdev.h). Its one
 * disk is the file named by disk= (platform/hosted/disk.h). Kept apart from disk.c because the
 * host-file unit tests compile disk.c on its own, without the kernel's options.
 */
#include "platform/hosted/disk.h"
#include "kernel/options.h"
#include "lib/log.h"

struct blkdev *platform_blkdev_open(unsigned index, bool read_only)
{
    const char *path = kernel_options()->disk;
    if (!path || !*path) {
        log_error("disk", "no block device: give one with disk=PATH");
        return NULL;
    }
    if (index != 0) {
        log_error("disk", "no block device %u: the hosted platform has only disk= (index 0)",
                  index);
        return NULL;
    }
    return hosted_disk_open(path, read_only);
}
