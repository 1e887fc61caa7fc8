/*
 * app/echo/device: finds the appliance's network device on the platform it runs on. Hosted, it is
 * the TAP interface named by tap=; on the kernel it will be netfront's first device, which does
 * not exist yet, so the kernel build reports that there is no network device.
 */
#include "app/echo/echo.h"
#include "kernel/options.h"
#include "lib/log.h"

#if defined(XENOLITH_HOSTED)
#include "arch/hosted/tap.h"

struct netdev *echo_open_device(struct pbuf_pool *rx_pool)
{
    const char *tap = kernel_options()->tap;
    if (!tap) {
        log_error("echo", "no network device: give tap=NAME");
        return NULL;
    }
    return tap_open(tap, rx_pool);
}
#else
struct netdev *echo_open_device(struct pbuf_pool *rx_pool)
{
    (void)rx_pool;
    log_error("echo", "no network device");
    return NULL;
}
#endif
