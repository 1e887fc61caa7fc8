/*
 * Unit tests for RST processing in every state (RFC 9293 3.10.7.2-3.10.7.4, RFC 5961 3.2): which
 * RSTs are believed, what the user is told, and that the TCB goes. A's connection is brought to
 * each state (with the tap dropping A's segments where the state needs something unacknowledged),
 * then a RST is forged from B.
 */
#include "test/unit/tcp_forge.h"
#include "xenolith/test_main.h"

#define PORT 5110

static struct tf_conns p;

/* A RST exactly at RCV.NXT ends c with `error` reported. */
static void expect_reset(struct tcp_conn *c, enum tcp_conn_state state, int error)
{
    ck_assert_int_eq(c->state, state);
    tf_tap_set_filter(tf_drop_tx, NULL);
    /* RFC 5961 3.2 in any synchronized state: in the window but not exact: challenge ACK only. */
    uint64_t challenged = sa->tcp.stats.rx_rst_challenged;
    forge_to(c, c->rcv_nxt + 1, 0, TCP_FLAG_RST, 0, FORGE_NO_TS, NULL, 0);
    settle();
    ck_assert_int_eq(c->state, state);
    ck_assert_uint_eq(sa->tcp.stats.rx_rst_challenged, challenged + 1);
    uint64_t accepted = sa->tcp.stats.rx_rst_accepted;
    forge_to(c, c->rcv_nxt, 0, TCP_FLAG_RST, 0, FORGE_NO_TS, NULL, 0);
    settle();
    ck_assert_int_eq(c->state, TCPS_CLOSED);
    ck_assert_int_eq(c->error, error);
    ck_assert_uint_eq(sa->tcp.stats.rx_rst_accepted, accepted + 1);
    tf_tap_set_filter(NULL, NULL);
    tf_close_all(&p);
}

/* RFC 9293 3.10.7.4: FIN-WAIT-1 / FIN-WAIT-2 / CLOSE-WAIT: "connection reset" to the user. */
START_TEST(rst_in_fin_wait_1)
{
    tf_open(&p, PORT);
    tf_tap_set_filter(tf_drop_tx, NULL);              /* our FIN stays unacknowledged */
    ck_assert_int_eq(tcp_shutdown(p.client, TCP_SHUT_WR), 0);
    settle();
    expect_reset(p.client, TCPS_FIN_WAIT_1, -ECONNRESET);
}
END_TEST

START_TEST(rst_in_fin_wait_2)
{
    tf_open(&p, PORT);
    ck_assert_int_eq(tcp_shutdown(p.client, TCP_SHUT_WR), 0);
    run_for(100 * MS);
    expect_reset(p.client, TCPS_FIN_WAIT_2, -ECONNRESET);
}
END_TEST

START_TEST(rst_in_close_wait)
{
    tf_open(&p, PORT);
    ck_assert_int_eq(tcp_shutdown(p.server, TCP_SHUT_WR), 0);
    run_for(100 * MS);
    expect_reset(p.client, TCPS_CLOSE_WAIT, -ECONNRESET);
}
END_TEST

/* RFC 9293 3.10.7.4: CLOSING, LAST-ACK, TIME-WAIT: the TCB simply goes (no error: the user had
 * closed). */
START_TEST(rst_in_closing)
{
    tf_open(&p, PORT);
    tf_tap_set_filter(tf_drop_tx, NULL);
    ck_assert_int_eq(tcp_shutdown(p.client, TCP_SHUT_WR), 0);
    ck_assert_int_eq(tcp_shutdown(p.server, TCP_SHUT_WR), 0);
    run_for(100 * MS);
    expect_reset(p.client, TCPS_CLOSING, 0);
}
END_TEST

START_TEST(rst_in_last_ack)
{
    tf_open(&p, PORT);
    ck_assert_int_eq(tcp_shutdown(p.server, TCP_SHUT_WR), 0);
    run_for(100 * MS);
    tf_tap_set_filter(tf_drop_tx, NULL);
    ck_assert_int_eq(tcp_shutdown(p.client, TCP_SHUT_WR), 0);
    settle();
    expect_reset(p.client, TCPS_LAST_ACK, 0);
}
END_TEST

/* RFC 1337 (TIME-WAIT assassination, fix TWA1): a RST for a TIME_WAIT 4-tuple, even one exactly at
 * RCV.NXT, is ignored and counted; TIME_WAIT runs its full 2*MSL. (Before, the RST ended it.) */
START_TEST(rst_in_time_wait_ignored)
{
    tf_open(&p, PORT);
    ck_assert_int_eq(tcp_shutdown(p.client, TCP_SHUT_WR), 0);
    run_for(100 * MS);
    ck_assert_int_eq(tcp_shutdown(p.server, TCP_SHUT_WR), 0);
    run_for(100 * MS);
    struct tcp_census census;
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.time_wait, 1);
    tf_tap_clear();
    forge_to(p.client, p.client->rcv_nxt, 0, TCP_FLAG_RST, 0, FORGE_NO_TS, NULL, 0);
    forge_to(p.client, p.client->rcv_nxt, p.client->snd_nxt, TCP_FLAG_RST | TCP_FLAG_ACK, 0,
             FORGE_NO_TS, NULL, 0);
    settle();
    ck_assert_uint_eq(sa->tcp.stats.rx_timewait_rst_ignored, 2);
    ck_assert_uint_eq(tap_count(true, 0, false), 0);          /* not even answered */
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.time_wait, 1);
    run_for(2 * 30 * SEC);
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.time_wait, 0);
}
END_TEST

/* RFC 9293 3.10.7.4 (SYN-RECEIVED from a passive open): a RST returns the listener to LISTEN: the
 * half-open child goes, the listener keeps serving. */
START_TEST(rst_in_syn_received)
{
    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &l), 0);
    uint32_t far = IP4_ADDR(10, 1, 0, 9);
    tf_inject(sb, far, B_IP, 30000, PORT, 1000, 0, TCP_FLAG_SYN, 65535, NULL, NULL, 0);
    settle();
    struct tcp_census census;
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.half_open, 1);
    tf_inject(sb, far, B_IP, 30000, PORT, 1001 + 5, 0, TCP_FLAG_RST, 0, NULL, NULL, 0);
    settle();
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.half_open, 1);           /* in window, not exact: challenged */
    tf_inject(sb, far, B_IP, 30000, PORT, 1001, 0, TCP_FLAG_RST, 0, NULL, NULL, 0);
    settle();
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.half_open, 0);
    ck_assert_uint_eq(census.connections, 0);
    p.l = l;
    p.port = PORT;
    fiber_detach(fiber_spawn("accept", tf_conns_accept, &p, 0));
    fiber_detach(fiber_spawn("connect", tf_conns_connect, &p, 0));
    RUN_UNTIL(p.cdone && p.adone, 2 * SEC);
    ck_assert_int_eq(p.crc, 0);
    ck_assert_int_eq(p.arc, 0);
    tf_close_all(&p);
}
END_TEST

struct opener {
    int rc;
    bool done;
};

static int open_fiber(void *arg)
{
    struct opener *o = arg;
    struct tcp_conn *c = NULL;
    o->rc = tcp_connect(sa, B_IP, PORT, sim_now() + 10 * SEC, &c);
    if (c)
        tcp_abort(c);
    o->done = true;
    return 0;
}

/* RFC 9293 3.10.7.3 (SYN-SENT): a RST is believed only with an acceptable ACK (then "connection
 * refused"); without ACK, or with a wrong one, it is ignored and the open goes on. */
START_TEST(rst_in_syn_sent)
{
    tf_tap_set_filter(tf_drop_tx, NULL);
    struct opener o = { 0 };
    fiber_detach(fiber_spawn("open", open_fiber, &o, 0));
    run_for(MS);
    const struct tf_seg *syn = tap_find(true, TCP_FLAG_SYN);
    ck_assert_ptr_nonnull(syn);
    uint16_t lport = syn->h.src_port;
    uint32_t iss = syn->h.seq;
    tf_inject(sa, B_IP, A_IP, PORT, lport, 0, 0, TCP_FLAG_RST, 0, NULL, NULL, 0);
    tf_inject(sa, B_IP, A_IP, PORT, lport, 0, iss + 7, TCP_FLAG_RST | TCP_FLAG_ACK, 0, NULL, NULL, 0);
    settle();
    ck_assert(!o.done);
    ck_assert_uint_eq(sa->tcp.stats.rx_rst_ignored, 1);
    ck_assert_uint_eq(sa->tcp.stats.rx_bad_ack, 1);
    tf_inject(sa, B_IP, A_IP, PORT, lport, 0, iss + 1, TCP_FLAG_RST | TCP_FLAG_ACK, 0, NULL, NULL, 0);
    settle();
    ck_assert(o.done);
    ck_assert_int_eq(o.rc, -ECONNREFUSED);
    tf_tap_set_filter(NULL, NULL);
}
END_TEST

/* RFC 9293 3.10.7.2 (LISTEN): a RST is ignored. */
START_TEST(rst_to_listener_ignored)
{
    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &l), 0);
    tf_inject(sb, A_IP, B_IP, 33333, PORT, 5, 0, TCP_FLAG_RST, 0, NULL, NULL, 0);
    settle();
    ck_assert_uint_eq(sb->tcp.stats.rx_listen_bad, 1);
    ck_assert_uint_eq(sb->tcp.stats.tx_rst, 0);
    tcp_listener_close(l);
}
END_TEST

static void setup(void)
{
    tcp_fixture_setup();
    memset(&p, 0, sizeof(p));
}

static void teardown(void)
{
    tcp_fixture_down();
}

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_rst");
    TCase *tc = tcase_create("rst");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rst_in_fin_wait_1);
    tcase_add_test(tc, rst_in_fin_wait_2);
    tcase_add_test(tc, rst_in_close_wait);
    tcase_add_test(tc, rst_in_closing);
    tcase_add_test(tc, rst_in_last_ack);
    tcase_add_test(tc, rst_in_time_wait_ignored);
    tcase_add_test(tc, rst_in_syn_received);
    tcase_add_test(tc, rst_in_syn_sent);
    tcase_add_test(tc, rst_to_listener_ignored);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
