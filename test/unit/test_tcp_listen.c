/*
 * Unit tests for passive opens and opening/closing patterns: TIME-WAIT reuse by a new SYN (RFC
 * 6191), the accept backlog (SYNs dropped while it is full, the client's retransmission gets in
 * later), the listen backlog bound, the half-open bound with cookies off that keeps serving
 * established clients (RFC 4987 3.1), simultaneous open (RFC 9293 3.5 figure 8) and half-close in
 * both directions (RFC 9293 3.6).
 */
#include "test/unit/tcp_forge.h"
#include "xenolith/test_main.h"

#define PORT 5109
#define CLIENT_PORT 40000

struct opener {
    struct netstack *s;
    uint16_t local_port;
    uint32_t dst;
    uint16_t port;
    uint64_t deadline;
    int rc;
    bool done;
    uint64_t at;
    struct tcp_conn *c;
};

static int open_fiber(void *arg)
{
    struct opener *o = arg;
    o->rc = tcp_connect_from(o->s, o->local_port, o->dst, o->port, o->deadline, &o->c);
    o->at = sim_now();
    o->done = true;
    return 0;
}

static void start_open(struct opener *o, struct netstack *s, uint16_t lport, uint32_t dst,
                       uint16_t port)
{
    *o = (struct opener){ .s = s, .local_port = lport, .dst = dst, .port = port,
                          .deadline = sim_now() + 30 * SEC };
    fiber_detach(fiber_spawn("open", open_fiber, o, 0));
}

/* A's connection from CLIENT_PORT to B, closed by B first so that B holds TIME_WAIT. Returns B's
 * RCV.NXT in TIME_WAIT. */
static uint32_t leave_b_in_time_wait(struct tcp_listener *l)
{
    struct opener o;
    start_open(&o, sa, CLIENT_PORT, B_IP, PORT);
    struct tcp_conn *srv = NULL;
    RUN_UNTIL(o.done, SEC);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_int_eq(tcp_accept(l, &srv, 0), 0);
    ck_assert_int_eq(tcp_shutdown(srv, TCP_SHUT_WR), 0);
    run_for(100 * MS);
    ck_assert_int_eq(tcp_shutdown(o.c, TCP_SHUT_WR), 0);
    run_for(100 * MS);
    /* B's TCB has gone to a TIME_WAIT record; the handle reads CLOSED with no error. */
    ck_assert_int_eq(srv->state, TCPS_CLOSED);
    ck_assert_int_eq(srv->error, 0);
    ck_assert_ptr_nonnull(tcp_tw_lookup(sb->tcp.impl, &srv->ep));
    ck_assert_int_eq(o.c->state, TCPS_CLOSED);
    uint32_t rcv_nxt = srv->rcv_nxt;
    tcp_close(srv);
    tcp_close(o.c);
    return rcv_nxt;
}

/* RFC 6191 (with RFC 7323 timestamps): a SYN for a TIME-WAIT 4-tuple whose TSval is newer starts
 * the new incarnation at once instead of waiting out 2*MSL. */
START_TEST(time_wait_reused_by_newer_syn)
{
    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &l), 0);
    leave_b_in_time_wait(l);
    run_for(SEC);
    struct tcp_census census;
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.time_wait, 1);
    struct opener o;
    uint64_t t0 = sim_now();
    start_open(&o, sa, CLIENT_PORT, B_IP, PORT);
    RUN_UNTIL(o.done, 5 * SEC);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_uint_lt(o.at - t0, 10 * MS);
    ck_assert_uint_eq(sb->tcp.stats.rx_timewait_reuse, 1);
    struct tcp_conn *srv;
    ck_assert_int_eq(tcp_accept(l, &srv, 0), 0);
    ck_assert_uint_eq(pump(o.c, srv, 10000, 5 * SEC), 10000);
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.time_wait, 0);
    tcp_abort(srv);
    tcp_abort(o.c);
    tcp_listener_close(l);
}
END_TEST

/* RFC 6191 4 / RFC 9293 3.6.1: without timestamps, only a SYN whose sequence number is above
 * RCV.NXT of the TIME-WAIT connection may reuse it; a lower one is not taken for a new open. */
START_TEST(time_wait_not_reused_by_older_isn)
{
    struct tcp_config cfg;
    tcp_get_config(sa, &cfg);
    cfg.timestamps = false;
    ck_assert_int_eq(tcp_set_config(sa, &cfg), 0);
    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &l), 0);
    uint32_t rcv_nxt = leave_b_in_time_wait(l);
    struct tcp_test_hooks low = { .fixed_iss = true, .iss = rcv_nxt - 100000 };
    tcp_test_set_hooks(&sa->tcp, &low);
    struct opener o;
    start_open(&o, sa, CLIENT_PORT, B_IP, PORT);
    run_for(10 * MS);
    ck_assert_uint_eq(sb->tcp.stats.rx_timewait_reuse, 0);
    ck_assert(!o.done);                               /* not taken as a new incarnation */
    /* A answers B's ACK with a RST, which TIME_WAIT ignores (RFC 1337): the open times out. */
    RUN_UNTIL(o.done, 40 * SEC);
    ck_assert_int_eq(o.rc, -ETIMEDOUT);
    ck_assert_uint_gt(sb->tcp.stats.rx_timewait_rst_ignored, 0);
    run_for(35 * SEC);                                /* B's 2*MSL ends */
    struct tcp_conn *drop;
    while (tcp_accept(l, &drop, 0) == 0)
        tcp_abort(drop);
    /* The same with a higher ISN is accepted at once. */
    tcp_test_set_hooks(&sa->tcp, &(struct tcp_test_hooks){ 0 });
    rcv_nxt = leave_b_in_time_wait(l);
    struct tcp_test_hooks high = { .fixed_iss = true, .iss = rcv_nxt + 0x10000000u };
    tcp_test_set_hooks(&sa->tcp, &high);
    uint64_t reuse_before = sb->tcp.stats.rx_timewait_reuse;
    uint64_t t0 = sim_now();
    start_open(&o, sa, CLIENT_PORT, B_IP, PORT);
    RUN_UNTIL(o.done, 5 * SEC);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_uint_lt(o.at - t0, 10 * MS);
    ck_assert_uint_eq(sb->tcp.stats.rx_timewait_reuse, reuse_before + 1);
    tcp_abort(o.c);
    tcp_listener_close(l);
}
END_TEST

/* The accept backlog: with it full, SYNs are dropped and counted (the client retransmits); once the
 * application accepts, the retransmitted SYN gets in. */
START_TEST(syn_dropped_while_backlog_full)
{
    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT, 1, &l), 0);
    struct opener o1, o2;
    start_open(&o1, sa, 0, B_IP, PORT);
    RUN_UNTIL(o1.done, SEC);
    ck_assert_int_eq(o1.rc, 0);
    start_open(&o2, sa, 0, B_IP, PORT);
    run_for(2 * SEC);
    ck_assert(!o2.done);
    ck_assert_uint_ge(sb->tcp.stats.rx_listen_overflow, 2);   /* the SYN and its retransmission */
    struct tcp_conn *srv;
    ck_assert_int_eq(tcp_accept(l, &srv, 0), 0);
    RUN_UNTIL(o2.done, 10 * SEC);
    ck_assert_int_eq(o2.rc, 0);
    struct tcp_conn *srv2;
    ck_assert_int_eq(tcp_accept(l, &srv2, 0), 0);
    tcp_abort(srv);
    tcp_abort(srv2);
    tcp_abort(o1.c);
    tcp_abort(o2.c);
    tcp_listener_close(l);
}
END_TEST

/* The listen backlog is bounded (TCP_MAX_BACKLOG) and checked. */
START_TEST(listen_backlog_bound)
{
    struct tcp_listener *l, *dup;
    ck_assert_int_eq(tcp_listen(sb, PORT, 0, &l), -EINVAL);
    ck_assert_int_eq(tcp_listen(sb, 0, 8, &l), -EINVAL);
    ck_assert_int_eq(tcp_listen(sb, PORT, 100000, &l), 0);
    ck_assert_uint_eq(l->backlog, TCP_MAX_BACKLOG);
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &dup), -EADDRINUSE);
    ck_assert_uint_eq(tcp_listener_port(l), PORT);
    tcp_listener_close(l);
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &l), 0);
    tcp_listener_close(l);
}
END_TEST

/* RFC 4987 3.1 / the "bounded half-open queue that keeps serving established clients": with
 * cookies off, a SYN flood fills max_half_open and the rest of it is dropped (counted), the
 * established connection carries on, and new clients get in once the flood's entries expire. */
START_TEST(half_open_bound_without_cookies)
{
    struct tcp_config cfg;
    tcp_get_config(sb, &cfg);
    cfg.max_half_open = 4;
    cfg.syncookies = false;
    cfg.syn_retransmits = 2;
    ck_assert_int_eq(tcp_set_config(sb, &cfg), 0);
    struct tf_conns p;
    tf_open(&p, PORT);
    struct tcp_options mss = { .present = TCP_OPTF_MSS, .mss = 1460 };
    for (uint16_t i = 0; i < 50; i++)
        tf_inject(sb, IP4_ADDR(10, 1, 0, 9), B_IP, (uint16_t)(30000 + i), PORT, 1000u * i, 0,
                  TCP_FLAG_SYN, 65535, &mss, NULL, 0);
    settle();
    struct tcp_census census;
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.half_open, 4);
    ck_assert_uint_eq(sb->tcp.stats.rx_half_open_full, 46);
    ck_assert_uint_eq(sb->tcp.stats.rx_syncookies_sent, 0);
    ck_assert_uint_eq(pump(p.client, p.server, 100 * 1000, 10 * SEC), 100 * 1000);
    ck_assert_uint_eq(pump(p.server, p.client, 100 * 1000, 10 * SEC), 100 * 1000);
    /* A new client waits until the flood's half-open entries give up (SYN-ACK retransmissions). */
    struct opener o;
    start_open(&o, sa, 0, B_IP, PORT);
    run_for(SEC);
    ck_assert(!o.done);
    RUN_UNTIL(o.done, 30 * SEC);
    ck_assert_int_eq(o.rc, 0);
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.half_open, 0);
    struct tcp_conn *srv;
    ck_assert_int_eq(tcp_accept(p.l, &srv, 0), 0);
    tcp_abort(srv);
    tcp_abort(o.c);
    tf_close_all(&p);
}
END_TEST

/* RFC 9293 3.5 figure 8: both ends send SYNs that cross; each goes SYN-SENT -> SYN-RECEIVED ->
 * ESTABLISHED and data flows both ways. */
START_TEST(simultaneous_open)
{
    netdev_pair_set_latency(tf_pair, 5 * MS);
    struct opener a, b;
    start_open(&a, sa, 7001, B_IP, 7002);
    start_open(&b, sb, 7002, A_IP, 7001);
    RUN_UNTIL(a.done && b.done, 5 * SEC);
    ck_assert_int_eq(a.rc, 0);
    ck_assert_int_eq(b.rc, 0);
    ck_assert_int_eq(a.c->state, TCPS_ESTABLISHED);
    ck_assert_int_eq(b.c->state, TCPS_ESTABLISHED);
    ck_assert_ptr_nonnull(tap_find(false, TCP_FLAG_SYN));     /* A saw B's bare SYN */
    ck_assert_ptr_nonnull(tap_find(true, TCP_FLAG_SYN | TCP_FLAG_ACK));
    ck_assert_uint_eq(pump(a.c, b.c, 20000, 5 * SEC), 20000);
    ck_assert_uint_eq(pump(b.c, a.c, 20000, 5 * SEC), 20000);
    tcp_abort(a.c);
    tcp_abort(b.c);
}
END_TEST

/* RFC 9293 3.6 (half-close): after one side's FIN the other may keep sending for as long as it
 * likes; then it closes too. Checked with either side closing first. */
START_TEST(half_close_both_directions)
{
    for (int first_client = 0; first_client < 2; first_client++) {
        struct tf_conns p;
        tf_open(&p, (uint16_t)(PORT + first_client));
        struct tcp_conn *closer = first_client ? p.client : p.server;
        struct tcp_conn *other = first_client ? p.server : p.client;
        ck_assert_int_eq(tcp_shutdown(closer, TCP_SHUT_WR), 0);
        run_for(100 * MS);
        ck_assert_int_eq(closer->state, TCPS_FIN_WAIT_2);
        ck_assert_int_eq(other->state, TCPS_CLOSE_WAIT);
        uint8_t b;
        ck_assert_int_eq(tcp_read(other, &b, 1, 0), 0);      /* end of stream ... */
        ck_assert_int_eq(tcp_write(closer, "x", 1, 0), -EPIPE);
        ck_assert_uint_eq(pump(other, closer, 50000, 10 * SEC), 50000);   /* ... one way only */
        ck_assert_int_eq(tcp_shutdown(other, TCP_SHUT_WR), 0);
        run_for(100 * MS);
        ck_assert_int_eq(tcp_read(closer, &b, 1, 0), 0);
        ck_assert_int_eq(closer->state, TCPS_CLOSED);   /* TIME_WAIT is a record now */
        ck_assert_int_eq(closer->error, 0);
        ck_assert_ptr_nonnull(tcp_tw_lookup(closer->ts, &closer->ep));
        ck_assert_int_eq(other->state, TCPS_CLOSED);
        tcp_close(p.client);
        tcp_close(p.server);
        tcp_listener_close(p.l);
    }
}
END_TEST

/* SYN-ACKs to a source that never answers (a spoofed SYN): A's stack must not see them, or its
 * RST would end the half-open entry early. */
#define SPOOFED_PORT 41234
static enum tf_verdict hide_synacks_from_a(const struct tf_seg *seg, void *ctx)
{
    (void)ctx;
    return !seg->tx && seg->h.dst_port == SPOOFED_PORT ? TF_DROP : TF_PASS;
}

/* A half-open connection that gives up after its SYN-ACK retransmissions is dropped silently:
 * during a spoofed SYN flood a RST would only go to the spoofed source (Linux does the same;
 * RFC 9293 3.10.7.4 lets a SYN-RECEIVED connection return to LISTEN). */
START_TEST(half_open_gives_up_without_rst)
{
    struct tcp_config cfg;
    tcp_get_config(sb, &cfg);
    cfg.syn_retransmits = 2;
    ck_assert_int_eq(tcp_set_config(sb, &cfg), 0);
    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &l), 0);
    tf_tap_set_filter(hide_synacks_from_a, NULL);
    tf_tap_clear();
    struct tcp_options mss = { .present = TCP_OPTF_MSS, .mss = 1460 };
    tf_inject(sb, A_IP, B_IP, SPOOFED_PORT, PORT, 777, 0, TCP_FLAG_SYN, 65535, &mss, NULL, 0);
    run_for(SEC / 10);
    struct tcp_census census;
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.half_open, 1);
    uint64_t rst_before = sb->tcp.stats.tx_rst;
    run_for(60 * SEC);
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.half_open, 0);                  /* it gave up ... */
    unsigned synacks = 0, rsts = 0;
    for (unsigned i = 0; i < tf_tap.count; i++) {
        const struct tf_seg *sg = &tf_tap.seg[i];
        if (sg->tx || sg->h.dst_port != SPOOFED_PORT)
            continue;
        if ((sg->h.flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == (TCP_FLAG_SYN | TCP_FLAG_ACK))
            synacks++;
        if (sg->h.flags & TCP_FLAG_RST)
            rsts++;
    }
    ck_assert_uint_eq(synacks, 3);                            /* the first and 2 retries */
    ck_assert_uint_eq(rsts, 0);                               /* ... without a word */
    ck_assert_uint_eq(sb->tcp.stats.tx_rst, rst_before);
    ck_assert_uint_eq(sb->tcp.stats.conn_timed_out, 1);
    tf_tap_set_filter(NULL, NULL);
    tcp_listener_close(l);
}
END_TEST

/* A SYN from source port 0 (reserved; a counting SYN flooder such as hping3 wraps through it) is
 * dropped with its own counter: no SYN-ACK, no RST, no half-open entry, not a malformed header. */
START_TEST(syn_from_port_zero_dropped)
{
    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &l), 0);
    tf_tap_set_filter(hide_synacks_from_a, NULL);
    tf_tap_clear();
    uint64_t tx_before = sb->tcp.stats.tx_segments;
    tf_inject(sb, A_IP, B_IP, 0, PORT, 5, 0, TCP_FLAG_SYN, 512, NULL, NULL, 0);
    run_for(SEC);
    ck_assert_uint_eq(sb->tcp.stats.rx_bad_port, 1);
    ck_assert_uint_eq(sb->tcp.stats.rx_bad_header, 0);
    ck_assert_uint_eq(sb->tcp.stats.tx_segments, tx_before);
    struct tcp_census census;
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.half_open, 0);
    tf_tap_set_filter(NULL, NULL);
    tcp_listener_close(l);
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
    Suite *s = suite_create("tcp_listen");
    TCase *tc = tcase_create("listen");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, time_wait_reused_by_newer_syn);
    tcase_add_test(tc, time_wait_not_reused_by_older_isn);
    tcase_add_test(tc, syn_dropped_while_backlog_full);
    tcase_add_test(tc, listen_backlog_bound);
    tcase_add_test(tc, half_open_bound_without_cookies);
    tcase_add_test(tc, half_open_gives_up_without_rst);
    tcase_add_test(tc, syn_from_port_zero_dropped);
    tcase_add_test(tc, simultaneous_open);
    tcase_add_test(tc, half_close_both_directions);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
