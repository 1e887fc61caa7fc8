/*
 * xen/optional: the optional parts of the Xen drivers an image carries. An application's app.mk
 * may leave some out (APP_XEN_WITHOUT, mk/app.mk; docs/APPLICATIONS.md): its xen image then
 * defines xen_optionals as a constant that link-time optimization folds into every test below,
 * so the code behind a left-out part is not in the image. Images that leave nothing out, and
 * the library's own copy (xen/optional.c), carry every part. The rules each part changes are
 * the inline functions here: the drivers call them with xen_optionals, the unit tests
 * (test/unit/test_xen_optional.c) with every mask.
 */
#ifndef XENOLITH_XEN_OPTIONAL_H
#define XENOLITH_XEN_OPTIONAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errno.h"

/* The app.mk names are these in lower case (suspend, netfront_offload, blkfront_write). */
enum xen_optional {
    XEN_OPTIONAL_SUSPEND          = 1u << 0, /* save, restore, migration and checkpoints; without
                                                it control/feature-suspend is not written, so
                                                xl refuses `xl save`/`xl migrate` at once, a
                                                "suspend" request is left unacknowledged, and
                                                no resume hook is kept (lifecycle_resumable,
                                                kernel/kernel.h) */
    XEN_OPTIONAL_NETFRONT_OFFLOAD = 1u << 1, /* netfront scatter-gather, GSO and multi-queue;
                                                without it feature-sg, feature-gso-tcpv4 and
                                                multi-queue-num-queues are not written: one
                                                queue, every frame one slot each way */
    XEN_OPTIONAL_BLKFRONT_WRITE   = 1u << 2, /* blkfront writes, flushes and discards; without
                                                it only reads, and a disk the backend offers
                                                writable is refused (attach it read-only) */
};
#define XEN_OPTIONALS_ALL 0x7u

extern const uint32_t xen_optionals;

static inline bool xen_has(uint32_t optionals, enum xen_optional o)
{
    return (optionals & (uint32_t)o) != 0;
}

/* ---- control (xen/control.c) ---- */

/* The control/feature-* nodes the guest writes "1" to, one after another, each ending in '\0',
 * the list in an empty one (Xen's docs/misc/xenstore-paths: libxl sends only the requests so
 * advertised). */
static inline const char *xen_control_features(uint32_t optionals)
{
    if (xen_has(optionals, XEN_OPTIONAL_SUSPEND))
        return "control/feature-poweroff\0control/feature-reboot\0control/feature-suspend\0";
    return "control/feature-poweroff\0control/feature-reboot\0";
}

/* ---- netfront (xen/netfront_xenbus.c) ---- */

/* The queues to ask for when the backend offers `offered` (multi-queue-max-queues; 0 when
 * absent), at most `max`. */
static inline unsigned netfront_queues_wanted(uint32_t optionals, unsigned long offered,
                                              unsigned max)
{
    if (offered == 0 || !xen_has(optionals, XEN_OPTIONAL_NETFRONT_OFFLOAD))
        return 1;
    return offered < max ? (unsigned)offered : max;
}

/* The frontend's feature nodes (xen/io/netif.h), each followed by its value ('1' or '0'), as
 * "node\0V\0" pairs ending in an empty node. */
static inline const char *netfront_frontend_features(uint32_t optionals)
{
    if (xen_has(optionals, XEN_OPTIONAL_NETFRONT_OFFLOAD))
        return "request-rx-copy\0" "1\0" "feature-rx-notify\0" "1\0" "feature-sg\0" "1\0"
               "feature-gso-tcpv4\0" "1\0" "feature-no-csum-offload\0" "0\0";
    return "request-rx-copy\0" "1\0" "feature-rx-notify\0" "1\0"
           "feature-no-csum-offload\0" "0\0";
}

/* ---- blkfront (xen/blkfront_xenbus.c; xen/blkfront_core.c refuses all but reads with
 * -EROFS) ---- */

/* 0 when the image may use a disk the backend attached read-only (or not), else -EROFS. */
static inline int blkfront_mode_allowed(uint32_t optionals, bool backend_read_only)
{
    return backend_read_only || xen_has(optionals, XEN_OPTIONAL_BLKFRONT_WRITE) ? 0 : -EROFS;
}

#endif
