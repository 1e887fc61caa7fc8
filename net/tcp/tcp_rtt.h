/*
 * net/tcp_rtt: the retransmission timeout of one connection (RFC 6298), fed by RTT samples taken
 * either from timestamps (RFC 7323 4) or by timing one segment at a time under Karn's rule.
 * Pure arithmetic on times the caller passes in (nanoseconds of the monotonic clock); it arms no
 * timer itself. Tests: test/unit/test_tcp_rtt.c.
 *
 * How the core drives this module:
 *  - tcp_rtt_init when the TCB is created (values from struct tcp_config; 0 picks the default).
 *  - Every time a segment carrying sequence space (data, SYN or FIN) leaves:
 *      tcp_rtt_on_send(r, seq_end, retransmission, now)
 *    seq_end is one past the segment's last sequence number. Without timestamps this starts
 *    timing one segment when none is being timed; any retransmission cancels the timing (Karn).
 *  - For every acceptable ACK (after the RFC 5961 checks), before SND.UNA is moved:
 *      tcp_rtt_on_ack(r, &(struct tcp_rtt_ack){ ... })
 *    It takes at most one sample and returns it (0 when none). With timestamps in use, pass the
 *    segment's TSecr and the TSval clock the core stamps on outgoing segments (tcp_rtt_ts_clock
 *    plus the connection's offset): only an ACK that advances SND.UNA yields a sample (RFC 7323
 *    4.2), and the gain is scaled down by the number of samples expected per window (RFC 7323
 *    appendix G). Without timestamps the timed segment gives the sample once it is acknowledged.
 *  - When the retransmission timer expires: tcp_rtt_on_timeout (doubles the RTO, RFC 6298 5.5),
 *    then re-arm with tcp_rtt_rto. Restart the timer with tcp_rtt_rto after a new ACK (5.3).
 *  - When the handshake completes: tcp_rtt_handshake_done(r, syn_retransmitted) applies RFC 6298
 *    5.7 (3 s when the SYN or SYN-ACK had to be retransmitted and no sample was taken).
 *  - For tcp_get_info: tcp_rtt_srtt, tcp_rtt_rttvar, tcp_rtt_rto.
 */
#ifndef XENOLITH_NET_TCP_RTT_H
#define XENOLITH_NET_TCP_RTT_H

#include <stdbool.h>
#include <stdint.h>

#define TCP_RTT_NS_PER_MS 1000000ull
/* RFC 6298 2.1: the RTO before any sample. */
#define TCP_RTO_INITIAL_NS (1000 * TCP_RTT_NS_PER_MS)
/* The lower bound of the RTO. RFC 6298 2.4 asks for 1 s but allows a lower minimum; 200 ms is
 * what Linux has used for decades: with RTTs of a millisecond on a LAN, a 1 s floor turns every
 * loss the SACK/RACK machinery cannot repair into a second of silence. Spurious timeouts are
 * rare with RACK-TLP (RFC 8985) repairing most losses first, and the RTO still follows SRTT +
 * 4 * RTTVAR above the floor. Configurable per stack (tcp_config.rto_min_ns). */
#define TCP_RTO_MIN_NS (200 * TCP_RTT_NS_PER_MS)
/* RFC 6298 2.5: an upper bound of at least 60 s. */
#define TCP_RTO_MAX_NS (60000 * TCP_RTT_NS_PER_MS)
/* RFC 6298 5.7: the RTO once data flows after a retransmitted SYN. */
#define TCP_RTO_AFTER_SYN_LOSS_NS (3000 * TCP_RTT_NS_PER_MS)
/* The clock granularity G of RFC 6298 2.2/2.3: timestamps tick in milliseconds. */
#define TCP_RTT_GRANULARITY_NS TCP_RTT_NS_PER_MS
/* The timestamp clock rate: one TSval tick per millisecond (RFC 7323 5.4: 1 ms .. 1 s). */
#define TCP_TS_HZ 1000u

struct tcp_rtt {
    uint64_t srtt_ns;            /* 0 until the first sample */
    uint64_t rttvar_ns;
    uint64_t rto_base_ns;        /* RTO from the estimator, clamped, before backoff */
    uint64_t rto_min_ns, rto_max_ns;
    unsigned backoff;            /* timer expirations since the last sample (RFC 6298 5.5) */
    bool have_sample;
    /* Karn's rule: the one segment being timed when timestamps are not in use. */
    bool timing;
    uint32_t timed_seq_end;
    uint64_t timed_sent_ns;
};

/* Zero for any value picks the default (TCP_RTO_INITIAL_NS, TCP_RTO_MIN_NS, TCP_RTO_MAX_NS).
 * min is raised to at least 1 ms and max to at least min. */
void tcp_rtt_init(struct tcp_rtt *r, uint64_t initial_ns, uint64_t min_ns, uint64_t max_ns);

/* A segment covering sequence space up to seq_end (exclusive) was sent at now_ns. */
void tcp_rtt_on_send(struct tcp_rtt *r, uint32_t seq_end, bool retransmission, uint64_t now_ns);

struct tcp_rtt_ack {
    uint64_t now_ns;
    uint32_t ack;                /* SEG.ACK */
    uint32_t snd_una;            /* SND.UNA before this ACK */
    bool has_tsecr;              /* timestamps negotiated and this segment carries the option */
    uint32_t tsecr;              /* its TSecr */
    uint32_t ts_now;             /* the TSval the core would send now (same clock and offset) */
    uint32_t flight_size;        /* bytes outstanding before this ACK (SND.NXT - SND.UNA) */
    uint32_t smss;               /* sender MSS, for RFC 7323 appendix G */
};
/* Takes the sample this ACK carries, if any, and updates SRTT, RTTVAR and RTO (RFC 6298 2.2,
 * 2.3); a sample also ends any backoff. Returns the sample in ns, 0 when none was taken. */
uint64_t tcp_rtt_on_ack(struct tcp_rtt *r, const struct tcp_rtt_ack *a);

/* Feeds one RTT measurement directly (RFC 6298 2.2/2.3 with full gain). rtt_ns 0 counts as the
 * clock granularity. */
void tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt_ns);

/* The retransmission timer expired: RFC 6298 5.5 back off (RTO doubles up to the maximum) and
 * forget the timed segment (5.4 retransmits it; Karn forbids timing that). */
void tcp_rtt_on_timeout(struct tcp_rtt *r);

/* The handshake completed. RFC 6298 5.7: if a SYN (ours or the peer's SYN-ACK exchange) had to be
 * retransmitted and no sample was taken, the RTO for data becomes 3 s. */
void tcp_rtt_handshake_done(struct tcp_rtt *r, bool syn_retransmitted);

/* The RTO to arm now: the estimate times 2^backoff, within [min, max]. */
uint64_t tcp_rtt_rto_backed_off(const struct tcp_rtt *r);   /* private: tcp_rtt_rto's loop */
/* Inline: the usual case, no backoff, is one comparison (every transmission arms the timer). */
static inline uint64_t tcp_rtt_rto(const struct tcp_rtt *r)
{
    if (r->backoff == 0 && r->rto_base_ns <= r->rto_max_ns)
        return r->rto_base_ns;
    return tcp_rtt_rto_backed_off(r);
}
static inline uint64_t tcp_rtt_srtt(const struct tcp_rtt *r) { return r->srtt_ns; }
static inline uint64_t tcp_rtt_rttvar(const struct tcp_rtt *r) { return r->rttvar_ns; }
static inline unsigned tcp_rtt_backoff(const struct tcp_rtt *r) { return r->backoff; }

/* The timestamp clock (TCP_TS_HZ ticks) at now_ns, before the connection's random offset. */
static inline uint32_t tcp_rtt_ts_clock(uint64_t now_ns)
{
    return (uint32_t)(now_ns / (1000000000ull / TCP_TS_HZ));
}

#endif
