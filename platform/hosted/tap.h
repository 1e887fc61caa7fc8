/*
 * platform/hosted/tap: the hosted platform's network device, a Linux TAP interface (IFF_TAP |
 * IFF_NO_PI) named by the tap= option. The descriptor is non-blocking and watched by the event loop
 * (hosted_watch_fd); each wakeup reads every frame available.
 */
#ifndef XENOLITH_ARCH_HOSTED_TAP_H
#define XENOLITH_ARCH_HOSTED_TAP_H

#include "platform/netdev.h"

/* Opens (attaches to) TAP interface `name`, receiving into `pool`. The MAC is a locally
 * administered one derived from the name. Returns the device, or NULL with the reason logged. */
struct netdev *tap_open(const char *name, struct pbuf_pool *pool);

#endif
