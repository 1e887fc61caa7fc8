/*
 * net/tcp/tcp_input: a segment for an existing TCB, processed in the order of RFC 9293 3.10.7.3
 * (SYN-SENT) and 3.10.7.4 (the other states): a repeated SYN in SYN-RECEIVED (SYN-ACK again), PAWS
 * (RFC 7323 5), sequence acceptability and trimming, RST (RFC 5961 3.2), SYN (RFC 5961 4.2), ACK
 * (RFC 5961 5.2, RTT, congestion control, window update), data (in order into the receive buffer,
 * out of order in place, tracked for SACK) and FIN. Challenge ACKs share the stack's rate limiter
 * (RFC 5961 7); ACKs answering out-of-window and PAWS-failed segments are limited per connection
 * (RFC 5961 10). TIME_WAIT is not a TCB state here: tcp_timewait.c takes over.
 */
#include "net/tcp/tcp_internal.h"

#include "lib/errno.h"
#include "lib/minmax.h"
#include "lib/string.h"
#include "mm/pbuf.h"
#include "net/wire/features.h"

static struct tcp_stats *stats_of(struct tcp_conn *c)
{
    return &c->ts->layer->stats;
}

static void challenge_ack(struct tcp_conn *c)
{
    if (!tcp_challenge_ack_allow(&c->ts->challenge, tcp_now())) {
        stats_of(c)->rx_challenge_throttled++;
        return;
    }
    c->stats.challenge_acks++;
    stats_of(c)->tx_challenge_acks++;
    tcp_send_ack(c);
}

void tcp_apply_syn_options(struct tcp_conn *c, const struct tcp_options *o)
{
    const struct tcp_config *cfg = &c->ts->cfg;
    c->peer_mss = (o->present & TCP_OPTF_MSS) ? o->mss : 0;
    c->ws_ok = net_feature(NET_FEATURE_WSCALE) && cfg->window_scaling &&
               (o->present & TCP_OPTF_WSCALE);
    c->snd_wscale = tcp_ws_in_use(c) ? o->wscale : 0;
    /* Our scale was chosen with the buffer before the SYN (tcp_conn_setup) and, for an active
     * open, already sent: a buffer resized since cannot change it (RFC 7323 2.2). */
    if (!tcp_ws_in_use(c))
        c->rcv_wscale = 0;
    c->sack_ok = net_feature(NET_FEATURE_SACK) && cfg->sack &&
                 (o->present & TCP_OPTF_SACK_PERMITTED);
    c->ts_ok = net_feature(NET_FEATURE_TIMESTAMPS) && cfg->timestamps &&
               (o->present & TCP_OPTF_TIMESTAMPS);
    if (tcp_ts_in_use(c)) {
        c->ts_recent = o->ts_val;
        c->ts_recent_time = tcp_now();
    }
    c->stats.snd_wscale = c->snd_wscale;
    c->stats.rcv_wscale = c->rcv_wscale;
    c->stats.timestamps = c->ts_ok;
    c->stats.sack = c->sack_ok;
    tcp_update_mss(c);
}

/* The handshake is complete (either side): congestion control and SACK start for real. */
void tcp_conn_established(struct tcp_conn *c)
{
    tcp_set_state(c, TCPS_ESTABLISHED);
    tcp_rtt_handshake_done(&c->rtt, c->syn_retransmitted);
    tcp_cc_handshake_done(&c->cc, c->mss, c->syn_retransmitted, tcp_now());
    if (tcp_sack_in_use(c)) {
        tcp_scoreboard_init(&c->sb, c->snd_una, c->mss);
        tcp_cc_use_sack(&c->cc, &c->sb);
        if (net_feature(NET_FEATURE_RACK)) {     /* else DupThresh alone (RFC 6675 5) */
            tcp_rack_init(&c->rack);
            tcp_cc_use_rack(&c->cc, &c->rack);
        }
    }
    c->retries = 0;
    c->last_rx_ns = tcp_now();
    tcp_idle_rearm(c);
    waitq_wake_all(&c->openers);
    waitq_wake_all(&c->writers);
}

static void update_window(struct tcp_conn *c, const struct tcp_segment *seg)
{
    uint32_t wnd = (seg->h.flags & TCP_FLAG_SYN) ? seg->h.window
                                                  : tcp_window_unscale(seg->h.window, c->snd_wscale);
    /* RFC 9293 3.10.7.4: take the window only from a segment newer than the last one used. */
    if (seq_lt(c->snd_wl1, seg->h.seq) ||
        (c->snd_wl1 == seg->h.seq && seq_le(c->snd_wl2, seg->h.ack))) {
        bool opened = wnd > c->snd_wnd;
        c->snd_wnd = wnd;
        c->snd_wl1 = seg->h.seq;
        c->snd_wl2 = seg->h.ack;
        if (wnd > c->max_snd_wnd)
            c->max_snd_wnd = wnd;
        c->stats.snd_wnd = wnd;
        if (opened && wnd) {
            c->persist_backoff = 0;
            if (c->persist)
                tcp_rtx_stop(c);
        }
    }
}

/* SYN-SENT (RFC 9293 3.10.7.3). */
static void syn_sent_input(struct tcp_conn *c, struct tcp_segment *seg)
{
    uint8_t f = seg->h.flags;
    bool ack = f & TCP_FLAG_ACK;
    if (ack && !tcp_syn_sent_ack_acceptable(seg->h.ack, c->iss, c->snd_nxt)) {
        stats_of(c)->rx_bad_ack++;
        if (!(f & TCP_FLAG_RST))
            tcp_send_raw(c->ts, &c->ep, seg->h.ack, 0, TCP_FLAG_RST, 0, NULL, NULL, 0, 0);
        return;
    }
    if (f & TCP_FLAG_RST) {
        if (ack) {
            stats_of(c)->rx_rst_accepted++;
            stats_of(c)->conn_reset_by_peer++;
            tcp_conn_terminate(c, -ECONNREFUSED);
        } else {
            stats_of(c)->rx_rst_ignored++;
        }
        return;
    }
    if (!(f & TCP_FLAG_SYN)) {
        stats_of(c)->rx_listen_bad++;
        return;
    }
    c->irs = seg->h.seq;
    c->rcv_nxt = seg->h.seq + 1;
    c->rcv_adv = c->rcv_nxt;
    tcp_apply_syn_options(c, &seg->opts);
    c->snd_wl1 = seg->h.seq - 1;             /* so this segment's window is taken */
    if (ack) {
        uint64_t now = tcp_now();
        struct tcp_rtt_ack ra = { .now_ns = now, .ack = seg->h.ack, .snd_una = c->snd_una,
                                  .has_tsecr = tcp_ts_in_use(c), .tsecr = seg->opts.ts_ecr,
                                  .ts_now = tcp_tsval(c), .flight_size = 1, .smss = c->mss };
        tcp_rtt_on_ack(&c->rtt, &ra);
        c->snd_una = seg->h.ack;
        c->snd_buf_seq = c->snd_una;
        update_window(c, seg);
        tcp_rtx_stop(c);
        stats_of(c)->conn_opened_active++;
        tcp_conn_established(c);
        tcp_send_ack(c);
        tcp_output(c);
        return;
    }
    /* RFC 9293 3.10.7.3: simultaneous open: SYN-RECEIVED, answer with SYN-ACK (same ISS). */
    update_window(c, seg);
    tcp_set_state(c, TCPS_SYN_RECEIVED);
    c->snd_nxt = c->iss;
    tcp_send_syn(c);
}

/* RFC 9293 3.10.7.4 seventh step: data in [seq, seq + len), already trimmed to the window. */
static void accept_data(struct tcp_conn *c, struct tcp_segment *seg, uint32_t seq, uint32_t front,
                        uint32_t len)
{
    if (!c->user_owned || c->rd_shut) {
        if (!c->user_owned) {
            /* RFC 9293 3.10.4, RFC 2525 2.17: nobody will read it: reset so the peer knows. */
            stats_of(c)->rx_after_shutdown++;
            stats_of(c)->conn_aborted++;
            tcp_send_rst_conn(c);
            tcp_conn_terminate(c, -ECONNABORTED);
            return;
        }
        /* Shut for reading: acknowledge and discard (the peer must not stall on it). */
        stats_of(c)->rx_after_shutdown++;
        if (seq == c->rcv_nxt)
            c->rcv_nxt += len;
        tcp_send_ack(c);
        return;
    }
    uint32_t off = seq - c->rcv_nxt;
    /* The out-of-order bound per connection: at most the receive window in bytes (the caller
     * trimmed to it) and TCP_RANGES_MAX separate holes; refuse before any chunk is allocated. An
     * image without the queue (net/wire/features.h; RFC 9293 3.10.7.4: holding it is a SHOULD)
     * refuses every such segment: the duplicate ACK makes the sender repair the hole. */
    if (off && (!net_feature(NET_FEATURE_OOO) ||
                !tcp_ranges_would_add(&c->ooo, c->rcv_nxt, seq, seq + len))) {
        stats_of(c)->rx_ooo_dropped++;
        tcp_send_ack(c);
        return;
    }
    /* Kept by reference to the segment's own buffer where that pays, else copied (tcp_buf.h). */
    int err = tcp_buf_store(&c->rcvbuf, c->rcv_ready + off, seg->payload, front, len);
    if (err) {
        stats_of(c)->buffer_limit++;
        tcp_send_ack(c);
        return;
    }
    if (off == 0) {
        uint32_t before = c->rcv_nxt;
        uint32_t reach = tcp_ranges_advance(&c->ooo, c->rcv_nxt, seq + len);
        c->rcv_ready += reach - before;
        c->rcv_nxt = reach;
        c->stats.bytes_received += reach - before;
        if (tcp_sack_in_use(c))
            tcp_sack_rx_on_rcv_nxt(&c->sack_rx, c->rcv_nxt);
        waitq_wake_all(&c->readers);
        if (reach != seq + len) {
            tcp_send_ack(c);                     /* a hole was filled: tell the sender now */
            return;
        }
        tcp_delack_schedule(c);
        return;
    }
    tcp_ranges_add(&c->ooo, c->rcv_nxt, seq, seq + len);    /* cannot fail: checked above */
    stats_of(c)->rx_out_of_order++;
    if (tcp_sack_in_use(c))
        for (unsigned i = 0; i < c->ooo.count; i++)
            if (seq_between(seq, c->ooo.r[i].start, c->ooo.r[i].end))
                tcp_sack_rx_on_ooo(&c->sack_rx, c->ooo.r[i].start, c->ooo.r[i].end);
    tcp_send_ack(c);                             /* RFC 5681 4.2: out of order: ACK at once */
}

/* RFC 9293 3.10.7.4 eighth step. ack_now: the FIN was held beyond a gap that just filled, and a
 * filled gap is acknowledged at once (RFC 5681 4.2). */
static void fin_received(struct tcp_conn *c, bool ack_now)
{
    c->rcv_nxt++;
    c->fin_received = true;
    c->fin_pending = false;
    c->ack_pending = true;
    waitq_wake_all(&c->readers);
    if (c->state == TCPS_SYN_RECEIVED || c->state == TCPS_ESTABLISHED) {
        tcp_set_state(c, TCPS_CLOSE_WAIT);
        /* The application, told of the end, usually closes at once: its FIN then carries this
         * ACK and the close takes three segments, not four (as Linux does in CLOSE_WAIT). The
         * ACK is delayed (RFC 1122 4.2.3.2, RFC 9293 3.8.6.3) by at most delack_ns. Nothing
         * lies beyond a FIN taken in order, so no out-of-order data waits for this ACK. */
        if (!ack_now) {
            if (!tcp_timer_pending(c, TCP_TIMER_DELACK))
                tcp_timer_set(c, TCP_TIMER_DELACK, tcp_now() + c->ts->cfg.delack_ns);
            return;
        }
    } else if (c->state == TCPS_FIN_WAIT_1) {
        /* our FIN not yet acknowledged (else we would be in FIN_WAIT_2): simultaneous close */
        tcp_set_state(c, TCPS_CLOSING);
    }
    tcp_send_ack(c);
    if (c->state == TCPS_FIN_WAIT_2)
        tcp_enter_time_wait(c);                  /* the TCB goes; the caller holds it */
}

static bool our_fin_acked(const struct tcp_conn *c)
{
    return c->fin_sent && c->snd_una == c->snd_nxt;
}

/* The congestion controller's part of an ACK, with the RACK counters it moved. */
static inline __attribute__((always_inline)) unsigned cc_on_ack(struct tcp_conn *c,
                                                                 const struct tcp_segment *seg, uint32_t ack,
                          const struct tcp_sack_block *blocks, unsigned nblocks, uint64_t now)
{
    uint32_t wnd = tcp_window_unscale(seg->h.window, c->snd_wscale);
    bool dup = tcp_cc_is_duplicate_ack(ack, c->snd_una, c->snd_nxt, seg->len,
                                       seg->h.flags & (TCP_FLAG_SYN | TCP_FLAG_FIN), wnd,
                                       c->snd_wnd);
    struct tcp_cc_ack ca = { .now_ns = now, .ack = ack, .snd_una = c->snd_una, .snd_nxt = c->snd_nxt,
                             .dup = dup, .sack = blocks, .sack_count = nblocks,
                             .srtt_ns = tcp_rtt_srtt(&c->rtt) };
    uint32_t rack_recoveries = c->cc.counters.rack_recoveries;
    uint32_t rack_lost = c->rack.marked_lost, rack_lost_rtx = c->rack.lost_retransmissions;
    uint32_t rack_spurious = c->rack.spurious;
    unsigned ev = tcp_cc_on_ack(&c->cc, &ca);
    stats_of(c)->rack_recoveries += c->cc.counters.rack_recoveries - rack_recoveries;
    stats_of(c)->rack_lost_retransmits += c->rack.lost_retransmissions - rack_lost_rtx;
    stats_of(c)->rack_spurious += c->rack.spurious - rack_spurious;
    c->stats.rack_lost += c->rack.marked_lost - rack_lost;
    c->stats.rack_lost_retransmits += c->rack.lost_retransmissions - rack_lost_rtx;
    if (c->cc.rack)
        tcp_rack_timer_update(c);
    return ev;
}

/* RFC 9293 3.10.7.4 fifth step for an acceptable ACK of new data or a duplicate. */
static void process_ack(struct tcp_conn *c, struct tcp_segment *seg, enum tcp_ack_verdict v)
{
    uint64_t now = tcp_now();
    uint32_t ack = seg->h.ack;
    uint32_t flight = c->snd_nxt - c->snd_una;
    struct tcp_rtt_ack ra = { .now_ns = now, .ack = ack, .snd_una = c->snd_una,
                              .has_tsecr = tcp_ts_in_use(c) && (seg->opts.present & TCP_OPTF_TIMESTAMPS),
                              .tsecr = seg->opts.ts_ecr, .ts_now = tcp_ts_clock(now) + c->ts_offset,
                              .flight_size = flight, .smss = c->mss };
    if (v == TCP_ACK_NEW)
        tcp_rtt_on_ack(&c->rtt, &ra);
    struct tcp_sack_block blocks[TCP_MAX_SACK_BLOCKS];
    unsigned nblocks = 0;
    if (tcp_sack_in_use(c) && (seg->opts.present & TCP_OPTF_SACK)) {
        nblocks = seg->opts.sack_count;
        memcpy(blocks, seg->opts.sack, nblocks * sizeof(blocks[0]));
        nblocks = tcp_sack_blocks_sanitize(blocks, nblocks, c->snd_una, c->snd_nxt);
    }
    /* No data outstanding (nothing at all, or only our FIN: what a short connection's close
     * acknowledges) and nothing being repaired: congestion control has nothing to learn. */
    unsigned ev;
    if (__builtin_expect(c->snd_queued == 0, 0) &&
        (ack == c->snd_nxt || c->snd_una == c->snd_nxt) && nblocks == 0 && !c->tlp_outstanding &&
        !tcp_cc_in_recovery(&c->cc)) {
        tcp_cc_on_ack_no_data(&c->cc, ack, c->snd_nxt, tcp_rtt_srtt(&c->rtt));
        ev = 0;
    } else {
        ev = cc_on_ack(c, seg, ack, nblocks ? blocks : NULL, nblocks, now);
    }
    if (v == TCP_ACK_NEW && c->tlp_outstanding && seq_ge(ack, c->tlp_end_seq)) {
        /* RFC 8985 7.4: the probe's episode is over. A retransmitted probe repaired a loss
         * when the ACK echoes the probe's timestamp: TS.Recent only follows a segment at the
         * receiver's left edge (RFC 7323 4.3), so the probe filled the hole. An older echo is
         * ambiguous (the original may have arrived, its ACK delayed) and, without D-SACK,
         * earns no congestion response; without timestamps the response is taken. */
        c->tlp_outstanding = false;
        bool probe_filled = !ra.has_tsecr || seq_ge(seg->opts.ts_ecr, c->tlp_tsval);
        bool recovered = c->cc.counters.fast_retransmits != c->tlp_recoveries;
        if (c->tlp_retrans && probe_filled && !recovered) {
            tcp_cc_on_tlp_repair(&c->cc, flight, now);
            stats_of(c)->tlp_repairs++;
        }
    }
    if (ev & TCP_CC_EV_DUPACK)
        c->stats.dupacks_received++;
    if (ev & TCP_CC_EV_ENTERED_RECOVERY) {
        c->stats.fast_retransmits++;
        stats_of(c)->fast_retransmits++;
    }
    if (v == TCP_ACK_NEW) {
        uint32_t acked = ack - c->snd_una;
        uint32_t data_end = c->snd_buf_seq + (uint32_t)c->snd_queued;
        uint32_t data_acked = seq_lt(data_end, ack) ? data_end - c->snd_buf_seq
                                                    : ack - c->snd_buf_seq;
        tcp_buf_consume(&c->sndbuf, data_acked);
        c->snd_queued -= data_acked;
        c->snd_buf_seq += data_acked;
        c->snd_una = ack;
        c->stats.bytes_acked += acked;
        c->retries = 0;
        c->persist_backoff = 0;
        /* RFC 6298 5.2/5.3: stop the timer when all is acknowledged, else restart it. */
        if (c->snd_una == c->snd_nxt)
            tcp_rtx_stop(c);
        else
            tcp_rtx_arm(c);
        waitq_wake_all(&c->writers);
    }
    update_window(c, seg);
}

void tcp_send_invalid_ack(struct tcp_conn *c, const struct tcp_segment *seg)
{
    bool data = seg->len && !(seg->h.flags & TCP_FLAG_SYN);
    if (!data && !tcp_invalid_ack_allow(&c->next_oow_ack_ns, c->ts->cfg.invalid_ack_interval_ns,
                                        tcp_now())) {
        stats_of(c)->rx_invalid_ack_throttled++;
        return;
    }
    tcp_send_ack(c);
}

/* RFC 9293 3.10.7.4 (SYN-RECEIVED): the peer's SYN again means our SYN-ACK was lost; answer with
 * the SYN-ACK at once rather than a bare ACK, which a peer in SYN-SENT can only reset. Limited
 * like any answer to an old segment (a forger could otherwise make us repeat it at will). */
static bool syn_received_syn_again(struct tcp_conn *c, const struct tcp_segment *seg)
{
    uint8_t f = seg->h.flags;
    if (c->state != TCPS_SYN_RECEIVED || (f & (TCP_FLAG_ACK | TCP_FLAG_RST | TCP_FLAG_FIN)) ||
        !(f & TCP_FLAG_SYN) || seg->h.seq != c->irs)
        return false;
    stats_of(c)->rx_syn_retransmitted++;
    if (!tcp_invalid_ack_allow(&c->next_oow_ack_ns, c->ts->cfg.invalid_ack_interval_ns, tcp_now()))
        stats_of(c)->rx_invalid_ack_throttled++;
    else
        tcp_send_syn(c);
    return true;
}

static void conn_input(struct tcp_conn *c, struct tcp_segment *seg);

void tcp_conn_input(struct tcp_conn *c, struct tcp_segment *seg)
{
    /* Held while the segment is processed: a step may end the connection (reset, TIME_WAIT,
     * data for a closed handle) and the later steps only look at c->state then. */
    c->waiters++;
    conn_input(c, seg);
    c->waiters--;
    tcp_conn_maybe_free(c);
}

static void conn_input(struct tcp_conn *c, struct tcp_segment *seg)
{
    c->stats.segs_in++;
    uint8_t f = seg->h.flags;
    if (c->state == TCPS_SYN_SENT) {
        syn_sent_input(c, seg);
        return;
    }
    if (syn_received_syn_again(c, seg))
        return;
    uint32_t rcv_wnd = tcp_window_left(c->rcv_adv, c->rcv_nxt);
    /* RFC 7323 3.2: once timestamps are in use, every segment but a RST carries them; one that
     * does not is dropped (it may be an old or forged segment PAWS cannot judge). */
    if (tcp_ts_in_use(c) && !(f & TCP_FLAG_RST) && !(seg->opts.present & TCP_OPTF_TIMESTAMPS)) {
        stats_of(c)->rx_no_timestamp++;
        return;
    }
    /* RFC 7323 5.3 R1: PAWS. */
    if (tcp_ts_in_use(c) && (seg->opts.present & TCP_OPTF_TIMESTAMPS) &&
        tcp_paws_reject(seg->opts.ts_val, c->ts_recent, tcp_now() - c->ts_recent_time,
                        f & TCP_FLAG_RST)) {
        stats_of(c)->rx_paws_rejected++;
        if (!(f & TCP_FLAG_RST))
            tcp_send_invalid_ack(c, seg);
        return;
    }
    /* RFC 5961 3.2: RST only at exactly RCV.NXT; elsewhere in the window a challenge ACK. */
    if (f & TCP_FLAG_RST) {
        switch (tcp_rst_check(seg->h.seq, c->rcv_nxt, rcv_wnd)) {
        case TCP_RST_ACCEPT:
            stats_of(c)->rx_rst_accepted++;
            if (c->state == TCPS_SYN_RECEIVED && c->listener) {
                tcp_conn_terminate(c, -ECONNREFUSED);   /* back to LISTEN: the child goes */
            } else if (c->state == TCPS_CLOSING || c->state == TCPS_LAST_ACK) {
                tcp_conn_terminate(c, 0);
            } else {
                stats_of(c)->conn_reset_by_peer++;
                tcp_conn_terminate(c, c->state == TCPS_SYN_RECEIVED ? -ECONNREFUSED : -ECONNRESET);
            }
            return;
        case TCP_RST_CHALLENGE_ACK:
            stats_of(c)->rx_rst_challenged++;
            challenge_ack(c);
            return;
        case TCP_RST_IGNORE:
            stats_of(c)->rx_rst_ignored++;
            return;
        }
    }
    /* RFC 9293 3.10.7.4 first check: sequence acceptability. */
    if (!tcp_seq_acceptable(seg->h.seq, seg->seg_len, c->rcv_nxt, rcv_wnd)) {
        stats_of(c)->rx_unacceptable++;
        tcp_send_invalid_ack(c, seg);
        return;
    }
    /* RFC 5961 4.2: a SYN in a synchronized state gets a challenge ACK, whatever its sequence. */
    if (f & TCP_FLAG_SYN) {
        stats_of(c)->rx_syn_challenged++;
        challenge_ack(c);
        return;
    }
    if (!(f & TCP_FLAG_ACK)) {
        stats_of(c)->rx_no_ack_flag++;
        return;
    }
    /* RFC 7323 4.3: TS.Recent follows the segment at the left edge. */
    if (tcp_ts_in_use(c) && (seg->opts.present & TCP_OPTF_TIMESTAMPS) &&
        tcp_ts_recent_update(seg->h.seq, seg->opts.ts_val, c->last_ack_sent, c->ts_recent)) {
        c->ts_recent = seg->opts.ts_val;
        c->ts_recent_time = tcp_now();
    }
    c->last_rx_ns = tcp_now();
    c->keepalive_sent = 0;
    c->probes_unanswered = 0;
    if (c->state == TCPS_SYN_RECEIVED) {
        if (!tcp_syn_received_ack_acceptable(seg->h.ack, c->snd_una, c->snd_nxt)) {
            stats_of(c)->rx_bad_ack++;
            tcp_send_raw(c->ts, &c->ep, seg->h.ack, 0, TCP_FLAG_RST, 0, NULL, NULL, 0, 0);
            return;
        }
        c->snd_una = seg->h.ack;
        c->snd_buf_seq = c->snd_una;
        c->snd_wl1 = seg->h.seq - 1;
        update_window(c, seg);
        tcp_rtx_stop(c);
        stats_of(c)->conn_opened_passive++;
        tcp_conn_established(c);
        if (c->listener)
            tcp_listener_child_established(c);
    } else {
        enum tcp_ack_verdict v = tcp_ack_check(seg->h.ack, c->snd_una, c->snd_nxt, c->max_snd_wnd);
        if (v == TCP_ACK_TOO_NEW) {
            stats_of(c)->rx_bad_ack++;
            tcp_send_invalid_ack(c, seg);
            return;
        }
        if (v == TCP_ACK_TOO_OLD) {
            stats_of(c)->rx_bad_ack++;
            challenge_ack(c);                    /* RFC 5961 5.2 */
            return;
        }
        if (v != TCP_ACK_OLD)
            process_ack(c, seg, v);
        if (!c->ts)
            return;
    }
    if (our_fin_acked(c)) {
        if (c->state == TCPS_FIN_WAIT_1) {
            tcp_set_state(c, TCPS_FIN_WAIT_2);
            tcp_idle_rearm(c);
        } else if (c->state == TCPS_CLOSING) {
            tcp_enter_time_wait(c);              /* the record answers from now on */
            return;
        } else if (c->state == TCPS_LAST_ACK) {
            tcp_conn_terminate(c, 0);
            return;
        }
    }
    /* Data and FIN (seventh and eighth steps), trimmed to the window. */
    struct tcp_trim trim = tcp_seq_trim(seg->h.seq, seg->seg_len, c->rcv_nxt, rcv_wnd);
    uint32_t front = trim.front, len = seg->len;
    bool fin = f & TCP_FLAG_FIN;
    if (trim.back) {
        if (fin) {
            fin = false;                         /* the FIN lies beyond the window */
            trim.back--;
        }
        len = trim.back < len ? len - trim.back : 0;
        stats_of(c)->rx_window_trimmed += trim.back;
    }
    len = front < len ? len - front : 0;
    uint32_t seq = seg->h.seq + front;
    if (c->fin_pending) {
        /* Nothing exists past the peer's FIN: cut data beyond it, and a FIN elsewhere than the
         * remembered one is inconsistent (the first one stands). */
        if (len && seq_gt(seq + len, c->fin_seq)) {
            uint32_t keep = seq_lt(seq, c->fin_seq) ? c->fin_seq - seq : 0;
            stats_of(c)->rx_data_after_fin++;
            len = keep;
        }
        if (fin && seq + len != c->fin_seq)
            fin = false;
    }
    bool receiving = c->state == TCPS_ESTABLISHED || c->state == TCPS_FIN_WAIT_1 ||
                     c->state == TCPS_FIN_WAIT_2;
    if (len && receiving && !c->fin_received) {
        accept_data(c, seg, seq, front, len);
        if (!c->ts || c->state == TCPS_CLOSED)
            return;
    } else if (len) {
        stats_of(c)->rx_data_after_fin++;
        tcp_send_ack(c);
    } else if (seg->len && front >= seg->len) {
        stats_of(c)->rx_duplicate++;
        tcp_send_ack(c);                         /* an old duplicate: repeat our ACK */
    }
    if (fin && !c->fin_received) {
        if (seq + len == c->rcv_nxt) {
            fin_received(c, false);
            if (c->state == TCPS_CLOSED)
                return;                          /* TIME_WAIT: the record took over */
        } else {
            /* RFC 9293 3.10.7.4 eighth step: a FIN is processed only at RCV.NXT; one that arrives
             * ahead of missing data is kept with the out-of-order data, not thrown away. */
            if (!c->fin_pending) {
                c->fin_pending = true;
                c->fin_seq = seq + len;
                stats_of(c)->rx_ooo_fin++;
            }
            tcp_send_ack(c);
        }
    } else if (c->fin_pending && !c->fin_received && c->rcv_nxt == c->fin_seq) {
        fin_received(c, true);                   /* the gap before the remembered FIN filled */
        if (c->state == TCPS_CLOSED)
            return;
    }
    tcp_output(c);
}

size_t tcp_take_data(struct tcp_conn *c, void *buf, size_t len)
{
    size_t n = min(len, c->rcv_ready);
    if (n == 0)
        return 0;
    uint32_t before = tcp_window_left(c->rcv_adv, c->rcv_nxt);
    tcp_buf_read(&c->rcvbuf, 0, buf, n);
    tcp_buf_consume(&c->rcvbuf, n);
    c->rcv_ready -= n;
    /* RFC 9293 3.8.6.2.2 / RFC 1122 4.2.3.3: tell the peer when the window opened by enough. */
    if (c->ts && tcp_rcv_window(c) > before &&
        (before < c->mss || tcp_rcv_window(c) - before >= c->rcvbuf.capacity / 2))
        tcp_send_ack(c);
    return n;
}
