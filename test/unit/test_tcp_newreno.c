/*
 * Unit tests for the "newreno" algorithm (net/tcp/tcp_newreno.c): RFC 5681 3.1 slow start, the
 * crossing into congestion avoidance at ssthresh, congestion avoidance by byte counting, and
 * ssthresh after loss (eq. 4). The hooks are called through the ops table as the driver does.
 */
#include <stdlib.h>

#include "test/unit/tcp_cc_harness.h"
#include "xenolith/test_main.h"

#define SMSS 1000u

static struct tcp_cc cc;

static void fresh(uint32_t cwnd, uint32_t ssthresh)
{
    ck_assert_int_eq(tcp_cc_init(&cc, "newreno", 0, SMSS, 0), 0);
    cc.cwnd = cwnd;
    cc.ssthresh = ssthresh;
}

static void ack(uint32_t bytes)
{
    cc.ops->on_ack(&cc, bytes, 0);
}

/* RFC 5681 3.1 eq. 2 with RFC 3465 2.2/2.3 byte counting: in slow start cwnd grows by min(N, L)
 * per ACK, L = 2*SMSS, so a stretch ACK covering three segments earns two SMSS, a small one only
 * its bytes. */
START_TEST(slow_start_growth)
{
    fresh(4000, TCP_CC_SSTHRESH_INFINITE);
    ack(1000);
    ck_assert_uint_eq(cc.cwnd, 5000);
    ack(3000);
    ck_assert_uint_eq(cc.cwnd, 7000);
    ack(300);
    ck_assert_uint_eq(cc.cwnd, 7300);
}
END_TEST

/* RFC 5681 3.1: slow start while cwnd < ssthresh, and it stops at ssthresh; the rest of the ACK
 * counts toward congestion avoidance. */
START_TEST(slow_start_stops_at_ssthresh)
{
    fresh(4000, 4500);
    ack(1000);
    ck_assert_uint_eq(cc.cwnd, 4500);
    ck_assert_uint_eq(cc.ca_acked, 500);
}
END_TEST

/* RFC 5681 3.1 (eq. 3, byte-counting form): in congestion avoidance cwnd grows by one SMSS once
 * a whole cwnd of data has been acknowledged, i.e. about one SMSS per RTT. */
START_TEST(congestion_avoidance_growth)
{
    fresh(4000, 4000);
    for (int i = 0; i < 3; i++) {
        ack(1000);
        ck_assert_uint_eq(cc.cwnd, 4000);
    }
    ack(1000);
    ck_assert_uint_eq(cc.cwnd, 5000);
    /* A whole round trip of ACKs at 5000: exactly one more SMSS. */
    for (int i = 0; i < 5; i++)
        ack(1000);
    ck_assert_uint_eq(cc.cwnd, 6000);
    /* One enormous stretch ACK still earns only one SMSS. */
    ack(100000);
    ck_assert_uint_eq(cc.cwnd, 7000);
}
END_TEST

/* RFC 5681 3.1 eq. 4: ssthresh = max(FlightSize / 2, 2 * SMSS) on loss (fast retransmit and
 * timeout alike); FlightSize, not cwnd, is the base. */
START_TEST(ssthresh_on_loss)
{
    fresh(40000, TCP_CC_SSTHRESH_INFINITE);
    cc.ops->enter_recovery(&cc, 20000, 0);
    ck_assert_uint_eq(cc.ssthresh, 10000);
    ck_assert_uint_eq(cc.cwnd, 10000);
    fresh(40000, TCP_CC_SSTHRESH_INFINITE);
    cc.ops->enter_recovery(&cc, 3000, 0);
    ck_assert_uint_eq(cc.ssthresh, 2 * SMSS);
    fresh(40000, TCP_CC_SSTHRESH_INFINITE);
    cc.ops->on_rto(&cc, 30001, 0);
    ck_assert_uint_eq(cc.ssthresh, 15000);
    cc.ops->on_rto(&cc, 0, 0);
    ck_assert_uint_eq(cc.ssthresh, 2 * SMSS);
}
END_TEST

/* RFC 5681 3.1 through the driver on the simulated clock: the window doubles per round trip in
 * slow start and grows by one SMSS per round trip above ssthresh. */
START_TEST(round_trips)
{
    static struct harness h;
    sim_reset(0);
    h_init(&h, "newreno", 0, false);
    h_round_trip(&h, 100 * H_MS);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 8 * H_SMSS);
    h_round_trip(&h, 100 * H_MS);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 16 * H_SMSS);
    h.cc.ssthresh = 16 * H_SMSS;
    h_round_trip(&h, 100 * H_MS);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 17 * H_SMSS);
    h_round_trip(&h, 100 * H_MS);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 18 * H_SMSS);
}
END_TEST

static Suite *tcp_newreno_suite(void)
{
    Suite *s = suite_create("tcp_newreno");
    TCase *tc = tcase_create("rfc5681");
    tcase_add_test(tc, slow_start_growth);
    tcase_add_test(tc, slow_start_stops_at_ssthresh);
    tcase_add_test(tc, congestion_avoidance_growth);
    tcase_add_test(tc, ssthresh_on_loss);
    tcase_add_test(tc, round_trips);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tcp_newreno_suite)
