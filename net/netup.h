/*
 * net/netup: brings an application's network up the way every appliance wants it, from the boot
 * options: the platform's first network device (platform_netdev_open), a stack on it, and its
 * IPv4 configuration — static (ip=A.B.C.D/N gw= dns= mtu=) or by DHCP (ip=dhcp, the default).
 * Each step and every configuration change is logged under the application's name:
 *   echo: configured 10.0.0.2/24 gateway 10.0.0.1 dns 10.0.0.1 lease 3600 s from 10.0.0.1
 * netup_stop undoes it in order: a DHCP lease is given back before the device goes.
 */
#ifndef XENOLITH_NET_NETUP_H
#define XENOLITH_NET_NETUP_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/options.h"
#include "net/dhcp/dhcp.h"
#include "net/stack.h"

struct netup {
    const char *who;                 /* log tag: the application's name */
    struct pbuf_pool *rx_pool;
    struct netdev *dev;
    struct netstack *stack;
    struct dhcp *dhcp;
    /* Told after each configuration change: the address in network order, 0 when lost. */
    void (*on_config)(struct netup *n, uint32_t addr, void *arg);
    void *arg;
};

/* Brings the network up as described above. on_config may be NULL. Returns 0, or a negative
 * errno after logging why (no device, out of memory, a refused static configuration); on error
 * nothing is left to stop. With DHCP, 0 means the client runs: the address comes later. */
int netup_start(struct netup *n, const char *who, const struct kernel_options *opts,
                void (*on_config)(struct netup *n, uint32_t addr, void *arg), void *arg);

/* Gives a DHCP lease back, prints the stack's counters and frees stack, device and pool. */
void netup_stop(struct netup *n);

#endif
