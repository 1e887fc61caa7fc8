/*
 * platform/pvh/devices: the device seams (platform/netdev.h, platform/blkdev.h) on the PVH
 * image. Devices are Xen's paravirtual ones (xen/netfront, xen/blkfront); bare QEMU offers
 * none. This asks pvh_on_xen() rather than going through the machine table so that an image
 * links a driver only when it opens such a device (the table is in every image); the platform
 * is built as an archive for the same reason (mk/kernel.mk).
 */
#include "platform/pvh/pvh.h"
#include "lib/log.h"
#include "xen/blkfront.h"
#include "xen/netfront.h"

struct netdev *platform_netdev_open(unsigned index, struct pbuf_pool *rx_pool)
{
    if (!pvh_on_xen()) {
        log_error("netfront", "no network device (not running on Xen)");
        return NULL;
    }
    return xen_netfront_open_index(index, rx_pool);
}

struct blkdev *platform_blkdev_open(unsigned index, bool read_only)
{
    if (!pvh_on_xen()) {
        log_error("blkfront", "no block device: not running on Xen");
        return NULL;
    }
    return xen_blkfront_open_index(index, read_only);
}
