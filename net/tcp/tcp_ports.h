/*
 * net/tcp_ports: ephemeral port selection for active opens, RFC 6056 3.3.3 ("Algorithm 3:
 * Simple Hash-Based Port Selection Algorithm", the double-hash form):
 *     offset = F(local IP, remote IP, remote port, secret 1)
 *     index  = G(local IP, remote IP, remote port, secret 2) mod TABLE_LENGTH
 *     try port = first + (offset + table[index]) mod count, table[index]++ ... for up to count
 *     ports, skipping those the caller says are in use.
 * F and G are the low and high halves of one SipHash-2-4 under a per-stack random key (as
 * independent as two keyed functions, for the price of one); the table starts with random values.
 * Connections to one destination walk through the range in sequence (so a 4-tuple is not reused
 * soon, RFC 6056 2.3), while an attacker who sees our ports towards one destination learns
 * nothing about the ports we use towards another.
 *
 * Pure given the state and the callback; tests are in test/unit/test_tcp_ports.c.
 */
#ifndef XENOLITH_NET_TCP_PORTS_H
#define XENOLITH_NET_TCP_PORTS_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/siphash.h"

/* RFC 6056 3.2 (and IANA's dynamic port range): the default ephemeral range. */
#define TCP_EPHEMERAL_FIRST 49152u
#define TCP_EPHEMERAL_LAST 65535u
/* RFC 6056 3.3.3's TABLE_LENGTH; a power of two. */
#define TCP_PORTS_TABLE_SIZE 256u

struct tcp_ports {
    struct siphash_key key;          /* F: the low half of its hash; G: the high half */
    uint16_t first;
    uint16_t last;
    uint16_t table[TCP_PORTS_TABLE_SIZE];
};

/* Random keys and table (lib/random), the default range. */
void tcp_ports_init(struct tcp_ports *ports);

/* Changes the range (both ends included). -EINVAL when first is 0 or first > last. */
int tcp_ports_set_range(struct tcp_ports *ports, uint16_t first, uint16_t last);

/* Tells whether a candidate local port is unusable for a connection to the destination (a
 * connection with that 4-tuple exists, or a listener holds the port). */
typedef bool (*tcp_port_in_use_fn)(void *arg, uint16_t local_port);

/* A local port for a connection from local_ip to remote_ip:remote_port, or -EADDRNOTAVAIL when
 * every port of the range is in use. */
int tcp_ports_pick(struct tcp_ports *ports, uint32_t local_ip, uint32_t remote_ip,
                   uint16_t remote_port, tcp_port_in_use_fn in_use, void *arg);

#endif
