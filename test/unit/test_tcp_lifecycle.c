/*
 * Unit tests for the bounded life of a connection on the simulated clock: the user timeout applied
 * to zero-window probing (RFC 9293 3.8.3), orphaned connections reaped after orphan_retries window
 * probes or retransmissions (Linux's tcp_orphan_retries), the SYN-ACK sent again for a repeated SYN
 * in SYN-RECEIVED, and the per-connection rate limit on ACKs answering invalid segments
 * (RFC 5961 10).
 */
#include "test/unit/tcp_forge.h"
#include "xenolith/test_main.h"

#define PORT 5121

static struct tf_conns p;

/* A writes while B never reads, until B's window is zero and A probes it (persist). */
static void fill_peer_window(void)
{
    static uint8_t buf[4096];
    uint64_t end = sim_now() + 60 * SEC;
    while (!(p.client->persist && p.client->snd_wnd == 0) && sim_now() < end) {
        tcp_write(p.client, buf, sizeof(buf), 0);
        run_for(MS);
    }
    ck_assert(p.client->persist);
    ck_assert_uint_eq(p.client->snd_wnd, 0);
}

/* RFC 9293 3.8.3: the user timeout bounds how long data may wait unsent, also when the peer keeps
 * answering every window probe with a zero window (RFC 1122 4.2.2.17 alone would probe for
 * ever). (Before, the persist timer never gave up and the TCB and its buffers stayed.) */
START_TEST(user_timeout_ends_zero_window_probing)
{
    tf_open(&p, PORT);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_USER_TIMEOUT_MS, 20000), 0);
    fill_peer_window();
    uint64_t t0 = sim_now();
    RUN_UNTIL(p.client->state == TCPS_CLOSED, 200 * SEC);
    ck_assert_int_eq(p.client->state, TCPS_CLOSED);
    ck_assert_int_eq(p.client->error, -ETIMEDOUT);
    ck_assert_uint_eq(sa->tcp.stats.conn_persist_timeout, 1);
    ck_assert_uint_gt(p.client->stats.zero_window_probes, 1);   /* it did probe, B answered */
    ck_assert_uint_ge(sim_now() - t0, 18 * SEC);
    ck_assert_uint_le(sim_now() - t0, 20 * SEC + 61 * SEC);    /* at the first probe past it */
    run_for(MS);
    ck_assert_int_eq(p.server->state, TCPS_CLOSED);             /* B got our RST */
    tf_close_all(&p);
}
END_TEST

static void set_orphan_retries(unsigned n)
{
    struct tcp_config cfg;
    tcp_get_config(sa, &cfg);
    cfg.orphan_retries = n;
    ck_assert_int_eq(tcp_set_config(sa, &cfg), 0);
}

/* Linux's tcp_orphan_retries: a connection the application closed (FIN_WAIT_1, its FIN behind data
 * a zero window holds back) is reaped after orphan_retries window probes, freeing its send buffer,
 * although the peer answers every probe. (Before, it was probed for ever.) */
START_TEST(orphan_behind_zero_window_is_reaped)
{
    set_orphan_retries(4);
    tf_open(&p, PORT);
    fill_peer_window();
    struct tcp_census census;
    tcp_get_census(sa, &census);
    ck_assert_uint_gt(census.buffered_bytes, 0);
    tcp_close(p.client);                             /* orphan in FIN_WAIT_1 */
    p.client = NULL;
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.connections, 1);
    RUN_UNTIL((tcp_get_census(sa, &census), census.connections == 0), 400 * SEC);
    ck_assert_uint_eq(census.connections, 0);
    ck_assert_uint_eq(census.buffered_bytes, 0);
    ck_assert_uint_eq(sa->tcp.stats.conn_orphan_reaped, 1);
    ck_assert_uint_ge(sa->tcp.stats.tx_window_probes, 4);
    tf_close_all(&p);
}
END_TEST

/* The same bound on retransmissions: an orphan whose peer has gone silent (everything A sends is
 * lost) is reaped after orphan_retries timeouts, not max_retransmits (15, many minutes). */
START_TEST(orphan_retransmitting_into_silence_is_reaped)
{
    set_orphan_retries(3);
    tf_open(&p, PORT);
    tf_tap_set_filter(tf_drop_tx, NULL);
    ck_assert_int_eq(tcp_write(p.client, "hello", 5, 0), 5);
    tcp_close(p.client);
    p.client = NULL;
    struct tcp_census census;
    uint64_t t0 = sim_now();
    RUN_UNTIL((tcp_get_census(sa, &census), census.connections == 0), 120 * SEC);
    ck_assert_uint_eq(census.connections, 0);
    ck_assert_uint_eq(sa->tcp.stats.conn_orphan_reaped, 1);
    ck_assert_uint_eq(sa->tcp.stats.conn_timed_out, 0);
    ck_assert_uint_eq(sa->tcp.stats.rto_expirations, 4);        /* 3 retries, then the end */
    ck_assert_uint_lt(sim_now() - t0, 60 * SEC);
    tf_tap_set_filter(NULL, NULL);
    tf_close_all(&p);
}
END_TEST

/* Drops the first SYN-ACK B sends to A. */
static enum tf_verdict drop_first_synack(const struct tf_seg *s, void *ctx)
{
    bool *dropped = ctx;
    if (!s->tx && (s->h.flags & TCP_FLAG_SYN) && (s->h.flags & TCP_FLAG_ACK) && !*dropped) {
        *dropped = true;
        return TF_DROP;
    }
    return TF_PASS;
}

struct opener {
    int rc;
    bool done;
    uint64_t at;
    struct tcp_conn *c;
};

static int open_fiber(void *arg)
{
    struct opener *o = arg;
    o->rc = tcp_connect(sa, B_IP, PORT, sim_now() + 30 * SEC, &o->c);
    o->at = sim_now();
    o->done = true;
    return 0;
}

/* RFC 9293 3.10.7.4 (SYN-RECEIVED; as Linux's tcp_check_req): the peer's SYN again means our
 * SYN-ACK was lost; it is answered with the SYN-ACK at once, not with a bare ACK the peer in
 * SYN-SENT can only drop. B's own retransmission timer is 3 s, A's SYN comes back after 1 s. */
START_TEST(repeated_syn_gets_the_synack_again)
{
    struct tcp_config cfg;
    tcp_get_config(sb, &cfg);
    cfg.rto_initial_ns = 3 * SEC;
    ck_assert_int_eq(tcp_set_config(sb, &cfg), 0);
    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &l), 0);
    bool dropped = false;
    tf_tap_set_filter(drop_first_synack, &dropped);
    struct opener o = { 0 };
    uint64_t t0 = sim_now();
    fiber_detach(fiber_spawn("open", open_fiber, &o, 0));
    RUN_UNTIL(o.done, 5 * SEC);
    ck_assert(dropped);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_uint_lt(o.at - t0, 1500 * MS);
    ck_assert_uint_eq(sb->tcp.stats.rx_syn_retransmitted, 1);
    ck_assert_uint_eq(tap_count(false, TCP_FLAG_SYN | TCP_FLAG_ACK, false), 2);
    struct tcp_conn *srv;
    ck_assert_int_eq(tcp_accept(l, &srv, 0), 0);
    ck_assert_uint_eq(pump(o.c, srv, 5000, 5 * SEC), 5000);
    tcp_abort(srv);
    tcp_abort(o.c);
    tcp_listener_close(l);
}
END_TEST

/* RFC 5961 10 (Linux's tcp_invalid_ratelimit, 500 ms): ACKs answering out-of-window or PAWS-failed
 * segments are limited per connection, so forged or looping segments cannot make us ACK at their
 * rate; data segments are still answered each time (the sender's recovery needs them). (Before,
 * every invalid segment got its ACK.) */
START_TEST(invalid_segment_acks_rate_limited)
{
    tf_open(&p, PORT);
    struct tcp_conn *c = p.client;
    ck_assert(c->ts_ok);
    tf_tap_set_filter(tf_drop_tx, NULL);             /* B must not answer A's ACKs */
    tf_tap_clear();
    for (int i = 0; i < 10; i++)
        forge_to(c, c->rcv_nxt + 100000000u, c->snd_nxt, TCP_FLAG_ACK, 65535, 0, NULL, 0);
    settle();
    ck_assert_uint_eq(sa->tcp.stats.rx_unacceptable, 10);
    ck_assert_uint_eq(tap_count(true, TCP_FLAG_ACK, false), 1);
    ck_assert_uint_eq(sa->tcp.stats.rx_invalid_ack_throttled, 9);
    /* PAWS failures share the limit. */
    forge_to(c, c->rcv_nxt, c->snd_nxt, TCP_FLAG_ACK, 65535, -1000, NULL, 0);
    settle();
    ck_assert_uint_eq(sa->tcp.stats.rx_paws_rejected, 1);
    ck_assert_uint_eq(tap_count(true, TCP_FLAG_ACK, false), 1);
    /* Duplicate data is answered every time. */
    forge_to(c, c->rcv_nxt - 3, c->snd_nxt, TCP_FLAG_ACK, 65535, 0, "abc", 3);
    forge_to(c, c->rcv_nxt - 3, c->snd_nxt, TCP_FLAG_ACK, 65535, 0, "abc", 3);
    settle();
    ck_assert_uint_eq(tap_count(true, TCP_FLAG_ACK, false), 3);
    /* 500 ms later one more may go. */
    run_for(500 * MS);
    forge_to(c, c->rcv_nxt + 100000000u, c->snd_nxt, TCP_FLAG_ACK, 65535, 0, NULL, 0);
    forge_to(c, c->rcv_nxt + 100000000u, c->snd_nxt, TCP_FLAG_ACK, 65535, 0, NULL, 0);
    settle();
    ck_assert_uint_eq(tap_count(true, TCP_FLAG_ACK, false), 4);
    tf_tap_set_filter(NULL, NULL);
    tf_close_all(&p);
}
END_TEST

/* The same limit guards a TIME_WAIT record: a stream of old segments gets one ACK per 500 ms. */
START_TEST(time_wait_acks_rate_limited)
{
    tf_open(&p, PORT);
    ck_assert_int_eq(tcp_shutdown(p.client, TCP_SHUT_WR), 0);
    run_for(100 * MS);
    ck_assert_int_eq(tcp_shutdown(p.server, TCP_SHUT_WR), 0);
    run_for(100 * MS);
    struct tcp_conn *c = p.client;
    ck_assert_ptr_nonnull(tcp_tw_lookup(sa->tcp.impl, &c->ep));
    run_for(SEC);
    tf_tap_clear();
    for (int i = 0; i < 5; i++)
        forge_to(c, c->rcv_nxt - 10, c->snd_nxt, TCP_FLAG_ACK, 65535, 1, "0123456789", 10);
    settle();
    ck_assert_uint_eq(sa->tcp.stats.rx_timewait_acked, 5);
    ck_assert_uint_eq(tap_count(true, TCP_FLAG_ACK, false), 1);
    ck_assert_uint_eq(sa->tcp.stats.rx_invalid_ack_throttled, 4);
    /* A bare ACK is not answered at all (no ACK loops). */
    forge_to(c, c->rcv_nxt, c->snd_nxt, TCP_FLAG_ACK, 65535, 1, NULL, 0);
    settle();
    ck_assert_uint_eq(sa->tcp.stats.rx_timewait_dropped, 1);
    ck_assert_uint_eq(tap_count(true, TCP_FLAG_ACK, false), 1);
    tf_close_all(&p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_lifecycle");
    TCase *tc = tcase_create("lifecycle");
    tcase_add_checked_fixture(tc, tcp_fixture_setup, tcp_fixture_down);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, user_timeout_ends_zero_window_probing);
    tcase_add_test(tc, orphan_behind_zero_window_is_reaped);
    tcase_add_test(tc, orphan_retransmitting_into_silence_is_reaped);
    tcase_add_test(tc, repeated_syn_gets_the_synack_again);
    tcase_add_test(tc, invalid_segment_acks_rate_limited);
    tcase_add_test(tc, time_wait_acks_rate_limited);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
