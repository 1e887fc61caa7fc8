/*
 * xen/blkfront: Xen virtual block devices (device/vbd/<n>) behind the block seam
 * (platform/blkdev.h). xen_blkfront_open_index(index, read_only), which the PVH platform's
 * platform_blkdev_open calls, finds the index-th vbd in xenstore order, does the xenbus handshake with the backend (blkback in dom0) and returns a blkdev; the
 * block layer (blk/) does the rest. The ring logic is in blkfront_core.h, the handshake and the
 * backend watcher in blkfront_xenbus.c.
 *
 * Negotiated, when the backend offers them: a ring of up to 2^BLKFRONT_MAX_RING_ORDER pages
 * (max-ring-page-order), indirect descriptors (feature-max-indirect-segments, capped at
 * BLKFRONT_SEGMENTS_WANTED), persistent grants (feature-persistent), flush
 * (feature-flush-cache, else feature-barrier) and discard (feature-discard). The sector size
 * and capacity come from sector-size and sectors; a backend in mode "r" (or with VDISK_READONLY
 * in info) gives a read-only device, whose writes the layer refuses with -EROFS.
 *
 * Untrusted backend, fail closed:
 *  - Grants: only blkfront's own pages are granted, never the caller's buffers; a page the
 *    backend keeps mapped goes to the grant quarantine (xen/grants.h) and its request fails at
 *    once, the caller's buffer untouched. Every page is zeroed before its first grant. One
 *    device holds at most BLKFRONT_DEFAULT_MAX_GRANTS grants (ring pages aside).
 *  - Deadlines: a request not answered within blk_timeout= seconds (default 30) fails with
 *    -ETIMEDOUT; the connection is then taken down like any other break.
 *  - A response that breaks the protocol (each kind counted in stats.breaks), a kept grant, a
 *    deadline or a failed notify breaks the connection: its requests fail, the frontend says
 *    Closing, and requests fail with -EIO until a new connection is up.
 *  - The backend's state is watched for the device's life: Closing or Closed (xl block-detach,
 *    a backend restart) fails what is in flight with -EIO and closes our side; when the
 *    backend offers InitWait again (and is still online) the device reconnects, at most
 *    BLKFRONT_MAX_RECONNECTS times, BLKFRONT_RECONNECT_INTERVAL_NS apart, and never after a
 *    protocol violation or once the backend has kept BLKFRONT_DEFAULT_MAX_GRANTS pages mapped.
 *    A reconnection must offer the same disk (sector size, capacity, mode).
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

/* Counters over a device's life (the current connection's core included). */
struct blkfront_totals {
    uint64_t requests, responses, errors, bad_responses, timeouts;
    uint64_t grants_quarantined;       /* pages the backend kept: into the quarantine */
    struct blkfront_break_counts breaks;
    uint32_t connections, reconnects;
};

/* At most this many segments per request (blk_io uses 16): more only costs grants. */
#define BLKFRONT_SEGMENTS_WANTED 32u

/* What a connected device negotiated. */
struct blkfront_info {
    char vbd[16];                      /* device/vbd/<vbd> */
    uint16_t backend_id;
    unsigned ring_order;
    uint32_t ring_slots;
    struct blkfront_features features;
    bool read_only;
    uint64_t wire_sectors;             /* the backend's "sectors" (512 bytes each) */
    struct blkfront_core_stats stats;  /* this connection's */
    struct blkfront_totals totals;     /* the device's life */
    bool broken;                       /* no connection serves requests now */
};
/* Fills *out for a blkfront device; false for any other blkdev. */
bool blkfront_get_info(const struct blkdev *dev, struct blkfront_info *out);

/* Prints the device's counters (blkdev_destroy does, at shutdown). */
void blkfront_print_stats(const struct blkdev *dev);

/* The index-th vbd in numeric device order (xvda first), opened (platform_blkdev_open on the
 * PVH platform). NULL with the reason logged: not on Xen, xenstore not up, no such vbd. */
struct blkdev *xen_blkfront_open_index(unsigned index, bool read_only);

/* Opens device/vbd/<vbd> (xen_blkfront_open_index picks the id). From a fiber; NULL with the reason
 * logged when the device is missing, the backend does not connect within 30 s, or what it
 * announces is unusable. */
struct blkdev *blkfront_open(const char *vbd, bool read_only);

#endif
