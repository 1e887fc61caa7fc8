/*
 * Unit tests for an image that leaves TCP's timestamps, window scaling, out-of-order queue and
 * keep-alives out (net/wire/features.h: timestamps, wscale, ooo and keepalive in APP_NET_WITHOUT,
 * mk/app.mk), with every
 * other feature kept so that each fallback is seen on its own. This program defines net_features
 * itself, as such an application's image does. Without timestamps TCP neither offers nor accepts
 * the option (RFC 7323 3.2) and times one segment per flight (RFC 6298 3); without window scaling
 * it neither offers nor accepts the option (RFC 7323 2.2) and both windows stay within 65,535
 * bytes; without the out-of-order queue a segment beyond RCV.NXT is dropped, counted and answered
 * with an ACK of RCV.NXT (RFC 9293 3.10.7.4 makes holding it a SHOULD), and the sender repairs
 * the hole; without keep-alives (RFC 1122 4.2.3.6: off by default, a MAY) an idle connection
 * is never probed and the option cannot be turned on.
 */
#include "test/unit/tcp_forge.h"
#include "lib/errno.h"
#include "net/wire/features.h"
#include "xenolith/test_main.h"

const uint32_t net_features = NET_FEATURES_ALL & ~(uint32_t)(NET_FEATURE_TIMESTAMPS |
                                                             NET_FEATURE_WSCALE | NET_FEATURE_OOO |
                                                             NET_FEATURE_KEEPALIVE);

#define PORT 5302

static void setup(void)
{
    tcp_fixture_up(NULL, MS, 0);
}

static struct tcp_stats *stats_of(struct tcp_conn *c)
{
    return &c->ts->layer->stats;
}

/* The option of this flag (at cfg_flag in struct tcp_config) and kind (optf) is off by default,
 * the stack refuses to turn it on, B's SYN-ACK to a SYN that offers every option (MSS, window
 * scale 7, SACK-permitted, timestamps) leaves it out, and so does A's SYN of the connection
 * then opened as p. Returns that SYN-ACK's options (SACK-permitted must stay in it). */
static uint8_t open_without_option(size_t cfg_flag, uint8_t optf, struct tf_conns *p)
{
    struct tcp_config cfg;
    tcp_get_config(sb, &cfg);
    bool *flag = (bool *)((char *)&cfg + cfg_flag);
    ck_assert(!*flag);
    *flag = true;
    ck_assert_int_eq(tcp_set_config(sb, &cfg), -EINVAL);

    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT + 1, 8, &l), 0);
    struct tcp_options o = { .present = TCP_OPTF_MSS | TCP_OPTF_WSCALE | TCP_OPTF_SACK_PERMITTED |
                                        TCP_OPTF_TIMESTAMPS,
                             .mss = 1460, .wscale = 7, .ts_val = 12345 };
    tf_inject(sb, A_IP, B_IP, 40000, PORT + 1, 1000, 0, TCP_FLAG_SYN, 65535, &o, NULL, 0);
    run_for(10 * MS);
    const struct tf_seg *synack = tap_find(false, TCP_FLAG_SYN | TCP_FLAG_ACK);
    ck_assert_ptr_nonnull(synack);
    uint8_t synack_opts = synack->opts.present;
    ck_assert(!(synack_opts & optf));
    tcp_listener_close(l);
    tf_tap_clear();

    tf_open(p, PORT);
    const struct tf_seg *syn = tap_find(true, TCP_FLAG_SYN);
    ck_assert_ptr_nonnull(syn);
    ck_assert(!(syn->opts.present & optf));
    return synack_opts;
}

/* RFC 7323 3.2: timestamps are used only when both SYNs carry them; this image's SYN does not
 * offer them and its SYN-ACK does not accept them, and the stack refuses to turn them on. Every
 * segment is then 12 bytes of options shorter (the MSS is the peer's whole 1460), and the RTT
 * is still measured, by timing a segment (RFC 6298 3). */
START_TEST(timestamps_are_neither_offered_nor_accepted)
{
    struct tf_conns p;
    uint8_t synack_opts = open_without_option(offsetof(struct tcp_config, timestamps),
                                              TCP_OPTF_TIMESTAMPS, &p);
    ck_assert(synack_opts & TCP_OPTF_SACK_PERMITTED);            /* SACK is kept */
    ck_assert(!p.client->ts_ok && !p.server->ts_ok);
    ck_assert_uint_eq(p.client->mss, 1460);
    ck_assert_uint_eq(pump(p.client, p.server, 64 * 1024, 10 * SEC), 64 * 1024);
    for (unsigned i = 0; i < tf_tap.count; i++)
        ck_assert(!(tf_tap.seg[i].opts.present & TCP_OPTF_TIMESTAMPS));
    ck_assert_uint_gt(tcp_rtt_srtt(&p.client->rtt), 0);
    tf_close_all(&p);
}
END_TEST

/* RFC 7323 2.2: window scaling is used only when both SYNs carry the option; this image offers
 * and accepts none, so the windows both ways are the raw 16-bit field: at most 65,535 bytes
 * however large the buffers (256 KiB here), and a bulk transfer still completes. */
START_TEST(window_is_unscaled_and_at_most_64k)
{
    struct tf_conns p;
    open_without_option(offsetof(struct tcp_config, window_scaling), TCP_OPTF_WSCALE, &p);
    ck_assert(!p.client->ws_ok && !p.server->ws_ok);
    ck_assert_uint_eq(p.client->rcv_wscale + p.client->snd_wscale, 0);
    ck_assert_uint_eq(p.server->rcv_wscale + p.server->snd_wscale, 0);
    ck_assert_uint_gt(p.server->rcvbuf.capacity, 0xffff);
    ck_assert_uint_eq(pump(p.client, p.server, 1024 * 1024, 30 * SEC), 1024 * 1024);
    ck_assert_uint_le(p.client->max_snd_wnd, 0xffff);
    ck_assert_uint_le(p.server->max_snd_wnd, 0xffff);
    ck_assert_uint_le(tcp_window_left(p.server->rcv_adv, p.server->rcv_nxt), 0xffff);
    tf_close_all(&p);
}
END_TEST

/* RFC 9293 3.10.7.4: a segment beyond RCV.NXT is not held by this image: it is dropped and
 * counted, and the ACK it gets is of RCV.NXT (a duplicate), carrying no SACK block; the bytes
 * must come again. */
START_TEST(a_segment_beyond_rcv_nxt_is_dropped_and_acked_as_a_duplicate)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    struct tcp_conn *c = p.server;
    ck_assert(c->sack_ok);
    uint32_t rcv_nxt = c->rcv_nxt;
    uint8_t data[200];
    fill_pattern(data, sizeof(data), 0);
    tf_tap_clear();
    forge_data(c, 100, 0, data + 100, 100);
    run_for(MS);
    ck_assert_uint_eq(stats_of(c)->rx_ooo_dropped, 1);
    ck_assert_uint_eq(stats_of(c)->rx_out_of_order, 0);
    ck_assert_uint_eq(c->ooo.count, 0);
    ck_assert_uint_eq(c->rcv_nxt, rcv_nxt);
    const struct tf_seg *ack = tap_find(false, TCP_FLAG_ACK);
    ck_assert_ptr_nonnull(ack);
    ck_assert_uint_eq(ack->h.ack, rcv_nxt);
    ck_assert(!(ack->opts.present & TCP_OPTF_SACK));
    /* The hole filled: only its own bytes arrive; the dropped ones were never held. */
    forge_data(c, 0, 0, data, 100);
    run_for(MS);
    ck_assert_uint_eq(c->rcv_nxt, rcv_nxt + 100);
    tf_close_all(&p);
}
END_TEST

/* The same in a bulk transfer: one lost segment makes the receiver drop everything behind it
 * and answer with duplicate ACKs; the sender's fast retransmit and recovery (RFC 5681 3.2,
 * RFC 6582) or its RTO resend the rest, and every byte arrives once, in order. */
START_TEST(a_loss_in_a_bulk_transfer_is_repaired_by_the_sender)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    tf_bulk_with_one_loss(&p);
    ck_assert_uint_gt(stats_of(p.server)->rx_ooo_dropped, 0);
    ck_assert_uint_eq(stats_of(p.server)->rx_out_of_order, 0);
    ck_assert_uint_gt(p.client->stats.retransmits, 0);
    tf_assert_no_sack_from_b();
    tf_tap_set_filter(NULL, NULL);
    tf_close_all(&p);
}
END_TEST

/* RFC 1122 4.2.3.6: keep-alives are an option an application turns on; this image refuses to,
 * so a connection idle for far longer than the default idle time (2 h) sends nothing. */
START_TEST(keepalive_cannot_be_turned_on_and_idle_connections_are_not_probed)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_KEEPALIVE, 1), -EOPNOTSUPP);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_KEEPALIVE, 0), 0);
    long on = 1;
    ck_assert_int_eq(tcp_get_option(p.client, TCP_SOCKOPT_KEEPALIVE, &on), 0);
    ck_assert_int_eq(on, 0);
    tf_tap_clear();
    run_for(3 * 3600 * SEC);
    ck_assert_uint_eq(tf_tap.count, 0);
    ck_assert_uint_eq(stats_of(p.client)->tx_keepalives, 0);
    ck_assert_int_eq(p.client->state, TCPS_ESTABLISHED);
    tf_close_all(&p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("net_features_tcp");
    TCase *tc = tcase_create("tcp");
    tcase_add_checked_fixture(tc, setup, tcp_fixture_down);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, timestamps_are_neither_offered_nor_accepted);
    tcase_add_test(tc, window_is_unscaled_and_at_most_64k);
    tcase_add_test(tc, a_segment_beyond_rcv_nxt_is_dropped_and_acked_as_a_duplicate);
    tcase_add_test(tc, a_loss_in_a_bulk_transfer_is_repaired_by_the_sender);
    tcase_add_test(tc, keepalive_cannot_be_turned_on_and_idle_connections_are_not_probed);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
