/*
 * net/tcp_isn: keyed initial sequence numbers (RFC 6528) and timestamp offsets (RFC 7323 7.1).
 */
#include "net/tcp/tcp_isn.h"


/* The 4-tuple as the 12-byte message: both addresses, then both ports. */
#define TUPLE_FIRST(ep) ((uint64_t)(ep)->local_ip | (uint64_t)(ep)->remote_ip << 32)
#define TUPLE_REST(ep) ((uint32_t)(ep)->local_port | (uint32_t)(ep)->remote_port << 16)

void tcp_endpoints_siphash(const struct tcp_isn_secret *secret, const struct tcp_endpoints *ep,
                           uint64_t out[2])
{
    siphash24_128_12(&secret->key, TUPLE_FIRST(ep), TUPLE_REST(ep), out);
}

uint32_t tcp_endpoints_table_hash(const struct tcp_isn_secret *secret, const struct tcp_endpoints *ep)
{
    return (uint32_t)siphash24_128_12_first(&secret->key, TUPLE_FIRST(ep), TUPLE_REST(ep));
}

void tcp_isn_secret_init(struct tcp_isn_secret *secret)
{
    siphash_key_random(&secret->key);
}

/* One keyed hash of the 4-tuple gives both per-connection values: the low 32 bits of its wire
 * half are F of the ISN (RFC 6528 3), the high 32 bits the timestamp offset (RFC 7323 7.1). The
 * parts of a pseudo-random function's output are independent, so the offset a peer learns from
 * TSval says nothing of F, and neither says anything of the table half. */
void tcp_isn_from_hash(uint64_t wire_half, uint64_t now_ns, uint32_t *isn, uint32_t *ts_offset)
{
    *isn = (uint32_t)(now_ns / TCP_ISN_TICK_NS) + (uint32_t)wire_half;
    *ts_offset = (uint32_t)(wire_half >> 32);
}

void tcp_isn_and_ts_offset(const struct tcp_isn_secret *secret, const struct tcp_endpoints *ep,
                           uint64_t now_ns, uint32_t *isn, uint32_t *ts_offset)
{
    uint64_t h[2];
    tcp_endpoints_siphash(secret, ep, h);
    tcp_isn_from_hash(h[1], now_ns, isn, ts_offset);
}

uint32_t tcp_isn(const struct tcp_isn_secret *secret, const struct tcp_endpoints *ep, uint64_t now_ns)
{
    uint32_t isn, ts_offset;
    tcp_isn_and_ts_offset(secret, ep, now_ns, &isn, &ts_offset);
    return isn;
}

uint32_t tcp_ts_offset(const struct tcp_isn_secret *secret, const struct tcp_endpoints *ep)
{
    uint64_t h[2];
    tcp_endpoints_siphash(secret, ep, h);
    return (uint32_t)(h[1] >> 32);
}
