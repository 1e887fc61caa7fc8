/*
 * app/echo/device: the appliance's network device is the platform's first one (a TAP interface
 * hosted, netfront's first vif on Xen); the platform says why when there is none.
 */
#include "app/echo/echo.h"

struct netdev *echo_open_device(struct pbuf_pool *rx_pool)
{
    return platform_netdev_open(0, rx_pool);
}
