/*
 * net/tcp_syncookie: making and checking SYN cookies (encoding in tcp_syncookie.h).
 */
#include "net/tcp/tcp_syncookie.h"

#include "lib/byteorder.h"
#include "lib/errno.h"
#include "net/wire/tcp_opts.h"
#include "net/wire/tcp_seq.h"

/* Ascending. The floor, small links, RFC 9293's default 536, tunnelled and PPPoE paths, and
 * Ethernet; a peer is granted the largest entry not above what it asked for. */
const uint16_t tcp_syncookie_mss_table[TCP_SYNCOOKIE_MSS_COUNT] = {
    TCP_MIN_MSS, 256, 536, 1200, 1300, 1400, 1440, 1460,
};

#define COUNTER_BITS 2u
#define COUNTER_MASK ((1u << COUNTER_BITS) - 1)
#define MSS_SHIFT 27u
#define MSS_MASK (TCP_SYNCOOKIE_MSS_COUNT - 1)
#define COUNTER_SHIFT 30u
#define MAC_MASK ((1u << MSS_SHIFT) - 1)
_Static_assert((TCP_SYNCOOKIE_MSS_COUNT << MSS_SHIFT) == 1u << COUNTER_SHIFT, "cookie bit layout");
#define TS_MASK ((1u << TCP_SYNCOOKIE_TS_BITS) - 1)
#define TS_SACK_BIT (1u << 4)
/* Hashed but not carried in TSval: whether the handshake uses timestamps at all, so an ACK that
 * drops the option the SYN had does not pass. */
#define HASH_TS_BIT (1u << 8)

void tcp_syncookie_secret_init(struct tcp_syncookie_secret *secret)
{
    siphash_key_random(&secret->key);
}

static uint32_t cookie_mac(const struct tcp_syncookie_secret *secret, const struct tcp_endpoints *ep,
                           uint32_t peer_isn, uint64_t counter, unsigned mss_index,
                           uint32_t option_bits)
{
    uint8_t buf[30];
    store_u32(buf, ep->local_ip);
    store_be16(buf + 4, ep->local_port);
    store_u32(buf + 6, ep->remote_ip);
    store_be16(buf + 10, ep->remote_port);
    store_be32(buf + 12, peer_isn);
    store_be64(buf + 16, counter);
    buf[24] = (uint8_t)mss_index;
    store_be32(buf + 25, option_bits);
    buf[29] = 0x5c; /* domain separation from other users of siphash on the stack */
    return (uint32_t)siphash24(&secret->key, buf, sizeof(buf)) & MAC_MASK;
}

static unsigned mss_index_for(uint16_t peer_mss)
{
    uint16_t mss = peer_mss ? peer_mss : TCP_DEFAULT_MSS;
    unsigned index = 0;
    for (unsigned i = 0; i < TCP_SYNCOOKIE_MSS_COUNT; i++)
        if (tcp_syncookie_mss_table[i] <= mss)
            index = i;
    return index;
}

/* The low TSval bits for the options the SYN asked for. With no timestamps, nothing is encoded
 * and the bits are a constant that says "no window scale, no SACK". */
static uint32_t option_bits_for(const struct tcp_syncookie_syn *syn)
{
    if (!syn->has_timestamps)
        return TCP_SYNCOOKIE_NO_WSCALE;
    uint32_t bits = syn->has_wscale ? (syn->wscale > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : syn->wscale)
                                    : TCP_SYNCOOKIE_NO_WSCALE;
    if (syn->sack_permitted)
        bits |= TS_SACK_BIT;
    return bits | HASH_TS_BIT;
}

void tcp_syncookie_make(const struct tcp_syncookie_secret *secret, const struct tcp_endpoints *ep,
                        const struct tcp_syncookie_syn *syn, uint64_t now_ns, uint32_t tsval_now,
                        struct tcp_syncookie_synack *out)
{
    uint64_t counter = now_ns / TCP_SYNCOOKIE_TICK_NS;
    unsigned mss_index = mss_index_for(syn->peer_mss);
    uint32_t bits = option_bits_for(syn);
    out->iss = (uint32_t)(counter & COUNTER_MASK) << COUNTER_SHIFT | (uint32_t)mss_index << MSS_SHIFT |
               cookie_mac(secret, ep, syn->peer_isn, counter, mss_index, bits);
    out->mss = tcp_syncookie_mss_table[mss_index];
    out->has_timestamps = syn->has_timestamps;
    out->send_wscale = syn->has_timestamps && syn->has_wscale;
    out->send_sack_permitted = syn->has_timestamps && syn->sack_permitted;
    out->tsval = 0;
    if (syn->has_timestamps) {
        uint32_t tsval = (tsval_now & ~TS_MASK) | (bits & TS_MASK);
        /* Never ahead of the clock: the peer's PAWS test must accept the TSvals that follow. */
        if (seq_gt(tsval, tsval_now))
            tsval -= 1u << TCP_SYNCOOKIE_TS_BITS;
        out->tsval = tsval;
    }
}

int tcp_syncookie_check(const struct tcp_syncookie_secret *secret, const struct tcp_endpoints *ep,
                        uint32_t seg_seq, uint32_t seg_ack, bool has_ts, uint32_t ts_ecr,
                        uint64_t now_ns, struct tcp_syncookie_grant *grant)
{
    uint32_t cookie = seg_ack - 1, peer_isn = seg_seq - 1;
    uint64_t now_counter = now_ns / TCP_SYNCOOKIE_TICK_NS;
    unsigned age = (unsigned)((now_counter - (cookie >> COUNTER_SHIFT)) & COUNTER_MASK);
    if (age > TCP_SYNCOOKIE_MAX_AGE || age > now_counter)
        return -ETIMEDOUT;
    uint64_t counter = now_counter - age;
    unsigned mss_index = (cookie >> MSS_SHIFT) & MSS_MASK;
    uint32_t bits = has_ts ? (ts_ecr & TS_MASK) | HASH_TS_BIT : TCP_SYNCOOKIE_NO_WSCALE;
    if (cookie_mac(secret, ep, peer_isn, counter, mss_index, bits) != (cookie & MAC_MASK))
        return -EACCES;
    uint32_t wscale = bits & 0xfu;
    grant->iss = cookie;
    grant->irs = peer_isn;
    grant->mss = tcp_syncookie_mss_table[mss_index];
    grant->has_timestamps = has_ts;
    grant->sack_permitted = has_ts && (bits & TS_SACK_BIT);
    grant->has_wscale = has_ts && wscale != TCP_SYNCOOKIE_NO_WSCALE;
    grant->wscale = grant->has_wscale ? (uint8_t)wscale : 0;
    return 0;
}
