/*
 * net/tcp_cc: the congestion-control driver shared by every algorithm: initial and loss windows,
 * duplicate ACKs, fast retransmit and recovery (RFC 5681 3.2 with RFC 6582's recover point and
 * partial ACKs, or RFC 6675 with a SACK scoreboard), the timeout loss phase, limited transmit
 * (RFC 3042), the restart after idle (RFC 5681 4.1), and the choice of what to transmit next.
 * The algorithms (tcp_newreno.c, tcp_cubic.c) only grow and cut the window. See net/tcp/tcp_cc.h.
 */
#include "net/tcp/tcp_cc.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "net/wire/tcp_seq.h"

/* Far above any window the 30-bit scaled receive window allows; keeps sums from wrapping. */
#define TCP_CC_CWND_MAX (1u << 30)

/* The SACK scoreboard, or NULL when the connection has none; always NULL in an image without SACK
 * (net/wire/features.h), so link-time optimization drops RFC 6675 recovery from it. */
static inline __attribute__((always_inline)) struct tcp_scoreboard *sb_of(const struct tcp_cc *cc)
{
    return net_feature(NET_FEATURE_SACK) ? cc->sb : NULL;
}

/* CUBIC first: an image without it (features.h) skips it, so link-time optimization sees the
 * table read only at NewReno's entry and drops CUBIC. */
static const struct tcp_cc_ops *const algorithms[] = {&tcp_cc_cubic, &tcp_cc_newreno};

const struct tcp_cc_ops *tcp_cc_find(const char *name)
{
    if (!name)
        return NULL;
    for (unsigned i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
        if ((i > 0 || net_feature(NET_FEATURE_CUBIC)) && strcmp(algorithms[i]->name, name) == 0)
            return algorithms[i];
    return NULL;
}

/* TCP_CC_DEFAULT's algorithm, without looking its name up. */
static const struct tcp_cc_ops *default_algorithm(void)
{
    return net_feature(NET_FEATURE_CUBIC) ? &tcp_cc_cubic : &tcp_cc_newreno;
}

uint32_t tcp_cc_initial_window(uint32_t smss)
{
    /* RFC 5681 3.1 */
    if (smss > 2190)
        return 2 * smss;
    if (smss > 1095)
        return 3 * smss;
    return 4 * smss;
}

int tcp_cc_init(struct tcp_cc *cc, const char *name, uint32_t iss, uint32_t smss, uint64_t now_ns)
{
    const struct tcp_cc_ops *ops = name ? tcp_cc_find(name) : default_algorithm();
    tcp_cc_init_ops(cc, ops ? ops : default_algorithm(), iss, smss, now_ns);
    return ops ? 0 : -EINVAL;
}

void tcp_cc_init_ops(struct tcp_cc *cc, const struct tcp_cc_ops *ops, uint32_t iss, uint32_t smss,
                     uint64_t now_ns)
{
    memset(cc, 0, sizeof(*cc));
    cc->ops = ops;
    cc->smss = smss ? smss : 1;
    cc->cwnd = tcp_cc_initial_window(cc->smss);
    cc->ssthresh = TCP_CC_SSTHRESH_INFINITE;
    cc->phase = TCP_CC_OPEN;
    /* RFC 6582 3.2: recover starts at the initial send sequence number. */
    cc->recover = iss;
    cc->snd_una = cc->high_data = cc->rtx_next = cc->loss_una = iss;
    cc->ops->init(cc, now_ns);
}

int tcp_cc_set_algorithm(struct tcp_cc *cc, const char *name, uint64_t now_ns)
{
    const struct tcp_cc_ops *ops = tcp_cc_find(name);
    if (!ops)
        return -EINVAL;
    cc->ops = ops;
    memset(&cc->alg, 0, sizeof(cc->alg));
    ops->init(cc, now_ns);
    return 0;
}

void tcp_cc_use_sack(struct tcp_cc *cc, struct tcp_scoreboard *sb)
{
    cc->sb = sb;
}

void tcp_cc_use_rack(struct tcp_cc *cc, struct tcp_rack *rack)
{
    cc->rack = sb_of(cc) ? rack : NULL;
}

/* RFC 6675 SetPipe, less what RACK already declared lost (it is not in the network). */
static uint32_t cc_pipe(const struct tcp_cc *cc)
{
    uint32_t pipe = tcp_scoreboard_pipe(sb_of(cc));
    if (cc->rack) {
        uint32_t lost = tcp_rack_lost_in_pipe(cc->rack, sb_of(cc));
        pipe = pipe > lost ? pipe - lost : 0;
    }
    return pipe;
}

/* RFC 8985 6.2 step 4-5 after an ACK or when the reordering timer fires: true when some
 * segment is now deemed lost. */
static bool rack_detect(struct tcp_cc *cc, uint64_t now_ns)
{
    if (!cc->rack)
        return false;
    if (cc->rack->count == 0) {                  /* nothing outstanding: nothing to judge */
        cc->rack_timeout_ns = 0;
        return cc->rack->lost_bytes > 0;
    }
    unsigned sacked_segs = tcp_scoreboard_sacked_bytes(sb_of(cc)) / cc->smss;
    uint64_t reo = tcp_rack_reo_wnd(cc->rack, cc->phase != TCP_CC_OPEN, cc->srtt_ns, sacked_segs);
    unsigned newly;
    cc->rack_timeout_ns = tcp_rack_detect(cc->rack, reo, now_ns, &newly);
    return cc->rack->lost_bytes > 0;
}

void tcp_cc_handshake_done(struct tcp_cc *cc, uint32_t smss, bool syn_retransmitted, uint64_t now_ns)
{
    if (smss)
        cc->smss = smss;
    /* RFC 5681 3.1: one segment after a lost SYN or SYN-ACK, else the initial window. */
    cc->cwnd = syn_retransmitted ? cc->smss : tcp_cc_initial_window(cc->smss);
    cc->ops->init(cc, now_ns);
}

void tcp_cc_set_mss(struct tcp_cc *cc, uint32_t smss)
{
    if (!smss)
        return;
    cc->smss = smss;
    if (cc->cwnd < smss)
        cc->cwnd = smss;
}

bool tcp_cc_is_duplicate_ack(uint32_t seg_ack, uint32_t snd_una, uint32_t snd_nxt,
                             uint32_t seg_len, bool syn_or_fin, uint32_t seg_wnd, uint32_t snd_wnd)
{
    /* RFC 5681 2: (a) data outstanding, (b) no data, (c) neither SYN nor FIN, (d) the ACK equals
     * the greatest acknowledgment so far, (e) the window is unchanged. */
    return seq_gt(snd_nxt, snd_una) && seg_len == 0 && !syn_or_fin && seg_ack == snd_una &&
           seg_wnd == snd_wnd;
}

bool tcp_cc_limited_transmit_ok(uint32_t dupacks, uint32_t flight_size, uint32_t cwnd,
                                uint32_t smss, uint32_t seg_len, uint32_t rwnd_room,
                                uint32_t unsent)
{
    /* RFC 3042 2: one new segment for each of the first and second duplicate ACK, if the
     * peer's window allows it; outstanding data stays within cwnd + 2 * SMSS (within
     * cwnd + SMSS after the first), and cwnd itself is unchanged. */
    return dupacks >= 1 && dupacks < TCP_CC_DUPTHRESH && seg_len > 0 && unsent >= seg_len &&
           rwnd_room >= seg_len &&
           (uint64_t)flight_size + seg_len <= (uint64_t)cwnd + (uint64_t)dupacks * smss;
}

/* ---- Helpers for the algorithms ---- */

uint32_t tcp_cc_slow_start(struct tcp_cc *cc, uint32_t acked)
{
    if (cc->cwnd >= cc->ssthresh)
        return acked;
    /* RFC 3465 2.2 (appropriate byte counting): cwnd += min(N, L), the bytes this ACK newly
     * acknowledges up to a limit L, instead of RFC 5681 3.1 eq. 2's one SMSS per ACK, so a peer
     * that ACKs every second segment or each TSO frame once still doubles cwnd per round trip
     * (up to L). RFC 3465 2.3: L = 2*SMSS, but 1*SMSS in the slow start that follows a
     * retransmission timeout, where one ACK can cover data the receiver held out of order. */
    uint32_t limit = cc->phase == TCP_CC_LOSS ? cc->smss : 2 * cc->smss;
    uint32_t inc = acked < limit ? acked : limit;
    uint32_t to_ssthresh = cc->ssthresh - cc->cwnd;
    if (inc >= to_ssthresh) {
        cc->cwnd = cc->ssthresh;
        return acked - to_ssthresh;
    }
    cc->cwnd += inc;
    if (cc->cwnd > TCP_CC_CWND_MAX)
        cc->cwnd = TCP_CC_CWND_MAX;
    return 0;
}

void tcp_cc_reno_avoidance(struct tcp_cc *cc, uint32_t acked)
{
    /* RFC 5681 3.1: about one SMSS per RTT, counted in bytes (one SMSS per cwnd acked). */
    cc->ca_acked += acked;
    if (cc->ca_acked >= cc->cwnd) {
        cc->ca_acked -= cc->cwnd;
        if (cc->ca_acked >= cc->cwnd)
            cc->ca_acked = 0;   /* a huge stretch ACK earns one SMSS, not a burst */
        if (cc->cwnd + cc->smss <= TCP_CC_CWND_MAX)
            cc->cwnd += cc->smss;
    }
}

/* ---- ACK processing ---- */

static unsigned enter_recovery(struct tcp_cc *cc, uint32_t flight_size, uint64_t now_ns)
{
    cc->phase = TCP_CC_RECOVERY;
    cc->recover = cc->high_data;        /* RFC 6582 3.2 step 1 / RFC 6675 5 (4.1) */
    /* RFC 5681 3.2 step 3 / RFC 6675 5 (4.3); with RACK the segments it marked lost are resent
     * instead (RFC 8985 6.3): SND.UNA may be a retransmission still in flight. */
    cc->retransmit_head = !cc->rack;
    cc->ca_acked = 0;
    cc->ops->enter_recovery(cc, flight_size, now_ns);
    if (cc->cwnd < cc->smss)
        cc->cwnd = cc->smss;
    if (cc->rack)
        tcp_rack_on_recovery(cc->rack);
    if (sb_of(cc)) {
        tcp_scoreboard_start_recovery(sb_of(cc));
    } else {
        /* RFC 5681 3.2 step 3: inflate by the segments that left the network. */
        cc->cwnd = cc->ssthresh + TCP_CC_DUPTHRESH * cc->smss;
    }
    cc->counters.fast_retransmits++;
    return TCP_CC_EV_ENTERED_RECOVERY;
}

static unsigned recovery_ack(struct tcp_cc *cc, const struct tcp_cc_ack *a, uint32_t acked, bool dup)
{
    if (acked && seq_ge(a->ack, cc->recover)) {
        /* RFC 6582 3.2 step 3 (full ACK), option (1): min(ssthresh, max(FlightSize, SMSS) +
         * SMSS) so that leaving recovery cannot release a burst; RFC 6675 5 (A) likewise. */
        uint32_t flight = a->snd_nxt - a->ack;
        uint64_t w = (uint64_t)(flight > cc->smss ? flight : cc->smss) + cc->smss;
        cc->cwnd = w < cc->ssthresh ? (uint32_t)w : cc->ssthresh;
        cc->phase = TCP_CC_OPEN;
        cc->retransmit_head = false;
        cc->dupacks = 0;
        cc->ops->exit_recovery(cc, a->now_ns);
        return TCP_CC_EV_EXITED_RECOVERY;
    }
    if (acked) {
        cc->counters.partial_acks++;
        if (!sb_of(cc)) {
            /* RFC 6582 3.2 step 4: resend the first unacknowledged segment, deflate by the
             * amount acknowledged, add back one SMSS if at least one SMSS was acknowledged. */
            cc->retransmit_head = true;
            cc->cwnd = cc->cwnd > acked ? cc->cwnd - acked : 0;
            if (acked >= cc->smss)
                cc->cwnd += cc->smss;
            if (cc->cwnd < cc->smss)
                cc->cwnd = cc->smss;
        }
        /* With SACK, RFC 6675 5 (B): the scoreboard was updated; SetPipe runs in next_tx. */
        return TCP_CC_EV_PARTIAL_ACK;
    }
    if (dup) {
        if (!sb_of(cc) && cc->cwnd + cc->smss <= TCP_CC_CWND_MAX)
            cc->cwnd += cc->smss;       /* RFC 5681 3.2 step 4 */
        return TCP_CC_EV_DUPACK;
    }
    return 0;
}

unsigned tcp_cc_on_ack(struct tcp_cc *cc, const struct tcp_cc_ack *a)
{
    unsigned ev = 0;
    uint32_t acked = seq_gt(a->ack, a->snd_una) ? a->ack - a->snd_una : 0;
    uint32_t flight_before = a->snd_nxt - a->snd_una;
    cc->srtt_ns = a->srtt_ns;
    if (seq_gt(a->snd_nxt, cc->high_data))
        cc->high_data = a->snd_nxt;

    bool dup;
    if (sb_of(cc)) {
        struct tcp_sack_update upd;
        tcp_scoreboard_update(sb_of(cc), a->ack, a->snd_nxt, a->sack, a->sack ? a->sack_count : 0,
                              &upd);
        dup = upd.dup_ack;          /* RFC 6675 2 */
        if (cc->rack)
            tcp_rack_on_ack(cc->rack, acked ? a->ack : a->snd_una, a->sack,
                            a->sack ? a->sack_count : 0, sb_of(cc), a->now_ns);
    } else {
        dup = a->dup && acked == 0; /* RFC 5681 2 */
    }
    if (acked) {
        cc->snd_una = a->ack;
        cc->dupacks = 0;            /* RFC 6675 5: a cumulative ACK resets DupAcks */
        if (seq_lt(cc->rtx_next, a->ack))
            cc->rtx_next = a->ack;
    }

    bool rack_loss = rack_detect(cc, a->now_ns);
    switch (cc->phase) {
    case TCP_CC_RECOVERY:
        ev = recovery_ack(cc, a, acked, dup);
        /* Losses RACK found beyond the old recovery point start the next episode at once. */
        if ((ev & TCP_CC_EV_EXITED_RECOVERY) && rack_loss) {
            cc->counters.rack_recoveries++;
            ev |= enter_recovery(cc, a->snd_nxt - a->ack, a->now_ns);
        }
        return ev;
    case TCP_CC_LOSS:
        if (acked) {
            cc->ops->on_ack(cc, acked, a->now_ns);
            if (seq_ge(a->ack, cc->recover)) {
                cc->phase = TCP_CC_OPEN;
                ev |= TCP_CC_EV_LOSS_DONE;
            }
        }
        /* RFC 6582 3.2 step 6 / RFC 6675 5.1: no new recovery until `recover` is acked, so
         * duplicates during the loss phase are not counted toward one. */
        return ev;
    case TCP_CC_OPEN:
        break;
    }

    if (acked)
        cc->ops->on_ack(cc, acked, a->now_ns);
    if (dup) {
        cc->dupacks++;
        ev |= TCP_CC_EV_DUPACK;
    } else if (!rack_loss) {
        return ev;
    }
    /* With RACK, time decides what is lost (RFC 8985 6: DupThresh would misjudge the
     * reordering RACK measures); without it, RFC 5681 / RFC 6675 DupThresh. */
    bool dupthresh_loss = !cc->rack && dup &&
                          (cc->dupacks >= TCP_CC_DUPTHRESH ||
                           (sb_of(cc) && tcp_scoreboard_is_lost(sb_of(cc), sb_of(cc)->high_ack)));
    bool loss_detected = dupthresh_loss || rack_loss;
    if (loss_detected && !dupthresh_loss && seq_ge(a->ack, cc->recover))
        cc->counters.rack_recoveries++;
    /* RFC 6582 3.2 step 1: only if the cumulative ACK covers more than recover; otherwise
     * these duplicates belong to a window already reduced. */
    if (loss_detected && seq_ge(a->ack, cc->recover))
        ev |= enter_recovery(cc, flight_before, a->now_ns);
    return ev;
}

void tcp_cc_on_ack_no_data(struct tcp_cc *cc, uint32_t ack, uint32_t snd_nxt, uint64_t srtt_ns)
{
    cc->srtt_ns = srtt_ns;
    if (seq_gt(snd_nxt, cc->high_data))
        cc->high_data = snd_nxt;
    if (seq_gt(ack, cc->snd_una)) {
        cc->snd_una = ack;
        cc->dupacks = 0;
        if (seq_lt(cc->rtx_next, ack))
            cc->rtx_next = ack;
    }
}

void tcp_cc_on_rto(struct tcp_cc *cc, uint32_t snd_una, uint32_t snd_nxt, uint64_t now_ns)
{
    cc->counters.rto_events++;
    /* A repeated timeout of the same segment keeps the ssthresh of the first: the flight it
     * would be computed from is still the one the first timeout already reacted to. */
    bool repeated = cc->phase == TCP_CC_LOSS && cc->loss_una == snd_una;
    if (!repeated)
        cc->ops->on_rto(cc, snd_nxt - snd_una, now_ns);
    cc->cwnd = cc->smss;                /* RFC 5681 3.1: the loss window is one segment */
    cc->phase = TCP_CC_LOSS;
    cc->recover = snd_nxt;              /* RFC 6582 3.2 step 6, RFC 6675 5.1 */
    cc->snd_una = cc->rtx_next = cc->loss_una = snd_una;
    if (seq_gt(snd_nxt, cc->high_data))
        cc->high_data = snd_nxt;
    cc->retransmit_head = true;         /* RFC 6298 5.4 */
    cc->dupacks = 0;
    cc->ca_acked = 0;
    if (sb_of(cc))
        tcp_scoreboard_on_rto(sb_of(cc));
    if (cc->rack)
        tcp_rack_on_rto(cc->rack);
    cc->rack_timeout_ns = 0;
}

unsigned tcp_cc_rack_timeout(struct tcp_cc *cc, uint32_t snd_una, uint32_t snd_nxt, uint64_t now_ns)
{
    if (!rack_detect(cc, now_ns) || cc->phase != TCP_CC_OPEN || !seq_ge(snd_una, cc->recover))
        return 0;
    cc->counters.rack_recoveries++;
    if (seq_gt(snd_nxt, cc->high_data))
        cc->high_data = snd_nxt;
    return enter_recovery(cc, snd_nxt - snd_una, now_ns);
}

void tcp_cc_on_tlp_repair(struct tcp_cc *cc, uint32_t flight_size, uint64_t now_ns)
{
    if (cc->phase != TCP_CC_OPEN)
        return;                         /* a recovery under way already reacted */
    cc->counters.tlp_repairs++;
    cc->ops->enter_recovery(cc, flight_size, now_ns);
    if (cc->cwnd > cc->ssthresh)
        cc->cwnd = cc->ssthresh;
    if (cc->cwnd < cc->smss)
        cc->cwnd = cc->smss;
    cc->ops->exit_recovery(cc, now_ns);
}

/* ---- Output ---- */

static uint32_t min3(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t m = a < b ? a : b;
    return m < c ? m : c;
}

static void idle_restart(struct tcp_cc *cc, const struct tcp_cc_tx_ctx *ctx)
{
    if (ctx->snd_nxt != ctx->snd_una || !cc->sent_any || cc->idle_restart_done)
        return;
    if (ctx->now_ns <= cc->last_send_ns || ctx->now_ns - cc->last_send_ns <= ctx->rto_ns)
        return;
    /* RFC 5681 4.1: after an idle period longer than the RTO, restart from
     * RW = min(IW, cwnd) so the first flight is not a line-rate burst. */
    uint32_t restart = tcp_cc_initial_window(cc->smss);
    if (restart < cc->cwnd)
        cc->cwnd = restart;
    cc->counters.idle_restarts++;
    cc->idle_restart_done = true;
    cc->ops->after_idle(cc, ctx->now_ns - cc->last_send_ns, ctx->now_ns);
}

static bool loss_next_tx(struct tcp_cc *cc, const struct tcp_cc_tx_ctx *ctx, uint32_t new_len,
                         struct tcp_cc_tx *out)
{
    uint32_t una = ctx->snd_una, nxt = ctx->snd_nxt;
    uint32_t repaired = seq_min(seq_max(cc->rtx_next, una), cc->recover);
    uint32_t in_flight = sb_of(cc) ? tcp_scoreboard_unsacked(sb_of(cc), una, repaired)
                                   : repaired - una;
    if (seq_gt(nxt, cc->recover))
        in_flight += nxt - cc->recover;
    uint32_t room = cc->cwnd > in_flight ? cc->cwnd - in_flight : 0;

    /* RFC 8985 6.3: a repair already resent and lost again goes before the rest. */
    uint32_t lost_seq, lost_len;
    if (cc->rack && tcp_rack_next_lost(cc->rack, &lost_seq, &lost_len) &&
        seq_lt(lost_seq, seq_max(cc->rtx_next, una)) && seq_lt(lost_seq, nxt)) {
        uint32_t len = min3(lost_len, nxt - lost_seq, cc->smss);
        if (room < len)
            return false;
        *out = (struct tcp_cc_tx){.seq = lost_seq, .len = len, .retransmission = true,
                                  .kind = TCP_CC_TX_RACK};
        return true;
    }

    uint32_t seq = seq_max(cc->rtx_next, una);
    uint32_t hole_end = cc->recover;
    if (sb_of(cc) && seq_lt(seq, cc->recover)) {
        seq = tcp_scoreboard_next_unsacked(sb_of(cc), seq, &hole_end);
        hole_end = seq_min(hole_end, cc->recover);
    }
    if (seq_lt(seq, cc->recover) && seq_lt(seq, nxt)) {
        uint32_t len = min3(hole_end - seq, nxt - seq, cc->smss);
        if (room < len)
            return false;
        *out = (struct tcp_cc_tx){.seq = seq, .len = len, .retransmission = true,
                                  .kind = TCP_CC_TX_LOSS};
        return true;
    }
    cc->rtx_next = seq_max(cc->rtx_next, cc->recover);
    if (new_len && room >= new_len) {
        *out = (struct tcp_cc_tx){.seq = nxt, .len = new_len, .kind = TCP_CC_TX_NEW};
        return true;
    }
    return false;
}

bool tcp_cc_next_tx(struct tcp_cc *cc, const struct tcp_cc_tx_ctx *ctx, struct tcp_cc_tx *out)
{
    uint32_t una = ctx->snd_una, nxt = ctx->snd_nxt;
    uint32_t flight = nxt - una;
    if (seq_gt(nxt, cc->high_data))
        cc->high_data = nxt;
    idle_restart(cc, ctx);

    if (cc->retransmit_head) {
        if (seq_lt(una, nxt)) {
            uint32_t len = flight < cc->smss ? flight : cc->smss;
            *out = (struct tcp_cc_tx){.seq = una, .len = len, .retransmission = true,
                                      .kind = TCP_CC_TX_HEAD};
            return true;
        }
        cc->retransmit_head = false;
    }

    uint32_t new_len = min3(ctx->unsent, ctx->rwnd_room, cc->smss);
    switch (cc->phase) {
    case TCP_CC_LOSS:
        return loss_next_tx(cc, ctx, new_len, out);
    case TCP_CC_RECOVERY:
        if (sb_of(cc)) {
            /* RFC 6675 5 (C): while cwnd - pipe >= 1 SMSS, send what NextSeg chooses, after
             * what RACK found lost (RFC 8985 6.2: lost retransmissions included). */
            uint32_t pipe = cc_pipe(cc);
            if (cc->cwnd <= pipe || cc->cwnd - pipe < cc->smss)
                return false;
            uint32_t lost_seq, lost_len;
            if (cc->rack && tcp_rack_next_lost(cc->rack, &lost_seq, &lost_len) &&
                seq_lt(lost_seq, nxt)) {
                *out = (struct tcp_cc_tx){.seq = lost_seq,
                                          .len = min3(lost_len, nxt - lost_seq, cc->smss),
                                          .retransmission = true, .kind = TCP_CC_TX_RACK};
                return true;
            }
            uint32_t sendable = ctx->unsent < ctx->rwnd_room ? ctx->unsent : ctx->rwnd_room;
            struct tcp_next_seg next;
            if (!tcp_scoreboard_next_seg(sb_of(cc), sendable, cc->recover, &next))
                return false;
            *out = (struct tcp_cc_tx){.seq = next.seq, .len = next.len,
                                      .retransmission = next.rule != TCP_NEXT_SEG_NEW,
                                      .kind = TCP_CC_TX_SACK, .next = next};
            return true;
        }
        /* RFC 5681 3.2 step 5: new data as the inflated cwnd allows. */
        if (new_len && (uint64_t)flight + new_len <= cc->cwnd) {
            *out = (struct tcp_cc_tx){.seq = nxt, .len = new_len, .kind = TCP_CC_TX_NEW};
            return true;
        }
        return false;
    case TCP_CC_OPEN:
        break;
    }

    if (!new_len)
        return false;
    if (sb_of(cc) && cc->dupacks > 0) {
        /* RFC 6675 5 step (3): limited transmit governed by pipe (HighRxt = HighACK here). */
        uint32_t pipe = cc_pipe(cc);
        if (cc->cwnd > pipe && cc->cwnd - pipe >= new_len) {
            bool beyond = (uint64_t)flight + new_len > cc->cwnd;
            *out = (struct tcp_cc_tx){.seq = nxt, .len = new_len,
                                      .kind = beyond ? TCP_CC_TX_LIMITED : TCP_CC_TX_NEW};
            return true;
        }
        return false;
    }
    if ((uint64_t)flight + new_len <= cc->cwnd) {
        *out = (struct tcp_cc_tx){.seq = nxt, .len = new_len, .kind = TCP_CC_TX_NEW};
        return true;
    }
    if (!sb_of(cc) && tcp_cc_limited_transmit_ok(cc->dupacks, flight, cc->cwnd, cc->smss, new_len,
                                              ctx->rwnd_room, ctx->unsent)) {
        *out = (struct tcp_cc_tx){.seq = nxt, .len = new_len, .kind = TCP_CC_TX_LIMITED};
        return true;
    }
    return false;
}

static void note_send(struct tcp_cc *cc, uint32_t end, uint64_t now_ns)
{
    cc->last_send_ns = now_ns;
    cc->sent_any = true;
    cc->idle_restart_done = false;
    if (seq_gt(end, cc->high_data))
        cc->high_data = end;
}

void tcp_cc_on_tx(struct tcp_cc *cc, const struct tcp_cc_tx *tx, uint32_t sent_len, uint64_t now_ns)
{
    if (sent_len == 0)
        return;
    if (sent_len > tx->len)
        sent_len = tx->len;
    uint32_t end = tx->seq + sent_len;
    switch (tx->kind) {
    case TCP_CC_TX_HEAD:
        cc->retransmit_head = false;
        cc->counters.retransmissions++;
        if (sb_of(cc) && cc->phase == TCP_CC_RECOVERY) {
            /* RFC 6675 5 (4.3): HighRxt and RescueRxt = the highest octet of this segment. */
            struct tcp_next_seg seg = {TCP_NEXT_SEG_LOST, tx->seq, sent_len};
            tcp_scoreboard_on_sent(sb_of(cc), &seg, cc->recover);
            sb_of(cc)->rescue_rxt = end - 1;
            sb_of(cc)->rescue_valid = true;
        }
        if (cc->phase == TCP_CC_LOSS && seq_gt(end, cc->rtx_next))
            cc->rtx_next = end;
        break;
    case TCP_CC_TX_SACK: {
        struct tcp_next_seg seg = tx->next;
        seg.len = sent_len;
        if (sb_of(cc))
            tcp_scoreboard_on_sent(sb_of(cc), &seg, cc->recover);
        if (seg.rule != TCP_NEXT_SEG_NEW)
            cc->counters.retransmissions++;
        break;
    }
    case TCP_CC_TX_RACK:
        cc->counters.retransmissions++;
        if (sb_of(cc) && cc->phase == TCP_CC_RECOVERY && seq_gt(end, sb_of(cc)->high_rxt))
            sb_of(cc)->high_rxt = end;     /* RFC 6675 (C.2): what NextSeg would have recorded */
        break;
    case TCP_CC_TX_LOSS:
        cc->counters.retransmissions++;
        if (seq_gt(end, cc->rtx_next))
            cc->rtx_next = end;
        break;
    case TCP_CC_TX_LIMITED:
        cc->counters.limited_transmits++;
        /* fall through */
    case TCP_CC_TX_NEW:
        if (sb_of(cc))
            tcp_scoreboard_on_send_new(sb_of(cc), end);
        break;
    }
    note_send(cc, end, now_ns);
}

void tcp_cc_on_send_new(struct tcp_cc *cc, uint32_t seq_end, uint64_t now_ns)
{
    if (sb_of(cc))
        tcp_scoreboard_on_send_new(sb_of(cc), seq_end);
    note_send(cc, seq_end, now_ns);
}
