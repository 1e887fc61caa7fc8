/*
 * net/stack: one instance of the network stack (docs/DESIGN.md, "Network stack"). Everything lives in
 * struct netstack, nothing in globals, so unit tests can wire two stacks back to back in one
 * process (net/dev/pair.h) on the simulated clock.
 *
 * Layers plug in by EtherType (netstack_register_ethertype): netstack_create registers ARP;
 * IPv4 registers itself when it attaches. Each layer keeps its counters as an X-macro list in its
 * own header and its stats struct embedded here, so netstack_print_stats can print every name.
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
#include "platform/netdev.h"

#define NETSTACK_MAX_DNS 3
#define NETSTACK_MAX_ETHERTYPES 4
#define NETSTACK_POOL_BLOCKS 512     /* default transmit pool: 512 x 2 KiB */

/* An IPv4 address from its four dotted parts, in network byte order. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define IP4_ADDR(a, b, c, d) \
    ((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
#else
#define IP4_ADDR(a, b, c, d) \
    (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#endif
#define IP4_ANY 0u
#define IP4_BROADCAST 0xffffffffu

/* The interface's IPv4 configuration (static or from DHCP). */
struct ipv4_config {
    uint32_t addr;                   /* 0: unconfigured */
    uint8_t prefix_len;              /* 0..32 */
    uint32_t gateway;                /* 0: none (on-link only) */
    unsigned dns_count;
    uint32_t dns[NETSTACK_MAX_DNS];
    uint32_t mtu;                    /* 0: the device's */
};

/* The mask for a prefix length, network byte order. */
uint32_t ipv4_prefix_mask(uint8_t prefix_len);

/* One interface: the device and what the stack knows about it. */
struct netif {
    struct netdev *dev;
    uint8_t mac[ETH_ADDR_LEN];       /* copied from the device */
    uint32_t mtu;                    /* effective IP MTU: min(device, configured) */
    bool configured;                 /* ipv4 holds a usable address */
    struct ipv4_config ipv4;
    uint32_t netmask;                /* derived from ipv4.prefix_len */
    uint32_t subnet_broadcast;       /* addr | ~mask (0 when unconfigured or /31, /32) */
};

typedef void (*netstack_input_fn)(struct netstack *s, struct pbuf *p);

struct netstack_ethertype {
    uint16_t ethertype;
    netstack_input_fn input;
};

/* Told after every configuration change (set or clear); runs in the caller's context. */
struct netstack_config_observer {
    void (*changed)(struct netstack *s, void *arg);
    void *arg;
    struct netstack_config_observer *next;
};

struct netstack {
    struct netif netif;
    struct pbuf_pool *pool;          /* transmit buffers of this stack */
    struct netstack_ethertype ethertypes[NETSTACK_MAX_ETHERTYPES];
    unsigned ethertype_count;
    struct netstack_config_observer *observers;
    struct eth_stats eth;
    struct arp_stats arp_stats;
    struct arp_state arp;
    /* Upper layers (IPv4, ICMP, UDP, TCP) add their state and stats structs below. */
    struct ipv4_state ipv4;
    struct ipv4_stats ipv4_stats;
    struct icmp_state icmp;
    struct icmp_stats icmp_stats;
    struct udp_state udp;
    struct udp_stats udp_stats;
    struct tcp_state tcp;
    struct tcp_stats tcp_stats;
};

/* A stack on dev: installs itself as the device's receive handler, creates its pool, registers
 * ARP. NULL when out of memory. The device stays the caller's (netstack_destroy does not free it). */
struct netstack *netstack_create(struct netdev *dev);
/* Detaches from the device, cancels timers, frees queued packets and the stack. */
void netstack_destroy(struct netstack *s);

/* Registers the input function for an EtherType. -EEXIST if taken, -ENOSPC if the table is full. */
int netstack_register_ethertype(struct netstack *s, uint16_t ethertype, netstack_input_fn input);
/* The registered input for an EtherType, or NULL. */
netstack_input_fn netstack_ethertype_input(struct netstack *s, uint16_t ethertype);

/* Validates and installs cfg (address unicast, prefix 0..32, gateway on-link, MTU 68..device):
 * -EINVAL with a logged reason otherwise. Flushes ARP when the address changes, announces the new
 * address (gratuitous ARP, RFC 5227 2.3) and tells the observers. */
int netstack_set_ipv4_config(struct netstack *s, const struct ipv4_config *cfg);
/* Forgets the address (lease expired): flushes ARP and tells the observers. */
void netstack_clear_ipv4_config(struct netstack *s);
void netstack_add_config_observer(struct netstack *s, struct netstack_config_observer *obs);
void netstack_remove_config_observer(struct netstack *s, struct netstack_config_observer *obs);

/* Our address, 0 when unconfigured. */
static inline uint32_t netstack_ipv4_addr(const struct netstack *s)
{
    return s->netif.configured ? s->netif.ipv4.addr : 0;
}
/* True for an address on our subnet (false when unconfigured). */
bool netstack_ipv4_on_link(const struct netstack *s, uint32_t addr);

/* Prints the device, pool and every layer's counters ("eth.rx_frames 12"), zero counters too. */
void netstack_print_stats(const struct netstack *s);

/* Prints the counters of one X-macro list: helper for upper layers' stats printers. */
void netstack_print_counters(const char *prefix, const char *const *names, const uint64_t *values,
                             unsigned count);

#endif
