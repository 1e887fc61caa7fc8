/*
 * net/ip/icmp: the Internet Control Message Protocol for a host (RFC 792, RFC 1122 3.2.2).
 *
 * Input: echo requests are answered with the same identifier, sequence number and data (RFC 1122
 * 3.2.2.6), but not when sent to a broadcast or multicast address (3.2.2.6 allows silence; we keep
 * it, against smurf amplification). Errors (destination unreachable, time exceeded, parameter
 * problem, source quench) must quote at least our datagram's header and 8 bytes sent from our own
 * address; they go, through ipv4_deliver_error, to the transport registered for the quoted protocol
 * (ipv4_register_protocol's error function, with the next-hop MTU of a "fragmentation needed" in
 * err->info: a router predating RFC 1191 that reports 0 gets the plateau below the quoted length).
 * ICMP itself never lowers the path MTU: the transport does (ipv4_pmtu_update), and only after the
 * quote matched a segment it has in flight (TCP: a sequence number within SND.UNA..SND.NXT of a
 * connection, RFC 5927 4.1), so a blind forger cannot shrink every path; UDP and ICMP cannot vouch
 * for a quote and their "fragmentation needed" changes nothing. Redirects are counted and ignored:
 * we have one gateway and do not let others change our routes.
 *
 * Output of errors (icmp_send_error) follows RFC 1122 3.2.2: never about an ICMP error, a datagram
 * sent to a broadcast or multicast address (IP or link layer), a non-initial fragment, or a
 * datagram whose source is not a single host; rate-limited by a token bucket
 * (net/ip/icmp_ratelimit.h); the quote holds the original header and as much data as keeps the
 * whole message within 576 bytes (RFC 1812 4.3.2.3). ICMP registers with the IPv4 layer below it as
 * protocol 1 and as the sender of IPv4's errors (ipv4_set_error_sender), which is also how UDP's
 * port unreachable reaches it (ipv4_send_error).
 */
#ifndef XENOLITH_NET_ICMP_H
#define XENOLITH_NET_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "net/ip/icmp_ratelimit.h"

struct ipv4_layer;
struct pbuf;
struct ipv4_rx_info;

#define ICMP_HEADER_LEN 8
#define ICMP_ERROR_MAX_LEN 576       /* the whole error datagram, IP header included */

#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACHABLE 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_ECHO_REQUEST 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETER_PROBLEM 12
#define ICMP_TIMESTAMP_REQUEST 13
#define ICMP_TIMESTAMP_REPLY 14

/* Destination unreachable codes. */
#define ICMP_UNREACH_NET 0
#define ICMP_UNREACH_HOST 1
#define ICMP_UNREACH_PROTOCOL 2
#define ICMP_UNREACH_PORT 3
#define ICMP_UNREACH_FRAG_NEEDED 4
/* Time exceeded codes. */
#define ICMP_TIME_EXCEEDED_TTL 0
#define ICMP_TIME_EXCEEDED_REASSEMBLY 1

#define ICMP_COUNTERS(X)                                                                       \
    X(rx_messages)                                                                             \
    X(rx_too_short)                                                                            \
    X(rx_bad_checksum)                                                                         \
    X(rx_echo_requests)                                                                        \
    X(rx_echo_broadcast_ignored) /* echo to a broadcast/multicast address: no reply */         \
    X(rx_echo_replies)                                                                         \
    X(rx_dest_unreachable)                                                                     \
    X(rx_frag_needed)                                                                          \
    X(rx_time_exceeded)                                                                        \
    X(rx_parameter_problem)                                                                    \
    X(rx_source_quench)                                                                        \
    X(rx_redirects_ignored)                                                                    \
    X(rx_other)              /* types we do not handle (timestamp, ...) */                      \
    X(rx_bad_quote)          /* an error quoting less than a header + 8 bytes, or not ours */  \
    X(tx_echo_replies)                                                                         \
    X(tx_dest_unreachable)                                                                     \
    X(tx_time_exceeded)                                                                        \
    X(tx_rate_limited)       /* errors the token bucket refused */                             \
    X(tx_suppressed)         /* errors RFC 1122 3.2.2 forbids (about errors, broadcasts, ...) */ \
    X(tx_errors)             /* could not build or send */

struct icmp_stats {
#define ICMP_STAT_FIELD(name) uint64_t name;
    ICMP_COUNTERS(ICMP_STAT_FIELD)
#undef ICMP_STAT_FIELD
};

/* The ICMP layer of one stack (embedded in struct netstack). */
struct icmp_layer {
    struct ipv4_layer *ip;
    struct icmp_ratelimit error_limit;
    struct icmp_stats stats;
};

/* Sets up ICMP on ip: registers protocol 1 and the error sender. 0 or ipv4_register_protocol's
 * error. */
int icmp_init(struct icmp_layer *icmp, struct ipv4_layer *ip);

/* The protocol 1 input (p's data at the ICMP header; owns p). */
void icmp_input(struct icmp_layer *icmp, struct pbuf *p, const struct ipv4_rx_info *rx);

/*
 * Sends an ICMP error of type/code (info: the 32-bit field after the checksum, e.g. the next-hop
 * MTU) about the datagram `orig`, whose data starts at its IP header, received as described by rx
 * (NULL: a datagram we hold without receive information, such as a reassembly quote). Does not take
 * ownership of orig. Returns 0 if sent, -EPERM if RFC 1122 3.2.2 forbids it, -EAGAIN when rate
 * limited, or an output error.
 */
int icmp_send_error(struct icmp_layer *icmp, const struct pbuf *orig, const struct ipv4_rx_info *rx,
                    uint8_t type, uint8_t code, uint32_t info);
/* The same about a quote held as bytes (header first). */
int icmp_send_error_quote(struct icmp_layer *icmp, const uint8_t *quote, size_t quote_len,
                          const struct ipv4_rx_info *rx, uint8_t type, uint8_t code, uint32_t info);

/* Error generation limit: rate per second and burst (0 rate: unlimited). */
void icmp_set_error_rate(struct icmp_layer *icmp, uint32_t rate_per_sec, uint32_t burst);

#endif
