/*
 * xen/blkfront: Xen virtual block devices (device/vbd/<n>) behind the block seam
 * (platform/blkdev.h). platform_blkdev_open(index, read_only) finds the index-th vbd in xenstore
 * order, does the xenbus handshake with the backend (blkback in dom0) and returns a blkdev; the
 * block layer (blk/) does the rest. The ring logic is in blkfront_core.h.
 *
 * Negotiated, when the backend offers them: a ring of up to 2^BLKFRONT_MAX_RING_ORDER pages
 * (max-ring-page-order), indirect descriptors (feature-max-indirect-segments, capped at
 * BLKFRONT_MAX_INDIRECT_SEGMENTS), persistent grants (feature-persistent), flush
 * (feature-flush-cache, else feature-barrier) and discard (feature-discard). The sector size
 * and capacity come from sector-size and sectors; a backend in mode "r" (or with VDISK_READONLY
 * in info) gives a read-only device, whose writes the layer refuses with -EROFS.
 *
 * A response that breaks the protocol disconnects the device: its requests fail with -EIO, the
 * frontend says Closing, and every later request fails with -EIO.
 */
#ifndef XENOLITH_XEN_BLKFRONT_H
#define XENOLITH_XEN_BLKFRONT_H

#include <stdbool.h>
#include <stdint.h>
#include "platform/blkdev.h"
#include "xen/blkfront_core.h"

/* What a frontend asks for (tests use it to exercise the paths a backend offers anyway). */
struct blkfront_options {
    bool persistent;                   /* offer feature-persistent */
    bool indirect;                     /* use indirect descriptors when offered */
    unsigned max_ring_order;           /* at most BLKFRONT_MAX_RING_ORDER */
};
/* Options for devices opened from now on (the default asks for everything). */
void blkfront_set_options(const struct blkfront_options *opts);

/* What a connected device negotiated. */
struct blkfront_info {
    char vbd[16];                      /* device/vbd/<vbd> */
    uint16_t backend_id;
    unsigned ring_order;
    uint32_t ring_slots;
    struct blkfront_features features;
    bool read_only;
    uint64_t wire_sectors;             /* the backend's "sectors" (512 bytes each) */
    struct blkfront_core_stats stats;
    bool broken;
};
/* Fills *out for a blkfront device; false for any other blkdev. */
bool blkfront_get_info(const struct blkdev *dev, struct blkfront_info *out);

/* Opens device/vbd/<vbd> (platform_blkdev_open picks the id). From a fiber; NULL with the reason
 * logged when the device is missing, the backend does not connect within 30 s, or what it
 * announces is unusable. */
struct blkdev *blkfront_open(const char *vbd, bool read_only);

#endif
