/*
 * net/link/ethernet: the Ethernet layer of a stack (RFC 894), the lowest one: it owns the device,
 * our MAC and the transmit pool. Input validates a frame, applies our MAC filter (our unicast
 * address, broadcast, multicast), cuts the header and dispatches on the EtherType to the handler
 * a layer above registered (eth_register: ARP and IPv4); everything else is counted and dropped.
 * Output prepends the header and hands the frame to the device. The layers above reach the device,
 * MAC and pool through struct eth_layer; nothing here knows them.
 */
#ifndef XENOLITH_NET_ETHERNET_H
#define XENOLITH_NET_ETHERNET_H

#include <stdbool.h>
#include <stdint.h>
#include "platform/netdev.h"

struct pbuf;
struct pbuf_pool;

#define ETH_ADDR_LEN 6
#define ETH_HEADER_LEN 14
#define ETH_MIN_FRAME 60            /* without FCS; shorter frames are padded on output */
#define ETH_MIN_ETHERTYPE 0x0600    /* below: an IEEE 802.3 length field, not Ethernet II */

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_IPV6 0x86dd

extern const uint8_t eth_broadcast_addr[ETH_ADDR_LEN];

#define ETH_COUNTERS(X)                                                                      \
    X(rx_frames)            /* frames accepted and dispatched */                             \
    X(rx_too_short)         /* shorter than an Ethernet header */                            \
    X(rx_not_for_us)        /* unicast to another MAC */                                     \
    X(rx_bad_source)        /* source is multicast/broadcast (impossible for a sender) */    \
    X(rx_own_source)        /* our own frame echoed back */                                  \
    X(rx_ieee8023)          /* 802.3 length field instead of an EtherType (no LLC support) */ \
    X(rx_unknown_ethertype) /* no handler registered for the EtherType */                    \
    X(rx_broadcast)                                                                          \
    X(rx_multicast)                                                                          \
    X(tx_frames)                                                                             \
    X(tx_no_headroom)       /* could not prepend the header (no storage for a new segment) */ \
    X(tx_padded)            /* short frames padded to 60 bytes */                            \
    X(tx_device_errors)     /* the device refused the frame */

struct eth_stats {
#define ETH_STAT_FIELD(name) uint64_t name;
    ETH_COUNTERS(ETH_STAT_FIELD)
#undef ETH_STAT_FIELD
};

/* A payload handler registered by a layer above: p's data starts after the Ethernet header
 * (PBUF_F_LINK_BCAST/MCAST tell how it was addressed); the handler owns p. */
typedef void (*eth_input_fn)(void *ctx, struct pbuf *p);

#define ETH_MAX_HANDLERS 4

struct eth_handler {
    uint16_t ethertype;
    eth_input_fn input;
    void *ctx;
};

/* The Ethernet layer of one stack (embedded in struct netstack). */
struct eth_layer {
    struct netdev *dev;              /* the caller's: eth_fini does not free it */
    struct pbuf_pool *pool;          /* the stack's transmit buffers (every layer allocates here) */
    uint8_t mac[ETH_ADDR_LEN];       /* copied from the device */
    struct eth_handler handlers[ETH_MAX_HANDLERS];
    unsigned handler_count;
    struct eth_stats stats;
};

/* Sets up the layer on dev with the transmit pool; frames flow once eth_attach is called. */
void eth_init(struct eth_layer *eth, struct netdev *dev, struct pbuf_pool *pool);
/* Installs eth_input as the device's receive handler (after every layer registered). */
void eth_attach(struct eth_layer *eth);
/* Removes the receive handler: no frame reaches the layers after this. */
void eth_fini(struct eth_layer *eth);

/* Registers the handler for an EtherType. -EEXIST if taken, -ENOSPC if the table is full. */
int eth_register(struct eth_layer *eth, uint16_t ethertype, eth_input_fn input, void *ctx);
/* The handler registered for an EtherType, or NULL. */
const struct eth_handler *eth_handler_for(const struct eth_layer *eth, uint16_t ethertype);

/* The device's receive handler (ctx is the struct eth_layer). */
void eth_input(struct netdev *dev, struct pbuf *p, void *ctx);

/* Prepends an Ethernet II header (our MAC as source) and transmits. Takes ownership of p
 * (the payload: the IPv4 datagram or ARP packet). Pads to the 60-byte minimum. Returns 0 or a
 * negative errno (the drop is counted). */
int eth_output(struct eth_layer *eth, struct pbuf *p, const uint8_t dst_mac[ETH_ADDR_LEN],
               uint16_t ethertype);

static inline bool eth_addr_is_multicast(const uint8_t mac[ETH_ADDR_LEN])
{
    return (mac[0] & 1) != 0;    /* includes broadcast */
}

static inline bool eth_addr_is_broadcast(const uint8_t mac[ETH_ADDR_LEN])
{
    return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xff;
}

static inline bool eth_addr_is_zero(const uint8_t mac[ETH_ADDR_LEN])
{
    return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}

/* The IPv4 multicast MAC for a group (RFC 1112 6.4: 01:00:5e + low 23 bits). */
void eth_ipv4_multicast_addr(uint32_t group_be, uint8_t mac[ETH_ADDR_LEN]);

#endif
