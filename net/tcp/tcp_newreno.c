/*
 * net/tcp_newreno: the "newreno" algorithm's window rules (RFC 5681 3.1 slow start and
 * congestion avoidance, eq. 4 for ssthresh on loss). Fast recovery with RFC 6582's recover point
 * and partial ACKs is the driver's (tcp_cc.c), shared with CUBIC.
 */
#include "net/tcp/tcp_cc.h"

static void newreno_init(struct tcp_cc *cc, uint64_t now_ns)
{
    cc->ca_acked = 0;
}

static void newreno_on_ack(struct tcp_cc *cc, uint32_t acked, uint64_t now_ns)
{
    if (cc->cwnd < cc->ssthresh) {
        acked = tcp_cc_slow_start(cc, acked);
        if (!acked)
            return;
    }
    tcp_cc_reno_avoidance(cc, acked);
}

/* RFC 5681 3.1 eq. 4: ssthresh = max(FlightSize / 2, 2 * SMSS). */
static uint32_t half_flight(const struct tcp_cc *cc, uint32_t flight_size)
{
    uint32_t half = flight_size / 2;
    return half > 2 * cc->smss ? half : 2 * cc->smss;
}

static void newreno_enter_recovery(struct tcp_cc *cc, uint32_t flight_size, uint64_t now_ns)
{
    cc->ssthresh = half_flight(cc, flight_size);
    cc->cwnd = cc->ssthresh;
}

static void newreno_exit_recovery(struct tcp_cc *cc, uint64_t now_ns)
{
    cc->ca_acked = 0;
}

static void newreno_on_rto(struct tcp_cc *cc, uint32_t flight_size, uint64_t now_ns)
{
    cc->ssthresh = half_flight(cc, flight_size);
}

static void newreno_after_idle(struct tcp_cc *cc, uint64_t idle_ns, uint64_t now_ns)
{
    cc->ca_acked = 0;
}

const struct tcp_cc_ops tcp_cc_newreno = {
    .name = "newreno",
    .init = newreno_init,
    .on_ack = newreno_on_ack,
    .enter_recovery = newreno_enter_recovery,
    .exit_recovery = newreno_exit_recovery,
    .on_rto = newreno_on_rto,
    .after_idle = newreno_after_idle,
};
