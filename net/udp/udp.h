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

struct ipv4_layer;
struct netstack;
struct pbuf;
struct udp_socket;
struct ipv4_rx_info;

#define UDP_HEADER_LEN 8
/* 65535 - 20 (IPv4 header without options) - 8 */
#define UDP_MAX_PAYLOAD 65507u
#define UDP_EPHEMERAL_FIRST 49152u
#define UDP_EPHEMERAL_LAST 65535u
/* Receive queue bounds per socket (udp_set_rx_limits changes them). */
#define UDP_DEFAULT_RX_DATAGRAMS 64u
#define UDP_DEFAULT_RX_BYTES (256u * 1024)
#define UDP_MAX_SOCKETS 256u

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

/* What udp_recvfrom and receive handlers learn about a datagram. */
struct udp_datagram_info {
    uint32_t src_addr;
    uint16_t src_port;
    uint32_t dst_addr;      /* ours, or a broadcast address */
    uint16_t dst_port;
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

/* Opens a socket bound to `port` (0: a random ephemeral port). Returns 0 and *out, or -EADDRINUSE,
 * -ENOMEM, -ENOSPC (UDP_MAX_SOCKETS reached), -EAGAIN (no free ephemeral port found). */
int udp_bind(struct netstack *s, uint16_t port, struct udp_socket **out);

/* Closes the socket: queued datagrams are dropped, fibers blocked in udp_recvfrom return -EBADF.
 * The socket must not be used afterwards. */
void udp_close(struct udp_socket *sock);

uint16_t udp_local_port(const struct udp_socket *sock);

/* Sends len bytes to dst:port from the socket's port (and our address, or 0.0.0.0 when the stack
 * is unconfigured: DHCP). Broadcasts (255.255.255.255, the subnet broadcast) are allowed. Does not
 * block. Returns len, or -EMSGSIZE (len > UDP_MAX_PAYLOAD), -EINVAL (port 0 or address 0),
 * -ENETUNREACH (no route), -ENOBUFS, -EHOSTUNREACH (ARP failed recently) or a device error. */
int udp_sendto(struct udp_socket *sock, uint32_t dst, uint16_t port, const void *buf, size_t len);

/* Takes the oldest queued datagram, copying at most len bytes into buf (the rest is discarded and
 * counted), and fills src/port (either may be NULL). Blocks the calling fiber until a datagram
 * arrives or the monotonic clock reaches deadline_ns (DEADLINE_NONE: no limit; a deadline already
 * past: return at once). Returns the bytes copied, -ETIMEDOUT, or -EBADF once the socket is closed.
 * Must not be used on a socket with a receive handler (-EINVAL). */
int udp_recvfrom(struct udp_socket *sock, void *buf, size_t len, uint32_t *src, uint16_t *port,
                 uint64_t deadline_ns);
/* The same with the full addressing of the datagram. */
int udp_recvfrom_info(struct udp_socket *sock, void *buf, size_t len,
                      struct udp_datagram_info *info, uint64_t deadline_ns);

/* Datagrams waiting in the receive queue. */
unsigned udp_pending(const struct udp_socket *sock);

/* Bounds of the receive queue (0 leaves a bound unchanged). */
void udp_set_rx_limits(struct udp_socket *sock, unsigned max_datagrams, size_t max_bytes);

/* Delivers datagrams to fn in loop context instead of queueing them (fn NULL: back to queueing).
 * Datagrams already queued when a handler is installed are handed to it at once. */
void udp_set_receive_handler(struct udp_socket *sock, udp_receive_fn fn, void *arg);

/* The UDP checksum over the pseudo-header (RFC 768) and the segment in p (header included, its
 * checksum field as it is). 0 when an incoming segment's checksum is correct. */
uint16_t udp_checksum(const struct pbuf *p, uint32_t src, uint32_t dst);

#endif
