/*
 * Unit tests for TCP timers at the connection level on the simulated clock: RTO backoff doubling
 * and Karn's rule (RFC 6298 5.5-5.7, 3), the user timeout (RFC 9293 3.8.3), the bound on an
 * orphaned FIN_WAIT_2, the limits of an open (deadline, SYN retransmissions), and the one
 * scheduler timer per connection that carries every kind (each still fires at its own time).
 */
#include "test/unit/tcp_forge.h"
#include "xenolith/test_main.h"

#define PORT 5107

/* Drops A's data segments while *budget lasts (a black hole for a while). */
static enum tf_verdict drop_tx_data(const struct tf_seg *s, void *ctx)
{
    unsigned *budget = ctx;
    if (s->tx && s->len && *budget) {
        (*budget)--;
        return TF_DROP;
    }
    return TF_PASS;
}

/* RFC 6298 5.5 (each expiry doubles the RTO), 5.4 (retransmit the earliest segment), 3 and Karn
 * (no RTT sample from a retransmitted segment; the backed-off RTO stays until a new sample). */
START_TEST(rto_backoff_doubles_and_karn)
{
    struct tcp_config cfg;
    tcp_get_config(sa, &cfg);
    cfg.timestamps = false;                 /* RTT only by timing segments: Karn applies */
    cfg.rto_min_ns = 1 * SEC;               /* whole seconds keep the doublings easy to read */
    cfg.sack = false;                       /* no RACK-TLP probe (RFC 8985 7) before the RTO */
    ck_assert_int_eq(tcp_set_config(sa, &cfg), 0);
    netdev_pair_set_latency(tf_pair, 5 * MS);
    struct tf_conns p;
    tf_open(&p, PORT);
    ck_assert(!p.client->ts_ok);
    struct tcp_conn_info before;
    tcp_get_info(p.client, &before);
    ck_assert_uint_eq(before.rto_us, 1000000);
    unsigned budget = 4;
    tf_tap_set_filter(drop_tx_data, &budget);
    tf_tap_clear();
    ck_assert_int_eq(tcp_write(p.client, "x", 1, 0), 1);
    run_for(20 * SEC);
    uint64_t at[8];
    unsigned n = 0;
    for (unsigned i = 0; i < tf_tap.count && n < 8; i++)
        if (tf_tap.seg[i].tx && tf_tap.seg[i].len) {
            ck_assert_uint_eq(tf_tap.seg[i].h.seq, before.bytes_sent + p.client->iss + 1);
            at[n++] = tf_tap.seg[i].at;
        }
    ck_assert_uint_eq(n, 5);                          /* 4 lost, the 5th arrives */
    for (unsigned i = 1; i + 1 < n; i++)
        ck_assert_uint_eq(at[i + 1] - at[i], 2 * (at[i] - at[i - 1]));
    ck_assert_uint_eq(at[1] - at[0], SEC);
    ck_assert_uint_eq(tcp_readable(p.server), 1);
    struct tcp_conn_info after;
    tcp_get_info(p.client, &after);
    ck_assert_uint_eq(after.rto_timeouts, 4);
    ck_assert_uint_eq(after.bytes_in_flight, 0);
    /* Karn: the ACK of the retransmission gave no sample (a 15 s "RTT" would show here) and the
     * RTO stays backed off ... */
    ck_assert_uint_eq(after.srtt_us, before.srtt_us);
    ck_assert_uint_eq(after.rto_us, 16 * 1000000);
    /* ... until new data is timed. */
    ck_assert_int_eq(tcp_write(p.client, "y", 1, 0), 1);
    run_for(SEC);
    tcp_get_info(p.client, &after);
    ck_assert_uint_eq(after.rto_us, 1000000);
    tf_tap_set_filter(NULL, NULL);
    tf_close_all(&p);
}
END_TEST

/* RFC 9293 3.8.3: with a user timeout, a connection whose data goes unacknowledged that long is
 * dropped (long before max_retransmits); a connection without one keeps retrying. */
START_TEST(user_timeout)
{
    struct tf_conns p, q;
    tf_open(&p, PORT);
    tf_open(&q, PORT + 1);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_USER_TIMEOUT_MS, 5000), 0);
    long v;
    ck_assert_int_eq(tcp_get_option(p.client, TCP_SOCKOPT_USER_TIMEOUT_MS, &v), 0);
    ck_assert_int_eq(v, 5000);
    netdev_pair_set_link(tf_pair, false);
    ck_assert_int_eq(tcp_write(p.client, "x", 1, 0), 1);
    ck_assert_int_eq(tcp_write(q.client, "x", 1, 0), 1);
    run_for(5 * SEC);
    ck_assert_int_eq(p.client->state, TCPS_ESTABLISHED);   /* first timeout at 1 s: + 5 s */
    run_for(3 * SEC);
    ck_assert_int_eq(p.client->state, TCPS_CLOSED);
    ck_assert_int_eq(p.client->error, -ETIMEDOUT);
    uint8_t b;
    /* A dead connection reads -ETIMEDOUT (a mere deadline would be -EAGAIN) and writes it too. */
    ck_assert_int_eq(tcp_read(p.client, &b, 1, 0), -ETIMEDOUT);
    ck_assert_int_eq(tcp_write(p.client, &b, 1, 0), -ETIMEDOUT);
    run_for(60 * SEC);
    ck_assert_int_eq(q.client->state, TCPS_ESTABLISHED);
    netdev_pair_set_link(tf_pair, true);
    tf_close_all(&p);
    tf_close_all(&q);
}
END_TEST

/* An orphaned FIN_WAIT_2 (closed handle, our FIN acknowledged, the peer never closes) is bounded
 * (TCP_FIN_WAIT_2_TIMEOUT_NS) so a peer cannot pin TCBs; with the handle still held (half-close),
 * FIN_WAIT_2 lasts as long as the peer wants. */
START_TEST(fin_wait_2_bounded_when_orphaned)
{
    struct tf_conns p, q;
    tf_open(&p, PORT);
    tf_open(&q, PORT + 1);
    struct tcp_conn *orphan = p.client;
    tcp_close(orphan);
    p.client = NULL;
    ck_assert_int_eq(tcp_shutdown(q.client, TCP_SHUT_WR), 0);
    run_for(SEC);
    ck_assert_int_eq(q.client->state, TCPS_FIN_WAIT_2);
    struct tcp_census census;
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.connections, 2);
    run_for(TCP_FIN_WAIT_2_TIMEOUT_NS - 2 * SEC);
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.connections, 2);
    run_for(2 * SEC);
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.connections, 1);
    ck_assert_uint_eq(sa->tcp.stats.conn_fin_wait_2_timeout, 1);
    run_for(120 * SEC);
    ck_assert_int_eq(q.client->state, TCPS_FIN_WAIT_2);
    tf_close_all(&p);
    tf_close_all(&q);
}
END_TEST

struct opener {
    uint64_t deadline;
    int rc;
    bool done;
    uint64_t at;
};

static int open_fiber(void *arg)
{
    struct opener *o = arg;
    struct tcp_conn *c = NULL;
    o->rc = tcp_connect(sa, B_IP, PORT, o->deadline, &c);
    o->at = sim_now();
    if (c)
        tcp_close(c);
    o->done = true;
    return 0;
}

/* tcp_connect's deadline: an unanswered open gives up exactly then, leaving no TCB. */
START_TEST(connect_deadline)
{
    tf_tap_set_filter(tf_drop_tx, NULL);
    uint64_t t0 = sim_now();
    struct opener o = { .deadline = t0 + 2500 * MS };
    fiber_detach(fiber_spawn("open", open_fiber, &o, 0));
    RUN_UNTIL(o.done, 10 * SEC);
    ck_assert(o.done);
    ck_assert_int_eq(o.rc, -ETIMEDOUT);
    ck_assert_uint_eq(o.at, t0 + 2500 * MS);
    ck_assert_uint_eq(tap_count(true, TCP_FLAG_SYN, false), 2);     /* at 0 and 1 s */
    struct tcp_census census;
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.connections, 0);
    tf_tap_set_filter(NULL, NULL);
}
END_TEST

/* RFC 9293 3.8.1 / RFC 6298 5.5: without a deadline, the open ends after syn_retransmits
 * retransmissions with backoff (here 2: SYNs at 0, 1 and 3 s, failure at 7 s). */
START_TEST(connect_syn_retransmissions_exhausted)
{
    struct tcp_config cfg;
    tcp_get_config(sa, &cfg);
    cfg.syn_retransmits = 2;
    ck_assert_int_eq(tcp_set_config(sa, &cfg), 0);
    tf_tap_set_filter(tf_drop_tx, NULL);
    uint64_t t0 = sim_now();
    struct opener o = { .deadline = DEADLINE_NONE };
    fiber_detach(fiber_spawn("open", open_fiber, &o, 0));
    RUN_UNTIL(o.done, 30 * SEC);
    ck_assert(o.done);
    ck_assert_int_eq(o.rc, -ETIMEDOUT);
    ck_assert_uint_eq(o.at, t0 + 7 * SEC);
    ck_assert_uint_eq(tap_count(true, TCP_FLAG_SYN, false), 3);
    ck_assert_uint_eq(sa->tcp.stats.conn_timed_out, 1);
    tf_tap_set_filter(NULL, NULL);
}
END_TEST

/* The kinds share one scheduler timer armed at the earliest deadline set: a later deadline or an
 * unset one leaves it alone (it fires early and finds nothing due); firing with none left set
 * leaves it unarmed. */
START_TEST(one_scheduler_timer_at_the_earliest_deadline)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    struct tcp_conn *c = p.client;
    /* Idle, no keepalive: nothing set; the open's stopped retransmission timer left the
     * scheduler timer armed, which fires once, finds nothing due and stays off. */
    for (unsigned k = 0; k < TCP_TIMER_KINDS; k++)
        ck_assert(!tcp_timer_pending(c, k));
    run_for(5 * SEC);
    ck_assert(!timer_armed(&c->timer));
    uint64_t now = sim_now();
    tcp_timer_set(c, TCP_TIMER_IDLE, now + 9 * SEC);
    ck_assert_uint_eq(c->timer.deadline_ns, now + 9 * SEC);
    tcp_timer_set(c, TCP_TIMER_DELACK, now + 2 * SEC); /* earlier: moves it */
    ck_assert_uint_eq(c->timer.deadline_ns, now + 2 * SEC);
    tcp_timer_set(c, TCP_TIMER_RACK, now + 5 * SEC);   /* later: left alone */
    ck_assert_uint_eq(c->timer.deadline_ns, now + 2 * SEC);
    tcp_timer_clear(c, TCP_TIMER_DELACK);              /* unset: left alone */
    ck_assert(timer_armed(&c->timer));
    ck_assert_uint_eq(c->timer.deadline_ns, now + 2 * SEC);
    tcp_timer_clear(c, TCP_TIMER_RACK);
    tcp_timer_clear(c, TCP_TIMER_IDLE);
    ck_assert(!tcp_timer_pending(c, TCP_TIMER_IDLE));
    run_for(3 * SEC);                                  /* it fired, found nothing, stays off */
    ck_assert(!timer_armed(&c->timer));
    /* Fired early for a deadline moved later, it is armed again for that deadline. */
    now = sim_now();
    tcp_timer_set(c, TCP_TIMER_IDLE, now + 1 * SEC);
    tcp_timer_set(c, TCP_TIMER_IDLE, now + 4 * SEC);
    ck_assert_uint_eq(c->timer.deadline_ns, now + 1 * SEC);
    run_for(2 * SEC);
    ck_assert(timer_armed(&c->timer));
    ck_assert_uint_eq(c->timer.deadline_ns, now + 4 * SEC);
    tcp_timer_clear(c, TCP_TIMER_IDLE);
    tf_close_all(&p);
}
END_TEST

static enum tf_verdict drop_one_tx_data(const struct tf_seg *s, void *ctx)
{
    bool *dropped = ctx;
    if (s->tx && s->len && !*dropped) {
        *dropped = true;
        return TF_DROP;
    }
    return TF_PASS;
}

/* Each kind fires at its own time while the others are set on the same connection: the delayed
 * ACK (RFC 1122 4.2.3.2) after delack_ns while the keepalive waits, the retransmission at the RTO
 * (RFC 6298 5) while both the keepalive and a lazily left earlier deadline are set, and the
 * keepalive probe (RFC 1122 4.2.3.6) after the idle time since the last segment received. */
START_TEST(each_kind_fires_at_its_time)
{
    struct tcp_config cfg;
    tcp_get_config(sa, &cfg);
    cfg.rto_min_ns = 1 * SEC;
    cfg.sack = false;                       /* no tail loss probe before the RTO */
    ck_assert_int_eq(tcp_set_config(sa, &cfg), 0);
    struct tf_conns p;
    tf_open(&p, PORT);
    struct tcp_conn *c = p.client;
    ck_assert_int_eq(tcp_set_option(c, TCP_SOCKOPT_KEEPALIVE, 1), 0);
    ck_assert_int_eq(tcp_set_option(c, TCP_SOCKOPT_KEEPIDLE_MS, 20000), 0);
    ck_assert_int_eq(tcp_set_option(c, TCP_SOCKOPT_KEEPINTVL_MS, 1000), 0);
    tf_tap_clear();
    /* The delayed ACK: one small segment from the server, the client ACKs it delack_ns later. */
    ck_assert_int_eq(tcp_write(p.server, "s", 1, 0), 1);
    run_for(SEC);
    uint64_t data_in = 0, ack_out = 0;
    for (unsigned i = 0; i < tf_tap.count; i++) {
        const struct tf_seg *s = &tf_tap.seg[i];
        if (!s->tx && s->len == 1 && !data_in)
            data_in = s->at;
        if (s->tx && !s->len && data_in && !ack_out)
            ack_out = s->at;
    }
    ck_assert_uint_ne(data_in, 0);
    ck_assert_uint_eq(ack_out - data_in, cfg.delack_ns);
    ck_assert(tcp_timer_pending(c, TCP_TIMER_IDLE));
    char ch;
    ck_assert_int_eq(tcp_read(c, &ch, 1, 0), 1);
    /* The retransmission: one data segment lost, sent again one RTO later. */
    struct tcp_conn_info info;
    tcp_get_info(c, &info);
    bool dropped = false;
    tf_tap_set_filter(drop_one_tx_data, &dropped);
    tf_tap_clear();
    ck_assert_int_eq(tcp_write(c, "c", 1, 0), 1);
    run_for(5 * SEC);
    uint64_t sent[2];
    unsigned n = 0;
    for (unsigned i = 0; i < tf_tap.count && n < 2; i++)
        if (tf_tap.seg[i].tx && tf_tap.seg[i].len)
            sent[n++] = tf_tap.seg[i].at;
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(sent[1] - sent[0], (uint64_t)info.rto_us * 1000);
    tf_tap_set_filter(NULL, NULL);
    /* The keepalive: the first probe 20 s after the last segment the client received. */
    uint64_t last_rx = c->last_rx_ns;
    tf_tap_clear();
    run_for(30 * SEC);
    uint64_t probe = 0;
    for (unsigned i = 0; i < tf_tap.count && !probe; i++)
        if (tf_tap.seg[i].tx && !tf_tap.seg[i].len && tf_tap.seg[i].h.seq == c->snd_nxt - 1)
            probe = tf_tap.seg[i].at;
    ck_assert_uint_eq(probe - last_rx, 20 * SEC);
    tcp_get_info(c, &info);
    ck_assert_uint_ge(info.keepalive_probes, 1);
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
    Suite *s = suite_create("tcp_timers");
    TCase *tc = tcase_create("timers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rto_backoff_doubles_and_karn);
    tcase_add_test(tc, user_timeout);
    tcase_add_test(tc, fin_wait_2_bounded_when_orphaned);
    tcase_add_test(tc, connect_deadline);
    tcase_add_test(tc, connect_syn_retransmissions_exhausted);
    tcase_add_test(tc, one_scheduler_timer_at_the_earliest_deadline);
    tcase_add_test(tc, each_kind_fires_at_its_time);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
