/*
 * net/link/arp: address resolution for IPv4 over Ethernet (RFC 826), with the host requirements of
 * RFC 1122 2.3.2.1 (cache timeout, at most one request per second per destination) and 2.3.2.2
 * (a bounded queue of packets waiting for resolution, keeping the latest), and address conflict
 * detection and announcement from RFC 5227 (probes with sender IP 0, gratuitous ARP, defence).
 *
 * ARP sits on the Ethernet layer (arp_init registers ETHERTYPE_ARP with it) and resolves for the
 * IPv4 layer above, which tells it our address (arp_set_address) and sends through arp_output.
 * All state lives in struct arp_layer; one sched/ timer drives every deadline (request retries,
 * entry expiry, probes, announcements).
 */
#ifndef XENOLITH_NET_ARP_H
#define XENOLITH_NET_ARP_H

#include <stdbool.h>
#include <stdint.h>
#include "net/link/ethernet.h"
#include "sched/sched.h"

struct pbuf;

#define ARP_PACKET_LEN 28
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
#define ARP_CACHE_SIZE 64            /* entries; the least recently used valid one is evicted */
#define ARP_PENDING_PER_ENTRY 48     /* per unresolved address (oldest dropped): room for the
                                        fragments of one 64 KiB datagram at a 1500-byte MTU */
#define ARP_PENDING_TOTAL 192        /* packets queued for all unresolved addresses */

/* Timing, in nanoseconds. Defaults from arp_default_tunables(); tests may shorten them. */
struct arp_tunables {
    uint64_t entry_ttl_ns;           /* a resolved entry lives this long (60 s) */
    uint64_t refresh_window_ns;      /* used this close to expiry: refresh by unicast request (5 s) */
    uint64_t request_interval_ns;    /* first retry interval, doubled each time (1 s: RFC 1122 limit) */
    unsigned request_tries;          /* requests before giving up (3) */
    uint64_t failed_hold_ns;         /* after failing, refuse at once for this long (3 s) */
    /* RFC 5227 section 1.1 constants */
    uint64_t probe_wait_ns;          /* PROBE_WAIT 1 s: random initial delay bound */
    unsigned probe_num;              /* PROBE_NUM 3 */
    uint64_t probe_min_ns;           /* PROBE_MIN 1 s */
    uint64_t probe_max_ns;           /* PROBE_MAX 2 s */
    uint64_t announce_wait_ns;       /* ANNOUNCE_WAIT 2 s */
    unsigned announce_num;           /* ANNOUNCE_NUM 2 */
    uint64_t announce_interval_ns;   /* ANNOUNCE_INTERVAL 2 s */
    uint64_t defend_interval_ns;     /* DEFEND_INTERVAL 10 s */
};
void arp_default_tunables(struct arp_tunables *out);

#define ARP_COUNTERS(X)                                                                      \
    X(rx_packets)                                                                            \
    X(rx_malformed)         /* too short, wrong hardware/protocol type or lengths, bad op */  \
    X(rx_bad_sender)        /* sender MAC multicast/broadcast/ours, or sender IP not unicast */ \
    X(rx_requests)                                                                           \
    X(rx_replies)                                                                            \
    X(rx_probes)            /* requests with sender IP 0 (RFC 5227 probes) */               \
    X(rx_conflicts)         /* another host claims our address */                           \
    X(tx_requests)                                                                           \
    X(tx_replies)                                                                            \
    X(tx_probes)                                                                             \
    X(tx_announcements)     /* gratuitous ARP (configuration, defence) */                    \
    X(tx_errors)            /* could not build or send an ARP packet */                      \
    X(cache_updates)        /* an entry learnt or refreshed */                               \
    X(cache_mac_changes)    /* an entry's MAC changed */                                     \
    X(cache_evictions)      /* an entry pushed out by the size bound */                      \
    X(cache_expired)                                                                         \
    X(resolve_failures)     /* addresses that never answered */                              \
    X(queued)               /* packets that waited for resolution */                        \
    X(queue_drops)          /* packets dropped: queue bound, failure, flush */               \
    X(unreachable_drops)    /* packets refused at once for a recently failed address */      \
    X(no_address_drops)     /* output without a usable next hop (0, broadcast for unicast) */

struct arp_stats {
#define ARP_STAT_FIELD(name) uint64_t name;
    ARP_COUNTERS(ARP_STAT_FIELD)
#undef ARP_STAT_FIELD
};

enum arp_entry_state { ARP_FREE, ARP_INCOMPLETE, ARP_VALID, ARP_FAILED };

struct arp_entry {
    enum arp_entry_state state;
    uint32_t ip;                     /* network byte order */
    uint8_t mac[ETH_ADDR_LEN];
    uint64_t deadline_ns;            /* VALID: expiry; INCOMPLETE: next retry; FAILED: forget */
    uint64_t last_used_ns;           /* for LRU eviction */
    uint64_t retry_interval_ns;
    unsigned tries;                  /* requests sent for this resolution */
    bool refreshing;                 /* a unicast refresh request is out */
    unsigned pending_count;
    struct pbuf *pending_head, *pending_tail;   /* qnext-linked, oldest first */
};

struct arp_layer;

/* A probe's verdict: in_use is true if another host answered for (or is probing) the address. */
typedef void (*arp_probe_cb)(struct arp_layer *arp, uint32_t ip, bool in_use, void *arg);
/* Told when another host claims our configured address (sender MAC given). */
typedef void (*arp_conflict_cb)(struct arp_layer *arp, uint32_t ip, const uint8_t mac[ETH_ADDR_LEN],
                                void *arg);

/* The ARP layer of one stack (embedded in struct netstack). */
struct arp_layer {
    struct eth_layer *eth;           /* the link it resolves on */
    uint32_t addr;                   /* our IPv4 address, 0 while unconfigured (arp_set_address) */
    uint32_t subnet_broadcast;       /* our subnet broadcast, 0 when none */
    struct arp_stats stats;
    struct arp_tunables tun;
    struct arp_entry cache[ARP_CACHE_SIZE];
    unsigned cache_used;             /* entries from this index on are free: scans stop here */
    unsigned pending_total;
    struct timer timer;
    /* RFC 5227 probe in progress (probe_ip != 0) */
    uint32_t probe_ip;
    unsigned probes_sent;
    uint64_t probe_deadline_ns;
    arp_probe_cb probe_cb;
    void *probe_arg;
    /* announcements of our address still to send */
    unsigned announce_left;
    uint64_t announce_deadline_ns;
    uint64_t last_defend_ns;         /* 0: never defended */
    arp_conflict_cb conflict_cb;
    void *conflict_arg;
    struct arp_layer *next_layer;    /* every initialised layer, for arp_announce_all */
};

/* Sets up ARP on eth and registers it for ETHERTYPE_ARP (0, or eth_register's error). */
int arp_init(struct arp_layer *arp, struct eth_layer *eth);
/* Cancels the timer, stops probes and announcements, drops queued packets. */
void arp_fini(struct arp_layer *arp);
/* Our address and subnet broadcast (0, 0: unconfigured), told by the IPv4 layer. */
void arp_set_address(struct arp_layer *arp, uint32_t addr, uint32_t subnet_broadcast);

/* Announces (gratuitous ARP, as arp_announce) the address of every layer that has one, after
 * the machine moved to another port of the network (a Xen domain restored or migrated: the
 * bridge must learn where its MAC went). Returns how many addresses were announced. */
unsigned arp_announce_all(void);

/* The ETHERTYPE_ARP handler. Takes ownership of p. */
void arp_input(struct arp_layer *arp, struct pbuf *p);

/*
 * Sends the IPv4 datagram p to the on-link host next_hop (network byte order): at once if its
 * MAC is cached, otherwise queued (bounded, RFC 1122 2.3.2.2) while a request goes out.
 * next_hop 255.255.255.255 or the subnet broadcast goes to the Ethernet broadcast address, a
 * multicast group to its multicast MAC. Always takes ownership of p. Returns 0 (sent or queued),
 * -EHOSTUNREACH (resolution failed recently), -ENOBUFS, -EADDRNOTAVAIL (next_hop 0), or the
 * device's error.
 */
int arp_output(struct arp_layer *arp, struct pbuf *p, uint32_t next_hop);

/* RFC 5227 2.1.1: probes `ip` (sender IP 0) and calls cb once with the verdict, from loop context,
 * after PROBE_WAIT + PROBE_NUM probes + ANNOUNCE_WAIT, or as soon as a conflict is seen.
 * Returns 0, -EBUSY if a probe is already running, -EINVAL for a non-unicast address. */
int arp_probe(struct arp_layer *arp, uint32_t ip, arp_probe_cb cb, void *arg);
void arp_probe_cancel(struct arp_layer *arp);

/* RFC 5227 2.3: announces our configured address (ANNOUNCE_NUM gratuitous requests). Called by
 * the IPv4 layer when its address changes; no-op without an address. */
void arp_announce(struct arp_layer *arp);

void arp_set_conflict_handler(struct arp_layer *arp, arp_conflict_cb cb, void *arg);

/* The cached MAC for ip, if a valid entry exists (does not count as a use). */
bool arp_lookup(struct arp_layer *arp, uint32_t ip, uint8_t mac_out[ETH_ADDR_LEN]);
/* Forgets every entry and drops queued packets (address change, tests). */
void arp_flush(struct arp_layer *arp);

#endif
