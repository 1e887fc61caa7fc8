/*
 * net/stack: one instance of the network stack (docs/DESIGN.md, "Network stack"), and the handle
 * applications hold (struct netstack). Everything lives in struct netstack, nothing in globals, so
 * unit tests can wire two stacks back to back in one process (net/dev/pair.h) on the simulated
 * clock.
 *
 * This module only wires. Each layer has its own state struct and registers with the one below
 * it: ARP and IPv4 with Ethernet by EtherType, ICMP, UDP and TCP with IPv4 by protocol number (ICMP
 * also as the sender of IPv4's errors). netstack_create builds them bottom up, netstack_destroy
 * tears them down top down, netstack_print_stats asks each for its counters (an X-macro list in
 * its own header). No layer includes this header: calls go down through the layer pointers, and
 * up only through what a layer registered. net/sockets.c implements the application calls that
 * take the handle (tcp_listen, udp_bind, ...) on the layers.
 * IPv4 addresses are uint32_t in network byte order throughout (print them with %pI4 and &addr).
 */
#ifndef XENOLITH_NET_STACK_H
#define XENOLITH_NET_STACK_H

#include <stdbool.h>
#include <stdint.h>
#include "net/link/arp.h"
#include "net/link/ethernet.h"
#include "net/ip/icmp.h"
#include "net/ip/ipv4.h"
#include "mm/pbuf.h"
#include "net/tcp/tcp.h"
#include "net/udp/udp.h"
#include "net/wire/ipv4_header.h"
#include "platform/netdev.h"

#define NETSTACK_MAX_DNS IPV4_MAX_DNS
#define NETSTACK_POOL_BLOCKS 512     /* default transmit pool: 512 x 2 KiB */

/* The layers, lowest first. */
struct netstack {
    struct pbuf_pool *pool;          /* transmit buffers of this stack (eth.pool) */
    struct eth_layer eth;
    struct arp_layer arp;
    struct ipv4_layer ipv4;
    struct icmp_layer icmp;
    struct udp_layer udp;
    struct tcp_layer tcp;
};

/* A stack on dev: creates its pool, sets the layers up bottom up (each registering with the one
 * below), then installs itself as the device's receive handler. NULL when out of memory. The
 * device stays the caller's (netstack_destroy does not free it). */
struct netstack *netstack_create(struct netdev *dev);
/* Detaches from the device, tears the layers down top down (closing sockets, resetting
 * connections, cancelling timers, freeing queued packets) and frees the stack. */
void netstack_destroy(struct netstack *s);

/* The IPv4 layer's configuration calls on the stack (ipv4_set_config, ipv4_clear_config). */
int netstack_set_ipv4_config(struct netstack *s, const struct ipv4_config *cfg);
void netstack_clear_ipv4_config(struct netstack *s);

/* Our address, 0 when unconfigured. A function, not an inline, so that applications need not see
 * inside struct netstack. */
uint32_t netstack_ipv4_addr(const struct netstack *s);

/* Prints the device, pool and every layer's counters ("eth.rx_frames 12"), zero counters too. */
void netstack_print_stats(const struct netstack *s);

#endif
