/*
 * platform/hosted/disk: the hosted platform's block device, a host file (or a host block device)
 * named by the disk= option. 512-byte sectors; the capacity is the file's size in whole sectors
 * (a trailing partial sector is ignored, with a warning).
 *
 * Requests are queued at submit and carried out from the event loop: an eventfd watched with
 * hosted_watch_fd becomes readable, and its callback does the preadv/pwritev/fdatasync/hole
 * punching and completes the requests, so a completion is never delivered inline.
 * Flush is fdatasync (BLKDEV_CAP_FLUSH); discard punches a hole in a regular file
 * (BLKDEV_CAP_DISCARD; where the file system cannot, the range is written with zeros).
 */
#ifndef XENOLITH_ARCH_HOSTED_DISK_H
#define XENOLITH_ARCH_HOSTED_DISK_H

#include <stdbool.h>
#include "platform/blkdev.h"

#define HOSTED_DISK_SECTOR_SIZE 512
#define HOSTED_DISK_MAX_IN_FLIGHT 32
#define HOSTED_DISK_MAX_SEGMENTS 32

/* Opens `path` as a block device named "disk0". Read-only if read_only is set or if the file
 * cannot be opened for writing (the message says which). Returns the device, or NULL with the
 * reason logged (no such file, not a regular file or block device, empty, no memory). */
struct blkdev *hosted_disk_open(const char *path, bool read_only);

#endif
