/*
 * app/httpd/device: the site disk is the platform's first block device (the disk= file hosted,
 * blkfront's first vbd on Xen); the platform says why when there is none. A disk named on the
 * command line that cannot be opened is an error: serving the built-in page instead would hide it
 * (blk_open tells the two apart).
 */
#include "httpd.h"
#include "lib/errno.h"
#include "lib/log.h"

int httpd_open_blkdev(struct blkdev **out)
{
    int rc = blk_open(0, true, out);
    if (rc == -ENODEV) {
        log_info("httpd", "no site disk");
        return 0;
    }
    if (rc < 0)
        log_error("httpd", "cannot open the site disk: %s", error_name(rc));
    return rc;
}
