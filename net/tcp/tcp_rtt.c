/*
 * net/tcp_rtt: the RFC 6298 estimator (SRTT, RTTVAR, RTO with bounds and backoff), Karn's rule
 * for timed segments, and RTT samples from timestamps (RFC 7323 4). See net/tcp/tcp_rtt.h for how
 * the connection code drives it.
 */
#include "net/tcp/tcp_rtt.h"
#include "net/wire/tcp_seq.h"

/* RFC 6298 2.3: alpha = 1/8, beta = 1/4, K = 4. */
#define RTT_ALPHA_SHIFT 3
#define RTT_BETA_SHIFT 2
#define RTT_K 4u
/* More doublings than this already pin any sane RTO at its maximum. */
#define RTT_BACKOFF_LIMIT 20u

static uint64_t clamp_rto(const struct tcp_rtt *r, uint64_t rto)
{
    if (rto < r->rto_min_ns)
        return r->rto_min_ns;
    if (rto > r->rto_max_ns)
        return r->rto_max_ns;
    return rto;
}

void tcp_rtt_init(struct tcp_rtt *r, uint64_t initial_ns, uint64_t min_ns, uint64_t max_ns)
{
    *r = (struct tcp_rtt){0};
    r->rto_min_ns = min_ns ? min_ns : TCP_RTO_MIN_NS;
    if (r->rto_min_ns < TCP_RTT_GRANULARITY_NS)
        r->rto_min_ns = TCP_RTT_GRANULARITY_NS;
    r->rto_max_ns = max_ns ? max_ns : TCP_RTO_MAX_NS;
    if (r->rto_max_ns < r->rto_min_ns)
        r->rto_max_ns = r->rto_min_ns;
    r->rto_base_ns = clamp_rto(r, initial_ns ? initial_ns : TCP_RTO_INITIAL_NS);
}

/* One measurement with the gains divided by `samples_per_window` (1 = RFC 6298 as written,
 * more = RFC 7323 appendix G when every ACK carries a timestamp sample). */
static void rtt_update(struct tcp_rtt *r, uint64_t rtt_ns, uint64_t samples_per_window)
{
    if (rtt_ns == 0)
        rtt_ns = TCP_RTT_GRANULARITY_NS;
    if (!r->have_sample) {
        /* RFC 6298 2.2 */
        r->srtt_ns = rtt_ns;
        r->rttvar_ns = rtt_ns / 2;
        r->have_sample = true;
    } else {
        /* RFC 6298 2.3: RTTVAR first, from the old SRTT. */
        int64_t srtt = (int64_t)r->srtt_ns, rttvar = (int64_t)r->rttvar_ns;
        int64_t err = (int64_t)rtt_ns - srtt;
        int64_t abs_err = err < 0 ? -err : err;
        int64_t n = (int64_t)samples_per_window;
        rttvar += (abs_err - rttvar) / (n << RTT_BETA_SHIFT);
        srtt += err / (n << RTT_ALPHA_SHIFT);
        r->rttvar_ns = (uint64_t)rttvar;
        r->srtt_ns = srtt > 0 ? (uint64_t)srtt : 1;
    }
    uint64_t var_term = RTT_K * r->rttvar_ns;
    if (var_term < TCP_RTT_GRANULARITY_NS)
        var_term = TCP_RTT_GRANULARITY_NS;
    r->rto_base_ns = clamp_rto(r, r->srtt_ns + var_term);
    /* Karn: a valid sample from a segment that was not retransmitted ends the backoff. */
    r->backoff = 0;
}

void tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt_ns)
{
    rtt_update(r, rtt_ns, 1);
}

void tcp_rtt_on_send(struct tcp_rtt *r, uint32_t seq_end, bool retransmission, uint64_t now_ns)
{
    if (retransmission) {
        /* Karn's algorithm (RFC 6298 3): the ACK of a resent segment is ambiguous. */
        r->timing = false;
        return;
    }
    if (!r->timing) {
        r->timing = true;
        r->timed_seq_end = seq_end;
        r->timed_sent_ns = now_ns;
    }
}

uint64_t tcp_rtt_on_ack(struct tcp_rtt *r, const struct tcp_rtt_ack *a)
{
    bool advances = seq_gt(a->ack, a->snd_una);
    if (a->has_tsecr) {
        /* RFC 7323 4.2: only an ACK of new data updates the estimate; the echoed TSval names
         * the transmission it answers, so retransmissions are not ambiguous (no Karn needed). */
        r->timing = false;
        if (!advances)
            return 0;
        int32_t ticks = seq_diff(a->ts_now, a->tsecr);
        if (ticks < 0)
            return 0;   /* an echo from our future: not a timestamp we sent */
        uint64_t rtt = (uint64_t)ticks * (1000000000ull / TCP_TS_HZ);
        if (rtt > r->rto_max_ns)
            return 0;   /* older than any segment could still be: a stale or forged echo */
        /* RFC 7323 appendix G: ExpectedSamples = ceil(FlightSize / (2 * SMSS)). */
        uint64_t expected = 1;
        if (a->smss)
            expected = ((uint64_t)a->flight_size + 2ull * a->smss - 1) / (2ull * a->smss);
        if (expected < 1)
            expected = 1;
        rtt_update(r, rtt, expected);
        return rtt ? rtt : TCP_RTT_GRANULARITY_NS;
    }
    if (r->timing && seq_ge(a->ack, r->timed_seq_end)) {
        r->timing = false;
        uint64_t rtt = a->now_ns > r->timed_sent_ns ? a->now_ns - r->timed_sent_ns : 0;
        rtt_update(r, rtt, 1);
        return rtt ? rtt : TCP_RTT_GRANULARITY_NS;
    }
    return 0;
}

void tcp_rtt_on_timeout(struct tcp_rtt *r)
{
    /* RFC 6298 5.5 */
    if (r->backoff < RTT_BACKOFF_LIMIT)
        r->backoff++;
    r->timing = false;
}

void tcp_rtt_handshake_done(struct tcp_rtt *r, bool syn_retransmitted)
{
    if (syn_retransmitted && !r->have_sample) {
        /* RFC 6298 5.7 */
        if (r->rto_base_ns < TCP_RTO_AFTER_SYN_LOSS_NS)
            r->rto_base_ns = clamp_rto(r, TCP_RTO_AFTER_SYN_LOSS_NS);
    }
    r->backoff = 0;
}

uint64_t tcp_rtt_rto_backed_off(const struct tcp_rtt *r)
{
    uint64_t rto = r->rto_base_ns;
    for (unsigned i = 0; i < r->backoff && rto < r->rto_max_ns; i++)
        rto *= 2;
    return rto > r->rto_max_ns ? r->rto_max_ns : rto;
}
