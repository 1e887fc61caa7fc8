/*
 * net/tcp_isn: secret-keyed per-connection starting values.
 *
 * Initial sequence numbers follow RFC 6528 3: ISN = M + F(localip, localport, remoteip,
 * remoteport, secretkey), M a clock ticking every 4 microseconds (RFC 9293 3.4.1) and F SipHash-2-4
 * keyed with a per-stack random secret. An off-path attacker cannot predict another connection's
 * ISN, and one 4-tuple's ISNs still grow with time, which keeps old duplicates out of a new
 * incarnation and lets a SYN reuse a TIME-WAIT 4-tuple (RFC 6191, RFC 1122 4.2.2.13).
 *
 * Timestamp values (RFC 7323 3) come from a millisecond clock (RFC 7323 5.4 allows 1 ms to 1 s per
 * tick) plus a per-connection offset from the same kind of keyed hash (RFC 7323 7.1), so they do
 * not reveal the host's uptime nor link connections to one another.
 *
 * The functions take the time as an argument and are pure given the secret; tests are in
 * test/unit/test_tcp_isn.c.
 */
#ifndef XENOLITH_NET_TCP_ISN_H
#define XENOLITH_NET_TCP_ISN_H

#include <stdint.h>
#include "lib/siphash.h"

/* One connection's addresses (network byte order, as everywhere in net/) and ports (host order). */
struct tcp_endpoints {
    uint32_t local_ip;
    uint32_t remote_ip;
    uint16_t local_port;
    uint16_t remote_port;
};


/* RFC 9293 3.4.1: the ISN clock ticks every 4 microseconds. */
#define TCP_ISN_TICK_NS 4000u
/* The timestamp clock: one tick per millisecond. */
#define TCP_TS_TICK_NS 1000000u
#define TCP_TS_HZ 1000u

struct tcp_isn_secret {
    struct siphash_key key;          /* of both values: see tcp_isn_and_ts_offset */
};

/* Fresh random keys (lib/random); one per stack, made at tcp_init. */
void tcp_isn_secret_init(struct tcp_isn_secret *secret);

/* The keyed hash of a 4-tuple: SipHash-2-4-128 of its 12 bytes (both addresses, then both ports).
 * out[0], the table half, chooses the TCB table's bucket and never leaves the host; out[1], the
 * wire half, gives the ISN and the timestamp offset (tcp_isn_from_hash). The halves are
 * independent, so what a peer learns of the wire half says nothing of the buckets, and a new
 * connection pays for one hash where it needs both. */
void tcp_endpoints_siphash(const struct tcp_isn_secret *secret, const struct tcp_endpoints *ep,
                           uint64_t out[2]);
/* The table half alone (a lookup), at the cost of a 64-bit SipHash. */
uint32_t tcp_endpoints_table_hash(const struct tcp_isn_secret *secret, const struct tcp_endpoints *ep);

/* The ISN for a connection at monotonic time now_ns (RFC 6528 3). */
uint32_t tcp_isn(const struct tcp_isn_secret *secret, const struct tcp_endpoints *ep, uint64_t now_ns);

/* Both of a new connection's values at once (one keyed hash of the 4-tuple, not two): what
 * tcp_isn and tcp_ts_offset return. */
void tcp_isn_and_ts_offset(const struct tcp_isn_secret *secret, const struct tcp_endpoints *ep,
                           uint64_t now_ns, uint32_t *isn, uint32_t *ts_offset);

/* The same from the 4-tuple's wire half (tcp_endpoints_siphash out[1]) already computed. */
void tcp_isn_from_hash(uint64_t wire_half, uint64_t now_ns, uint32_t *isn, uint32_t *ts_offset);

/* The timestamp clock at now_ns, before any per-connection offset. */
static inline uint32_t tcp_ts_clock(uint64_t now_ns)
{
    return (uint32_t)(now_ns / TCP_TS_TICK_NS);
}

/* The offset added to tcp_ts_clock for this connection's TSval (RFC 7323 7.1). */
uint32_t tcp_ts_offset(const struct tcp_isn_secret *secret, const struct tcp_endpoints *ep);

#endif
