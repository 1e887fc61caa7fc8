/*
 * net/dhcp_client: the DHCP client state machine (RFC 2131 sections 3.1, 4.1, 4.3.2, 4.4).
 * It owns no socket, timer or clock: it is driven through a narrow interface so that the unit
 * tests run it on a simulated clock without a network stack, and net/dhcp binds it to one.
 *
 *   the binding calls      dhcp_client_start, dhcp_client_input (a datagram for port 68),
 *                          dhcp_client_timeout (the deadline it last asked for has come),
 *                          dhcp_client_probe_done (the ARP probe of an offered address ended),
 *                          dhcp_client_stop
 *   the client calls back  send (a message, to a server or broadcast), set_timer (one deadline
 *                          at a time), probe (start an ARP probe, RFC 5227), apply (a new
 *                          configuration, or NULL to drop the address), random
 *
 * States: INIT -> SELECTING -> REQUESTING -> PROBING -> BOUND -> RENEWING -> REBINDING, and
 * back to INIT on NAK, on an address conflict (after DHCPDECLINE and a pause) and on expiry.
 * INIT-REBOOT is not used: an appliance boots without a remembered lease.
 */
#ifndef XENOLITH_NET_DHCP_CLIENT_H
#define XENOLITH_NET_DHCP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "net/wire/dhcp_msg.h"

#define DHCP_NS_PER_SEC 1000000000ull

/* RFC 2131 section 4.1: the first retransmission after 4 s, doubling up to 64 s, each
 * randomized by -1..+1 s. */
#define DHCP_RETRANS_FIRST_S 4
#define DHCP_RETRANS_MAX_S 64
/* REQUESTING gives up after this many transmissions and starts again from DISCOVER
 * (RFC 2131 section 3.1 step 5). */
#define DHCP_REQUEST_MAX_TRIES 5
/* RFC 2131 section 4.4.5: in RENEWING and REBINDING wait half the remaining time, at least. */
#define DHCP_RENEW_RETRANS_MIN_S 60
/* RFC 2131 section 3.1 step 5: after DHCPDECLINE wait at least ten seconds. */
#define DHCP_DECLINE_PAUSE_S 10
/* An ARP probe that never reports back is treated as "nobody answered" after this long. */
#define DHCP_PROBE_TIMEOUT_S 10
/* Repeated NAKs back off (first restart immediate) with the section 4.1 schedule. */

enum dhcp_state {
    DHCP_STOPPED,
    DHCP_INIT,          /* waiting out the start delay or a pause before DISCOVER */
    DHCP_SELECTING,     /* DISCOVER sent, waiting for an OFFER */
    DHCP_REQUESTING,    /* REQUEST sent for an offer, waiting for ACK/NAK */
    DHCP_PROBING,       /* ACK received, ARP probe of the address running */
    DHCP_BOUND,
    DHCP_RENEWING,      /* past T1: unicast REQUEST to the leasing server */
    DHCP_REBINDING,     /* past T2: broadcast REQUEST to any server */
};
const char *dhcp_state_name(enum dhcp_state state);

/* A lease as applied to the interface. Addresses in network order. */
struct dhcp_lease {
    uint8_t address[4];
    uint8_t prefix_len;
    bool has_router;
    uint8_t router[4];
    unsigned dns_count;
    uint8_t dns[DHCP_MAX_DNS][4];
    uint16_t mtu;                 /* 0: the server gave none */
    uint8_t server_id[4];
    uint32_t lease_s, t1_s, t2_s; /* lease_s == DHCP_LEASE_INFINITE: never expires */
    uint64_t start_ns;            /* when the REQUEST this lease answers was first sent */
};

/* Destination of an outgoing message: broadcast (255.255.255.255) or one server. */
struct dhcp_dest {
    bool broadcast;
    uint8_t server[4];            /* when !broadcast */
};

struct dhcp_client_ops {
    /* Sends msg[len] from port 68 to port 67. Failures are the binding's to count; the state
     * machine relies on its retransmissions. */
    void (*send)(void *ctx, const uint8_t *msg, size_t len, const struct dhcp_dest *dest);
    /* One deadline at a time (monotonic ns); UINT64_MAX cancels. */
    void (*set_timer)(void *ctx, uint64_t deadline_ns);
    /* Starts an ARP probe of address; the result comes back through dhcp_client_probe_done.
     * NULL: no probing (the address is taken as free). */
    void (*probe)(void *ctx, const uint8_t address[4]);
    /* A lease to configure, or NULL: remove the address now. */
    void (*apply)(void *ctx, const struct dhcp_lease *lease);
    uint32_t (*random)(void *ctx);
};

struct dhcp_client_config {
    uint8_t mac[6];
    /* RFC 2131 section 4.4.1 suggests a random 1..10 s wait before the first DISCOVER to
     * desynchronize clients booting together; the wait is random in [0, start_delay_max_ns]. */
    uint64_t start_delay_max_ns;
    /* Option 57: the largest message the binding can receive, counted as the whole IP datagram
     * (what the interface MTU carries); values below RFC 2132 9.10's minimum of 576 become 576. */
    uint16_t max_msg_size;
};

/* Counters (named so they print). */
#define DHCP_STATS(X) \
    X(tx_discover) X(tx_request) X(tx_decline) X(tx_release) X(tx_build_errors) \
    X(rx_total) X(rx_malformed) X(rx_not_reply) X(rx_wrong_xid) X(rx_wrong_chaddr) \
    X(rx_unexpected) X(rx_offer) X(rx_ack) X(rx_nak) X(rx_bad_offer) X(rx_bad_ack) \
    X(leases) X(renewals) X(rebinds) X(expiries) X(conflicts) X(retransmits) X(restarts)

struct dhcp_client_stats {
#define DHCP_STAT_FIELD(name) uint64_t name;
    DHCP_STATS(DHCP_STAT_FIELD)
#undef DHCP_STAT_FIELD
};

struct dhcp_client {
    struct dhcp_client_config config;
    const struct dhcp_client_ops *ops;
    void *ctx;

    enum dhcp_state state;
    uint32_t xid;
    uint64_t exchange_start_ns;   /* start of this acquisition or renewal ('secs') */
    uint64_t request_first_ns;    /* first REQUEST of this exchange: the lease starts here */
    uint64_t deadline_ns;         /* what set_timer was last told */
    unsigned tries;               /* transmissions in this exchange */
    uint64_t retrans_delay_ns;    /* next base delay, RFC 2131 4.1 schedule */
    unsigned nak_streak;          /* NAKs since the last lease, for backoff */

    struct dhcp_lease offer;      /* the offer being requested / probed */
    struct dhcp_lease lease;      /* the lease in force (BOUND, RENEWING, REBINDING) */
    bool have_lease;

    struct dhcp_client_stats stats;
};

void dhcp_client_init(struct dhcp_client *c, const struct dhcp_client_config *config,
                      const struct dhcp_client_ops *ops, void *ctx);
/* Starts acquisition (INIT, then DISCOVER after the start delay). */
void dhcp_client_start(struct dhcp_client *c, uint64_t now_ns);
/* A UDP datagram that arrived on port 68. */
void dhcp_client_input(struct dhcp_client *c, const uint8_t *buf, size_t len, uint64_t now_ns);
/* The timer armed by set_timer expired (early calls are ignored). */
void dhcp_client_timeout(struct dhcp_client *c, uint64_t now_ns);
/* Result of the probe requested through ops->probe: conflict == someone else has it. */
void dhcp_client_probe_done(struct dhcp_client *c, const uint8_t address[4], bool conflict,
                            uint64_t now_ns);
/* Stops the client; with `release`, a bound client gives its lease back (RFC 2131 4.4.6).
 * The address is dropped through ops->apply(NULL) if one was applied. */
void dhcp_client_stop(struct dhcp_client *c, bool release, uint64_t now_ns);

static inline enum dhcp_state dhcp_client_state(const struct dhcp_client *c)
{
    return c->state;
}

/* "name value" pairs of every counter, one per line, into buf (like ksnprintf). */
int dhcp_client_format_stats(const struct dhcp_client *c, char *buf, size_t size);

/* A contiguous netmask's prefix length, or -1 (RFC 950 masks must be contiguous). */
int dhcp_mask_to_prefix(const uint8_t mask[4]);
/* The classful prefix (8, 16, 24) of an address, the fallback without option 1. */
uint8_t dhcp_classful_prefix(const uint8_t address[4]);

#endif
