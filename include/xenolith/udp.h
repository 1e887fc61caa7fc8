/*
 * xenolith/udp.h: UDP sockets (RFC 768) for fibers, on a stack from xenolith/net.h.
 *
 * A socket is bound to one local port; udp_recvfrom blocks only the calling fiber, until a
 * datagram arrives, its deadline (xenolith/time.h) or udp_close. Received datagrams wait in a
 * bounded queue per socket; beyond its bounds they are dropped and counted, so a flood cannot
 * exhaust memory. Checksums are always computed and verified. Nothing bound to a port answers
 * ICMP port unreachable (rate-limited).
 *
 * Addresses are uint32_t in network byte order (xenolith/net.h), ports host-order integers.
 * Errors are negative errno values (lib/errno.h).
 */
#ifndef XENOLITH_PUBLIC_UDP_H
#define XENOLITH_PUBLIC_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xenolith/net.h"
#include "xenolith/time.h"

/* 65535 - 20 (IPv4 header without options) - 8: the largest datagram payload. */
#define UDP_MAX_PAYLOAD 65507u
/* Ephemeral ports (port 0 at bind) are picked at random in this range (RFC 6056 3.3.1). */
#define UDP_EPHEMERAL_FIRST 49152u
#define UDP_EPHEMERAL_LAST 65535u
/* Receive queue bounds per socket (udp_set_rx_limits changes them). */
#define UDP_DEFAULT_RX_DATAGRAMS 64u
#define UDP_DEFAULT_RX_BYTES (256u * 1024)
/* Sockets per stack. */
#define UDP_MAX_SOCKETS 256u

/* Opaque handle. */
struct udp_socket;

/* How a datagram was addressed. */
struct udp_datagram_info {
    uint32_t src_addr;
    uint16_t src_port;
    uint32_t dst_addr;      /* ours, or a broadcast address */
    uint16_t dst_port;
};

/* Opens a socket bound to `port` (0: a random ephemeral port). Returns 0 and *out, or -EADDRINUSE,
 * -ENOMEM, -ENOSPC (UDP_MAX_SOCKETS reached), -EAGAIN (no free ephemeral port found). Does not
 * block. Context: fiber or loop. */
int udp_bind(struct netstack *s, uint16_t port, struct udp_socket **out);

/* Closes the socket: queued datagrams are dropped, fibers blocked in udp_recvfrom return -EBADF.
 * The socket must not be used afterwards (so another fiber may close the socket its reader is
 * blocked on: the reader wakes with -EBADF and must not touch it again). Context: fiber or loop. */
void udp_close(struct udp_socket *sock);

/* The port the socket is bound to (the one picked for port 0). Context: fiber or loop. */
uint16_t udp_local_port(const struct udp_socket *sock);

/* Sends len bytes to dst:port from the socket's port (and our address, or 0.0.0.0 when the stack
 * is unconfigured: DHCP). Broadcasts (255.255.255.255, the subnet broadcast) are allowed. Does not
 * block. Returns len, or -EMSGSIZE (len > UDP_MAX_PAYLOAD), -EINVAL (port 0 or address 0),
 * -ENETUNREACH (no route), -ENOBUFS, -EHOSTUNREACH (ARP failed recently) or a device error.
 * A datagram waiting for ARP is queued (bounded) and counts as sent. Context: fiber or loop. */
int udp_sendto(struct udp_socket *sock, uint32_t dst, uint16_t port, const void *buf, size_t len);

/* Takes the oldest queued datagram, copying at most len bytes into buf (the rest is discarded and
 * counted), and fills src/port (either may be NULL). Blocks the calling fiber until a datagram
 * arrives or the monotonic clock reaches deadline_ns (DEADLINE_NONE: no limit; a deadline already
 * past: return at once). Returns the bytes copied, -ETIMEDOUT, or -EBADF once the socket is closed.
 * Context: fiber only. */
int udp_recvfrom(struct udp_socket *sock, void *buf, size_t len, uint32_t *src, uint16_t *port,
                 uint64_t deadline_ns);
/* The same with the full addressing of the datagram (which of our addresses, or a broadcast, it
 * was sent to). Context: fiber only. */
int udp_recvfrom_info(struct udp_socket *sock, void *buf, size_t len,
                      struct udp_datagram_info *info, uint64_t deadline_ns);

/* Datagrams waiting in the receive queue. Context: fiber or loop. */
unsigned udp_pending(const struct udp_socket *sock);

/* Bounds of the receive queue (0 leaves a bound unchanged; defaults UDP_DEFAULT_RX_*): a
 * datagram arriving beyond them is dropped and counted (udp.rx_queue_full). Context: fiber or
 * loop. */
void udp_set_rx_limits(struct udp_socket *sock, unsigned max_datagrams, size_t max_bytes);


#endif
