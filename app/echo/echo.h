/*
 * app/echo: the UDP echo appliance (RFC 862 echo on port 7, RFC 863 discard on port 9).
 * Internal interface between its files.
 */
#ifndef XENOLITH_APP_ECHO_ECHO_H
#define XENOLITH_APP_ECHO_ECHO_H

#include "net/pbuf.h"
#include "platform/netdev.h"

/* The platform's network device, receiving into rx_pool, or NULL (reason logged). */
struct netdev *echo_open_device(struct pbuf_pool *rx_pool);

#endif
