/*
 * net/tcp_isn: keyed initial sequence numbers (RFC 6528) and timestamp offsets (RFC 7323 7.1).
 */
#include "net/tcp/tcp_isn.h"


uint64_t tcp_endpoints_siphash(const struct siphash_key *key, const struct tcp_endpoints *ep)
{
    return siphash24_12(key, (uint64_t)ep->local_ip | (uint64_t)ep->remote_ip << 32,
                        (uint32_t)ep->local_port | (uint32_t)ep->remote_port << 16);
}

void tcp_isn_secret_init(struct tcp_isn_secret *secret)
{
    siphash_key_random(&secret->key);
}

/* One keyed hash of the 4-tuple gives both per-connection values: its low half is F of the ISN
 * (RFC 6528 3), its high half the timestamp offset (RFC 7323 7.1). The halves of a pseudo-random
 * function's output are independent, so the offset a peer learns from TSval says nothing of F;
 * and a connection's set-up pays for one hash, not two. */
void tcp_isn_and_ts_offset(const struct tcp_isn_secret *secret, const struct tcp_endpoints *ep,
                           uint64_t now_ns, uint32_t *isn, uint32_t *ts_offset)
{
    uint64_t h = tcp_endpoints_siphash(&secret->key, ep);
    *isn = (uint32_t)(now_ns / TCP_ISN_TICK_NS) + (uint32_t)h;
    *ts_offset = (uint32_t)(h >> 32);
}

uint32_t tcp_isn(const struct tcp_isn_secret *secret, const struct tcp_endpoints *ep, uint64_t now_ns)
{
    uint32_t isn, ts_offset;
    tcp_isn_and_ts_offset(secret, ep, now_ns, &isn, &ts_offset);
    return isn;
}

uint32_t tcp_ts_clock(uint64_t now_ns)
{
    return (uint32_t)(now_ns / TCP_TS_TICK_NS);
}

uint32_t tcp_ts_offset(const struct tcp_isn_secret *secret, const struct tcp_endpoints *ep)
{
    return (uint32_t)(tcp_endpoints_siphash(&secret->key, ep) >> 32);
}
