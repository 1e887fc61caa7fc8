/*
 * Unit tests for the "cubic" algorithm (net/tcp/tcp_cubic.c, RFC 9438): the multiplicative decrease
 * with beta 0.7, fast convergence, K, the concave and convex regions around W_max, the 1.5 x
 * target bound, the Reno-friendly region with its alpha switch, the first stage after a
 * timeout, and idle time not counting as growth time. ACKs are synthetic and time is the
 * simulated clock (tcp_cc_harness.h).
 */
#include <stdlib.h>

#include "test/unit/tcp_cc_harness.h"
#include "xenolith/test_main.h"

#define SEG H_SMSS

static struct harness h;

static void setup(void)
{
    sim_reset(1000 * H_MS);
    h_init(&h, "cubic", 0, false);
}

/* A congestion event (fast retransmit) with `segs` segments in flight and cwnd = segs. */
static void loss_at(uint32_t segs)
{
    h.cc.cwnd = segs * SEG;
    h.cc.ops->enter_recovery(&h.cc, segs * SEG, sim_now());
}

/* RFC 9438 4.6: ssthresh = flight_size * beta_cubic (0.7), cwnd = ssthresh, W_max = cwnd before
 * the reduction; never below 2 SMSS. */
START_TEST(multiplicative_decrease)
{
    loss_at(100);
    ck_assert_uint_eq(tcp_cc_ssthresh(&h.cc), 70 * SEG);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 70 * SEG);
    ck_assert_uint_eq(h.cc.alg.cubic.w_max, 100 * SEG);
    ck_assert_uint_eq(h.cc.alg.cubic.cwnd_prior, 100 * SEG);
    loss_at(2);
    ck_assert_uint_eq(tcp_cc_ssthresh(&h.cc), 2 * SEG);
}
END_TEST

/* RFC 9438 4.7: a loss below the previous W_max lowers W_max to cwnd * (1 + beta) / 2. */
START_TEST(fast_convergence)
{
    loss_at(100);
    loss_at(80);
    ck_assert_uint_eq(h.cc.alg.cubic.w_max, 68 * SEG);
    loss_at(90);                              /* above W_max: plain W_max = cwnd */
    ck_assert_uint_eq(h.cc.alg.cubic.w_max, 90 * SEG);
    h.cc.alg.cubic.fast_convergence = false;
    loss_at(80);
    ck_assert_uint_eq(h.cc.alg.cubic.w_max, 80 * SEG);
}
END_TEST

/* RFC 9438 4.2 eq. 2: K = cbrt((W_max - cwnd_epoch) / C): W_max 100, cwnd_epoch 70 segments
 * gives cbrt(75) = 4.217 s. */
START_TEST(k_from_w_max)
{
    loss_at(100);
    h.cc.ops->on_ack(&h.cc, SEG, sim_now());
    ck_assert_uint_eq(h.cc.alg.cubic.cwnd_epoch, 70 * SEG);
    ck_assert_uint_ge(h.cc.alg.cubic.k_ms, 4216);
    ck_assert_uint_le(h.cc.alg.cubic.k_ms, 4218);
}
END_TEST

/* RFC 9438 4.4, 4.5: the window climbs quickly toward W_max, flattens near it around t = K
 * (concave region), then probes beyond it (convex region). */
START_TEST(concave_then_convex)
{
    h.unsent = 1u << 30;
    loss_at(100);
    h.cc.phase = TCP_CC_OPEN;
    uint64_t start = sim_now();
    uint32_t at_half_k = 0, at_k = 0;
    while (sim_now() - start < 7000 * H_MS) {
        h_round_trip(&h, 100 * H_MS);
        uint64_t t = sim_now() - start;
        if (!at_half_k && t >= 2100 * H_MS)
            at_half_k = tcp_cc_cwnd(&h.cc);
        if (!at_k && t >= 4200 * H_MS)
            at_k = tcp_cc_cwnd(&h.cc);
    }
    uint32_t at_end = tcp_cc_cwnd(&h.cc);
    /* W_cubic(K/2) = 100 - 0.4 * 2.1^3 = 96.3 segments: most of the way already. */
    ck_assert_uint_ge(at_half_k, 90 * SEG);
    ck_assert_uint_le(at_half_k, 100 * SEG);
    ck_assert_uint_ge(at_k, 97 * SEG);
    ck_assert_uint_le(at_k, 102 * SEG);
    /* t = 7 s: W_cubic(t + RTT) = 100 + 0.4 * 2.88^3 = 109.6 segments; cwnd tracks the target
     * of the last round trip's ACKs, within a few segments. */
    ck_assert_uint_ge(at_end, 105 * SEG);
    ck_assert_uint_le(at_end, 115 * SEG);
}
END_TEST

/* RFC 9438 4.2: the target is at most 1.5 * cwnd, so one round trip never grows the window by
 * more than half, however far t is beyond K. */
START_TEST(target_bounded)
{
    loss_at(20);
    h.cc.phase = TCP_CC_OPEN;
    h.cc.ops->on_ack(&h.cc, SEG, sim_now());   /* start the epoch */
    sim_advance_to(sim_now() + 20000 * H_MS);   /* W_cubic is now enormous */
    h.unsent = 1u << 30;
    uint32_t before = tcp_cc_cwnd(&h.cc);
    h_round_trip(&h, 100 * H_MS);
    uint32_t after = tcp_cc_cwnd(&h.cc);
    ck_assert_uint_gt(after, before);
    ck_assert_uint_le(after, before + before / 2 + SEG);
}
END_TEST

/* RFC 9438 4.3: with a short RTT the Reno-friendly estimate W_est outgrows W_cubic and sets
 * cwnd; W_est grows by alpha_cubic = 0.53 segments per RTT until it reaches cwnd_prior, then by
 * one segment per RTT. */
START_TEST(reno_friendly_region)
{
    h.srtt_ns = 1 * H_MS;
    loss_at(10);                        /* cwnd 7, W_max = cwnd_prior = 10, K = 1.96 s */
    h.cc.phase = TCP_CC_OPEN;
    h.unsent = 1u << 30;
    for (int i = 0; i < 20; i++)
        h_round_trip(&h, 1 * H_MS);
    /* W_cubic(20 ms) is still ~7 segments. With alpha 0.53 throughout W_est would be about
     * 7 + 0.53 * 20 = 17.6; switching to 1 at 10 segments gives about 24. */
    uint32_t cwnd = tcp_cc_cwnd(&h.cc);
    ck_assert_uint_ge(cwnd, 21 * SEG);
    ck_assert_uint_le(cwnd, 26 * SEG);
    ck_assert_uint_ge(h.cc.alg.cubic.w_est_q10 / 1024, 21 * SEG);
}
END_TEST

/* RFC 9438 4.8: after a timeout, ssthresh follows 4.6, and the first congestion avoidance stage
 * uses K = 0 with W_max = the cwnd it starts from. A repeated timeout without progress does not
 * forget the window that preceded the first. */
START_TEST(after_timeout)
{
    h.cc.cwnd = 50 * SEG;
    h.unsent = 50 * SEG;
    h_output(&h);
    h_rto(&h);
    ck_assert_uint_eq(tcp_cc_ssthresh(&h.cc), 35 * SEG);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), SEG);
    ck_assert_uint_eq(h.cc.alg.cubic.cwnd_prior, 50 * SEG);
    h_rto(&h);
    ck_assert_uint_eq(h.cc.alg.cubic.cwnd_prior, 50 * SEG);
    ck_assert_uint_eq(tcp_cc_ssthresh(&h.cc), 35 * SEG);
    /* Slow start up to ssthresh, then the first CA ACK starts the special epoch. */
    h.cc.cwnd = 35 * SEG;
    h.cc.phase = TCP_CC_OPEN;
    h.cc.ops->on_ack(&h.cc, SEG, sim_now());
    ck_assert_uint_eq(h.cc.alg.cubic.k_ms, 0);
    ck_assert_uint_eq(h.cc.alg.cubic.w_max, 35 * SEG);
    /* W_est started at cwnd_epoch and has had this one ACK's Reno-like growth. */
    ck_assert_uint_ge(h.cc.alg.cubic.w_est_q10 / 1024, 35 * SEG);
    ck_assert_uint_lt(h.cc.alg.cubic.w_est_q10 / 1024, 35 * SEG + SEG / 10);
}
END_TEST

/* RFC 9438 4.10 / RFC 5681 3.1: below ssthresh CUBIC uses standard slow start. */
START_TEST(slow_start_below_ssthresh)
{
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 4 * SEG);
    h_round_trip(&h, 100 * H_MS);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 8 * SEG);
    ck_assert_uint_eq(h.cc.alg.cubic.epoch_start_ns, 0);
}
END_TEST

/* RFC 9438 5.8: time the sender was idle does not count in t: after the RFC 5681 4.1 restart
 * the epoch has moved forward by the idle period. */
START_TEST(idle_shifts_epoch)
{
    loss_at(40);
    h.cc.phase = TCP_CC_OPEN;
    h.unsent = 1u << 30;
    h_round_trip(&h, 100 * H_MS);
    uint64_t epoch = h.cc.alg.cubic.epoch_start_ns;
    ck_assert_uint_ne(epoch, 0);
    h.unsent = 0;
    h_output(&h);
    uint64_t last = h.cc.last_send_ns;
    sim_advance_to(sim_now() + 5000 * H_MS);
    h.unsent = 1u << 30;
    h_output(&h);
    ck_assert_uint_eq(h.cc.counters.idle_restarts, 1);
    ck_assert_uint_eq(h.cc.alg.cubic.epoch_start_ns, epoch + (sim_now() - last));
}
END_TEST

static Suite *tcp_cubic_suite(void)
{
    Suite *s = suite_create("tcp_cubic");
    TCase *tc = tcase_create("rfc9438");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, multiplicative_decrease);
    tcase_add_test(tc, fast_convergence);
    tcase_add_test(tc, k_from_w_max);
    tcase_add_test(tc, concave_then_convex);
    tcase_add_test(tc, target_bounded);
    tcase_add_test(tc, reno_friendly_region);
    tcase_add_test(tc, after_timeout);
    tcase_add_test(tc, slow_start_below_ssthresh);
    tcase_add_test(tc, idle_shifts_epoch);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tcp_cubic_suite)
