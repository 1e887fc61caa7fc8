/*
 * net/ip/ipv4: the IPv4 layer of a stack (RFC 791, RFC 1122 3.2.1 and 3.3): input validation and
 * dispatch to transports, reassembly (net/ip/ip_reass.h), output with routing and fragmentation
 * (net/ip/ip_frag.h), and the per-destination path MTU learnt from ICMP (RFC 1191).
 *
 * Input accepts a datagram when its header is valid (ipv4_header.h), its source could be a single
 * host (not 0.0.0.0/8, broadcast, multicast, loopback, class E, our own address or our subnet
 * broadcast: RFC 1122 3.2.1.3 and 3.2.1.8's silent discard of such sources), it was not a link
 * broadcast carrying a unicast IP destination (RFC 1122 3.3.6), and it is addressed to us: our
 * address, 255.255.255.255, our subnet broadcast, or all-hosts 224.0.0.1. While the stack has no
 * address, UDP to any unicast address is accepted too, because a DHCP server may unicast its offer
 * to the address it is offering (RFC 2131 4.1) before we own it. TTL is not checked on input (RFC
 * 1122 3.2.1.7: a host must not discard a datagram for a low TTL).
 *
 * Output routes to the destination itself when it is on-link, broadcast or multicast, otherwise to
 * the gateway; fragments above min(interface MTU, path MTU) unless DF is asked for (-EMSGSIZE).
 * Identifications come from one of 64 counters picked by a keyed hash of the destination, each
 * starting at a random value (RFC 6864 4.1 uniqueness without one global, guessable counter).
 *
 * IPv4 sits on ARP and Ethernet (ipv4_init registers ETHERTYPE_IPV4 with the Ethernet layer and
 * sends through arp_output) and owns the interface's address configuration (ipv4_set_config:
 * validated, told to ARP, then to the registered observers). The layers above register with it:
 * transports by protocol number (ipv4_register_protocol: input, and the ICMP errors that quote
 * their datagrams), ICMP as the sender of IPv4's own errors (ipv4_set_error_sender). IPv4 knows
 * none of them by name.
 */
#ifndef XENOLITH_NET_IPV4_H
#define XENOLITH_NET_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/checksum.h"
#include "net/ip/ip_reass.h"
#include "net/wire/ipv4_header.h"
#include "sched/sched.h"

struct arp_layer;
struct eth_layer;
struct pbuf;

#define IPV4_MAX_DNS 3

/* The interface's IPv4 configuration (static or from DHCP). */
struct ipv4_config {
    uint32_t addr;                   /* 0: unconfigured */
    uint8_t prefix_len;              /* 0..32 */
    uint32_t gateway;                /* 0: none (on-link only) */
    unsigned dns_count;
    uint32_t dns[IPV4_MAX_DNS];
    uint32_t mtu;                    /* 0: the device's */
};

/* What IPv4 knows of the interface: its configuration and what derives from it. */
struct netif {
    uint32_t mtu;                    /* effective IP MTU: min(device, configured) */
    bool configured;                 /* ipv4 holds a usable address */
    struct ipv4_config ipv4;
    uint32_t netmask;                /* derived from ipv4.prefix_len */
    uint32_t subnet_broadcast;       /* addr | ~mask (0 when unconfigured or /31, /32) */
};

struct ipv4_layer;

/* Told after every configuration change (set or clear); runs in the caller's context. */
struct ipv4_config_observer {
    void (*changed)(struct ipv4_layer *ip, void *arg);
    void *arg;
    struct ipv4_config_observer *next;
};

#define IPV4_COUNTERS(X)                                                                       \
    X(rx_packets)           /* datagrams handed to ipv4_input */                              \
    X(rx_delivered)         /* given to a transport */                                         \
    X(rx_truncated)         /* shorter than the header, or than its header length */            \
    X(rx_bad_version)                                                                          \
    X(rx_bad_header_length) /* IHL below 5 */                                                  \
    X(rx_bad_length)        /* total length below the header or beyond the frame */            \
    X(rx_bad_checksum)                                                                         \
    X(rx_bad_options)       /* an option running past the header */                            \
    X(rx_source_routed)     /* LSRR/SSRR: refused */                                           \
    X(rx_martian_source)    /* source cannot be a single host, or is us */                    \
    X(rx_link_broadcast_unicast) /* link broadcast/multicast with a unicast IP destination */  \
    X(rx_not_for_us)        /* another destination */                                         \
    X(rx_unknown_protocol)  /* no transport: protocol unreachable */                           \
    X(rx_fragments)         /* fragments handed to reassembly */                              \
    X(rx_reassembled)       /* datagrams rebuilt from fragments */                            \
    X(rx_reassembly_drops)  /* fragments reassembly refused (see reass.*) */                   \
    X(rx_no_buffers)        /* no packet buffer for a reassembled datagram */                  \
    X(tx_packets)           /* datagrams sent (before fragmentation) */                        \
    X(tx_fragments)         /* fragments sent */                                               \
    X(tx_no_route)          /* no address, no gateway, or an unusable destination */           \
    X(tx_no_buffers)        /* no headroom or buffer for a header or fragment */               \
    X(tx_too_big)           /* DF set (or fragmentation impossible) above the MTU */          \
    X(tx_errors)            /* the link layer refused the datagram */                          \
    X(pmtu_updates)         /* path MTU lowered by an ICMP fragmentation-needed */             \
    X(pmtu_ignored)         /* frag-needed not believable (bigger, below 68), or no PMTUD */   \
    X(pmtu_expired)         /* estimates forgotten after IPV4_PMTU_TIMEOUT_NS */

struct ipv4_stats {
#define IPV4_STAT_FIELD(name) uint64_t name;
    IPV4_COUNTERS(IPV4_STAT_FIELD)
#undef IPV4_STAT_FIELD
};

/* RFC 1191 3: path MTU estimates per destination, bounded; the oldest is replaced. */
#define IPV4_PMTU_ENTRIES 16
/* RFC 1191 6.3: an estimate is forgotten (and the first-hop MTU tried again) after 10 minutes. */
#define IPV4_PMTU_TIMEOUT_NS (600ull * 1000000000ull)
/* Reports below this are raised to it: RFC 1191 3 forbids going below 68; we stop at 552 (IPv4's
 * 576-byte minimum reassembly size minus 24), so a forged ICMP cannot make every segment tiny. */
#define IPV4_PMTU_FLOOR 552u

struct ipv4_pmtu_entry {
    uint32_t dst;                   /* 0: free */
    uint32_t mtu;
    uint64_t expires_ns;
};

/* What a transport's input learns about the datagram that carried its data. */
struct ipv4_rx_info {
    uint32_t src;
    uint32_t dst;
    uint8_t header_len;             /* the IP header sits just before the pbuf's data */
    uint8_t protocol;
    uint8_t ttl;
    uint8_t tos;
    bool to_broadcast;              /* 255.255.255.255 or our subnet broadcast */
    bool to_multicast;
    bool link_broadcast;            /* arrived as an Ethernet broadcast or multicast */
    bool reassembled;
};

/* An ICMP error (RFC 792) about a datagram we sent, for the transport that sent it. */
struct ipv4_icmp_error {
    uint8_t type;
    uint8_t code;
    uint32_t info;                  /* next-hop MTU for fragmentation needed, else 0 */
    uint32_t reporter;              /* source of the ICMP message */
    struct ipv4_header quoted;      /* our datagram's header, as quoted */
    const uint8_t *quoted_payload;  /* at least 8 bytes of its payload (transport ports) */
    size_t quoted_payload_len;
};

/* A transport's handlers, called with the ctx it registered. Input: p's data starts at the
 * transport header; the transport owns p. */
typedef void (*ipv4_input_fn)(void *ctx, struct pbuf *p, const struct ipv4_rx_info *rx);
typedef void (*ipv4_error_fn)(void *ctx, const struct ipv4_icmp_error *err);
/* Sends an ICMP error about a datagram quoted as bytes (header first); rx NULL when there is no
 * receive information (a reassembly time-out). Returns 0 or a negative errno (icmp.h). */
typedef int (*ipv4_error_sender_fn)(void *ctx, const uint8_t *quote, size_t quote_len,
                                    const struct ipv4_rx_info *rx, uint8_t type, uint8_t code,
                                    uint32_t info);

#define IPV4_MAX_PROTOCOLS 4

struct ipv4_protocol {
    uint8_t protocol;
    ipv4_input_fn input;
    ipv4_error_fn error;            /* may be NULL */
    void *ctx;
};

#define IPV4_ID_COUNTERS 64

/* An ICMP error quotes at most this much of the datagram (RFC 1812 4.3.2.3: the whole error
 * within 576 bytes, after its own IP and ICMP headers). */
#define IPV4_ERROR_QUOTE_MAX (576u - IPV4_HEADER_MIN - 8u)

/* The IPv4 layer of one stack (embedded in struct netstack). */
struct ipv4_layer {
    bool initialized;
    struct arp_layer *arp;           /* resolves next hops and sends */
    struct eth_layer *eth;           /* the link under ARP: device, MAC, transmit pool */
    struct netif netif;
    struct ipv4_config_observer *observers;
    ipv4_error_sender_fn send_error; /* registered by ICMP; NULL: IPv4 errors are not sent */
    void *send_error_ctx;
    struct ipv4_stats stats;
    struct ip_reass reass;
    struct timer reass_timer;
    struct ipv4_pmtu_entry pmtu[IPV4_PMTU_ENTRIES];
    unsigned pmtu_live;              /* entries with a dst: none, and a path MTU is the link's */
    uint64_t id_key;
    uint16_t id_counters[IPV4_ID_COUNTERS];
    struct ipv4_protocol protocols[IPV4_MAX_PROTOCOLS];
    unsigned protocol_count;
};

/* Sets up IPv4 over arp (and its Ethernet layer), unconfigured, and registers for ETHERTYPE_IPV4.
 * Returns 0 or eth_register's error. */
int ipv4_init(struct ipv4_layer *ip, struct arp_layer *arp);
/* Cancels timers and frees reassembly state. */
void ipv4_fini(struct ipv4_layer *ip);

/* The ETHERTYPE_IPV4 handler. Takes ownership of p (data at the IP header). */
void ipv4_input(struct ipv4_layer *ip, struct pbuf *p);

/* Registers a transport: input gets its datagrams, error (may be NULL) the ICMP errors quoting a
 * datagram of that protocol, both with ctx. -EEXIST if the protocol is taken, -ENOSPC when the
 * table is full. */
int ipv4_register_protocol(struct ipv4_layer *ip, uint8_t protocol, ipv4_input_fn input,
                           ipv4_error_fn error, void *ctx);
/* Hands an ICMP error about one of our datagrams to the transport registered for the quoted
 * protocol (ICMP calls this after checking the quote is ours). */
void ipv4_deliver_error(struct ipv4_layer *ip, const struct ipv4_icmp_error *err);

/* Registers the sender of ICMP errors (ICMP does, when it attaches). */
void ipv4_set_error_sender(struct ipv4_layer *ip, ipv4_error_sender_fn fn, void *ctx);
/* Sends an ICMP error about `orig` (data at its IP header, received as rx) through the registered
 * sender; does not take ownership of orig. -ENOSYS without a sender, else the sender's result. */
int ipv4_send_error(struct ipv4_layer *ip, const struct pbuf *orig, const struct ipv4_rx_info *rx,
                    uint8_t type, uint8_t code, uint32_t info);

/* ---- The interface's configuration (ipv4_config.c) ---- */

/* Validates and installs cfg (address unicast, prefix 0..32, gateway on-link, MTU 68..device):
 * -EINVAL with a logged reason otherwise. When the address changes, ARP forgets its cache, learns
 * the new address and announces it (gratuitous ARP, RFC 5227 2.3). Then the observers are told. */
int ipv4_set_config(struct ipv4_layer *ip, const struct ipv4_config *cfg);
/* Forgets the address (lease expired): flushes ARP and tells the observers. */
void ipv4_clear_config(struct ipv4_layer *ip);
void ipv4_add_config_observer(struct ipv4_layer *ip, struct ipv4_config_observer *obs);
void ipv4_remove_config_observer(struct ipv4_layer *ip, struct ipv4_config_observer *obs);
/* Our address, 0 when unconfigured. */
static inline uint32_t ipv4_addr(const struct ipv4_layer *ip)
{
    return ip->netif.configured ? ip->netif.ipv4.addr : 0;
}
/* True for an address on our subnet (false when unconfigured). */
bool ipv4_on_link(const struct ipv4_layer *ip, uint32_t addr);
/* The mask for a prefix length, network byte order. */
uint32_t ipv4_prefix_mask(uint8_t prefix_len);

/* How a datagram is sent. src 0: our address (0.0.0.0 while unconfigured); ttl 0: 64. */
struct ipv4_tx {
    uint32_t src;
    uint32_t dst;
    uint8_t protocol;
    uint8_t ttl;
    uint8_t tos;
    bool dont_fragment;
};

/* Prepends an IPv4 header to p (transport header and payload, complete with checksum) and sends
 * it, fragmenting if needed. Always takes ownership of p. Returns 0, -ENETUNREACH (no route),
 * -EMSGSIZE (too big with DF, or beyond 65535), -ENOBUFS, -EINVAL (dst 0), or ARP's error. */
int ipv4_output(struct ipv4_layer *ip, struct pbuf *p, const struct ipv4_tx *tx);

/* The next hop for dst: dst itself (on-link, broadcast, multicast) or the gateway.
 * -ENETUNREACH when there is none (unconfigured, no gateway, loopback or reserved dst). */
int ipv4_route(const struct ipv4_layer *ip, uint32_t dst, uint32_t *next_hop);

/* True for 255.255.255.255 and (when configured) our subnet broadcast. */
bool ipv4_is_broadcast(const struct ipv4_layer *ip, uint32_t addr);

/* The largest datagram to send to dst now: min(interface MTU, learnt path MTU). */
uint32_t ipv4_path_mtu(struct ipv4_layer *ip, uint32_t dst);
/* RFC 1191: dst's path MTU is at most mtu (from ICMP fragmentation needed). Lowers only; values
 * below 68 are ignored, values below IPV4_PMTU_FLOOR raised to it. Returns true if it changed. */
bool ipv4_pmtu_update(struct ipv4_layer *ip, uint32_t dst, uint32_t mtu);

/* Adds len bytes of p from offset to a checksum (the chain is walked, any alignment). -EINVAL if
 * the range is outside p. */
int ipv4_csum_add_pbuf(struct csum *c, const struct pbuf *p, size_t offset, size_t len);
/* Adds the TCP/UDP pseudo-header (RFC 768, RFC 9293 3.1). */
void ipv4_csum_add_pseudo(struct csum *c, uint32_t src, uint32_t dst, uint8_t protocol,
                          uint16_t length);

#endif
