/*
 * net/udp/udp: the User Datagram Protocol (RFC 768, RFC 1122 4.1) and its sockets.
 *
 * Input verifies the checksum (RFC 768: 0 means the sender computed none, allowed on IPv4; RFC 1122
 * 4.1.3.4: a bad one is dropped silently), finds the socket bound to the destination port and
 * queues the datagram on it (bounded: datagrams and bytes; overflow is counted and dropped), or
 * answers ICMP port unreachable when nothing is bound (RFC 1122 4.1.3.1), rate-limited, never for
 * broadcast/multicast destinations. Output always computes a checksum (RFC 1122 4.1.3.4 SHOULD),
 * sending 0xffff for a computed 0.
 *
 * Sockets are for fibers: udp_recvfrom blocks only the calling fiber, until a datagram, the
 * deadline or udp_close. A socket may instead install a receive handler (udp_set_receive_handler)
 * and get datagrams in loop context as they arrive (the DHCP client does).
 *
 * Ephemeral ports (port 0 at bind) are picked at random from 49152..65535 (RFC 6056 section 3.3.1,
 * "Simple Port Randomization"), retrying on collision.
 *
 * The layer registers with the IPv4 layer below as protocol 17 (udp_init) and sends through
 * ipv4_output; port unreachable goes out through IPv4's error sender (ICMP). udp_bind takes the
 * stack handle (struct netstack, net/stack.h) and is implemented by net/, which owns the handle;
 * the layer's own entry point is udp_layer_bind (what DHCP uses).
 *
 * Addresses are uint32_t in network byte order (net/wire/ipv4_header.h), ports are host-order
 * integers.
 */
#ifndef XENOLITH_NET_UDP_H
#define XENOLITH_NET_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/list.h"
#include "xenolith/udp.h"

struct ipv4_layer;
struct netstack;
struct pbuf;
struct udp_socket;
struct ipv4_rx_info;

#define UDP_HEADER_LEN 8
/* The socket API (udp_bind, udp_sendto, udp_recvfrom, ...) is public: xenolith/udp.h. */

#define UDP_COUNTERS(X)                                                                        \
    X(rx_datagrams)         /* delivered to a socket */                                        \
    X(rx_truncated)         /* shorter than its header or its length field */                   \
    X(rx_bad_length)        /* length field below 8 */                                         \
    X(rx_bad_checksum)                                                                         \
    X(rx_no_checksum)       /* checksum 0: accepted, counted */                                \
    X(rx_no_port)           /* nothing bound: port unreachable (or silence for broadcast) */   \
    X(rx_queue_full)        /* the socket's receive queue was at its bound */                  \
    X(rx_bad_source_port)   /* source port 0 is allowed (RFC 768); counted for diagnosis */    \
    X(rx_user_truncated)    /* udp_recvfrom buffer shorter than the datagram */               \
    X(tx_datagrams)                                                                            \
    X(tx_errors)            /* refused or failed sends */                                      \
    X(tx_no_buffers)                                                                           \
    X(bind_in_use)                                                                             \
    X(bind_no_ephemeral)    /* every ephemeral port tried was taken */

struct udp_stats {
#define UDP_STAT_FIELD(name) uint64_t name;
    UDP_COUNTERS(UDP_STAT_FIELD)
#undef UDP_STAT_FIELD
};

/* The UDP layer of one stack (embedded in struct netstack). */
struct udp_layer {
    struct ipv4_layer *ip;
    struct list_node sockets;
    unsigned socket_count;
    struct udp_stats stats;
};


/* Called in loop context with each datagram for the socket; owns p, whose data starts at the UDP
 * payload (read it with pbuf_copy_out; p->tot_len is its length). */
typedef void (*udp_receive_fn)(struct udp_socket *sock, struct pbuf *p,
                               const struct udp_datagram_info *info, void *arg);

/* Sets up UDP on ip and registers protocol 17 (0, or ipv4_register_protocol's error). */
int udp_init(struct udp_layer *udp, struct ipv4_layer *ip);
/* Closes every socket, waking waiters (their owners still call udp_close). */
void udp_fini(struct udp_layer *udp);
/* The protocol 17 input: p's data at the UDP header, the IP header just before it (owns p). */
void udp_input(struct udp_layer *udp, struct pbuf *p, const struct ipv4_rx_info *rx);
/* udp_bind on the layer itself. */
int udp_layer_bind(struct udp_layer *udp, uint16_t port, struct udp_socket **out);

/* Delivers datagrams to fn in loop context instead of queueing them (fn NULL: back to queueing).
 * Datagrams already queued when a handler is installed are handed to it at once. */
void udp_set_receive_handler(struct udp_socket *sock, udp_receive_fn fn, void *arg);

/* The UDP checksum over the pseudo-header (RFC 768) and the segment in p (header included, its
 * checksum field as it is). 0 when an incoming segment's checksum is correct. */
uint16_t udp_checksum(const struct pbuf *p, uint32_t src, uint32_t dst);

#endif
