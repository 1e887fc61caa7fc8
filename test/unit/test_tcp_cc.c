/*
 * Unit tests for the congestion-control driver (net/tcp/tcp_cc.c): initial and loss windows, the
 * duplicate-ACK definition, fast retransmit and fast recovery with NewReno's partial and full
 * ACKs, limited transmit, the timeout loss phase, restart after idle, SACK-based recovery, and
 * algorithm selection. A network-less sender (tcp_cc_harness.h) runs the output loop the way
 * net/tcp/tcp_cc.h prescribes; time is the simulated clock. "newreno" is used where the exact window
 * arithmetic is checked, so the numbers are the RFCs' own.
 */
#include <stdlib.h>

#include "lib/errno.h"
#include "test/unit/tcp_cc_harness.h"
#include "xenolith/test_main.h"

#define ISS 0x1000u

static struct harness h;

static void setup(void)
{
    sim_reset(1000 * H_MS);
}

/* A sender with `segs` full segments outstanding and cwnd = segs * SMSS. */
static void flight_of(const char *alg, uint32_t iss, uint32_t segs, bool sack)
{
    h_init(&h, alg, iss, sack);
    h.cc.cwnd = segs * H_SMSS;
    ck_assert_uint_eq(h_output(&h), segs);
    ck_assert_uint_eq(h.nxt - h.una, segs * H_SMSS);
}

/* RFC 5681 3.1: IW is 2, 3 or 4 segments by SMSS, ssthresh starts arbitrarily high. */
START_TEST(initial_window)
{
    ck_assert_uint_eq(tcp_cc_initial_window(536), 4 * 536);
    ck_assert_uint_eq(tcp_cc_initial_window(1095), 4 * 1095);
    ck_assert_uint_eq(tcp_cc_initial_window(1460), 3 * 1460);
    ck_assert_uint_eq(tcp_cc_initial_window(2190), 3 * 2190);
    ck_assert_uint_eq(tcp_cc_initial_window(8960), 2 * 8960);
    h_init(&h, "newreno", ISS, false);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 4 * H_SMSS);
    ck_assert_uint_eq(tcp_cc_ssthresh(&h.cc), TCP_CC_SSTHRESH_INFINITE);
    ck_assert_uint_eq(h_output(&h), 4);   /* the initial window and no more */
}
END_TEST

/* RFC 5681 3.1: after a lost SYN or SYN-ACK the initial window is one segment. */
START_TEST(loss_window_after_syn_loss)
{
    struct tcp_cc cc;
    tcp_cc_init(&cc, NULL, ISS, 1460, 0);
    tcp_cc_handshake_done(&cc, 1460, true, 0);
    ck_assert_uint_eq(tcp_cc_cwnd(&cc), 1460);
}
END_TEST

/* RFC 5681 2: a duplicate ACK needs all five conditions; each one alone disqualifies. */
START_TEST(duplicate_ack_definition)
{
    ck_assert(tcp_cc_is_duplicate_ack(100, 100, 900, 0, false, 5000, 5000));
    ck_assert(!tcp_cc_is_duplicate_ack(100, 100, 100, 0, false, 5000, 5000)); /* (a) */
    ck_assert(!tcp_cc_is_duplicate_ack(100, 100, 900, 10, false, 5000, 5000)); /* (b) */
    ck_assert(!tcp_cc_is_duplicate_ack(100, 100, 900, 0, true, 5000, 5000));  /* (c) */
    ck_assert(!tcp_cc_is_duplicate_ack(200, 100, 900, 0, false, 5000, 5000)); /* (d) */
    ck_assert(!tcp_cc_is_duplicate_ack(100, 100, 900, 0, false, 6000, 5000)); /* (e) */
    ck_assert(tcp_cc_is_duplicate_ack(0x10, 0x10, 0xfffffff0u + 0x40, 0, false, 1, 1)); /* wrap */
}
END_TEST

/* RFC 3042 2: one new segment per first and second duplicate ACK, if the peer's window allows
 * and outstanding data stays within cwnd + 2 * SMSS. */
START_TEST(limited_transmit_rule)
{
    ck_assert(tcp_cc_limited_transmit_ok(1, 10000, 10000, 1000, 1000, 5000, 5000));
    ck_assert(tcp_cc_limited_transmit_ok(2, 11000, 10000, 1000, 1000, 5000, 5000));
    ck_assert(!tcp_cc_limited_transmit_ok(1, 11000, 10000, 1000, 1000, 5000, 5000)); /* 1 per dup */
    ck_assert(!tcp_cc_limited_transmit_ok(2, 11500, 10000, 1000, 1000, 5000, 5000)); /* > cwnd+2 */
    ck_assert(!tcp_cc_limited_transmit_ok(0, 10000, 10000, 1000, 1000, 5000, 5000));
    ck_assert(!tcp_cc_limited_transmit_ok(3, 10000, 10000, 1000, 1000, 5000, 5000));
    ck_assert(!tcp_cc_limited_transmit_ok(1, 10000, 10000, 1000, 1000, 500, 5000)); /* rwnd */
    ck_assert(!tcp_cc_limited_transmit_ok(1, 10000, 10000, 1000, 1000, 5000, 0));   /* no data */
}
END_TEST

/* RFC 3042 through the driver: the first two duplicates each release one new segment, cwnd is
 * not changed, and the third starts fast retransmit (RFC 5681 3.2). */
START_TEST(limited_transmit_sends)
{
    flight_of("newreno", ISS, 10, false);
    uint32_t una = h.una;
    ck_assert(h_ack(&h, una) & TCP_CC_EV_DUPACK);
    ck_assert_uint_eq(h_output(&h), 1);
    ck_assert_uint_eq(h.tx[0].kind, TCP_CC_TX_LIMITED);
    ck_assert(!h.tx[0].retransmission);
    h_ack(&h, una);
    ck_assert_uint_eq(h_output(&h), 1);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 10 * H_SMSS);
    ck_assert_uint_eq(h.cc.counters.limited_transmits, 2);
    ck_assert(h_ack(&h, una) & TCP_CC_EV_ENTERED_RECOVERY);
}
END_TEST

/* RFC 5681 3.2 steps 2-4: on the third duplicate ACK, ssthresh = max(FlightSize / 2, 2 * SMSS),
 * the first unacknowledged segment is resent at once, cwnd = ssthresh + 3 * SMSS and grows by
 * one SMSS per further duplicate, releasing new data (step 5). */
START_TEST(fast_retransmit)
{
    flight_of("newreno", ISS, 10, false);
    h.unsent = 0;                          /* nothing new: limited transmit stays quiet */
    uint32_t una = h.una;
    h_ack(&h, una);
    h_ack(&h, una);
    ck_assert_uint_eq(h_output(&h), 0);
    ck_assert(h_ack(&h, una) & TCP_CC_EV_ENTERED_RECOVERY);
    ck_assert_uint_eq(tcp_cc_ssthresh(&h.cc), 5 * H_SMSS);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 8 * H_SMSS);
    ck_assert_uint_eq(h_output(&h), 1);
    ck_assert_uint_eq(h.tx[0].kind, TCP_CC_TX_HEAD);
    ck_assert_uint_eq(h.tx[0].seq, una);
    ck_assert_uint_eq(h.tx[0].len, H_SMSS);
    ck_assert(h.tx[0].retransmission);
    ck_assert_uint_eq(h_output(&h), 0);    /* resent once, not again */
    h.unsent = 1u << 20;
    for (int i = 0; i < 2; i++)
        h_ack(&h, una);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 10 * H_SMSS);
    ck_assert_uint_eq(h_output(&h), 0);    /* flight 10 segments = cwnd */
    h_ack(&h, una);
    ck_assert_uint_eq(h_output(&h), 1);    /* the inflated window lets one new segment go */
    ck_assert_uint_eq(h.tx[0].kind, TCP_CC_TX_NEW);
    ck_assert_uint_eq(h.cc.counters.fast_retransmits, 1);
}
END_TEST

/* RFC 6582 3.2 step 4: a partial ACK resends the first unacknowledged segment, deflates cwnd by
 * the amount acknowledged and adds back one SMSS; recovery continues. Step 3: the full ACK sets
 * cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS) and ends recovery. */
START_TEST(newreno_partial_and_full_ack)
{
    flight_of("newreno", ISS, 10, false);
    h.unsent = 0;
    uint32_t una = h.una, recover = h.nxt;
    for (int i = 0; i < 3; i++)
        h_ack(&h, una);
    h_output(&h);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 8 * H_SMSS);
    unsigned ev = h_ack(&h, una + 3 * H_SMSS);         /* partial: segment 4 was lost too */
    ck_assert(ev & TCP_CC_EV_PARTIAL_ACK);
    ck_assert(tcp_cc_in_recovery(&h.cc));
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 8 * H_SMSS - 3 * H_SMSS + H_SMSS);
    ck_assert_uint_eq(h_output(&h), 1);
    ck_assert_uint_eq(h.tx[0].seq, una + 3 * H_SMSS);
    ck_assert(h.tx[0].retransmission);
    ck_assert_uint_eq(h.cc.counters.partial_acks, 1);
    /* A partial ACK of less than one SMSS deflates without adding back. */
    h_ack(&h, una + 3 * H_SMSS + 500);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 6 * H_SMSS - 500);
    h_output(&h);
    /* Full ACK with two segments' worth still outstanding beyond recover. */
    h.unsent = 2 * H_SMSS;
    h.cc.cwnd = 20 * H_SMSS;
    h_output(&h);
    ck_assert_uint_eq(h.nxt, recover + 2 * H_SMSS);
    ev = h_ack(&h, recover);
    ck_assert(ev & TCP_CC_EV_EXITED_RECOVERY);
    ck_assert(!tcp_cc_in_recovery(&h.cc));
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 3 * H_SMSS);  /* min(5000, 2000 + 1000) */
}
END_TEST

/* RFC 6582 3.2 step 1 / 6: after a timeout, duplicate ACKs below `recover` do not start fast
 * retransmit (they belong to the window the timeout already reduced). */
START_TEST(no_fast_retransmit_below_recover)
{
    flight_of("newreno", ISS, 10, false);
    uint32_t una = h.una;
    h_rto(&h);
    h_output(&h);
    for (int i = 0; i < 5; i++)
        ck_assert(!(h_ack(&h, una) & TCP_CC_EV_ENTERED_RECOVERY));
    ck_assert_uint_eq(h.cc.counters.fast_retransmits, 0);
    ck_assert_uint_eq(tcp_cc_ssthresh(&h.cc), 5 * H_SMSS);
}
END_TEST

/* RFC 5681 3.1 eq. 4 and the loss window; RFC 6298 5.4 resend the earliest segment; the loss
 * phase then repairs the rest go-back-N in slow start, and ends when `recover` is acked. */
START_TEST(timeout_loss_phase)
{
    flight_of("newreno", ISS, 10, false);
    uint32_t una = h.una, recover = h.nxt;
    h_rto(&h);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), H_SMSS);
    ck_assert_uint_eq(tcp_cc_ssthresh(&h.cc), 5 * H_SMSS);
    ck_assert_uint_eq(h_output(&h), 1);
    ck_assert_uint_eq(h.tx[0].seq, una);
    ck_assert(h.tx[0].retransmission);
    h_ack(&h, una + H_SMSS);                         /* slow start: cwnd 2 */
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 2 * H_SMSS);
    ck_assert_uint_eq(h_output(&h), 2);
    ck_assert_uint_eq(h.tx[0].seq, una + H_SMSS);
    ck_assert_uint_eq(h.tx[1].seq, una + 2 * H_SMSS);
    ck_assert_uint_eq(h.tx[1].kind, TCP_CC_TX_LOSS);
    /* A timeout after progress recomputes ssthresh from the current FlightSize (9 segments);
     * a repeated timeout without progress keeps it. */
    h_rto(&h);
    ck_assert_uint_eq(tcp_cc_ssthresh(&h.cc), 4500);
    h_rto(&h);
    ck_assert_uint_eq(tcp_cc_ssthresh(&h.cc), 4500);
    ck_assert_uint_eq(h.cc.counters.rto_events, 3);
    /* The receiver had everything but the first segments: one ACK covers recover. */
    h_output(&h);
    unsigned ev = h_ack(&h, recover);
    ck_assert(ev & TCP_CC_EV_LOSS_DONE);
    ck_assert(!tcp_cc_in_recovery(&h.cc));
    ck_assert_uint_gt(h_output(&h), 0);
    ck_assert(!h.tx[0].retransmission);
    ck_assert_uint_eq(h.tx[0].seq, recover);
}
END_TEST

/* RFC 3465 2.2 (appropriate byte counting in slow start): cwnd grows by the bytes an ACK newly
 * acknowledges, up to L per ACK, so one stretch ACK for several segments (delayed ACKs, a TSO frame
 * acknowledged once) counts for more than one SMSS; RFC 3465 2.3: L = 2*SMSS, and 1*SMSS in the
 * slow start after a retransmission timeout. Both algorithms share the rule. */
START_TEST(slow_start_byte_counting)
{
    static const char *const algs[] = { "newreno", "cubic" };
    for (unsigned i = 0; i < 2; i++) {
        h_init(&h, algs[i], ISS, false);
        ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 4 * H_SMSS);
        ck_assert_uint_eq(h_output(&h), 4);
        h_ack(&h, h.una + 2 * H_SMSS);                  /* two segments: 2 * SMSS */
        ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 6 * H_SMSS);
        h_ack(&h, h.una + H_SMSS / 2);                  /* less than one: what it acknowledges */
        ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 6 * H_SMSS + H_SMSS / 2);
        h_ack(&h, h.una + 3 * H_SMSS / 2);              /* 1.5 segments */
        ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 8 * H_SMSS);
        /* A stretch ACK for a whole 8-segment flight: capped at L = 2 * SMSS. */
        ck_assert_uint_eq(h_output(&h), 8);
        h_ack(&h, h.nxt);
        ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 10 * H_SMSS);
        /* After a timeout, L = 1 * SMSS: an ACK covering the retransmission and a segment the
         * receiver held grows the loss window by one SMSS only. */
        ck_assert_uint_eq(h_output(&h), 10);
        h_rto(&h);
        ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), H_SMSS);
        ck_assert_uint_eq(h_output(&h), 1);
        h_ack(&h, h.una + 2 * H_SMSS);
        ck_assert(tcp_cc_in_recovery(&h.cc));
        ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 2 * H_SMSS);
    }
}
END_TEST

/* RFC 5681 4.1: after idling longer than the RTO, cwnd restarts from min(IW, cwnd). */
START_TEST(restart_after_idle)
{
    flight_of("newreno", ISS, 20, false);
    h_ack(&h, h.nxt);
    h.unsent = 0;
    h_output(&h);
    uint32_t cwnd = tcp_cc_cwnd(&h.cc);
    ck_assert_uint_gt(cwnd, 4 * H_SMSS);
    sim_advance_to(sim_now() + 500 * H_MS);       /* shorter than the RTO: no change */
    h.unsent = 1u << 20;
    h.una = h.nxt;
    h.cc.cwnd = cwnd;
    struct tcp_cc_tx tx;
    struct tcp_cc_tx_ctx ctx = {.now_ns = sim_now(), .snd_una = h.una, .snd_nxt = h.nxt,
                                .unsent = 0, .rwnd_room = 1u << 20, .rto_ns = h.rto_ns};
    tcp_cc_next_tx(&h.cc, &ctx, &tx);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), cwnd);
    sim_advance_to(sim_now() + 2000 * H_MS);
    ck_assert_uint_eq(h_output(&h), 4);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 4 * H_SMSS);
    ck_assert_uint_eq(h.cc.counters.idle_restarts, 1);
}
END_TEST

/* RFC 6675 5 step (2): with SACK, loss is declared as soon as IsLost(HighACK + 1) holds, even
 * before three duplicate ACKs; (4.2) ssthresh from the algorithm, cwnd = ssthresh without
 * inflation; (4.3) the first lost segment goes first; (C) then NextSeg while cwnd - pipe >= SMSS. */
START_TEST(sack_recovery)
{
    flight_of("newreno", ISS, 10, true);
    h.unsent = 0;
    uint32_t una = h.una;
    /* Segment 0 lost; segments 1..3 arrive in one ACK (three SACKed segments). */
    struct tcp_sack_block b = {una + H_SMSS, una + 4 * H_SMSS};
    unsigned ev = h_ack_sack(&h, una, &b, 1);
    ck_assert(ev & TCP_CC_EV_ENTERED_RECOVERY);
    ck_assert_uint_eq(tcp_cc_ssthresh(&h.cc), 5 * H_SMSS);
    ck_assert_uint_eq(tcp_cc_cwnd(&h.cc), 5 * H_SMSS);
    ck_assert_uint_eq(h_output(&h), 1);
    ck_assert_uint_eq(h.tx[0].seq, una);
    ck_assert_uint_eq(h.tx[0].kind, TCP_CC_TX_HEAD);
    /* pipe: segments 4..9 (6) + the retransmission = 7 > cwnd 5: nothing more. */
    ck_assert_uint_eq(tcp_scoreboard_pipe(&h.sb), 7 * H_SMSS);
    /* Segments 4..7 arrive: pipe 3 -> NextSeg sends two new segments (rule 2). */
    h.unsent = 10 * H_SMSS;
    b.end = una + 8 * H_SMSS;
    ck_assert(h_ack_sack(&h, una, &b, 1) & TCP_CC_EV_DUPACK);
    ck_assert_uint_eq(h_output(&h), 2);
    ck_assert_uint_eq(h.tx[0].kind, TCP_CC_TX_SACK);
    ck_assert_uint_eq(h.tx[0].next.rule, TCP_NEXT_SEG_NEW);
    ck_assert(!h.tx[0].retransmission);
    /* The full ACK (RecoveryPoint = 10 segments) ends recovery. */
    ev = h_ack_sack(&h, una + 10 * H_SMSS, NULL, 0);
    ck_assert(ev & TCP_CC_EV_EXITED_RECOVERY);
}
END_TEST

/* RFC 6675 5.1: a timeout during SACK recovery discards the scoreboard, and no new recovery
 * starts until HighACK reaches the new RecoveryPoint; SACKs that arrive afterwards spare the
 * data they name from the go-back-N repair. */
START_TEST(sack_timeout)
{
    flight_of("newreno", ISS, 10, true);
    uint32_t una = h.una, recover = h.nxt;
    struct tcp_sack_block b = {una + H_SMSS, una + 4 * H_SMSS};
    h_ack_sack(&h, una, &b, 1);
    h_output(&h);
    h_rto(&h);
    ck_assert_uint_eq(h.sb.count, 0);
    ck_assert_uint_eq(h.cc.recover, h.nxt);   /* RecoveryPoint = HighData */
    (void)recover;
    ck_assert_uint_eq(h_output(&h), 1);           /* the head, in the loss window */
    ck_assert_uint_eq(h.tx[0].seq, una);
    h.cc.cwnd = 3 * H_SMSS;
    b = (struct tcp_sack_block){una + H_SMSS, una + 3 * H_SMSS};
    struct tcp_sack_block b2 = {una + 4 * H_SMSS, una + 6 * H_SMSS};
    struct tcp_sack_block blocks[2] = {b, b2};
    ck_assert(!(h_ack_sack(&h, una, blocks, 2) & TCP_CC_EV_ENTERED_RECOVERY));
    ck_assert_uint_eq(h_output(&h), 2);
    ck_assert_uint_eq(h.tx[0].seq, una + 3 * H_SMSS);  /* SACKed segments 1, 2 skipped */
    ck_assert_uint_eq(h.tx[1].seq, una + 6 * H_SMSS);  /* and 4, 5 */
    ck_assert_uint_eq(h.tx[1].kind, TCP_CC_TX_LOSS);
}
END_TEST

/* Recovery works across the 2^32 wrap of sequence numbers. */
START_TEST(recovery_across_wrap)
{
    flight_of("newreno", 0xfffffc00u, 10, false);
    h.unsent = 0;
    uint32_t una = h.una;
    for (int i = 0; i < 3; i++)
        h_ack(&h, una);
    ck_assert(tcp_cc_in_recovery(&h.cc));
    ck_assert_uint_eq(h_output(&h), 1);
    ck_assert_uint_eq(h.tx[0].seq, 0xfffffc00u);
    ck_assert(h_ack(&h, una + 2 * H_SMSS) & TCP_CC_EV_PARTIAL_ACK);
    ck_assert(h_ack(&h, una + 10 * H_SMSS) & TCP_CC_EV_EXITED_RECOVERY);
    ck_assert_uint_eq(h.una, 0xfffffc00u + 10 * H_SMSS);
}
END_TEST

/* Algorithms by name; CUBIC is the default; switching keeps cwnd and ssthresh. */
START_TEST(algorithm_selection)
{
    struct tcp_cc cc;
    ck_assert_int_eq(tcp_cc_init(&cc, NULL, ISS, 1460, 0), 0);
    ck_assert_str_eq(tcp_cc_name(&cc), "cubic");
    ck_assert_int_eq(tcp_cc_init(&cc, "vegas", ISS, 1460, 0), -EINVAL);
    ck_assert_str_eq(tcp_cc_name(&cc), "cubic");
    ck_assert_ptr_eq(tcp_cc_find("newreno"), &tcp_cc_newreno);
    ck_assert_ptr_null(tcp_cc_find("NEWRENO"));
    ck_assert_ptr_null(tcp_cc_find(NULL));
    cc.cwnd = 12345;
    cc.ssthresh = 6789;
    ck_assert_int_eq(tcp_cc_set_algorithm(&cc, "newreno", 0), 0);
    ck_assert_str_eq(tcp_cc_name(&cc), "newreno");
    ck_assert_uint_eq(cc.cwnd, 12345);
    ck_assert_uint_eq(cc.ssthresh, 6789);
    ck_assert_int_eq(tcp_cc_set_algorithm(&cc, "", 0), -EINVAL);
    ck_assert_str_eq(tcp_cc_name(&cc), "newreno");
}
END_TEST

/* The peer's window bounds new data (RFC 9293 3.8.6.2.1), and a closed window sends nothing. */
START_TEST(receive_window_bounds)
{
    h_init(&h, "newreno", ISS, false);
    h.cc.cwnd = 20 * H_SMSS;
    h.rwnd = 2500;
    ck_assert_uint_eq(h_output(&h), 3);
    ck_assert_uint_eq(h.tx[2].len, 500);
    ck_assert_uint_eq(h_output(&h), 0);
}
END_TEST

static Suite *tcp_cc_suite(void)
{
    Suite *s = suite_create("tcp_cc");
    TCase *tc = tcase_create("driver");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, initial_window);
    tcase_add_test(tc, loss_window_after_syn_loss);
    tcase_add_test(tc, duplicate_ack_definition);
    tcase_add_test(tc, limited_transmit_rule);
    tcase_add_test(tc, limited_transmit_sends);
    tcase_add_test(tc, fast_retransmit);
    tcase_add_test(tc, newreno_partial_and_full_ack);
    tcase_add_test(tc, no_fast_retransmit_below_recover);
    tcase_add_test(tc, timeout_loss_phase);
    tcase_add_test(tc, restart_after_idle);
    tcase_add_test(tc, sack_recovery);
    tcase_add_test(tc, sack_timeout);
    tcase_add_test(tc, recovery_across_wrap);
    tcase_add_test(tc, algorithm_selection);
    tcase_add_test(tc, receive_window_bounds);
    tcase_add_test(tc, slow_start_byte_counting);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tcp_cc_suite)
