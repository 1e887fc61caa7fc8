/*
 * Unit tests for TCP state-machine rules on the pair (net/tcp/tcp.h), each citing its RFC section:
 * RST acceptance and challenge ACKs (RFC 5961), abort, simultaneous close, SYN cookies, the
 * persist timer, keepalive and delayed ACKs. Segments are injected raw where a rule needs a
 * hostile or unusual peer; the TCB is read through net/tcp/tcp_internal.h for sequence numbers.
 */
#include "net/tcp/tcp_internal.h"
#include "net/wire/tcp_opts.h"
#include "test/unit/tcp_fixture.h"
#include "xenolith/test_main.h"

#define PORT 5003

struct pair_conns {
    struct tcp_listener *l;
    struct tcp_conn *client, *server;
    int crc, arc;
    bool cdone, adone;
};

static int pc_connect(void *arg)
{
    struct pair_conns *p = arg;
    p->crc = tcp_connect(sa, B_IP, PORT, sim_now() + 30 * SEC, &p->client);
    p->cdone = true;
    return 0;
}

static int pc_accept(void *arg)
{
    struct pair_conns *p = arg;
    p->arc = tcp_accept(p->l, &p->server, sim_now() + 30 * SEC);
    p->adone = true;
    return 0;
}

/* An established connection A (client) -> B (server). */
static void open_pair(struct pair_conns *p)
{
    memset(p, 0, sizeof(*p));
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &p->l), 0);
    fiber_detach(fiber_spawn("accept", pc_accept, p, 0));
    fiber_detach(fiber_spawn("connect", pc_connect, p, 0));
    run_for(SEC);
    ck_assert(p->cdone && p->adone);
    ck_assert_int_eq(p->crc, 0);
    ck_assert_int_eq(p->arc, 0);
}

/* Injects a TCP segment from A's address to B's stack (as if A had sent it), with the timestamps
 * option when the connection negotiated it (RFC 7323 3.2: otherwise it would be dropped). */
static void inject_to_b(const struct tcp_conn *from, uint32_t seq, uint32_t ack, uint8_t flags,
                        const void *data, size_t len)
{
    struct tcp_options o = { 0 };
    if (from->ts_ok) {
        o.present = TCP_OPTF_TIMESTAMPS;
        o.ts_val = tcp_tsval(from);
        o.ts_ecr = from->ts_recent;
    }
    tf_inject(sb, A_IP, B_IP, from->ep.local_port, from->ep.remote_port, seq, ack, flags, 65535,
              &o, data, len);
}

/* RFC 5961 3.2: a RST inside the window but not at RCV.NXT only draws a challenge ACK; a RST
 * exactly at RCV.NXT resets the connection (RFC 9293 3.10.7.4 second check). */
START_TEST(rst_in_window_challenged_exact_accepted)
{
    struct pair_conns p;
    open_pair(&p);
    uint32_t rcv_nxt = p.server->rcv_nxt;
    uint64_t acks_before = sb->tcp.stats.tx_challenge_acks;
    inject_to_b(p.client, rcv_nxt + 1000, 0, TCP_FLAG_RST, NULL, 0);
    settle();
    ck_assert_uint_eq(sb->tcp.stats.rx_rst_challenged, 1);
    ck_assert_uint_eq(sb->tcp.stats.tx_challenge_acks, acks_before + 1);
    ck_assert_int_eq(p.server->state, TCPS_ESTABLISHED);
    /* Out of the window entirely: ignored (RFC 5961 3.2). */
    inject_to_b(p.client, rcv_nxt + 0x40000000u, 0, TCP_FLAG_RST, NULL, 0);
    settle();
    ck_assert_uint_eq(sb->tcp.stats.rx_rst_ignored, 1);
    ck_assert_int_eq(p.server->state, TCPS_ESTABLISHED);
    inject_to_b(p.client, rcv_nxt, 0, TCP_FLAG_RST, NULL, 0);
    settle();
    ck_assert_int_eq(p.server->state, TCPS_CLOSED);
    uint8_t b;
    ck_assert_int_eq(tcp_read(p.server, &b, 1, 0), -ECONNRESET);
    tcp_close(p.server);
    tcp_abort(p.client);
    tcp_listener_close(p.l);
}
END_TEST

/* RFC 5961 4.2: a SYN on an established connection gets a challenge ACK, not a reset. */
START_TEST(syn_on_established_challenged)
{
    struct pair_conns p;
    open_pair(&p);
    inject_to_b(p.client, p.server->rcv_nxt + 5, 0, TCP_FLAG_SYN, NULL, 0);
    settle();
    ck_assert_uint_eq(sb->tcp.stats.rx_syn_challenged, 1);
    ck_assert_uint_ge(sb->tcp.stats.tx_challenge_acks, 1);
    ck_assert_int_eq(p.server->state, TCPS_ESTABLISHED);
    tcp_abort(p.client);
    tcp_abort(p.server);
    tcp_listener_close(p.l);
}
END_TEST

/* RFC 5961 7: challenge ACKs are rate-limited per stack (about 10 per second). */
START_TEST(challenge_acks_throttled)
{
    struct pair_conns p;
    open_pair(&p);
    for (int i = 0; i < 100; i++)
        inject_to_b(p.client, p.server->rcv_nxt + 10 + (uint32_t)i, 0, TCP_FLAG_RST, NULL, 0);
    settle();
    ck_assert_uint_eq(sb->tcp.stats.rx_rst_challenged, 100);
    ck_assert_uint_le(sb->tcp.stats.tx_challenge_acks, 15);
    ck_assert_uint_ge(sb->tcp.stats.rx_challenge_throttled, 85);
    tcp_abort(p.client);
    tcp_abort(p.server);
    tcp_listener_close(p.l);
}
END_TEST

/* RFC 9293 3.10.5 (ABORT): the peer's next read fails with "connection reset". */
START_TEST(abort_resets_peer)
{
    struct pair_conns p;
    open_pair(&p);
    tcp_abort(p.client);
    settle();
    uint8_t b;
    ck_assert_int_eq(tcp_read(p.server, &b, 1, 0), -ECONNRESET);
    ck_assert_uint_eq(sb->tcp.stats.conn_reset_by_peer, 1);
    tcp_close(p.server);
    tcp_listener_close(p.l);
}
END_TEST

/* RFC 9293 3.6 (figure 13): both sides close at once: FIN_WAIT_1 -> CLOSING -> TIME_WAIT on both. */
START_TEST(simultaneous_close)
{
    struct pair_conns p;
    open_pair(&p);
    ck_assert_int_eq(tcp_shutdown(p.client, TCP_SHUT_WR), 0);
    ck_assert_int_eq(tcp_shutdown(p.server, TCP_SHUT_WR), 0);
    run_for(SEC);
    /* Both TCBs went to TIME_WAIT records (the handles read CLOSED, no error). */
    struct tcp_census tw;
    tcp_get_census(sa, &tw);
    ck_assert_uint_eq(tw.time_wait, 1);
    tcp_get_census(sb, &tw);
    ck_assert_uint_eq(tw.time_wait, 1);
    ck_assert_int_eq(p.client->state, TCPS_CLOSED);
    ck_assert_int_eq(p.server->state, TCPS_CLOSED);
    ck_assert_int_eq(p.client->error, 0);
    ck_assert_int_eq(p.server->error, 0);
    uint8_t b;
    ck_assert_int_eq(tcp_read(p.client, &b, 1, 0), 0);
    tcp_close(p.client);
    tcp_close(p.server);
    tcp_listener_close(p.l);
    run_for(61 * SEC);                       /* 2*MSL with the default 30 s MSL */
    struct tcp_census c;
    tcp_get_census(sa, &c);
    ck_assert_uint_eq(c.connections, 0);
    tcp_get_census(sb, &c);
    ck_assert_uint_eq(c.connections, 0);
}
END_TEST

/* RFC 9293 3.10.4 / RFC 2525 2.17: closing with unread data resets the connection. */
START_TEST(close_with_unread_data_resets)
{
    struct pair_conns p;
    open_pair(&p);
    ck_assert_int_eq(tcp_write(p.client, "hello", 5, DEADLINE_NONE), 5);
    run_for(SEC);
    ck_assert_uint_eq(tcp_readable(p.server), 5);
    tcp_close(p.server);
    run_for(SEC);
    ck_assert_int_eq(p.client->state, TCPS_CLOSED);
    ck_assert_int_eq(p.client->error, -ECONNRESET);
    tcp_close(p.client);
    tcp_listener_close(p.l);
}
END_TEST

/* RFC 4987 3.6: with the half-open queue full, SYN cookies still let clients connect. */
START_TEST(syn_cookies_when_half_open_full)
{
    struct tcp_config cfg;
    tcp_get_config(sb, &cfg);
    cfg.max_half_open = 1;
    ck_assert_int_eq(tcp_set_config(sb, &cfg), 0);
    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &l), 0);
    struct pair_conns p[4];
    for (int i = 0; i < 4; i++) {
        memset(&p[i], 0, sizeof(p[i]));
        fiber_detach(fiber_spawn("connect", pc_connect, &p[i], 0));
    }
    run_for(2 * SEC);
    for (int i = 0; i < 4; i++) {
        ck_assert(p[i].cdone);
        ck_assert_int_eq(p[i].crc, 0);
    }
    ck_assert_uint_gt(sb->tcp.stats.rx_syncookies_sent, 0);
    ck_assert_uint_eq(sb->tcp.stats.rx_syncookies_ok, sb->tcp.stats.rx_syncookies_sent);
    for (int i = 0; i < 4; i++) {
        struct tcp_conn *c;
        ck_assert_int_eq(tcp_accept(l, &c, 0), 0);
        /* the cookie connection carries data both ways */
        ck_assert_int_eq(tcp_write(p[i].client, "ping", 4, DEADLINE_NONE), 4);
        run_for(SEC);
        char buf[8];
        ck_assert_int_eq(tcp_read(c, buf, sizeof(buf), 0), 4);
        tcp_abort(c);
        tcp_abort(p[i].client);
    }
    tcp_listener_close(l);
}
END_TEST

/* RFC 9293 3.8.6.1, RFC 1122 4.2.2.17: a closed window is probed by the persist timer (with
 * backoff) and the connection lives on; when the reader drains, the transfer completes. */
START_TEST(zero_window_persist)
{
    struct tcp_config cfg;
    tcp_get_config(sb, &cfg);
    cfg.rcvbuf_default = 8192;
    ck_assert_int_eq(tcp_set_config(sb, &cfg), 0);
    struct pair_conns p;
    open_pair(&p);
    static uint8_t data[64 * 1024];
    fill_pattern(data, sizeof(data), 0);
    long w = tcp_write(p.client, data, sizeof(data), 0);
    ck_assert_int_gt(w, 0);
    run_for(120 * SEC);
    ck_assert_uint_gt(sa->tcp.stats.tx_window_probes, 2);
    ck_assert_int_eq(p.client->state, TCPS_ESTABLISHED);
    ck_assert_uint_eq(tcp_readable(p.server), 8192);
    static uint8_t got[64 * 1024];
    size_t n = 0;
    while (n < (size_t)w) {
        long r = tcp_read(p.server, got + n, sizeof(got) - n, 0);
        if (r == -EAGAIN) {
            run_for(100 * MS);
            continue;
        }
        ck_assert_int_gt(r, 0);
        n += (size_t)r;
        if (n < (size_t)w && tcp_writable(p.client) && w < (long)sizeof(data))
            w += tcp_write(p.client, data + w, sizeof(data) - (size_t)w, 0);
    }
    ck_assert(tf_pattern_ok(got, n));
    tcp_abort(p.client);
    tcp_abort(p.server);
    tcp_listener_close(p.l);
}
END_TEST

/* RFC 1122 4.2.3.6: keepalive probes an idle connection and gives up when they go unanswered. */
START_TEST(keepalive_detects_dead_peer)
{
    struct pair_conns p;
    open_pair(&p);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_KEEPALIVE, 1), 0);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_KEEPIDLE_MS, 10000), 0);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_KEEPINTVL_MS, 1000), 0);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_KEEPCNT, 3), 0);
    run_for(30 * SEC);                       /* answered probes keep it alive */
    ck_assert_int_eq(p.client->state, TCPS_ESTABLISHED);
    ck_assert_uint_ge(sa->tcp.stats.tx_keepalives, 2);
    netdev_pair_set_link(tf_pair, false);
    run_for(20 * SEC);
    ck_assert_int_eq(p.client->state, TCPS_CLOSED);
    ck_assert_int_eq(p.client->error, -ETIMEDOUT);
    netdev_pair_set_link(tf_pair, true);
    tcp_close(p.client);
    tcp_abort(p.server);
    tcp_listener_close(p.l);
}
END_TEST

/* RFC 1122 4.2.3.2: a lone segment's ACK is delayed (by the configured 40 ms), and a second
 * full-sized segment is acknowledged at once. */
START_TEST(delayed_ack)
{
    struct pair_conns p;
    open_pair(&p);
    uint64_t before = sb->tcp.stats.tx_segments;
    ck_assert_int_eq(tcp_write(p.client, "x", 1, 0), 1);
    run_for(20 * MS);
    ck_assert_uint_eq(sb->tcp.stats.tx_segments, before);       /* not yet */
    run_for(30 * MS);
    ck_assert_uint_eq(sb->tcp.stats.tx_segments, before + 1);
    ck_assert_uint_eq(sb->tcp.stats.tx_delayed_acks, 1);
    static uint8_t two[2 * 1448];
    before = sb->tcp.stats.tx_segments;
    ck_assert_int_eq(tcp_write(p.client, two, sizeof(two), 0), (long)sizeof(two));
    run_for(5 * MS);
    ck_assert_uint_eq(sb->tcp.stats.tx_segments, before + 1);   /* immediate, one ACK for two */
    ck_assert_uint_eq(sb->tcp.stats.tx_delayed_acks, 1);
    tcp_abort(p.client);
    tcp_abort(p.server);
    tcp_listener_close(p.l);
}
END_TEST

/* RFC 9293 3.10.7.4 eighth step with RFC 1122 4.2.3.2: the ACK of a FIN received in ESTABLISHED
 * is a delayed ACK. An application that closes at once sends its FIN with that ACK (a close of
 * three segments, as Linux's); one that does not gets the ACK within the delayed-ACK time. */
START_TEST(fin_ack_delayed_rides_on_close)
{
    struct pair_conns p;
    open_pair(&p);
    uint64_t before = sb->tcp.stats.tx_segments;
    uint64_t delayed = sb->tcp.stats.tx_delayed_acks;
    ck_assert_int_eq(tcp_shutdown(p.client, TCP_SHUT_WR), 0);
    run_for(5 * MS);
    ck_assert_int_eq(p.server->state, TCPS_CLOSE_WAIT);
    ck_assert_int_eq(p.client->state, TCPS_FIN_WAIT_1);
    ck_assert_uint_eq(sb->tcp.stats.tx_segments, before);       /* the ACK waits */
    uint8_t b;
    ck_assert_int_eq(tcp_read(p.server, &b, 1, 0), 0);          /* the end is readable */
    tcp_close(p.server);
    run_for(5 * MS);
    ck_assert_uint_eq(sb->tcp.stats.tx_segments, before + 1);   /* FIN and ACK in one */
    ck_assert_uint_eq(sb->tcp.stats.tx_delayed_acks, delayed);
    ck_assert_int_eq(p.client->state, TCPS_CLOSED);             /* its TIME_WAIT record took over */
    struct tcp_census census;
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.time_wait, 1);
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.connections, 0);
    tcp_close(p.client);
    tcp_listener_close(p.l);

    /* Without the application's close, the ACK goes alone after the delayed-ACK time. */
    struct pair_conns q;
    open_pair(&q);
    before = sb->tcp.stats.tx_segments;
    ck_assert_int_eq(tcp_shutdown(q.client, TCP_SHUT_WR), 0);
    run_for(20 * MS);
    ck_assert_uint_eq(sb->tcp.stats.tx_segments, before);
    ck_assert_int_eq(q.client->state, TCPS_FIN_WAIT_1);
    run_for(30 * MS);
    ck_assert_uint_eq(sb->tcp.stats.tx_segments, before + 1);
    ck_assert_uint_eq(sb->tcp.stats.tx_delayed_acks, delayed + 1);
    ck_assert_int_eq(q.client->state, TCPS_FIN_WAIT_2);
    tcp_abort(q.client);
    tcp_abort(q.server);
    tcp_listener_close(q.l);
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

/* RFC 5681 3.1: cwnd grows for ACKs of new data; a FIN is not data. The ACK of our FIN (with all
 * data acknowledged before it) leaves the window as it was, and so does an ACK that finds
 * nothing outstanding. (Before, the FIN's sequence number counted as one acknowledged byte.) */
START_TEST(ack_of_fin_alone_leaves_cwnd)
{
    struct pair_conns p;
    open_pair(&p);
    ck_assert_int_eq(tcp_write(p.client, "hello", 5, 0), 5);
    run_for(100 * MS);                                         /* data and its ACK */
    ck_assert_uint_eq(p.client->snd_una, p.client->snd_nxt);
    uint32_t cwnd = p.client->cc.cwnd;
    ck_assert_int_eq(tcp_write(p.server, "x", 1, 0), 1);      /* an ACK-carrying segment */
    run_for(100 * MS);
    ck_assert_uint_eq(p.client->cc.cwnd, cwnd);
    ck_assert_int_eq(tcp_shutdown(p.client, TCP_SHUT_WR), 0);
    run_for(100 * MS);
    ck_assert_int_eq(p.client->state, TCPS_FIN_WAIT_2);        /* the FIN was acknowledged */
    ck_assert_uint_eq(p.client->cc.cwnd, cwnd);
    tcp_abort(p.client);
    tcp_abort(p.server);
    tcp_listener_close(p.l);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_states");
    TCase *tc = tcase_create("states");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rst_in_window_challenged_exact_accepted);
    tcase_add_test(tc, syn_on_established_challenged);
    tcase_add_test(tc, challenge_acks_throttled);
    tcase_add_test(tc, abort_resets_peer);
    tcase_add_test(tc, simultaneous_close);
    tcase_add_test(tc, close_with_unread_data_resets);
    tcase_add_test(tc, syn_cookies_when_half_open_full);
    tcase_add_test(tc, zero_window_persist);
    tcase_add_test(tc, keepalive_detects_dead_peer);
    tcase_add_test(tc, delayed_ack);
    tcase_add_test(tc, fin_ack_delayed_rides_on_close);
    tcase_add_test(tc, ack_of_fin_alone_leaves_cwnd);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
