/*
 * Unit tests for segment acceptance rules that depend on timestamps and on order, driven by
 * segments forged as if from B to A's connection while A's own transmissions are dropped at the
 * tap (so the real peer never sees a desynchronised stream): RFC 7323 3.2 (timestamps required
 * once negotiated), 5 (PAWS), 4.3 (TS.Recent), and RFC 9293 3.10.7.4 (a FIN that arrives before
 * the data in front of it).
 */
#include "test/unit/tcp_forge.h"
#include "xenolith/test_main.h"

#define PORT 5102

static struct tf_conns p;

/* An established pair, then A cut off from B: every segment A sends is recorded and dropped. */
static void open_isolated(void)
{
    tf_open(&p, PORT);
    tf_tap_set_filter(tf_drop_tx, NULL);
    tf_tap_clear();
}

/* The last ACK A sent (acknowledgment number). */
static uint32_t last_ack_sent_by_a(void)
{
    for (unsigned i = tf_tap.count; i-- > 0;)
        if (tf_tap.seg[i].tx && (tf_tap.seg[i].h.flags & TCP_FLAG_ACK))
            return tf_tap.seg[i].h.ack;
    ck_abort_msg("A sent no ACK");
    return 0;
}

/* RFC 7323 5.3 R1 (PAWS): a segment whose TSval is older than TS.Recent is dropped and answered
 * with an ACK; the same segment with a current TSval is accepted. */
START_TEST(paws_rejects_old_tsval)
{
    open_isolated();
    struct tcp_conn *c = p.client;
    ck_assert(c->ts_ok);
    uint32_t rcv_nxt = c->rcv_nxt;
    forge_to(c, rcv_nxt, c->snd_nxt, TCP_FLAG_ACK | TCP_FLAG_PSH, 65535, -1000, "old", 3);
    settle();
    ck_assert_uint_eq(sa->tcp.stats.rx_paws_rejected, 1);
    ck_assert_uint_eq(tcp_readable(c), 0);
    ck_assert_uint_eq(tap_count(true, TCP_FLAG_ACK, false), 1);
    ck_assert_uint_eq(last_ack_sent_by_a(), rcv_nxt);
    forge_to(c, rcv_nxt, c->snd_nxt, TCP_FLAG_ACK | TCP_FLAG_PSH, 65535, 0, "new", 3);
    settle();
    ck_assert_uint_eq(tcp_readable(c), 3);
    ck_assert_uint_eq(sa->tcp.stats.rx_paws_rejected, 1);
    tf_close_all(&p);
}
END_TEST

/* RFC 7323 4.3: TS.Recent takes the TSval of a segment at the left edge of the window, never of
 * one that arrived out of order (which would let a forged far-ahead segment poison PAWS). */
START_TEST(ts_recent_follows_left_edge_only)
{
    open_isolated();
    struct tcp_conn *c = p.client;
    uint32_t recent = c->ts_recent;
    forge_to(c, c->rcv_nxt, c->snd_nxt, TCP_FLAG_ACK, 65535, 50, "abcd", 4);
    settle();
    ck_assert_uint_eq(c->ts_recent, recent + 50);
    run_for(100 * MS);                              /* the delayed ACK goes: Last.ACK.sent moves */
    forge_to(c, c->rcv_nxt + 100, c->snd_nxt, TCP_FLAG_ACK, 65535, 5000, "zz", 2);
    settle();
    ck_assert_uint_eq(sa->tcp.stats.rx_out_of_order, 1);
    ck_assert_uint_eq(c->ts_recent, recent + 50);
    tf_close_all(&p);
}
END_TEST

/* RFC 7323 3.2: once timestamps are negotiated, a non-RST segment without them is dropped (and
 * counted); a RST without them is still processed. */
START_TEST(segment_without_timestamps_dropped)
{
    open_isolated();
    struct tcp_conn *c = p.client;
    forge_to(c, c->rcv_nxt, c->snd_nxt, TCP_FLAG_ACK | TCP_FLAG_PSH, 65535, FORGE_NO_TS, "abc", 3);
    settle();
    ck_assert_uint_eq(sa->tcp.stats.rx_no_timestamp, 1);
    ck_assert_uint_eq(tcp_readable(c), 0);
    ck_assert_uint_eq(c->stats.bytes_received, 0);
    ck_assert_uint_eq(tap_count(true, 0, false), 0);   /* dropped silently: no ACK */
    forge_to(c, c->rcv_nxt, 0, TCP_FLAG_RST, 0, FORGE_NO_TS, NULL, 0);
    settle();
    ck_assert_int_eq(c->state, TCPS_CLOSED);
    ck_assert_int_eq(c->error, -ECONNRESET);
    ck_assert_uint_eq(sa->tcp.stats.rx_no_timestamp, 1);
    tf_close_all(&p);
}
END_TEST

/* RFC 9293 3.10.7.4 eighth step: a FIN beyond RCV.NXT (its data arrived ahead of a gap) is kept
 * with the out-of-order data and takes effect when the gap fills: no retransmission needed. */
START_TEST(out_of_order_fin_remembered)
{
    open_isolated();
    struct tcp_conn *c = p.client;
    uint32_t rcv_nxt = c->rcv_nxt;
    forge_to(c, rcv_nxt + 5, c->snd_nxt, TCP_FLAG_ACK | TCP_FLAG_FIN, 65535, 0, "world", 5);
    settle();
    ck_assert_int_eq(c->state, TCPS_ESTABLISHED);
    ck_assert_uint_eq(sa->tcp.stats.rx_ooo_fin, 1);
    ck_assert_uint_eq(last_ack_sent_by_a(), rcv_nxt);          /* a duplicate ACK for the gap */
    forge_to(c, rcv_nxt, c->snd_nxt, TCP_FLAG_ACK, 65535, 0, "hello", 5);
    settle();
    ck_assert_int_eq(c->state, TCPS_CLOSE_WAIT);
    ck_assert_uint_eq(last_ack_sent_by_a(), rcv_nxt + 11);     /* 10 bytes and the FIN */
    char buf[16];
    ck_assert_int_eq(tcp_read(c, buf, sizeof(buf), 0), 10);
    ck_assert_int_eq(memcmp(buf, "helloworld", 10), 0);
    ck_assert_int_eq(tcp_read(c, buf, sizeof(buf), 0), 0);
    /* Data claimed beyond the FIN is refused. */
    forge_to(c, rcv_nxt + 11, c->snd_nxt, TCP_FLAG_ACK, 65535, 0, "late", 4);
    settle();
    ck_assert_uint_eq(tcp_readable(c), 0);
    tf_close_all(&p);
}
END_TEST

/* Holds B's data segment at the tap so its FIN, sent after it, overtakes it. */
static enum tf_verdict hold_first_data(const struct tf_seg *s, void *ctx)
{
    unsigned *held = ctx;
    if (!s->tx && s->len && *held == 0) {
        (*held)++;
        return TF_HOLD;
    }
    return TF_PASS;
}

/* The same with the real peer and the wire reordering: B writes and shuts down; its FIN reaches A
 * before the data. A reaches CLOSE_WAIT as soon as the data follows, B never retransmits. */
START_TEST(reordered_fin_needs_no_retransmission)
{
    tf_open(&p, PORT);
    unsigned held = 0;
    tf_tap_set_filter(hold_first_data, &held);
    ck_assert_int_eq(tcp_write(p.server, "payload", 7, 0), 7);
    ck_assert_int_eq(tcp_shutdown(p.server, TCP_SHUT_WR), 0);
    run_for(5 * MS);
    ck_assert_uint_eq(held, 1);
    ck_assert_uint_eq(sa->tcp.stats.rx_ooo_fin, 1);
    ck_assert_int_eq(p.client->state, TCPS_ESTABLISHED);
    tf_tap_release();
    run_for(5 * MS);
    ck_assert_int_eq(p.client->state, TCPS_CLOSE_WAIT);
    run_for(3 * SEC);
    ck_assert_uint_eq(sb->tcp.stats.tx_retransmits, 0);
    ck_assert_int_eq(p.server->state, TCPS_FIN_WAIT_2);
    char buf[16];
    ck_assert_int_eq(tcp_read(p.client, buf, sizeof(buf), 0), 7);
    ck_assert_int_eq(tcp_read(p.client, buf, sizeof(buf), 0), 0);
    tf_tap_set_filter(NULL, NULL);
    tf_close_all(&p);
}
END_TEST

static void setup(void)
{
    tcp_fixture_setup();
}

static void teardown(void)
{
    tcp_fixture_down();
}

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_ts");
    TCase *tc = tcase_create("ts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, paws_rejects_old_tsval);
    tcase_add_test(tc, ts_recent_follows_left_edge_only);
    tcase_add_test(tc, segment_without_timestamps_dropped);
    tcase_add_test(tc, out_of_order_fin_remembered);
    tcase_add_test(tc, reordered_fin_needs_no_retransmission);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
