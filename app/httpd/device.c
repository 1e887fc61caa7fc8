/*
 * app/httpd/device: the site disk is the platform's first block device (the disk= file hosted,
 * blkfront's first vbd on Xen); the platform says why when there is none. The network comes
 * from net/netup.
 */
#include "app/httpd/httpd.h"
#include "kernel/options.h"
#include "lib/errno.h"
#include "lib/log.h"

int httpd_open_blkdev(struct blkdev **out)
{
    *out = platform_blkdev_open(0, true);
    /* A disk named on the command line that cannot be opened is an error: serving the built-in
     * page instead would hide it. (Only the hosted platform names its disk; on Xen a missing
     * vbd simply means no site disk.) */
    if (!*out && kernel_options()->disk) {
        log_error("httpd", "cannot open the site disk %s", kernel_options()->disk);
        return -ENODEV;
    }
    if (!*out)
        log_info("httpd", "no site disk");
    return 0;
}
