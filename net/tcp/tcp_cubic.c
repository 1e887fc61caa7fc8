/*
 * net/tcp_cubic: the "cubic" algorithm (RFC 9438), the default. Windows are in bytes and the
 * cubic function is evaluated in integer arithmetic (milliseconds, fixed point with 10 fraction
 * bits) because kernel code uses no floating point. Slow start is RFC 5681's (HyStart++ is not
 * used); loss recovery is the driver's (tcp_cc.c).
 */
#include "net/tcp/tcp_cc.h"

/* RFC 9438 4.6: beta_cubic = 0.7; 4.2: C = 0.4 (segments per second cubed). */
#define CUBIC_BETA_NUM 7u
#define CUBIC_BETA_DEN 10u
/* 4.3: alpha_cubic = 3 * (1 - beta) / (1 + beta) = 0.529..., in units of 1/1024. */
#define CUBIC_ALPHA_Q10 542u
#define Q10 1024u
/* |t - K| beyond this saturates the cubic term: 0.4 * 30^3 = 10800 segments, far past any window
 * this stack reaches, and it keeps d^3 * 4 * SMSS inside 64 bits. */
#define CUBIC_MAX_OFFSET_MS 30000

static uint64_t cbrt_u64(uint64_t x)
{
    uint64_t lo = 0, hi = 2097151;   /* 2097151^3 < 2^64 */
    while (lo < hi) {
        uint64_t mid = (lo + hi + 1) / 2;
        if (mid * mid * mid <= x)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* RFC 9438 4.2 eq. 2: K = cbrt((W_max - cwnd_epoch) / C), with the windows in segments, in ms. */
static uint64_t cubic_k_ms(uint32_t w_max, uint32_t cwnd_epoch, uint32_t smss)
{
    if (w_max <= cwnd_epoch)
        return 0;
    /* ((W_max - cwnd_epoch) / SMSS) / 0.4 seconds^3 = ... * 2.5e9 ms^3 */
    uint64_t k3 = (uint64_t)(w_max - cwnd_epoch) * 2500000000ull / smss;
    return cbrt_u64(k3);
}

/* RFC 9438 4.2 eq. 1: W_cubic(t) = C * (t - K)^3 + W_max, in bytes, never below 0. */
static uint64_t cubic_window(const struct tcp_cubic *c, uint64_t t_ms, uint32_t smss)
{
    int64_t d = (int64_t)t_ms - (int64_t)c->k_ms;
    if (d > CUBIC_MAX_OFFSET_MS)
        d = CUBIC_MAX_OFFSET_MS;
    if (d < -CUBIC_MAX_OFFSET_MS)
        d = -CUBIC_MAX_OFFSET_MS;
    /* 0.4 * d^3 / 1e9 segments = d^3 * 4 * SMSS / 1e10 bytes */
    int64_t delta = d * d * d * 4 * (int64_t)smss / 10000000000ll;
    int64_t w = (int64_t)c->w_max + delta;
    return w > 0 ? (uint64_t)w : 0;
}

static void cubic_init(struct tcp_cc *cc, uint64_t now_ns)
{
    cc->alg.cubic = (struct tcp_cubic){.fast_convergence = true};
}

static void cubic_start_epoch(struct tcp_cc *cc, uint64_t now_ns)
{
    struct tcp_cubic *c = &cc->alg.cubic;
    c->epoch_start_ns = now_ns ? now_ns : 1;
    c->cwnd_epoch = cc->cwnd;
    c->inc_q10 = 0;
    if (c->after_rto || c->w_max == 0) {
        /* 4.8: the first stage after a timeout (or one with no congestion event behind it)
         * starts from K = 0 and W_max = cwnd at its beginning. */
        c->w_max = cc->cwnd;
        c->k_ms = 0;
        c->after_rto = false;
    } else {
        c->k_ms = cubic_k_ms(c->w_max, c->cwnd_epoch, cc->smss);
    }
    if (c->cwnd_prior == 0)
        c->cwnd_prior = cc->cwnd;
    /* 4.3: W_est starts at cwnd_epoch. */
    c->w_est_q10 = (uint64_t)c->cwnd_epoch * Q10;
}

static void cubic_on_ack(struct tcp_cc *cc, uint32_t acked, uint64_t now_ns)
{
    struct tcp_cubic *c = &cc->alg.cubic;
    if (cc->cwnd < cc->ssthresh) {
        acked = tcp_cc_slow_start(cc, acked);
        if (!acked)
            return;
    }
    if (c->epoch_start_ns == 0)
        cubic_start_epoch(cc, now_ns);
    uint64_t t_ms = now_ns > c->epoch_start_ns ? (now_ns - c->epoch_start_ns) / 1000000u : 0;
    uint64_t rtt_ms = cc->srtt_ns / 1000000u;

    /* 4.3 Reno-friendly region: W_est grows like Reno with alpha_cubic, and with alpha 1 once
     * it has reached the window before the last reduction. */
    uint64_t alpha = c->w_est_q10 >= (uint64_t)c->cwnd_prior * Q10 ? Q10 : CUBIC_ALPHA_Q10;
    c->w_est_q10 += alpha * acked * cc->smss / cc->cwnd;
    uint64_t w_est = c->w_est_q10 / Q10;
    if (cubic_window(c, t_ms, cc->smss) < w_est) {
        if (w_est > cc->cwnd)
            cc->cwnd = w_est > (1u << 30) ? (1u << 30) : (uint32_t)w_est;
        return;
    }

    /* 4.4, 4.5: aim at W_cubic(t + RTT), between cwnd and 1.5 * cwnd, and move
     * (target - cwnd) / cwnd per acknowledged segment. */
    uint64_t target = cubic_window(c, t_ms + rtt_ms, cc->smss);
    uint64_t ceiling = (uint64_t)cc->cwnd * 3 / 2;
    if (target > ceiling)
        target = ceiling;
    if (target <= cc->cwnd)
        return;
    uint64_t inc_q10 = c->inc_q10 + (target - cc->cwnd) * acked * Q10 / cc->cwnd;
    uint64_t inc = inc_q10 / Q10;
    c->inc_q10 = (uint32_t)(inc_q10 % Q10);
    uint64_t w = (uint64_t)cc->cwnd + inc;
    cc->cwnd = w > (1u << 30) ? (1u << 30) : (uint32_t)w;
}

/* 4.6: ssthresh = flight_size * beta_cubic, at least 2 SMSS. */
static uint32_t cubic_ssthresh(const struct tcp_cc *cc, uint32_t flight_size)
{
    uint64_t s = (uint64_t)flight_size * CUBIC_BETA_NUM / CUBIC_BETA_DEN;
    return s > 2ull * cc->smss ? (uint32_t)s : 2 * cc->smss;
}

static void cubic_enter_recovery(struct tcp_cc *cc, uint32_t flight_size, uint64_t now_ns)
{
    struct tcp_cubic *c = &cc->alg.cubic;
    /* 4.7 fast convergence: a flow whose window fell short of its last W_max releases
     * bandwidth by remembering a lower plateau, (1 + beta) / 2 of its window. */
    if (c->fast_convergence && cc->cwnd < c->w_max)
        c->w_max = (uint32_t)((uint64_t)cc->cwnd * (CUBIC_BETA_DEN + CUBIC_BETA_NUM) /
                              (2 * CUBIC_BETA_DEN));
    else
        c->w_max = cc->cwnd;
    c->cwnd_prior = cc->cwnd;
    cc->ssthresh = cubic_ssthresh(cc, flight_size);
    cc->cwnd = cc->ssthresh;
    c->epoch_start_ns = 0;   /* the next congestion avoidance stage starts a new epoch */
}

static void cubic_exit_recovery(struct tcp_cc *cc, uint64_t now_ns)
{
    cc->alg.cubic.epoch_start_ns = 0;
}

static void cubic_on_rto(struct tcp_cc *cc, uint32_t flight_size, uint64_t now_ns)
{
    struct tcp_cubic *c = &cc->alg.cubic;
    /* 4.8: ssthresh as in 4.6; the next stage uses K = 0 and W_max = its starting cwnd. */
    c->cwnd_prior = cc->cwnd;
    cc->ssthresh = cubic_ssthresh(cc, flight_size);
    c->after_rto = true;
    c->epoch_start_ns = 0;
}

static void cubic_after_idle(struct tcp_cc *cc, uint64_t idle_ns, uint64_t now_ns)
{
    /* RFC 9438 5.8: time the application left the window unused does not count as growth
     * time, so the epoch moves forward by the idle period. */
    if (cc->alg.cubic.epoch_start_ns)
        cc->alg.cubic.epoch_start_ns += idle_ns;
}

const struct tcp_cc_ops tcp_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .on_ack = cubic_on_ack,
    .enter_recovery = cubic_enter_recovery,
    .exit_recovery = cubic_exit_recovery,
    .on_rto = cubic_on_rto,
    .after_idle = cubic_after_idle,
};
