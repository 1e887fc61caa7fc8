/*
 * net/tcp/tcp_timer: a connection's timers. Each kind is a deadline in the TCB (due[]); one
 * scheduler timer per connection is armed at or before the earliest of them, and when it fires
 * every kind then due is handled (in enum tcp_timer_kind order) and it is armed again for the
 * earliest left. Setting a kind earlier than the scheduler timer moves it; setting one later or
 * unsetting one leaves it alone (it fires, finds nothing due and moves on, or is cancelled when
 * nothing is left), so the ACK-by-ACK stops and restarts of the retransmission timer cost no
 * scheduler work. The end of the connection cancels it.
 *   TCP_TIMER_RTX    retransmission (RFC 6298 5: armed while data is outstanding, RTO from
 *                    tcp_rtt, doubled on expiry), SYN/SYN-ACK retransmission, and, when nothing
 *                    is outstanding but data waits for a closed window, the persist timer
 *                    (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17: probes backing off exponentially up to
 *                    60 s; while the peer keeps answering they go on, but no longer than the user
 *                    timeout (RFC 9293 3.8.3, as Linux's TCP_USER_TIMEOUT) nor, once the
 *                    application closed the connection, than orphan_retries probes;
 *                    max_retransmits unanswered probes in a row end it too).
 *   TCP_TIMER_RACK   the RFC 8985 6.2 reordering window (RACK with SACK).
 *   TCP_TIMER_DELACK the delayed ACK (RFC 1122 4.2.3.2: at most 0.5 s, configurable 40..200 ms
 *                    here; an ACK at least every second full-sized segment).
 *   TCP_TIMER_IDLE   keepalive (RFC 1122 4.2.3.6: off by default, idle 2 h, interval 75 s,
 *                    9 probes), and the bound on an orphaned FIN_WAIT_2 (TIME_WAIT has its own
 *                    table and timer, tcp_timewait.c).
 * A connection dies after max_retransmits timeouts in a row (or the user timeout, RFC 9293
 * 3.8.3), or syn_retransmits for an open. An orphan (closed by the application, still sending its
 * FIN: FIN_WAIT_1, CLOSING, LAST_ACK) dies after orphan_retries retransmission timeouts or window
 * probes (Linux's tcp_orphan_retries), an orphaned FIN_WAIT_2 after TCP_FIN_WAIT_2_TIMEOUT_NS
 * (tcp_fin_timeout): nobody is left to wait for it, and its send buffer counts against every
 * other connection's budget.
 */
#include "net/tcp/tcp_internal.h"

#include "lib/errno.h"

static void rtx_expired(struct tcp_conn *c);
static void rack_expired(struct tcp_conn *c);
static void delack_expired(struct tcp_conn *c);
static void idle_expired(struct tcp_conn *c);

static void expired(struct tcp_conn *c, enum tcp_timer_kind kind)
{
    switch (kind) {
    case TCP_TIMER_RTX: rtx_expired(c); break;
    case TCP_TIMER_RACK: rack_expired(c); break;
    case TCP_TIMER_DELACK: delack_expired(c); break;
    default: idle_expired(c); break;
    }
}

static uint64_t earliest_due(const struct tcp_conn *c)
{
    uint64_t first = DEADLINE_NONE;
    for (unsigned k = 0; k < TCP_TIMER_KINDS; k++)
        if (c->due[k] < first)
            first = c->due[k];
    return first;
}

void tcp_timer_set(struct tcp_conn *c, enum tcp_timer_kind kind, uint64_t deadline_ns)
{
    c->due[kind] = deadline_ns;
    if (!timer_armed(&c->timer) || deadline_ns < c->timer.deadline_ns)
        timer_arm(&c->timer, deadline_ns);
}

/* The scheduler timer fired: every kind due runs, then it is armed for the earliest left. */
static void conn_timer_fired(struct timer *t, void *arg)
{
    (void)t;
    struct tcp_conn *c = arg;
    uint64_t now = tcp_now();
    c->waiters++;                                /* a handler may end the connection */
    for (unsigned k = 0; k < TCP_TIMER_KINDS; k++) {
        if (c->due[k] > now)
            continue;
        c->due[k] = DEADLINE_NONE;
        expired(c, k);
    }
    c->waiters--;
    if (tcp_conn_maybe_free(c))
        return;
    uint64_t first = earliest_due(c);
    if (first == DEADLINE_NONE)
        timer_cancel(&c->timer);
    else if (!timer_armed(&c->timer) || c->timer.deadline_ns > first)
        timer_arm(&c->timer, first);
}

void tcp_timers_init(struct tcp_conn *c)
{
    timer_init(&c->timer, conn_timer_fired, c);
    for (unsigned k = 0; k < TCP_TIMER_KINDS; k++)
        c->due[k] = DEADLINE_NONE;
}

void tcp_timers_stop(struct tcp_conn *c)
{
    for (unsigned k = 0; k < TCP_TIMER_KINDS; k++)
        c->due[k] = DEADLINE_NONE;
    timer_cancel(&c->timer);
}

/* RFC 8985 7.2: the probe timeout, or 0 when no tail loss probe is due: SACK and RACK in use,
 * data outstanding, no recovery under way and nothing SACKed, no probe already outstanding. */
static uint64_t tlp_pto(struct tcp_conn *c)
{
    uint64_t srtt = tcp_rtt_srtt(&c->rtt);
    if (!net_feature_and(NET_FEATURE_RACK, c->cc.rack != NULL) || !srtt || c->tlp_outstanding ||
        tcp_cc_in_recovery(&c->cc) || c->sb.count || tcp_rtt_backoff(&c->rtt) ||
        c->snd_una == c->snd_nxt)
        return 0;
    switch (c->state) {
    case TCPS_ESTABLISHED:
    case TCPS_CLOSE_WAIT:
    case TCPS_FIN_WAIT_1:
    case TCPS_CLOSING:
    case TCPS_LAST_ACK:
        break;
    default:
        return 0;
    }
    uint64_t pto = 2 * srtt;
    /* A single segment may wait for the peer's delayed-ACK timer (WCDelAckT). */
    if (c->snd_nxt - c->snd_una <= c->mss)
        pto += TCP_TLP_WCDELACK_NS;
    return pto < TCP_TLP_MIN_NS ? TCP_TLP_MIN_NS : pto;
}

void tcp_rtx_arm(struct tcp_conn *c)
{
    c->persist = false;
    uint64_t rto = tcp_rtt_rto(&c->rtt);
    uint64_t pto = tlp_pto(c);
    c->tlp_armed = pto && pto < rto;
    tcp_timer_set(c, TCP_TIMER_RTX, tcp_now() + (c->tlp_armed ? pto : rto));
}

void tcp_tlp_rearm(struct tcp_conn *c)
{
    uint64_t pto = tlp_pto(c);
    if (!pto)
        return;
    /* Never later than the retransmission timer already running. */
    uint64_t now = tcp_now();
    if (!c->tlp_armed && c->due[TCP_TIMER_RTX] <= now + pto)
        return;
    c->tlp_armed = true;
    tcp_timer_set(c, TCP_TIMER_RTX, now + pto);
}

void tcp_rack_timer_update(struct tcp_conn *c)
{
    if (c->cc.rack_timeout_ns)
        tcp_timer_set(c, TCP_TIMER_RACK, tcp_now() + c->cc.rack_timeout_ns);
    else
        tcp_timer_clear(c, TCP_TIMER_RACK);
}

static void rack_expired(struct tcp_conn *c)
{
    if (!c->ts || !c->cc.rack || c->snd_una == c->snd_nxt)
        return;
    unsigned ev = tcp_cc_rack_timeout(&c->cc, c->snd_una, c->snd_nxt, tcp_now());
    if (ev & TCP_CC_EV_ENTERED_RECOVERY) {
        c->stats.fast_retransmits++;
        c->ts->layer->stats.fast_retransmits++;
    }
    tcp_rack_timer_update(c);
    tcp_output(c);
}

/* RFC 8985 7.3: the probe timeout expired: send a probe, then the RTO runs as usual. */
static void tlp_fire(struct tcp_conn *c)
{
    c->tlp_armed = false;
    c->tlp_outstanding = true;
    c->tlp_tsval = tcp_tsval(c);
    c->tlp_recoveries = c->cc.counters.fast_retransmits;
    c->tlp_retrans = tcp_send_tail_probe(c);
    c->tlp_end_seq = c->snd_nxt;
    c->stats.tail_loss_probes++;
    c->ts->layer->stats.tx_tail_loss_probes++;
    tcp_rtx_arm(c);
}

void tcp_rtx_stop(struct tcp_conn *c)
{
    tcp_timer_clear(c, TCP_TIMER_RTX);
    c->tlp_armed = false;
    c->persist = false;
    c->retries = 0;
}

bool tcp_conn_orphaned(const struct tcp_conn *c)
{
    return !c->user_owned && (c->state == TCPS_FIN_WAIT_1 || c->state == TCPS_CLOSING ||
                              c->state == TCPS_LAST_ACK);
}

/* Gives up on the connection: RST (the peer may still be there) and the end. */
static void give_up(struct tcp_conn *c, uint64_t *counter)
{
    (*counter)++;
    tcp_send_rst_conn(c);
    tcp_conn_terminate(c, -ETIMEDOUT);
}

void tcp_persist_arm(struct tcp_conn *c)
{
    if (!c->persist && c->persist_backoff == 0)
        c->persist_start_ns = tcp_now();         /* a new zero-window episode */
    uint64_t interval = tcp_rtt_rto(&c->rtt);
    for (unsigned i = 0; i < c->persist_backoff && interval < TCP_PERSIST_MAX_NS; i++)
        interval *= 2;
    if (interval > TCP_PERSIST_MAX_NS)
        interval = TCP_PERSIST_MAX_NS;
    c->persist = true;
    tcp_timer_set(c, TCP_TIMER_RTX, tcp_now() + interval);
}

static bool retries_exhausted(struct tcp_conn *c)
{
    const struct tcp_config *cfg = &c->ts->cfg;
    bool opening = c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED;
    if (c->retries == 1)
        c->first_timeout_ns = tcp_now();
    if (tcp_conn_orphaned(c) && c->retries > cfg->orphan_retries)
        return true;
    if (c->user_timeout_ns && !opening)
        return tcp_now() - c->first_timeout_ns >= c->user_timeout_ns;
    return c->retries > (opening ? cfg->syn_retransmits : cfg->max_retransmits);
}

static void persist_expired(struct tcp_conn *c)
{
    struct tcp_stats *st = &c->ts->layer->stats;
    /* RFC 9293 3.8.3: the user timeout covers a peer that answers every probe with a zero window
     * as much as one that does not answer (RFC 1122 4.2.2.17 keeps probing only "as long as the
     * receiving TCP continues to send acknowledgments" within what the user allows). */
    if (c->user_timeout_ns && tcp_now() - c->persist_start_ns >= c->user_timeout_ns) {
        give_up(c, &st->conn_persist_timeout);
        return;
    }
    if (tcp_conn_orphaned(c) && c->persist_backoff >= c->ts->cfg.orphan_retries) {
        give_up(c, &st->conn_orphan_reaped);
        return;
    }
    c->persist = false;
    uint32_t room = tcp_window_left(c->snd_una + c->snd_wnd, c->snd_nxt);
    if (room) {
        /* The window opened a little but not enough for Nagle/SWS: send what fits (RFC 9293
         * 3.8.6.2.1's override timeout). */
        tcp_force_send(c, room);
    } else {
        /* RFC 1122 4.2.2.17 keeps probing while the peer answers; a peer that answers none of
         * max_retransmits probes is gone (as Linux's tcp_retries2 bound on window probes). */
        if (c->probes_unanswered >= c->ts->cfg.max_retransmits) {
            give_up(c, &st->conn_timed_out);
            return;
        }
        c->probes_unanswered++;
        c->stats.zero_window_probes++;
        c->ts->layer->stats.tx_window_probes++;
        tcp_send_probe(c);
    }
    if (c->persist_backoff < 16)
        c->persist_backoff++;
    if (!tcp_timer_pending(c, TCP_TIMER_RTX) && c->snd_una == c->snd_nxt)
        tcp_persist_arm(c);
}

static void rtx_expired(struct tcp_conn *c)
{
    if (!c->ts)
        return;
    if (c->persist) {
        persist_expired(c);
        return;
    }
    if (c->snd_una == c->snd_nxt)
        return;                              /* everything acknowledged meanwhile */
    if (net_feature_and(NET_FEATURE_RACK, c->tlp_armed)) {   /* never armed without RACK */
        tlp_fire(c);
        return;
    }
    c->tlp_outstanding = false;              /* RFC 8985 7.4: the episode ends with the RTO */
    c->retries++;
    c->stats.rto_timeouts++;
    c->ts->layer->stats.rto_expirations++;
    if (retries_exhausted(c)) {
        if (tcp_conn_orphaned(c) && c->retries > c->ts->cfg.orphan_retries)
            c->ts->layer->stats.conn_orphan_reaped++;
        else
            c->ts->layer->stats.conn_timed_out++;
        /* Tell the peer, in case only our side is cut off; but not from an open that never
         * completed: a half-open connection's peer may be a spoofed source (SYN flood), which a
         * RST would only hit as backscatter. Dropped silently, as Linux does. */
        if (c->state != TCPS_SYN_SENT && c->state != TCPS_SYN_RECEIVED)
            tcp_send_rst_conn(c);
        tcp_conn_terminate(c, c->error && c->state == TCPS_SYN_SENT ? c->error : -ETIMEDOUT);
        return;
    }
    tcp_rtt_on_timeout(&c->rtt);             /* RFC 6298 5.5: back off */
    if (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED) {
        tcp_send_syn(c);                     /* RFC 6298 5.4 for the SYN */
        tcp_rtx_arm(c);
        return;
    }
    tcp_cc_on_rto(&c->cc, c->snd_una, c->snd_nxt, tcp_now()); /* also resets the scoreboard */
    tcp_output(c);                           /* tcp_cc chooses the retransmission of SND.UNA */
    tcp_rtx_arm(c);                          /* RFC 6298 5.6: restart with the doubled RTO */
}

void tcp_delack_schedule(struct tcp_conn *c)
{
    c->ack_pending = true;
    c->unacked_segs++;
    /* RFC 1122 4.2.3.2 / RFC 5681 4.2: ACK at least every second full-sized segment, and at once
     * when out-of-order data is held (the sender needs the duplicate ACKs and SACK blocks). */
    if (c->unacked_segs >= 2 || c->ooo.count) {
        tcp_send_ack(c);
        return;
    }
    if (!tcp_timer_pending(c, TCP_TIMER_DELACK))
        tcp_timer_set(c, TCP_TIMER_DELACK, tcp_now() + c->ts->cfg.delack_ns);
}

static void delack_expired(struct tcp_conn *c)
{
    if (!c->ts || !c->ack_pending)
        return;
    c->ts->layer->stats.tx_delayed_acks++;
    tcp_send_ack(c);
}

void tcp_idle_rearm(struct tcp_conn *c)
{
    if (!c->ts)
        return;
    switch (c->state) {
    case TCPS_FIN_WAIT_2:
        if (!c->user_owned) {
            tcp_timer_set(c, TCP_TIMER_IDLE, tcp_now() + TCP_FIN_WAIT_2_TIMEOUT_NS);
            return;
        }
        break;
    default:
        break;
    }
    if (net_feature_and(NET_FEATURE_KEEPALIVE, c->keepalive) &&
        (c->state == TCPS_ESTABLISHED || c->state == TCPS_CLOSE_WAIT ||
         c->state == TCPS_FIN_WAIT_2)) {
        uint64_t next = c->last_rx_ns + (c->keepalive_sent ? c->keepintvl_ns : c->keepidle_ns);
        if (c->keepalive_sent)
            next = tcp_now() + c->keepintvl_ns;
        tcp_timer_set(c, TCP_TIMER_IDLE, next);
    } else {
        tcp_timer_clear(c, TCP_TIMER_IDLE);
    }
}

static void idle_expired(struct tcp_conn *c)
{
    if (!c->ts)
        return;
    if (c->state == TCPS_FIN_WAIT_2 && !c->user_owned) {
        c->ts->layer->stats.conn_fin_wait_2_timeout++;
        tcp_conn_terminate(c, -ETIMEDOUT);
        return;
    }
    if (!net_feature_and(NET_FEATURE_KEEPALIVE, c->keepalive))
        return;
    uint64_t now = tcp_now();
    if (!c->keepalive_sent && now - c->last_rx_ns < c->keepidle_ns) {
        tcp_idle_rearm(c);                   /* traffic since: wait the rest of the idle time */
        return;
    }
    if (c->keepalive_sent >= c->keepcnt) {
        /* RFC 1122 4.2.3.6: the peer is gone. */
        c->ts->layer->stats.conn_timed_out++;
        tcp_send_rst_conn(c);
        tcp_conn_terminate(c, -ETIMEDOUT);
        return;
    }
    c->keepalive_sent++;
    c->stats.keepalive_probes++;
    c->ts->layer->stats.tx_keepalives++;
    tcp_send_probe(c);                       /* SEG.SEQ = SND.NXT - 1: the peer must ACK it */
    tcp_idle_rearm(c);
}
