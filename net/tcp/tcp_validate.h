/*
 * net/tcp_validate: the checks an arriving segment passes in a synchronized connection, as pure
 * functions of the segment and the TCB's sequence variables, so the core applies them in RFC 9293
 * 3.10.7.4 order and each rule is tested alone:
 *   - sequence acceptability (RFC 9293 3.10.7.4 first check, the four cases with zero windows) and
 *     trimming to the window;
 *   - PAWS (RFC 7323 5.3) and when TS.Recent is updated (RFC 7323 4.3);
 *   - RST: accepted only when SEG.SEQ is exactly RCV.NXT, challenge ACK when it is elsewhere in
 *     the window, ignored outside it (RFC 5961 3.2); in SYN-SENT, only with an acceptable ACK
 *     (RFC 9293 3.10.7.3);
 *   - SYN in a synchronized state: a challenge ACK (RFC 5961 4.2), except a SYN that may reuse a
 *     TIME-WAIT 4-tuple (RFC 6191 2, RFC 1122 4.2.2.13);
 *   - ACK acceptability: SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT (RFC 5961 5.2);
 *   - SACK blocks that make sense for what we sent (RFC 2018 3, RFC 6675 5);
 *   - the challenge ACK rate limit, one per stack (RFC 5961 7);
 *   - the invalid-segment ACK rate limit, one per connection (RFC 5961 10).
 * Tests: test/unit/test_tcp_validate.c.
 */
#ifndef XENOLITH_NET_TCP_VALIDATE_H
#define XENOLITH_NET_TCP_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>
#include "net/wire/tcp_opts.h"

/* RFC 9293 3.10.7.4: is a segment of seg_len sequence numbers (data plus SYN and FIN) starting at
 * seg_seq acceptable for a receive window of rcv_wnd from rcv_nxt?
 *   len 0, wnd 0: SEG.SEQ = RCV.NXT
 *   len 0, wnd>0: RCV.NXT =< SEG.SEQ =< RCV.NXT+RCV.WND (the right edge too: a pure ACK from a
 *                 peer that filled the window, as Linux accepts it; see tcp_validate.c)
 *   len>0, wnd 0: never (the caller still processes its ACK, URG and RST: RFC 9293 3.10.7.4)
 *   len>0, wnd>0: its first or its last sequence number lies in the window. */
bool tcp_seq_acceptable(uint32_t seg_seq, uint32_t seg_len, uint32_t rcv_nxt, uint32_t rcv_wnd);

/* How an acceptable segment is trimmed to the window: `front` sequence numbers were already
 * received (before rcv_nxt), `back` lie beyond rcv_nxt + rcv_wnd. The caller decides what a
 * trimmed SYN or FIN means (a SYN is the first sequence number, a FIN the last). */
struct tcp_trim {
    uint32_t front;
    uint32_t back;
};
struct tcp_trim tcp_seq_trim(uint32_t seg_seq, uint32_t seg_len, uint32_t rcv_nxt, uint32_t rcv_wnd);

/* RFC 7323 5.5: TS.Recent older than this is not trusted for PAWS (24 days). */
#define TCP_PAWS_IDLE_NS (24ull * 24 * 3600 * 1000000000ull)

/* RFC 7323 5.3 R1: a non-RST segment whose TSval is older than TS.Recent is a duplicate: the
 * caller sends an ACK and drops it. True when it must be dropped. ts_recent_age_ns: how long ago
 * TS.Recent was set; beyond TCP_PAWS_IDLE_NS the check is skipped (RFC 7323 5.5). */
bool tcp_paws_reject(uint32_t seg_tsval, uint32_t ts_recent, uint64_t ts_recent_age_ns, bool rst);

/* RFC 7323 4.3 (2): TS.Recent takes SEG.TSval when SEG.TSval >= TS.Recent and SEG.SEQ =<
 * Last.ACK.sent (the RCV.NXT we last acknowledged), so only a segment that starts at or before the
 * left edge of the window we advertised updates it, never one that arrived out of order. */
bool tcp_ts_recent_update(uint32_t seg_seq, uint32_t seg_tsval, uint32_t last_ack_sent,
                          uint32_t ts_recent);

enum tcp_rst_verdict {
    TCP_RST_IGNORE,                  /* outside the window: drop silently */
    TCP_RST_CHALLENGE_ACK,           /* in the window but not RCV.NXT: challenge ACK, drop */
    TCP_RST_ACCEPT,                  /* exactly RCV.NXT: reset the connection */
};

/* RFC 5961 3.2 (RFC 9293 3.10.7.4 second check) for synchronized states and SYN-RECEIVED. */
enum tcp_rst_verdict tcp_rst_check(uint32_t seg_seq, uint32_t rcv_nxt, uint32_t rcv_wnd);

/* RFC 9293 3.10.7.3: in SYN-SENT an ACK is acceptable when ISS < SEG.ACK =< SND.NXT. A RST is
 * honoured only with an acceptable ACK; any other unacceptable ACK is answered with a RST. */
bool tcp_syn_sent_ack_acceptable(uint32_t seg_ack, uint32_t iss, uint32_t snd_nxt);

/* RFC 9293 3.10.7.4 fifth check (SYN-RECEIVED): SND.UNA < SEG.ACK =< SND.NXT moves the
 * connection to ESTABLISHED; anything else is answered with a RST. */
bool tcp_syn_received_ack_acceptable(uint32_t seg_ack, uint32_t snd_una, uint32_t snd_nxt);

/* What the owner of a TIME-WAIT connection knows to judge a new SYN for its 4-tuple. */
struct tcp_time_wait_info {
    uint32_t rcv_nxt;                /* beyond the peer's FIN */
    bool has_timestamps;             /* the old connection used timestamps */
    uint32_t ts_recent;              /* the last TSval the peer sent */
};

/* RFC 6191 2: a SYN may open a new incarnation of a TIME-WAIT 4-tuple when, if both the old
 * connection and the SYN use timestamps, its TSval is above TS.Recent; otherwise (RFC 1122
 * 4.2.2.13) when its SEG.SEQ is above RCV.NXT. Anything else gets a challenge ACK
 * (RFC 5961 4.2), like a SYN in any other synchronized state. */
bool tcp_time_wait_reuse_ok(const struct tcp_time_wait_info *tw, uint32_t seg_seq, bool seg_has_ts,
                            uint32_t seg_tsval);

enum tcp_ack_verdict {
    TCP_ACK_NEW,                     /* SND.UNA < SEG.ACK =< SND.NXT: acknowledges new data */
    TCP_ACK_DUPLICATE,               /* SEG.ACK = SND.UNA: nothing new (a duplicate ACK candidate) */
    TCP_ACK_OLD,                     /* SND.UNA - MAX.SND.WND =< SEG.ACK < SND.UNA: ignore the
                                        ACK field, process the rest (RFC 9293 "can be ignored") */
    TCP_ACK_TOO_OLD,                 /* below SND.UNA - MAX.SND.WND: challenge ACK, drop (5961 5.2) */
    TCP_ACK_TOO_NEW,                 /* above SND.NXT: send an ACK, drop (RFC 9293, RFC 5961 5.2) */
};

/* RFC 5961 5.2 with RFC 9293 3.10.7.4's ACK processing. max_snd_wnd: the largest window the peer
 * has advertised (MAX.SND.WND). */
enum tcp_ack_verdict tcp_ack_check(uint32_t seg_ack, uint32_t snd_una, uint32_t snd_nxt,
                                   uint32_t max_snd_wnd);

/* RFC 2018 3, RFC 6675 5: keeps the blocks that describe data we sent and that is not yet
 * cumulatively acknowledged: start < end, SND.UNA =< end =< SND.NXT, and a block reaching below
 * SND.UNA is cut to start there. Blocks wholly at or below SND.UNA (D-SACK, RFC 2883, which we do
 * not use) and bogus ones are removed. Compacts blocks in place, keeping their order; returns how
 * many remain. */
unsigned tcp_sack_blocks_sanitize(struct tcp_sack_block *blocks, unsigned count, uint32_t snd_una,
                                  uint32_t snd_nxt);

/* RFC 5961 7: challenge ACKs (and the ACKs answering out-of-window segments) are limited per stack
 * to about `limit` per second. Each one-second period gets a budget drawn at random from
 * [limit/2, limit + limit/2), so an attacker cannot count the replies it provokes to learn what
 * another connection's challenge ACKs used (the side channel a fixed global budget opens). */
#define TCP_CHALLENGE_ACK_LIMIT 10u
#define TCP_CHALLENGE_ACK_PERIOD_NS 1000000000ull

struct tcp_challenge_limiter {
    uint32_t limit;                  /* average per second; 0: unlimited */
    uint32_t budget;                 /* left in this period */
    uint64_t period_start_ns;
    bool started;
};

void tcp_challenge_limiter_init(struct tcp_challenge_limiter *l, uint32_t limit_per_second);
/* True if one more challenge ACK may be sent at now_ns (and counts it). */
bool tcp_challenge_ack_allow(struct tcp_challenge_limiter *l, uint64_t now_ns);

/* RFC 5961 10 (Linux's tcp_invalid_ratelimit): ACKs answering out-of-window or PAWS-failed
 * segments are limited per connection, so two confused peers (or a forger) cannot ping-pong ACKs
 * at line rate. *next_ns: when the next one may go (0 at first). True, and *next_ns moved on by
 * interval_ns, if one may be sent at now_ns; interval 0: always. */
bool tcp_invalid_ack_allow(uint64_t *next_ns, uint64_t interval_ns, uint64_t now_ns);

#endif
