/*
 * net/tcp_syncookie: SYN cookies, the SYN-flood defence used when a listener's half-open queue is
 * full (RFC 4987 3.6). Instead of keeping state for a SYN, the listener answers with a SYN-ACK
 * whose ISN (the cookie) encodes what it must remember, authenticated by a keyed hash; the final
 * ACK of the handshake gives the cookie back (SEG.ACK - 1) together with the peer's ISN
 * (SEG.SEQ - 1), and the connection is created only if the cookie checks out.
 *
 * The cookie's 32 bits:
 *     [31..30] a time counter (TCP_SYNCOOKIE_TICK_NS per tick) modulo 4
 *     [29..27] the index of the MSS granted, from tcp_syncookie_mss_table (the largest entry not
 *              above the peer's MSS; TCP_MIN_MSS when the peer's is below every entry)
 *     [26..0]  SipHash-2-4 of the 4-tuple, the peer's ISN, the full counter, the MSS index and the
 *              option bits below, under a per-stack secret (a blind guess passes once in 2^27)
 * A cookie is accepted up to TCP_SYNCOOKIE_MAX_AGE ticks after it was made; the full counter is in
 * the hash, so an older cookie whose two bits wrap around fails the hash.
 *
 * When the SYN carried timestamps (RFC 7323), the SYN-ACK's TSval carries the peer's window scale
 * (4 bits, 15 = none) and SACK-permitted (1 bit) in its low 5 bits; the peer echoes it as TSecr in
 * the final ACK. Those bits are in the hash too, so they cannot be altered. The encoded TSval is
 * never above the clock value it replaces, so the peer's PAWS check (RFC 7323 5) keeps accepting
 * our later segments. Without timestamps a cookie connection has neither window scaling nor SACK.
 *
 * Pure given the secret and the time; tests are in test/unit/test_tcp_cookie.c.
 */
#ifndef XENOLITH_NET_TCP_SYNCOOKIE_H
#define XENOLITH_NET_TCP_SYNCOOKIE_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/siphash.h"
#include "net/tcp/tcp_isn.h"

#define TCP_SYNCOOKIE_TICK_NS (64ull * 1000000000ull)
/* A cookie made at counter t is accepted while the counter is t, t + 1 or t + 2. */
#define TCP_SYNCOOKIE_MAX_AGE 2u
#define TCP_SYNCOOKIE_MSS_COUNT 8u
/* Low TSval bits that carry the options; 15 in the window-scale field means "no window scale". */
#define TCP_SYNCOOKIE_TS_BITS 5u
#define TCP_SYNCOOKIE_NO_WSCALE 15u

extern const uint16_t tcp_syncookie_mss_table[TCP_SYNCOOKIE_MSS_COUNT];

struct tcp_syncookie_secret {
    struct siphash_key key;
};

/* A fresh random key (lib/random); one per stack. */
void tcp_syncookie_secret_init(struct tcp_syncookie_secret *secret);

/* What the SYN asked for. */
struct tcp_syncookie_syn {
    uint32_t peer_isn;               /* the SYN's SEG.SEQ */
    uint16_t peer_mss;               /* 0: no MSS option (TCP_DEFAULT_MSS) */
    bool sack_permitted;
    bool has_wscale;
    uint8_t wscale;                  /* the peer's shift, clamped to 14 */
    bool has_timestamps;
};

/* What the SYN-ACK must carry. */
struct tcp_syncookie_synack {
    uint32_t iss;                    /* our ISN: the cookie */
    uint16_t mss;                    /* the MSS granted (a table entry, at most the peer's) */
    bool has_timestamps;             /* send a timestamps option with TSval = tsval */
    uint32_t tsval;
    /* Offer window scale / SACK-permitted in the SYN-ACK only when these are set: the cookie can
     * remember them only through timestamps, and offering an option the connection will not use
     * would make the peer scale its windows (or send SACKs) that we then misread. */
    bool send_wscale;
    bool send_sack_permitted;
};

/* What a valid cookie gives back to build the connection. */
struct tcp_syncookie_grant {
    uint32_t iss;                    /* our ISN (SEG.ACK - 1) */
    uint32_t irs;                    /* the peer's ISN (SEG.SEQ - 1) */
    uint16_t mss;                    /* the peer's MSS, as granted */
    bool sack_permitted;
    bool has_wscale;
    uint8_t wscale;                  /* the peer's shift (snd_wscale) */
    bool has_timestamps;
};

/* The cookie and SYN-ACK values for a SYN at now_ns. tsval_now: the TSval we would send now
 * (clock plus this connection's offset); used only when the SYN has timestamps. */
void tcp_syncookie_make(const struct tcp_syncookie_secret *secret, const struct tcp_endpoints *ep,
                        const struct tcp_syncookie_syn *syn, uint64_t now_ns, uint32_t tsval_now,
                        struct tcp_syncookie_synack *out);

/* Checks the ACK that completes a cookie handshake: seg_seq and seg_ack from its header,
 * has_ts/ts_ecr from its timestamps option. Returns 0 and fills grant, -ETIMEDOUT for a cookie
 * older than TCP_SYNCOOKIE_MAX_AGE ticks (or from the future), -EACCES for a hash mismatch. */
int tcp_syncookie_check(const struct tcp_syncookie_secret *secret, const struct tcp_endpoints *ep,
                        uint32_t seg_seq, uint32_t seg_ack, bool has_ts, uint32_t ts_ecr,
                        uint64_t now_ns, struct tcp_syncookie_grant *grant);

#endif
