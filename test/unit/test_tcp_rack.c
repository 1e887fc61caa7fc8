/*
 * RACK-TLP (RFC 8985): the time-based loss detection module (net/tcp/tcp_rack.c) driven directly,
 * then the connection's use of it on the pair: a lost retransmission and a lost tail repaired
 * without the retransmission timer.
 */
#include "test/unit/tcp_fixture.h"
#include "net/tcp/tcp_internal.h"
#include "net/tcp/tcp_rack.h"
#include "xenolith/test_main.h"

#define PORT 5011

static struct tcp_rack rack;
static struct tcp_scoreboard board;

static void fresh(void)
{
    net_ip_fixture_boot();                  /* the heap the records live on */
    memset(&rack, 0, sizeof(rack));
    tcp_rack_init(&rack);
    tcp_scoreboard_init(&board, 0, 100);
}

/* The peer's ACK: cumulative ack plus SACK blocks, through the scoreboard as tcp_cc does. */
static void ack(uint32_t cum, uint32_t sack_start, uint32_t sack_end, uint32_t high, uint64_t now)
{
    struct tcp_sack_block b = { sack_start, sack_end };
    struct tcp_sack_update upd;
    unsigned n = sack_end ? 1 : 0;
    tcp_scoreboard_update(&board, cum, high, n ? &b : NULL, n, &upd);
    tcp_rack_on_ack(&rack, cum, n ? &b : NULL, n, &board, now);
}

/* RFC 8985 6.2 step 5 and 2: a segment sent before one that was delivered is lost once RACK.rtt
 * plus the reordering window passed, and this holds for a retransmission too (a lost
 * retransmission, which duplicate-ACK counting cannot see). */
START_TEST(lost_retransmission_detected)
{
    fresh();
    tcp_rack_on_send(&rack, 0, 100, false, 0);
    tcp_rack_on_send(&rack, 100, 200, false, 0);
    ack(0, 100, 200, 200, 1 * MS);                       /* [0,100) missing */
    unsigned lost;
    tcp_rack_detect(&rack, 0, 1 * MS, &lost);
    ck_assert_uint_eq(lost, 1);
    uint32_t seq, len;
    ck_assert(tcp_rack_next_lost(&rack, &seq, &len));
    ck_assert_uint_eq(seq, 0);
    ck_assert_uint_eq(len, 100);
    tcp_rack_on_send(&rack, 0, 100, true, 2 * MS);        /* resent: no longer marked */
    ck_assert(!tcp_rack_next_lost(&rack, &seq, &len));
    tcp_rack_on_send(&rack, 200, 300, false, 3 * MS);    /* new data after the retransmission */
    ack(0, 100, 300, 300, 4 * MS);                       /* delivered; the retransmission not */
    tcp_rack_detect(&rack, 0, 4 * MS, &lost);
    ck_assert_uint_eq(lost, 1);
    ck_assert_uint_eq(rack.lost_retransmissions, 1);
    ck_assert(tcp_rack_next_lost(&rack, &seq, &len));
    ck_assert_uint_eq(seq, 0);
}
END_TEST

/* RFC 8985 6.2 steps 3-5: a segment delivered below the highest delivered one without a
 * retransmission shows reordering; from then on a missing segment gets min_RTT / 4 before it is
 * declared lost, and detect says how long to wait (the reordering timer). */
START_TEST(reordering_window)
{
    fresh();
    tcp_rack_on_send(&rack, 0, 100, false, 0);
    tcp_rack_on_send(&rack, 100, 200, false, 0);
    ack(0, 100, 200, 200, 4 * MS);
    ack(200, 0, 0, 200, 4 * MS);                         /* [0,100) arrived late: reordered */
    ck_assert(rack.reordering_seen);
    ck_assert_uint_eq(rack.min_rtt_ns, 4 * MS);
    ck_assert_uint_eq(tcp_rack_reo_wnd(&rack, true, 4 * MS, 5), 1 * MS);
    /* Without reordering seen, no window during recovery or after DupThresh SACKed segments. */
    struct tcp_rack clean = { .min_rtt_ns = 4 * MS, .reo_wnd_mult = 1 };
    ck_assert_uint_eq(tcp_rack_reo_wnd(&clean, true, 4 * MS, 0), 0);
    ck_assert_uint_eq(tcp_rack_reo_wnd(&clean, false, 4 * MS, 3), 0);
    ck_assert_uint_eq(tcp_rack_reo_wnd(&clean, false, 4 * MS, 1), 1 * MS);
    /* Never more than SRTT. */
    ck_assert_uint_eq(tcp_rack_reo_wnd(&rack, true, MS / 2, 5), MS / 2);

    tcp_rack_on_send(&rack, 200, 300, false, 10 * MS);
    tcp_rack_on_send(&rack, 300, 400, false, 10 * MS);
    ack(200, 300, 400, 400, 14 * MS);
    unsigned lost;
    uint64_t wait = tcp_rack_detect(&rack, 1 * MS, 14 * MS, &lost);
    ck_assert_uint_eq(lost, 0);                          /* within the window: not yet */
    ck_assert_uint_eq(wait, 1 * MS);
    wait = tcp_rack_detect(&rack, 1 * MS, 15 * MS, &lost);
    ck_assert_uint_eq(lost, 1);
    ck_assert_uint_eq(wait, 0);
}
END_TEST

/* RFC 8985 6.2 steps 2 and 4: a retransmitted segment acknowledged sooner than the minimum RTT
 * was delivered by its original: no RTT sample from it, and the reordering window grows (what a
 * D-SACK would have said); it shrinks back after 16 recoveries. */
START_TEST(spurious_retransmission_widens_window)
{
    fresh();
    tcp_rack_on_send(&rack, 0, 100, false, 0);
    tcp_rack_on_send(&rack, 100, 200, false, 0);
    ack(100, 0, 0, 200, 4 * MS);                         /* min_rtt 4 ms */
    tcp_rack_on_send(&rack, 100, 200, true, 5 * MS);
    ack(200, 0, 0, 200, 6 * MS);                         /* 1 ms after the resend: the original */
    ck_assert_uint_eq(rack.spurious, 1);
    ck_assert(rack.reordering_seen);
    ck_assert_uint_eq(rack.reo_wnd_mult, 2);
    ck_assert_uint_eq(rack.rtt_ns, 4 * MS);              /* no sample from the ambiguous ACK */
    ck_assert_uint_eq(tcp_rack_reo_wnd(&rack, true, 10 * MS, 0), 2 * MS);
    for (int i = 0; i < 16; i++)
        tcp_rack_on_recovery(&rack);
    ck_assert_uint_eq(rack.reo_wnd_mult, 1);
}
END_TEST

/* Records follow retransmissions of part of a segment (the MSS may shrink) and are forgotten
 * once cumulatively acknowledged; what RACK marks lost is not counted in pipe. */
START_TEST(records_split_and_pipe)
{
    fresh();
    tcp_rack_on_send(&rack, 0, 300, false, 0);
    tcp_rack_on_send(&rack, 300, 400, false, 0);
    tcp_rack_on_send(&rack, 100, 200, true, 2 * MS);
    ck_assert_uint_eq(rack.count, 4);
    ck_assert_uint_eq(rack.segs[1].start, 100);
    ck_assert_uint_eq(rack.segs[1].end, 200);
    ck_assert(rack.segs[1].flags & TCP_RACK_RETRANS);
    ck_assert(!(rack.segs[0].flags & TCP_RACK_RETRANS));
    ack(0, 300, 400, 400, 3 * MS);
    unsigned lost;
    tcp_rack_detect(&rack, 0, 3 * MS, &lost);
    ck_assert_uint_eq(lost, 2);                          /* [0,100) and [200,300), sent at 0 */
    ck_assert_uint_eq(rack.lost_bytes, 200);
    ck_assert_uint_eq(tcp_rack_lost_in_pipe(&rack, &board),
                      tcp_scoreboard_pipe_range(&board, 0, 100) +
                      tcp_scoreboard_pipe_range(&board, 200, 300));
    ack(400, 0, 0, 400, 4 * MS);
    ck_assert_uint_eq(rack.count, 0);
    ck_assert_uint_eq(rack.lost_bytes, 0);
    tcp_rack_destroy(&rack);
}
END_TEST

/* ---- on the pair ---- */

struct drop_seq {
    uint32_t seq;
    bool armed;
    unsigned times;                 /* drop this many transmissions of seq */
};

static enum tf_verdict drop_data_at(const struct tf_seg *seg, void *ctx)
{
    struct drop_seq *d = ctx;
    if (!seg->tx || !seg->len || !d->armed || seg->h.seq != d->seq || !d->times)
        return TF_PASS;
    d->times--;
    return TF_DROP;
}

static enum tf_verdict drop_two(const struct tf_seg *seg, void *ctx)
{
    struct drop_seq **d = ctx;
    return drop_data_at(seg, d[0]) == TF_DROP ? TF_DROP : drop_data_at(seg, d[1]);
}

static uint64_t readable_after(struct tf_conns *p, size_t want, uint64_t limit)
{
    uint64_t t0 = sim_now();
    while (tcp_readable(p->server) < want && sim_now() - t0 < limit)
        run_for(MS);
    return sim_now() - t0;
}

/* RFC 8985 6.2: a segment lost, then its retransmission lost too, is repaired once data sent
 * after the retransmission is SACKed: no retransmission timeout. */
START_TEST(lost_retransmission_repaired_without_rto)
{
    tcp_fixture_up(NULL, 5 * MS, 0);
    struct tf_conns p;
    tf_open(&p, PORT);
    static uint8_t data[150 * 1448];
    fill_pattern(data, sizeof(data), 0);
    struct tcp_conn_info info;
    tcp_get_info(p.client, &info);
    struct drop_seq d = { .seq = p.client->snd_nxt + 20 * 1448, .armed = true, .times = 2 };
    tf_tap_set_filter(drop_data_at, &d);
    ck_assert_int_eq(tcp_write(p.client, data, sizeof(data), 0), (long)sizeof(data));
    uint64_t took = readable_after(&p, sizeof(data), 5 * SEC);
    ck_assert_uint_eq(tcp_readable(p.server), sizeof(data));
    ck_assert_uint_eq(d.times, 0);
    ck_assert_uint_lt(took, 200 * MS);                   /* well below one (minimum) RTO */
    tcp_get_info(p.client, &info);
    ck_assert_uint_eq(info.rto_timeouts, 0);
    ck_assert_uint_ge(info.rack_lost_retransmits, 1);
    tf_tap_set_filter(NULL, NULL);
    tf_close_all(&p);
    tcp_fixture_down();
}
END_TEST

/* RFC 8985 7: the last two segments of a burst are lost and no ACK will reveal it; the tail loss
 * probe (at 2 * SRTT, not the RTO) resends the last one, whose SACK lets RACK find the other
 * (7.4: the recovery that follows is the episode's only congestion response). */
START_TEST(tail_loss_probe_repairs_tail)
{
    tcp_fixture_up(NULL, 5 * MS, 0);
    struct tf_conns p;
    tf_open(&p, PORT);
    static uint8_t data[11 * 1448];
    fill_pattern(data, sizeof(data), 0);
    /* A first burst gives SRTT a sample. */
    ck_assert_int_eq(tcp_write(p.client, data, sizeof(data), 0), (long)sizeof(data));
    readable_after(&p, sizeof(data), SEC);
    uint8_t sink[sizeof(data)];
    ck_assert_int_eq(tcp_read(p.server, sink, sizeof(sink), 0), (long)sizeof(sink));
    run_for(100 * MS);
    struct drop_seq d = { .seq = p.client->snd_nxt + 9 * 1448, .armed = true, .times = 1 };
    struct drop_seq d2 = { .seq = p.client->snd_nxt + 10 * 1448, .armed = true, .times = 1 };
    tf_tap_set_filter(drop_two, (struct drop_seq *[]){&d, &d2});
    uint64_t probes = sa->tcp.stats.tx_tail_loss_probes;
    ck_assert_int_eq(tcp_write(p.client, data, sizeof(data), 0), (long)sizeof(data));
    uint64_t took = readable_after(&p, sizeof(data), 5 * SEC);
    ck_assert_uint_eq(tcp_readable(p.server), sizeof(data));
    ck_assert_uint_eq(d.times, 0);
    ck_assert_uint_eq(d2.times, 0);
    ck_assert_uint_lt(took, 100 * MS);
    ck_assert_uint_eq(sa->tcp.stats.tx_tail_loss_probes, probes + 1);
    struct tcp_conn_info info;
    tcp_get_info(p.client, &info);
    ck_assert_uint_eq(info.rto_timeouts, 0);
    ck_assert_uint_eq(info.tail_loss_probes, 1);
    ck_assert_uint_eq(info.fast_retransmits, 1);
    ck_assert_uint_eq(sa->tcp.stats.tlp_repairs, 0);
    tf_tap_set_filter(NULL, NULL);
    tf_close_all(&p);
    tcp_fixture_down();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_rack");
    TCase *tc = tcase_create("rfc8985");
    tcase_add_test(tc, lost_retransmission_detected);
    tcase_add_test(tc, reordering_window);
    tcase_add_test(tc, spurious_retransmission_widens_window);
    tcase_add_test(tc, records_split_and_pipe);
    tcase_add_test(tc, lost_retransmission_repaired_without_rto);
    tcase_add_test(tc, tail_loss_probe_repairs_tail);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
