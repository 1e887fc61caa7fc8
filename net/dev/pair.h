/*
 * net/dev/pair: two netdevs wired back to back in one process, for deterministic tests of two
 * stacks talking to each other. A frame sent on one end is copied into the other end's pool (as a
 * real wire would: the sender may keep its own reference) and delivered from a sched/ timer at
 * send time + latency, so with the simulated clock delivery order and timing are exact.
 * Each direction queues at most NETDEV_PAIR_QUEUE frames; more are dropped (tx_dropped).
 * Capabilities: SG, TX_CSUM and TSO may be advertised (the pair copies, completes partial
 * checksums in software as a device would, and hands a TSO frame to the other end whole, with
 * its gso_size, as a large receive); RX_CSUM is never advertised.
 */
#ifndef XENOLITH_NET_DEV_PAIR_H
#define XENOLITH_NET_DEV_PAIR_H

#include <stdbool.h>
#include <stdint.h>
#include "platform/netdev.h"

#define NETDEV_PAIR_QUEUE 256

struct netdev_pair;

/* Ends are named "<name>0" and "<name>1", MACs derived from `mac_seed` and the side, receive into
 * pool_a / pool_b. caps are advertised by both ends (the pair itself needs none: it copies).
 * NULL when out of memory. */
struct netdev_pair *netdev_pair_create(const char *name, uint32_t mac_seed, uint32_t mtu,
                                       uint32_t caps, struct pbuf_pool *pool_a,
                                       struct pbuf_pool *pool_b);
/* Frames still in flight are freed. The ends must no longer be used. */
void netdev_pair_destroy(struct netdev_pair *pair);

/* side 0 or 1 */
struct netdev *netdev_pair_end(struct netdev_pair *pair, unsigned side);
/* Cable unplugged: frames sent while down are dropped (tx_dropped); in-flight ones still arrive. */
void netdev_pair_set_link(struct netdev_pair *pair, bool up);
/* One-way delay for frames sent from now on (default 0: delivered at the next loop turn). */
void netdev_pair_set_latency(struct netdev_pair *pair, uint64_t latency_ns);
/* Frames queued in both directions and not yet delivered. */
unsigned netdev_pair_in_flight(const struct netdev_pair *pair);

#endif
