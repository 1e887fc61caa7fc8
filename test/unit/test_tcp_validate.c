/*
 * Unit tests for net/tcp_validate: segment acceptability (RFC 9293 3.10.7.4), trimming, PAWS and
 * TS.Recent (RFC 7323 5.3, 4.3), RST and SYN handling with challenge ACKs (RFC 5961 3.2, 4.2),
 * TIME-WAIT reuse (RFC 6191 2), ACK acceptability (RFC 5961 5.2), SACK block sanity (RFC 2018 3)
 * and the challenge ACK rate limit (RFC 5961 7).
 */
#include <check.h>
#include <stdlib.h>

#include "net/tcp/tcp_validate.h"
#include "xenolith/test_main.h"

/* RFC 9293 3.10.7.4, the four cases of the first check. */
START_TEST(acceptability_four_cases)
{
    /* Length 0, window 0: only SEG.SEQ = RCV.NXT. */
    ck_assert(tcp_seq_acceptable(1000, 0, 1000, 0));
    ck_assert(!tcp_seq_acceptable(1001, 0, 1000, 0));
    ck_assert(!tcp_seq_acceptable(999, 0, 1000, 0));
    /* Length 0, window > 0: RCV.NXT =< SEG.SEQ < RCV.NXT + RCV.WND. */
    ck_assert(tcp_seq_acceptable(1000, 0, 1000, 100));
    ck_assert(tcp_seq_acceptable(1099, 0, 1000, 100));
    ck_assert(!tcp_seq_acceptable(1101, 0, 1000, 100));
    ck_assert(!tcp_seq_acceptable(999, 0, 1000, 100));
    /* ... and exactly at the right edge: the ACK of a peer whose data filled the window while a
     * hole holds RCV.NXT back (SEG.SEQ = its SND.NXT = RCV.NXT + RCV.WND). Refusing it loses a
     * cumulative ACK and SACK blocks; the peer can then only wait for its retransmission
     * timer. RFC 9293 3.10.7.4 (allowance for valid ACKs), as Linux's tcp_sequence(). */
    ck_assert(tcp_seq_acceptable(1100, 0, 1000, 100));
    ck_assert(tcp_seq_acceptable(1000u + 0xfffffff0u, 0, 1000, 0xfffffff0u));
    /* Data at the right edge still is not. */
    ck_assert(!tcp_seq_acceptable(1100, 1, 1000, 100));
    /* Length > 0, window 0: never. */
    ck_assert(!tcp_seq_acceptable(1000, 1, 1000, 0));
    ck_assert(!tcp_seq_acceptable(1000, 500, 1000, 0));
    /* Length > 0, window > 0: first or last sequence number in the window. */
    ck_assert(tcp_seq_acceptable(1000, 10, 1000, 100));
    ck_assert(tcp_seq_acceptable(990, 11, 1000, 100));   /* last byte 1000 */
    ck_assert(!tcp_seq_acceptable(990, 10, 1000, 100));  /* last byte 999: all old */
    ck_assert(tcp_seq_acceptable(1099, 50, 1000, 100));  /* first byte at the right edge - 1 */
    ck_assert(!tcp_seq_acceptable(1100, 50, 1000, 100)); /* starts beyond the window */
    /* A segment that covers the whole window from before it: its ends are both outside, so by
     * the letter of the test it is refused (the peer retransmits within the window). */
    ck_assert(!tcp_seq_acceptable(900, 300, 1000, 100));
}
END_TEST

/* The same rules across the 2^32 wrap (RFC 9293 3.4). */
START_TEST(acceptability_wraps)
{
    ck_assert(tcp_seq_acceptable(0xfffffff0u, 0, 0xfffffff0u, 0));
    ck_assert(tcp_seq_acceptable(5, 0, 0xfffffff0u, 100));
    ck_assert(tcp_seq_acceptable(0xffffffe0u, 0x20, 0xfffffff0u, 100)); /* last byte 0xffffffff */
    ck_assert(!tcp_seq_acceptable(0xffffffe0u, 0x10, 0xfffffff0u, 100));
    ck_assert(tcp_seq_acceptable(0xfffffffeu, 10, 0, 100));
    ck_assert(!tcp_seq_acceptable(100, 10, 0xffffffc0u, 100));
}
END_TEST

START_TEST(trimming)
{
    struct tcp_trim t = tcp_seq_trim(990, 20, 1000, 100);
    ck_assert(t.front == 10 && t.back == 0);
    t = tcp_seq_trim(1090, 20, 1000, 100);
    ck_assert(t.front == 0 && t.back == 10);
    t = tcp_seq_trim(990, 200, 1000, 100);
    ck_assert(t.front == 10 && t.back == 90);
    t = tcp_seq_trim(1000, 100, 1000, 100);
    ck_assert(t.front == 0 && t.back == 0);
    /* Everything old: all of it goes from the front, nothing is counted twice. */
    t = tcp_seq_trim(900, 50, 1000, 100);
    ck_assert(t.front == 50 && t.back == 0);
    /* Zero window: everything beyond. */
    t = tcp_seq_trim(1000, 30, 1000, 0);
    ck_assert(t.front == 0 && t.back == 30);
    /* Across the wrap. */
    t = tcp_seq_trim(0xfffffff0u, 0x40, 0xfffffff8u, 0x10);
    ck_assert(t.front == 8 && t.back == 0x28);
}
END_TEST

/* RFC 7323 5.3 R1: a TSval older than TS.Recent marks an old duplicate; RSTs are exempt; after
 * 24 days of idleness TS.Recent is not trusted (5.5). */
START_TEST(paws)
{
    ck_assert(tcp_paws_reject(99, 100, 0, false));
    ck_assert(!tcp_paws_reject(100, 100, 0, false));
    ck_assert(!tcp_paws_reject(101, 100, 0, false));
    ck_assert(!tcp_paws_reject(99, 100, 0, true));
    ck_assert(tcp_paws_reject(99, 100, TCP_PAWS_IDLE_NS, false));
    ck_assert(!tcp_paws_reject(99, 100, TCP_PAWS_IDLE_NS + 1, false));
    /* Modular: a TSval just past the wrap is newer. */
    ck_assert(!tcp_paws_reject(3, 0xfffffff0u, 0, false));
    ck_assert(tcp_paws_reject(0xfffffff0u, 3, 0, false));
}
END_TEST

/* RFC 7323 4.3 (2): TS.Recent follows the segment that starts at or before Last.ACK.sent. */
START_TEST(ts_recent_rule)
{
    ck_assert(tcp_ts_recent_update(1000, 50, 1000, 40));
    ck_assert(tcp_ts_recent_update(900, 50, 1000, 50));
    ck_assert(!tcp_ts_recent_update(1001, 50, 1000, 40)); /* out of order: ahead of the ACK */
    ck_assert(!tcp_ts_recent_update(1000, 39, 1000, 40)); /* older TSval */
}
END_TEST

/* RFC 5961 3.2: RST exactly at RCV.NXT resets, elsewhere in the window draws a challenge ACK,
 * outside is dropped. */
START_TEST(rst_checks)
{
    ck_assert_int_eq(tcp_rst_check(5000, 5000, 1000), TCP_RST_ACCEPT);
    ck_assert_int_eq(tcp_rst_check(5001, 5000, 1000), TCP_RST_CHALLENGE_ACK);
    ck_assert_int_eq(tcp_rst_check(5999, 5000, 1000), TCP_RST_CHALLENGE_ACK);
    ck_assert_int_eq(tcp_rst_check(6000, 5000, 1000), TCP_RST_IGNORE);
    ck_assert_int_eq(tcp_rst_check(4999, 5000, 1000), TCP_RST_IGNORE);
    /* Zero window: only the exact value. */
    ck_assert_int_eq(tcp_rst_check(5000, 5000, 0), TCP_RST_ACCEPT);
    ck_assert_int_eq(tcp_rst_check(5001, 5000, 0), TCP_RST_IGNORE);
    /* Across the wrap. */
    ck_assert_int_eq(tcp_rst_check(0x10, 0xfffffff0u, 0x100), TCP_RST_CHALLENGE_ACK);
    ck_assert_int_eq(tcp_rst_check(0, 0, 0x100), TCP_RST_ACCEPT);
}
END_TEST

/* RFC 9293 3.10.7.3: in SYN-SENT only ISS < SEG.ACK =< SND.NXT is acceptable (a RST without it
 * is dropped); 3.10.7.4 fifth check: in SYN-RECEIVED SND.UNA < SEG.ACK =< SND.NXT. */
START_TEST(handshake_acks)
{
    ck_assert(tcp_syn_sent_ack_acceptable(101, 100, 101));
    ck_assert(!tcp_syn_sent_ack_acceptable(100, 100, 101));
    ck_assert(!tcp_syn_sent_ack_acceptable(102, 100, 101));
    ck_assert(tcp_syn_sent_ack_acceptable(0, 0xffffffffu, 0));
    ck_assert(tcp_syn_received_ack_acceptable(1, 0, 1));
    ck_assert(!tcp_syn_received_ack_acceptable(0, 0, 1));
    ck_assert(!tcp_syn_received_ack_acceptable(2, 0, 1));
}
END_TEST

/* RFC 6191 2: with timestamps on both sides, a SYN reuses a TIME-WAIT 4-tuple when its TSval is
 * newer; otherwise RFC 1122 4.2.2.13: when its sequence number is above RCV.NXT. */
START_TEST(time_wait_reuse)
{
    struct tcp_time_wait_info tw = { .rcv_nxt = 5000, .has_timestamps = true, .ts_recent = 700 };
    ck_assert(tcp_time_wait_reuse_ok(&tw, 1, true, 701));
    ck_assert(!tcp_time_wait_reuse_ok(&tw, 9000, true, 700)); /* seq alone is not enough */
    ck_assert(!tcp_time_wait_reuse_ok(&tw, 9000, true, 600));
    /* The SYN has no timestamps: fall back to sequence numbers. */
    ck_assert(tcp_time_wait_reuse_ok(&tw, 5001, false, 0));
    ck_assert(!tcp_time_wait_reuse_ok(&tw, 5000, false, 0));
    tw.has_timestamps = false;
    ck_assert(tcp_time_wait_reuse_ok(&tw, 5001, true, 0));
    ck_assert(!tcp_time_wait_reuse_ok(&tw, 4000, true, 1000000));
    /* Across the wrap. */
    tw.rcv_nxt = 0xfffffff0u;
    ck_assert(tcp_time_wait_reuse_ok(&tw, 0x10, false, 0));
}
END_TEST

/* RFC 5961 5.2: SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT, with RFC 9293's split of that range. */
START_TEST(ack_acceptability)
{
    uint32_t una = 10000, nxt = 12000, max_wnd = 4000;
    ck_assert_int_eq(tcp_ack_check(12000, una, nxt, max_wnd), TCP_ACK_NEW);
    ck_assert_int_eq(tcp_ack_check(10001, una, nxt, max_wnd), TCP_ACK_NEW);
    ck_assert_int_eq(tcp_ack_check(12001, una, nxt, max_wnd), TCP_ACK_TOO_NEW);
    ck_assert_int_eq(tcp_ack_check(10000, una, nxt, max_wnd), TCP_ACK_DUPLICATE);
    ck_assert_int_eq(tcp_ack_check(9999, una, nxt, max_wnd), TCP_ACK_OLD);
    ck_assert_int_eq(tcp_ack_check(6000, una, nxt, max_wnd), TCP_ACK_OLD);
    ck_assert_int_eq(tcp_ack_check(5999, una, nxt, max_wnd), TCP_ACK_TOO_OLD);
    ck_assert_int_eq(tcp_ack_check(una - 0x7fff0000u, una, nxt, max_wnd), TCP_ACK_TOO_OLD);
    /* Across the wrap. */
    ck_assert_int_eq(tcp_ack_check(0x10, 0xfffffff0u, 0x100, 0x1000), TCP_ACK_NEW);
    ck_assert_int_eq(tcp_ack_check(0xffffff00u, 0x10, 0x100, 0x1000), TCP_ACK_OLD);
    ck_assert_int_eq(tcp_ack_check(0xffff0000u, 0x10, 0x100, 0x1000), TCP_ACK_TOO_OLD);
}
END_TEST

/* RFC 2018 3 / RFC 6675 5: only blocks within [SND.UNA, SND.NXT] with start < end count. */
START_TEST(sack_sanitize)
{
    struct tcp_sack_block b[4] = {
        { 1100, 1200 },  /* fine */
        { 1300, 1250 },  /* reversed */
        { 900, 1000 },   /* wholly acknowledged (D-SACK) */
        { 1900, 2100 },  /* beyond SND.NXT */
    };
    ck_assert_uint_eq(tcp_sack_blocks_sanitize(b, 4, 1000, 2000), 1);
    ck_assert(b[0].start == 1100 && b[0].end == 1200);
    struct tcp_sack_block c[3] = { { 950, 1050 }, { 1500, 1500 }, { 1800, 2000 } };
    ck_assert_uint_eq(tcp_sack_blocks_sanitize(c, 3, 1000, 2000), 2);
    ck_assert(c[0].start == 1000 && c[0].end == 1050); /* cut at SND.UNA */
    ck_assert(c[1].start == 1800 && c[1].end == 2000);
    struct tcp_sack_block w[2] = { { 0xfffffff8u, 0x8 }, { 0x10, 0x20 } };
    ck_assert_uint_eq(tcp_sack_blocks_sanitize(w, 2, 0xfffffff0u, 0x20), 2);
    /* A block spanning half the circle is refused (start < end fails). */
    struct tcp_sack_block h[1] = { { 1000 + 0x80000000u, 1500 } };
    ck_assert_uint_eq(tcp_sack_blocks_sanitize(h, 1, 1000, 2000), 0);
}
END_TEST

/* RFC 5961 7: a stack-wide budget of about `limit` challenge ACKs a second, randomized per second
 * within [limit/2, 3*limit/2), refilled each second. */
START_TEST(challenge_limiter)
{
    struct tcp_challenge_limiter l;
    tcp_challenge_limiter_init(&l, 10);
    unsigned min = 1000, max = 0;
    bool varied = false;
    unsigned first = 0;
    for (unsigned second = 0; second < 200; second++) {
        uint64_t start = 5000000000ull + second * TCP_CHALLENGE_ACK_PERIOD_NS;
        unsigned allowed = 0;
        for (unsigned i = 0; i < 100; i++)
            allowed += tcp_challenge_ack_allow(&l, start + i * 1000000ull);
        if (second == 0)
            first = allowed;
        else if (allowed != first)
            varied = true;
        min = allowed < min ? allowed : min;
        max = allowed > max ? allowed : max;
    }
    ck_assert_uint_ge(min, 5);
    ck_assert_uint_le(max, 14);
    ck_assert(varied);
    /* Within a period the budget does not come back. */
    tcp_challenge_limiter_init(&l, 10);
    unsigned n = 0;
    for (unsigned i = 0; i < 1000; i++)
        n += tcp_challenge_ack_allow(&l, 7ull * TCP_CHALLENGE_ACK_PERIOD_NS + i);
    ck_assert_uint_le(n, 14);
    ck_assert(!tcp_challenge_ack_allow(&l, 8ull * TCP_CHALLENGE_ACK_PERIOD_NS - 1));
    ck_assert(tcp_challenge_ack_allow(&l, 8ull * TCP_CHALLENGE_ACK_PERIOD_NS));
    /* Limit 0: unlimited; limit 1: at least one a second. */
    tcp_challenge_limiter_init(&l, 0);
    for (unsigned i = 0; i < 100; i++)
        ck_assert(tcp_challenge_ack_allow(&l, 0));
    tcp_challenge_limiter_init(&l, 1);
    ck_assert(tcp_challenge_ack_allow(&l, 0));
    ck_assert(!tcp_challenge_ack_allow(&l, 1));
}
END_TEST

/* RFC 5961 10 (Linux's tcp_invalid_ratelimit): one ACK to invalid segments per interval per
 * connection; interval 0 switches the limit off. */
START_TEST(invalid_ack_limiter)
{
    uint64_t next = 0;
    const uint64_t ms = 1000000ull;
    ck_assert(tcp_invalid_ack_allow(&next, 500 * ms, 1000 * ms));
    ck_assert(!tcp_invalid_ack_allow(&next, 500 * ms, 1000 * ms));
    ck_assert(!tcp_invalid_ack_allow(&next, 500 * ms, 1499 * ms));
    ck_assert(tcp_invalid_ack_allow(&next, 500 * ms, 1500 * ms));
    ck_assert(!tcp_invalid_ack_allow(&next, 500 * ms, 1600 * ms));
    uint64_t off = 0;
    for (int i = 0; i < 10; i++)
        ck_assert(tcp_invalid_ack_allow(&off, 0, 5 * ms));
}
END_TEST

static Suite *tcp_validate_suite(void)
{
    Suite *s = suite_create("tcp_validate");
    TCase *tc = tcase_create("validate");
    tcase_add_test(tc, acceptability_four_cases);
    tcase_add_test(tc, acceptability_wraps);
    tcase_add_test(tc, trimming);
    tcase_add_test(tc, paws);
    tcase_add_test(tc, ts_recent_rule);
    tcase_add_test(tc, rst_checks);
    tcase_add_test(tc, handshake_acks);
    tcase_add_test(tc, time_wait_reuse);
    tcase_add_test(tc, invalid_ack_limiter);
    tcase_add_test(tc, ack_acceptability);
    tcase_add_test(tc, sack_sanitize);
    tcase_add_test(tc, challenge_limiter);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tcp_validate_suite)
