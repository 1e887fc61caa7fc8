/*
 * app/httpd/device: the appliance's network and block devices on the platform it runs on. Hosted,
 * they are the TAP interface named by tap= and the file named by disk=; the kernel image has no
 * driver to reach yet from here (netfront and blkfront open them through the platform seam once
 * it is in the tree), so it reports that there is none.
 */
#include "app/httpd/httpd.h"
#include "kernel/options.h"
#include "lib/errno.h"
#include "lib/log.h"

#if defined(XENOLITH_HOSTED)
#include "arch/hosted/disk.h"
#include "arch/hosted/tap.h"

struct netdev *httpd_open_netdev(struct pbuf_pool *rx_pool)
{
    const char *tap = kernel_options()->tap;
    if (!tap) {
        log_error("httpd", "no network device: give tap=NAME");
        return NULL;
    }
    return tap_open(tap, rx_pool);
}

int httpd_open_blkdev(struct blkdev **out)
{
    const char *disk = kernel_options()->disk;
    *out = NULL;
    if (!disk) {
        log_info("httpd", "no disk= given");
        return 0;
    }
    *out = hosted_disk_open(disk, true);
    return *out ? 0 : -ENODEV;
}
#else
struct netdev *httpd_open_netdev(struct pbuf_pool *rx_pool)
{
    (void)rx_pool;
    log_error("httpd", "no network device");
    return NULL;
}

int httpd_open_blkdev(struct blkdev **out)
{
    *out = NULL;
    log_info("httpd", "no block device");
    return 0;
}
#endif
